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

/// S-4: sockets that never finish a request head, WebSockets that never log in and one
/// connection over the cap are all dealt with, and a real client still gets in afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_exhaustion_is_bounded() {
    use std::sync::atomic::Ordering::SeqCst;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    // Short deadlines so the test is quick (10 s each by default).
    let srv = TestServer::start_with(|c| {
        c.max_connections = 16;
        c.header_timeout = Duration::from_secs(4);
        c.login_timeout = Duration::from_secs(4);
    })
    .await;
    let addr = srv.running().addr;
    // Every slot taken: 12 slowloris sockets (a request head begun, never finished) and four
    // WebSockets that never log in.
    let mut slow = Vec::new();
    for _ in 0..12 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: confab\r\n").await.unwrap();
        slow.push(s);
    }
    let idle_ws = futures_util::future::join_all((0..4).map(|_| RawClient::connect(&srv))).await;
    // One more is refused at once with a clear answer, not left hanging.
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), extra.read_to_end(&mut buf))
        .await
        .expect("the refusal comes at once")
        .unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 503") && text.contains("too many connections"), "{text}");
    // The deadlines close what was held.
    let started = std::time::Instant::now();
    for mut s in slow {
        let mut b = Vec::new();
        let r = tokio::time::timeout(Duration::from_secs(8), s.read_to_end(&mut b)).await;
        assert!(r.is_ok(), "a socket without a full request head is open after {:?}", started.elapsed());
    }
    confab_tests::eventually("WebSockets without a login are closed", || async {
        idle_ws.iter().all(|c| c.closed.load(SeqCst))
    })
    .await;
    // The slots are free again: real clients log in and chat.
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    alice.send_text("bob", 1, "still here").await;
    assert_eq!(bob.recv_texts(1).await, vec!["still here".to_string()]);
}

/// POST `/api/{path}` with `body`, as a proxy on this host would forward it for `from`.
async fn http_post(srv: &TestServer, path: &str, from: &str, body: &serde_json::Value) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = body.to_string();
    let mut s = tokio::net::TcpStream::connect(srv.running().addr).await.unwrap();
    let head = format!(
        "POST /api/{path} HTTP/1.1\r\nHost: confab\r\nContent-Type: application/json\r\n\
         X-Forwarded-For: {from}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    let (status, json) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    serde_json::from_str(json).unwrap_or_else(|_| json!({"http": status.lines().next()}))
}

/// S-5 / S-9: password guessing is throttled per account and host (counted before the hash
/// check, so parallel guesses cannot all pass) and per host; the owner on another host still
/// gets in; ids that cannot exist are answered without being kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_password_guessing_is_throttled_and_bounded() {
    use confab_protocol::codes::{ERR_SVR_ACCOUNT_FREQ_LIMIT, ERR_SVR_ACCOUNT_INVALID_PARAMETERS};
    let srv = TestServer::start().await;
    let creds = |user: &str, pw: &str| json!({"user_id": user, "password": pw, "nick_name": ""});
    let r = http_post(&srv, "register", "192.0.2.50", &creds("bob", "correct horse")).await;
    assert_eq!(r["code"], 0, "{r}");
    // 20 guesses at once from one host: 5 are checked, the rest refused unchecked.
    let bodies: Vec<_> = (0..20).map(|i| creds("bob", &format!("guess {i}"))).collect();
    let guesses = futures_util::future::join_all(bodies.iter().map(|b| http_post(&srv, "login", "192.0.2.1", b))).await;
    let checked = guesses.iter().filter(|r| r["code"] == ERR_SVR_ACCOUNT_INVALID_PARAMETERS).count();
    let limited = guesses.iter().filter(|r| r["code"] == ERR_SVR_ACCOUNT_FREQ_LIMIT).count();
    assert_eq!((checked, limited), (5, 15), "{guesses:?}");
    // That host is refused even with the right password; the owner elsewhere gets in.
    let r = http_post(&srv, "login", "192.0.2.1", &creds("bob", "correct horse")).await;
    assert_eq!(r["code"], ERR_SVR_ACCOUNT_FREQ_LIMIT, "{r}");
    let r = http_post(&srv, "login", "198.51.100.7", &creds("bob", "correct horse")).await;
    assert_eq!(r["code"], 0, "{r}");
    assert!(r["user_sig"].as_str().is_some_and(|s| !s.is_empty()), "{r}");
    // A host trying many accounts is stopped too (unknown ids cost the same check).
    let mut answers = Vec::new();
    for i in 0..70 {
        answers.push(
            http_post(&srv, "login", "203.0.113.9", &creds(&format!("nobody{i}"), "123456")).await["code"].clone(),
        );
    }
    assert!(answers[..60].iter().all(|c| *c == ERR_SVR_ACCOUNT_INVALID_PARAMETERS), "{answers:?}");
    assert!(answers[60..].iter().all(|c| *c == ERR_SVR_ACCOUNT_FREQ_LIMIT), "{answers:?}");
    // Ids that cannot exist (40 KB each) are answered and not kept.
    let before = srv.running().sign_in_entries();
    for i in 0..200 {
        let huge = format!("{i}{}", "x".repeat(40 * 1024));
        let r = http_post(&srv, "login", &format!("10.9.{}.{}", i / 200, i % 200), &creds(&huge, "pw")).await;
        assert_eq!(r["code"], ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "{r}");
    }
    assert_eq!(srv.running().sign_in_entries(), before, "invalid ids leave nothing behind");
    // A body over the credentials limit is refused before it is read whole.
    let r = http_post(&srv, "login", "10.9.9.9", &creds(&"y".repeat(100 * 1024), "pw")).await;
    assert!(r["http"].as_str().is_some_and(|s| s.contains("413")), "{r}");
}

/// S-11: the secret key (it signs every UserSig and media link) is readable by its owner
/// only, in a folder only the owner may enter, also when an older version left them open; a
/// weak key is refused.
#[cfg(unix)]
#[test]
fn test_the_secret_key_is_private() {
    use confab_server::AppIdentity;
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let root = tempfile::tempdir().unwrap();
    let fresh = root.path().join("fresh");
    AppIdentity::load_or_create(&fresh, None, None).unwrap();
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&fresh.join("app.json")), 0o600);
    // Left open by an older version: narrowed, and the identity kept.
    let old = root.path().join("old");
    std::fs::create_dir(&old).unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(old.join("app.json"), r#"{"sdk_app_id": 1400000777, "secret_key": "0123456789abcdef0123"}"#)
        .unwrap();
    std::fs::set_permissions(old.join("app.json"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let id = AppIdentity::load_or_create(&old, None, None).unwrap();
    assert_eq!(id.sdk_app_id, 1_400_000_777);
    assert_eq!((mode(&old), mode(&old.join("app.json"))), (0o700, 0o600));
    // A short key given by flag or environment is refused.
    let err = AppIdentity::load_or_create(&old, None, Some("secret".into())).unwrap_err();
    assert!(err.to_string().contains("at least 16 bytes"), "{err}");
}

/// S-13 / R3: a write job that takes a group seq and then fails (rolled back) leaves no gap:
/// the group's messages keep consecutive seqs, whatever batches the failures share with sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_failed_job_leaves_no_seq_gap() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let g = alice
        .ok(
            "TIMGroupCreate",
            json!({"json_group_create_param": {"create_group_param_group_name": "Seqs",
            "create_group_param_group_type": 1}}),
        )
        .await;
    let gid = g["create_group_result_groupid"].as_str().unwrap().to_string();
    let raw = RawClient::login(&srv, "alice").await;
    for round in 0..10 {
        // Failures and sends race into the same batches.
        let sends = (0..3).map(|i| {
            raw.call(json!({"type": "send_msg", "conv_type": 2, "conv_id": gid,
                "msg": {"message_msg_id": format!("gap-{round}-{i}"),
                        "message_elem_array": [{"elem_type": 0, "text_elem_content": format!("{round}.{i}")}]}}))
        });
        let (failed, acks) = tokio::join!(
            futures_util::future::join_all((0..2).map(|_| srv.running().take_a_group_seq_then_fail(&gid))),
            futures_util::future::join_all(sends)
        );
        assert!(failed.iter().all(|f| *f));
        assert!(acks.iter().all(|a| a["code"] == 0), "{acks:?}");
    }
    let r = raw
        .call(json!({"type": "history", "conv_type": 2, "conv_id": gid, "anchor_seq": 0, "forward": false,
                     "include_anchor": false, "count": 100}))
        .await;
    assert_eq!(r["code"], 0, "{r}");
    let mut seqs: Vec<u64> =
        r["data"]["msgs"].as_array().unwrap().iter().map(|m| m["message_seq"].as_u64().unwrap()).collect();
    seqs.sort_unstable();
    let first = seqs[0];
    let expected: Vec<u64> = (first..first + seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "group seqs have a gap");
    assert!(seqs.len() >= 30, "{} messages", seqs.len());
}

/// S-8: with sign-up closed, nobody can claim a user id by registering (60017); accounts
/// come from UserSigs the operator issues, and those still log in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_closed_registration_refuses_sign_up() {
    let srv = TestServer::start_with(|c| c.registration = false).await;
    let r = http_post(&srv, "register", "192.0.2.8", &json!({"user_id": "ceo", "password": "squatting!"})).await;
    assert_eq!(r["code"], confab_protocol::codes::ERR_SVR_COMM_REQ_FORBIDDEN, "{r}");
    let raw = RawClient::connect(&srv).await;
    let r = raw.call(json!({"type": "register", "user_id": "ceo", "password": "squatting!"})).await;
    assert_eq!(r["code"], confab_protocol::codes::ERR_SVR_COMM_REQ_FORBIDDEN, "{r}");
    // The operator's UserSig is how the real ceo gets in.
    let ceo = srv.client("ceo").await;
    ceo.send_text("ceo", 1, "note to self").await;
}

/// S-15: one user cannot fill the server's disk: uploads count against a quota (live media
/// plus unfinished uploads) and only a few uploads may be unfinished at once; resuming one
/// is never refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_uploads_are_held_to_a_quota() {
    use confab_protocol::codes::ERR_FILE_TRANS_UPLOAD_FAILED;
    let srv = TestServer::start_with(|c| {
        c.media_quota = 100_000;
        c.max_partial_uploads = 2;
    })
    .await;
    let blob = |seed: u8, n: usize| (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect::<Vec<u8>>();
    let first = blob(1, 60_000);
    let (status, r) = media_put(&srv, "mallory", "file", &content_id(&first), 0, 60_000, &first).await;
    assert_eq!((status, r["done"].clone()), (200, json!(true)), "{r}");
    // 60,000 + 60,000 is over 100,000.
    let second = blob(2, 60_000);
    let (status, r) = media_put(&srv, "mallory", "file", &content_id(&second), 0, 60_000, &second).await;
    assert_eq!((status, r["code"].clone()), (413, json!(ERR_FILE_TRANS_UPLOAD_FAILED)), "{r}");
    // Two unfinished uploads of 20,000 fit (60,000 + 2 × 20,000); a third is refused.
    let (a, b) = (blob(3, 20_000), blob(4, 20_000));
    for part in [&a, &b] {
        let (status, r) = media_put(&srv, "mallory", "file", &content_id(part), 0, 20_000, &part[..10_000]).await;
        assert_eq!((status, r["done"].clone()), (200, json!(false)), "{r}");
    }
    let c = blob(5, 100);
    let (status, r) = media_put(&srv, "mallory", "file", &content_id(&c), 0, 100, &c).await;
    assert_eq!((status, r["code"].clone()), (429, json!(ERR_FILE_TRANS_UPLOAD_FAILED)), "{r}");
    // Resuming one is fine, and another user is not affected.
    let (status, r) = media_put(&srv, "mallory", "file", &content_id(&a), 10_000, 20_000, &a[10_000..]).await;
    assert_eq!((status, r["done"].clone()), (200, json!(true)), "{r}");
    let (status, r) = media_put(&srv, "alice", "file", &content_id(&second), 0, 60_000, &second).await;
    assert_eq!((status, r["done"].clone()), (200, json!(true)), "{r}");
}

/// S-27: a web page in someone's browser cannot open a WebSocket to the server unless the
/// operator allowed its origin; native clients send no Origin and are not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_web_origins_are_refused_unless_allowed() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    async fn status_with_origin(url: &str, origin: Option<&str>) -> u16 {
        let mut req = url.into_client_request().unwrap();
        if let Some(o) = origin {
            req.headers_mut().insert("Origin", o.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((_, resp)) => resp.status().as_u16(),
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
            Err(e) => panic!("{e}"),
        }
    }
    let srv = TestServer::start().await;
    assert_eq!(status_with_origin(&srv.url(), None).await, 101, "a native client connects");
    assert_eq!(status_with_origin(&srv.url(), Some("https://evil.example")).await, 403);
    assert_eq!(status_with_origin(&srv.url(), Some("null")).await, 403, "a sandboxed page or a file");
    let srv = TestServer::start_with(|c| c.allowed_origins = vec!["https://chat.example.org".into()]).await;
    assert_eq!(status_with_origin(&srv.url(), Some("https://chat.example.org")).await, 101);
    assert_eq!(status_with_origin(&srv.url(), Some("https://chat.example.org.evil.example")).await, 403);
    assert_eq!(status_with_origin(&srv.url(), None).await, 101);
}

/// S-28: one connection cannot flood the server with requests: past its rate (a burst of two
/// seconds' worth) requests are answered 60018 without being run; sends (and sync pages) are
/// not counted, and the connection recovers as the bucket refills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_connection_is_held_to_its_request_rate() {
    let srv = TestServer::start_with(|c| c.request_rate = 10).await;
    let _bob = RawClient::login(&srv, "bob").await;
    let c = RawClient::login(&srv, "alice").await;
    let sync = || c.call(json!({"type": "group_cursors"}));
    let answers = futures_util::future::join_all((0..60).map(|_| sync())).await;
    let ok = answers.iter().filter(|r| r["code"] == 0).count();
    let limited = answers.iter().filter(|r| r["code"] == 60018).count();
    assert_eq!(ok + limited, 60, "{answers:?}");
    assert!((19..=21).contains(&ok), "a burst of about 20 passes ({ok})");
    // Sends are not held to it.
    let sends = futures_util::future::join_all((0..40).map(|i| {
        c.call(json!({"type": "send_msg", "conv_type": 1, "conv_id": "bob",
                      "msg": {"message_msg_id": format!("rate-{i}-1"), "message_elem_array": [{"elem_type": 0, "text_elem_content": "x"}]}}))
    }))
    .await;
    assert!(sends.iter().all(|r| r["code"] == 0), "{sends:?}");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(sync().await["code"], 0, "the bucket refills");
}
