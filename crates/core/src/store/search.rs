//! The search index (migrations 0002, 0003) and its query (TIMMsgSearchLocalMessages).
//!
//! Every indexed message has a *search key* `conv_no << 44 | time << 12 | slot`
//! (`search_convs` numbers conversations; `search_keys` maps a key to its message rowid, real
//! sort time, seq, sender and element types). The FTS5 tables use the key as rowid:
//! `search_fts` (trigram) and `search_fts_cjk` (one token per CJK character). [`put_msg`]
//! keeps the index in step through [`index_msg`].
//!
//! [`put_msg`]: super::put_msg
use confab_protocol::enums::msg_status;
use confab_protocol::msg_ops::{MessageSearchParam, MessageSearchResult, MessageSearchResultItem};
use confab_protocol::{Elem, Message};
use sqlx::{Row, SqliteConnection};

use super::messages::sort_time;
use super::LocalStore;
use crate::error::{Error, Result};

/// The searchable text of a message: text, file names, custom descriptions and data, location
/// descriptions, and the titles, abstracts and texts of merged messages (recursively).
pub fn search_text(m: &Message) -> String {
    fn walk(m: &Message, out: &mut Vec<String>, depth: usize) {
        for e in &m.message_elem_array {
            match e {
                Elem::Text(t) => out.push(t.text_elem_content.clone()),
                Elem::File(f) => out.push(f.file_elem_file_name.clone()),
                Elem::Custom(c) => {
                    out.push(c.custom_elem_desc.clone());
                    out.push(c.custom_elem_data.clone());
                }
                Elem::Location(l) => out.push(l.location_elem_desc.clone()),
                Elem::Merge(mg) => {
                    out.push(mg.merge_elem_title.clone());
                    out.extend(mg.merge_elem_abstract_array.iter().cloned());
                    out.push(mg.merge_elem_compatible_text.clone());
                    if depth < 100 {
                        for inner in &mg.merge_elem_message_array {
                            walk(inner, out, depth + 1);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(m, &mut out, 0);
    out.retain(|s| !s.is_empty());
    out.join("\n")
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff | 0x20000..=0x2fa1f)
}

/// Only the CJK characters of `text`, each as its own token ("北京 ok" -> "北 京").
pub fn cjk_tokens(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in text.chars() {
        if is_cjk(c) {
            if gap && !out.is_empty() {
                // Keep non-adjacent characters from forming a phrase across a break.
                out.push_str("0 ");
            }
            out.push(c);
            out.push(' ');
            gap = false;
        } else {
            gap = true;
        }
    }
    out
}

// ---- the search index (migrations 0002, 0003) ----

/// Bits of a search key: `conv_no << KEY_CONV_SHIFT | key_time << KEY_TIME_SHIFT | slot`.
pub const KEY_CONV_SHIFT: u32 = 44;
pub const KEY_TIME_SHIFT: u32 = 12;
const KEY_SLOTS: i64 = 1 << KEY_TIME_SHIFT;
/// The largest conversation number (19 bits keep keys positive).
const MAX_CONV_NO: i64 = (1 << (63 - KEY_CONV_SHIFT)) - 1;
/// Sort times are clamped below this, leaving room for slots spilled into later seconds.
pub const MAX_KEY_TIME: i64 = (1 << 32) - (1 << 20) - 1;

pub fn search_key(conv_no: i64, key_time: i64, slot: i64) -> i64 {
    (conv_no << KEY_CONV_SHIFT) | (key_time << KEY_TIME_SHIFT) | slot
}

/// The second a key sorts under (never earlier than the message's own sort time).
pub fn key_time(key: i64) -> i64 {
    (key >> KEY_TIME_SHIFT) & 0xffff_ffff
}

/// The conversation number of a key (only the tests read it back; queries use key ranges).
#[cfg(test)]
fn key_conv(key: i64) -> i64 {
    key >> KEY_CONV_SHIFT
}

/// A message's sort time as the search index keeps it.
pub fn index_time(t: i64) -> i64 {
    t.clamp(0, MAX_KEY_TIME)
}

/// The number of a conversation in the search keys, assigned on first use. A number whose
/// conversation has nothing indexed any more is reused once all are taken; None when even
/// that fails (the message then stays out of the index).
async fn search_conv_no(c: &mut SqliteConnection, ct: u32, id: &str) -> Result<Option<i64>, Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT conv_no FROM search_convs WHERE conv_type = ? AND conv_id = ?")
        .bind(ct as i64)
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    if found.is_some() {
        return Ok(found);
    }
    let next: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(conv_no), 0) + 1 FROM search_convs").fetch_one(&mut *c).await?;
    if next <= MAX_CONV_NO {
        sqlx::query("INSERT INTO search_convs (conv_no, conv_type, conv_id) VALUES (?, ?, ?)")
            .bind(next)
            .bind(ct as i64)
            .bind(id)
            .execute(&mut *c)
            .await?;
        return Ok(Some(next));
    }
    let free: Option<i64> = sqlx::query_scalar(
        "SELECT conv_no FROM search_convs s WHERE NOT EXISTS
         (SELECT 1 FROM search_keys WHERE key BETWEEN s.conv_no << 44 AND (s.conv_no << 44) + 17592186044415) LIMIT 1",
    )
    .fetch_optional(&mut *c)
    .await?;
    if let Some(n) = free {
        sqlx::query("UPDATE search_convs SET conv_type = ?, conv_id = ?, spill = 0 WHERE conv_no = ?")
            .bind(ct as i64)
            .bind(id)
            .bind(n)
            .execute(&mut *c)
            .await?;
    }
    Ok(free)
}

/// A free key for a message of conversation `conv_no` at `time`: the next slot of that second,
/// or of the first later second with a free slot (recorded as the conversation's spill).
async fn free_search_key(c: &mut SqliteConnection, conv_no: i64, time: i64) -> Result<i64, Error> {
    let mut kt = time;
    loop {
        if kt > 0xffff_ffff {
            return Err(Error::Store("no free search key".into()));
        }
        let base = search_key(conv_no, kt, 0);
        let top: Option<i64> = sqlx::query_scalar("SELECT MAX(key) FROM search_keys WHERE key BETWEEN ? AND ?")
            .bind(base)
            .bind(base + KEY_SLOTS - 1)
            .fetch_one(&mut *c)
            .await?;
        let key = match top {
            None => base,
            Some(k) if k < base + KEY_SLOTS - 1 => k + 1,
            Some(_) => {
                kt += 1;
                continue;
            }
        };
        if kt > time {
            sqlx::query("UPDATE search_convs SET spill = MAX(spill, ?) WHERE conv_no = ?")
                .bind(kt - time)
                .bind(conv_no)
                .execute(&mut *c)
                .await?;
        }
        return Ok(key);
    }
}

async fn unindex(c: &mut SqliteConnection, key: i64) -> Result<(), Error> {
    sqlx::query("DELETE FROM search_keys WHERE key = ?").bind(key).execute(&mut *c).await?;
    sqlx::query("DELETE FROM search_fts WHERE rowid = ?").bind(key).execute(&mut *c).await?;
    sqlx::query("DELETE FROM search_fts_cjk WHERE rowid = ?").bind(key).execute(&mut *c).await?;
    Ok(())
}

async fn index_text(c: &mut SqliteConnection, key: i64, text: &str) -> Result<(), Error> {
    if text.is_empty() {
        return Ok(());
    }
    sqlx::query("INSERT INTO search_fts (rowid, body_text) VALUES (?, ?)")
        .bind(key)
        .bind(text)
        .execute(&mut *c)
        .await?;
    let cjk = cjk_tokens(text);
    if !cjk.is_empty() {
        sqlx::query("INSERT INTO search_fts_cjk (rowid, chars) VALUES (?, ?)")
            .bind(key)
            .bind(cjk)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Keep the search index in step with one message: deleted and revoked messages leave it; a
/// message whose sort time is unchanged keeps its key (its text is re-indexed only when it
/// changed); otherwise it gets a key for its new place.
pub(super) async fn index_msg(c: &mut SqliteConnection, m: &Message) -> Result<(), Error> {
    let rowid: i64 = sqlx::query_scalar("SELECT rowid FROM messages WHERE msg_id = ?")
        .bind(&m.message_msg_id)
        .fetch_one(&mut *c)
        .await?;
    let gone = matches!(m.message_status, msg_status::DELETED | msg_status::REVOKED);
    let time = index_time(sort_time(m));
    let text = search_text(m);
    let mut types = String::from(" ");
    for e in &m.message_elem_array {
        types.push_str(&format!("{} ", e.elem_type()));
    }
    let old = sqlx::query("SELECT key, time FROM search_keys WHERE msg_rowid = ?")
        .bind(rowid)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| (r.get::<i64, _>("key"), r.get::<i64, _>("time")));
    if let Some((key, old_time)) = old {
        if gone || old_time != time {
            unindex(c, key).await?;
        } else {
            sqlx::query("UPDATE search_keys SET seq = ?, sender = ?, types = ? WHERE key = ?")
                .bind(m.message_seq as i64)
                .bind(&m.message_sender)
                .bind(&types)
                .bind(key)
                .execute(&mut *c)
                .await?;
            let old_text: Option<String> = sqlx::query_scalar("SELECT body_text FROM search_fts WHERE rowid = ?")
                .bind(key)
                .fetch_optional(&mut *c)
                .await?;
            if old_text.as_deref().unwrap_or("") != text {
                sqlx::query("DELETE FROM search_fts WHERE rowid = ?").bind(key).execute(&mut *c).await?;
                sqlx::query("DELETE FROM search_fts_cjk WHERE rowid = ?").bind(key).execute(&mut *c).await?;
                index_text(c, key, &text).await?;
            }
            return Ok(());
        }
    }
    if gone {
        return Ok(());
    }
    let Some(conv_no) = search_conv_no(c, m.message_conv_type, &m.message_conv_id).await? else {
        tracing::warn!("search index: no conversation number left; a message stays unindexed");
        return Ok(());
    };
    let key = free_search_key(c, conv_no, time).await?;
    sqlx::query("INSERT INTO search_keys (key, msg_rowid, time, seq, sender, types) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(key)
        .bind(rowid)
        .bind(time)
        .bind(m.message_seq as i64)
        .bind(&m.message_sender)
        .bind(&types)
        .execute(&mut *c)
        .await?;
    index_text(c, key, &text).await
}

fn escape_like(k: &str) -> String {
    k.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl LocalStore {
    /// TIMMsgSearchLocalMessages over the search index, once the call's parameters are
    /// checked: `keywords` (trimmed, at most 5), the conversation (`ct` 0: every type; an empty
    /// `conv_id`: every conversation of that type) and the key time window `[begin, end]`.
    ///
    /// Every index row is keyed by `conv_no << 44 | key_time << 12 | slot`, so one conversation
    /// is one key range and keys run newest-last. Counting is a count over the FTS index alone;
    /// a page is the newest `(page+1) * size` keys walked in descending order (no sort of all
    /// hits), widened by the rest of the last second (and by any spilled slots) and then ordered
    /// exactly by (sort_time, seq).
    pub async fn search(
        &self,
        p: &MessageSearchParam,
        keywords: &[String],
        ct: u32,
        conv_id: String,
        begin: i64,
        end: i64,
    ) -> Result<MessageSearchResult> {
        let q = HitQuery::new(keywords, p.msg_search_param_keyword_list_match_type == 1, p, begin, end);
        let (size, index) = (p.msg_search_param_page_size as usize, p.msg_search_param_page_index as usize);
        let mut c = self.pool.acquire().await?;
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
        let convs =
            sqlx::query("SELECT conv_no, conv_type, conv_id, spill FROM search_convs WHERE ? = 0 OR conv_type = ?")
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
                key_time(top)
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
        // SQLite reads an FTS5 query as a C string: a NUL would cut it short (an unterminated
        // string), and no indexed text can match one anyway.
        let keywords: Vec<String> = keywords.iter().map(|k| k.replace('\0', "")).filter(|k| !k.is_empty()).collect();
        for k in &keywords {
            if k.chars().count() >= 3 {
                tri.push(format!("\"{}\"", k.replace('"', "\"\"")));
            } else if k.chars().all(is_cjk) {
                cjk.push(format!("\"{}\"", cjk_tokens(k).trim()));
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
        (search_key(conv.no, self.begin, 0), search_key(conv.no, hi_time, 4095))
    }

    async fn count(&self, c: &mut SqliteConnection, conv: &SearchConv) -> Result<i64> {
        let (lo, hi) = self.range(conv);
        let sql = format!("SELECT COUNT(*) FROM ({})", self.sql(conv.spill > 0, false, 0, None));
        Ok(self.bind(&sql, lo, hi).fetch_one(&mut *c).await?.get(0))
    }

    /// Per conversation over all conversations: (conv_no, hits, largest key).
    async fn per_conv(&self, c: &mut SqliteConnection, ct: u32) -> Result<Vec<(i64, i64, i64)>> {
        let windowed = self.begin > 0 || self.end < MAX_KEY_TIME;
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
            let from = search_key(conv.no, weakest, 0).max(lo);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::put_msg;
    use confab_protocol::MergeElem;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    #[test]
    fn test_cjk_tokens_keep_adjacency_only_within_runs() {
        assert_eq!(cjk_tokens("去北京ok开会"), "去 北 京 0 开 会 ");
        assert_eq!(cjk_tokens("hello"), "");
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
        let t = search_text(&m);
        for part in ["报告.pdf", "card", "记录", "里面的话"] {
            assert!(t.contains(part), "{part} in {t}");
        }
    }

    /// A keyword with a NUL in it (found by the `search_query` fuzz target): SQLite read the
    /// FTS5 query as a C string and failed with "unterminated string".
    #[tokio::test]
    async fn test_a_nul_in_a_keyword_does_not_break_the_query() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::LocalStore::open(&dir.path().join("local.db")).await.unwrap();
        let m: Message = serde_json::from_value(serde_json::json!({
            "message_msg_id": "n-1-1", "message_conv_type": 1, "message_conv_id": "bob", "message_sender": "bob",
            "message_seq": 1, "message_server_time": 1_700_000_000,
            "message_elem_array": [{"elem_type": 0, "text_elem_content": "\"quoted\" 5 percent"}]}))
        .unwrap();
        let mut tx = store.begin().await.unwrap();
        crate::store::put_msg(&mut tx, &m).await.unwrap();
        tx.commit().await.unwrap();
        let p = MessageSearchParam { msg_search_param_page_size: 10, ..Default::default() };
        for and in [0, 1] {
            let p = MessageSearchParam { msg_search_param_keyword_list_match_type: and, ..p.clone() };
            let keywords = vec!["\"quoted\" 5\u{7f}\0".to_string(), "_".to_string()];
            let r = store.search(&p, &keywords, 0, String::new(), 0, MAX_KEY_TIME).await;
            assert!(r.is_ok(), "{r:?}");
            let r = store.search(&p, &["quo\0ted".to_string()], 0, String::new(), 0, MAX_KEY_TIME).await.unwrap();
            assert_eq!(r.msg_search_result_total_count, 1, "the NUL is ignored");
        }
    }

    /// A store made by migrations 0001–0002 (rowid-keyed index) with messages indexed the way
    /// 0002 did, then opened: 0003 carries every indexed message over to time-ordered keys.
    #[tokio::test]
    async fn test_0003_carries_the_0002_index_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local.db");
        let opts = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.unwrap();
        let all = sqlx::migrate!("./migrations");
        let old = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(all.migrations[..2].to_vec()),
            ignore_missing: false,
            locking: true,
            no_tx: false,
        };
        old.run(&pool).await.unwrap();
        // (conv, time, seq, text, status): 4100 in one second of "a" (more than one second's
        // slots), two in "b", and a revoked message that 0002 did not index.
        let mut rows: Vec<(&str, i64, i64, String, i64)> =
            (0..4100).map(|i| ("a", 1000, 4100 - i, format!("同秒 tie {i}"), 2)).collect();
        rows.push(("a", 999, 1, "earlier".into(), 2));
        rows.push(("b", 5000, 1, "北京 meeting".into(), 2));
        rows.push(("b", 5001, 2, "".into(), 2));
        rows.push(("b", 5002, 3, "revoked words".into(), 6));
        let mut tx = pool.begin().await.unwrap();
        for (i, (conv, t, seq, text, status)) in rows.iter().enumerate() {
            let r = sqlx::query("INSERT INTO messages (msg_id, conv_type, conv_id, seq, sort_time, sender, status, body) VALUES (?, 1, ?, ?, ?, 'x', ?, '{}')")
                .bind(format!("m{i}"))
                .bind(conv)
                .bind(seq)
                .bind(t)
                .bind(status)
                .execute(&mut *tx)
                .await
                .unwrap();
            if *status == 6 {
                continue;
            }
            let rowid = r.last_insert_rowid();
            sqlx::query("INSERT INTO msg_fts (rowid, types, body_text) VALUES (?, ' 0 ', ?)")
                .bind(rowid)
                .bind(text)
                .execute(&mut *tx)
                .await
                .unwrap();
            let cjk = cjk_tokens(text);
            if !cjk.is_empty() {
                sqlx::query("INSERT INTO msg_fts_cjk (rowid, chars) VALUES (?, ?)")
                    .bind(rowid)
                    .bind(cjk)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
        }
        tx.commit().await.unwrap();
        pool.close().await;
        let store = LocalStore::open(&path).await.unwrap();
        let p = &store.pool;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_keys").fetch_one(p).await.unwrap();
        assert_eq!(n, 4103, "every message 0002 indexed has a key");
        let convs = sqlx::query("SELECT conv_no, conv_id, spill FROM search_convs ORDER BY conv_no")
            .fetch_all(p)
            .await
            .unwrap();
        let convs: Vec<(i64, String, i64)> = convs.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
        assert_eq!(convs, vec![(1, "a".to_string(), 1), (2, "b".to_string(), 0)]);
        // Keys follow (time, seq) within a conversation and never sort before their time.
        let keys = sqlx::query("SELECT key, time, seq FROM search_keys ORDER BY key").fetch_all(p).await.unwrap();
        let keys: Vec<(i64, i64, i64)> = keys.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
        for w in keys.windows(2) {
            if key_conv(w[0].0) == key_conv(w[1].0) {
                assert!((w[0].1, w[0].2) < (w[1].1, w[1].2), "{w:?}");
            }
        }
        assert!(keys.iter().all(|(k, t, _)| key_time(*k) >= *t));
        assert_eq!(keys.iter().filter(|(k, t, _)| key_time(*k) == t + 1).count(), 4);
        // The text indexes answer by key.
        let hits: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH '\"tie\"' AND rowid BETWEEN ? AND ?",
        )
        .bind(search_key(1, 0, 0))
        .bind(search_key(2, 0, 0) - 1)
        .fetch_one(p)
        .await
        .unwrap();
        assert_eq!(hits, 4100);
        let hit: i64 = sqlx::query_scalar("SELECT rowid FROM search_fts_cjk WHERE search_fts_cjk MATCH '\"北 京\"'")
            .fetch_one(p)
            .await
            .unwrap();
        assert_eq!((key_conv(hit), key_time(hit)), (2, 5000));
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH '\"revoked\"'")
            .fetch_one(p)
            .await
            .unwrap();
        assert_eq!(n, 0);
        // New writes continue the scheme: the message at 999 updates in place, a new one at
        // 1000 takes a free slot after the spilled ones.
        let mut c = store.pool.acquire().await.unwrap();
        let mut m = Message::new(vec![Elem::text("one more tie")]);
        m.message_msg_id = "new".into();
        m.message_conv_type = 1;
        m.message_conv_id = "a".into();
        m.message_server_time = 1000;
        m.message_status = msg_status::SEND_SUCC;
        put_msg(&mut c, &m).await.unwrap();
        let k: i64 = sqlx::query_scalar(
            "SELECT s.key FROM search_keys s JOIN messages m ON m.rowid = s.msg_rowid WHERE m.msg_id = 'new'",
        )
        .fetch_one(&mut *c)
        .await
        .unwrap();
        assert_eq!((key_conv(k), key_time(k), k & 4095), (1, 1001, 4));
        m.message_status = msg_status::DELETED;
        put_msg(&mut c, &m).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH '\"one more\"'")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert_eq!(n, 0, "a deleted message leaves the index");
        drop(c);
        store.close().await;
    }
}
