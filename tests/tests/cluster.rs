//! Several nodes, one service: PostgreSQL is the truth, NATS carries notes between nodes
//! (`--store postgres://… --bus nats://…`). Each test starts its own PostgreSQL cluster and
//! nats-server on loopback ports and three nodes in process sharing them; users are spread over
//! the nodes.
use confab_core::SdkEvent;
use confab_protocol::message::Elem;
use confab_server::AppIdentity;
use confab_tests::engines::{schema_url, NatsServer, PgCluster};
use confab_tests::{eventually, TestClient, TestServer};
use serde_json::{json, Value};

pub struct Service {
    pub nodes: Vec<TestServer>,
    pub nats: NatsServer,
    pg: PgCluster,
    _dir: tempfile::TempDir,
}

impl Drop for Service {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            drop(n.running.take());
        }
        let _ = self.pg.stop();
    }
}

async fn service(nodes: usize) -> Service {
    service_with(nodes, false).await
}

/// `durable`: PostgreSQL as in production (fsync, synchronous commit), for tests that crash it.
async fn service_with(nodes: usize, durable: bool) -> Service {
    let dir = tempfile::tempdir().unwrap();
    let pg = PgCluster::start(&dir.path().join("pg"), durable).expect("start PostgreSQL");
    let nats = NatsServer::start().expect("start nats-server");
    let store = schema_url(&pg.url(), &dir.path().join("service")).unwrap();
    let media = dir.path().join("media");
    let identity = AppIdentity::load_or_create(&dir.path().join("id"), None, None).unwrap();
    let mut out = Vec::new();
    for _ in 0..nodes {
        let (store, bus, media) = (store.clone(), nats.url(), media.clone());
        out.push(
            TestServer::start_node(&identity, move |c| {
                c.store_url = Some(store);
                c.bus_url = Some(bus);
                c.media_dir = Some(media);
            })
            .await,
        );
    }
    Service { nodes: out, nats, pg, _dir: dir }
}

/// `user` logged in on node `i` (a device of its own).
async fn on(svc: &Service, i: usize, user: &str) -> TestClient {
    svc.nodes[i].client(user).await
}

/// The texts of the next `n` text messages `c` receives (tips and reports skipped).
async fn texts(c: &TestClient, n: usize) -> Vec<String> {
    let is_text = |m: &confab_protocol::Message| m.message_elem_array.iter().any(|e| matches!(e, Elem::Text(_)));
    let mut out = Vec::new();
    while out.len() < n {
        if let SdkEvent::RecvNewMsg(msgs) =
            c.wait_for("text messages", |e| matches!(e, SdkEvent::RecvNewMsg(m) if m.iter().any(is_text))).await
        {
            out.extend(
                msgs.iter().filter(|m| is_text(m)).map(|m| confab_tests::text_of(&serde_json::to_value(m).unwrap())),
            );
        }
    }
    out
}

async fn create_group(owner: &TestClient, kind: u32, members: &[&str], extra: Value) -> String {
    let arr: Vec<Value> = members.iter().map(|m| json!({"group_member_info_identifier": m})).collect();
    let mut p = json!({"create_group_param_group_name": "across", "create_group_param_group_type": kind,
                       "create_group_param_group_member_array": arr});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    let v = owner.ok("TIMGroupCreate", json!({ "json_group_create_param": p })).await;
    v["create_group_result_groupid"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_c2c_and_group_messages_cross_nodes() {
    let svc = service(3).await;
    let alice = on(&svc, 0, "alice").await;
    let bob = on(&svc, 1, "bob").await;
    let carol = on(&svc, 2, "carol").await;

    // One-to-one, both ways, between nodes 0 and 1.
    for i in 0..5 {
        alice.send_text("bob", 1, &format!("a{i}")).await;
    }
    assert_eq!(texts(&bob, 5).await, ["a0", "a1", "a2", "a3", "a4"]);
    bob.send_text("alice", 1, "hi alice").await;
    assert_eq!(texts(&alice, 1).await, ["hi alice"]);

    // A Work group with a member on each node: each message reaches the other two, in order.
    let gid = create_group(&alice, 1, &["bob", "carol"], json!({})).await;
    for i in 0..5 {
        carol.send_text(&gid, 2, &format!("c{i}")).await;
    }
    let want: Vec<String> = (0..5).map(|i| format!("c{i}")).collect();
    assert_eq!(texts(&alice, 5).await, want);
    assert_eq!(texts(&bob, 5).await, want);
    bob.send_text(&gid, 2, "from node 1").await;
    assert_eq!(texts(&carol, 1).await, ["from node 1"]);
    assert_eq!(texts(&alice, 1).await, ["from node 1"]);

    // The group's seqs are one sequence, whichever node stored each message.
    let list = alice.messages(&gid, 2, json!({"msg_getmsglist_param_count": 50})).await;
    let mut seqs: Vec<u64> = list.iter().map(|m| m["message_seq"].as_u64().unwrap()).collect();
    seqs.sort();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "contiguous group seqs: {seqs:?}");

    // A profile changed on node 2 is seen on node 0 (the nodes' caches follow each other).
    let nick_on_node0 = || async {
        let v = alice
            .ok(
                "TIMProfileGetUserProfileList",
                json!({"json_get_user_profile_list_param": {"friendship_getprofilelist_param_identifier_array": ["carol"]}}),
            )
            .await;
        v[0]["user_profile_nick_name"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(nick_on_node0().await, "", "read (and cached) on node 0 first");
    carol
        .ok(
            "TIMProfileModifySelfUserProfile",
            json!({"json_modify_self_user_profile_param": {"user_profile_item_nick_name": "Caroline"}}),
        )
        .await;
    eventually("node 0 serves carol's new nick", || async { nick_on_node0().await == "Caroline" }).await;

    // bob (node 1) stops receiving from alice, whose sends go through node 0: node 0 read
    // bob's option for the sends above and cached it; the change reaches that cache.
    bob.ok("TIMMsgSetC2CReceiveMessageOpt", json!({"json_identifier_array": ["alice"], "opt": 1})).await;
    let _ = bob.drain().await;
    alice.send_text("bob", 1, "ignored").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!bob.drain().await.iter().any(|e| matches!(e, SdkEvent::RecvNewMsg(_))), "not delivered");
    bob.ok("TIMMsgSetC2CReceiveMessageOpt", json!({"json_identifier_array": ["alice"], "opt": 0})).await;
    alice.send_text("bob", 1, "back").await;
    assert_eq!(texts(&bob, 1).await, ["back"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_join_request_approved_on_another_node() {
    let svc = service(3).await;
    let alice = on(&svc, 0, "alice").await;
    let bob = on(&svc, 1, "bob").await;
    let dave = on(&svc, 2, "dave").await;
    // Public, joining needs approval (add option 1).
    let gid = create_group(&alice, 0, &["bob"], json!({"create_group_param_add_option": 1})).await;
    dave.ok("TIMGroupJoin", json!({"group_id": gid, "hello_msg": "let me in"})).await;
    // The owner, on another node, sees the request and approves it.
    let deadline = std::time::Instant::now() + confab_tests::WAIT;
    let pendency = loop {
        let list = alice.ok("TIMGroupGetPendencyList", json!({"json_group_getpendence_list_param": {}})).await;
        let found = list["group_pendency_result_pendency_array"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["group_pendency_form_identifier"] == "dave").cloned());
        if let Some(p) = found {
            break p;
        }
        assert!(std::time::Instant::now() < deadline, "alice never listed dave's request");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    alice
        .ok(
            "TIMGroupHandlePendency",
            json!({"json_group_handle_pendency_param": {"group_handle_pendency_param_is_accept": true,
                   "group_handle_pendency_param_handle_msg": "welcome", "group_handle_pendency_param_pendency": pendency}}),
        )
        .await;
    // dave (node 2) is a member now and hears bob (node 1); bob hears dave.
    eventually("dave can send to the group", || async {
        dave.call(
            "TIMMsgSendMessage",
            json!({"conv_id": gid, "conv_type": 2,
            "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "hello all"}]}}),
        )
        .await
        .code
            == 0
    })
    .await;
    assert_eq!(texts(&bob, 1).await, ["hello all"]);
    bob.send_text(&gid, 2, "welcome dave").await;
    assert_eq!(texts(&dave, 1).await, ["welcome dave"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_kicks_and_revocations_hold_across_nodes() {
    let svc = service(3).await;
    // alice's desktop on node 0; the same platform logs in on node 2: node 0's session is kicked.
    let first = on(&svc, 0, "alice").await;
    let second = on(&svc, 2, "alice").await;
    first.wait_for("kicked", |e| matches!(e, SdkEvent::KickedOffline)).await;
    assert_eq!(first.call("TIMConvGetConvList", json!({})).await.code, 6014);
    // The kicked device takes the slot back (kicked while online: not refused) and node 2's
    // session is kicked in turn.
    first.login("alice", &svc.nodes[0].usersig("alice")).await;
    second.wait_for("kicked", |e| matches!(e, SdkEvent::KickedOffline)).await;
    // Messages reach the device that holds the slot.
    let bob = on(&svc, 1, "bob").await;
    bob.send_text("alice", 1, "still there?").await;
    assert_eq!(texts(&first, 1).await, ["still there?"]);
    // Signing out everywhere on node 1 ends alice's other sessions on nodes 0 and 2.
    let phone = TestClient::with_options(&svc.nodes[2], tempfile::tempdir().unwrap(), |o| o.platform = Some(2));
    phone.login("alice", &svc.nodes[2].usersig("alice")).await;
    let laptop = TestClient::with_options(&svc.nodes[1], tempfile::tempdir().unwrap(), |o| o.platform = Some(4));
    laptop.login("alice", &svc.nodes[1].usersig("alice")).await;
    laptop.sdk.sign_out_everywhere().await.expect("sign out everywhere");
    first.wait_for("desktop signed out", |e| matches!(e, SdkEvent::UserSigExpired)).await;
    phone.wait_for("phone signed out", |e| matches!(e, SdkEvent::UserSigExpired)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_nats_restart_loses_no_acknowledged_message() {
    let mut svc = service(2).await;
    let alice = on(&svc, 0, "alice").await;
    let bob = on(&svc, 1, "bob").await;
    let gid = create_group(&alice, 1, &["bob"], json!({})).await;
    alice.send_text("bob", 1, "before").await;
    assert_eq!(texts(&bob, 1).await, ["before"]);

    // NATS goes away: sends are still stored and acknowledged (the store is the truth), and
    // bob catches up by seq (his heartbeat sees that his inbox moved on).
    svc.nats.kill();
    alice.send_text("bob", 1, "during 1").await;
    alice.send_text("bob", 1, "during 2").await;
    assert_eq!(texts(&bob, 2).await, ["during 1", "during 2"]);
    alice.send_text(&gid, 2, "group during").await;

    // NATS is back: the nodes reconnect and resubscribe, and each asks its clients to catch up.
    // So the group message sent meanwhile arrives although no later message reveals the gap.
    svc.nats.restart().expect("restart nats-server");
    let late = tokio::time::timeout(std::time::Duration::from_secs(20), texts(&bob, 1)).await;
    assert_eq!(late.expect("the group message sent while NATS was down never arrived"), ["group during"]);
    // Live delivery resumes.
    eventually("live delivery across nodes again", || async {
        let _ = bob.drain().await;
        alice.send_text("bob", 1, "probe").await;
        tokio::time::timeout(std::time::Duration::from_millis(500), texts(&bob, 1)).await.is_ok()
    })
    .await;
    alice.send_text(&gid, 2, "group after").await;
    let mut got = Vec::new();
    while got.is_empty() {
        // Late probes (from attempts that timed out above) are not what this waits for.
        got.extend(texts(&bob, 1).await.into_iter().filter(|t| t != "probe"));
    }
    assert_eq!(got, ["group after"]);
    // Nothing twice: bob's store has each one-to-one message once.
    let list = bob.messages("alice", 1, json!({"msg_getmsglist_param_count": 100})).await;
    let mut ids: Vec<&str> = list.iter().filter_map(|m| m["message_msg_id"].as_str()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no message twice");
}

/// PostgreSQL goes down under three nodes: every node answers sends with a clear code (not a
/// hang) while it is down, every node regains service when it is back, and each acknowledged
/// message reaches its receiver on another node once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_database_restart_under_three_nodes_loses_nothing() {
    use confab_protocol::codes;
    use confab_tests::RawClient;
    use std::time::{Duration, Instant};
    // Durable: what COMMIT acknowledged must survive the crash.
    let svc = service_with(3, true).await;
    let send = |to: &str, id: &str, text: &str| {
        json!({"type": "send_msg", "conv_type": 1, "conv_id": to,
               "msg": {"message_msg_id": id, "message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}})
    };
    // Sender i is on node i; its receiver on node i + 1.
    let mut receivers = Vec::new();
    for i in 0..3 {
        receivers.push(on(&svc, (i + 1) % 3, &format!("r{i}")).await);
    }
    let mut senders = Vec::new();
    for i in 0..3 {
        senders.push(RawClient::login(&svc.nodes[i], &format!("s{i}")).await);
    }
    let mut acked: Vec<Vec<String>> = vec![Vec::new(); 3];
    for (i, s) in senders.iter().enumerate() {
        for k in 0..3 {
            let text = format!("before {k}");
            let r = s.call(send(&format!("r{i}"), &format!("b{k}-s{i}-a"), &text)).await;
            assert_eq!(r["code"], 0, "{r}");
            acked[i].push(text);
        }
    }

    svc.pg.crash().expect("crash PostgreSQL");
    for (i, s) in senders.iter().enumerate() {
        let t = Instant::now();
        let r = s.call(send(&format!("r{i}"), &format!("d0-s{i}-a"), "during")).await;
        assert_eq!(r["code"], codes::ERR_SVR_MSG_INTERNAL_ERROR1, "node {i}, store down: {r}");
        assert!(t.elapsed() < Duration::from_secs(10), "node {i} answered in {:?}", t.elapsed());
    }

    svc.pg.pg_start(true).expect("restart PostgreSQL");
    for (i, s) in senders.iter().enumerate() {
        // The send that failed, retried as a client does, until the node has its store again.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = s.call(send(&format!("r{i}"), &format!("d0-s{i}-a"), "during")).await;
            if r["code"] == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "node {i} never regained its store: {r}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        acked[i].push("during".into());
        for k in 0..3 {
            let text = format!("after {k}");
            let r = s.call(send(&format!("r{i}"), &format!("a{k}-s{i}-a"), &text)).await;
            assert_eq!(r["code"], 0, "node {i}: {r}");
            acked[i].push(text);
        }
    }

    // Every receiver (on another node than its sender) has each acknowledged message once, in
    // send order, in its local store.
    for (i, r) in receivers.iter().enumerate() {
        let want = acked[i].clone();
        eventually(&format!("r{i} holds what s{i} was acked"), || async {
            let list = r.messages(&format!("s{i}"), 1, json!({"msg_getmsglist_param_count": 50})).await;
            let mut got: Vec<(u64, String)> =
                list.iter().map(|m| (m["message_seq"].as_u64().unwrap_or(0), confab_tests::text_of(m))).collect();
            got.sort();
            got.into_iter().map(|(_, t)| t).collect::<Vec<_>>() == want
        })
        .await;
    }
}
