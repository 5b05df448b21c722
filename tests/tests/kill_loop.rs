//! R1/R2/R3, the kill loop: the real server program is killed with SIGKILL again and again
//! while eight senders pipeline 1,000 messages per round (eight one-to-one pairs and an
//! eight-member group), at a random point of the round (some right at login, the rest when
//! 10-90 % of the round is acknowledged). It restarts on the same data dir and port; each
//! sender resends, with the same message ids, every send it has no record of an ack for (its
//! last few records are taken as lost in the crash too, as an app that died before writing
//! them would). Then, over all rounds:
//!
//! - the server's history holds every message exactly once, with consecutive seqs per
//!   conversation and each sender's messages in send order;
//! - every recipient's event log reported each one-to-one message exactly once, and each
//!   group message at most once; its local store holds every message exactly once with
//!   consecutive seqs, after paging the group back with roaming history (a device more than
//!   1,000 messages behind in a group starts from the newest page and reads the older ones
//!   from roaming history as it scrolls, as TIM does);
//! - at least one resend was answered from the stored row (`confab_retry`), so the dedupe path
//!   ran.
//!
//! Rounds: `CONFAB_KILL_ROUNDS` (default 20); seed: `CONFAB_KILL_SEED` (default: the clock,
//! printed for a rerun).
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use confab_core::SdkEvent;
use confab_tests::{assert_send_order, local_store, ServerProcess, TestClient, TestServer, XorShift};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMsg;

const APP: u64 = 1_400_054_321;
const KEY: &str = "kill-loop-secret-key-0123456789ab";
const PAIRS: usize = 8;
/// Senders 0..4 and recipients 0..4 form the group; senders 0..4 write to it as well.
const IN_GROUP: usize = 4;
const PER_SENDER: usize = 125;

fn sig(user: &str) -> String {
    confab_server::usersig::generate(APP, KEY, user, 6 * 3600, confab_server::config::now_secs() as i64)
}

#[derive(Clone)]
struct Planned {
    id: String,
    conv_type: u32,
    conv_id: String,
    text: String,
}

/// What one connection got through: ids acknowledged (in ack order) and how many of those
/// acks were answered from an already stored row.
#[derive(Default)]
struct Outcome {
    acked: Vec<String>,
    retries: usize,
}

/// Log in as `user` and pipeline `sends` on one connection; stop when every send is answered
/// or the connection ends. `progress` counts acks across senders (the kill watches it).
async fn run_sender(url: &str, user: &str, sends: &[Planned], progress: &AtomicUsize) -> Outcome {
    let mut out = Outcome::default();
    let Ok((ws, _)) = tokio_tungstenite::connect_async(url).await else { return out };
    let (mut sink, mut stream) = ws.split();
    let login = json!({"id": 0, "type": "login", "sdk_app_id": APP, "user_id": user, "user_sig": sig(user),
                       "platform": 2, "instance_id": format!("kill-{user}")});
    if sink.send(WsMsg::Text(login.to_string().into())).await.is_err() {
        return out;
    }
    // The login's answer first.
    loop {
        match stream.next().await {
            Some(Ok(m)) => {
                let Ok(v) = serde_json::from_str::<Value>(m.to_text().unwrap_or("")) else { continue };
                if v["type"] == "response" && v["id"] == 0 {
                    assert_eq!(v["code"], 0, "login of {user}: {v}");
                    break;
                }
            }
            _ => return out,
        }
    }
    for (i, p) in sends.iter().enumerate() {
        let frame = json!({"id": i + 1, "type": "send_msg", "conv_type": p.conv_type, "conv_id": p.conv_id,
            "msg": {"message_msg_id": p.id, "message_elem_array": [{"elem_type": 0, "text_elem_content": p.text}]}});
        if sink.send(WsMsg::Text(frame.to_string().into())).await.is_err() {
            break;
        }
    }
    let mut answered = 0;
    while answered < sends.len() {
        let Some(Ok(m)) = stream.next().await else { break };
        let Ok(v) = serde_json::from_str::<Value>(m.to_text().unwrap_or("")) else { continue };
        if v["type"] != "response" {
            continue;
        }
        let Some(i) = v["id"].as_u64().and_then(|i| (i as usize).checked_sub(1)) else { continue };
        answered += 1;
        assert_eq!(v["code"], 0, "send {} of {user}: {v}", sends[i].id);
        assert_eq!(v["data"]["message_msg_id"], json!(sends[i].id), "acks come in send order");
        out.acked.push(sends[i].id.clone());
        if v["data"]["confab_retry"] == true {
            out.retries += 1;
        }
        progress.fetch_add(1, Ordering::Relaxed);
    }
    let _ = sink.close().await;
    out
}

/// Every message of a conversation in the server's history, oldest first (paged backwards).
async fn server_history(url: &str, me: &str, conv_type: u32, conv_id: &str) -> Vec<Value> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let login = json!({"id": 0, "type": "login", "sdk_app_id": APP, "user_id": me, "user_sig": sig(me),
                       "platform": 5, "instance_id": format!("audit-{me}")});
    ws.send(WsMsg::Text(login.to_string().into())).await.unwrap();
    let mut all: Vec<Value> = Vec::new();
    let mut anchor = 0u64;
    let mut id = 1u64;
    loop {
        let req = json!({"id": id, "type": "history", "conv_type": conv_type, "conv_id": conv_id, "anchor_seq": anchor,
                         "forward": false, "include_anchor": false, "count": 100});
        ws.send(WsMsg::Text(req.to_string().into())).await.unwrap();
        let page = loop {
            let m = ws.next().await.unwrap().unwrap();
            let Ok(v) = serde_json::from_str::<Value>(m.to_text().unwrap_or("")) else { continue };
            if v["type"] == "response" && v["id"] == id {
                assert_eq!(v["code"], 0, "{v}");
                break v["data"]["msgs"].as_array().cloned().unwrap_or_default();
            }
        };
        id += 1;
        let Some(oldest) = page.iter().filter_map(|m| m["message_seq"].as_u64()).min() else { break };
        all.extend(page);
        if oldest <= 1 {
            break;
        }
        anchor = oldest;
    }
    all.sort_by_key(|m| m["message_seq"].as_u64().unwrap());
    all
}

/// Checks a conversation's messages: exactly the planned ids of it, each once, consecutive
/// seqs (from the first one: a group starts with its creation tips), each sender in send order.
fn check_conversation(what: &str, msgs: &[Value], planned: &HashSet<String>, consecutive: bool) {
    let ids: Vec<&str> =
        msgs.iter().filter_map(|m| m["message_msg_id"].as_str()).filter(|i| planned.contains(*i)).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "{what}: a message is there twice");
    let missing: Vec<&String> = planned.iter().filter(|p| !unique.contains(p.as_str())).take(5).collect();
    assert!(
        missing.is_empty(),
        "{what}: {} of {} messages missing, e.g. {missing:?}",
        planned.len() - unique.len(),
        planned.len()
    );
    if consecutive {
        let seqs: Vec<u64> = msgs.iter().map(|m| m["message_seq"].as_u64().unwrap()).collect();
        let first = seqs.first().copied().unwrap_or(1);
        let expected: Vec<u64> = (first..first + seqs.len() as u64).collect();
        assert_eq!(seqs, expected, "{what}: seqs have a gap or a repeat");
    }
    // Per sender, (round, index) grows with the seq.
    assert_send_order(what, msgs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_kill_loop_loses_duplicates_and_reorders_nothing() {
    confab_tests::init_tracing();
    let rounds: u64 = std::env::var("CONFAB_KILL_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let seed: u64 = std::env::var("CONFAB_KILL_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("kill loop: {rounds} rounds, CONFAB_KILL_SEED={seed}");
    let mut rng = XorShift(seed | 1);
    let data = tempfile::tempdir().unwrap();
    let identity = confab_server::AppIdentity { sdk_app_id: APP, secret_key: KEY.into() };
    let spawn = |listen: &str| {
        ServerProcess::spawn(
            env!("CARGO_BIN_EXE_confab-server-under-test"),
            data.path(),
            listen,
            &identity,
            &["--group-msg-rate", "0"],
        )
    };
    let mut server = spawn("127.0.0.1:0");
    let url = server.url.clone();
    let listen = url.trim_start_matches("ws://").to_string();
    let senders: Vec<String> = (0..PAIRS).map(|i| format!("s{i}")).collect();
    let recipients: Vec<String> = (0..PAIRS).map(|i| format!("r{i}")).collect();
    // Recipients are SDK clients with their own stores, reconnecting by themselves.
    let stand_in = TestServer { dir: tempfile::tempdir().unwrap(), running: None, identity: identity.clone() };
    let mut clients = Vec::new();
    for r in &recipients {
        let c = TestClient::with_options(&stand_in, tempfile::tempdir().unwrap(), |o| o.server_url = url.clone());
        c.login(r, &sig(r)).await;
        clients.push(c);
    }
    // Senders exist once they have logged in.
    for s in &senders {
        run_sender(&url, s, &[], &AtomicUsize::new(0)).await;
    }
    let members: Vec<Value> = senders[..IN_GROUP]
        .iter()
        .chain(&recipients[1..IN_GROUP])
        .map(|u| json!({"group_member_info_identifier": u}))
        .collect();
    let g = clients[0]
        .ok(
            "TIMGroupCreate",
            json!({"json_group_create_param": {"create_group_param_group_name": "Kill loop",
            "create_group_param_group_type": 1, "create_group_param_group_member_array": members}}),
        )
        .await;
    let gid = g["create_group_result_groupid"].as_str().unwrap().to_string();
    let mut planned_by_conv: HashMap<(u32, String), HashSet<String>> = HashMap::new();
    let mut retries = 0usize;
    let mut events: Vec<Vec<String>> = vec![Vec::new(); PAIRS];
    for round in 0..rounds {
        // The round's sends: each sender to its recipient, the group's senders alternately
        // to the group.
        let plans: Vec<Vec<Planned>> = (0..PAIRS)
            .map(|s| {
                (0..PER_SENDER)
                    .map(|i| {
                        let to_group = s < IN_GROUP && i % 2 == 1;
                        let (conv_type, conv_id) = if to_group { (2, gid.clone()) } else { (1, recipients[s].clone()) };
                        Planned {
                            id: format!("s{s}-{round}-{i}"),
                            conv_type,
                            conv_id,
                            text: format!("s{s}|{round}|{i}"),
                        }
                    })
                    .collect()
            })
            .collect();
        for p in plans.iter().flatten() {
            let key = (
                p.conv_type,
                if p.conv_type == 2 {
                    p.conv_id.clone()
                } else {
                    format!("{}>{}", p.id.split('-').next().unwrap(), p.conv_id)
                },
            );
            planned_by_conv.entry(key).or_default().insert(p.id.clone());
        }
        let total = PAIRS * PER_SENDER;
        // One round in five is killed while the senders log in; the others at 10-90 % acked.
        let early = rng.range(0, 4) == 0;
        let threshold = if early { 0 } else { (total as u64 * rng.range(10, 90) / 100) as usize };
        let early_delay = Duration::from_millis(rng.range(0, 30));
        let progress = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..PAIRS)
            .map(|s| {
                let (url, user, sends, progress) =
                    (url.clone(), senders[s].clone(), plans[s].clone(), progress.clone());
                tokio::spawn(async move { run_sender(&url, &user, &sends, &progress).await })
            })
            .collect();
        if early {
            tokio::time::sleep(early_delay).await;
        } else {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            while progress.load(Ordering::Relaxed) < threshold {
                assert!(tokio::time::Instant::now() < deadline, "round {round}: stuck at {progress:?} acks");
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
        }
        server.kill();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        let acked: usize = outcomes.iter().map(|o| o.acked.len()).sum();
        eprintln!("round {round}: killed at {acked}/{total} acked (threshold {threshold}, early {early})");
        server = spawn(&listen);
        assert_eq!(server.url, url, "restarted on the same port");
        // The app resends what it has no record of, with the same ids; its last three records
        // went down with it.
        for (s, o) in outcomes.iter().enumerate() {
            let kept = o.acked.len().saturating_sub(3);
            let recorded: HashSet<&String> = o.acked[..kept].iter().collect();
            let resend: Vec<Planned> = plans[s].iter().filter(|p| !recorded.contains(&p.id)).cloned().collect();
            let again = run_sender(&url, &senders[s], &resend, &AtomicUsize::new(0)).await;
            assert_eq!(again.acked.len(), resend.len(), "round {round}: every resend of s{s} is acked");
            retries += again.retries;
        }
        for (i, c) in clients.iter().enumerate() {
            for e in c.drain().await {
                if let SdkEvent::RecvNewMsg(msgs) = e {
                    events[i].extend(msgs.iter().map(|m| m.message_msg_id.clone()));
                }
            }
        }
    }
    assert!(retries > 0, "no resend was answered from a stored row: the dedupe path never ran");
    eprintln!("kill loop: {retries} resends answered from stored rows");
    // The server's history.
    for s in 0..PAIRS {
        let planned = &planned_by_conv[&(1, format!("s{s}>{}", recipients[s]))];
        let h = server_history(&url, &recipients[s], 1, &senders[s]).await;
        check_conversation(&format!("server history s{s}->r{s}"), &h, planned, true);
    }
    let group_planned = &planned_by_conv[&(2, gid.clone())];
    let h = server_history(&url, &recipients[0], 2, &gid).await;
    check_conversation("server history of the group", &h, group_planned, true);
    let group_newest = h.last().and_then(|m| m["message_seq"].as_u64()).unwrap();
    // Every recipient's event log and store.
    for (i, c) in clients.iter().enumerate() {
        let one_to_one = &planned_by_conv[&(1, format!("s{i}>{}", recipients[i]))];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            for e in c.drain().await {
                if let SdkEvent::RecvNewMsg(msgs) = e {
                    events[i].extend(msgs.iter().map(|m| m.message_msg_id.clone()));
                }
            }
            let seen: HashSet<&String> = events[i].iter().collect();
            let missing = one_to_one.iter().filter(|id| !seen.contains(id)).count();
            // A group member has caught up when its store holds the group's newest message.
            let group_behind = i < IN_GROUP && {
                let newest = c.messages(&gid, 2, json!({"msg_getmsglist_param_count": 1})).await;
                newest.first().and_then(|m| m["message_seq"].as_u64()).unwrap_or(0) < group_newest
            };
            if missing == 0 && !group_behind {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                let mut gone: Vec<&String> = one_to_one.iter().filter(|id| !seen.contains(id)).collect();
                gone.sort();
                panic!(
                    "r{i}: {missing} one-to-one messages never reported, e.g. {:?}; group behind: {group_behind}",
                    &gone[..gone.len().min(8)]
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let seen: HashSet<&String> = events[i].iter().collect();
        assert_eq!(seen.len(), events[i].len(), "r{i}'s event log reported a message twice");
        let local = local_store(c, 1, &senders[i], false).await;
        check_conversation(&format!("r{i}'s store, chat with s{i}"), &local, one_to_one, true);
        if i < IN_GROUP {
            let reported = events[i].iter().filter(|id| group_planned.contains(*id)).count();
            eprintln!("r{i}: {reported} of {} group messages reported as new", group_planned.len());
            let local = local_store(c, 2, &gid, true).await;
            check_conversation(&format!("r{i}'s store, the group"), &local, group_planned, true);
        }
    }
}
