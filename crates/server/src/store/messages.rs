//! Messages: one row per stored message. `conv_key` is the group id for groups, the two user
//! ids sorted and joined by '\n' for C2C, the user id for a user's system conversation; `seq` is
//! consecutive from 1 per (conv_type, conv_key). Also the per-user roaming deletes
//! (`hidden_messages`, `cleared_history`).
use confab_protocol::enums::{conv_type, msg_status};
use confab_protocol::{Message, MsgLocator};

use super::{sql, Conn, Tx};
use crate::error::{corrupt, Result};

/// A stored message row, as read back.
#[derive(Debug, Clone)]
pub struct MsgRow {
    pub sender: String,
    pub body: String,
    pub revoked: bool,
    /// Who revoked it (empty when not revoked), with their nick name and face URL then.
    pub revoker: Revoker,
}

#[derive(sqlx::FromRow)]
struct RawMsg {
    sender: String,
    body: String,
    revoked: i64,
    revoker: String,
    revoker_nick: String,
    revoker_face: String,
}

impl From<RawMsg> for MsgRow {
    fn from(r: RawMsg) -> MsgRow {
        MsgRow {
            sender: r.sender,
            body: r.body,
            revoked: r.revoked != 0,
            revoker: Revoker { user_id: r.revoker, nick_name: r.revoker_nick, face_url: r.revoker_face },
        }
    }
}

const MSG_COLUMNS: &str = "sender, body, revoked, revoker, revoker_nick, revoker_face";
pub(super) const MSG_COLUMNS_WITH_ID: &str = "msg_id, sender, body, revoked, revoker, revoker_nick, revoker_face";

/// A message row with its message id (finding retries of a batch).
#[derive(sqlx::FromRow)]
pub(super) struct RawMsgWithId {
    pub msg_id: String,
    sender: String,
    body: String,
    revoked: i64,
    revoker: String,
    revoker_nick: String,
    revoker_face: String,
}

impl RawMsgWithId {
    pub fn into_row(self) -> MsgRow {
        MsgRow::from(RawMsg {
            sender: self.sender,
            body: self.body,
            revoked: self.revoked,
            revoker: self.revoker,
            revoker_nick: self.revoker_nick,
            revoker_face: self.revoker_face,
        })
    }
}

/// Who revoked a message: `messages.revoker` / `revoker_nick` / `revoker_face` (0009).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revoker {
    pub user_id: String,
    pub nick_name: String,
    pub face_url: String,
}

impl Revoker {
    /// Fill the `message_revoker_*` keys of a revoked message (the reason stays empty: TIMMsgRevoke
    /// takes none).
    pub fn fill_msg(&self, m: &mut Message) {
        m.message_revoker_user_id = self.user_id.clone();
        m.message_revoker_nick_name = self.nick_name.clone();
        m.message_revoker_face_url = self.face_url.clone();
        m.message_revoke_reason = String::new();
    }

    /// The same keys on a revoke callback's locator.
    pub fn fill_locator(&self, l: &mut MsgLocator) {
        l.message_revoker_user_id = self.user_id.clone();
        l.message_revoker_nick_name = self.nick_name.clone();
        l.message_revoker_face_url = self.face_url.clone();
        l.message_revoke_reason = String::new();
    }
}

impl MsgRow {
    /// The message as `viewer` sees it: C2C conv id is the other party, status reflects revoke.
    pub fn render(&self, viewer: &str) -> Result<Message> {
        let mut m: Message = serde_json::from_str(&self.body).map_err(corrupt)?;
        render_for(&mut m, viewer);
        if self.revoked {
            m.message_status = msg_status::REVOKED;
            self.revoker.fill_msg(&mut m);
        }
        Ok(m)
    }
}

/// Adjust a stored (sender's view) message for `viewer`.
pub fn render_for(m: &mut Message, viewer: &str) {
    if m.message_conv_type == conv_type::C2C && m.message_sender != viewer {
        m.message_conv_id = m.message_sender.clone();
    }
    m.message_is_from_self = m.message_sender == viewer;
}

/// A message about to be stored (its seq is allocated by [`Tx::insert_message`]).
pub struct NewMessage<'a> {
    pub conv_type: u32,
    pub conv_key: &'a str,
    pub msg: &'a mut Message,
}

/// A page of roaming history as one user sees it.
pub struct HistoryQuery<'a> {
    pub viewer: &'a str,
    pub conv_type: u32,
    pub conv_key: &'a str,
    /// 0 backwards = from the newest message.
    pub anchor: u64,
    pub forward: bool,
    pub include_anchor: bool,
    pub count: i64,
}

/// What revoking needs to know about a message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevokeTarget {
    pub id: i64,
    pub sender: String,
    pub server_time: i64,
    pub body: String,
    pub revoked: i64,
}

impl Conn {
    pub async fn message_exists(&mut self, msg_id: &str) -> Result<bool> {
        Ok(sql!(scalar_opt i32; self, "SELECT 1 FROM messages WHERE msg_id = $1", msg_id)?.is_some())
    }

    pub async fn message_by_id(&mut self, id: i64) -> Result<MsgRow> {
        let q = format!("SELECT {MSG_COLUMNS} FROM messages WHERE id = $1");
        Ok(sql!(one RawMsg; self, &q, id)?.into())
    }

    /// The newest seq of a conversation (0 when it has none).
    pub async fn latest_conv_seq(&mut self, ct: u32, conv_key: &str) -> Result<u64> {
        let max = sql!(scalar_one Option<i64>; self,
            "SELECT MAX(seq) FROM messages WHERE conv_type = $1 AND conv_key = $2", ct as i64, conv_key)?;
        Ok(max.unwrap_or(0) as u64)
    }

    /// Roaming history: what this user deleted or cleared never comes back, nor what came
    /// before a re-used group id's fresh start, nor (in every group type but ChatRoom, whose
    /// members may read what was said before they came) what came before the user joined.
    pub async fn history(&mut self, h: &HistoryQuery<'_>) -> Result<Vec<MsgRow>> {
        let (cmp, order) = match (h.forward, h.include_anchor) {
            (true, false) => (">", "ASC"),
            (true, true) => (">=", "ASC"),
            (false, false) => ("<", "DESC"),
            (false, true) => ("<=", "DESC"),
        };
        let anchor = if h.anchor == 0 && !h.forward { i64::MAX } else { h.anchor as i64 };
        let q = format!(
            "SELECT {MSG_COLUMNS} FROM messages WHERE conv_type = $1 AND conv_key = $2 AND seq {cmp} $3
               AND id NOT IN (SELECT msg_rowid FROM hidden_messages WHERE user_id = $4)
               AND seq > COALESCE((SELECT up_to_seq FROM cleared_history
                                   WHERE user_id = $4 AND conv_type = $1 AND conv_key = $2), 0)
               AND seq > COALESCE((SELECT history_floor FROM groups WHERE $1 = 2 AND group_id = $2), 0)
               AND seq > COALESCE((SELECT m.join_seq FROM group_members m JOIN groups g ON g.group_id = m.group_id
                                   WHERE $1 = 2 AND m.group_id = $2 AND m.user_id = $4 AND g.group_type != 2), 0)
             ORDER BY seq {order} LIMIT $5"
        );
        let rows = sql!(all RawMsg; self, &q, h.conv_type as i64, h.conv_key, anchor, h.viewer, h.count)?;
        Ok(rows.into_iter().map(MsgRow::from).collect())
    }

    pub async fn revoke_target(&mut self, msg_id: &str, ct: u32, conv_key: &str) -> Result<Option<RevokeTarget>> {
        Ok(sql!(opt RevokeTarget; self,
            "SELECT id, sender, server_time, body, revoked FROM messages
             WHERE msg_id = $1 AND conv_type = $2 AND conv_key = $3",
            msg_id, ct as i64, conv_key)?)
    }

    /// The newest seq and server time of a group's messages (0, 0 when none).
    pub async fn group_last_msg(&mut self, gid: &str) -> Result<(u64, u64)> {
        let (seq, t) = sql!(one (Option<i64>, Option<i64>); self,
            "SELECT MAX(seq), MAX(server_time) FROM messages WHERE conv_type = 2 AND conv_key = $1", gid)?;
        Ok((seq.unwrap_or(0) as u64, t.unwrap_or(0) as u64))
    }

    /// The newest seq of a group sent up to `time` (what "read up to then" means in seqs).
    pub async fn group_seq_at(&mut self, gid: &str, time: i64) -> Result<u64> {
        let seq = sql!(scalar_one Option<i64>; self,
            "SELECT MAX(seq) FROM messages WHERE conv_type = 2 AND conv_key = $1 AND server_time <= $2", gid, time)?;
        Ok(seq.unwrap_or(0) as u64)
    }

    /// Messages of a group `me` has not read: after `read_time`, since `join_time`, not mine.
    pub async fn group_unread(&mut self, gid: &str, read_time: i64, join_time: i64, me: &str) -> Result<u64> {
        let n = sql!(scalar_one i64; self,
            "SELECT COUNT(*) FROM messages WHERE conv_type = 2 AND conv_key = $1 AND server_time > $2
             AND server_time >= $3 AND sender != $4",
            gid, read_time, join_time, me)?;
        Ok(n as u64)
    }
}

impl Tx {
    /// The newest seq of a conversation now (0 when it has none), as this transaction sees it.
    pub async fn current_conv_seq(&mut self, ct: u32, conv_key: &str) -> Result<u64> {
        if self.conn.is_pg() {
            let n = sql!(scalar_opt i64; self,
                "SELECT max_seq FROM conv_seqs WHERE conv_type = $1 AND conv_key = $2", ct as i64, conv_key)?;
            return Ok(n.unwrap_or(0) as u64);
        }
        match self.seqs.conv.get(&(ct, conv_key.to_string())) {
            Some(s) => Ok(*s),
            None => self.conn.latest_conv_seq(ct, conv_key).await,
        }
    }

    /// Next message seq of a conversation (consecutive from 1), under the conversation's lock.
    pub async fn next_conv_seq(&mut self, ct: u32, conv_key: &str) -> Result<u64> {
        self.reserve_conv_seqs(ct, conv_key, 1).await
    }

    /// Reserve the next `n` seqs of a conversation; returns the first. PostgreSQL: the
    /// conversation's counter row is advanced (and stays locked) in this transaction, so two
    /// nodes never hand out the same seq and a rollback gives the seqs back.
    pub async fn reserve_conv_seqs(&mut self, ct: u32, conv_key: &str, n: u64) -> Result<u64> {
        if self.conn.is_pg() {
            let last = sql!(scalar_one i64; self,
                "INSERT INTO conv_seqs (conv_type, conv_key, max_seq) VALUES ($1, $2, $3)
                 ON CONFLICT (conv_type, conv_key) DO UPDATE SET max_seq = conv_seqs.max_seq + $3
                 RETURNING max_seq",
                ct as i64, conv_key, n as i64)?;
            return Ok(last as u64 + 1 - n);
        }
        let key = (ct, conv_key.to_string());
        let first = match self.seqs.conv.get(&key) {
            Some(s) => s + 1,
            None => self.conn.latest_conv_seq(ct, conv_key).await? + 1,
        };
        self.seqs.conv.insert(key, first + n - 1);
        Ok(first)
    }

    /// [`Tx::reserve_conv_seqs`] for several conversations at once, in the order given (give
    /// them sorted: that is the order their rows are locked); returns each one's first seq.
    pub async fn reserve_conv_seqs_many(&mut self, runs: &[(u32, &str, u64)]) -> Result<Vec<u64>> {
        if !self.conn.is_pg() || runs.len() < 2 {
            let mut out = Vec::with_capacity(runs.len());
            for &(ct, key, n) in runs {
                out.push(self.reserve_conv_seqs(ct, key, n).await?);
            }
            return Ok(out);
        }
        // One statement for the whole batch (a round trip per conversation cost more than the
        // commit); rows are taken in input order.
        let cts: Vec<i64> = runs.iter().map(|r| r.0 as i64).collect();
        let keys: Vec<String> = runs.iter().map(|r| r.1.to_string()).collect();
        let ns: Vec<i64> = runs.iter().map(|r| r.2 as i64).collect();
        let rows = sql!(pg all (i64, String, i64); self,
            "INSERT INTO conv_seqs (conv_type, conv_key, max_seq)
             SELECT t, k, n FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[]) WITH ORDINALITY AS r(t, k, n, o) ORDER BY o
             ON CONFLICT (conv_type, conv_key) DO UPDATE SET max_seq = conv_seqs.max_seq + EXCLUDED.max_seq
             RETURNING conv_type, conv_key, max_seq",
            &cts, &keys, &ns)?;
        let last: std::collections::HashMap<(i64, String), i64> =
            rows.into_iter().map(|(t, k, m)| ((t, k), m)).collect();
        runs.iter()
            .map(|&(ct, key, n)| {
                let m =
                    last.get(&(ct as i64, key.to_string())).ok_or_else(|| corrupt("a seq counter was not returned"))?;
                Ok(*m as u64 + 1 - n)
            })
            .collect()
    }

    /// Store a message with the next seq of its conversation (set on the message); returns its
    /// row id.
    pub async fn insert_message(&mut self, m: NewMessage<'_>) -> Result<i64> {
        m.msg.message_seq = self.next_conv_seq(m.conv_type, m.conv_key).await?;
        let body = serde_json::to_string(&*m.msg).map_err(corrupt)?;
        let id = sql!(scalar_one i64; self,
            "INSERT INTO messages (msg_id, conv_type, conv_key, seq, sender, server_time, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &m.msg.message_msg_id, m.conv_type as i64, m.conv_key, m.msg.message_seq as i64,
            &m.msg.message_sender, m.msg.message_server_time as i64, body)?;
        Ok(id)
    }

    /// Store a group message (tips included) once, with the group's next seq, and fan it out to
    /// the group's subscribed members after commit (read diffusion: no inbox rows).
    pub async fn insert_group_msg(&mut self, gid: &str, msg: &mut Message) -> Result<i64> {
        let id = self.insert_message(NewMessage { conv_type: conv_type::GROUP, conv_key: gid, msg }).await?;
        self.effects.push(super::Effect::GroupMsg { gid: gid.to_string(), msg: msg.clone(), except_conn: None });
        Ok(id)
    }

    /// Mark a message revoked by `by`; false when it already was.
    pub async fn mark_revoked(&mut self, id: i64, by: &Revoker) -> Result<bool> {
        let n = sql!(exec self,
            "UPDATE messages SET revoked = 1, revoker = $1, revoker_nick = $2, revoker_face = $3
             WHERE id = $4 AND revoked = 0",
            &by.user_id, &by.nick_name, &by.face_url, id)?;
        Ok(n > 0)
    }

    /// Hide one message from `user`'s roaming history.
    pub async fn hide_message(&mut self, user: &str, ct: u32, conv_key: &str, msg_id: &str) -> Result<()> {
        sql!(exec self,
            "INSERT INTO hidden_messages (user_id, msg_rowid)
             SELECT $1, id FROM messages WHERE msg_id = $2 AND conv_type = $3 AND conv_key = $4
             ON CONFLICT DO NOTHING",
            user, msg_id, ct as i64, conv_key)?;
        Ok(())
    }

    /// Hide everything of a conversation up to now from `user`'s roaming history.
    pub async fn clear_history(&mut self, user: &str, ct: u32, conv_key: &str) -> Result<()> {
        sql!(exec self,
            "INSERT INTO cleared_history (user_id, conv_type, conv_key, up_to_seq)
             SELECT $1, $2, $3, COALESCE(MAX(seq), 0) FROM messages WHERE conv_type = $2 AND conv_key = $3
             ON CONFLICT (user_id, conv_type, conv_key) DO UPDATE SET up_to_seq = excluded.up_to_seq",
            user, ct as i64, conv_key)?;
        Ok(())
    }
}
