//! Bench: local search and history paging over a large local store.
//!
//! Imports N messages (default 1,000,000; `CONFAB_BENCH_MESSAGES` to change) in Chinese and
//! English into one conversation through TIMMsgImportMsgList, then measures:
//! - TIMMsgSearchLocalMessages p50/p95 for substring queries (1, 2 and 3+ characters) against a
//!   baseline measured in the same run: the same queries as a plain LIKE scan of the messages
//!   table (what a store without a search index would do);
//! - TIMMsgGetMsgList of 20 messages from random anchors, p50/p95, against reading 20 rows by
//!   primary key as the baseline.
//! Targets (issue 6): search p95 < 50 ms on 1M messages; a 20-message page < 5 ms.
//!
//! Run: `cargo bench -p confab-tests --bench local_search`
use std::time::{Duration, Instant};

use confab_tests::TestServer;
use serde_json::{json, Value};
use sqlx::Row;

const WORDS_ZH: &[&str] =
    &["北京", "上海", "会议", "天气", "明天", "项目", "报告", "午饭", "周末", "电影", "火车", "快递"];
const WORDS_EN: &[&str] =
    &["meeting", "lunch", "report", "weather", "train", "movie", "project", "weekend", "parcel", "budget"];

fn pct(mut v: Vec<Duration>, p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0
}

fn main() {
    let n: usize = std::env::var("CONFAB_BENCH_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let srv = TestServer::start().await;
        let c = srv.client("alice").await;
        let t0 = Instant::now();
        let mut rng: u64 = 0x9e3779b97f4a7c15;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let batch = 2000;
        for start in (0..n).step_by(batch) {
            let msgs: Vec<Value> = (start..(start + batch).min(n))
                .map(|i| {
                    let text = if i % 2 == 0 {
                        format!("{}和{}的第{}条消息", WORDS_ZH[(next() % 12) as usize], WORDS_ZH[(next() % 12) as usize], i)
                    } else {
                        format!("{} about the {} number {}", WORDS_EN[(next() % 10) as usize], WORDS_EN[(next() % 10) as usize], i)
                    };
                    json!({"message_sender": if i % 3 == 0 { "bob" } else { "alice" }, "message_client_time": 1_600_000_000 + i as u64,
                           "message_server_time": 1_600_000_000 + i as u64, "message_elem_array": [{"elem_type": 0, "text_elem_content": text}]})
                })
                .collect();
            let inv = c.sdk.call("TIMMsgImportMsgList", &json!({"conv_id": "bob", "conv_type": 1, "json_msg_array": msgs})).await;
            assert_eq!(inv.callback.unwrap().await.code, 0);
        }
        println!("imported {n} messages in {:.1} s", t0.elapsed().as_secs_f64());
        let shared = c.sdk.shared().await.unwrap();
        let pool = shared.store.pool.clone();
        let queries = ["京", "会议", "天气和", "meeting", "proj", "第12344条"];
        let (mut search, mut scan) = (Vec::new(), Vec::new());
        for round in 0..5 {
            for q in queries {
                let t = Instant::now();
                let r = c.ok("TIMMsgSearchLocalMessages", json!({"json_search_message_param": {"msg_search_param_keyword_array": [q], "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 20}})).await;
                search.push(t.elapsed());
                if round == 0 {
                    println!("  search {q:>10}: {} hits", r["msg_search_result_total_count"]);
                }
                let t = Instant::now();
                let _: i64 = sqlx::query("SELECT COUNT(*) FROM messages WHERE body LIKE ?").bind(format!("%{q}%")).fetch_one(&pool).await.unwrap().get(0);
                scan.push(t.elapsed());
            }
        }
        println!("search      p50 {:>7.1} ms  p95 {:>7.1} ms  (target p95 < 50 ms)", pct(search.clone(), 0.5), pct(search.clone(), 0.95));
        println!("LIKE scan   p50 {:>7.1} ms  p95 {:>7.1} ms  (baseline)", pct(scan.clone(), 0.5), pct(scan.clone(), 0.95));
        println!("ratio search/scan at p95: {:.3}", pct(search, 0.95) / pct(scan, 0.95));
        let (mut page, mut base) = (Vec::new(), Vec::new());
        let ids: Vec<String> = sqlx::query_scalar("SELECT msg_id FROM messages ORDER BY random() LIMIT 200").fetch_all(&pool).await.unwrap();
        for id in &ids {
            let anchor = c.ok("TIMMsgFindMessages", json!({"json_message_id_array": [id]})).await[0].clone();
            let t = Instant::now();
            let l = c.messages("bob", 1, json!({"msg_getmsglist_param_count": 20, "msg_getmsglist_param_last_msg": anchor})).await;
            page.push(t.elapsed());
            assert!(l.len() <= 20);
            let t = Instant::now();
            let _ = sqlx::query("SELECT body FROM messages WHERE rowid BETWEEN (SELECT rowid FROM messages WHERE msg_id = ?) - 20 AND (SELECT rowid FROM messages WHERE msg_id = ?)").bind(id).bind(id).fetch_all(&pool).await.unwrap();
            base.push(t.elapsed());
        }
        println!("get 20      p50 {:>7.2} ms  p95 {:>7.2} ms  (target < 5 ms)", pct(page.clone(), 0.5), pct(page.clone(), 0.95));
        println!("rowid read  p50 {:>7.2} ms  p95 {:>7.2} ms  (baseline)", pct(base.clone(), 0.5), pct(base.clone(), 0.95));
        println!("ratio page/rowid at p95: {:.2}", pct(page, 0.95) / pct(base, 0.95));
    });
}
