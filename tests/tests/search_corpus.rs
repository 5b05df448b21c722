//! TIMMsgSearchLocalMessages over a 100,000-message corpus in Chinese and English made by this
//! test; every expected count is computed from the generator, independently of the SDK.
use confab_tests::TestServer;
use serde_json::{json, Value};

const ZH: &[&str] = &["北京", "上海", "会议", "天气", "明天", "项目", "报告", "午饭", "周末", "电影", "火车", "快递"];
const EN: &[&str] =
    &["meeting", "lunch", "report", "weather", "train", "movie", "project", "weekend", "parcel", "budget"];
const CONVS: &[&str] = &["bob", "carol", "dave", "erin"];
const N: usize = 100_000;
const T0: u64 = 1_600_000_000;

struct Gen {
    conv: usize,
    sender: &'static str,
    time: u64,
    text: String,
    is_file: bool,
}

fn corpus() -> Vec<Gen> {
    let mut rng: u64 = 0x2545f4914f6cdd1d;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    (0..N)
        .map(|i| {
            let text = if (i / 4) % 2 == 0 {
                format!("{}和{}的第{}条", ZH[(next() % 12) as usize], ZH[(next() % 12) as usize], i)
            } else {
                format!("{} and {} no {}", EN[(next() % 10) as usize], EN[(next() % 10) as usize], i)
            };
            Gen {
                conv: i % CONVS.len(),
                sender: if i % 3 == 0 { "alice" } else { CONVS[i % CONVS.len()] },
                time: T0 + i as u64,
                text,
                is_file: i % 97 == 0,
            }
        })
        .collect()
}

fn as_msg(g: &Gen) -> Value {
    let elem = if g.is_file {
        json!({"elem_type": 4, "file_elem_file_name": format!("{}.pdf", g.text), "file_elem_file_size": 1})
    } else {
        json!({"elem_type": 0, "text_elem_content": g.text})
    };
    json!({"message_sender": g.sender, "message_server_time": g.time, "message_client_time": g.time, "message_elem_array": [elem]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_search_a_100k_corpus() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let all = corpus();
    for (ci, conv) in CONVS.iter().enumerate() {
        let mine: Vec<Value> = all.iter().filter(|g| g.conv == ci).map(as_msg).collect();
        for chunk in mine.chunks(5000) {
            let inv = alice
                .sdk
                .call("TIMMsgImportMsgList", &json!({"conv_id": conv, "conv_type": 1, "json_msg_array": chunk}))
                .await;
            assert_eq!(inv.result, 0);
            assert_eq!(inv.callback.unwrap().await.code, 0);
        }
    }
    let alice = &alice;
    let search = |param: Value| async move {
        let inv = alice.sdk.call("TIMMsgSearchLocalMessages", &json!({"json_search_message_param": param})).await;
        let r = inv.callback.unwrap().await;
        assert_eq!(r.code, 0, "{}", r.desc);
        r.json
    };
    let in_conv =
        |ci: usize, pred: &dyn Fn(&Gen) -> bool| all.iter().filter(|g| g.conv == ci && pred(g)).count() as u64;
    // Substrings of 1, 2 and 3+ characters, Chinese and English, in one conversation.
    for kw in ["京", "会议", "天气和", "eet", "proj", "第4321条"] {
        let want = in_conv(1, &|g: &Gen| g.text.contains(kw));
        assert!(want > 0, "the generator makes hits for {kw}");
        let r = search(json!({"msg_search_param_keyword_array": [kw], "msg_search_param_conv_id": "carol", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 10})).await;
        assert_eq!(r["msg_search_result_total_count"], want, "keyword {kw}");
        let page = r["msg_search_result_item_array"][0]["msg_search_result_item_message_array"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(page.len() as u64, want.min(10));
        for m in &page {
            let e = &m["message_elem_array"][0];
            let text = e["text_elem_content"].as_str().or(e["file_elem_file_name"].as_str()).unwrap();
            assert!(text.contains(kw), "{text} contains {kw}");
        }
    }
    // The one message with a unique substring, exactly.
    let r = search(json!({"msg_search_param_keyword_array": ["第4320条"]})).await;
    assert_eq!(r["msg_search_result_total_count"], 1, "one conversation");
    assert_eq!(r["msg_search_result_item_array"][0]["msg_search_result_item_conv_id"], CONVS[4320 % 4]);
    assert_eq!(r["msg_search_result_item_array"][0]["msg_search_result_item_total_message_count"], 1);
    // Across all conversations: per-conversation counts.
    let r = search(json!({"msg_search_param_keyword_array": ["周末"]})).await;
    assert_eq!(r["msg_search_result_total_count"], 4);
    for item in r["msg_search_result_item_array"].as_array().unwrap() {
        let ci = CONVS.iter().position(|c| item["msg_search_result_item_conv_id"] == *c).unwrap();
        assert_eq!(item["msg_search_result_item_total_message_count"], in_conv(ci, &|g: &Gen| g.text.contains("周末")));
    }
    // AND of two keywords.
    let want = in_conv(2, &|g: &Gen| g.text.contains("lunch") && g.text.contains("movie"));
    let r = search(json!({"msg_search_param_keyword_array": ["lunch", "movie"], "msg_search_param_keyword_list_match_type": 1, "msg_search_param_conv_id": "dave", "msg_search_param_conv_type": 1})).await;
    assert_eq!(r["msg_search_result_total_count"], want);
    // Element type: files only.
    let want = in_conv(0, &|g: &Gen| g.is_file && g.text.contains("报告"));
    let r = search(json!({"msg_search_param_keyword_array": ["报告"], "msg_search_param_message_type_array": [4], "msg_search_param_conv_id": "bob", "msg_search_param_conv_type": 1})).await;
    assert_eq!(r["msg_search_result_total_count"], want);
    // Sender.
    let want = in_conv(3, &|g: &Gen| g.sender == "alice" && g.text.contains("train"));
    let r = search(json!({"msg_search_param_keyword_array": ["train"], "msg_search_param_send_indentifier_array": ["alice"], "msg_search_param_conv_id": "erin", "msg_search_param_conv_type": 1})).await;
    assert_eq!(r["msg_search_result_total_count"], want);
    // Time window: the 10,000 seconds before T0 + 50,000.
    let (end, period) = (T0 + 50_000, 10_000);
    let want = in_conv(1, &|g: &Gen| g.time <= end && g.time >= end - period && g.text.contains("天气"));
    let r = search(json!({"msg_search_param_keyword_array": ["天气"], "msg_search_param_conv_id": "carol", "msg_search_param_conv_type": 1,
                          "msg_search_param_search_time_position": end, "msg_search_param_search_time_period": period})).await;
    assert_eq!(r["msg_search_result_total_count"], want);
}

/// Pages of a search walk the hits newest first by (time, seq), exactly once each, also when
/// one second holds more messages than its index slots (5000 > 4096) and with filters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_search_pages_are_exact_and_newest_first() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    // (id, time, seq, sender): 5000 in one second, imported out of seq order; 300 in the next
    // second; 200 earlier ones at distinct times.
    let mut all: Vec<(String, u64, u64, &str)> = Vec::new();
    for j in 0..5000u64 {
        let i = (j * 7919) % 5000;
        all.push((format!("same{i}"), T0, i + 1, if i % 2 == 0 { "frank" } else { "alice" }));
    }
    for j in 0..300u64 {
        all.push((format!("next{j}"), T0 + 1, 10_000 + j, "frank"));
    }
    for j in 0..200u64 {
        all.push((format!("early{j}"), T0 - 1000 + 2 * j, j + 1, "alice"));
    }
    let msgs: Vec<Value> = all
        .iter()
        .map(|(id, t, seq, sender)| {
            json!({"message_msg_id": id, "message_sender": sender, "message_server_time": t, "message_client_time": t,
                   "message_seq": seq, "message_elem_array": [{"elem_type": 0, "text_elem_content": format!("同秒 tie {id}")}]})
        })
        .collect();
    for chunk in msgs.chunks(1000) {
        let inv = alice
            .sdk
            .call("TIMMsgImportMsgList", &json!({"conv_id": "frank", "conv_type": 1, "json_msg_array": chunk}))
            .await;
        assert_eq!(inv.callback.unwrap().await.code, 0);
    }
    let newest = json!({"message_msg_id": "gina1", "message_sender": "gina", "message_server_time": T0 + 5000,
                        "message_elem_array": [{"elem_type": 0, "text_elem_content": "同秒 tie gina"}]});
    let inv = alice
        .sdk
        .call("TIMMsgImportMsgList", &json!({"conv_id": "gina", "conv_type": 1, "json_msg_array": [newest]}))
        .await;
    assert_eq!(inv.callback.unwrap().await.code, 0);
    let alice = &alice;
    let search = |param: Value| async move {
        let inv = alice.sdk.call("TIMMsgSearchLocalMessages", &json!({"json_search_message_param": param})).await;
        let r = inv.callback.unwrap().await;
        assert_eq!(r.code, 0, "{}", r.desc);
        r.json
    };
    let ids = |r: &Value| -> Vec<String> {
        r["msg_search_result_item_array"][0]["msg_search_result_item_message_array"]
            .as_array()
            .map(|a| a.iter().map(|m| m["message_msg_id"].as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    // Expected: newest first by (time, seq).
    type Row<'a> = (String, u64, u64, &'a str);
    let expect = |pred: &dyn Fn(&Row) -> bool| -> Vec<String> {
        let mut v: Vec<&Row> = all.iter().filter(|m| pred(m)).collect();
        v.sort_by_key(|m| std::cmp::Reverse((m.1, m.2)));
        v.into_iter().map(|m| m.0.clone()).collect()
    };
    let walk = |extra: Value, size: u64| async move {
        let mut got = Vec::new();
        for index in 0.. {
            let mut param = json!({"msg_search_param_conv_id": "frank", "msg_search_param_conv_type": 1,
                                   "msg_search_param_page_size": size, "msg_search_param_page_index": index});
            for (k, v) in extra.as_object().unwrap() {
                param[k] = v.clone();
            }
            let r = search(param).await;
            let page = ids(&r);
            if page.is_empty() {
                break;
            }
            assert!(page.len() as u64 <= size);
            got.extend(page);
        }
        got
    };
    let everything = expect(&|_| true);
    for kw in ["同秒", "tie"] {
        let r = search(json!({"msg_search_param_keyword_array": [kw], "msg_search_param_conv_id": "frank", "msg_search_param_conv_type": 1, "msg_search_param_page_size": 1})).await;
        assert_eq!(r["msg_search_result_total_count"], 5500, "{kw}");
        let got = walk(json!({"msg_search_param_keyword_array": [kw]}), 397).await;
        assert_eq!(got, everything, "{kw}: every hit once, newest first");
    }
    // Small pages across the crowded second.
    let got = walk(json!({"msg_search_param_keyword_array": ["同秒"]}), 37).await;
    assert_eq!(got, everything);
    // A sender filter and a time window ending inside the crowded second.
    let got = walk(
        json!({"msg_search_param_keyword_array": ["tie"], "msg_search_param_send_indentifier_array": ["frank"]}),
        500,
    )
    .await;
    assert_eq!(got, expect(&|m| m.3 == "frank"));
    let got =
        walk(json!({"msg_search_param_keyword_array": ["同秒"], "msg_search_param_search_time_position": T0}), 450)
            .await;
    assert_eq!(got, expect(&|m| m.1 <= T0));
    let got = walk(
        json!({"msg_search_param_keyword_array": ["tie"], "msg_search_param_search_time_position": T0 - 700,
               "msg_search_param_search_time_period": 100}),
        7,
    )
    .await;
    assert_eq!(got, expect(&|m| m.1 >= T0 - 800 && m.1 <= T0 - 700));
    assert_eq!(got.len(), 51);
    // Without keywords: element type only.
    let got =
        walk(json!({"msg_search_param_keyword_array": [], "msg_search_param_message_type_array": [0]}), 1000).await;
    assert_eq!(got, everything);
    // All conversations: the one with the newest hit first; each item its newest 20.
    let r = search(json!({"msg_search_param_keyword_array": ["同秒"]})).await;
    assert_eq!(r["msg_search_result_total_count"], 2);
    let items = r["msg_search_result_item_array"].as_array().unwrap();
    assert_eq!(items[0]["msg_search_result_item_conv_id"], "gina");
    assert_eq!(items[1]["msg_search_result_item_conv_id"], "frank");
    assert_eq!(items[1]["msg_search_result_item_total_message_count"], 5500);
    let first: Vec<String> = items[1]["msg_search_result_item_message_array"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_msg_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(first, everything[..20].to_vec());
    let r = search(json!({"msg_search_param_keyword_array": ["同秒"], "msg_search_param_page_size": 1, "msg_search_param_page_index": 1})).await;
    assert_eq!(r["msg_search_result_total_count"], 2);
    assert_eq!(r["msg_search_result_item_array"][0]["msg_search_result_item_conv_id"], "frank");
    // A deleted message leaves every page.
    let m = alice.ok("TIMMsgFindMessages", json!({"json_message_id_array": ["same17"]})).await[0].clone();
    alice
        .ok(
            "TIMMsgDelete",
            json!({"conv_id": "frank", "conv_type": 1, "json_msgdel_param": {"msg_delete_param_msg": m}}),
        )
        .await;
    let got = walk(json!({"msg_search_param_keyword_array": ["tie"]}), 1000).await;
    assert_eq!(got, expect(&|m| m.0 != "same17"));
}
