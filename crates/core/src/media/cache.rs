//! The local media cache: blobs this device downloaded (and image tiers / video snapshots it
//! made and sent itself) under `<data dir>/users/<hex user id>/media-cache/<content id>`.
//!
//! Every image tier, sound, file, video and snapshot has its own content id, so the id names
//! the element and the tier. The `media_cache` table (local SQLite, `0004_media_cache.sql`)
//! holds each entry's size and a logical last-access clock; when the total passes
//! `SdkOptions::media_cache_cap` the least recently used entries are deleted. Only files
//! inside the cache folder are ever evicted: a copy TIMMsgDownloadElemToPath wrote to the
//! user's path is the user's. An entry being read or written is held (a per-file lock) and
//! eviction skips it.
//!
//! `ConfabMediaCachePath` (see `features/download.rs`) answers the local path of a cached blob,
//! fetching it first when missing: the desktop shows thumbnails from there.
//!
//! The table's statements are `store/media_cache.rs`; blobs are fetched with
//! `transfer::fetch_blob`.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use super::transfer::fetch_blob;
use crate::error::{Error, Result};
use crate::net::link::Link;
use crate::options::MediaOptions;
use crate::store::LocalStore;

/// A partial download nobody resumed for this long is deleted (on the next cache miss).
pub const STALE_PART: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

type FileLock = Arc<tokio::sync::Mutex<()>>;

/// One lock per cache file (across SDK instances of this process).
fn lock_for(path: &Path) -> FileLock {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Weak<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut map = LOCKS.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(l) = map.get(path).and_then(Weak::upgrade) {
        return l;
    }
    map.retain(|_, w| w.strong_count() > 0);
    let l: FileLock = Arc::default();
    map.insert(path.to_path_buf(), Arc::downgrade(&l));
    l
}

/// A cached file held for reading: eviction leaves it alone while this lives.
pub struct Held {
    path: PathBuf,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Held {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub struct MediaCache {
    dir: PathBuf,
    cap: u64,
}

fn io(e: std::io::Error) -> Error {
    Error::Io(e.to_string())
}

impl MediaCache {
    /// The cache of the session's user (`LoginInfo::media`).
    pub fn new(m: &MediaOptions) -> MediaCache {
        MediaCache { dir: m.cache_dir.clone(), cap: m.cache_cap }
    }

    fn file(&self, cid: &str) -> PathBuf {
        self.dir.join(cid)
    }

    async fn touch(&self, store: &LocalStore, cid: &str, size: u64) -> Result<()> {
        store.media_cache_touch(cid, size).await
    }

    /// The size of `cid` when it is cached (marking it used); an entry whose file is gone or
    /// has the wrong size is dropped. The caller holds the file's lock.
    async fn lookup(&self, store: &LocalStore, cid: &str) -> Result<Option<u64>> {
        let size: Option<i64> = store.media_cache_size(cid).await?;
        let Some(size) = size else { return Ok(None) };
        match tokio::fs::metadata(self.file(cid)).await {
            Ok(m) if m.len() == size as u64 => {
                self.touch(store, cid, size as u64).await?;
                Ok(Some(size as u64))
            }
            _ => {
                store.media_cache_remove(cid).await?;
                Ok(None)
            }
        }
    }

    /// The cached file of `cid`, fetched from the server first when missing (resuming a
    /// `.part` file left by an earlier attempt, even one before a restart).
    pub async fn fetch(
        &self,
        store: &LocalStore,
        link: &Link,
        cid: &str,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<(Held, u64)> {
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let path = self.file(cid);
        let guard = lock_for(&path).lock_owned().await;
        if let Some(size) = self.lookup(store, cid).await? {
            progress(size, size);
            return Ok((Held { path, _guard: guard }, size));
        }
        let part = self.dir.join(format!("{cid}.part"));
        if tokio::fs::metadata(&part).await.is_err() {
            self.drop_stale_parts().await;
        }
        let size = fetch_blob(link, cid, &part, &path, progress).await?;
        self.touch(store, cid, size).await?;
        Ok((Held { path, _guard: guard }, size))
    }

    /// `ConfabMediaCachePath`: the local path of `cid`, fetched into the cache when missing.
    /// The entry just asked for is not evicted by this call.
    pub async fn path_for(
        &self,
        store: &LocalStore,
        link: &Link,
        cid: &str,
        progress: impl FnMut(u64, u64),
    ) -> Result<(PathBuf, u64)> {
        let (held, size) = self.fetch(store, link, cid, progress).await?;
        let path = held.path.clone();
        drop(held);
        self.evict(store, Some(cid)).await;
        Ok((path, size))
    }

    /// Keep bytes this device made (a sent image's tiers, a derived video snapshot).
    pub async fn put_bytes(&self, store: &LocalStore, cid: &str, bytes: &[u8]) -> Result<()> {
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let path = self.file(cid);
        {
            let _guard = lock_for(&path).lock_owned().await;
            let tmp = self.dir.join(format!("{cid}.tmp"));
            tokio::fs::write(&tmp, bytes).await.map_err(io)?;
            tokio::fs::rename(&tmp, &path).await.map_err(io)?;
            self.touch(store, cid, bytes.len() as u64).await?;
        }
        self.evict(store, None).await;
        Ok(())
    }

    /// Delete `.part` / `.tmp` files untouched for [`STALE_PART`] (abandoned downloads), except
    /// those in use. Runs when a new download starts, so it costs nothing on cache hits.
    async fn drop_stale_parts(&self) {
        let Ok(mut dir) = tokio::fs::read_dir(&self.dir).await else { return };
        while let Ok(Some(entry)) = dir.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(cid) = name.strip_suffix(".part").or_else(|| name.strip_suffix(".tmp")) else { continue };
            let old = entry
                .metadata()
                .await
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= STALE_PART);
            if !old {
                continue;
            }
            let Ok(_guard) = lock_for(&self.file(cid)).try_lock_owned() else { continue };
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }

    /// Delete least recently used entries until the total is within the cap; entries in use
    /// (and `keep`) stay. Failures are logged: the cache is an optimisation.
    pub async fn evict(&self, store: &LocalStore, keep: Option<&str>) {
        if let Err(e) = self.evict_inner(store, keep).await {
            tracing::warn!(code = e.code(), "media cache eviction failed");
        }
    }

    async fn evict_inner(&self, store: &LocalStore, keep: Option<&str>) -> Result<()> {
        let total: i64 = store.media_cache_total().await?;
        let mut total = total.max(0) as u64;
        if total <= self.cap {
            return Ok(());
        }
        let rows: Vec<(String, i64)> = store.media_cache_lru().await?;
        let mut evicted = 0usize;
        for (cid, size) in rows {
            if total <= self.cap {
                break;
            }
            if keep == Some(cid.as_str()) {
                continue;
            }
            let path = self.file(&cid);
            let Ok(_guard) = lock_for(&path).try_lock_owned() else { continue };
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => continue,
            }
            store.media_cache_remove(&cid).await?;
            total = total.saturating_sub(size.max(0) as u64);
            evicted += 1;
        }
        tracing::debug!(evicted, total, "media cache evicted");
        Ok(())
    }
}
