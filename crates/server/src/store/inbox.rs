//! The per-user inbox: an event log with consecutive seqs per user, which a device replays from
//! where it stopped (`Request::Sync`). Each entry is a [`StoredEvent`], rendered into a wire
//! event when read.
use confab_protocol::wire::{Event, Push};
use confab_protocol::{MessageReceipt, MsgLocator};
use serde::{Deserialize, Serialize};

use super::{sql, Conn, Effect, Tx};
use crate::error::{corrupt, Result};

/// What is kept in the inbox for one user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum StoredEvent {
    Msg { id: i64 },
    Receipt { receipt: MessageReceipt },
    Revoked { locator: MsgLocator, msg_id: String },
    Updated { id: i64 },
}

#[derive(sqlx::FromRow)]
struct InboxRow {
    seq: i64,
    event: String,
}

impl Conn {
    /// Up to `limit` inbox entries of `user` after `after`, in seq order.
    pub async fn inbox_page(&mut self, user: &str, after: u64, limit: i64) -> Result<Vec<(u64, StoredEvent)>> {
        let rows = sql!(all InboxRow; self,
            "SELECT seq, event FROM inbox WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            user, after as i64, limit)?;
        rows.into_iter().map(|r| Ok((r.seq as u64, serde_json::from_str(&r.event).map_err(corrupt)?))).collect()
    }

    /// The newest inbox seq of `user` (0 when empty).
    pub async fn latest_inbox_seq(&mut self, user: &str) -> Result<u64> {
        let max = sql!(scalar_one Option<i64>; self, "SELECT MAX(seq) FROM inbox WHERE user_id = $1", user)?;
        Ok(max.unwrap_or(0) as u64)
    }
}

impl Tx {
    /// The next seq of `user`'s inbox, under the inbox's lock (see the module doc of `store`).
    pub(super) async fn next_inbox_seq(&mut self, user: &str) -> Result<u64> {
        if self.conn.is_pg() {
            // The user's counter row, advanced and locked in this transaction.
            let next = sql!(scalar_one i64; self,
                "INSERT INTO inbox_seqs (user_id, max_seq) VALUES ($1, 1)
                 ON CONFLICT (user_id) DO UPDATE SET max_seq = inbox_seqs.max_seq + 1 RETURNING max_seq",
                user)?;
            return Ok(next as u64);
        }
        let next = match self.seqs.inbox.get(user) {
            Some(s) => s + 1,
            None => self.conn.latest_inbox_seq(user).await? + 1,
        };
        self.seqs.inbox.insert(user.to_string(), next);
        Ok(next)
    }

    /// Append an event to a user's inbox with the next seq of that inbox, and queue its live
    /// push (sent after commit). The seq is allocated under the inbox's lock (see the module
    /// doc of `store`).
    pub async fn append_inbox(&mut self, user: &str, stored: &StoredEvent, live: Event) -> Result<u64> {
        let next = self.next_inbox_seq(user).await?;
        let json = serde_json::to_string(stored).map_err(corrupt)?;
        sql!(exec self, "INSERT INTO inbox (user_id, seq, event) VALUES ($1, $2, $3)", user, next as i64, json)?;
        self.effects.push(Effect::Push {
            user: user.to_string(),
            push: Push { seq: next, event: live },
            except_conn: None,
        });
        Ok(next)
    }
}
