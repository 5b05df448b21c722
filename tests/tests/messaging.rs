//! One-to-one and group messaging through real SDK clients and a real server.
use confab_core::SdkEvent;
use confab_tests::{eventually, text_of, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_c2c_send_receive_and_ids() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let sent = alice.send_text("bob", 1, "hello bob").await;
    assert_eq!(sent["message_status"], 2);
    assert_eq!(sent["message_seq"], 1);
    assert_eq!(sent["message_sender"], "alice");
    assert_eq!(sent["message_conv_id"], "bob");
    assert!(sent["message_server_time"].as_u64().unwrap() > 0);
    // 64-bit ids stay integral end to end (the server sets bit 62).
    assert!(sent["message_unique_id"].as_u64().unwrap() >= 1 << 62);
    let got = bob.wait_for("alice's message", |e| matches!(e, SdkEvent::RecvNewMsg(_))).await;
    let SdkEvent::RecvNewMsg(msgs) = got else { unreachable!() };
    let m = serde_json::to_value(&msgs[0]).unwrap();
    assert_eq!(text_of(&m), "hello bob");
    assert_eq!(m["message_conv_id"], "alice", "the receiver's conversation is the sender");
    assert_eq!(m["message_is_from_self"], false);
    assert_eq!(m["message_msg_id"], sent["message_msg_id"]);
    assert_eq!(m["message_unique_id"], sent["message_unique_id"]);
    // Both sides see the conversation; bob has one unread.
    eventually("bob's unread is 1", || async { bob.conv("alice").await.is_some_and(|c| c["conv_unread_num"] == 1) })
        .await;
    let ac = alice.conv("bob").await.expect("alice has the conversation");
    assert_eq!(ac["conv_unread_num"], 0);
    assert_eq!(text_of(&ac["conv_last_msg"]), "hello bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_group_send_receive_three_clients() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let created = alice
        .ok(
            "TIMGroupCreate",
            json!({"json_group_create_param": {
                "create_group_param_group_name": "friends",
                "create_group_param_group_type": 1,
                "create_group_param_group_member_array": [
                    {"group_member_info_identifier": "bob"}, {"group_member_info_identifier": "carol"}]}}),
        )
        .await;
    let gid = created["create_group_result_groupid"].as_str().unwrap().to_string();
    assert!(gid.starts_with("@TGS#"), "server-assigned ids start with @TGS#: {gid}");
    let s1 = alice.send_text(&gid, 2, "one").await;
    let s2 = bob.send_text(&gid, 2, "two").await;
    let s3 = carol.send_text(&gid, 2, "three").await;
    // Group seqs are consecutive from 1 in the order the server committed them.
    let mut seqs = vec![
        s1["message_seq"].as_u64().unwrap(),
        s2["message_seq"].as_u64().unwrap(),
        s3["message_seq"].as_u64().unwrap(),
    ];
    seqs.sort();
    assert_eq!(seqs, vec![1, 2, 3]);
    for (c, others) in [(&alice, ["two", "three"]), (&bob, ["one", "three"]), (&carol, ["one", "two"])] {
        let mut got = c.recv_texts(2).await;
        got.sort();
        let mut want: Vec<String> = others.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want);
    }
    let hist = carol.messages(&gid, 2, json!({"msg_getmsglist_param_count": 10})).await;
    let texts: Vec<String> = hist.iter().map(text_of).collect();
    assert_eq!(texts, vec!["three", "two", "one"], "newest first");
    // A non-member can neither send nor read.
    let dave = srv.client("dave").await;
    let r = dave
        .call("TIMMsgSendMessage", json!({"conv_id": gid, "conv_type": 2, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "let me in"}]}}))
        .await;
    assert_eq!(r.code, 10007);
    let r = dave
        .call(
            "TIMMsgGetMsgList",
            json!({"conv_id": gid, "conv_type": 2, "json_get_msg_param": {"msg_getmsglist_param_is_remble": true}}),
        )
        .await;
    assert_eq!(r.code, 10007);
    // An unknown group is "not found".
    let r = alice
        .call("TIMMsgSendMessage", json!({"conv_id": "no-such-group", "conv_type": 2, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "x"}]}}))
        .await;
    assert_eq!(r.code, 10010);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_offline_delivery_at_login() {
    let srv = TestServer::start().await;
    let bob = srv.client("bob").await;
    bob.ok("TIMLogout", json!({})).await;
    let alice = srv.client("alice").await;
    for i in 0..30 {
        alice.send_text("bob", 1, &format!("m{i}")).await;
    }
    bob.login("bob", &srv.usersig("bob")).await;
    // Offline messages arrive as new-message events during login, in order, once each.
    let got = bob.recv_texts(30).await;
    let want: Vec<String> = (0..30).map(|i| format!("m{i}")).collect();
    assert_eq!(got, want);
    eventually("unread is 30", || async { bob.conv("alice").await.is_some_and(|c| c["conv_unread_num"] == 30) }).await;
    // Logging in again delivers nothing twice.
    bob.ok("TIMLogout", json!({})).await;
    let _ = bob.drain().await;
    bob.login("bob", &srv.usersig("bob")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!bob.drain().await.iter().any(|e| matches!(e, SdkEvent::RecvNewMsg(_))), "no duplicates after re-login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_roaming_paging_both_directions() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    srv.client("bob").await;
    for i in 1..=45 {
        alice.send_text("bob", 1, &format!("n{i}")).await;
    }
    // A new device of bob that replays no inbox events has nothing locally: roaming history
    // fills it, page by page.
    let bob2 = confab_tests::TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| o.fresh_sync_window = 0);
    bob2.login("bob", &srv.usersig("bob")).await;
    let p1 = bob2
        .messages("alice", 1, json!({"msg_getmsglist_param_count": 20, "msg_getmsglist_param_is_remble": true}))
        .await;
    let t1: Vec<String> = p1.iter().map(text_of).collect();
    assert_eq!(t1, (26..=45).rev().map(|i| format!("n{i}")).collect::<Vec<_>>());
    let p2 = bob2
        .messages("alice", 1, json!({"msg_getmsglist_param_count": 20, "msg_getmsglist_param_is_remble": true, "msg_getmsglist_param_last_msg": p1.last().unwrap()}))
        .await;
    let t2: Vec<String> = p2.iter().map(text_of).collect();
    assert_eq!(t2, (6..=25).rev().map(|i| format!("n{i}")).collect::<Vec<_>>());
    let p3 = bob2
        .messages("alice", 1, json!({"msg_getmsglist_param_count": 20, "msg_getmsglist_param_is_remble": true, "msg_getmsglist_param_last_msg": p2.last().unwrap()}))
        .await;
    assert_eq!(p3.iter().map(text_of).collect::<Vec<_>>(), (1..=5).rev().map(|i| format!("n{i}")).collect::<Vec<_>>());
    // Forward from the oldest message: the next 10, oldest first.
    let f = bob2
        .messages("alice", 1, json!({"msg_getmsglist_param_count": 10, "msg_getmsglist_param_is_forward": true, "msg_getmsglist_param_last_msg": p3.last().unwrap(), "msg_getmsglist_param_is_remble": true}))
        .await;
    assert_eq!(f.iter().map(text_of).collect::<Vec<_>>(), (2..=11).map(|i| format!("n{i}")).collect::<Vec<_>>());
    // Without roaming, only what is local now (everything after paging).
    let local = bob2.messages("alice", 1, json!({"msg_getmsglist_param_count": 100})).await;
    assert_eq!(local.len(), 45);
    // Roaming pages do not count as unread.
    assert_eq!(bob2.conv("alice").await.unwrap()["conv_unread_num"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_group_paging_by_seq_includes_anchor() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let gid = alice
        .ok("TIMGroupCreate", json!({"json_group_create_param": {"create_group_param_group_name": "g", "create_group_param_group_id": "team-1", "create_group_param_group_type": 1}}))
        .await["create_group_result_groupid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(gid, "team-1");
    for i in 1..=10 {
        alice.send_text(&gid, 2, &format!("s{i}")).await;
    }
    let page = alice.messages(&gid, 2, json!({"msg_getmsglist_param_last_msg_seq": 5, "msg_getmsglist_param_count": 3, "msg_getmsglist_param_is_remble": true})).await;
    let seqs: Vec<u64> = page.iter().map(|m| m["message_seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, vec![5, 4, 3], "a seq anchor is included");
    // A used custom id is refused.
    let r = alice.call("TIMGroupCreate", json!({"json_group_create_param": {"create_group_param_group_name": "g2", "create_group_param_group_id": "team-1"}})).await;
    assert_eq!(r.code, 10021);
    let r = alice.call("TIMGroupCreate", json!({"json_group_create_param": {"create_group_param_group_name": "g3", "create_group_param_group_id": "@TGS#mine"}})).await;
    assert_eq!(r.code, 8501, "the SDK refuses a custom id with the reserved prefix");
    let joined = alice.ok("TIMGroupGetJoinedGroupList", json!({})).await;
    assert_eq!(joined[0]["group_base_info_group_id"], "team-1");
    assert_eq!(joined[0]["group_base_info_lastest_seq"], 10);
    assert_eq!(joined[0]["group_base_info_self_info"]["group_self_info_role"], 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_drafts() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let draft = json!({"draft_msg": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "half a thought"}]}, "draft_user_define": "ud"});
    let r = alice.call("TIMConvSetDraft", json!({"conv_id": "bob", "conv_type": 1, "json_draft_param": draft})).await;
    assert_eq!(r.code, 0);
    let c = alice.conv("bob").await.expect("setting a draft creates the conversation");
    assert_eq!(c["conv_is_has_draft"], true);
    assert_eq!(text_of(&c["conv_draft"]["draft_msg"]), "half a thought");
    assert_eq!(c["conv_draft"]["draft_user_define"], "ud");
    assert!(c["conv_draft"]["draft_edit_time"].as_u64().unwrap() > 0);
    // The draft survives a logout and login (it is in the local store).
    alice.ok("TIMLogout", json!({})).await;
    alice.login("alice", &srv.usersig("alice")).await;
    assert_eq!(alice.conv("bob").await.unwrap()["conv_is_has_draft"], true);
    let r = alice.call("TIMConvCancelDraft", json!({"conv_id": "bob", "conv_type": 1})).await;
    assert_eq!(r.code, 0);
    let c = alice.conv("bob").await.unwrap();
    assert_eq!(c["conv_is_has_draft"], false);
    assert!(c.get("conv_draft").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_unread_counts_and_read_receipts() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    for i in 0..3 {
        alice.send_text("bob", 1, &format!("r{i}")).await;
    }
    bob.recv_texts(3).await;
    eventually("bob has 3 unread", || async { bob.conv("alice").await.is_some_and(|c| c["conv_unread_num"] == 3) })
        .await;
    let total = bob.ok("TIMConvGetTotalUnreadMessageCount", json!({})).await;
    assert_eq!(total["conv_get_total_unread_message_count_result_unread_count"], 3);
    bob.ok("TIMMsgReportReaded", json!({"conv_id": "alice", "conv_type": 1, "json_msg_param": ""})).await;
    assert_eq!(bob.conv("alice").await.unwrap()["conv_unread_num"], 0);
    // Alice is told, and her messages now show as peer-read.
    let e = alice.wait_for("read receipt", |e| matches!(e, SdkEvent::MsgReadedReceipt(_))).await;
    let SdkEvent::MsgReadedReceipt(rs) = e else { unreachable!() };
    assert_eq!(rs[0].msg_receipt_conv_id, "bob");
    assert_eq!(rs[0].msg_receipt_conv_type, 1);
    assert!(rs[0].msg_receipt_time_stamp > 0);
    let mine = alice.messages("bob", 1, json!({"msg_getmsglist_param_count": 10})).await;
    assert!(mine.iter().all(|m| m["message_is_peer_read"] == true), "{mine:?}");
    // Mark-all-read clears every conversation.
    let carol = srv.client("carol").await;
    carol.send_text("bob", 1, "from carol").await;
    alice.send_text("bob", 1, "again").await;
    eventually("bob has 2 unread", || async {
        bob.ok("TIMConvGetTotalUnreadMessageCount", json!({})).await
            ["conv_get_total_unread_message_count_result_unread_count"]
            == 2
    })
    .await;
    bob.ok("TIMMsgMarkAllMessageAsRead", json!({})).await;
    assert_eq!(
        bob.ok("TIMConvGetTotalUnreadMessageCount", json!({})).await
            ["conv_get_total_unread_message_count_result_unread_count"],
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_revoke_inside_and_outside_the_window() {
    let srv = TestServer::start_with(|c| c.revoke_window = std::time::Duration::from_secs(2)).await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let m = alice.send_text("bob", 1, "oops").await;
    bob.recv_texts(1).await;
    // Only the sender may revoke a C2C message.
    let r = bob.call("TIMMsgRevoke", json!({"conv_id": "alice", "conv_type": 1, "json_msg_param": m})).await;
    assert_eq!(r.code, 10032);
    alice.ok("TIMMsgRevoke", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": m})).await;
    let e = bob.wait_for("revoke", |e| matches!(e, SdkEvent::MsgRevoke(_))).await;
    let SdkEvent::MsgRevoke(locs) = e else { unreachable!() };
    assert_eq!(locs[0].message_locator_conv_id, "alice");
    assert!(locs[0].message_locator_is_revoked);
    assert_eq!(locs[0].message_locator_seq, m["message_seq"].as_u64().unwrap());
    assert_eq!(locs[0].message_locator_unique_id, m["message_unique_id"].as_u64().unwrap());
    let bm = bob.ok("TIMMsgFindMessages", json!({"json_message_id_array": [m["message_msg_id"]]})).await;
    assert_eq!(bm[0]["message_status"], 6, "revoked on the receiver");
    let am = alice.ok("TIMMsgFindMessages", json!({"json_message_id_array": [m["message_msg_id"]]})).await;
    assert_eq!(am[0]["message_status"], 6, "revoked on the sender");
    // Outside the window: refused with the C2C code.
    let late = alice.send_text("bob", 1, "too late").await;
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let r = alice.call("TIMMsgRevoke", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": late})).await;
    assert_eq!(r.code, 20016);
    // The window is the server's, told at login, so that a UI offers only what it will accept.
    let info = alice.ok("ConfabServerInfo", json!({})).await;
    assert_eq!(info["json"]["revoke_window"], 2);
    let server_time = info["json"]["server_time"].as_u64().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(server_time.abs_diff(now) <= 2, "the server's clock: {server_time} vs {now}");
    alice.ok("TIMLogout", json!({})).await;
    let r = alice.call("ConfabServerInfo", json!({})).await;
    assert_eq!(r.code, 6014, "not logged in: {}", r.desc);
}

/// The revoke callback's locators for message `seq` of a conversation, waited for.
async fn revoke_locator(c: &confab_tests::TestClient, what: &str, seq: u64) -> confab_protocol::MsgLocator {
    let e = c
        .wait_for(what, |e| matches!(e, SdkEvent::MsgRevoke(ls) if ls.iter().any(|l| l.message_locator_seq == seq)))
        .await;
    let SdkEvent::MsgRevoke(ls) = e else { unreachable!() };
    ls.into_iter().find(|l| l.message_locator_seq == seq).unwrap()
}

/// A message as `c` finds it locally (TIMMsgFindMessages).
async fn find_msg(c: &confab_tests::TestClient, m: &serde_json::Value) -> serde_json::Value {
    let found = c.ok("TIMMsgFindMessages", json!({"json_message_id_array": [m["message_msg_id"]]})).await;
    found[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_revoker_admin_recall_and_own_recall() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let dave = srv.client("dave").await;
    bob.ok("TIMProfileModifySelfUserProfile", json!({"json_modify_self_user_profile_param": {"user_profile_item_nick_name": "Bob B.", "user_profile_item_face_url": "https://example.invalid/b.png"}}))
        .await;
    // A public group: alice owns it, bob is an admin, carol and dave are members.
    let created = alice
        .ok(
            "TIMGroupCreate",
            json!({"json_group_create_param": {
                "create_group_param_group_name": "recalls",
                "create_group_param_group_type": 0,
                "create_group_param_group_member_array": [
                    {"group_member_info_identifier": "bob", "group_member_info_member_role": 300},
                    {"group_member_info_identifier": "carol", "group_member_info_member_role": 200},
                    {"group_member_info_identifier": "dave", "group_member_info_member_role": 200}]}}),
        )
        .await;
    let gid = created["create_group_result_groupid"].as_str().unwrap().to_string();
    let spam = carol.send_text(&gid, 2, "spam").await;
    let seq = spam["message_seq"].as_u64().unwrap();
    for c in [&alice, &bob, &dave] {
        eventually("the member has carol's message", || async {
            c.ok("TIMMsgFindMessages", json!({"json_message_id_array": [spam["message_msg_id"]]}))
                .await
                .as_array()
                .is_some_and(|a| a.len() == 1)
        })
        .await;
    }
    // dave is away during the recall.
    dave.ok("TIMLogout", json!({})).await;
    let _ = dave.drain().await;
    bob.ok("TIMMsgRevoke", json!({"conv_id": gid, "conv_type": 2, "json_msg_param": spam})).await;
    // Every online member's revoke callback names the admin, not the sender.
    for (c, who) in [(&alice, "alice"), (&bob, "bob"), (&carol, "carol")] {
        let l = revoke_locator(c, &format!("{who}'s revoke callback"), seq).await;
        assert!(l.message_locator_is_revoked);
        assert_eq!(l.message_revoker_user_id, "bob", "{who}: the admin revoked it");
        assert_eq!(l.message_revoker_nick_name, "Bob B.", "{who}: the admin's nick name");
        assert_eq!(l.message_revoker_face_url, "https://example.invalid/b.png", "{who}: the admin's face");
        assert_eq!(l.message_revoke_reason, "");
        let json = serde_json::to_value(&l).unwrap();
        assert_eq!(json["message_revoker_user_id"], "bob", "{who}: the TIM key on the callback's JSON");
        assert!(json.get("message_revoke_reason").is_none(), "an empty reason is left out");
    }
    // The message read back locally carries the revoker on every device.
    for (c, who) in [(&alice, "alice"), (&bob, "bob"), (&carol, "carol")] {
        eventually(&format!("{who} stores the revoker"), || async {
            let m = find_msg(c, &spam).await;
            m["message_status"] == 6
                && m["message_revoker_user_id"] == "bob"
                && m["message_revoker_nick_name"] == "Bob B."
                && m["message_revoker_face_url"] == "https://example.invalid/b.png"
        })
        .await;
    }
    let local = carol.messages(&gid, 2, json!({"msg_getmsglist_param_count": 10})).await;
    let got = local.iter().find(|m| m["message_msg_id"] == spam["message_msg_id"]).expect("in carol's local list");
    assert_eq!((got["message_status"].as_u64(), got["message_revoker_user_id"].as_str()), (Some(6), Some("bob")));
    assert_eq!(got["message_sender"], "carol", "the sender stays the sender");
    // Roaming history: a new device of alice (another platform, so the first stays online)
    // that replays no inbox learns it from the server.
    let alice2 = confab_tests::TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| {
        o.fresh_sync_window = 0;
        o.platform = Some(confab_protocol::enums::platform::ANDROID);
    });
    alice2.login("alice", &srv.usersig("alice")).await;
    let roam = alice2
        .messages(&gid, 2, json!({"msg_getmsglist_param_count": 20, "msg_getmsglist_param_is_remble": true}))
        .await;
    let got = roam.iter().find(|m| m["message_msg_id"] == spam["message_msg_id"]).expect("in roaming history");
    assert_eq!(got["message_status"], 6);
    assert_eq!(got["message_revoker_user_id"], "bob");
    assert_eq!(got["message_revoker_nick_name"], "Bob B.");
    alice2.ok("TIMLogout", json!({})).await;
    // dave comes back: the missed recall arrives with its revoker and his copy learns it.
    dave.login("dave", &srv.usersig("dave")).await;
    let l = revoke_locator(&dave, "dave's missed revoke", seq).await;
    assert_eq!((l.message_revoker_user_id.as_str(), l.message_revoker_nick_name.as_str()), ("bob", "Bob B."));
    let m = find_msg(&dave, &spam).await;
    assert_eq!((m["message_status"].as_u64(), m["message_revoker_user_id"].as_str()), (Some(6), Some("bob")));
    // A member recalling her own message is the revoker herself.
    let mine = carol.send_text(&gid, 2, "typo").await;
    let seq2 = mine["message_seq"].as_u64().unwrap();
    for c in [&alice, &bob, &dave] {
        eventually("the member has carol's second message", || async {
            c.ok("TIMMsgFindMessages", json!({"json_message_id_array": [mine["message_msg_id"]]}))
                .await
                .as_array()
                .is_some_and(|a| a.len() == 1)
        })
        .await;
    }
    carol.ok("TIMMsgRevoke", json!({"conv_id": gid, "conv_type": 2, "json_msg_param": mine})).await;
    for (c, who) in [(&alice, "alice"), (&bob, "bob"), (&carol, "carol"), (&dave, "dave")] {
        let l = revoke_locator(c, &format!("{who}'s callback for carol's own recall"), seq2).await;
        assert_eq!(l.message_revoker_user_id, "carol", "{who}");
        let m = find_msg(c, &mine).await;
        assert_eq!((m["message_status"].as_u64(), m["message_revoker_user_id"].as_str()), (Some(6), Some("carol")));
    }
    // A message nobody revoked carries no revoker keys at all.
    let plain = alice.send_text(&gid, 2, "fine").await;
    assert!(plain.get("message_revoker_user_id").is_none());
    let m = find_msg(&alice, &plain).await;
    assert!(m.get("message_revoker_user_id").is_none() && m.get("message_revoke_reason").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_content_hook_rewrites_and_sender_is_told() {
    let srv = TestServer::start_with(|c| c.word_filter = vec!["darn".into()]).await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let sent = alice.send_text("bob", 1, "well darn it").await;
    assert_eq!(text_of(&sent), "well **** it", "the send result is the stored message");
    let e = alice.wait_for("message update", |e| matches!(e, SdkEvent::MsgUpdate(_))).await;
    let SdkEvent::MsgUpdate(ms) = e else { unreachable!() };
    assert_eq!(text_of(&serde_json::to_value(&ms[0]).unwrap()), "well **** it");
    assert_eq!(bob.recv_texts(1).await, vec!["well **** it"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_order_kept_for_pipelined_sends() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    // Fire 50 sends without waiting for each answer; the SDK keeps call order.
    let mut pending = Vec::new();
    for i in 0..50 {
        let inv = alice
            .sdk
            .call("TIMMsgSendMessage", &json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": format!("p{i}")}]}}))
            .await;
        assert_eq!(inv.result, 0);
        pending.push(inv.callback.unwrap());
    }
    for (i, cb) in pending.into_iter().enumerate() {
        let r = cb.await;
        assert_eq!(r.code, 0);
        assert_eq!(r.json["message_seq"], i as u64 + 1);
    }
    assert_eq!(bob.recv_texts(50).await, (0..50).map(|i| format!("p{i}")).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_group_time_window_paging() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    alice
        .ok("TIMGroupCreate", json!({"json_group_create_param": {"create_group_param_group_name": "w", "create_group_param_group_id": "win", "create_group_param_group_type": 1}}))
        .await;
    // Messages at known times (imported locally), then a window query by time.
    let msgs: Vec<serde_json::Value> = (0..10)
        .map(|i| json!({"message_sender": "alice", "message_server_time": 1_700_000_000 + i * 100, "message_elem_array": [{"elem_type": 0, "text_elem_content": format!("t{i}")}]}))
        .collect();
    alice.ok("TIMMsgImportMsgList", json!({"conv_id": "win", "conv_type": 2, "json_msg_array": msgs})).await;
    let page = alice
        .messages("win", 2, json!({"msg_getmsglist_param_time_begin": 1_700_000_200u64, "msg_getmsglist_param_time_period": 300, "msg_getmsglist_param_count": 10, "msg_getmsglist_param_is_forward": true}))
        .await;
    assert_eq!(page.iter().map(text_of).collect::<Vec<_>>(), vec!["t2", "t3", "t4"]);
    let page = alice
        .messages("win", 2, json!({"msg_getmsglist_param_time_begin": 1_700_000_500u64, "msg_getmsglist_param_count": 2, "msg_getmsglist_param_is_forward": true}))
        .await;
    assert_eq!(page.iter().map(text_of).collect::<Vec<_>>(), vec!["t5", "t6"]);
}
