//! Messages in the local store: insert or replace (which keeps the search index in step), reads
//! by id, pages in conversation order, locators, read marks.
use confab_protocol::enums::{conv_type, msg_status};
use confab_protocol::Message;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{corrupt, kv_delete, search, LocalStore};
use crate::error::Error;

/// Where a message sits in its conversation's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub time: i64,
    pub seq: i64,
}

pub fn sort_time(m: &Message) -> i64 {
    if m.message_server_time > 0 {
        m.message_server_time as i64
    } else {
        m.message_client_time as i64
    }
}

pub(super) fn row_msg(r: &SqliteRow) -> Result<Message, Error> {
    serde_json::from_str(r.get::<&str, _>("body")).map_err(corrupt)
}

impl LocalStore {
    pub async fn get_msg(&self, msg_id: &str) -> Result<Option<Message>, Error> {
        let row =
            sqlx::query("SELECT body FROM messages WHERE msg_id = ?").bind(msg_id).fetch_optional(&self.pool).await?;
        row.map(|r| row_msg(&r)).transpose()
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

    /// The sort time of the message with group seq `seq` in a conversation, if stored.
    pub async fn sort_time_of_seq(&self, ct: u32, id: &str, seq: u64) -> Result<Option<i64>, Error> {
        Ok(sqlx::query_scalar("SELECT sort_time FROM messages WHERE conv_type = ? AND conv_id = ? AND seq = ?")
            .bind(ct as i64)
            .bind(id)
            .bind(seq as i64)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The ids of every message with status `status`.
    pub async fn msg_ids_with_status(&self, status: u32) -> Result<Vec<String>, Error> {
        Ok(sqlx::query_scalar("SELECT msg_id FROM messages WHERE status = ?")
            .bind(i64::from(status))
            .fetch_all(&self.pool)
            .await?)
    }

    /// The ids of a conversation's messages that are not deleted.
    pub async fn visible_msg_ids(&self, ct: u32, id: &str) -> Result<Vec<String>, Error> {
        Ok(sqlx::query_scalar("SELECT msg_id FROM messages WHERE conv_type = ? AND conv_id = ? AND status != 4")
            .bind(ct as i64)
            .bind(id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The message a locator names: by `seq` (or, for `seq` 0, by `time`), and by `rand` when
    /// it is not 0; deleted messages are not found.
    pub async fn msg_at_locator(
        &self,
        ct: u32,
        id: &str,
        seq: u64,
        time: u64,
        rand: u64,
    ) -> Result<Option<Message>, Error> {
        let rows = sqlx::query(
            "SELECT body FROM messages WHERE conv_type = ? AND conv_id = ? AND (seq = ? OR (? = 0 AND sort_time = ?))",
        )
        .bind(ct as i64)
        .bind(id)
        .bind(seq as i64)
        .bind(seq as i64)
        .bind(time as i64)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let m: Message = serde_json::from_str(r.get::<&str, _>("body")).map_err(|e| Error::Store(e.to_string()))?;
            let rand_ok = rand == 0 || m.message_rand == rand;
            if rand_ok && m.message_status != msg_status::DELETED {
                return Ok(Some(m));
            }
        }
        Ok(None)
    }
}

// ---- writes, usable inside a transaction ----

pub async fn get_msg_in(c: &mut SqliteConnection, msg_id: &str) -> Result<Option<Message>, Error> {
    let row = sqlx::query("SELECT body FROM messages WHERE msg_id = ?").bind(msg_id).fetch_optional(c).await?;
    row.map(|r| row_msg(&r)).transpose()
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
    search::index_msg(c, m).await
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
        kv_delete(c, &format!("group_at:{id}")).await?;
    }
    Ok(())
}
