//! No data loss: a server killed with SIGKILL mid-burst, clients that lose their connection,
//! connections that go silent.
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use confab_core::SdkEvent;
use confab_protocol::enums::network_status;
use confab_tests::{eventually, text_of, ServerProcess, TestClient, TestServer};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_sigkill_mid_burst_loses_no_acknowledged_message() {
    confab_tests::init_tracing();
    let data = tempfile::tempdir().unwrap();
    let (app, key) = (1_400_012_345u64, "0123456789abcdef0123456789abcdef");
    let spawn = |listen: &str| {
        let identity = confab_server::AppIdentity { sdk_app_id: app, secret_key: key.into() };
        ServerProcess::spawn(env!("CARGO_BIN_EXE_confab-server-under-test"), data.path(), listen, &identity, &[])
    };
    let mut proc1 = spawn("127.0.0.1:0");
    let url = proc1.url.clone();
    let sig = |u: &str| confab_server::usersig::generate(app, key, u, 3600, confab_server::config::now_secs() as i64);
    // A stand-in TestServer value only to build clients against the child's URL.
    let identity = confab_server::AppIdentity { sdk_app_id: app, secret_key: key.into() };
    let mk = |dir: tempfile::TempDir| {
        let sdk = confab_core::Sdk::new(confab_core::SdkOptions {
            server_url: url.clone(),
            data_dir: dir.path().to_path_buf(),
            timeouts: confab_tests::fast_timeouts(),
            ..Default::default()
        });
        sdk.init(identity.sdk_app_id, "", "");
        (sdk, dir)
    };
    let senders: Vec<(String, confab_core::Sdk, tempfile::TempDir)> = ["s1", "s2", "s3"]
        .iter()
        .map(|u| {
            let (sdk, dir) = mk(tempfile::tempdir().unwrap());
            (u.to_string(), sdk, dir)
        })
        .collect();
    let (dave, _dave_dir) = mk(tempfile::tempdir().unwrap());
    assert_eq!(
        dave.call("TIMLogin", &json!({"user_id": "dave", "user_sig": sig("dave")})).await.callback.unwrap().await.code,
        0
    );
    for (u, sdk, _) in &senders {
        let r = sdk.call("TIMLogin", &json!({"user_id": u, "user_sig": sig(u)})).await.callback.unwrap().await;
        assert_eq!(r.code, 0, "{}", r.desc);
    }
    // Each sender fires a burst of 150 messages to dave, pipelined.
    let mut tasks = Vec::new();
    for (u, sdk, _) in &senders {
        let (u, sdk) = (u.clone(), sdk.clone());
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for i in 0..150 {
                let text = format!("{u}-{i}");
                let inv = sdk
                    .call("TIMMsgSendMessage", &json!({"conv_id": "dave", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}}))
                    .await;
                let id = inv.outputs["message_id"].as_str().unwrap().to_string();
                outcomes.push((text, id, inv.callback.unwrap()));
            }
            let mut done = Vec::new();
            for (text, id, cb) in outcomes {
                let code = cb.await.code;
                if std::env::var("CONFAB_TEST_DEBUG").is_ok() {
                    eprintln!("{text} -> {code}");
                }
                done.push((text, id, code));
            }
            done
        }));
    }
    // Kill the server with SIGKILL while the burst is in flight.
    tokio::time::sleep(Duration::from_millis(400)).await;
    proc1.kill();
    let port = url.rsplit(':').next().unwrap().to_string();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let acked: Vec<(String, String)> =
        results.iter().flatten().filter(|(_, _, c)| *c == 0).map(|(t, i, _)| (t.clone(), i.clone())).collect();
    let failed: Vec<(String, String)> =
        results.iter().flatten().filter(|(_, _, c)| *c != 0).map(|(t, i, _)| (t.clone(), i.clone())).collect();
    assert!(!acked.is_empty(), "some messages were acknowledged before the kill");
    assert!(!failed.is_empty(), "the kill happened mid-burst (some sends failed)");
    // Restart on the same port and data dir.
    let proc2 = spawn(&format!("127.0.0.1:{port}"));
    assert_eq!(proc2.url, url);
    // Senders resend what failed, keeping the message ids (the server dedupes what it had).
    for (u, sdk, _) in &senders {
        eventually("sender reconnects", || async {
            sdk.login_status().await == 1 && sdk.shared().await.map(|s| s.link.is_ready()).unwrap_or(false)
        })
        .await;
        for (text, id) in failed.iter().filter(|(t, _)| t.starts_with(&format!("{u}-"))) {
            let msg =
                json!({"message_msg_id": id, "message_elem_array": [{"elem_type": 0, "text_elem_content": text}]});
            let inv =
                sdk.call("TIMMsgSendMessage", &json!({"conv_id": "dave", "conv_type": 1, "json_msg_param": msg})).await;
            assert_eq!(inv.outputs["message_id"], json!(id), "a resend keeps its id");
            assert_eq!(inv.callback.unwrap().await.code, 0);
        }
    }
    // Everything is in dave's roaming history exactly once, in per-sender order.
    let fresh = TestClient::with_options(
        &TestServer { dir: tempfile::tempdir().unwrap(), running: None, identity: identity.clone() },
        tempfile::tempdir().unwrap(),
        |o| {
            o.server_url = url.clone();
            o.fresh_sync_window = 0;
        },
    );
    fresh.login("dave", &sig("dave")).await;
    let mut all: Vec<Value> = Vec::new();
    for (u, _, _) in &senders {
        let mut anchor: Option<Value> = None;
        loop {
            let mut p = json!({"msg_getmsglist_param_count": 100, "msg_getmsglist_param_is_remble": true});
            if let Some(a) = &anchor {
                p["msg_getmsglist_param_last_msg"] = a.clone();
            }
            let page = fresh.messages(u, 1, p).await;
            if page.is_empty() {
                break;
            }
            anchor = page.last().cloned();
            all.extend(page);
        }
    }
    let ids: Vec<String> = all.iter().map(|m| m["message_msg_id"].as_str().unwrap().to_string()).collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no duplicates");
    assert_eq!(ids.len(), 450, "every message, acknowledged or resent, is stored once");
    for (_, id) in &acked {
        assert!(unique.contains(id), "acknowledged message {id} survived the crash");
    }
    // Per sender, seqs are consecutive and follow the send order.
    let mut by_sender: HashMap<String, Vec<(u64, u64)>> = HashMap::new();
    for m in &all {
        let t = text_of(m);
        let (s, i) = t.split_once('-').unwrap();
        by_sender.entry(s.to_string()).or_default().push((m["message_seq"].as_u64().unwrap(), i.parse().unwrap()));
    }
    for (s, mut v) in by_sender {
        v.sort();
        let seqs: Vec<u64> = v.iter().map(|x| x.0).collect();
        assert_eq!(seqs, (1..=150).collect::<Vec<_>>(), "{s}: consecutive seqs");
        let acked_order: Vec<u64> =
            v.iter().map(|x| x.1).filter(|i| acked.iter().any(|(t, _)| *t == format!("{s}-{i}"))).collect();
        let mut sorted = acked_order.clone();
        sorted.sort();
        assert_eq!(acked_order, sorted, "{s}: acknowledged messages keep their order");
    }
    let mut proc2 = proc2;
    let _ = proc2.child.kill();
    let _ = proc2.child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_client_catches_up_after_reconnect_before_reporting_connected() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let _ = bob.drain().await;
    srv.running().cut_off_user("bob", true);
    bob.wait_for(
        "disconnected",
        |e| matches!(e, SdkEvent::NetworkStatus { status, .. } if *status == network_status::DISCONNECTED),
    )
    .await;
    for i in 0..20 {
        alice.send_text("bob", 1, &format!("while away {i}")).await;
    }
    srv.running().cut_off_user("bob", false);
    bob.wait_for(
        "connected",
        |e| matches!(e, SdkEvent::NetworkStatus { status, .. } if *status == network_status::CONNECTED),
    )
    .await;
    // Every missed message was delivered before "connected" was reported.
    let before: Vec<String> = bob
        .drain()
        .await
        .into_iter()
        .filter_map(|e| match e {
            SdkEvent::RecvNewMsg(m) => Some(m),
            _ => None,
        })
        .flatten()
        .map(|m| text_of(&serde_json::to_value(&m).unwrap()))
        .collect();
    assert_eq!(before, (0..20).map(|i| format!("while away {i}")).collect::<Vec<_>>());
    // And the link works again both ways.
    bob.send_text("alice", 1, "back").await;
    assert!(alice.recv_texts(1).await.contains(&"back".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_server_drops_silent_connections() {
    let srv = TestServer::start_with(|c| c.idle_timeout = Duration::from_millis(800)).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(srv.url()).await.unwrap();
    let login = json!({"id": 1, "type": "login", "sdk_app_id": srv.identity.sdk_app_id, "user_id": "zed",
                       "user_sig": srv.usersig("zed"), "platform": 0, "instance_id": "raw"});
    ws.send(tokio_tungstenite::tungstenite::Message::Text(login.to_string().into())).await.unwrap();
    let reply = ws.next().await.unwrap().unwrap();
    assert!(reply.to_text().unwrap().contains("\"code\":0"), "{reply:?}");
    assert_eq!(srv.running().online_sessions(), 1);
    // Say nothing: the server gives up on us.
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(m)) = ws.next().await {
            if m.is_close() {
                break;
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the server closed the silent connection");
    eventually("the session is gone", || async { srv.running().online_sessions() == 0 }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_heartbeats_keep_an_idle_client_connected() {
    // Client heartbeat is 2 s (fast_timeouts); the server allows 3 s of silence.
    let srv = TestServer::start_with(|c| c.idle_timeout = Duration::from_secs(3)).await;
    let alice = srv.client("alice").await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert!(
        !alice
            .drain()
            .await
            .iter()
            .any(|e| matches!(e, SdkEvent::NetworkStatus { status, .. } if *status == network_status::DISCONNECTED)),
        "an idle but healthy client stays connected"
    );
    assert_eq!(srv.running().online_sessions(), 1);
}

/// SQLite: the WAL is copied back into the database file by the server's checkpointer, never
/// by a commit (a commit that checkpoints holds every ack of its batch for the copy and an
/// fsync of the database file). So the database file grows while the server runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_the_wal_is_checkpointed_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start_with(|c| {
        c.store_url = None;
        c.data_dir = dir.path().to_path_buf();
    })
    .await;
    let db = dir.path().join("confab.db");
    let size = || std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    let before = size();
    let alice = confab_tests::RawClient::login(&srv, "alice").await;
    let _bob = confab_tests::RawClient::login(&srv, "bob").await;
    let text = "x".repeat(2000);
    for i in 0..300 {
        let r = alice
            .call(json!({"type": "send_msg", "conv_type": 1, "conv_id": "bob",
                         "msg": {"message_msg_id": format!("wal-{i}-a"),
                                 "message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}}))
            .await;
        assert_eq!(r["code"], 0, "{r}");
    }
    // 300 × 2 KB: at least 600 KB of pages, all in the WAL until a checkpoint copies them.
    eventually("the database file to receive the WAL's pages", || async { size() > before + 400_000 }).await;
}
