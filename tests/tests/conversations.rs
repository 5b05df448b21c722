//! Conversations, conversation events, profiles, SetConfig and the log callback.
use confab_core::SdkEvent;
use confab_protocol::enums::conv_event;
use confab_tests::{eventually, text_of, TestClient, TestServer};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_conv_create_delete_and_events() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let c = alice.ok("TIMConvCreate", json!({"conv_id": "bob", "conv_type": 1})).await;
    assert_eq!(c["conv_id"], "bob");
    assert_eq!(c["conv_type"], 1);
    assert_eq!(c["conv_is_has_lastmsg"], false);
    let e = alice
        .wait_for("conv add", |e| matches!(e, SdkEvent::ConvEvent { event, .. } if *event == conv_event::ADD))
        .await;
    let SdkEvent::ConvEvent { convs, .. } = e else { unreachable!() };
    assert_eq!(convs.unwrap()[0].conv_id, "bob");
    // Creating it again returns the same conversation and fires no second Add.
    alice.ok("TIMConvCreate", json!({"conv_id": "bob", "conv_type": 1})).await;
    assert!(!alice
        .drain()
        .await
        .iter()
        .any(|e| matches!(e, SdkEvent::ConvEvent { event, .. } if *event == conv_event::ADD)));
    // A new message updates it.
    srv.client("bob").await;
    alice.send_text("bob", 1, "first").await;
    let e = alice
        .wait_for("conv update with last message", |e| {
            matches!(e, SdkEvent::ConvEvent { event, convs: Some(c) } if *event == conv_event::UPDATE
                && c[0].conv_last_msg.as_ref().is_some_and(|m| m.message_status == 2))
        })
        .await;
    let SdkEvent::ConvEvent { convs, .. } = e else { unreachable!() };
    assert_eq!(text_of(&serde_json::to_value(convs.unwrap()[0].conv_last_msg.as_ref().unwrap()).unwrap()), "first");
    // Delete: gone from the list, Del event.
    alice.ok("TIMConvDelete", json!({"conv_id": "bob", "conv_type": 1})).await;
    alice.wait_for("conv del", |e| matches!(e, SdkEvent::ConvEvent { event, .. } if *event == conv_event::DEL)).await;
    assert!(alice.conv("bob").await.is_none());
    // The list is ordered by activity, newest first.
    srv.client("carol").await;
    alice.send_text("carol", 1, "to carol").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    alice.send_text("bob", 1, "to bob").await;
    let list = alice.convs().await;
    let ids: Vec<&str> = list.iter().map(|c| c["conv_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["bob", "carol"]);
    let info = alice
        .ok("TIMConvGetConvInfo", json!({"json_get_conv_list_param": [{"get_conversation_list_param_conv_id": "carol", "get_conversation_list_param_conv_type": 1}]}))
        .await;
    assert_eq!(info[0]["conv_id"], "carol");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_profiles_and_show_names() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    alice
        .ok("TIMProfileModifySelfUserProfile", json!({"json_modify_self_user_profile_param": {"user_profile_item_nick_name": "Alice A.", "user_profile_item_face_url": "https://example.invalid/a.png"}}))
        .await;
    let p = bob
        .ok("TIMProfileGetUserProfileList", json!({"json_get_user_profile_list_param": {"friendship_getprofilelist_param_identifier_array": ["alice", "nobody"]}}))
        .await;
    assert_eq!(p.as_array().unwrap().len(), 1, "unknown users are left out");
    assert_eq!(p[0]["user_profile_identifier"], "alice");
    assert_eq!(p[0]["user_profile_nick_name"], "Alice A.");
    assert_eq!(p[0]["user_profile_face_url"], "https://example.invalid/a.png");
    // The sender profile travels with messages and names the receiver's conversation.
    alice.send_text("bob", 1, "hi").await;
    bob.recv_texts(1).await;
    eventually("bob's conversation shows alice's nickname", || async {
        bob.conv("alice")
            .await
            .is_some_and(|c| c["conv_show_name"] == "Alice A." && c["conv_face_url"] == "https://example.invalid/a.png")
    })
    .await;
    let too_long = "n".repeat(65);
    let r = alice
        .call(
            "TIMProfileModifySelfUserProfile",
            json!({"json_modify_self_user_profile_param": {"user_profile_item_nick_name": too_long}}),
        )
        .await;
    assert_eq!(r.code, 40001);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_set_config_version_server_time_and_log_callback() {
    let srv = TestServer::start().await;
    let c = TestClient::new(&srv, tempfile::tempdir().unwrap());
    let v = c.ok("TIMGetSDKVersion", json!({})).await;
    assert_eq!(v["json"], env!("CARGO_PKG_VERSION"));
    let eff = c
        .ok("TIMSetConfig", json!({"json_config": {"set_config_callback_log_level": 4, "set_config_user_config": {"user_config_is_read_receipt": true}}}))
        .await;
    assert_eq!(eff["set_config_callback_log_level"], 4);
    assert_eq!(eff["set_config_user_config"]["user_config_is_read_receipt"], true);
    // A second SetConfig merges.
    let eff = c.ok("TIMSetConfig", json!({"json_config": {"set_config_log_level": 5}})).await;
    assert_eq!(eff["set_config_callback_log_level"], 4);
    assert_eq!(eff["set_config_log_level"], 5);
    c.login("alice", &srv.usersig("alice")).await;
    let e = c.wait_for("log line", |e| matches!(e, SdkEvent::Log { .. })).await;
    let SdkEvent::Log { level, log } = e else { unreachable!() };
    assert_eq!(level, 4);
    assert!(log.contains("login"), "{log}");
    assert!(!log.contains("alice"), "logs carry no user data");
    let t = c.ok("TIMGetServerTime", json!({})).await["json"].as_u64().unwrap();
    let now = confab_server::config::now_secs();
    assert!(t.abs_diff(now) <= 2, "server time {t} vs {now}");
    // Uninit ends everything; calls are refused until the next TIMInit.
    c.ok("TIMUninit", json!({})).await;
    assert_eq!(c.call("TIMConvGetConvList", json!({})).await.code, -1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_system_conversation_holds_group_reports() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let carol = srv.client("carol").await;
    let gid = alice
        .ok("TIMGroupCreate", json!({"json_group_create_param": {"create_group_param_group_name": "work", "create_group_param_group_type": 1}}))
        .await["create_group_result_groupid"]
        .as_str()
        .unwrap()
        .to_string();
    alice
        .ok("TIMGroupInviteMember", json!({"json_group_invite_param": {"group_invite_member_param_group_id": gid, "group_invite_member_param_identifier_array": ["carol"]}}))
        .await;
    // carol is told in the system conversation (type 3, id "").
    eventually("carol has the system conversation", || async {
        carol.convs().await.iter().any(|c| c["conv_type"] == 3 && c["conv_id"] == "")
    })
    .await;
    let list =
        carol.messages("", 3, json!({"msg_getmsglist_param_count": 10, "msg_getmsglist_param_is_remble": true})).await;
    let report = list.iter().find(|m| m["message_elem_array"][0]["elem_type"] == 8).expect("a group report");
    assert_eq!(report["message_sender"], "@TIM#SYSTEM");
    assert_eq!(report["message_elem_array"][0]["group_report_elem_group_id"], json!(gid));
    assert_eq!(report["message_elem_array"][0]["group_report_elem_report_type"], 7, "invited");
    carol.ok("TIMMsgReportReaded", json!({"conv_id": "", "conv_type": 3})).await;
    assert!(carol.convs().await.iter().filter(|c| c["conv_type"] == 3).all(|c| c["conv_unread_num"] == 0));
    // It cannot be sent to.
    let r = carol.call("TIMMsgSendMessage", json!({"conv_id": "", "conv_type": 3, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "x"}]}})).await;
    assert_eq!(r.code, -5);
}

/// TIMConvPinConversation: a pin made on one device reaches the user's other device live (and a
/// device that was away at its next login); pinned conversations carry `conv_is_pinned` and bit
/// 62 in `conv_active_time`, so they sort first; unpinning undoes both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_pin_conversation_syncs_across_devices_and_sorts_first() {
    const PINNED: u64 = 1 << 62;
    let srv = TestServer::start().await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let alice = srv.client("alice").await;
    // alice's second device, on another platform so both stay online.
    let alice2 = TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| {
        o.platform = Some(confab_protocol::enums::platform::ANDROID)
    });
    alice2.login("alice", &srv.usersig("alice")).await;
    // Two conversations on both devices; carol's is the most recent.
    bob.send_text("alice", 1, "from bob").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    carol.send_text("alice", 1, "from carol").await;
    for dev in [&alice, &alice2] {
        eventually("both conversations", || async {
            dev.convs().await.iter().map(|c| c["conv_id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
                == ["carol", "bob"]
        })
        .await;
    }
    // Pinning a conversation this device does not have fails.
    let r = alice.call("TIMConvPinConversation", json!({"conv_id": "nobody", "conv_type": 1, "is_pinned": true})).await;
    assert_eq!(r.code, confab_protocol::codes::ERR_INVALID_CONVERSATION);

    alice.ok("TIMConvPinConversation", json!({"conv_id": "bob", "conv_type": 1, "is_pinned": true})).await;
    let bob_conv = alice.conv("bob").await.unwrap();
    assert_eq!(bob_conv["conv_is_pinned"], true);
    assert!(bob_conv["conv_active_time"].as_u64().unwrap() & PINNED != 0, "bit 62 set when pinned");
    let ids =
        |l: Vec<serde_json::Value>| l.iter().map(|c| c["conv_id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(ids(alice.convs().await), ["bob", "carol"], "pinned first");
    // The list (one query for every conversation) and TIMConvGetConvInfo agree.
    let info = alice
        .ok(
            "TIMConvGetConvInfo",
            json!({"json_get_conv_list_param": [
            {"get_conversation_list_param_conv_id": "bob", "get_conversation_list_param_conv_type": 1},
            {"get_conversation_list_param_conv_id": "carol", "get_conversation_list_param_conv_type": 1}]}),
        )
        .await;
    assert_eq!(info, serde_json::Value::Array(alice.convs().await));
    // The other device hears of it live, with a conversation update.
    alice2
        .wait_for("pinned update on the other device", |e| {
            matches!(e, SdkEvent::ConvEvent { event, convs: Some(c) }
                if *event == conv_event::UPDATE && c[0].conv_id == "bob" && c[0].conv_is_pinned)
        })
        .await;
    let on2 = alice2.conv("bob").await.unwrap();
    assert_eq!(on2["conv_is_pinned"], true);
    assert!(on2["conv_active_time"].as_u64().unwrap() & PINNED != 0);
    assert_eq!(ids(alice2.convs().await), ["bob", "carol"]);
    // A newer message in carol's conversation does not move it above the pinned one.
    carol.send_text("alice", 1, "again").await;
    eventually("carol's new message on device 2", || async {
        alice2.conv("carol").await.is_some_and(|c| text_of(&c["conv_last_msg"]) == "again")
    })
    .await;
    assert_eq!(ids(alice2.convs().await), ["bob", "carol"]);

    // Unpin on the second device: both devices see it, the order is by activity again.
    alice2.ok("TIMConvPinConversation", json!({"conv_id": "bob", "conv_type": 1, "is_pinned": false})).await;
    assert_eq!(ids(alice2.convs().await), ["carol", "bob"]);
    eventually("unpinned on device 1", || async { alice.conv("bob").await.unwrap()["conv_is_pinned"] == false }).await;
    assert!(alice.conv("bob").await.unwrap()["conv_active_time"].as_u64().unwrap() & PINNED == 0);
    assert_eq!(ids(alice.convs().await), ["carol", "bob"]);

    // A device that was away catches up at login: device 2 logs out, device 1 pins carol,
    // device 2 logs in again and sees the pin.
    alice2.ok("TIMLogout", json!({})).await;
    alice.ok("TIMConvPinConversation", json!({"conv_id": "carol", "conv_type": 1, "is_pinned": true})).await;
    alice2.login("alice", &srv.usersig("alice")).await;
    let c = alice2.conv("carol").await.unwrap();
    assert_eq!(c["conv_is_pinned"], true, "the pin is read at login");
    // Deleting a pinned conversation unpins it everywhere.
    alice.ok("TIMConvDelete", json!({"conv_id": "carol", "conv_type": 1})).await;
    eventually("unpinned on device 2 after the delete", || async {
        alice2.conv("carol").await.unwrap()["conv_is_pinned"] == false
    })
    .await;
}

/// `conv_group_at_info_array`: a group message whose `message_group_at_user_array` names me
/// (or @all) marks the group conversation until it is read; others' mentions do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_group_at_info_marks_mentions_until_read() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let carol = srv.client("carol").await;
    let gid = alice
        .ok("TIMGroupCreate", json!({"json_group_create_param": {"create_group_param_group_name": "at", "create_group_param_group_type": 1,
            "create_group_param_group_member_array": [{"group_member_info_identifier": "bob"}, {"group_member_info_identifier": "carol"}]}}))
        .await["create_group_result_groupid"]
        .as_str()
        .unwrap()
        .to_string();
    let send = |to: Vec<&str>, text: &str| {
        json!({"conv_id": gid, "conv_type": 2, "json_msg_param": {
            "message_elem_array": [{"elem_type": 0, "text_elem_content": text}], "message_group_at_user_array": to}})
    };
    alice.ok("TIMMsgSendMessage", send(vec!["carol"], "@carol hi")).await;
    let sent = alice.ok("TIMMsgSendMessage", send(vec!["bob"], "@bob look")).await;
    alice.ok("TIMMsgSendMessage", send(vec![confab_protocol::enums::AT_ALL], "@all meeting")).await;
    let at_of = |c: &Value| c["conv_group_at_info_array"].as_array().cloned().unwrap_or_default();
    let group = |list: Vec<Value>| list.into_iter().find(|c| c["conv_id"] == json!(gid));
    eventually("bob sees the @ marks", || async { group(bob.convs().await).is_some_and(|c| at_of(&c).len() == 2) })
        .await;
    let c = group(bob.convs().await).unwrap();
    let ats = at_of(&c);
    assert_eq!(ats[0]["conv_group_at_info_at_type"], 1, "@me");
    assert_eq!(ats[0]["conv_group_at_info_seq"], sent["message_seq"]);
    assert_eq!(ats[1]["conv_group_at_info_at_type"], 2, "@all");
    // The message itself carries the list.
    let list = bob.messages(&gid, 2, json!({"msg_getmsglist_param_count": 10})).await;
    assert!(list.iter().any(|m| m["message_group_at_user_array"] == json!(["bob"])));
    // carol: only @carol and @all; the sender marks nothing for itself.
    eventually("carol sees hers", || async { group(carol.convs().await).is_some_and(|c| at_of(&c).len() == 2) }).await;
    assert!(group(alice.convs().await).is_some_and(|c| at_of(&c).is_empty()));
    // Reading the group clears them (and TIMConvGetConvInfo agrees).
    bob.ok("TIMMsgReportReaded", json!({"conv_id": gid, "conv_type": 2})).await;
    assert!(at_of(&group(bob.convs().await).unwrap()).is_empty());
    let info = bob
        .ok("TIMConvGetConvInfo", json!({"json_get_conv_list_param": [{"get_conversation_list_param_conv_id": gid, "get_conversation_list_param_conv_type": 2}]}))
        .await;
    assert!(at_of(&info[0]).is_empty());
    assert_eq!(crate_at_type(&["bob", confab_protocol::enums::AT_ALL_7X], "bob"), 3);
}

fn crate_at_type(list: &[&str], me: &str) -> u32 {
    confab_core::group_at_type(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>(), me)
}
