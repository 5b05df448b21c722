//! Bench: local search and history paging over a large local store.
//!
//! Imports N messages (default 1,000,000; `CONFAB_BENCH_MESSAGES` to change) in Chinese and
//! English into one conversation ("bob") through TIMMsgImportMsgList, plus two small ones, then
//! measures:
//! - TIMMsgSearchLocalMessages (first page of 20, one conversation) p50/p95 for frequent
//!   (~40k–95k hits at 1M), medium (~3k–10k) and rare (~1–100) keywords: one- and
//!   two-character CJK, three or more characters in Chinese and English. Each hit count is
//!   checked against the generator. The baseline, measured in the same run, is the same
//!   keyword as a plain LIKE scan of the messages table (what a store without a search index
//!   would do).
//! - Other query shapes, reported on their own: all conversations, AND, OR across the two
//!   indexes, a sender filter, a deep page, a two-letter Latin keyword (LIKE fallback).
//! - TIMMsgGetMsgList of 20 messages from random anchors, p50/p95, against reading 20 rows by
//!   primary key as the baseline.
//!
//! Targets (issue 6): search p95 < 50 ms on 1M messages; a 20-message page < 5 ms.
//!
//! Run: `cargo bench -p confab-tests --bench local_search`
use std::time::{Duration, Instant};

use confab_tests::{TestClient, TestServer};
use serde_json::{json, Value};
use sqlx::Row;

const WORDS_ZH: &[&str] =
    &["北京", "上海", "会议", "天气", "明天", "项目", "报告", "午饭", "周末", "电影", "火车", "快递"];
const WORDS_EN: &[&str] =
    &["meeting", "lunch", "report", "weather", "train", "movie", "project", "weekend", "parcel", "budget"];

fn pct(v: &[Duration], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0
}

/// The text of message `i`: even messages Chinese, odd ones English; a few carry rarer words.
fn texts(n: usize) -> Vec<String> {
    let mut rng: u64 = 0x9e3779b97f4a7c15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                let mut t = format!(
                    "{}和{}的第{}条消息",
                    WORDS_ZH[(next() % 12) as usize],
                    WORDS_ZH[(next() % 12) as usize],
                    i
                );
                if i % 98 == 0 {
                    t.push_str("，去故宫");
                }
                if i % 9998 == 0 {
                    t.push_str("，看长城下雪");
                }
                t
            } else {
                let mut t = format!(
                    "{} about the {} number {}",
                    WORDS_EN[(next() % 10) as usize],
                    WORDS_EN[(next() % 10) as usize],
                    i
                );
                if i % 97 == 1 {
                    t.push_str(" with a zebra");
                }
                if i % 9973 == 1 {
                    t.push_str(" and a quokka");
                }
                t
            }
        })
        .collect()
}

async fn import(c: &TestClient, conv: &str, texts: &[String]) {
    let batch = 2000;
    for start in (0..texts.len()).step_by(batch) {
        let msgs: Vec<Value> = (start..(start + batch).min(texts.len()))
            .map(|i| {
                json!({"message_sender": if i % 3 == 0 { conv } else { "alice" }, "message_client_time": 1_600_000_000 + i as u64,
                       "message_server_time": 1_600_000_000 + i as u64, "message_elem_array": [{"elem_type": 0, "text_elem_content": texts[i]}]})
            })
            .collect();
        let inv =
            c.sdk.call("TIMMsgImportMsgList", &json!({"conv_id": conv, "conv_type": 1, "json_msg_array": msgs})).await;
        assert_eq!(inv.callback.unwrap().await.code, 0);
    }
}

fn line(label: &str, v: &[Duration], note: &str) {
    println!("{label:<34} p50 {:>7.1} ms  p95 {:>7.1} ms  {note}", pct(v, 0.5), pct(v, 0.95));
}

fn main() {
    let n: usize = std::env::var("CONFAB_BENCH_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let srv = TestServer::start().await;
        let c = srv.client("alice").await;
        let t0 = Instant::now();
        let all = texts(n);
        import(&c, "bob", &all).await;
        import(&c, "carol", &texts(2000)).await;
        import(&c, "dave", &texts(2000)).await;
        println!("imported {n} + 4000 messages in {:.1} s", t0.elapsed().as_secs_f64());
        // The baselines read the client's database directly (the SDK keeps its pool to itself):
        // `<data dir>/users/<hex user id>/confab.db`, beside the media cache folder.
        let db = c.sdk.media_cache_dir().await.unwrap().with_file_name("confab.db");
        let pool = sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(db)).await.unwrap();
        let search = |param: Value| {
            let c = &c;
            async move {
                let t = Instant::now();
                let r = c.ok("TIMMsgSearchLocalMessages", json!({"json_search_message_param": param})).await;
                (t.elapsed(), r)
            }
        };
        // (class, kind, keyword) — one conversation, first page of 20.
        let main_set: &[(&str, &str, &str)] = &[
            ("frequent", "1-char CJK", "京"),
            ("frequent", "2-char CJK", "会议"),
            ("frequent", "3-char CJK", "天气和"),
            ("frequent", "English 7", "meeting"),
            ("frequent", "English 4", "proj"),
            ("medium", "1-char CJK", "宫"),
            ("medium", "2-char CJK", "故宫"),
            ("medium", "5-char CJK", "北京和上海"),
            ("medium", "English 5", "zebra"),
            ("rare", "1-char CJK", "雪"),
            ("rare", "2-char CJK", "长城"),
            ("rare", "8-char CJK", "第123456条"),
            ("rare", "English 6", "quokka"),
        ];
        let rounds = 7;
        let mut by_class: Vec<(String, Vec<Duration>, Vec<Duration>)> = Vec::new();
        let (mut every, mut every_scan) = (Vec::new(), Vec::new());
        for &(class, kind, kw) in main_set {
            let want = all.iter().filter(|t| t.contains(kw)).count() as u64;
            let (mut s, mut b) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let (d, r) = search(json!({"msg_search_param_keyword_array": [kw], "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 20})).await;
                assert_eq!(r["msg_search_result_total_count"], want, "hits for {kw}");
                let page = r["msg_search_result_item_array"][0]["msg_search_result_item_message_array"].as_array().map(|a| a.len()).unwrap_or(0);
                assert_eq!(page as u64, want.min(20));
                s.push(d);
                let t = Instant::now();
                let _: i64 = sqlx::query("SELECT COUNT(*) FROM messages WHERE conv_id = 'bob' AND body LIKE ?").bind(format!("%{kw}%")).fetch_one(&pool).await.unwrap().get(0);
                b.push(t.elapsed());
            }
            line(&format!("  {class:<8} {kind:<11} {kw}"), &s, &format!("{want} hits; LIKE scan p50 {:.0} ms", pct(&b, 0.5)));
            every.extend(s.iter().copied());
            every_scan.extend(b.iter().copied());
            match by_class.iter_mut().find(|(c, _, _)| c == class) {
                Some((_, cs, cb)) => {
                    cs.extend(s);
                    cb.extend(b);
                }
                None => by_class.push((class.to_string(), s, b)),
            }
        }
        for (class, s, b) in &by_class {
            line(&format!("search {class}"), s, &format!("(LIKE scan p95 {:.0} ms, ratio {:.3})", pct(b, 0.95), pct(s, 0.95) / pct(b, 0.95)));
        }
        line("search, all keywords above", &every, "(target p95 < 50 ms)");
        line("LIKE scan, same keywords", &every_scan, "(baseline)");
        println!("ratio search/scan at p95: {:.3}", pct(&every, 0.95) / pct(&every_scan, 0.95));
        // Other shapes.
        let others: Vec<(&str, Value)> = vec![
            ("all conversations 会议", json!({"msg_search_param_keyword_array": ["会议"], "msg_search_param_page_size": 10})),
            ("all conversations meeting", json!({"msg_search_param_keyword_array": ["meeting"], "msg_search_param_page_size": 10})),
            ("AND 北京 上海 (one conv)", json!({"msg_search_param_keyword_array": ["北京", "上海"], "msg_search_param_keyword_list_match_type": 1, "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 20})),
            ("AND meeting lunch (one conv)", json!({"msg_search_param_keyword_array": ["meeting", "lunch"], "msg_search_param_keyword_list_match_type": 1, "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 20})),
            ("OR 会议 meeting (two indexes)", json!({"msg_search_param_keyword_array": ["会议", "meeting"], "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 20})),
            ("meeting from bob (sender)", json!({"msg_search_param_keyword_array": ["meeting"], "msg_search_param_send_indentifier_array": ["bob"], "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 20})),
            ("meeting, page 50 of 20", json!({"msg_search_param_keyword_array": ["meeting"], "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 20, "msg_search_param_page_index": 49})),
            ("meeting, 1-day window", json!({"msg_search_param_keyword_array": ["meeting"], "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 20, "msg_search_param_search_time_position": 1_600_000_000u64 + n as u64 / 2, "msg_search_param_search_time_period": 86_400})),
            ("ab (2 Latin letters: LIKE)", json!({"msg_search_param_keyword_array": ["ab"], "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 20})),
        ];
        println!("other query shapes:");
        for (label, param) in others {
            let mut s = Vec::new();
            let mut hits = Value::Null;
            for _ in 0..rounds {
                let (d, r) = search(param.clone()).await;
                hits = r["msg_search_result_total_count"].clone();
                s.push(d);
            }
            line(&format!("  {label}"), &s, &format!("total {hits}"));
        }
        let (mut page, mut base) = (Vec::new(), Vec::new());
        let ids: Vec<String> = sqlx::query_scalar("SELECT msg_id FROM messages WHERE conv_id = 'bob' ORDER BY random() LIMIT 200").fetch_all(&pool).await.unwrap();
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
        println!("get 20      p50 {:>7.2} ms  p95 {:>7.2} ms  (target < 5 ms)", pct(&page, 0.5), pct(&page, 0.95));
        println!("rowid read  p50 {:>7.2} ms  p95 {:>7.2} ms  (baseline)", pct(&base, 0.5), pct(&base, 0.95));
        println!("ratio page/rowid at p95: {:.2}", pct(&page, 0.95) / pct(&base, 0.95));
    });
}
