//! The local store: one SQLite database per logged-in user (sqlx, WAL, append-only migrations).
//!
//! Messages are kept in the viewer's form; a message is identified by `message_msg_id`, so it
//! is stored once however it arrives (send echo, push, offline sync, roaming page).
use std::path::Path;

use confab_protocol::conv::Draft;
use confab_protocol::enums::{conv_type, msg_status};
use confab_protocol::{ConvInfo, Elem, Message};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqliteConnection, SqlitePool};

use crate::error::Error;

#[derive(Clone)]
pub struct LocalStore {
    pub pool: SqlitePool,
}

/// Where a message sits in its conversation's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub time: i64,
    pub seq: i64,
}

fn corrupt(e: serde_json::Error) -> Error {
    Error::Store(format!("stored JSON is corrupt: {e}"))
}

pub fn sort_time(m: &Message) -> i64 {
    if m.message_server_time > 0 {
        m.message_server_time as i64
    } else {
        m.message_client_time as i64
    }
}

fn row_msg(r: &SqliteRow) -> Result<Message, Error> {
    serde_json::from_str(r.get::<&str, _>("body")).map_err(corrupt)
}

impl LocalStore {
    pub async fn open(path: &Path) -> Result<LocalStore, Error> {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| Error::Io(e.to_string()))?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts).await?;
        sqlx::migrate!("./migrations").run(&pool).await.map_err(|e| Error::Store(e.to_string()))?;
        Ok(LocalStore { pool })
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so two writers
    /// queue on the busy timeout instead of failing on a read-to-write lock upgrade.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, Error> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn kv_get(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(sqlx::query_scalar("SELECT value FROM kv WHERE key = ?").bind(key).fetch_optional(&self.pool).await?)
    }

    pub async fn get_msg(&self, msg_id: &str) -> Result<Option<Message>, Error> {
        let row =
            sqlx::query("SELECT body FROM messages WHERE msg_id = ?").bind(msg_id).fetch_optional(&self.pool).await?;
        row.map(|r| row_msg(&r)).transpose()
    }

    pub async fn conv_exists(&self, ct: u32, id: &str) -> Result<bool, Error> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT 1 FROM conversations WHERE conv_type = ? AND conv_id = ?")
            .bind(ct as i64)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// Messages of a conversation before (`forward` false, newest first) or after (oldest
    /// first) `anchor`, or from the newest when `anchor` is None.
    pub async fn page(
        &self,
        ct: u32,
        id: &str,
        anchor: Option<(SortKey, String)>,
        forward: bool,
        inclusive: bool,
        count: u32,
    ) -> Result<Vec<Message>, Error> {
        let (cmp, order) = match (forward, inclusive) {
            (false, false) => ("<", "DESC"),
            (false, true) => ("<=", "DESC"),
            (true, false) => (">", "ASC"),
            (true, true) => (">=", "ASC"),
        };
        let rows = match anchor {
            Some((k, mid)) => {
                let sql = format!(
                    "SELECT body FROM messages WHERE conv_type = ? AND conv_id = ? AND status != 4 AND (sort_time, seq, msg_id) {cmp} (?, ?, ?)
                     ORDER BY sort_time {order}, seq {order}, msg_id {order} LIMIT ?"
                );
                sqlx::query(&sql)
                    .bind(ct as i64)
                    .bind(id)
                    .bind(k.time)
                    .bind(k.seq)
                    .bind(mid)
                    .bind(count as i64)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = format!(
                    "SELECT body FROM messages WHERE conv_type = ? AND conv_id = ? AND status != 4
                     ORDER BY sort_time {order}, seq {order}, msg_id {order} LIMIT ?"
                );
                sqlx::query(&sql).bind(ct as i64).bind(id).bind(count as i64).fetch_all(&self.pool).await?
            }
        };
        rows.iter().map(row_msg).collect()
    }

    /// Messages of a conversation within a time window.
    pub async fn page_by_time(
        &self,
        ct: u32,
        id: &str,
        begin: i64,
        end: i64,
        forward: bool,
        count: u32,
    ) -> Result<Vec<Message>, Error> {
        let order = if forward { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT body FROM messages WHERE conv_type = ? AND conv_id = ? AND status != 4 AND sort_time >= ? AND sort_time < ?
             ORDER BY sort_time {order}, seq {order}, msg_id {order} LIMIT ?"
        );
        let rows = sqlx::query(&sql)
            .bind(ct as i64)
            .bind(id)
            .bind(begin)
            .bind(end)
            .bind(count as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row_msg).collect()
    }

    pub async fn sort_key_of(&self, msg_id: &str) -> Result<Option<SortKey>, Error> {
        let row = sqlx::query("SELECT sort_time, seq FROM messages WHERE msg_id = ?")
            .bind(msg_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| SortKey { time: r.get("sort_time"), seq: r.get("seq") }))
    }

    pub async fn conv_ids(&self) -> Result<Vec<(u32, String)>, Error> {
        let rows = sqlx::query("SELECT conv_type, conv_id FROM conversations").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| (r.get::<i64, _>("conv_type") as u32, r.get::<String, _>("conv_id"))).collect())
    }

    /// The conversation as a ConvInfo, or None when it does not exist.
    pub async fn conv_info(&self, ct: u32, id: &str) -> Result<Option<ConvInfo>, Error> {
        let r = sqlx::query(&format!("{CONV_SELECT} WHERE c.conv_type = ? AND c.conv_id = ?"))
            .bind(ct as i64)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| conv_from_row(&r)).transpose()
    }

    /// Every conversation as a ConvInfo, in one query (the list at start-up), unsorted.
    pub async fn conv_list(&self) -> Result<Vec<ConvInfo>, Error> {
        let rows = sqlx::query(CONV_SELECT).fetch_all(&self.pool).await?;
        rows.iter().map(conv_from_row).collect()
    }

    pub async fn total_unread(&self) -> Result<u64, Error> {
        let n: Option<i64> = sqlx::query_scalar("SELECT SUM(unread) FROM conversations").fetch_one(&self.pool).await?;
        Ok(n.unwrap_or(0) as u64)
    }
}

/// A conversation with what its ConvInfo shows: its last message (not deleted, not excluded from
/// the last message), pin, receive option and group type. `conv_from_row` reads it.
const CONV_SELECT: &str = "SELECT c.conv_type, c.conv_id, c.unread, c.created_time, c.draft, c.peer_read_time,
        c.show_name, c.face_url,
        (SELECT m.body FROM messages m WHERE m.conv_type = c.conv_type AND m.conv_id = c.conv_id AND m.status != 4
           AND json_extract(m.body, '$.message_excluded_from_last_message') IS NOT 1
         ORDER BY m.sort_time DESC, m.seq DESC, m.msg_id DESC LIMIT 1) AS last_body,
        EXISTS (SELECT 1 FROM conv_pins p WHERE p.conv_type = c.conv_type AND p.conv_id = c.conv_id) AS pinned,
        (SELECT value FROM kv WHERE key = 'recv_opt:' || c.conv_type || ':' || c.conv_id) AS recv_opt,
        (SELECT value FROM kv WHERE key = 'group_type:' || c.conv_id) AS group_type,
        CASE WHEN c.conv_type = 2 THEN (SELECT value FROM kv WHERE key = 'group_at:' || c.conv_id) END AS group_at
    FROM conversations c";

fn conv_from_row(r: &SqliteRow) -> Result<ConvInfo, Error> {
    let ct = r.get::<i64, _>("conv_type") as u32;
    let id: String = r.get("conv_id");
    let peer_read: i64 = r.get("peer_read_time");
    let draft: Option<Draft> =
        r.get::<Option<String>, _>("draft").map(|s| serde_json::from_str(&s)).transpose().map_err(corrupt)?;
    let last: Option<Message> = r
        .get::<Option<&str>, _>("last_body")
        .map(|b| serde_json::from_str(b).map_err(corrupt))
        .transpose()?
        .map(|m| with_peer_read(m, peer_read));
    let mut active = r.get::<i64, _>("created_time") as u64;
    if let Some(m) = &last {
        active = active.max(sort_time(m) as u64);
    }
    if let Some(d) = &draft {
        active = active.max(d.draft_edit_time);
    }
    let pinned = r.get::<i64, _>("pinned") != 0;
    if pinned {
        active |= crate::pins::PINNED_BIT;
    }
    let show: String = r.get("show_name");
    let recv_opt = r.get::<Option<String>, _>("recv_opt").and_then(|v| v.parse().ok()).unwrap_or(0);
    let group_type = if ct == conv_type::GROUP {
        r.get::<Option<String>, _>("group_type").and_then(|v| v.parse().ok()).unwrap_or(0)
    } else {
        0
    };
    let group_at: Vec<confab_protocol::conv::GroupAtInfo> = match r.get::<Option<&str>, _>("group_at") {
        Some(v) => serde_json::from_str(v).map_err(corrupt)?,
        None => Vec::new(),
    };
    Ok(ConvInfo {
        conv_group_at_info_array: group_at,
        conv_show_name: if show.is_empty() { id.clone() } else { show },
        conv_id: id,
        conv_type: ct,
        conv_unread_num: r.get::<i64, _>("unread") as u64,
        conv_active_time: active,
        conv_is_has_lastmsg: last.is_some(),
        conv_last_msg: last,
        conv_is_has_draft: draft.is_some(),
        conv_draft: draft,
        conv_face_url: r.get("face_url"),
        conv_c2c_read_timestamp: if ct == conv_type::C2C { peer_read as u64 } else { 0 },
        conv_recv_opt: recv_opt,
        conv_group_type: group_type,
        conv_is_pinned: pinned,
        ..Default::default()
    })
}

pub fn recv_opt_key(ct: u32, id: &str) -> String {
    format!("recv_opt:{ct}:{id}")
}

/// Fill `message_is_peer_read` from the conversation's peer read mark.
pub fn with_peer_read(mut m: Message, peer_read_time: i64) -> Message {
    if m.message_is_from_self && m.message_conv_type == conv_type::C2C && m.message_status == msg_status::SEND_SUCC {
        m.message_is_peer_read = m.message_server_time > 0 && m.message_server_time as i64 <= peer_read_time;
    }
    m
}

// ---- writes, usable inside a transaction ----

/// How a group message's `message_group_at_user_array` mentions `me`: 0 not, 1 @me, 2 @all,
/// 3 both (TIMGroupAtType).
pub fn group_at_type(at_users: &[String], me: &str) -> u32 {
    use confab_protocol::enums::{AT_ALL, AT_ALL_7X};
    let me_at = at_users.iter().any(|u| u == me);
    let all = at_users.iter().any(|u| u == AT_ALL || u == AT_ALL_7X);
    match (me_at, all) {
        (true, true) => 3,
        (true, false) => 1,
        (false, true) => 2,
        (false, false) => 0,
    }
}

/// Remember that an unread message of group `gid` mentions me (`conv_group_at_info_array`,
/// kept in `kv` under `group_at:<gid>` until the group is read).
pub async fn add_group_at(c: &mut SqliteConnection, gid: &str, seq: u64, at_type: u32) -> Result<(), Error> {
    let key = format!("group_at:{gid}");
    let cur: Option<String> =
        sqlx::query_scalar("SELECT value FROM kv WHERE key = ?").bind(&key).fetch_optional(&mut *c).await?;
    let mut list: Vec<confab_protocol::conv::GroupAtInfo> = match cur {
        Some(v) => serde_json::from_str(&v).map_err(corrupt)?,
        None => Vec::new(),
    };
    if list.iter().any(|a| a.conv_group_at_info_seq == seq && seq != 0) {
        return Ok(());
    }
    list.push(confab_protocol::conv::GroupAtInfo { conv_group_at_info_seq: seq, conv_group_at_info_at_type: at_type });
    let v = serde_json::to_string(&list).map_err(|e| Error::Store(e.to_string()))?;
    kv_set(c, &key, &v).await
}

pub async fn kv_set(c: &mut SqliteConnection, key: &str, value: &str) -> Result<(), Error> {
    sqlx::query("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(c)
        .await?;
    Ok(())
}

/// Create the conversation if missing; returns whether it was created.
pub async fn ensure_conv(c: &mut SqliteConnection, ct: u32, id: &str, now: u64) -> Result<bool, Error> {
    let r = sqlx::query("INSERT OR IGNORE INTO conversations (conv_type, conv_id, created_time) VALUES (?, ?, ?)")
        .bind(ct as i64)
        .bind(id)
        .bind(now as i64)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete_conv(c: &mut SqliteConnection, ct: u32, id: &str) -> Result<bool, Error> {
    let r = sqlx::query("DELETE FROM conversations WHERE conv_type = ? AND conv_id = ?")
        .bind(ct as i64)
        .bind(id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_show_name(c: &mut SqliteConnection, ct: u32, id: &str, name: &str, face: &str) -> Result<(), Error> {
    sqlx::query("UPDATE conversations SET show_name = ?, face_url = ? WHERE conv_type = ? AND conv_id = ?")
        .bind(name)
        .bind(face)
        .bind(ct as i64)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn get_msg_in(c: &mut SqliteConnection, msg_id: &str) -> Result<Option<Message>, Error> {
    let row = sqlx::query("SELECT body FROM messages WHERE msg_id = ?").bind(msg_id).fetch_optional(c).await?;
    row.map(|r| row_msg(&r)).transpose()
}

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

pub fn key_conv(key: i64) -> i64 {
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
async fn index_msg(c: &mut SqliteConnection, m: &Message) -> Result<(), Error> {
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

/// Insert or replace a message.
pub async fn put_msg(c: &mut SqliteConnection, m: &Message) -> Result<(), Error> {
    let body = serde_json::to_string(m).map_err(corrupt)?;
    sqlx::query(
        "INSERT INTO messages (msg_id, conv_type, conv_id, seq, sort_time, sender, status, is_read, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (msg_id) DO UPDATE SET seq = excluded.seq, sort_time = excluded.sort_time, status = excluded.status,
         is_read = excluded.is_read, body = excluded.body",
    )
    .bind(&m.message_msg_id)
    .bind(m.message_conv_type as i64)
    .bind(&m.message_conv_id)
    .bind(m.message_seq as i64)
    .bind(sort_time(m))
    .bind(&m.message_sender)
    .bind(m.message_status as i64)
    .bind(m.message_is_read as i64)
    .bind(body)
    .execute(&mut *c)
    .await?;
    index_msg(c, m).await
}

pub async fn add_unread(c: &mut SqliteConnection, ct: u32, id: &str, n: i64) -> Result<(), Error> {
    sqlx::query("UPDATE conversations SET unread = MAX(0, unread + ?) WHERE conv_type = ? AND conv_id = ?")
        .bind(n)
        .bind(ct as i64)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Mark the conversation read up to `time` and recount what stays unread.
pub async fn mark_read(c: &mut SqliteConnection, ct: u32, id: &str, time: i64) -> Result<(), Error> {
    let rows = sqlx::query(
        "SELECT msg_id, body FROM messages WHERE conv_type = ? AND conv_id = ? AND is_read = 0 AND sort_time <= ?",
    )
    .bind(ct as i64)
    .bind(id)
    .bind(time)
    .fetch_all(&mut *c)
    .await?;
    for r in &rows {
        let mut m = row_msg(r)?;
        m.message_is_read = true;
        put_msg(&mut *c, &m).await?;
    }
    // Incoming messages are stored unread; own and excluded ones are stored read.
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE conv_type = ? AND conv_id = ? AND is_read = 0 AND status != 4",
    )
    .bind(ct as i64)
    .bind(id)
    .fetch_one(&mut *c)
    .await?;
    sqlx::query("UPDATE conversations SET unread = ? WHERE conv_type = ? AND conv_id = ?")
        .bind(left)
        .bind(ct as i64)
        .bind(id)
        .execute(&mut *c)
        .await?;
    if ct == conv_type::GROUP && left == 0 {
        // Read: the @ marks go with the unread messages.
        sqlx::query("DELETE FROM kv WHERE key = ?").bind(format!("group_at:{id}")).execute(c).await?;
    }
    Ok(())
}

pub async fn set_peer_read(c: &mut SqliteConnection, peer: &str, time: u64) -> Result<(), Error> {
    sqlx::query("UPDATE conversations SET peer_read_time = MAX(peer_read_time, ?) WHERE conv_type = 1 AND conv_id = ?")
        .bind(time as i64)
        .bind(peer)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn set_draft(c: &mut SqliteConnection, ct: u32, id: &str, draft: Option<&Draft>) -> Result<(), Error> {
    let json = draft.map(serde_json::to_string).transpose().map_err(corrupt)?;
    sqlx::query("UPDATE conversations SET draft = ? WHERE conv_type = ? AND conv_id = ?")
        .bind(json)
        .bind(ct as i64)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

#[cfg(test)]
mod search_index_tests {
    use super::*;

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
