//! The media cache's bookkeeping table (`media_cache`, 0004): each cached blob's size and a
//! logical last-access clock. The files themselves and the eviction policy are `media/cache.rs`.
use super::LocalStore;
use crate::error::Error;

impl LocalStore {
    /// Record `cid` as cached with `size` bytes and make it the most recently used entry.
    pub async fn media_cache_touch(&self, cid: &str, size: u64) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO media_cache (content_id, size, last_access) \
             VALUES (?, ?, (SELECT COALESCE(MAX(last_access), 0) + 1 FROM media_cache)) \
             ON CONFLICT (content_id) DO UPDATE SET size = excluded.size, last_access = excluded.last_access",
        )
        .bind(cid)
        .bind(size as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The recorded size of `cid`, if it is an entry.
    pub async fn media_cache_size(&self, cid: &str) -> Result<Option<i64>, Error> {
        Ok(sqlx::query_scalar("SELECT size FROM media_cache WHERE content_id = ?")
            .bind(cid)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn media_cache_remove(&self, cid: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM media_cache WHERE content_id = ?").bind(cid).execute(&self.pool).await?;
        Ok(())
    }

    /// The total size of every entry.
    pub async fn media_cache_total(&self) -> Result<i64, Error> {
        Ok(sqlx::query_scalar("SELECT COALESCE(SUM(size), 0) FROM media_cache").fetch_one(&self.pool).await?)
    }

    /// Every entry as (content id, size), least recently used first.
    pub async fn media_cache_lru(&self) -> Result<Vec<(String, i64)>, Error> {
        Ok(sqlx::query_as("SELECT content_id, size FROM media_cache ORDER BY last_access ASC")
            .fetch_all(&self.pool)
            .await?)
    }
}
