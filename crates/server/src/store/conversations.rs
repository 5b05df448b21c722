//! Per-user conversation state: read marks, C2C receive options, pinned conversations.
use super::cache::Invalidate;
use super::{sql, Conn, Tx};
use crate::error::Result;

/// A pinned conversation of one user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConvPinRow {
    pub conv_type: i64,
    pub conv_id: String,
    pub pinned_time: i64,
}

impl Conn {
    /// How `user` receives one-to-one messages from `peer` (0 when never set).
    pub async fn c2c_recv_opt(&mut self, user: &str, peer: &str) -> Result<Option<i64>> {
        Ok(sql!(scalar_opt i64; self, "SELECT opt FROM c2c_recv_opts WHERE user_id = $1 AND peer = $2", user, peer)?)
    }

    pub async fn pins(&mut self, user: &str) -> Result<Vec<ConvPinRow>> {
        Ok(sql!(all ConvPinRow; self,
            "SELECT conv_type, conv_id, pinned_time FROM conv_pins WHERE user_id = $1 ORDER BY pinned_time", user)?)
    }

    /// When `user` read a conversation up to (seconds).
    pub async fn read_mark(&mut self, user: &str, ct: u32, conv_id: &str) -> Result<Option<i64>> {
        Ok(sql!(scalar_opt i64; self,
            "SELECT time FROM read_marks WHERE user_id = $1 AND conv_type = $2 AND conv_id = $3",
            user, ct as i64, conv_id)?)
    }
}

impl Tx {
    pub async fn set_read_mark(&mut self, user: &str, ct: u32, conv_id: &str, time: u64) -> Result<()> {
        sql!(exec self,
            "INSERT INTO read_marks (user_id, conv_type, conv_id, time) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, conv_type, conv_id) DO UPDATE SET time = excluded.time",
            user, ct as i64, conv_id, time as i64)?;
        Ok(())
    }

    pub async fn set_c2c_recv_opt(&mut self, user: &str, peer: &str, opt: u32) -> Result<()> {
        self.invalidations.push(Invalidate::C2cOpt(user.to_string(), peer.to_string()));
        sql!(exec self,
            "INSERT INTO c2c_recv_opts (user_id, peer, opt) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, peer) DO UPDATE SET opt = excluded.opt",
            user, peer, opt as i64)?;
        Ok(())
    }

    pub async fn is_pinned(&mut self, user: &str, ct: u32, conv_id: &str) -> Result<bool> {
        Ok(sql!(scalar_opt i32; self,
            "SELECT 1 FROM conv_pins WHERE user_id = $1 AND conv_type = $2 AND conv_id = $3",
            user, ct as i64, conv_id)?
        .is_some())
    }

    pub async fn pin_count(&mut self, user: &str) -> Result<i64> {
        Ok(sql!(scalar_one i64; self, "SELECT COUNT(*) FROM conv_pins WHERE user_id = $1", user)?)
    }

    pub async fn pin(&mut self, user: &str, ct: u32, conv_id: &str, now: u64) -> Result<()> {
        sql!(exec self,
            "INSERT INTO conv_pins (user_id, conv_type, conv_id, pinned_time) VALUES ($1, $2, $3, $4)",
            user, ct as i64, conv_id, now as i64)?;
        Ok(())
    }

    pub async fn unpin(&mut self, user: &str, ct: u32, conv_id: &str) -> Result<()> {
        sql!(exec self,
            "DELETE FROM conv_pins WHERE user_id = $1 AND conv_type = $2 AND conv_id = $3",
            user, ct as i64, conv_id)?;
        Ok(())
    }

    /// When the conversation was pinned (0 when it is not).
    pub async fn pinned_time(&mut self, user: &str, ct: u32, conv_id: &str) -> Result<u64> {
        let t = sql!(scalar_one i64; self,
            "SELECT COALESCE(MAX(pinned_time), 0) FROM conv_pins WHERE user_id = $1 AND conv_type = $2 AND conv_id = $3",
            user, ct as i64, conv_id)?;
        Ok(t as u64)
    }
}
