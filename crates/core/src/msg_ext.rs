//! The rest of the message API (seed 001): cancel, find by locator, import/save, delete,
//! clear history, local custom data, merged messages, local search, batch send.
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_protocol::codes;
use confab_protocol::conv::MsgDeleteParam;
use confab_protocol::enums::{conv_event, conv_type, msg_status};
use confab_protocol::msg_ops::{
    MessageSearchParam, MessageSearchResult, MessageSearchResultItem, MsgBatchSendParam, MsgBatchSendResult,
};
use confab_protocol::wire::Request;
use confab_protocol::{Elem, Message, MsgLocator};
use serde_json::Value;
use sqlx::Row;

use crate::error::{Error, Result};
use crate::msg;
use crate::session::Shared;
use crate::store;

/// Cache a conversation's receive option (shown as `conv_recv_opt`) and announce the change.
pub async fn remember_recv_opt(shared: &Shared, ct: u32, id: &str, opt: u32) -> Result<()> {
    let mut c = shared.store.pool.acquire().await?;
    store::kv_set(&mut c, &store::recv_opt_key(ct, id), &opt.to_string()).await?;
    drop(c);
    shared.emit_conv(conv_event::UPDATE, ct, id).await;
    Ok(())
}

/// TIMMsgSetC2CReceiveMessageOpt: up to 30 users, enforced by the server.
pub async fn set_c2c_recv_opt(shared: &Arc<Shared>, ids: Vec<String>, opt: u32) -> Result<()> {
    if ids.is_empty() || ids.len() > 30 {
        return Err(Error::InvalidParam("give 1 to 30 user ids".into()));
    }
    if opt > confab_protocol::enums::recv_msg_opt::NOT_NOTIFY {
        return Err(Error::InvalidParam(format!("unknown receive option {opt}")));
    }
    shared.rate_limit_recv_opt()?;
    shared.link.request(Request::SetC2CRecvOpt { user_ids: ids.clone(), opt }).await?;
    for id in &ids {
        remember_recv_opt(shared, conv_type::C2C, id, opt).await?;
    }
    Ok(())
}

/// TIMMsgGetC2CReceiveMessageOpt.
pub async fn get_c2c_recv_opt(shared: &Arc<Shared>, ids: Vec<String>) -> Result<Value> {
    if ids.is_empty() || ids.len() > 30 {
        return Err(Error::InvalidParam("give 1 to 30 user ids".into()));
    }
    shared.rate_limit_recv_opt()?;
    shared.link.request(Request::GetC2CRecvOpt { user_ids: ids }).await
}

/// TIMMsgCancelSend: only a message not yet handed to the server can be cancelled.
pub fn cancel_send(shared: &Shared, msg_id: &str) -> Result<()> {
    if shared.cancel_queued(msg_id) {
        Ok(())
    } else {
        Err(Error::Server(codes::ERR_SDK_INVALID_CANCEL_MESSAGE, "no message of that id is waiting to be sent".into()))
    }
}

/// TIMMsgFindByMsgLocatorList: match by seq + rand, or by time + rand for unsequenced messages.
pub async fn find_by_locators(shared: &Arc<Shared>, ct: u32, id: &str, locs: Vec<MsgLocator>) -> Result<Vec<Message>> {
    let mut out = Vec::new();
    for l in locs {
        let rows = sqlx::query(
            "SELECT body FROM messages WHERE conv_type = ? AND conv_id = ? AND (seq = ? OR (? = 0 AND sort_time = ?))",
        )
        .bind(ct as i64)
        .bind(id)
        .bind(l.message_locator_seq as i64)
        .bind(l.message_locator_seq as i64)
        .bind(l.message_locator_time as i64)
        .fetch_all(&shared.store.pool)
        .await?;
        for r in rows {
            let m: Message = serde_json::from_str(r.get::<&str, _>("body")).map_err(|e| Error::Store(e.to_string()))?;
            let rand_ok = l.message_locator_rand == 0 || m.message_rand == l.message_locator_rand;
            if rand_ok && m.message_status != msg_status::DELETED {
                out.push(m);
                break;
            }
        }
    }
    Ok(out)
}

/// TIMMsgImportMsgList / TIMMsgSaveMsg: write messages into the local store without sending.
pub async fn import(shared: &Arc<Shared>, ct: u32, id: &str, msgs: Vec<Message>) -> Result<()> {
    if msgs.iter().any(|m| m.message_elem_array.is_empty()) {
        return Err(Error::InvalidParam("every imported message needs at least one element".into()));
    }
    let now = crate::now_secs();
    let mut tx = shared.store.begin().await?;
    let created = store::ensure_conv(&mut tx, ct, id, now).await?;
    for mut m in msgs {
        if m.message_msg_id.is_empty() {
            m.message_msg_id = msg::new_msg_id(&shared.me, now);
        }
        m.message_conv_id = id.to_string();
        m.message_conv_type = ct;
        if m.message_sender.is_empty() {
            m.message_sender = shared.me.clone();
        }
        if m.message_client_time == 0 && m.message_server_time == 0 {
            m.message_client_time = now;
        }
        m.message_is_from_self = m.message_sender == shared.me;
        m.message_status = msg_status::LOCAL_IMPORTED;
        m.message_is_read = true;
        store::put_msg(&mut tx, &m).await?;
    }
    tx.commit().await?;
    shared.emit_conv(if created { conv_event::ADD } else { conv_event::UPDATE }, ct, id).await;
    Ok(())
}

/// Mark messages deleted locally (kept as tombstones so roaming pages never bring them back).
async fn tombstone(shared: &Arc<Shared>, ids: &[String]) -> Result<()> {
    let mut tx = shared.store.begin().await?;
    for id in ids {
        if let Some(mut m) = store::get_msg_in(&mut tx, id).await? {
            m.message_status = msg_status::DELETED;
            m.message_is_read = true;
            store::put_msg(&mut tx, &m).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// TIMMsgDelete: one message (or, with an empty message, the whole local history), locally or
/// also from roaming history.
pub async fn delete(shared: &Arc<Shared>, ct: u32, id: &str, p: MsgDeleteParam) -> Result<()> {
    let target = p.msg_delete_param_msg.filter(|m| !m.message_msg_id.is_empty());
    let ids: Vec<String> = match &target {
        Some(m) => vec![m.message_msg_id.clone()],
        None => {
            sqlx::query_scalar("SELECT msg_id FROM messages WHERE conv_type = ? AND conv_id = ? AND status != 4")
                .bind(ct as i64)
                .bind(id)
                .fetch_all(&shared.store.pool)
                .await?
        }
    };
    if p.msg_delete_param_is_remble {
        if target.is_some() {
            shared
                .link
                .request(Request::DeleteMsgs { conv_type: ct, conv_id: id.into(), msg_ids: ids.clone() })
                .await?;
        } else {
            shared.link.request(Request::ClearHistory { conv_type: ct, conv_id: id.into() }).await?;
        }
    }
    tombstone(shared, &ids).await?;
    recount(shared, ct, id).await
}

/// TIMMsgListDelete: up to 30 messages, local and roaming, at most once per second.
pub async fn list_delete(shared: &Arc<Shared>, ct: u32, id: &str, msgs: Vec<Message>) -> Result<()> {
    if msgs.is_empty() || msgs.len() > 30 {
        return Err(Error::InvalidParam("TIMMsgListDelete takes 1 to 30 messages".into()));
    }
    {
        let mut last = shared.last_list_delete.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t: Instant| t.elapsed() < Duration::from_secs(1)) {
            return Err(Error::Server(
                codes::ERR_SDK_COMM_API_CALL_FREQUENCY_LIMIT,
                "TIMMsgListDelete may be called once per second".into(),
            ));
        }
        *last = Some(Instant::now());
    }
    let ids: Vec<String> = msgs.into_iter().map(|m| m.message_msg_id).filter(|i| !i.is_empty()).collect();
    if ids.is_empty() {
        return Err(Error::InvalidParam("the messages need their message_msg_id".into()));
    }
    shared.link.request(Request::DeleteMsgs { conv_type: ct, conv_id: id.into(), msg_ids: ids.clone() }).await?;
    tombstone(shared, &ids).await?;
    recount(shared, ct, id).await
}

/// TIMMsgClearHistoryMessage: local and roaming history of a conversation.
pub async fn clear_history(shared: &Arc<Shared>, ct: u32, id: &str) -> Result<()> {
    delete(shared, ct, id, MsgDeleteParam { msg_delete_param_msg: None, msg_delete_param_is_remble: true }).await
}

async fn recount(shared: &Arc<Shared>, ct: u32, id: &str) -> Result<()> {
    let mut tx = shared.store.begin().await?;
    store::mark_read(&mut tx, ct, id, i64::MIN).await?;
    tx.commit().await?;
    shared.emit_conv(conv_event::UPDATE, ct, id).await;
    Ok(())
}

/// TIMMsgSetLocalCustomData: `message_custom_int` / `message_custom_str`, local only.
pub async fn set_local_custom_data(shared: &Arc<Shared>, m: Message) -> Result<()> {
    let mut tx = shared.store.begin().await?;
    let Some(mut local) = store::get_msg_in(&mut tx, &m.message_msg_id).await? else {
        return Err(Error::Server(codes::ERR_SDK_COMM_DATABASE_NOTFOUND, "no such message".into()));
    };
    local.message_custom_int = m.message_custom_int;
    local.message_custom_str = m.message_custom_str;
    store::put_msg(&mut tx, &local).await?;
    tx.commit().await?;
    Ok(())
}

/// Merged-message nesting limit (8005 beyond it).
pub const MAX_MERGE_LAYERS: usize = 100;

fn merge_depth(m: &Message) -> usize {
    m.message_elem_array
        .iter()
        .filter_map(|e| match e {
            Elem::Merge(mg) => Some(1 + mg.merge_elem_message_array.iter().map(merge_depth).max().unwrap_or(0)),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// Checks for an outgoing merge element (≤ 300 sent messages, no tips/report, ≤ 100 layers).
pub fn validate_merge(m: &Message) -> Result<()> {
    for e in &m.message_elem_array {
        if let Elem::Merge(mg) = e {
            if mg.merge_elem_compatible_text.is_empty() {
                return Err(Error::InvalidParam("merge_elem_compatible_text must not be empty".into()));
            }
            if mg.merge_elem_message_array.is_empty() || mg.merge_elem_message_array.len() > 300 {
                return Err(Error::InvalidParam("a merged message holds 1 to 300 messages".into()));
            }
            for inner in &mg.merge_elem_message_array {
                if inner.message_status != msg_status::SEND_SUCC {
                    return Err(Error::InvalidParam("only sent messages can be merged".into()));
                }
                if inner.message_elem_array.iter().any(|x| matches!(x, Elem::GroupTips(_) | Elem::GroupReport(_))) {
                    return Err(Error::InvalidElem("group tips and reports cannot be merged".into()));
                }
            }
        }
    }
    if merge_depth(m) > MAX_MERGE_LAYERS {
        return Err(Error::Server(
            codes::ERR_MERGER_MSG_LAYERS_OVER_LIMIT,
            "merged messages nest more than 100 levels".into(),
        ));
    }
    Ok(())
}

/// TIMMsgDownloadMergerMessage: the inner messages of a merge element.
pub fn download_merger(m: &Message) -> Result<Vec<Message>> {
    if merge_depth(m) > MAX_MERGE_LAYERS {
        return Err(Error::Server(
            codes::ERR_MERGER_MSG_LAYERS_OVER_LIMIT,
            "merged messages nest more than 100 levels".into(),
        ));
    }
    m.message_elem_array
        .iter()
        .find_map(|e| match e {
            Elem::Merge(mg) if !mg.merge_elem_layer_over_limit => Some(mg.merge_elem_message_array.clone()),
            Elem::Merge(_) => None,
            _ => None,
        })
        .ok_or_else(|| Error::InvalidElem("the message has no downloadable merge element".into()))
}

fn escape_like(k: &str) -> String {
    k.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// TIMMsgSearchLocalMessages over the FTS index.
pub async fn search(shared: &Arc<Shared>, p: MessageSearchParam) -> Result<MessageSearchResult> {
    let keywords: Vec<String> =
        p.msg_search_param_keyword_array.iter().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect();
    if keywords.len() > 5 {
        return Err(Error::InvalidParam("at most 5 keywords".into()));
    }
    if keywords.is_empty()
        && p.msg_search_param_message_type_array.is_empty()
        && p.msg_search_param_send_indentifier_array.is_empty()
    {
        return Err(Error::InvalidParam("give keywords, element types or senders to search for".into()));
    }
    let mut conv_id = p.msg_search_param_conv_id.clone();
    let mut ct = p.msg_search_param_conv_type;
    if let Some(rest) = conv_id.strip_prefix("c2c_") {
        (conv_id, ct) = (rest.to_string(), conv_type::C2C);
    } else if let Some(rest) = conv_id.strip_prefix("group_") {
        (conv_id, ct) = (rest.to_string(), conv_type::GROUP);
    }
    let single = !conv_id.is_empty() && ct != 0;
    // The index lookups become one set of matching rowids, computed once (MATERIALIZED):
    // keywords combine with INTERSECT (AND) or UNION (OR); element types intersect. The other
    // filters apply to `messages` rows joined on that set.
    let mut binds: Vec<Value> = Vec::new();
    let mut sets: Vec<String> = Vec::new();
    for k in &keywords {
        if k.chars().count() >= 3 {
            sets.push("SELECT rowid AS rid FROM msg_fts WHERE body_text MATCH ?".into());
            binds.push(Value::String(format!("\"{}\"", k.replace('"', "\"\""))));
        } else if k.chars().all(store::is_cjk) {
            sets.push("SELECT rowid AS rid FROM msg_fts_cjk WHERE chars MATCH ?".into());
            binds.push(Value::String(format!("\"{}\"", store::cjk_tokens(k).trim())));
        } else {
            sets.push("SELECT rowid AS rid FROM msg_fts WHERE body_text LIKE ? ESCAPE '\\'".into());
            binds.push(Value::String(format!("%{}%", escape_like(k))));
        }
    }
    let mut hits = sets.join(if p.msg_search_param_keyword_list_match_type == 1 { " INTERSECT " } else { " UNION " });
    if !p.msg_search_param_message_type_array.is_empty() {
        let parts: Vec<String> =
            p.msg_search_param_message_type_array.iter().map(|t| format!("instr(types, ' {t} ') > 0")).collect();
        let typed = format!("SELECT rowid AS rid FROM msg_fts WHERE {}", parts.join(" OR "));
        hits = if hits.is_empty() { typed } else { format!("SELECT rid FROM ({hits}) INTERSECT {typed}") };
    }
    let mut sql = if hits.is_empty() {
        "SELECT m.body, m.conv_type, m.conv_id FROM messages m WHERE m.status NOT IN (4, 6)".to_string()
    } else {
        format!(
            "WITH hits(rid) AS MATERIALIZED ({hits}) \
             SELECT m.body, m.conv_type, m.conv_id FROM hits JOIN messages m ON m.rowid = hits.rid WHERE 1 = 1"
        )
    };
    if !p.msg_search_param_send_indentifier_array.is_empty() {
        sql.push_str(&format!(
            " AND m.sender IN ({})",
            vec!["?"; p.msg_search_param_send_indentifier_array.len()].join(", ")
        ));
        binds.extend(p.msg_search_param_send_indentifier_array.iter().map(|s| Value::String(s.clone())));
    }
    if single {
        sql.push_str(" AND m.conv_type = ? AND m.conv_id = ?");
        binds.push(Value::from(ct));
        binds.push(Value::String(conv_id.clone()));
    } else if ct != 0 {
        sql.push_str(" AND m.conv_type = ?");
        binds.push(Value::from(ct));
    }
    let end = if p.msg_search_param_search_time_position > 0 {
        p.msg_search_param_search_time_position
    } else {
        u64::MAX >> 1
    };
    sql.push_str(" AND m.sort_time <= ?");
    binds.push(Value::from(end));
    if p.msg_search_param_search_time_period > 0 {
        sql.push_str(" AND m.sort_time >= ?");
        binds.push(Value::from(end.saturating_sub(p.msg_search_param_search_time_period)));
    }
    // `sql` selects the matching messages; counting, grouping and paging happen in SQL so that
    // a frequent keyword over a large store never loads every hit.
    fn bind_all<'q>(
        mut q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
        binds: &'q [Value],
    ) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
        for b in binds {
            q = match b {
                Value::String(s) => q.bind(s.as_str()),
                Value::Number(n) => q.bind(n.as_i64().unwrap_or(i64::MAX)),
                _ => q,
            };
        }
        q
    }
    let parse = |r: &sqlx::sqlite::SqliteRow| -> Result<Message> {
        serde_json::from_str(r.get::<&str, _>("body")).map_err(|e| Error::Store(e.to_string()))
    };
    let (size, index) = (p.msg_search_param_page_size as i64, p.msg_search_param_page_index as i64);
    let limit = if size > 0 { format!(" LIMIT {size} OFFSET {}", index * size) } else { String::new() };
    if single {
        let total: i64 = bind_all(sqlx::query(&format!("SELECT COUNT(*) FROM ({sql})")), &binds)
            .fetch_one(&shared.store.pool)
            .await?
            .get(0);
        let rows = bind_all(sqlx::query(&format!("{sql} ORDER BY m.sort_time DESC, m.seq DESC{limit}")), &binds)
            .fetch_all(&shared.store.pool)
            .await?;
        let msgs = rows.iter().map(parse).collect::<Result<Vec<_>>>()?;
        let items = if total > 0 {
            vec![MessageSearchResultItem {
                msg_search_result_item_conv_id: conv_id,
                msg_search_result_item_conv_type: ct,
                msg_search_result_item_total_message_count: total as u32,
                msg_search_result_item_message_array: msgs,
            }]
        } else {
            Vec::new()
        };
        return Ok(MessageSearchResult {
            msg_search_result_total_count: total as u32,
            msg_search_result_item_array: items,
            ..Default::default()
        });
    }
    // All conversations: one item per conversation, newest hit first; each item carries up to
    // PER_CONV of its newest matching messages.
    const PER_CONV: i64 = 20;
    let grouped = format!(
        "SELECT conv_type, conv_id, COUNT(*) AS n, MAX(sort_time) AS t FROM ({}) GROUP BY conv_type, conv_id",
        sql.replacen("SELECT m.body, m.conv_type, m.conv_id", "SELECT m.conv_type, m.conv_id, m.sort_time", 1)
    );
    let total: i64 = bind_all(sqlx::query(&format!("SELECT COUNT(*) FROM ({grouped})")), &binds)
        .fetch_one(&shared.store.pool)
        .await?
        .get(0);
    let convs = bind_all(sqlx::query(&format!("{grouped} ORDER BY t DESC{limit}")), &binds)
        .fetch_all(&shared.store.pool)
        .await?;
    let mut items = Vec::with_capacity(convs.len());
    for c in &convs {
        let (rct, rid, n) = (c.get::<i64, _>("conv_type"), c.get::<String, _>("conv_id"), c.get::<i64, _>("n"));
        let mut conv_binds = binds.clone();
        conv_binds.push(Value::from(rct));
        conv_binds.push(Value::String(rid.clone()));
        let rows = bind_all(
            sqlx::query(&format!(
                "{sql} AND m.conv_type = ? AND m.conv_id = ? ORDER BY m.sort_time DESC, m.seq DESC LIMIT {PER_CONV}"
            )),
            &conv_binds,
        )
        .fetch_all(&shared.store.pool)
        .await?;
        items.push(MessageSearchResultItem {
            msg_search_result_item_conv_id: rid,
            msg_search_result_item_conv_type: rct as u32,
            msg_search_result_item_total_message_count: n as u32,
            msg_search_result_item_message_array: rows.iter().map(parse).collect::<Result<Vec<_>>>()?,
        });
    }
    Ok(MessageSearchResult {
        msg_search_result_total_count: total as u32,
        msg_search_result_item_array: items,
        ..Default::default()
    })
}

/// TIMMsgBatchSend: one message to many users, a result per user; 6003 when none succeeded.
pub async fn batch_send(shared: &Arc<Shared>, p: MsgBatchSendParam) -> (Result<()>, Vec<MsgBatchSendResult>) {
    let ids = p.msg_batch_send_param_identifier_array;
    if ids.is_empty() || ids.len() > 500 {
        return (Err(Error::InvalidParam("give 1 to 500 recipients".into())), Vec::new());
    }
    if let Err(e) = msg::validate_outgoing(&p.msg_batch_send_param_msg) {
        return (Err(e), Vec::new());
    }
    let mut waits = Vec::new();
    for user in &ids {
        let m = msg::prepare(
            shared,
            conv_type::C2C,
            user,
            p.msg_batch_send_param_msg.clone(),
            msg::new_msg_id(&shared.me, crate::now_secs()),
        );
        let (tx, rx) = tokio::sync::oneshot::channel();
        match shared.enqueue_send(m, tx) {
            Ok(()) => waits.push((user.clone(), Some(rx))),
            Err(_) => waits.push((user.clone(), None)),
        }
    }
    let mut results = Vec::new();
    for (user, rx) in waits {
        let r = match rx {
            Some(rx) => rx.await.unwrap_or(Err(Error::NotLoggedIn)),
            None => Err(Error::NotLoggedIn),
        };
        results.push(match r {
            Ok(m) => MsgBatchSendResult {
                msg_batch_send_result_identifier: user,
                msg_batch_send_result_code: 0,
                msg_batch_send_result_desc: String::new(),
                msg_batch_send_result_msg: Some(m),
            },
            Err(e) => MsgBatchSendResult {
                msg_batch_send_result_identifier: user,
                msg_batch_send_result_code: e.code(),
                msg_batch_send_result_desc: e.to_string(),
                msg_batch_send_result_msg: None,
            },
        });
    }
    if results.iter().all(|r| r.msg_batch_send_result_code != 0) {
        return (
            Err(Error::Server(codes::ERR_NO_SUCC_RESULT, "the message reached none of the recipients".into())),
            results,
        );
    }
    (Ok(()), results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_protocol::MergeElem;

    fn wrap(inner: Message) -> Message {
        let mut m = Message::new(vec![Elem::Merge(MergeElem {
            merge_elem_title: "t".into(),
            merge_elem_compatible_text: "c".into(),
            merge_elem_message_array: vec![inner],
            ..Default::default()
        })]);
        m.message_status = msg_status::SEND_SUCC;
        m
    }

    #[test]
    fn test_merge_nesting_limit_is_100_layers() {
        let mut m = Message::new(vec![Elem::text("core")]);
        m.message_status = msg_status::SEND_SUCC;
        for _ in 0..100 {
            m = wrap(m);
        }
        assert_eq!(merge_depth(&m), 100);
        assert!(validate_merge(&m).is_ok());
        assert_eq!(download_merger(&m).unwrap().len(), 1);
        let m = wrap(m);
        assert_eq!(validate_merge(&m).unwrap_err().code(), codes::ERR_MERGER_MSG_LAYERS_OVER_LIMIT);
        assert_eq!(download_merger(&m).unwrap_err().code(), 8005);
    }

    #[test]
    fn test_cjk_tokens_keep_adjacency_only_within_runs() {
        assert_eq!(store::cjk_tokens("去北京ok开会"), "去 北 京 0 开 会 ");
        assert_eq!(store::cjk_tokens("hello"), "");
    }

    #[test]
    fn test_search_text_covers_files_custom_and_merged() {
        let inner = Message::new(vec![Elem::text("里面的话")]);
        let m = Message::new(vec![
            Elem::File(confab_protocol::FileElem { file_elem_file_name: "报告.pdf".into(), ..Default::default() }),
            Elem::Custom(confab_protocol::CustomElem { custom_elem_desc: "card".into(), ..Default::default() }),
            Elem::Merge(MergeElem {
                merge_elem_title: "记录".into(),
                merge_elem_message_array: vec![inner],
                ..Default::default()
            }),
        ]);
        let t = store::search_text(&m);
        for part in ["报告.pdf", "card", "记录", "里面的话"] {
            assert!(t.contains(part), "{part} in {t}");
        }
    }
}
