//! The rest of the message API (seed 001): cancel, find by locator, import/save, delete, clear,
//! local custom data, merged messages, search, batch send, online-only messages.
use confab_core::SdkEvent;
use confab_tests::{eventually, text_of, TestServer};
use serde_json::{json, Value};

fn text_msg(t: &str) -> Value {
    json!({"message_elem_array": [{"elem_type": 0, "text_elem_content": t}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_cancel_send() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    srv.client("bob").await;
    let sent = alice.send_text("bob", 1, "already sent").await;
    // A sent message cannot be cancelled; neither can an unknown one.
    let r = alice
        .call("TIMMsgCancelSend", json!({"conv_id": "bob", "conv_type": 1, "message_id": sent["message_msg_id"]}))
        .await;
    assert_eq!(r.code, 8020);
    let r = alice.call("TIMMsgCancelSend", json!({"conv_id": "bob", "conv_type": 1, "message_id": "no-such-id"})).await;
    assert_eq!(r.code, 8020);
    // While the link is down a send waits in the queue: cancel it.
    srv.running().cut_off_user("alice", true);
    alice.wait_for("disconnected", |e| matches!(e, SdkEvent::NetworkStatus { status: 1, .. })).await;
    let inv = alice
        .sdk
        .call("TIMMsgSendMessage", &json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": text_msg("never mind")}))
        .await;
    let id = inv.outputs["message_id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let r = alice.call("TIMMsgCancelSend", json!({"conv_id": "bob", "conv_type": 1, "message_id": id})).await;
    assert_eq!(r.code, 0);
    let r = inv.callback.unwrap().await;
    assert_eq!(r.code, 8021, "the cancelled send fails with 8021");
    let local = alice.ok("TIMMsgFindMessages", json!({"json_message_id_array": [id]})).await;
    assert_eq!(local[0]["message_status"], 7, "status Cancel");
    let r = alice.call("TIMMsgCancelSend", json!({"conv_id": "bob", "conv_type": 1, "message_id": id})).await;
    assert_eq!(r.code, 8020, "cancelling twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_find_by_locator_after_revoke() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let m = alice.send_text("bob", 1, "take it back").await;
    bob.recv_texts(1).await;
    alice.ok("TIMMsgRevoke", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": m})).await;
    let SdkEvent::MsgRevoke(locs) = bob.wait_for("revoke", |e| matches!(e, SdkEvent::MsgRevoke(_))).await else {
        unreachable!()
    };
    let found = bob
        .ok(
            "TIMMsgFindByMsgLocatorList",
            json!({"conv_id": "alice", "conv_type": 1, "json_msg_Locator_array": serde_json::to_value(&locs).unwrap()}),
        )
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["message_msg_id"], m["message_msg_id"]);
    assert_eq!(found[0]["message_status"], 6);
    // A locator that matches nothing finds nothing.
    let none = bob
        .ok("TIMMsgFindByMsgLocatorList", json!({"conv_id": "alice", "conv_type": 1, "json_msg_Locator_array": [{"message_locator_seq": 99, "message_locator_rand": 1}]}))
        .await;
    assert!(none.as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_import_save_and_local_custom_data() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    srv.client("bob").await;
    alice.send_text("bob", 1, "real one").await;
    let old = json!([
        {"message_sender": "bob", "message_client_time": 1_000_000, "message_server_time": 1_000_000, "message_elem_array": [{"elem_type": 0, "text_elem_content": "imported old"}]},
        {"message_sender": "alice", "message_client_time": 1_000_100, "message_server_time": 1_000_100, "message_elem_array": [{"elem_type": 0, "text_elem_content": "imported newer"}]}
    ]);
    alice.ok("TIMMsgImportMsgList", json!({"conv_id": "bob", "conv_type": 1, "json_msg_array": old})).await;
    alice.ok("TIMMsgSaveMsg", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": {"message_client_time": 1_000_050, "message_elem_array": [{"elem_type": 3, "custom_elem_data": "7b7d", "custom_elem_desc": "saved"}]}})).await;
    let list = alice.messages("bob", 1, json!({"msg_getmsglist_param_count": 10})).await;
    let texts: Vec<String> = list
        .iter()
        .map(|m| if m["message_elem_array"][0]["elem_type"] == 3 { "saved".to_string() } else { text_of(m) })
        .collect();
    assert_eq!(texts, vec!["real one", "imported newer", "saved", "imported old"], "time order, newest first");
    assert_eq!(list[1]["message_status"], 5, "LocalImported");
    assert_eq!(list[3]["message_is_from_self"], false);
    // Imported messages are not sent: bob's roaming history has only the real one.
    let bob2 = confab_tests::TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| o.fresh_sync_window = 0);
    bob2.login("bob", &srv.usersig("bob")).await;
    let roam = bob2.messages("alice", 1, json!({"msg_getmsglist_param_is_remble": true})).await;
    assert_eq!(roam.iter().map(text_of).collect::<Vec<_>>(), vec!["real one"]);
    // Local custom data: saved, never sent, survives a restart of the session.
    let mut m = list[0].clone();
    m["message_custom_int"] = json!(1);
    m["message_custom_str"] = json!("played");
    alice.ok("TIMMsgSetLocalCustomData", json!({"json_msg_param": m})).await;
    alice.ok("TIMLogout", json!({})).await;
    alice.login("alice", &srv.usersig("alice")).await;
    let again = alice.ok("TIMMsgFindMessages", json!({"json_message_id_array": [list[0]["message_msg_id"]]})).await;
    assert_eq!(again[0]["message_custom_int"], 1);
    assert_eq!(again[0]["message_custom_str"], "played");
    let theirs = bob2.messages("alice", 1, json!({})).await;
    assert_eq!(theirs[0]["message_custom_int"], 0, "never sent to the peer");
}

/// The roaming history of a conversation as a brand-new device of `user` sees it.
async fn fresh_device_roaming(srv: &TestServer, user: &str, conv: &str) -> Vec<String> {
    let dev = confab_tests::TestClient::with_options(srv, tempfile::tempdir().unwrap(), |o| o.fresh_sync_window = 0);
    dev.login(user, &srv.usersig(user)).await;
    let out =
        dev.messages(conv, 1, json!({"msg_getmsglist_param_is_remble": true})).await.iter().map(text_of).collect();
    dev.ok("TIMLogout", json!({})).await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_delete_local_and_roaming_and_clear_history() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    srv.client("bob").await;
    let mut sent = Vec::new();
    for i in 0..6 {
        sent.push(alice.send_text("bob", 1, &format!("d{i}")).await);
    }
    // Local delete: gone locally, still in roaming history.
    alice.ok("TIMMsgDelete", json!({"conv_id": "bob", "conv_type": 1, "json_msgdel_param": {"msg_delete_param_msg": sent[5], "msg_delete_param_is_remble": false}})).await;
    let local = alice.messages("bob", 1, json!({})).await;
    assert_eq!(local.iter().map(text_of).collect::<Vec<_>>(), vec!["d4", "d3", "d2", "d1", "d0"]);
    // Roaming pages never bring a deleted message back to this device.
    let roam = alice.messages("bob", 1, json!({"msg_getmsglist_param_is_remble": true})).await;
    assert!(!roam.iter().any(|m| text_of(m) == "d5"));
    // List delete: local and roaming; at most once per second and 30 messages.
    alice.ok("TIMMsgListDelete", json!({"conv_id": "bob", "conv_type": 1, "json_msg_array": [sent[4], sent[3]]})).await;
    let r =
        alice.call("TIMMsgListDelete", json!({"conv_id": "bob", "conv_type": 1, "json_msg_array": [sent[2]]})).await;
    assert_eq!(r.code, 7008, "rate limited");
    let too_many: Vec<Value> = (0..31).map(|_| sent[0].clone()).collect();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        alice
            .call("TIMMsgListDelete", json!({"conv_id": "bob", "conv_type": 1, "json_msg_array": too_many}))
            .await
            .code,
        6017
    );
    // Another device of alice no longer sees them in roaming history. (It signs in on the same
    // platform, which signs the first device out; the first device signs in again after.)
    let roam = fresh_device_roaming(&srv, "alice", "bob").await;
    assert_eq!(roam, vec!["d5", "d2", "d1", "d0"], "list delete reached roaming, local delete did not");
    alice.login("alice", &srv.usersig("alice")).await;
    // Clear history: empty locally and in roaming, for alice only.
    alice.ok("TIMMsgClearHistoryMessage", json!({"conv_id": "bob", "conv_type": 1})).await;
    assert!(alice.messages("bob", 1, json!({"msg_getmsglist_param_is_remble": true})).await.is_empty());
    assert!(fresh_device_roaming(&srv, "alice", "bob").await.is_empty());
    alice.login("alice", &srv.usersig("alice")).await;
    let bob2 = confab_tests::TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| o.fresh_sync_window = 0);
    bob2.login("bob", &srv.usersig("bob")).await;
    assert_eq!(
        bob2.messages("alice", 1, json!({"msg_getmsglist_param_is_remble": true})).await.len(),
        6,
        "the peer keeps everything"
    );
    // New messages after a clear show up again.
    alice.send_text("bob", 1, "fresh start").await;
    assert_eq!(
        alice
            .messages("bob", 1, json!({"msg_getmsglist_param_is_remble": true}))
            .await
            .iter()
            .map(text_of)
            .collect::<Vec<_>>(),
        vec!["fresh start"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_merged_messages_and_forwarding() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    srv.client("carol").await;
    let a = alice.send_text("carol", 1, "first point").await;
    let b = alice.send_text("carol", 1, "second point").await;
    let merge = json!({"message_elem_array": [{"elem_type": 12, "merge_elem_title": "Chat with carol",
        "merge_elem_abstract_array": ["alice: first point", "alice: second point"],
        "merge_elem_compatible_text": "[chat record]", "merge_elem_message_array": [a, b]}]});
    alice.ok("TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": merge})).await;
    let SdkEvent::RecvNewMsg(got) = bob.wait_for("merged message", |e| matches!(e, SdkEvent::RecvNewMsg(_))).await
    else {
        unreachable!()
    };
    let got = serde_json::to_value(&got[0]).unwrap();
    assert_eq!(got["message_elem_array"][0]["elem_type"], 12);
    let inner = bob.ok("TIMMsgDownloadMergerMessage", json!({"json_single_msg": got})).await;
    assert_eq!(inner.as_array().unwrap().iter().map(text_of).collect::<Vec<_>>(), vec!["first point", "second point"]);
    // Merged messages nest: a record of a record of ... (20 levels here; the 100-level limit
    // and its 8005 are unit-tested in confab-core, since JSON that deep exceeds the parser's
    // nesting guard before it reaches the SDK).
    let mut nested =
        json!({"message_status": 2, "message_elem_array": [{"elem_type": 0, "text_elem_content": "core"}]});
    for _ in 0..20 {
        nested = json!({"message_status": 2, "message_elem_array": [{"elem_type": 12, "merge_elem_title": "t", "merge_elem_compatible_text": "c", "merge_elem_message_array": [nested]}]});
    }
    nested.as_object_mut().unwrap().remove("message_status");
    alice.ok("TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": nested})).await;
    // Unsent messages cannot be merged.
    let bad = json!({"message_elem_array": [{"elem_type": 12, "merge_elem_title": "t", "merge_elem_compatible_text": "c", "merge_elem_message_array": [text_msg("draft")]}]});
    assert_eq!(
        alice.call("TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": bad})).await.code,
        6017
    );
    // Forwarding a single received message.
    let mut fwd = got.clone();
    fwd["message_is_forward_message"] = json!(true);
    let sent = bob.ok("TIMMsgSendMessage", json!({"conv_id": "carol", "conv_type": 1, "json_msg_param": fwd})).await;
    assert_eq!(sent["message_sender"], "bob");
    assert_ne!(sent["message_msg_id"], got["message_msg_id"], "a forward is a new message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_batch_send() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let r = alice
        .call("TIMMsgBatchSend", json!({"json_batch_send_param": {"msg_batch_send_param_identifier_array": ["bob", "carol", "nobody"], "msg_batch_send_param_msg": text_msg("to all")}}))
        .await;
    assert_eq!(r.code, 0, "some succeeded: overall success");
    let res = r.json.as_array().unwrap();
    assert_eq!(res.len(), 3);
    assert_eq!(res[0]["msg_batch_send_result_identifier"], "bob");
    assert_eq!(res[0]["msg_batch_send_result_code"], 0);
    assert_eq!(res[2]["msg_batch_send_result_code"], 20003);
    assert_eq!(bob.recv_texts(1).await, vec!["to all"]);
    assert_eq!(carol.recv_texts(1).await, vec!["to all"]);
    let r = alice
        .call("TIMMsgBatchSend", json!({"json_batch_send_param": {"msg_batch_send_param_identifier_array": ["ghost1", "ghost2"], "msg_batch_send_param_msg": text_msg("x")}}))
        .await;
    assert_eq!(r.code, 6003, "none succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_online_only_messages() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    carol.ok("TIMLogout", json!({})).await;
    let typing =
        json!({"message_is_online_msg": true, "message_elem_array": [{"elem_type": 3, "custom_elem_data": "typing"}]});
    let sent = alice.ok("TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": typing})).await;
    assert_eq!(sent["message_is_online_msg"], true);
    let SdkEvent::RecvNewMsg(m) = bob.wait_for("online message", |e| matches!(e, SdkEvent::RecvNewMsg(_))).await else {
        unreachable!()
    };
    assert!(m[0].message_is_online_msg);
    // Not stored anywhere, not unread.
    assert!(bob.messages("alice", 1, json!({"msg_getmsglist_param_is_remble": true})).await.is_empty());
    assert!(alice.messages("bob", 1, json!({})).await.is_empty());
    assert!(bob.conv("alice").await.is_none_or(|c| c["conv_unread_num"] == 0));
    // Offline recipients never get it.
    alice.ok("TIMMsgSendMessage", json!({"conv_id": "carol", "conv_type": 1, "json_msg_param": typing})).await;
    alice.send_text("carol", 1, "stored one").await;
    carol.login("carol", &srv.usersig("carol")).await;
    assert_eq!(carol.recv_texts(1).await, vec!["stored one"]);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!carol.drain().await.iter().any(|e| matches!(e, SdkEvent::RecvNewMsg(_))));
    // Online-only messages cannot be revoked.
    assert_eq!(
        alice.call("TIMMsgRevoke", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": sent})).await.code,
        6017
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_local_search() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    bob.send_text("alice", 1, "我们明天去北京开会").await;
    bob.send_text("alice", 1, "Meeting notes are ready").await;
    carol.send_text("alice", 1, "北京的天气很好").await;
    carol
        .ok("TIMMsgSendMessage", json!({"conv_id": "alice", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 4, "file_elem_file_name": "季度报告.pdf", "file_elem_file_size": 10}]}}))
        .await;
    carol
        .ok("TIMMsgSendMessage", json!({"conv_id": "alice", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 3, "custom_elem_data": "{}", "custom_elem_desc": "red packet for meeting"}]}}))
        .await;
    eventually("alice has 5 messages", || async {
        alice.messages("bob", 1, json!({})).await.len() == 2 && alice.messages("carol", 1, json!({})).await.len() == 3
    })
    .await;
    let search = |param: Value| alice.call("TIMMsgSearchLocalMessages", json!({"json_search_message_param": param}));
    // A one-character Chinese substring, across all conversations: grouped per conversation.
    let r = search(json!({"msg_search_param_keyword_array": ["京"]})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert_eq!(r.json["msg_search_result_total_count"], 2, "two conversations");
    // Two characters, then a substring in the middle of a word.
    let r = search(json!({"msg_search_param_keyword_array": ["北京"], "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1})).await;
    assert_eq!(r.json["msg_search_result_total_count"], 1);
    assert_eq!(
        text_of(&r.json["msg_search_result_item_array"][0]["msg_search_result_item_message_array"][0]),
        "我们明天去北京开会"
    );
    let r = search(json!({"msg_search_param_keyword_array": ["天去北京开"]})).await;
    assert_eq!(r.json["msg_search_result_total_count"], 1);
    // File names and custom descriptions are searchable; case-insensitive English.
    let r = search(json!({"msg_search_param_keyword_array": ["报告"]})).await;
    assert_eq!(r.json["msg_search_result_item_array"][0]["msg_search_result_item_conv_id"], "carol");
    let r = search(json!({"msg_search_param_keyword_array": ["meeting"]})).await;
    let total: u64 = r.json["msg_search_result_item_array"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["msg_search_result_item_total_message_count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 2, "'Meeting notes' and 'red packet for meeting'");
    // AND vs OR.
    let r = search(
        json!({"msg_search_param_keyword_array": ["北京", "天气"], "msg_search_param_keyword_list_match_type": 1}),
    )
    .await;
    assert_eq!(r.json["msg_search_result_total_count"], 1);
    let r = search(
        json!({"msg_search_param_keyword_array": ["北京", "Meeting"], "msg_search_param_keyword_list_match_type": 0}),
    )
    .await;
    assert_eq!(r.json["msg_search_result_total_count"], 2);
    // Element type and sender filters.
    let r = search(json!({"msg_search_param_keyword_array": [], "msg_search_param_message_type_array": [4]})).await;
    assert_eq!(r.json["msg_search_result_total_count"], 1);
    let r =
        search(json!({"msg_search_param_keyword_array": ["e"], "msg_search_param_send_indentifier_array": ["bob"]}))
            .await;
    assert_eq!(r.json["msg_search_result_item_array"][0]["msg_search_result_item_conv_id"], "bob");
    // A revoked message leaves the index.
    let sent = bob.send_text("alice", 1, "secret plan zeta").await;
    eventually("indexed", || async {
        search(json!({"msg_search_param_keyword_array": ["zeta"]})).await.json["msg_search_result_total_count"] == 1
    })
    .await;
    bob.ok("TIMMsgRevoke", json!({"conv_id": "alice", "conv_type": 1, "json_msg_param": sent})).await;
    eventually("revoked message leaves the index", || async {
        search(json!({"msg_search_param_keyword_array": ["zeta"]})).await.json["msg_search_result_total_count"] == 0
    })
    .await;
    // Too many keywords.
    assert_eq!(search(json!({"msg_search_param_keyword_array": ["a", "b", "c", "d", "e", "f"]})).await.code, 6017);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_c2c_receive_options() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    srv.client("carol").await;
    alice.send_text("bob", 1, "before").await;
    bob.recv_texts(1).await;
    // bob stops receiving from alice: the server does not deliver, the conversation shows it.
    bob.ok("TIMMsgSetC2CReceiveMessageOpt", json!({"json_identifier_array": ["alice"], "opt": 1})).await;
    let opts = bob.ok("TIMMsgGetC2CReceiveMessageOpt", json!({"json_identifier_array": ["alice", "carol"]})).await;
    assert_eq!(opts[0]["msg_recv_msg_opt_result_identifier"], "alice");
    assert_eq!(opts[0]["msg_recv_msg_opt_result_opt"], 1);
    assert_eq!(opts[1]["msg_recv_msg_opt_result_opt"], 0);
    assert_eq!(bob.conv("alice").await.unwrap()["conv_recv_opt"], 1);
    let _ = bob.drain().await;
    let sent = alice.send_text("bob", 1, "ignored").await;
    assert_eq!(sent["message_status"], 2, "the sender's send still succeeds");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(!bob.drain().await.iter().any(|e| matches!(e, SdkEvent::RecvNewMsg(_))), "not delivered");
    // Receive without notification: delivered again, and marked so in the conversation.
    bob.ok("TIMMsgSetC2CReceiveMessageOpt", json!({"json_identifier_array": ["alice"], "opt": 2})).await;
    alice.send_text("bob", 1, "quietly").await;
    assert_eq!(bob.recv_texts(1).await, vec!["quietly"]);
    assert_eq!(bob.conv("alice").await.unwrap()["conv_recv_opt"], 2);
    // Limits: 30 users per call, 5 calls per second.
    let many: Vec<String> = (0..31).map(|i| format!("u{i}")).collect();
    assert_eq!(
        bob.call("TIMMsgSetC2CReceiveMessageOpt", json!({"json_identifier_array": many, "opt": 0})).await.code,
        6017
    );
    let mut codes = Vec::new();
    for _ in 0..6 {
        codes.push(bob.call("TIMMsgGetC2CReceiveMessageOpt", json!({"json_identifier_array": ["alice"]})).await.code);
    }
    assert!(codes.contains(&7008), "rate limited within a second: {codes:?}");
}
