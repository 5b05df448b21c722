//! PostgreSQL as the store, beyond the conformance suite (which runs every integration test on
//! either engine): what happens to a running server when its database goes away and comes back.
//! Each test starts a cluster of its own (the Debian package's binaries, a temp dir, a loopback
//! port), whichever engine the rest of the suite runs on.
use std::time::{Duration, Instant};

use confab_protocol::codes;
use confab_tests::engines::{schema_url, PgCluster};
use confab_tests::{RawClient, TestServer};
use serde_json::{json, Value};

/// The cluster, stopped when the test ends (however it ends).
struct Cluster(PgCluster, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.0.stop();
    }
}

fn send(to: &str, id: &str, text: &str) -> Value {
    json!({"type": "send_msg", "conv_type": 1, "conv_id": to,
           "msg": {"message_msg_id": id, "message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_database_crash_loses_no_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    // Durable, as in production: what COMMIT acknowledged must survive the crash.
    let pg = Cluster(PgCluster::start(dir.path(), true).expect("start PostgreSQL"), dir);
    let base = pg.0.url();
    let srv = TestServer::start_with(|c| c.store_url = Some(schema_url(&base, &c.data_dir).unwrap())).await;
    let alice = RawClient::login(&srv, "alice").await;
    let _bob_online = RawClient::login(&srv, "bob").await;

    let mut acked: Vec<String> = Vec::new();
    for i in 0..10 {
        let id = format!("before-{i}-a");
        let r = alice.call(send("bob", &id, &format!("before {i}"))).await;
        assert_eq!(r["code"], 0, "{r}");
        acked.push(id);
    }

    // The database crashes: a send fails with a clear code, promptly, and nothing hangs.
    pg.0.crash().expect("crash PostgreSQL");
    let t = Instant::now();
    let r = alice.call(send("bob", "during-0-a", "during the outage")).await;
    assert_eq!(r["code"], codes::ERR_SVR_MSG_INTERNAL_ERROR1, "a send while the store is down: {r}");
    assert!(t.elapsed() < Duration::from_secs(10), "answered in {:?}", t.elapsed());

    // It comes back (crash recovery): the same send, retried as a client does, goes through.
    pg.0.pg_start(true).expect("restart PostgreSQL");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = alice.call(send("bob", "during-0-a", "during the outage")).await;
        if r["code"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the server never regained its store: {r}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    acked.push("during-0-a".into());
    for i in 0..10 {
        let id = format!("after-{i}-a");
        let r = alice.call(send("bob", &id, &format!("after {i}"))).await;
        assert_eq!(r["code"], 0, "{r}");
        acked.push(id);
    }

    // Every acknowledged message is there once, in send order, with consecutive seqs.
    let bob = srv.client("bob").await;
    let list = bob.messages("alice", 1, json!({"msg_getmsglist_param_count": 100})).await;
    let mut got: Vec<(u64, String)> = list
        .iter()
        .map(|m| (m["message_seq"].as_u64().unwrap(), m["message_msg_id"].as_str().unwrap().to_string()))
        .collect();
    got.sort();
    let ids: Vec<String> = got.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids, acked, "every acknowledged message once, in order");
    let seqs: Vec<u64> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, (1..=acked.len() as u64).collect::<Vec<_>>(), "consecutive seqs");
}

/// One schema on two engines: every table and column of the SQLite migrations exists in the
/// PostgreSQL ones and the other way round (PostgreSQL's seq counter tables aside), so a
/// change made in one folder only fails here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_both_engines_migrate_to_the_same_tables_and_columns() {
    use sqlx::Connection;
    use std::collections::BTreeSet;
    let dir = tempfile::tempdir().unwrap();
    let pg = Cluster(PgCluster::start(&dir.path().join("pg"), false).expect("start PostgreSQL"), dir);
    let base = pg.0.url();
    let lite_dir = tempfile::tempdir().unwrap();
    let _lite = TestServer::start_with(|c| {
        c.store_url = None;
        c.data_dir = lite_dir.path().to_path_buf();
    })
    .await;
    let pg_srv = TestServer::start_with(|c| c.store_url = Some(schema_url(&base, &c.data_dir).unwrap())).await;

    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", lite_dir.path().join("confab.db").display()))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut in_lite = BTreeSet::new();
    for t in &tables {
        let cols: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')")).fetch_all(&mut c).await.unwrap();
        in_lite.extend(cols.into_iter().map(|col| format!("{t}.{col}")));
    }
    assert!(in_lite.contains("messages.seq") && in_lite.len() > 60, "{in_lite:?}");

    let schema_of = schema_url(&base, pg_srv.dir.path()).unwrap();
    let schema = schema_of.rsplit("search_path%3D").next().unwrap().to_string();
    let mut p = sqlx::PgConnection::connect(&base).await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = $1 AND table_name NOT IN ('_sqlx_migrations', 'conv_seqs', 'inbox_seqs')",
    )
    .bind(&schema)
    .fetch_all(&mut p)
    .await
    .unwrap();
    let in_pg: BTreeSet<String> = rows.into_iter().map(|(t, col)| format!("{t}.{col}")).collect();
    assert_eq!(
        in_lite.difference(&in_pg).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "columns only in the SQLite migrations"
    );
    assert_eq!(in_pg.difference(&in_lite).collect::<Vec<_>>(), Vec::<&String>::new(), "columns only in PostgreSQL");
}
