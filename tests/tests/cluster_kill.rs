//! A node of a three-node service (PostgreSQL + NATS) is SIGKILLed while users on every node
//! send bursts, one-to-one and to a group, through the real SDK (which knows the three URLs and
//! fails over). Ten rounds, each killing a random node when a random number of the round's sends
//! has been acknowledged (not at a fixed time); the node restarts on its port after the burst.
//! After each round, within 10 s, every acknowledged message is in every recipient's local store
//! exactly once, each sender's messages in send order; the group's history has contiguous seqs.
//!
//! Rounds: `CONFAB_CLUSTER_KILLS` (default 10); seed: `CONFAB_KILL_SEED` (default: the clock,
//! printed for a rerun).
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_tests::engines::{schema_url, NatsServer, PgCluster};
use confab_tests::{assert_send_order, local_store, text_of, ServerProcess, TestClient, TestServer, XorShift};
use serde_json::{json, Value};

const APP: u64 = 1_400_077_123;
const KEY: &str = "cluster-kill-secret-key-0123456789";
const USERS: usize = 6;
/// Sends per user per round: this many one-to-one and as many to the group, alternating.
const PER_KIND: usize = 8;

fn sig(user: &str) -> String {
    confab_server::usersig::generate(APP, KEY, user, 6 * 3600, confab_server::config::now_secs() as i64)
}

fn user(i: usize) -> String {
    format!("k{i}")
}

/// One-to-one partner: k0-k1, k2-k3, k4-k5.
fn partner(i: usize) -> usize {
    i ^ 1
}

struct Node {
    proc: Option<ServerProcess>,
    listen: String,
    dir: tempfile::TempDir,
}

fn spawn(dir: &std::path::Path, listen: &str, store: &str, bus: &str, media: &std::path::Path) -> ServerProcess {
    let identity = confab_server::AppIdentity { sdk_app_id: APP, secret_key: KEY.into() };
    let media = media.to_string_lossy().to_string();
    ServerProcess::spawn(
        env!("CARGO_BIN_EXE_confab-server-under-test"),
        dir,
        listen,
        &identity,
        &["--store", store, "--bus", bus, "--media-dir", &media, "--group-msg-rate", "0"],
    )
}

/// Every message of a conversation in a client's local store, oldest first, each id once.
async fn local(c: &TestClient, conv_type: u32, conv_id: &str, roaming: bool) -> Vec<Value> {
    let mut all = local_store(c, conv_type, conv_id, roaming).await;
    all.dedup_by_key(|m| m["message_msg_id"].as_str().unwrap_or_default().to_string());
    all
}

/// What `msgs` lack of `acked` (ids), and ids there more than once.
fn audit(msgs: &[Value], acked: &[String]) -> (Vec<String>, Vec<String>) {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for m in msgs {
        *count.entry(m["message_msg_id"].as_str().unwrap_or_default()).or_default() += 1;
    }
    let missing = acked.iter().filter(|id| !count.contains_key(id.as_str())).cloned().collect();
    let twice = count.iter().filter(|(_, n)| **n > 1).map(|(id, _)| id.to_string()).collect();
    (missing, twice)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_killing_a_node_loses_and_duplicates_nothing() {
    confab_tests::init_tracing();
    let rounds: u64 = std::env::var("CONFAB_CLUSTER_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let seed: u64 = std::env::var("CONFAB_KILL_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("cluster kill: {rounds} rounds, CONFAB_KILL_SEED={seed}");
    let mut rng = XorShift(seed | 1);

    let base = tempfile::tempdir().unwrap();
    let pg = PgCluster::start(&base.path().join("pg"), false).expect("start PostgreSQL");
    struct StopPg(PgCluster);
    impl Drop for StopPg {
        fn drop(&mut self) {
            let _ = self.0.stop();
        }
    }
    let pg = StopPg(pg);
    let nats = NatsServer::start().expect("start nats-server");
    let store = schema_url(&pg.0.url(), &base.path().join("service")).unwrap();
    let media = base.path().join("media");
    let mut nodes: Vec<Node> = Vec::new();
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let p = spawn(dir.path(), "127.0.0.1:0", &store, &nats.url(), &media);
        let listen = p.url.trim_start_matches("ws://").to_string();
        nodes.push(Node { proc: Some(p), listen, dir });
    }
    let urls: Vec<String> = nodes.iter().map(|n| format!("ws://{}", n.listen)).collect();
    let all_urls = urls.join(",");

    // Every user an SDK client knowing the three nodes (each starts on one picked at random).
    let identity = confab_server::AppIdentity { sdk_app_id: APP, secret_key: KEY.into() };
    let stand_in = TestServer { dir: tempfile::tempdir().unwrap(), running: None, identity };
    let mut clients = Vec::new();
    for i in 0..USERS {
        let c = TestClient::with_options(&stand_in, tempfile::tempdir().unwrap(), |o| o.server_url = all_urls.clone());
        c.login(&user(i), &sig(&user(i))).await;
        clients.push(Arc::new(c));
    }
    let members: Vec<Value> = (1..USERS).map(|i| json!({"group_member_info_identifier": user(i)})).collect();
    let g = clients[0]
        .ok(
            "TIMGroupCreate",
            json!({"json_group_create_param": {"create_group_param_group_name": "Cluster kill",
            "create_group_param_group_type": 1, "create_group_param_group_member_array": members}}),
        )
        .await["create_group_result_groupid"]
        .as_str()
        .unwrap()
        .to_string();

    // Acknowledged ids: per (sender, partner) one-to-one, and to the group.
    let mut c2c_acked: HashMap<(usize, usize), Vec<String>> = HashMap::new();
    let mut group_acked: Vec<String> = Vec::new();
    let mut failed = 0usize;
    for round in 0..rounds {
        let total = (USERS * PER_KIND * 2) as u64;
        let kill_at = rng.range(5, total - 5) as usize;
        let victim = rng.range(0, 2) as usize;
        let acks = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for (i, c) in clients.iter().enumerate() {
            let (c, acks, g) = (c.clone(), acks.clone(), g.clone());
            tasks.push(tokio::spawn(async move {
                let mut c2c = Vec::new();
                let mut grp = Vec::new();
                let mut failed = 0;
                for k in 0..PER_KIND * 2 {
                    let (conv, ct) = if k % 2 == 0 { (user(partner(i)), 1) } else { (g.clone(), 2) };
                    let text = format!("{}|{round}|{k}", user(i));
                    let r = c
                        .call(
                            "TIMMsgSendMessage",
                            json!({"conv_id": conv, "conv_type": ct,
                                   "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}}),
                        )
                        .await;
                    if r.code == 0 {
                        let id = r.json["message_msg_id"].as_str().unwrap().to_string();
                        if ct == 1 { c2c.push(id) } else { grp.push(id) }
                        acks.fetch_add(1, Ordering::SeqCst);
                    } else {
                        failed += 1;
                    }
                }
                (i, c2c, grp, failed)
            }));
        }
        // The kill: when `kill_at` sends of the round are acknowledged.
        let t0 = Instant::now();
        while acks.load(Ordering::SeqCst) < kill_at && t0.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        nodes[victim].proc.as_mut().unwrap().kill();
        for t in tasks {
            let (i, c2c, grp, f) = t.await.unwrap();
            c2c_acked.entry((i, partner(i))).or_default().extend(c2c);
            group_acked.extend(grp);
            failed += f;
        }
        // The node comes back on its port and data dir.
        let n = &mut nodes[victim];
        n.proc = Some(spawn(n.dir.path(), &n.listen, &store, &nats.url(), &media));

        // Within 10 s, every recipient has every acknowledged message once, in send order.
        let deadline = Instant::now() + Duration::from_secs(10);
        for (i, c) in clients.iter().enumerate() {
            loop {
                let from_partner = c2c_acked.get(&(partner(i), i)).cloned().unwrap_or_default();
                let c2c = local(c, 1, &user(partner(i)), false).await;
                let grp = local(c, 2, &g, false).await;
                let others: Vec<String> = group_acked.clone();
                let (miss_c, twice_c) = audit(&c2c, &from_partner);
                // Group: every acknowledged message (a member's own included).
                let (miss_g, twice_g) = audit(&grp, &others);
                assert!(twice_c.is_empty() && twice_g.is_empty(), "round {round}: {} has duplicates", user(i));
                if miss_c.is_empty() && miss_g.is_empty() {
                    assert_send_order(&format!("{} one-to-one", user(i)), &c2c);
                    assert_send_order(&format!("{} group", user(i)), &grp);
                    break;
                }
                if Instant::now() >= deadline {
                    // What the store holds around the missing message, and what this device has.
                    let server = local(c, 2, &g, true).await;
                    let about = |id: &Option<&String>| {
                        server
                            .iter()
                            .find(|m| Some(m["message_msg_id"].as_str().unwrap_or_default()) == id.map(|s| s.as_str()))
                            .map(|m| format!("{} seq {}", text_of(m), m["message_seq"]))
                    };
                    let seqs: Vec<u64> = grp.iter().filter_map(|m| m["message_seq"].as_u64()).collect();
                    eprintln!(
                        "{}: missing group message {:?}; local group seqs {:?}",
                        user(i),
                        about(&miss_g.first()),
                        &seqs[seqs.len().saturating_sub(30)..]
                    );
                }
                assert!(
                    Instant::now() < deadline,
                    "round {round} (killed node {victim} at {kill_at} acks): {} lacks {} one-to-one ({:?}) and {} \
                     group messages ({:?}) 10 s after the burst",
                    user(i),
                    miss_c.len(),
                    miss_c.first(),
                    miss_g.len(),
                    miss_g.first()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        eprintln!("round {round}: node {victim} killed at {kill_at} acks; all delivered");
    }
    // The group's history in the store: contiguous seqs, each acknowledged message once.
    let history = local(&clients[1], 2, &g, true).await;
    // (Its own sends that failed stay in its store without a seq.)
    let seqs: Vec<u64> = history.iter().filter_map(|m| m["message_seq"].as_u64()).filter(|s| *s > 0).collect();
    let first = seqs.first().copied().unwrap_or(1);
    assert_eq!(seqs, (first..first + seqs.len() as u64).collect::<Vec<_>>(), "contiguous group seqs");
    let (missing, twice) = audit(&history, &group_acked);
    assert!(missing.is_empty() && twice.is_empty(), "group history: missing {missing:?}, twice {twice:?}");
    let acked: usize = c2c_acked.values().map(Vec::len).sum::<usize>() + group_acked.len();
    eprintln!("cluster kill: {acked} messages acknowledged, {failed} sends failed during failovers");
    assert!(acked > 0);
}
