//! R6, a stalled reader: a client that logs in and then never reads while 20,000 messages of
//! 8 KB (160 MB) are sent to it. The real server program runs as a child so that its memory can
//! be read from `/proc`: its anonymous memory (heap; SQLite's mapped file pages do not count)
//! must grow by at most 64 MB over the whole burst, the stalled connection must be cut off, and
//! the same user, back on a new connection, must sync every message once and in order.
//!
//! `CONFAB_STALL_MESSAGES` changes the count (default 20,000).
use std::time::Duration;

use confab_tests::{text_of, RawClient, ServerProcess};
use futures_util::{stream, SinkExt, StreamExt};
use serde_json::json;

const APP: u64 = 1_400_066_001;
const KEY: &str = "stalled-reader-secret-key-0123456789";
/// The ceiling on the server's heap growth while the burst piles up for the stalled reader.
const MAX_GROWTH_KIB: u64 = 64 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_stalled_reader_costs_the_server_bounded_memory_then_syncs_everything() {
    confab_tests::init_tracing();
    let n: usize = std::env::var("CONFAB_STALL_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let data = tempfile::tempdir().unwrap();
    let identity = confab_server::AppIdentity { sdk_app_id: APP, secret_key: KEY.into() };
    let server = ServerProcess::spawn(
        env!("CARGO_BIN_EXE_confab-server-under-test"),
        data.path(),
        "127.0.0.1:0",
        &identity,
        &["--group-msg-rate", "0"],
    );
    let alice = RawClient::login_url(&server.url, &identity, "alice").await;
    let body = "x".repeat(8 * 1024);
    let send = |to: &str, id: String, text: String| {
        json!({"type": "send_msg", "conv_type": 1, "conv_id": to,
               "msg": {"message_msg_id": id, "message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}})
    };
    // Warm the server up (allocator, statement cache, SQLite's cache) with a reader that reads,
    // then take the baseline.
    let carol = RawClient::login_url(&server.url, &identity, "carol").await;
    for i in 0..500 {
        let r = alice.call(send("carol", format!("warm-{i}-1"), format!("{i}:{body}"))).await;
        assert_eq!(r["code"], 0, "{r}");
    }
    drop(carol);
    // Bob: a small receive window, logged in, then never read again.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let addr: std::net::SocketAddr = server.url.trim_start_matches("ws://").parse().unwrap();
    let (mut bob, _) =
        tokio_tungstenite::client_async(server.url.as_str(), sock.connect(addr).await.unwrap()).await.unwrap();
    let sig = confab_server::usersig::generate(APP, KEY, "bob", 3600, confab_server::config::now_secs() as i64);
    let login = json!({"id": 1, "type": "login", "sdk_app_id": APP, "user_id": "bob", "user_sig": sig,
                       "platform": 2, "instance_id": "stalled-bob"});
    bob.send(tokio_tungstenite::tungstenite::Message::Text(login.to_string().into())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let base = server.status_kib("RssAnon");
    // The burst, 32 in flight, while a sampler keeps the highest heap figure.
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(base));
    let pid = server.child.id();
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                    let kib = s
                        .lines()
                        .find_map(|l| l.strip_prefix("RssAnon:"))
                        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                        .unwrap_or(0);
                    peak.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = std::time::Instant::now();
    let answers: Vec<_> = stream::iter(0..n)
        .map(|i| alice.call(send("bob", format!("burst-{i}-1"), format!("{i}:{body}"))))
        .buffered(32)
        .collect()
        .await;
    let took = started.elapsed();
    for r in &answers {
        assert_eq!(r["code"], 0, "{r}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    sampler.abort();
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    let growth = peak.saturating_sub(base);
    eprintln!(
        "stalled reader: {n} x 8 KB in {:.1} s; server heap {} MiB before, peak {} MiB (+{} MiB)",
        took.as_secs_f64(),
        base / 1024,
        peak / 1024,
        growth / 1024
    );
    assert!(growth <= MAX_GROWTH_KIB, "the server's heap grew {growth} KiB for a reader that never reads");
    // The server cut bob off: reading now ends after what the kernel still held.
    let frames = confab_tests::frames_until_closed(&mut bob, Duration::from_secs(30)).await;
    assert!(frames < n, "bob was cut off before everything reached him ({frames} frames)");
    // Bob comes back and syncs everything, once and in order.
    let bob2 = RawClient::login_url(&server.url, &identity, "bob").await;
    let (mut after, mut got) = (0u64, Vec::with_capacity(n));
    loop {
        let r = bob2.call(json!({"type": "sync", "after": after})).await;
        assert_eq!(r["code"], 0, "{r}");
        for e in r["data"]["events"].as_array().unwrap() {
            after = e["seq"].as_u64().unwrap();
            if e["event"]["kind"] == "new_msg" {
                got.push(text_of(&e["event"]["msg"]).split(':').next().unwrap().parse::<usize>().unwrap());
            }
        }
        if r["data"]["more"] != true {
            break;
        }
    }
    assert_eq!(got.len(), n, "bob synced every message");
    assert!(got.iter().enumerate().all(|(i, g)| i == *g), "once each, in send order");
}
