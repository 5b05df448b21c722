//! Property tests over the real server (R10): generated batches of pipelined sends, with ids
//! repeated within the batch, to two one-to-one chats and a group. Whatever the batch, each id is
//! stored once, in the conversation of its first send, with consecutive seqs in send order; a
//! repeat is answered from the stored row (`confab_retry`) and never stored again.
use std::collections::HashMap;

use confab_tests::{RawClient, TestServer};
use proptest::prelude::*;
use serde_json::{json, Value};

const CONVS: [(u32, &str); 3] = [(1, "bob"), (1, "carol"), (2, "g")];

fn send_frame(conv: usize, id: &str, text: &str) -> Value {
    let (conv_type, conv_id) = CONVS[conv];
    json!({"type": "send_msg", "conv_type": conv_type, "conv_id": conv_id,
           "msg": {"message_msg_id": id, "message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}})
}

async fn history(c: &RawClient, conv: usize) -> Vec<Value> {
    let (conv_type, conv_id) = CONVS[conv];
    let r = c
        .call(json!({"type": "history", "conv_type": conv_type, "conv_id": conv_id, "anchor_seq": 0,
                     "forward": false, "include_anchor": false, "count": 100}))
        .await;
    assert_eq!(r["code"], 0, "{r}");
    r["data"]["msgs"].as_array().unwrap().clone()
}

async fn run_batch(plan: Vec<(usize, usize)>) -> Result<(), TestCaseError> {
    let srv = TestServer::start().await;
    let _bob = RawClient::login(&srv, "bob").await;
    let _carol = RawClient::login(&srv, "carol").await;
    let alice = RawClient::login(&srv, "alice").await;
    let r = alice
        .call(json!({"type": "create_group", "param": {"create_group_param_group_name": "g", "create_group_param_group_id": "g",
            "create_group_param_group_type": 0, "create_group_param_group_member_array": [{"group_member_info_identifier": "bob"}]}}))
        .await;
    prop_assert_eq!(&r["code"], &json!(0), "{}", r);
    let before: Vec<u64> = {
        let mut v = Vec::new();
        for conv in 0..CONVS.len() {
            v.push(history(&alice, conv).await.iter().filter_map(|m| m["message_seq"].as_u64()).max().unwrap_or(0));
        }
        v
    };
    // All frames go out before any answer is read: one pipelined batch.
    let sends: Vec<_> = plan
        .iter()
        .enumerate()
        .map(|(k, (id, conv))| alice.call(send_frame(*conv, &format!("p-{id}-1"), &format!("t{k}"))))
        .collect();
    let acks = futures_util::future::join_all(sends).await;
    // The first send of each id decides where it lives.
    let mut first: HashMap<usize, (usize, u64, String)> = HashMap::new();
    let mut next = before.clone();
    for (k, ((id, conv), ack)) in plan.iter().zip(&acks).enumerate() {
        prop_assert_eq!(&ack["code"], &json!(0), "send {}: {}", k, ack);
        let seq = ack["data"]["message_seq"].as_u64().unwrap();
        match first.get(id) {
            None => {
                prop_assert!(ack["data"]["confab_retry"] != true, "send {} is new: {}", k, ack);
                next[*conv] += 1;
                prop_assert_eq!(seq, next[*conv], "send {}: consecutive seqs in send order", k);
                first.insert(*id, (*conv, seq, format!("t{k}")));
            }
            Some((c, s, text)) => {
                prop_assert_eq!(&ack["data"]["confab_retry"], &json!(true), "send {} repeats an id: {}", k, ack);
                prop_assert_eq!(seq, *s, "a repeat answers with the stored seq");
                prop_assert_eq!(ack["data"]["message_conv_id"].as_str().unwrap(), CONVS[*c].1);
                prop_assert_eq!(
                    ack["data"]["message_elem_array"][0]["text_elem_content"].as_str().unwrap(),
                    text.as_str()
                );
            }
        }
    }
    // The server's history: each id once, where its first send put it.
    for conv in 0..CONVS.len() {
        let stored: Vec<String> = history(&alice, conv)
            .await
            .iter()
            .filter_map(|m| m["message_msg_id"].as_str().map(str::to_string))
            .filter(|id| id.starts_with("p-"))
            .collect();
        let mut want: Vec<String> =
            first.iter().filter(|(_, (c, _, _))| *c == conv).map(|(id, _)| format!("p-{id}-1")).collect();
        let mut got = stored.clone();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want, "conversation {}: each id once", conv);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn a_pipelined_batch_stores_each_id_once_in_order(
        plan in proptest::collection::vec((0usize..12, 0usize..3), 1..60)
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(run_batch(plan))?;
    }
}
