//! Moving blobs between this device and the server's media routes (`/media/upload/...`,
//! `/media/d/...`, see the server's media handlers) over the HTTP client of `net/`: resumable
//! uploads, signed download paths, and resumable downloads checked against their content id.
//!
//! Everything here takes the link and the user's credentials as arguments: media never sees
//! the session.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use confab_protocol::codes;
use confab_protocol::wire::Request;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::content::{io_code, sha256_file};
use crate::error::{Error, Result};
use crate::net::http;
use crate::net::link::Link;

/// Where one upload's bytes come from.
pub enum Source {
    Bytes(Arc<Vec<u8>>),
    File(PathBuf),
}

/// One blob to upload: its kind (the route's `{kind}`), where its bytes are, their size and
/// content id.
pub struct Blob {
    pub kind: &'static str,
    pub source: Source,
    pub size: u64,
    pub cid: String,
}

fn http_err(e: http::HttpError) -> Error {
    e.into_error(Error::Upload)
}

/// The base of the server's media routes: `http://host:port`, or `https://…` for a `wss://`
/// server.
pub fn http_base(link: &Link) -> Result<String> {
    http::base_url(&link.url()).map_err(http_err)
}

/// Upload one blob, resuming from whatever the server already holds. `progress` gets the
/// number of this blob's bytes the server has.
///
/// `user_id` and `user_sig` authenticate the upload (the server checks the UserSig).
pub async fn upload_blob(
    link: &Link,
    user_id: &str,
    user_sig: &str,
    b: &Blob,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    let auth = [("x-confab-user", user_id), ("x-confab-usersig", user_sig)];
    let base = link;
    let mut last_err = Error::Upload("upload failed".into());
    for _attempt in 0..4 {
        let st = http::get(base, &format!("/media/upload/{}/{}?total={}", b.kind, b.cid, b.size), &auth).await;
        let st = match st {
            Ok(r) => r.json().await.map_err(http_err)?,
            Err(e) => {
                last_err = http_err(e);
                if matches!(last_err, Error::Tls(_)) {
                    // A refused certificate does not get better by retrying.
                    return Err(last_err);
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
        };
        if let Some(code) = st["code"].as_i64().filter(|c| *c != 0) {
            return Err(Error::Server(code as i32, st["desc"].as_str().unwrap_or("upload refused").to_string()));
        }
        let offset = st["offset"].as_u64().unwrap_or(0).min(b.size);
        progress(offset);
        if st["done"].as_bool() == Some(true) {
            return Ok(());
        }
        let path = format!("/media/upload/{}/{}?offset={offset}&total={}", b.kind, b.cid, b.size);
        let len = b.size - offset;
        let r = match &b.source {
            Source::Bytes(v) => {
                let body = &v[offset as usize..];
                http::request(base, "PUT", &path, &auth, Some((body, len)), |n| progress(offset + n)).await
            }
            Source::File(p) => {
                let mut f = tokio::fs::File::open(p).await.map_err(|e| io_code(&e))?;
                f.seek(std::io::SeekFrom::Start(offset)).await.map_err(|e| io_code(&e))?;
                http::request(base, "PUT", &path, &auth, Some((f, len)), |n| progress(offset + n)).await
            }
        };
        match r {
            Ok(resp) => {
                let status = resp.status;
                let v = resp.json().await.map_err(http_err)?;
                if v["done"].as_bool() == Some(true) {
                    progress(b.size);
                    return Ok(());
                }
                if status == 409 || (status == 200 && v["code"] == 0) {
                    // Someone else's offset, or a short write: ask again and resume.
                    continue;
                }
                let code = v["code"].as_i64().unwrap_or(i64::from(codes::ERR_FILE_TRANS_UPLOAD_FAILED)) as i32;
                return Err(Error::Server(code, v["desc"].as_str().unwrap_or("upload refused").to_string()));
            }
            Err(e) => {
                last_err = http_err(e);
                if matches!(last_err, Error::Tls(_)) {
                    // A refused certificate does not get better by retrying.
                    return Err(last_err);
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
    Err(last_err)
}

/// A signed download path for a content id (the server checks that this user may see it).
pub async fn signed_path(link: &Link, cid: &str) -> Result<(String, u64)> {
    let v = link.request(Request::MediaUrl { content_id: cid.to_string() }).await?;
    let url = v["url"].as_str().ok_or_else(|| Error::Download("no URL".into()))?.to_string();
    Ok((url, v["size"].as_u64().unwrap_or(0)))
}

/// Fetch a blob over HTTP into `part` (continuing what `part` already holds with a Range
/// request), fsync it, check it against its content id (the SHA-256 of the bytes: a part file
/// torn by a crash or a power cut is caught here and fetched again from the start) and rename
/// it to `dest`. Returns the size.
pub async fn fetch_blob(
    link: &Link,
    cid: &str,
    part: &Path,
    dest: &Path,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64> {
    for _attempt in 0..2 {
        let size = fetch_part(link, cid, part, &mut progress).await?;
        let p = part.to_path_buf();
        let digest = tokio::task::spawn_blocking(move || sha256_file(&p))
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

/// One attempt: bring `part` to the blob's full size.
async fn fetch_part(link: &Link, cid: &str, part: &Path, progress: &mut impl FnMut(u64, u64)) -> Result<u64> {
    let (path, size) = signed_path(link, cid).await?;
    let mut have = tokio::fs::metadata(part).await.map(|m| m.len()).unwrap_or(0);
    if have > size {
        have = 0;
    }
    let range = format!("bytes={have}-");
    let headers: Vec<(&str, &str)> = if have > 0 && have < size { vec![("range", &range)] } else { vec![] };
    let mut resp = if have == size && size > 0 {
        None
    } else {
        Some(http::get(link, &path, &headers).await.map_err(|e| e.into_error(Error::Download))?)
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
                let c = v["code"].as_i64().unwrap_or(i64::from(codes::ERR_FILE_TRANS_DOWNLOAD_FAILED));
                let desc = v["desc"].as_str().unwrap_or("download refused");
                return Err(Error::Server(c as i32, format!("{desc} (HTTP {code})")));
            }
        }
    }
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
