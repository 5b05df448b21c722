//! Conversations, conversation events, profiles, SetConfig and the log callback.
use confab_core::SdkEvent;
use confab_protocol::enums::conv_event;
use confab_tests::{eventually, text_of, TestClient, TestServer};
use serde_json::json;

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
