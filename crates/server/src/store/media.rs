//! Media records: uploaded blobs (the bytes themselves live in the blob store), who uploaded
//! them, and which conversations' messages reference them.
use super::{sql, Conn, Tx};
use crate::error::Result;

/// A media record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaRow {
    pub size: i64,
    pub created_at: i64,
    pub expired_at: Option<i64>,
}

impl Conn {
    pub async fn media(&mut self, cid: &str) -> Result<Option<MediaRow>> {
        Ok(sql!(opt MediaRow; self, "SELECT size, created_at, expired_at FROM media WHERE content_id = $1", cid)?)
    }

    pub async fn is_media_owner(&mut self, cid: &str, user: &str) -> Result<bool> {
        Ok(sql!(scalar_opt i32; self,
            "SELECT 1 FROM media_owners WHERE content_id = $1 AND user_id = $2", cid, user)?
        .is_some())
    }

    /// Whether `user` uploaded this content and it has not expired.
    pub async fn owns_live_media(&mut self, cid: &str, user: &str) -> Result<bool> {
        Ok(sql!(scalar_opt i32; self,
            "SELECT 1 FROM media_owners o JOIN media m ON m.content_id = o.content_id
             WHERE o.content_id = $1 AND o.user_id = $2 AND m.expired_at IS NULL",
            cid, user)?
        .is_some())
    }

    /// Bytes of live media `user` uploaded (counts toward their quota).
    pub async fn live_media_bytes_of(&mut self, user: &str) -> Result<u64> {
        let n = sql!(scalar_one i64; self,
            "SELECT CAST(COALESCE(SUM(m.size), 0) AS BIGINT) FROM media_owners o JOIN media m ON m.content_id = o.content_id
             WHERE o.user_id = $1 AND m.expired_at IS NULL",
            user)?;
        Ok(n.max(0) as u64)
    }

    /// The conversations whose messages reference this content.
    pub async fn media_refs(&mut self, cid: &str) -> Result<Vec<(i64, String)>> {
        Ok(sql!(all (i64, String); self, "SELECT conv_type, conv_key FROM media_refs WHERE content_id = $1", cid)?)
    }

    /// Live media uploaded at or before `cutoff` (at most `limit`).
    pub async fn media_to_expire(&mut self, cutoff: i64, limit: i64) -> Result<Vec<String>> {
        Ok(sql!(scalar_all String; self,
            "SELECT content_id FROM media WHERE expired_at IS NULL AND created_at <= $1 LIMIT $2", cutoff, limit)?)
    }
}

impl Tx {
    /// Record that a conversation's messages use these content ids.
    pub async fn add_media_refs(&mut self, ids: &[String], ct: u32, conv_key: &str) -> Result<()> {
        for cid in ids {
            sql!(exec self,
                "INSERT INTO media_refs (content_id, conv_type, conv_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                cid, ct as i64, conv_key)?;
        }
        Ok(())
    }

    /// A finished upload: the media is live (a new upload of expired content revives it) and
    /// `user` owns it.
    pub async fn record_upload(&mut self, cid: &str, size: i64, user: &str, now: u64) -> Result<()> {
        sql!(exec self,
            "INSERT INTO media (content_id, size, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (content_id) DO UPDATE SET created_at = excluded.created_at, expired_at = NULL
             WHERE media.expired_at IS NOT NULL",
            cid, size, now as i64)?;
        sql!(exec self,
            "INSERT INTO media_owners (content_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", cid, user)?;
        Ok(())
    }

    /// Mark media expired (still at or before `cutoff`, so a revival in between wins).
    pub async fn expire_media(&mut self, cid: &str, cutoff: i64, now: u64) -> Result<()> {
        sql!(exec self,
            "UPDATE media SET expired_at = $1 WHERE content_id = $2 AND created_at <= $3",
            now as i64, cid, cutoff)?;
        Ok(())
    }
}
