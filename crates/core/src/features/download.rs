//! TIMMsgDownloadElemToPath: fetch one element's blob (any kind, any image tier) to a path
//! inside the allowed download folder, with progress, through the media cache
//! (`media/cache.rs`): the blob is fetched into the cache resumably (a `.part` file there,
//! continued with an HTTP Range request, also after a restart), then copied to the target
//! atomically (fsync, then rename). And `ConfabMediaCachePath`: the cached file's own path.
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::media::cache::MediaCache;
use crate::media::content::is_content_id;
use crate::session::context::SessionCtx;

/// `DownloadElemParam` (spec §5.4): the element's id and URL identify the blob.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DownloadElemParam {
    pub msg_download_elem_param_flag: u32,
    pub msg_download_elem_param_type: u32,
    pub msg_download_elem_param_id: String,
    pub msg_download_elem_param_business_id: u64,
    pub msg_download_elem_param_url: String,
}

/// The content id a download parameter names: its id, or the last segment of its URL.
pub fn content_id_of(p: &DownloadElemParam) -> Result<String> {
    if is_content_id(&p.msg_download_elem_param_id) {
        return Ok(p.msg_download_elem_param_id.clone());
    }
    let url = p.msg_download_elem_param_url.split('?').next().unwrap_or("");
    match url.rsplit('/').next() {
        Some(last) if is_content_id(last) => Ok(last.to_string()),
        _ => Err(Error::InvalidParam("msg_download_elem_param_id / _url name no media".into())),
    }
}

/// Resolve `path` (relative to `root`, or absolute inside it); anything that leaves `root`
/// (`..`, another folder, a symlink out of it) is refused.
pub async fn resolve(root: &Path, path: &str) -> Result<PathBuf> {
    let refuse = || Error::InvalidParam("path is outside the download folder".into());
    let p = Path::new(path);
    if path.is_empty() || p.file_name().is_none() {
        return Err(Error::InvalidParam("path must name a file".into()));
    }
    if p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(refuse());
    }
    tokio::fs::create_dir_all(root).await.map_err(|e| Error::Io(e.to_string()))?;
    let root = tokio::fs::canonicalize(root).await.map_err(|e| Error::Io(e.to_string()))?;
    let full = if p.is_absolute() { p.to_path_buf() } else { root.join(p) };
    if !full.starts_with(&root) {
        return Err(refuse());
    }
    let parent = full.parent().ok_or_else(refuse)?;
    // Folders are made only below an existing folder that really is inside the root (a
    // symlink in it could otherwise have them made elsewhere before the check below).
    let mut existing = parent.to_path_buf();
    while !tokio::fs::try_exists(&existing).await.unwrap_or(false) {
        if !existing.pop() {
            return Err(refuse());
        }
    }
    let real = tokio::fs::canonicalize(&existing).await.map_err(|e| Error::Io(e.to_string()))?;
    if !real.starts_with(&root) {
        return Err(refuse());
    }
    tokio::fs::create_dir_all(parent).await.map_err(|e| Error::Io(e.to_string()))?;
    let parent = tokio::fs::canonicalize(parent).await.map_err(|e| Error::Io(e.to_string()))?;
    if !parent.starts_with(&root) {
        return Err(refuse());
    }
    let name = full.file_name().ok_or_else(refuse)?;
    let target = parent.join(name);
    if tokio::fs::symlink_metadata(&target).await.map(|m| m.file_type().is_symlink()).unwrap_or(false) {
        return Err(refuse());
    }
    Ok(target)
}

/// TIMMsgDownloadElemToPath after the checks: the blob comes from the media cache (fetched
/// into it first when missing, resumably), then is copied to `target` (already resolved)
/// atomically. `progress(current, total)` follows the fetch; a cached blob reports once.
/// The copy at `target` is the user's: the cache never touches it.
pub async fn download(
    shared: &Arc<SessionCtx>,
    cid: &str,
    target: &Path,
    progress: impl FnMut(u64, u64),
) -> Result<(u64, u64)> {
    let cache = MediaCache::new(&shared.login_info().media);
    let (cached, size) = cache.fetch(&shared.store, &shared.link, cid, progress).await?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = target.with_file_name(format!(".{name}.{}.part", &cid[..16]));
    let copied = async {
        tokio::fs::copy(cached.path(), &tmp).await?;
        tokio::fs::File::open(&tmp).await?.sync_all().await?;
        tokio::fs::rename(&tmp, target).await
    }
    .await;
    drop(cached);
    if let Err(e) = copied {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(Error::Io(e.to_string()));
    }
    cache.evict(&shared.store, None).await;
    Ok((size, size))
}

/// `ConfabMediaCachePath`: the local path of `cid` in the media cache (fetched into it first
/// when missing) and its size. The entry just asked for is not evicted by this call.
pub async fn media_cache_path(
    shared: &Arc<SessionCtx>,
    cid: &str,
    progress: impl FnMut(u64, u64),
) -> Result<(PathBuf, u64)> {
    MediaCache::new(&shared.login_info().media).path_for(&shared.store, &shared.link, cid, progress).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Paths built from pieces a hostile caller would use: parent steps, absolute prefixes,
    /// a symlink that leads out of the folder, odd names.
    fn pieces() -> impl Strategy<Value = Vec<&'static str>> {
        proptest::collection::vec(
            proptest::sample::select(vec!["..", ".", "a", "b", "", "/", "/etc", "out", "x y", "ü", "a/..", "~", "..."]),
            1..6,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn a_download_path_never_leaves_its_folder(parts in pieces()) {
            let base = tempfile::tempdir().unwrap();
            let root = base.path().join("downloads");
            let outside = base.path().join("elsewhere");
            std::fs::create_dir_all(&root).unwrap();
            std::fs::create_dir_all(&outside).unwrap();
            std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
            let path = parts.join("/");
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            if let Ok(target) = rt.block_on(resolve(&root, &path)) {
                let root = std::fs::canonicalize(&root).unwrap();
                prop_assert!(target.starts_with(&root), "{:?} resolved to {:?}", path, target);
                let parent = std::fs::canonicalize(target.parent().unwrap()).unwrap();
                prop_assert!(parent.starts_with(&root), "{:?}: its folder {:?} is outside", path, parent);
            }
            // Nothing was created outside the folder.
            prop_assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
        }
    }
}
