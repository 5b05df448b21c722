//! Delivery at scale: group messages stored once and fanned out to the members online (read
//! diffusion), catch-up by group seq, bounded per-connection queues, pages cut by bytes, the
//! 12 KB message cap, pipelined sends, and what a member who joined later may read.
use std::time::Duration;

use confab_protocol::wire::MAX_FRAME_BYTES;
use confab_tests::{eventually, text_of, RawClient, TestServer, WAIT};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

async fn raw_many(srv: &TestServer, names: &[String]) -> Vec<RawClient> {
    stream::iter(names.iter().cloned())
        .map(|n| async move { RawClient::login(srv, &n).await })
        .buffered(64)
        .collect()
        .await
}

fn send_frame(conv_type: u32, conv_id: &str, id: &str, text: &str) -> Value {
    json!({"type": "send_msg", "conv_type": conv_type, "conv_id": conv_id,
           "msg": {"message_msg_id": id, "message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}})
}

async fn create_group(owner: &RawClient, kind: u32, gid: &str, members: &[String]) {
    let arr: Vec<Value> = members.iter().map(|m| json!({"group_member_info_identifier": m})).collect();
    let r = owner
        .call(json!({"type": "create_group", "param": {"create_group_param_group_name": "g", "create_group_param_group_id": gid,
            "create_group_param_group_type": kind, "create_group_param_group_member_array": arr}}))
        .await;
    assert_eq!(r["code"], 0, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_group_of_2000_reaches_every_online_member_once_and_offline_members_later() {
    let srv = TestServer::start_with(|c| c.group_msg_rate = 0).await;
    let names: Vec<String> = (0..1998).map(|i| format!("m{i}")).collect();
    let raws = raw_many(&srv, &names).await;
    let carol = srv.client("carol").await;
    carol.ok("TIMLogout", json!({})).await;
    let bob = srv.client("bob").await;
    let mut members: Vec<String> = names[1..].to_vec();
    members.extend(["bob".to_string(), "carol".to_string()]);
    create_group(&raws[0], 0, "big", &members).await;
    let n = 20;
    let mut seqs = Vec::new();
    for i in 0..n {
        let r = raws[0].call(send_frame(2, "big", &format!("big-{i}-1"), &format!("hello {i}"))).await;
        assert_eq!(r["code"], 0, "{r}");
        seqs.push(r["data"]["message_seq"].as_u64().unwrap());
    }
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "consecutive group seqs: {seqs:?}");
    // Every online member gets every message once, in seq order.
    for c in &raws[1..] {
        eventually(&format!("{} has {n} messages", c.user), || async { c.pushed_msgs().len() >= n }).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for c in &raws[1..] {
        let got: Vec<u64> = c.pushed_msgs().iter().map(|m| m["message_seq"].as_u64().unwrap()).collect();
        assert_eq!(got, seqs, "{} got each message once, in order", c.user);
    }
    // The sender's own connection sees them as its own.
    assert!(raws[0].pushed_msgs().iter().all(|m| m["message_is_from_self"] == true));
    // The online SDK member: every message once, in order, all unread.
    let texts = bob.recv_texts(n).await;
    assert_eq!(texts, (0..n).map(|i| format!("hello {i}")).collect::<Vec<_>>());
    eventually("bob's unread count", || async { bob.conv("big").await.is_some_and(|c| c["conv_unread_num"] == n) })
        .await;
    // The member who was offline catches up at login, in seq order, with the unread count.
    carol.login("carol", &srv.usersig("carol")).await;
    eventually("carol caught up", || async { carol.conv("big").await.is_some_and(|c| c["conv_unread_num"] == n) })
        .await;
    let local = carol.messages("big", 2, json!({"msg_getmsglist_param_count": 50})).await;
    let mut got: Vec<(u64, String)> = local.iter().map(|m| (m["message_seq"].as_u64().unwrap(), text_of(m))).collect();
    got.sort();
    assert_eq!(got, seqs.iter().zip(0..n).map(|(s, i)| (*s, format!("hello {i}"))).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_client_that_never_reads_is_cut_off_then_catches_up_completely() {
    let srv = TestServer::start_with(|c| c.outbound_limit = 1024 * 1024).await;
    let alice = RawClient::login(&srv, "alice").await;
    // Bob's connection with a tiny receive window, never read: what the server sends piles up
    // in its queue for bob.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let addr = srv.running().addr;
    let tcp = sock.connect(addr).await.unwrap();
    let (mut bob, _) = tokio_tungstenite::client_async(srv.url(), tcp).await.unwrap();
    {
        use futures_util::SinkExt;
        let login = json!({"id": 1, "type": "login", "sdk_app_id": srv.identity.sdk_app_id, "user_id": "bob",
                           "user_sig": srv.usersig("bob"), "platform": 2, "instance_id": "raw-bob"});
        bob.send(tokio_tungstenite::tungstenite::Message::Text(login.to_string().into())).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // 1,000 messages of 11 KB: far more than the queue bound and the kernel's buffers.
    let body = "x".repeat(11 * 1024);
    let n = 1000;
    let waits: Vec<_> = (0..n)
        .map(|i| {
            let f = send_frame(1, "bob", &format!("big-{i}-1"), &format!("{i}:{body}"));
            let a = &alice;
            async move { a.call(f).await }
        })
        .collect();
    for r in stream::iter(waits).buffered(16).collect::<Vec<_>>().await {
        assert_eq!(r["code"], 0, "{r}");
    }
    // The server cut bob off: reading now ends (after what the kernel still held).
    let ended = confab_tests::frames_until_closed(&mut bob, WAIT).await;
    assert!(ended < n, "bob was cut off before everything reached him ({ended} frames)");
    // Bob comes back and syncs everything, page by page, every page under the frame limit.
    let bob2 = RawClient::login(&srv, "bob").await;
    let mut after = 0;
    let mut got = Vec::new();
    let mut pages = 0;
    loop {
        let r = bob2.call(json!({"type": "sync", "after": after})).await;
        assert_eq!(r["code"], 0, "{r}");
        assert!(r.to_string().len() < MAX_FRAME_BYTES, "a sync page stays under the frame limit");
        pages += 1;
        for e in r["data"]["events"].as_array().unwrap() {
            after = e["seq"].as_u64().unwrap();
            if e["event"]["kind"] == "new_msg" {
                let t = text_of(&e["event"]["msg"]);
                got.push(t.split(':').next().unwrap().parse::<usize>().unwrap());
            }
        }
        if r["data"]["more"] != true {
            break;
        }
    }
    assert_eq!(got, (0..n).collect::<Vec<_>>(), "every message, once, in order");
    assert!(pages > 1000 * 11 / 768, "pages were cut by bytes ({pages} pages)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_history_pages_are_cut_by_bytes() {
    let srv = TestServer::start().await;
    let alice = RawClient::login(&srv, "alice").await;
    let _bob = RawClient::login(&srv, "bob").await;
    let body = "y".repeat(11 * 1024);
    for i in 0..150 {
        let r = alice.call(send_frame(1, "bob", &format!("h-{i}-1"), &format!("{i}:{body}"))).await;
        assert_eq!(r["code"], 0, "{r}");
    }
    let r = alice
        .call(json!({"type": "history", "conv_type": 1, "conv_id": "bob", "anchor_seq": 0, "forward": false,
                     "include_anchor": false, "count": 100}))
        .await;
    assert_eq!(r["code"], 0);
    let msgs = r["data"]["msgs"].as_array().unwrap();
    assert!(r.to_string().len() < MAX_FRAME_BYTES);
    assert!(!msgs.is_empty() && msgs.len() < 100, "{} messages of 11 KB in one page", msgs.len());
    assert_eq!(text_of(&msgs[0]).split(':').next().unwrap(), "149", "newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_message_over_12_kb_is_refused_cloud_data_counted() {
    let srv = TestServer::start().await;
    let alice = RawClient::login(&srv, "alice").await;
    let _bob = RawClient::login(&srv, "bob").await;
    let r = alice.call(send_frame(1, "bob", "big-1-1", &"z".repeat(13 * 1024))).await;
    assert_eq!(r["code"], confab_protocol::codes::ERR_SVR_COMM_BODY_SIZE_LIMIT, "{r}");
    let mut f = send_frame(1, "bob", "big-2-1", &"z".repeat(10 * 1024));
    f["msg"]["message_cloud_custom_str"] = json!("c".repeat(3 * 1024));
    let r = alice.call(f).await;
    assert_eq!(r["code"], confab_protocol::codes::ERR_SVR_COMM_BODY_SIZE_LIMIT, "cloud custom data counts: {r}");
    let r = alice.call(send_frame(1, "bob", "big-3-1", &"z".repeat(11 * 1024))).await;
    assert_eq!(r["code"], 0, "11 KB is within the limit: {r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_pipelined_sends_are_acked_in_order_with_consecutive_seqs() {
    let srv = TestServer::start().await;
    let alice = RawClient::login(&srv, "alice").await;
    let bob = RawClient::login(&srv, "bob").await;
    let n = 500;
    let calls: Vec<_> = (0..n).map(|i| alice.call(send_frame(1, "bob", &format!("p-{i}-1"), &i.to_string()))).collect();
    let answers = futures_util::future::join_all(calls).await;
    let seqs: Vec<u64> = answers.iter().map(|r| r["data"]["message_seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "seqs follow the send order");
    let texts: Vec<String> = answers.iter().map(|r| text_of(&r["data"])).collect();
    assert_eq!(texts, (0..n).map(|i| i.to_string()).collect::<Vec<_>>());
    eventually("bob has them all", || async { bob.pushed_msgs().len() >= n }).await;
    let got: Vec<String> = bob.pushed_msgs().iter().map(text_of).collect();
    assert_eq!(got, texts, "delivered once each, in send order");
}

/// Sends to many conversations at once, from several connections, share commits: every one is
/// acknowledged, each conversation's seqs run 1, 2, 3… in its sender's order, and each receiver
/// gets its messages once (the store reserves each conversation's and each inbox's seqs for a
/// whole batch at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_sends_to_many_conversations_at_once_are_all_stored_in_order() {
    let srv = TestServer::start().await;
    let peers: Vec<String> = (0..12).map(|i| format!("peer{i}")).collect();
    let senders = [RawClient::login(&srv, "ann").await, RawClient::login(&srv, "ben").await];
    let receivers: Vec<RawClient> =
        futures_util::future::join_all(peers.iter().map(|p| RawClient::login(&srv, p))).await;
    let per = 6;
    let mut calls = Vec::new();
    for (s, sender) in senders.iter().enumerate() {
        for k in 0..per {
            for (j, p) in peers.iter().enumerate() {
                calls.push(sender.call(send_frame(1, p, &format!("m{s}x{j}-{k}-a"), &format!("{s}|{j}|{k}"))));
            }
        }
    }
    let answers = futures_util::future::join_all(calls).await;
    assert!(
        answers.iter().all(|r| r["code"] == 0),
        "every send acknowledged: {:?}",
        answers.iter().find(|r| r["code"] != 0)
    );
    for (s, sender) in ["ann", "ben"].iter().enumerate() {
        for j in 0..peers.len() {
            let seqs: Vec<u64> = answers
                .iter()
                .filter(|r| text_of(&r["data"]).starts_with(&format!("{s}|{j}|")))
                .map(|r| r["data"]["message_seq"].as_u64().unwrap())
                .collect();
            assert_eq!(seqs, (1..=per as u64).collect::<Vec<_>>(), "{sender} → peer{j}: seqs in send order");
        }
    }
    for r in &receivers {
        eventually(&format!("{} has its messages", r.user), || async { r.pushed_msgs().len() >= 2 * per }).await;
        let mut got: Vec<String> = r.pushed_msgs().iter().map(text_of).collect();
        let n = got.len();
        got.sort();
        got.dedup();
        assert_eq!((got.len(), n), (2 * per, 2 * per), "{}: each message once", r.user);
    }
}

async fn history_texts(c: &RawClient, gid: &str) -> Vec<String> {
    let r = c
        .call(json!({"type": "history", "conv_type": 2, "conv_id": gid, "anchor_seq": 0, "forward": false,
                     "include_anchor": false, "count": 100}))
        .await;
    assert_eq!(r["code"], 0, "{r}");
    let mut v: Vec<String> =
        r["data"]["msgs"].as_array().unwrap().iter().map(text_of).filter(|t| !t.is_empty()).collect();
    v.reverse();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_member_who_joined_later_reads_what_the_group_type_allows() {
    let srv = TestServer::start().await;
    let alice = RawClient::login(&srv, "alice").await;
    let bob = RawClient::login(&srv, "bob").await;
    // Public (0), Private/Work (1), Community (5): history starts when you joined. ChatRoom
    // (Meeting, 2): what was said before you came can be read (TIM's data model, §5.4).
    for (kind, gid, sees_before) in [(0, "pub", false), (1, "work", false), (5, "@TGS#_comm", false), (2, "room", true)]
    {
        create_group(&alice, kind, gid, &[]).await;
        for i in 0..3 {
            let r = alice.call(send_frame(2, gid, &format!("{kind}x{i}-1-1"), &format!("before {i}"))).await;
            assert_eq!(r["code"], 0, "{r}");
        }
        let r = if kind == 1 {
            alice
                .call(json!({"type": "invite_members", "param": {"group_invite_member_param_group_id": gid,
                    "group_invite_member_param_identifier_array": ["bob"]}}))
                .await
        } else {
            bob.call(json!({"type": "join_group", "group_id": gid, "hello_msg": ""})).await
        };
        assert_eq!(r["code"], 0, "{r}");
        let r = alice.call(send_frame(2, gid, &format!("{kind}after-1-1"), "after")).await;
        assert_eq!(r["code"], 0, "{r}");
        let seen = history_texts(&bob, gid).await;
        let expect: Vec<String> = if sees_before {
            vec!["before 0".into(), "before 1".into(), "before 2".into(), "after".into()]
        } else {
            vec!["after".into()]
        };
        assert_eq!(seen, expect, "group type {kind}");
        // The group's cursor tells bob where his view starts.
        let r = bob.call(json!({"type": "group_cursors"})).await;
        let cur = r["data"]["groups"].as_array().unwrap().iter().find(|g| g["group_id"] == gid).cloned().unwrap();
        assert_eq!(cur["visible_after"].as_u64().unwrap() > 0, !sees_before, "{cur}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_the_sending_connection_gets_its_ack_not_an_echo_other_devices_get_the_message() {
    let srv = TestServer::start().await;
    let sender = RawClient::login(&srv, "alice").await;
    // Alice's other device (another platform) and bob.
    let other = RawClient::login_other_device(&srv, "alice").await;
    let bob = RawClient::login(&srv, "bob").await;
    create_group(&sender, 0, "echo", &["bob".to_string()]).await;
    let r = sender.call(send_frame(1, "bob", "e-1-1", "c2c")).await;
    assert_eq!(r["data"]["confab_echo_skipped"], true, "{r}");
    let own_seq = r["data"]["confab_inbox_seq"].as_u64().expect("the ack names the sender's inbox seq");
    let r = sender.call(send_frame(2, "echo", "e-2-1", "group")).await;
    assert_eq!(r["data"]["confab_echo_skipped"], true, "{r}");
    eventually("the other device has both", || async { other.pushed_msgs().len() >= 2 }).await;
    eventually("bob has both", || async { bob.pushed_msgs().len() >= 2 }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sender.pushed_msgs().is_empty(), "no echo to the sending connection");
    let p = other.pushes.lock().unwrap().clone();
    assert!(p.iter().any(|f| f["seq"] == own_seq && text_of(&f["event"]["msg"]) == "c2c"), "{p:?}");
    assert!(other.pushed_msgs().iter().all(|m| m["message_is_from_self"] == true));
    // The sender's inbox still holds it for a device that was away.
    let r = sender.call(json!({"type": "sync", "after": own_seq - 1})).await;
    assert_eq!(r["data"]["events"][0]["seq"], own_seq);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_an_owner_recalls_a_members_message_and_the_member_hears_of_it() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let g = bob
        .ok("TIMGroupCreate", json!({"json_group_create_param": {"create_group_param_group_name": "Chess",
            "create_group_param_group_type": 1, "create_group_param_group_member_array": [{"group_member_info_identifier": "alice"}]}}))
        .await;
    let gid = g["create_group_result_groupid"].as_str().unwrap().to_string();
    bob.send_text(&gid, 2, "Your move, Alice").await;
    alice.recv_texts(1).await;
    let mv = alice.send_text(&gid, 2, "e4, my move").await;
    eventually("bob has it", || async {
        bob.ok("TIMMsgFindMessages", json!({"json_message_id_array": [mv["message_msg_id"]]}))
            .await
            .as_array()
            .is_some_and(|a| a.len() == 1)
    })
    .await;
    bob.ok("TIMMsgRevoke", json!({"conv_id": gid, "conv_type": 2, "json_msg_param": mv})).await;
    let e = alice.wait_for("the revoke", |e| matches!(e, confab_core::SdkEvent::MsgRevoke(_))).await;
    let confab_core::SdkEvent::MsgRevoke(locs) = e else { unreachable!() };
    assert!(locs[0].message_locator_is_self, "{locs:?}");
    assert_eq!(locs[0].message_locator_seq, mv["message_seq"].as_u64().unwrap());
}

/// R2, a cut ack: a send goes out and its connection is cut before the ack is read, so the app
/// cannot know whether it was stored; it resends with the same id on a new connection. Whatever
/// the server had done, every message ends up stored, delivered and echoed exactly once, in
/// order, and at least one resend was answered from the stored row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_send_whose_ack_was_cut_off_is_stored_once_when_resent() {
    use futures_util::SinkExt;
    let srv = TestServer::start().await;
    let bob = RawClient::login(&srv, "bob").await;
    let other = RawClient::login_other_device(&srv, "alice").await;
    let rounds = 30;
    let mut retried = 0;
    for round in 0..rounds {
        let frame = send_frame(1, "bob", &format!("cut-{round}-1"), &format!("cut {round}"));
        let mut ws = confab_tests::raw_login(&srv, "alice").await;
        let mut f = frame.clone();
        f["id"] = json!(2);
        ws.send(tokio_tungstenite::tungstenite::Message::Text(f.to_string().into())).await.unwrap();
        // Some rounds cut at once, others give the server a moment to commit first.
        if round % 2 == 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(ws);
        let again = RawClient::login(&srv, "alice").await;
        let r = again.call(frame).await;
        assert_eq!(r["code"], 0, "round {round}: {r}");
        if r["data"]["confab_retry"] == true {
            retried += 1;
        }
    }
    assert!(retried > 0, "no send was stored before its cut: the retry path never ran");
    let texts = |msgs: Vec<Value>| msgs.iter().map(text_of).collect::<Vec<_>>();
    let want: Vec<String> = (0..rounds).map(|r| format!("cut {r}")).collect();
    eventually("bob has every message", || async { bob.pushed_msgs().len() >= rounds }).await;
    eventually("alice's other device has every message", || async { other.pushed_msgs().len() >= rounds }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(texts(bob.pushed_msgs()), want, "bob got each once, in order");
    assert_eq!(texts(other.pushed_msgs()), want, "alice's other device got each once, in order");
    let r = bob
        .call(json!({"type": "history", "conv_type": 1, "conv_id": "alice", "anchor_seq": 0, "forward": false,
                     "include_anchor": false, "count": 100}))
        .await;
    let mut stored = r["data"]["msgs"].as_array().unwrap().clone();
    stored.sort_by_key(|m| m["message_seq"].as_u64());
    assert_eq!(texts(stored.clone()), want, "the server stored each once");
    let seqs: Vec<u64> = stored.iter().map(|m| m["message_seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "consecutive seqs: {seqs:?}");
    eprintln!("cut ack: {rounds} sends cut before their ack, {retried} of them already stored");
}
