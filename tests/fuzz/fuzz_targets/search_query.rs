//! What a person types into local search: up to five keywords, any characters, matched with
//! AND or OR, run against a real SDK store holding a few messages. The SDK must always build a
//! valid query: an error here is a bug (a keyword broke the FTS or LIKE syntax).
#![no_main]
use std::sync::OnceLock;

use confab_core::fuzzing::{put_msg, LocalStore, MAX_KEY_TIME};
use confab_protocol::msg_ops::MessageSearchParam;
use confab_protocol::Message;
use libfuzzer_sys::fuzz_target;

struct Bench {
    rt: tokio::runtime::Runtime,
    store: LocalStore,
    _dir: std::path::PathBuf,
}

fn bench() -> &'static Bench {
    static B: OnceLock<Bench> = OnceLock::new();
    B.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = std::env::temp_dir().join(format!("confab-fuzz-search-{}", std::process::id()));
        let store = rt.block_on(async {
            let store = LocalStore::open(&dir.join("store.db")).await.unwrap();
            let mut tx = store.begin().await.unwrap();
            for (i, text) in ["hello world", "naïve café", "你好世界", "50% off_sale \"quoted\"", "a*b OR c"].iter().enumerate() {
                let m: Message = serde_json::from_value(serde_json::json!({
                    "message_msg_id": format!("fuzz-{i}-1"), "message_conv_type": 1, "message_conv_id": "bob",
                    "message_sender": "bob", "message_seq": i + 1, "message_server_time": 1_700_000_000 + i,
                    "message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}))
                .unwrap();
                put_msg(&mut tx, &m).await.unwrap();
            }
            tx.commit().await.unwrap();
            store
        });
        Bench { rt, store, _dir: dir }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    // As TIMMsgSearchLocalMessages passes them on: trimmed, none empty, at most five.
    let keywords: Vec<String> =
        text.split('\u{1f}').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).take(5).collect();
    if keywords.is_empty() {
        return;
    }
    let b = bench();
    let p = MessageSearchParam {
        msg_search_param_keyword_array: keywords.clone(),
        msg_search_param_keyword_list_match_type: u32::from(mode & 1),
        msg_search_param_page_size: 10,
        ..Default::default()
    };
    let ct = u32::from(mode >> 1 & 1);
    let conv = if mode & 4 != 0 { "bob".to_string() } else { String::new() };
    let r = b.rt.block_on(b.store.search(&p, &keywords, ct, conv, 0, MAX_KEY_TIME));
    if let Err(e) = r {
        panic!("search for {keywords:?} failed: {e}");
    }
});
