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
use sqlx::{Row, SqliteConnection};

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

/// TIMMsgSearchLocalMessages over the search index (store.rs, migration 0003).
///
/// Every index row is keyed by `conv_no << 44 | key_time << 12 | slot`, so one conversation is
/// one key range and keys run newest-last. Counting is a count over the FTS index alone; a
/// page is the newest `(page+1) * size` keys walked in descending order (no sort of all hits),
/// widened by the rest of the last second (and by any spilled slots) and then ordered exactly
/// by (sort_time, seq).
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
    let end = if p.msg_search_param_search_time_position > 0 {
        store::index_time(p.msg_search_param_search_time_position.min(i64::MAX as u64) as i64)
    } else {
        store::MAX_KEY_TIME
    };
    let begin = if p.msg_search_param_search_time_period > 0 {
        end.saturating_sub(p.msg_search_param_search_time_period.min(i64::MAX as u64) as i64).max(0)
    } else {
        0
    };
    let q = HitQuery::new(&keywords, p.msg_search_param_keyword_list_match_type == 1, &p, begin, end);
    let (size, index) = (p.msg_search_param_page_size as usize, p.msg_search_param_page_index as usize);
    let pool = &shared.store.pool;
    let mut c = pool.acquire().await?;
    if !conv_id.is_empty() && ct != 0 {
        let found = sqlx::query("SELECT conv_no, spill FROM search_convs WHERE conv_type = ? AND conv_id = ?")
            .bind(ct as i64)
            .bind(&conv_id)
            .fetch_optional(&mut *c)
            .await?;
        let Some(r) = found else {
            return Ok(MessageSearchResult::default());
        };
        let conv = SearchConv { no: r.get("conv_no"), spill: r.get("spill") };
        let total = q.count(&mut c, &conv).await?;
        if total == 0 {
            return Ok(MessageSearchResult::default());
        }
        let msgs = q.page(&mut c, &conv, index.saturating_mul(size), size).await?;
        return Ok(MessageSearchResult {
            msg_search_result_total_count: total as u32,
            msg_search_result_item_array: vec![MessageSearchResultItem {
                msg_search_result_item_conv_id: conv_id,
                msg_search_result_item_conv_type: ct,
                msg_search_result_item_total_message_count: total as u32,
                msg_search_result_item_message_array: msgs,
            }],
        });
    }
    // All conversations (of one type when given): hits counted per conversation over the
    // index, conversations ordered by their newest hit, each item with up to PER_CONV of its
    // newest hits.
    const PER_CONV: usize = 20;
    let convs = sqlx::query("SELECT conv_no, conv_type, conv_id, spill FROM search_convs WHERE ? = 0 OR conv_type = ?")
        .bind(ct as i64)
        .bind(ct as i64)
        .fetch_all(&mut *c)
        .await?;
    let convs: std::collections::HashMap<i64, (SearchConv, u32, String)> = convs
        .iter()
        .map(|r| {
            let no: i64 = r.get("conv_no");
            let info = (
                SearchConv { no, spill: r.get("spill") },
                r.get::<i64, _>("conv_type") as u32,
                r.get::<String, _>("conv_id"),
            );
            (no, info)
        })
        .collect();
    let mut groups = Vec::new();
    for (no, n, top) in q.per_conv(&mut c, ct).await? {
        let Some((conv, _, _)) = convs.get(&no) else { continue };
        // The newest hit's time; a conversation with spilled keys looks it up exactly.
        let newest = if conv.spill == 0 {
            store::key_time(top)
        } else {
            q.top(&mut c, conv, 1).await?.first().map(|h| h.time).unwrap_or(0)
        };
        groups.push((newest, no, n));
    }
    groups.sort_by(|a, b| b.cmp(a));
    let total = groups.len();
    let chosen: Vec<_> =
        if size > 0 { groups.into_iter().skip(index.saturating_mul(size)).take(size).collect() } else { groups };
    let mut items = Vec::with_capacity(chosen.len());
    for (_, no, n) in chosen {
        let (conv, rct, rid) = &convs[&no];
        items.push(MessageSearchResultItem {
            msg_search_result_item_conv_id: rid.clone(),
            msg_search_result_item_conv_type: *rct,
            msg_search_result_item_total_message_count: n as u32,
            msg_search_result_item_message_array: q.page(&mut c, conv, 0, PER_CONV).await?,
        });
    }
    Ok(MessageSearchResult { msg_search_result_total_count: total as u32, msg_search_result_item_array: items })
}

/// A conversation in the search keys.
struct SearchConv {
    no: i64,
    spill: i64,
}

/// A hit with its exact order.
#[derive(Debug, Clone, Copy)]
struct Hit {
    key: i64,
    time: i64,
    seq: i64,
}

/// The matching keys of one search as SQL. `sql(lo, hi)` selects column `k` from the hits
/// whose keys lie in `[lo, hi]`; keyword lookups of one FTS table share one MATCH expression
/// so that FTS5 itself takes the key range and the descending order.
struct HitQuery {
    /// SELECTs of `k` with `?1`/`?2` for the key range and `?N` (N >= 3) for `args`.
    arms: Vec<String>,
    and: bool,
    /// Conditions on `s` (search_keys) other than time.
    filters: Vec<String>,
    args: Vec<String>,
    begin: i64,
    end: i64,
}

impl HitQuery {
    fn new(keywords: &[String], and: bool, p: &MessageSearchParam, begin: i64, end: i64) -> HitQuery {
        let mut args: Vec<String> = Vec::new();
        let mut arg = |a: String| {
            args.push(a);
            format!("?{}", args.len() + 2)
        };
        let (mut tri, mut cjk, mut like) = (Vec::new(), Vec::new(), Vec::new());
        for k in keywords {
            if k.chars().count() >= 3 {
                tri.push(format!("\"{}\"", k.replace('"', "\"\"")));
            } else if k.chars().all(store::is_cjk) {
                cjk.push(format!("\"{}\"", store::cjk_tokens(k).trim()));
            } else {
                like.push(format!("%{}%", escape_like(k)));
            }
        }
        let join = if and { " AND " } else { " OR " };
        let mut arms = Vec::new();
        let like_sql: Vec<String> =
            like.into_iter().map(|l| format!("body_text LIKE {} ESCAPE '\\'", arg(l))).collect();
        if !tri.is_empty() {
            let mut sql = format!("SELECT rowid AS k FROM search_fts WHERE search_fts MATCH {}", arg(tri.join(join)));
            if and {
                for l in &like_sql {
                    sql.push_str(&format!(" AND {l}"));
                }
            }
            arms.push(format!("{sql} AND rowid BETWEEN ?1 AND ?2"));
        }
        if !like_sql.is_empty() && (!and || tri.is_empty()) {
            arms.push(format!(
                "SELECT rowid AS k FROM search_fts WHERE ({}) AND rowid BETWEEN ?1 AND ?2",
                like_sql.join(join)
            ));
        }
        if !cjk.is_empty() {
            arms.push(format!(
                "SELECT rowid AS k FROM search_fts_cjk WHERE search_fts_cjk MATCH {} AND rowid BETWEEN ?1 AND ?2",
                arg(cjk.join(join))
            ));
        }
        if arms.is_empty() {
            arms.push("SELECT key AS k FROM search_keys WHERE key BETWEEN ?1 AND ?2".into());
        }
        let mut filters = Vec::new();
        if !p.msg_search_param_send_indentifier_array.is_empty() {
            let senders: Vec<String> =
                p.msg_search_param_send_indentifier_array.iter().map(|s| arg(s.clone())).collect();
            filters.push(format!("s.sender IN ({})", senders.join(", ")));
        }
        if !p.msg_search_param_message_type_array.is_empty() {
            let parts: Vec<String> =
                p.msg_search_param_message_type_array.iter().map(|t| format!("instr(s.types, ' {t} ') > 0")).collect();
            filters.push(format!("({})", parts.join(" OR ")));
        }
        HitQuery { arms, and, filters, args, begin, end }
    }

    /// SELECT `k` of the hits in `[lo, hi]`. `exact_time` checks the real sort time (needed
    /// when keys may have spilled past it); `ct` keeps one conversation type.
    fn sql(&self, exact_time: bool, key_time_window: bool, ct: u32, limit: Option<usize>) -> String {
        let mut conds = self.filters.clone();
        if exact_time {
            conds.push(format!("s.time BETWEEN {} AND {}", self.begin, self.end));
        }
        if key_time_window {
            conds.push(format!("((h.k >> 12) & 4294967295) BETWEEN {} AND {}", self.begin, self.end));
        }
        if ct != 0 {
            conds.push(format!("(h.k >> 44) IN (SELECT conv_no FROM search_convs WHERE conv_type = {ct})"));
        }
        let join = if self.filters.is_empty() && !exact_time { "" } else { " JOIN search_keys s ON s.key = h.k" };
        let filtered = |arm: &str| {
            if conds.is_empty() {
                arm.to_string()
            } else {
                format!("SELECT h.k AS k FROM ({arm}) h{join} WHERE {}", conds.join(" AND "))
            }
        };
        if self.arms.len() == 1 {
            return filtered(&self.arms[0]);
        }
        if self.and {
            return self.arms.iter().map(|a| filtered(a)).collect::<Vec<_>>().join(" INTERSECT ");
        }
        // The newest `limit` of a union are among the newest `limit` of each part.
        self.arms
            .iter()
            .map(|a| match limit {
                Some(l) => format!("SELECT k FROM ({} ORDER BY k DESC LIMIT {l})", filtered(a)),
                None => filtered(a),
            })
            .collect::<Vec<_>>()
            .join(" UNION ")
    }

    fn bind<'q>(
        &'q self,
        sql: &'q str,
        lo: i64,
        hi: i64,
    ) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
        let mut q = sqlx::query(sql).bind(lo).bind(hi);
        for a in &self.args {
            q = q.bind(a.as_str());
        }
        q
    }

    /// The key range of a conversation within the time window. Spilled keys sort up to
    /// `spill` seconds after their time, so the range reaches that far and the real time is
    /// checked.
    fn range(&self, conv: &SearchConv) -> (i64, i64) {
        let hi_time = (self.end + conv.spill).min(0xffff_ffff);
        (store::search_key(conv.no, self.begin, 0), store::search_key(conv.no, hi_time, 4095))
    }

    async fn count(&self, c: &mut SqliteConnection, conv: &SearchConv) -> Result<i64> {
        let (lo, hi) = self.range(conv);
        let sql = format!("SELECT COUNT(*) FROM ({})", self.sql(conv.spill > 0, false, 0, None));
        Ok(self.bind(&sql, lo, hi).fetch_one(&mut *c).await?.get(0))
    }

    /// Per conversation over all conversations: (conv_no, hits, largest key).
    async fn per_conv(&self, c: &mut SqliteConnection, ct: u32) -> Result<Vec<(i64, i64, i64)>> {
        let windowed = self.begin > 0 || self.end < store::MAX_KEY_TIME;
        let spilled: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(spill), 0) FROM search_convs").fetch_one(&mut *c).await?;
        let hits = self.sql(windowed && spilled > 0, windowed && spilled == 0, ct, None);
        let sql = format!("SELECT k >> 44 AS c, COUNT(*) AS n, MAX(k) AS top FROM ({hits}) GROUP BY c");
        let rows = self.bind(&sql, 0, i64::MAX).fetch_all(&mut *c).await?;
        Ok(rows.iter().map(|r| (r.get("c"), r.get("n"), r.get("top"))).collect())
    }

    /// The keys of the newest `want` hits of a conversation in exact order, newest first.
    async fn top(&self, c: &mut SqliteConnection, conv: &SearchConv, want: usize) -> Result<Vec<Hit>> {
        let (lo, hi) = self.range(conv);
        let walk = |lo: i64, hi: i64, limit: Option<usize>| {
            let hits = self.sql(conv.spill > 0, false, 0, limit);
            let limit = limit.map(|l| format!(" ORDER BY h.k DESC LIMIT {l}")).unwrap_or_default();
            let sql = format!(
                "SELECT h.k AS k, s.time AS time, s.seq AS seq FROM ({hits}) h JOIN search_keys s ON s.key = h.k{limit}"
            );
            (sql, lo, hi)
        };
        let (sql, a, b) = walk(lo, hi, if want == usize::MAX { None } else { Some(want) });
        let rows = self.bind(&sql, a, b).fetch_all(&mut *c).await?;
        let mut out: Vec<Hit> =
            rows.iter().map(|r| Hit { key: r.get("k"), time: r.get("time"), seq: r.get("seq") }).collect();
        if want != usize::MAX && out.len() == want {
            // Hits further down the key order can still tie with or beat the last one taken:
            // those in the same second (other slots) and spilled ones. Their keys are at least
            // the weakest time taken.
            let weakest = out.iter().map(|h| h.time).min().unwrap_or(0);
            let lowest = out.iter().map(|h| h.key).min().unwrap_or(lo);
            let from = store::search_key(conv.no, weakest, 0).max(lo);
            if from < lowest {
                let (sql, a, b) = walk(from, lowest - 1, None);
                let more = self.bind(&sql, a, b).fetch_all(&mut *c).await?;
                out.extend(more.iter().map(|r| Hit { key: r.get("k"), time: r.get("time"), seq: r.get("seq") }));
            }
        }
        out.sort_by_key(|h| std::cmp::Reverse((h.time, h.seq, h.key)));
        if want != usize::MAX {
            out.truncate(want);
        }
        Ok(out)
    }

    /// Messages `offset..offset + size` of a conversation's hits, newest first (all when
    /// `size` is 0).
    async fn page(
        &self,
        c: &mut SqliteConnection,
        conv: &SearchConv,
        offset: usize,
        size: usize,
    ) -> Result<Vec<Message>> {
        let want = if size == 0 { usize::MAX } else { offset.saturating_add(size) };
        let hits = self.top(c, conv, want).await?;
        let keys: Vec<i64> = hits.iter().skip(offset).map(|h| h.key).collect();
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let sql = format!(
                "SELECT s.key AS key, m.body AS body FROM search_keys s JOIN messages m ON m.rowid = s.msg_rowid WHERE s.key IN ({})",
                vec!["?"; chunk.len()].join(", ")
            );
            let mut q = sqlx::query(&sql);
            for k in chunk {
                q = q.bind(*k);
            }
            let mut bodies: std::collections::HashMap<i64, Message> = std::collections::HashMap::new();
            for r in q.fetch_all(&mut *c).await? {
                let m: Message =
                    serde_json::from_str(r.get::<&str, _>("body")).map_err(|e| Error::Store(e.to_string()))?;
                bodies.insert(r.get("key"), m);
            }
            out.extend(chunk.iter().filter_map(|k| bodies.remove(k)));
        }
        Ok(out)
    }
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
