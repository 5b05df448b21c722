//! TIMMsgDownloadElemToPath: fetch one element's blob (any kind, any image tier) to a path
//! inside the allowed download folder, with progress, through the media cache
//! (`media_cache.rs`): the blob is fetched into the cache resumably (a `.part` file there,
//! continued with an HTTP Range request, also after a restart), then copied to the target
//! atomically (fsync, then rename).
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};
use crate::http;
use crate::session::Shared;

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

fn is_content_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
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
    shared: &Arc<Shared>,
    cid: &str,
    target: &Path,
    progress: impl FnMut(u64, u64),
) -> Result<(u64, u64)> {
    let cache = crate::media_cache::MediaCache::of(shared);
    let (cached, size) = cache.fetch(shared, cid, progress).await?;
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
    cache.evict(shared, None).await;
    Ok((size, size))
}

/// Fetch a blob over HTTP into `part` (continuing what `part` already holds with a Range
/// request), fsync it, check it against its content id (the SHA-256 of the bytes: a part file
/// torn by a crash or a power cut is caught here and fetched again from the start) and rename
/// it to `dest`. Returns the size.
pub async fn fetch_blob(
    shared: &Arc<Shared>,
    cid: &str,
    part: &Path,
    dest: &Path,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64> {
    for _attempt in 0..2 {
        let size = fetch_part(shared, cid, part, &mut progress).await?;
        let p = part.to_path_buf();
        let digest = tokio::task::spawn_blocking(move || sha256_hex(&p))
            .await
            .map_err(|e| Error::Io(e.to_string()))?
            .map_err(|e| Error::Io(e.to_string()))?;
        if digest == cid {
            tokio::fs::rename(part, dest).await.map_err(|e| Error::Io(e.to_string()))?;
            return Ok(size);
        }
        tracing::warn!("downloaded bytes do not match their content id; fetching them again");
        tokio::fs::remove_file(part).await.map_err(|e| Error::Io(e.to_string()))?;
    }
    Err(Error::Download("the downloaded bytes do not match the content id".into()))
}

fn sha256_hex(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// One attempt: bring `part` to the blob's full size.
async fn fetch_part(shared: &Arc<Shared>, cid: &str, part: &Path, progress: &mut impl FnMut(u64, u64)) -> Result<u64> {
    let (path, size) = crate::media::signed_path(shared, cid).await?;
    let mut have = tokio::fs::metadata(part).await.map(|m| m.len()).unwrap_or(0);
    if have > size {
        have = 0;
    }
    let range = format!("bytes={have}-");
    let headers: Vec<(&str, &str)> = if have > 0 && have < size { vec![("range", &range)] } else { vec![] };
    let mut resp = if have == size && size > 0 {
        None
    } else {
        Some(http::get(&shared.link, &path, &headers).await.map_err(|e| e.into_error(Error::Download))?)
    };
    let mut f = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(part)
        .await
        .map_err(|e| Error::Io(e.to_string()))?;
    if let Some(r) = resp.as_mut() {
        match r.status {
            206 => {}
            200 => {
                have = 0;
                f.set_len(0).await.map_err(|e| Error::Io(e.to_string()))?;
            }
            _ => {
                let code = r.status;
                let v = resp.take().expect("a response").json().await.unwrap_or_default();
                let c = v["code"].as_i64().unwrap_or(i64::from(confab_protocol::codes::ERR_FILE_TRANS_DOWNLOAD_FAILED));
                let desc = v["desc"].as_str().unwrap_or("download refused");
                return Err(Error::Server(c as i32, format!("{desc} (HTTP {code})")));
            }
        }
    }
    use tokio::io::AsyncSeekExt;
    f.seek(std::io::SeekFrom::Start(have)).await.map_err(|e| Error::Io(e.to_string()))?;
    progress(have, size);
    if let Some(mut r) = resp {
        let mut buf = vec![0u8; 64 * 1024];
        let mut last = have;
        loop {
            let n = match r.chunk(&mut buf).await {
                Ok(Some(n)) => n,
                Ok(None) => break,
                Err(e) => {
                    // Keep what arrived: the next call (even after a restart) resumes from it.
                    let _ = f.flush().await;
                    return Err(Error::Download(format!("{e}; it resumes on the next call")));
                }
            };
            f.write_all(&buf[..n]).await.map_err(|e| Error::Io(e.to_string()))?;
            have += n as u64;
            if have == size || have - last >= (size / 100).max(64 * 1024) {
                last = have;
                progress(have, size);
            }
        }
    }
    f.flush().await.map_err(|e| Error::Io(e.to_string()))?;
    f.sync_all().await.map_err(|e| Error::Io(e.to_string()))?;
    drop(f);
    if have != size {
        return Err(Error::Download("the download stopped early; it resumes on the next call".into()));
    }
    Ok(size)
}
