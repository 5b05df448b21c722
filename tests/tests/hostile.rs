//! Hostile clients: what a client that does not play by the rules can and cannot do to the
//! server or to other users (the High and Medium findings of the reliability and security
//! review). Each test fails on the build before its fix.
use confab_core::content_id;
use confab_tests::{media_put, RawClient, TestServer};
use serde_json::json;

/// S-1: a sender cannot make a receiver's SDK read a file of the receiver's disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_local_paths_never_reach_a_receiver() {
    let srv = TestServer::start().await;
    let mallory = RawClient::login(&srv, "mallory").await;
    let bob = srv.client("bob").await;
    // A media element without its content id, naming a file: refused.
    let steal = json!({"elem_type": 4, "file_elem_file_id": "", "file_elem_file_path": "/etc/passwd",
                       "file_elem_file_name": "report.pdf"});
    let r = mallory
        .call(json!({"type": "send_msg", "conv_type": 1, "conv_id": "bob",
                     "msg": {"message_msg_id": "s-1-a", "message_elem_array": [steal]}}))
        .await;
    assert_eq!(r["code"], confab_protocol::codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT, "{r}");
    // A real upload with paths beside its ids (in the element and in a merged record): the
    // paths are gone before anyone sees the message.
    let data = b"quarterly figures".to_vec();
    let cid = content_id(&data);
    assert_eq!(media_put(&srv, "mallory", "file", &cid, 0, data.len() as u64, &data).await.1["done"], true);
    let file = json!({"elem_type": 4, "file_elem_file_id": cid, "file_elem_file_name": "report.pdf",
                      "file_elem_file_size": data.len(), "file_elem_file_path": "/etc/passwd"});
    let merged = json!({"elem_type": 12, "merge_elem_title": "chat", "merge_elem_abstract_array": ["a"],
        "merge_elem_compatible_text": "x", "merge_elem_message_array": [{"message_msg_id": "in-1-a",
        "message_elem_array": [{"elem_type": 1, "image_elem_orig_path": "/home/bob/.ssh/id_ed25519"}]}]});
    let r = mallory
        .call(json!({"type": "send_msg", "conv_type": 1, "conv_id": "bob",
                     "msg": {"message_msg_id": "s-2-a", "message_elem_array": [file, merged]}}))
        .await;
    assert_eq!(r["code"], 0, "{r}");
    assert!(!r.to_string().contains("/etc/passwd") && !r.to_string().contains("id_ed25519"), "{r}");
    let got = bob.recv_texts(1).await;
    assert_eq!(got.len(), 1);
    let list = bob.messages("mallory", 1, json!({})).await;
    let text = serde_json::to_string(&list).unwrap();
    assert!(!text.contains("/etc/passwd") && !text.contains("id_ed25519"), "bob's copy carries no path: {text}");
}

fn login_frame(srv: &TestServer, user: &str, platform: u32, instance: &str) -> serde_json::Value {
    json!({"type": "login", "sdk_app_id": srv.identity.sdk_app_id, "user_id": user,
           "user_sig": srv.usersig(user), "platform": platform, "instance_id": instance})
}

/// R7 / S-7: concurrent logins of one user on one platform leave exactly one live session, and
/// a kicked connection is not served any more, even when its client does not read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_concurrent_logins_leave_exactly_one_live_session() {
    let srv = TestServer::start().await;
    for round in 0..50 {
        let user = format!("racer{round}");
        let conns = futures_util::future::join_all((0..8).map(|_| RawClient::connect(&srv))).await;
        let wait = std::time::Duration::from_millis(1500);
        // A login displaced by a racing one may end before its answer (its client is told it
        // was kicked); none may be refused for another reason.
        let logins =
            conns.iter().enumerate().map(|(i, c)| c.try_call(login_frame(&srv, &user, 2, &format!("dev-{i}")), wait));
        let answers = futures_util::future::join_all(logins).await;
        assert!(answers.iter().flatten().all(|r| r["code"] == 0), "round {round}: {answers:?}");
        let checks = conns.iter().map(|c| c.try_call(json!({"type": "sync", "after": 0}), wait));
        let live = futures_util::future::join_all(checks)
            .await
            .into_iter()
            .filter(|r| r.as_ref().is_some_and(|r| r["code"] == 0))
            .count();
        assert_eq!(live, 1, "round {round}: exactly one session is served");
    }
}

/// S-7: a connection that is kicked while its client does not read stops being served at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_kicked_connection_that_does_not_read_is_not_served() {
    use futures_util::{SinkExt, StreamExt};
    let srv = TestServer::start().await;
    // The first device: a raw socket with a tiny receive window whose client will not read.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let tcp = sock.connect(srv.running().addr).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(srv.url(), tcp).await.unwrap();
    let mut login = login_frame(&srv, "kate", 2, "old");
    login["id"] = json!(1);
    ws.send(tokio_tungstenite::tungstenite::Message::Text(login.to_string().into())).await.unwrap();
    let r = ws.next().await.unwrap().unwrap();
    assert!(r.to_text().unwrap().contains("\"code\":0"), "{r}");
    // Fill what sits between the server and this client, so nothing more reaches it.
    let mallet = RawClient::login(&srv, "mallet").await;
    let big = "k".repeat(11 * 1024);
    for i in 0..600 {
        let f = json!({"type": "send_msg", "conv_type": 1, "conv_id": "kate",
                       "msg": {"message_msg_id": format!("k-{i}-a"), "message_elem_array": [{"elem_type": 0, "text_elem_content": big}]}});
        assert_eq!(mallet.call(f).await["code"], 0);
    }
    // Another device takes the platform.
    let new = RawClient::connect(&srv).await;
    assert_eq!(new.call(login_frame(&srv, "kate", 2, "new")).await["code"], 0);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // The old connection asks for something: it must not be served as kate any more.
    let sync = json!({"id": 99, "type": "send_msg", "conv_type": 1, "conv_id": "mallet",
                      "msg": {"message_msg_id": "k-x-a", "message_elem_array": [{"elem_type": 0, "text_elem_content": "still me"}]}});
    let _ = ws.send(tokio_tungstenite::tungstenite::Message::Text(sync.to_string().into())).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got: Vec<serde_json::Value> = mallet.pushed_msgs();
    assert!(!got.iter().any(|m| confab_tests::text_of(m) == "still me"), "the kicked connection sent a message");
}

/// A write job that panics fails alone: the writer lives on, and /healthz says so truthfully.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_panicking_write_job_does_not_kill_the_writer() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let _bob = srv.client("bob").await;
    assert!(srv.running().panic_in_a_write_job().await);
    assert!(srv.running().panic_in_a_write_job().await);
    let m = alice.send_text("bob", 1, "after the panic").await;
    assert!(m["message_seq"].as_u64().unwrap() > 0);
    let health = confab_core::http::get(&srv.url(), "/healthz", &[]).await.unwrap();
    assert_eq!(health.status, 200);
}
