//! Group pendencies: join requests (type 0: the owner and admins decide) and invitations that
//! need the invitee's consent (type 1: the invitee decides), kept after handling with the
//! outcome; and each user's "read up to" time of the pendency list.
use super::{sql, Conn, Tx};
use crate::error::Result;

/// A pendency row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendencyRow {
    pub id: i64,
    pub group_id: String,
    pub pendency_type: i64,
    pub from_user: String,
    pub to_user: String,
    pub add_time: i64,
    pub apply_msg: String,
    pub from_user_data: String,
    pub secret: String,
    pub handled: i64,
    pub handled_by: String,
    pub handle_result: i64,
    pub approval_msg: String,
}

/// A pendency to insert, or to refresh when an open one with the same parties exists.
pub struct PendencyUpsert<'a> {
    pub group_id: &'a str,
    pub kind: u32,
    pub from: &'a str,
    pub to: &'a str,
    pub msg: &'a str,
    pub user_data: &'a str,
    pub secret: &'a str,
    pub now: u64,
}

const COLUMNS: &str = "p.id, p.group_id, p.pendency_type, p.from_user, p.to_user, p.add_time, p.apply_msg, \
     p.from_user_data, p.secret, p.handled, p.handled_by, p.handle_result, p.approval_msg";

/// Pendencies `$1` decides: join requests of groups where they are owner or admin, and
/// invitations addressed to them.
const VISIBLE: &str = "((p.pendency_type = 0 AND p.group_id IN \
     (SELECT group_id FROM group_members WHERE user_id = $1 AND role >= 300)) OR (p.pendency_type = 1 AND p.to_user = $1))";

impl Conn {
    /// Pendencies `me` decides added before `before`, newest first.
    pub async fn pendencies_before(&mut self, me: &str, before: i64, limit: i64) -> Result<Vec<PendencyRow>> {
        let q = format!(
            "SELECT {COLUMNS} FROM group_pendency p WHERE {VISIBLE} AND p.add_time < $2
             ORDER BY p.add_time DESC, p.id DESC LIMIT $3"
        );
        Ok(sql!(all PendencyRow; self, &q, me, before, limit)?)
    }

    /// The rest of one second: pendencies added at `time` with an id below `id`.
    pub async fn pendencies_same_second(&mut self, me: &str, time: i64, id: i64) -> Result<Vec<PendencyRow>> {
        let q = format!(
            "SELECT {COLUMNS} FROM group_pendency p WHERE {VISIBLE} AND p.add_time = $2 AND p.id < $3
             ORDER BY p.id DESC"
        );
        Ok(sql!(all PendencyRow; self, &q, me, time, id)?)
    }

    pub async fn pendencies_older_exist(&mut self, me: &str, time: i64) -> Result<bool> {
        let q = format!("SELECT 1 FROM group_pendency p WHERE {VISIBLE} AND p.add_time < $2 LIMIT 1");
        Ok(sql!(scalar_opt i32; self, &q, me, time)?.is_some())
    }

    pub async fn pendency_read_time(&mut self, me: &str) -> Result<i64> {
        Ok(sql!(scalar_opt i64; self, "SELECT read_time FROM group_pendency_read WHERE user_id = $1", me)?.unwrap_or(0))
    }

    /// Open pendencies `me` decides added after `read_time`.
    pub async fn pendencies_unread(&mut self, me: &str, read_time: i64) -> Result<u32> {
        let q = format!("SELECT COUNT(*) FROM group_pendency p WHERE {VISIBLE} AND p.handled = 0 AND p.add_time > $2");
        Ok(sql!(scalar_one i64; self, &q, me, read_time)? as u32)
    }
}

impl Tx {
    pub async fn upsert_pendency(&mut self, p: &PendencyUpsert<'_>) -> Result<()> {
        let open = sql!(scalar_opt i64; self,
            "SELECT id FROM group_pendency
             WHERE group_id = $1 AND pendency_type = $2 AND from_user = $3 AND to_user = $4 AND handled = 0",
            p.group_id, p.kind as i64, p.from, p.to)?;
        let now = p.now as i64;
        match open {
            Some(id) => {
                sql!(exec self,
                    "UPDATE group_pendency SET add_time = $1, apply_msg = $2, from_user_data = $3 WHERE id = $4",
                    now, p.msg, p.user_data, id)?;
            }
            None => {
                sql!(exec self,
                    "INSERT INTO group_pendency (group_id, pendency_type, from_user, to_user, add_time, apply_msg,
                                                 from_user_data, secret)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    p.group_id, p.kind as i64, p.from, p.to, now, p.msg, p.user_data, p.secret)?;
            }
        }
        Ok(())
    }

    /// A pendency by its key (id and secret).
    pub async fn pendency_by_key(&mut self, id: i64, secret: &str) -> Result<Option<PendencyRow>> {
        let q = format!("SELECT {COLUMNS} FROM group_pendency p WHERE p.id = $1 AND p.secret = $2");
        Ok(sql!(opt PendencyRow; self, &q, id, secret)?)
    }

    /// The newest pendency of a group from `from` of a kind (open ones first); an invitation only
    /// when addressed to `invitee`.
    pub async fn pendency_find(
        &mut self,
        gid: &str,
        from: &str,
        kind: u32,
        invitee: &str,
    ) -> Result<Option<PendencyRow>> {
        let q = format!(
            "SELECT {COLUMNS} FROM group_pendency p WHERE p.group_id = $1 AND p.from_user = $2 AND p.pendency_type = $3
             AND (p.pendency_type = 0 OR p.to_user = $4) ORDER BY p.handled, p.add_time DESC, p.id DESC LIMIT 1"
        );
        Ok(sql!(opt PendencyRow; self, &q, gid, from, kind as i64, invitee)?)
    }

    pub async fn mark_pendency_handled(&mut self, id: i64, by: &str, result: u32, msg: &str, now: u64) -> Result<()> {
        sql!(exec self,
            "UPDATE group_pendency SET handled = 1, handled_by = $1, handle_result = $2, approval_msg = $3,
                    handle_time = $4
             WHERE id = $5",
            by, result as i64, msg, now as i64, id)?;
        Ok(())
    }

    /// `me` has read the pendency list up to `time` (never moves back).
    pub async fn set_pendency_read(&mut self, me: &str, time: i64) -> Result<()> {
        sql!(exec self,
            "INSERT INTO group_pendency_read (user_id, read_time) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE SET read_time =
               CASE WHEN excluded.read_time > group_pendency_read.read_time
                    THEN excluded.read_time ELSE group_pendency_read.read_time END",
            me, time)?;
        Ok(())
    }
}
