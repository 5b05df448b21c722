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
        self.reserve_inbox_seqs(user, 1).await
    }

    /// Reserve the next `n` seqs of `user`'s inbox; returns the first. PostgreSQL: the user's
    /// counter row is advanced (and stays locked) in this transaction.
    pub(super) async fn reserve_inbox_seqs(&mut self, user: &str, n: u64) -> Result<u64> {
        if self.conn.is_pg() {
            let last = sql!(scalar_one i64; self,
                "INSERT INTO inbox_seqs (user_id, max_seq) VALUES ($1, $2)
                 ON CONFLICT (user_id) DO UPDATE SET max_seq = inbox_seqs.max_seq + $2 RETURNING max_seq",
                user, n as i64)?;
            return Ok(last as u64 + 1 - n);
        }
        let first = match self.seqs.inbox.get(user) {
            Some(s) => s + 1,
            None => self.conn.latest_inbox_seq(user).await? + 1,
        };
        self.seqs.inbox.insert(user.to_string(), first + n - 1);
        Ok(first)
    }

    /// [`Tx::reserve_inbox_seqs`] for several users at once, in the order given (sorted: the
    /// order their rows are locked); returns each one's first seq.
    pub(super) async fn reserve_inbox_seqs_many(&mut self, runs: &[(&str, u64)]) -> Result<Vec<u64>> {
        if !self.conn.is_pg() || runs.len() < 2 {
            let mut out = Vec::with_capacity(runs.len());
            for &(user, n) in runs {
                out.push(self.reserve_inbox_seqs(user, n).await?);
            }
            return Ok(out);
        }
        let users: Vec<String> = runs.iter().map(|r| r.0.to_string()).collect();
        let ns: Vec<i64> = runs.iter().map(|r| r.1 as i64).collect();
        let rows = sql!(pg all (String, i64); self,
            "INSERT INTO inbox_seqs (user_id, max_seq)
             SELECT u, n FROM UNNEST($1::TEXT[], $2::BIGINT[]) WITH ORDINALITY AS r(u, n, o) ORDER BY o
             ON CONFLICT (user_id) DO UPDATE SET max_seq = inbox_seqs.max_seq + EXCLUDED.max_seq
             RETURNING user_id, max_seq",
            &users, &ns)?;
        let last: std::collections::HashMap<String, i64> = rows.into_iter().collect();
        runs.iter()
            .map(|&(user, n)| {
                let m = last.get(user).ok_or_else(|| corrupt("an inbox counter was not returned"))?;
                Ok(*m as u64 + 1 - n)
            })
            .collect()
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
