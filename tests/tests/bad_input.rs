//! Bad input gets a clear TIM code and loses nothing.
use confab_tests::{TestClient, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_calls_before_init_and_before_login() {
    let srv = TestServer::start().await;
    let sdk = confab_core::Sdk::new(confab_core::SdkOptions::default());
    let inv = sdk.call("TIMConvGetConvList", &json!({})).await;
    assert_eq!(inv.result, -1, "TIM_ERR_SDKUNINIT before TIMInit");
    assert!(inv.callback.is_none(), "no callback when the result is not TIM_SUCC");
    let c = TestClient::new(&srv, tempfile::tempdir().unwrap());
    for (api, params) in [
        ("TIMConvGetConvList", json!({})),
        (
            "TIMMsgSendMessage",
            json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "x"}]}}),
        ),
        ("TIMMsgGetMsgList", json!({"conv_id": "bob", "conv_type": 1, "json_get_msg_param": {}})),
        ("TIMLogout", json!({})),
    ] {
        assert_eq!(c.call(api, params).await.code, 6014, "{api} without login");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_invalid_json_missing_fields_and_bad_conversations() {
    let srv = TestServer::start().await;
    let c = srv.client("alice").await;
    srv.client("bob").await;
    // JSON that does not parse: TIM_ERR_JSON synchronously.
    let r = c.call("TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": "{not json"})).await;
    assert_eq!(r.code, -3);
    // Wrong shape (elements must be an array).
    let r = c
        .call(
            "TIMMsgSendMessage",
            json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": {"message_elem_array": 5}}),
        )
        .await;
    assert_eq!(r.code, -3);
    // A JSON string parameter holding JSON is accepted.
    let r = c
        .call("TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": "{\"message_elem_array\":[{\"elem_type\":0,\"text_elem_content\":\"as string\"}]}"}))
        .await;
    assert_eq!(r.code, 0);
    // Missing fields: 6017.
    let r = c.call("TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": {}})).await;
    assert_eq!(r.code, 6017);
    let r = c.call("TIMMsgSendMessage", json!({"conv_id": "", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "x"}]}})).await;
    assert_eq!(r.code, 6017);
    let r = c.call("TIMLogin", json!({"user_id": "alice"})).await;
    assert_eq!(r.code, 6017, "a login without a UserSig");
    // Elements a client may not send, and too many sound/file elements.
    let r = c
        .call(
            "TIMMsgSendMessage",
            json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 5}]}}),
        )
        .await;
    assert_eq!(r.code, 6016);
    // Too large a body: 8001.
    let big = "x".repeat(9000);
    let r = c.call("TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": big}]}})).await;
    assert_eq!(r.code, 8001);
    // Invalid conversation type: TIM_ERR_CONV synchronously.
    let r = c.call("TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 7, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "x"}]}})).await;
    assert_eq!(r.code, -5);
    // A user that does not exist: the server says so (20003), and the message is marked failed.
    let r = c.call("TIMMsgSendMessage", json!({"conv_id": "nobody", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "hello?"}]}})).await;
    assert_eq!(r.code, 20003);
    let local = c.messages("nobody", 1, json!({})).await;
    assert_eq!(local[0]["message_status"], 3, "kept locally as failed, not lost");
    // Reading or deleting a conversation that does not exist.
    assert_eq!(c.call("TIMConvDelete", json!({"conv_id": "ghost", "conv_type": 1})).await.code, 6004);
    assert_eq!(c.call("TIMMsgReportReaded", json!({"conv_id": "ghost", "conv_type": 1})).await.code, 6004);
    // Unknown API.
    let inv = c.sdk.call("TIMNoSuchThing", &json!({})).await;
    assert_eq!(inv.result, -4);
    // Invalid user ids.
    let r = c.call("TIMLogin", json!({"user_id": "", "user_sig": "x"})).await;
    assert_eq!(r.code, 7003);
    let r = c.call("TIMLogin", json!({"user_id": "a".repeat(33), "user_sig": "x"})).await;
    assert_eq!(r.code, 7003);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_server_refuses_malformed_frames_without_dropping_the_connection() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let srv = TestServer::start().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(srv.url()).await.unwrap();
    ws.send(Message::Text("{garbage".into())).await.unwrap();
    let r: serde_json::Value = serde_json::from_str(ws.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(r["code"], 60003);
    ws.send(Message::Text(
        json!({"id": 9, "type": "send_msg", "conv_type": 1, "conv_id": "x", "msg": {}}).to_string().into(),
    ))
    .await
    .unwrap();
    let r: serde_json::Value = serde_json::from_str(ws.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(r["id"], 9);
    assert_eq!(r["code"], 6014, "requests before login are refused");
    // A sender cannot impersonate: the server takes the sender from the session.
    let login = json!({"id": 1, "type": "login", "sdk_app_id": srv.identity.sdk_app_id, "user_id": "mallory",
                       "user_sig": srv.usersig("mallory"), "platform": 0, "instance_id": "raw"});
    ws.send(Message::Text(login.to_string().into())).await.unwrap();
    let _ = ws.next().await;
    let bob = srv.client("bob").await;
    let send = json!({"id": 2, "type": "send_msg", "conv_type": 1, "conv_id": "bob", "msg": {
        "message_msg_id": "ab-1-cd", "message_sender": "alice", "message_elem_array": [{"elem_type": 0, "text_elem_content": "it's alice, honest"}]}});
    ws.send(Message::Text(send.to_string().into())).await.unwrap();
    loop {
        let r: serde_json::Value = serde_json::from_str(ws.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
        if r["type"] == "response" && r["id"] == 2 {
            assert_eq!(r["code"], 0);
            assert_eq!(r["data"]["message_sender"], "mallory");
            break;
        }
    }
    let e = bob.wait_for("message", |e| matches!(e, confab_core::SdkEvent::RecvNewMsg(_))).await;
    let confab_core::SdkEvent::RecvNewMsg(m) = e else { unreachable!() };
    assert_eq!(m[0].message_sender, "mallory");
    // Reusing someone else's message id is refused.
    let other = bob.send_text("mallory", 1, "mine").await;
    let steal = json!({"id": 3, "type": "send_msg", "conv_type": 1, "conv_id": "bob", "msg": {
        "message_msg_id": other["message_msg_id"], "message_elem_array": [{"elem_type": 0, "text_elem_content": "overwrite"}]}});
    ws.send(Message::Text(steal.to_string().into())).await.unwrap();
    loop {
        let r: serde_json::Value = serde_json::from_str(ws.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
        if r["type"] == "response" && r["id"] == 3 {
            assert_eq!(r["code"], 20001);
            break;
        }
    }
}
