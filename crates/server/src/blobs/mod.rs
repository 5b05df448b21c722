//! The blob store: media bytes on the local filesystem.
//!
//! Layer: infrastructure. Imports only the foundation (`util`).
//!
//! Blobs live under `<media dir>/blobs/<content id>` (the content id is the SHA-256 of the
//! bytes); uploads in progress under `<media dir>/partial/<hex user>-<content id>-<total>`, one
//! per user and content. Only one upload may append to a partial file at a time
//! ([`BlobStore::claim`]). Handlers never build these paths themselves, so another backend (an
//! object store) can replace this one.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::util::hex;

/// Blobs and partial uploads under one directory.
#[derive(Clone)]
pub struct BlobStore {
    dir: PathBuf,
    busy: Arc<Mutex<HashSet<PathBuf>>>,
}

/// Holds the right to append to one partial upload; released on drop.
pub struct Claim {
    path: PathBuf,
    busy: Arc<Mutex<HashSet<PathBuf>>>,
}

impl Claim {
    /// The partial file this claim covers.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.busy.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.path);
    }
}

/// SHA-256 (hex) of a file's bytes. Blocking: call it on a blocking thread.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// fsync a folder, so that a rename into it survives a power cut (Unix; Windows has no such
/// call and commits directory entries with the file system's journal).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl BlobStore {
    pub fn new(dir: PathBuf) -> Self {
        BlobStore { dir, busy: Default::default() }
    }

    /// Where a finished blob lives.
    pub fn blob_path(&self, cid: &str) -> PathBuf {
        self.dir.join("blobs").join(cid)
    }

    /// Where `user`'s upload of `cid` (announced as `total` bytes) is gathered.
    pub fn partial_path(&self, user: &str, cid: &str, total: u64) -> PathBuf {
        self.dir.join("partial").join(format!("{}-{cid}-{total}", hex(user.as_bytes())))
    }

    /// `user`'s unfinished uploads: how many, and the bytes they announced.
    pub async fn partials_of(&self, user: &str) -> std::io::Result<(usize, u64)> {
        let prefix = format!("{}-", hex(user.as_bytes()));
        let mut dir = match tokio::fs::read_dir(self.dir.join("partial")).await {
            Ok(d) => d,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
            Err(err) => return Err(err),
        };
        let (mut count, mut bytes) = (0usize, 0u64);
        while let Some(entry) = dir.next_entry().await? {
            let name = entry.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
            count += 1;
            bytes += rest.rsplit('-').next().and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
        }
        Ok((count, bytes))
    }

    /// Bytes held of a partial upload (0 when none).
    pub async fn partial_len(&self, user: &str, cid: &str, total: u64) -> u64 {
        tokio::fs::metadata(self.partial_path(user, cid, total)).await.map(|m| m.len()).unwrap_or(0)
    }

    /// The right to append to a partial upload; `None` while another upload holds it.
    pub fn claim(&self, user: &str, cid: &str, total: u64) -> Option<Claim> {
        let path = self.partial_path(user, cid, total);
        let fresh = self.busy.lock().unwrap_or_else(|p| p.into_inner()).insert(path.clone());
        fresh.then(|| Claim { path, busy: self.busy.clone() })
    }

    /// Publish a complete partial upload as the blob `cid`, durably: the bytes are on disk
    /// (fsync), then renamed into place and the directory entry is on disk (fsync of the
    /// folder), all before the caller commits the row that makes the blob downloadable. After a
    /// power cut an acknowledged upload is therefore whole, never torn or missing.
    pub async fn publish(&self, claim: &Claim, cid: &str) -> std::io::Result<()> {
        let blob = self.blob_path(cid);
        let from = claim.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            std::fs::File::open(&from)?.sync_all()?;
            let dir = blob.parent().ok_or_else(|| std::io::Error::other("blob path without a folder"))?;
            std::fs::create_dir_all(dir)?;
            std::fs::rename(&from, &blob)?;
            sync_dir(dir)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Delete a blob (gone already is fine).
    pub async fn remove(&self, cid: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.blob_path(cid)).await {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    /// Delete partial uploads untouched for `ttl` that no upload is appending to; how many.
    pub async fn remove_stale_partials(&self, ttl: Duration) -> std::io::Result<usize> {
        let mut dir = match tokio::fs::read_dir(self.dir.join("partial")).await {
            Ok(d) => d,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(err) => return Err(err),
        };
        let mut removed = 0usize;
        while let Some(entry) = dir.next_entry().await? {
            let path = entry.path();
            let Ok(meta) = entry.metadata().await else { continue };
            let idle = meta.modified().ok().and_then(|m| m.elapsed().ok()).unwrap_or_default();
            if idle < ttl || self.busy.lock().unwrap_or_else(|p| p.into_inner()).contains(&path) {
                continue;
            }
            if tokio::fs::remove_file(&path).await.is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}
