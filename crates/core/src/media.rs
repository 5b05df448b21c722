//! Media: checking local files, making image tiers, uploading to and downloading from the
//! server's media routes (`/media/upload/...`, `/media/d/...`, see the server's `media.rs`).
//!
//! Sending: the send queue stores the local echo ("sending"), then [`upload_elems`] checks every
//! media element's file (7004 missing, 7006 empty, 7007 unreadable, 7005 too large, 6031 not an
//! image), makes the image tiers on a blocking thread, uploads each blob (resumable: the server
//! says how much it already holds), reports `MsgElemUploadProgress`, and fills the element's
//! ids, URLs and sizes. Only then is the message put on the wire.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use confab_protocol::wire::Request;
use confab_protocol::{codes, Elem, Message};
use image::ImageReader;
use sha2::{Digest, Sha256};
use tokio::io::AsyncSeekExt;

use crate::error::{Error, Result};
use crate::events::SdkEvent;
use crate::http;
use crate::session::Shared;

/// Image and sound up to 28 MB, file and video up to 100 MB.
pub const IMAGE_MAX: u64 = 28 * 1024 * 1024;
pub const FILE_MAX: u64 = 100 * 1024 * 1024;
/// Image tiers are made by [`crate::imaging`] (re-exported for callers of this module).
pub use crate::imaging::{make_tiers, tier_size, ImageTiers, Tier, LARGE_SIDE, MAX_DECODE_BYTES, MAX_SIDE, THUMB_SIDE};

/// The content id of some bytes: SHA-256, lower-case hex (what the server checks).
pub fn content_id(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn io_code(e: &std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::FileNotFound,
        _ => Error::FileOpen,
    }
}

/// Check a local file for sending: exists (7004), is a readable regular file (7007), is not
/// empty (7006) and not above `max` (7005). Returns its size.
pub async fn check_file(path: &str, max: u64) -> Result<u64> {
    if path.is_empty() {
        return Err(Error::FileNotFound);
    }
    let meta = tokio::fs::metadata(path).await.map_err(|e| io_code(&e))?;
    if !meta.is_file() {
        return Err(Error::FileOpen);
    }
    // Opening proves it is readable.
    tokio::fs::File::open(path).await.map_err(|e| io_code(&e))?;
    match meta.len() {
        0 => Err(Error::FileEmpty),
        n if n > max => Err(Error::FileTooLarge),
        n => Ok(n),
    }
}

/// Where one upload's bytes come from.
enum Source {
    Bytes(Arc<Vec<u8>>),
    File(PathBuf),
}

struct Blob {
    kind: &'static str,
    source: Source,
    size: u64,
    cid: String,
}

async fn file_cid(path: &Path) -> Result<String> {
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        use std::io::Read;
        let mut f = std::fs::File::open(p)?;
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
    })
    .await
    .map_err(|e| Error::Io(e.to_string()))?
    .map_err(|e| io_code(&e))
}

fn http_err(e: http::HttpError) -> Error {
    e.into_error(Error::Upload)
}

/// The base of the server's media routes: `http://host:port`, or `https://…` for a `wss://`
/// server.
pub fn http_base(shared: &Shared) -> Result<String> {
    http::base_url(&shared.link.url).map_err(http_err)
}

/// Upload one blob, resuming from whatever the server already holds. `progress` gets the
/// number of this blob's bytes the server has.
async fn upload_blob(shared: &Shared, b: &Blob, mut progress: impl FnMut(u64)) -> Result<()> {
    let info = shared.login_info();
    let auth = [("x-confab-user", info.user_id.as_str()), ("x-confab-usersig", info.user_sig.as_str())];
    let base = &*shared.link;
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

/// Whether a message has media whose files still need uploading.
pub fn needs_upload(m: &Message) -> bool {
    m.message_elem_array.iter().any(elem_needs_upload)
}

/// An element with a local path and no id yet is uploaded; one with neither (metadata only,
/// e.g. imported) goes out as it is.
fn elem_needs_upload(e: &Elem) -> bool {
    match e {
        Elem::Image(i) => i.image_elem_orig_id.is_empty() && !i.image_elem_orig_path.is_empty(),
        Elem::Sound(s) => s.sound_elem_file_id.is_empty() && !s.sound_elem_file_path.is_empty(),
        Elem::File(f) => f.file_elem_file_id.is_empty() && !f.file_elem_file_path.is_empty(),
        Elem::Video(v) => v.video_elem_video_id.is_empty() && !v.video_elem_video_path.is_empty(),
        _ => false,
    }
}

/// One element's prepared uploads.
struct Prepared {
    index: usize,
    blobs: Vec<Blob>,
    tiers: Option<ImageTiers>,
    snapshot: Option<(u32, u32)>,
}

async fn file_blob(kind: &'static str, path: &str, max: u64) -> Result<Blob> {
    let size = check_file(path, max).await?;
    let cid = file_cid(Path::new(path)).await?;
    Ok(Blob { kind, source: Source::File(PathBuf::from(path)), size, cid })
}

fn bytes_blob(kind: &'static str, bytes: Vec<u8>) -> Blob {
    let cid = content_id(&bytes);
    Blob { kind, size: bytes.len() as u64, source: Source::Bytes(Arc::new(bytes)), cid }
}

/// Read an image file and make its tiers on a blocking thread.
async fn prepare_image(path: &str) -> Result<(Vec<Blob>, ImageTiers)> {
    check_file(path, IMAGE_MAX).await?;
    let bytes = tokio::fs::read(path).await.map_err(|e| io_code(&e))?;
    let bytes = Arc::new(bytes);
    let b2 = bytes.clone();
    let tiers = tokio::task::spawn_blocking(move || make_tiers(&b2)).await.map_err(|e| Error::Io(e.to_string()))??;
    let orig = Blob { kind: "image", size: bytes.len() as u64, cid: content_id(&bytes), source: Source::Bytes(bytes) };
    let mut blobs = vec![orig];
    for t in [&tiers.large, &tiers.thumb].into_iter().flatten() {
        blobs.push(bytes_blob("image", t.bytes.clone()));
    }
    Ok((blobs, tiers))
}

/// The header size of a snapshot image (6031 when it is not one).
async fn snapshot_size(path: &str) -> Result<(Blob, (u32, u32))> {
    let blob = file_blob("image", path, IMAGE_MAX).await?;
    let p = path.to_string();
    let dims = tokio::task::spawn_blocking(move || -> Result<(u32, u32)> {
        let r = ImageReader::open(&p).map_err(|e| io_code(&e))?.with_guessed_format().map_err(|e| io_code(&e))?;
        r.format().ok_or(Error::NotImage)?;
        r.into_dimensions().map_err(|_| Error::NotImage)
    })
    .await
    .map_err(|e| Error::Io(e.to_string()))??;
    Ok((blob, dims))
}

/// Check, tier and upload every media element of `m`, filling ids, URLs and sizes.
pub async fn upload_elems(shared: &Arc<Shared>, m: &mut Message) -> Result<()> {
    // Phase 1: check everything before the first byte goes out.
    let mut prepared = Vec::new();
    // Durations derived with ffprobe, by element index.
    let mut durations = std::collections::HashMap::new();
    for (index, el) in m.message_elem_array.iter().enumerate() {
        if !elem_needs_upload(el) {
            continue;
        }
        let p = match el {
            Elem::Image(i) if i.image_elem_orig_id.is_empty() => {
                let (blobs, tiers) = prepare_image(&i.image_elem_orig_path).await?;
                Prepared { index, blobs, tiers: Some(tiers), snapshot: None }
            }
            Elem::Sound(s) if s.sound_elem_file_id.is_empty() => {
                let b = file_blob("sound", &s.sound_elem_file_path, IMAGE_MAX).await?;
                Prepared { index, blobs: vec![b], tiers: None, snapshot: None }
            }
            Elem::File(f) if f.file_elem_file_id.is_empty() => {
                let b = file_blob("file", &f.file_elem_file_path, FILE_MAX).await?;
                Prepared { index, blobs: vec![b], tiers: None, snapshot: None }
            }
            Elem::Video(v) if v.video_elem_video_id.is_empty() => {
                let mut blobs = vec![file_blob("video", &v.video_elem_video_path, FILE_MAX).await?];
                let media = &shared.login_info().media;
                let snapshot = if !v.video_elem_image_path.is_empty() {
                    let (b, dims) = snapshot_size(&v.video_elem_image_path).await?;
                    blobs.push(b);
                    Some(dims)
                } else {
                    // Only the video was given: its first frame is the snapshot (ffmpeg).
                    let (bytes, dims) = crate::video::snapshot(media, &v.video_elem_video_path).await?;
                    blobs.push(bytes_blob("image", bytes));
                    Some(dims)
                };
                if v.video_elem_video_duration == 0 {
                    if let Some(d) = crate::video::duration(media, &v.video_elem_video_path).await? {
                        durations.insert(index, d);
                    }
                }
                Prepared { index, blobs, tiers: None, snapshot }
            }
            _ => continue,
        };
        prepared.push(p);
    }
    // Phase 2: upload, with progress per element.
    let base = http_base(shared)?;
    let url = |cid: &str| format!("{base}/media/d/{cid}");
    for p in prepared {
        let total: u64 = p.blobs.iter().map(|b| b.size).sum();
        let snapshot_msg = m.clone();
        let mut done_before = 0u64;
        let mut reported = 0u64;
        for b in &p.blobs {
            let emit = |cur: u64, reported: &mut u64| {
                let cur = (done_before + cur).min(total);
                // Monotonic, at most about 100 events per element, and always the last one.
                if cur > *reported && (cur == total || cur - *reported >= (total / 100).max(64 * 1024)) {
                    *reported = cur;
                    shared.emit(SdkEvent::MsgElemUploadProgress {
                        msg: snapshot_msg.clone(),
                        index: p.index as u32,
                        cur_size: cur,
                        total_size: total,
                    });
                }
            };
            upload_blob(shared, b, |n| emit(n, &mut reported)).await?;
            done_before += b.size;
            // Tiers and snapshots this device made go to its media cache, so it shows them
            // without fetching them back (an image's original stays at the sender's path).
            if let Source::Bytes(bytes) = &b.source {
                let is_orig_with_tiers =
                    std::ptr::eq(b, &p.blobs[0]) && p.tiers.as_ref().is_some_and(|t| t.thumb.is_some());
                if !is_orig_with_tiers {
                    let cache = crate::media_cache::MediaCache::of(shared);
                    if let Err(e) = cache.put_bytes(shared, &b.cid, bytes).await {
                        tracing::warn!(code = e.code(), "caching a sent tier failed");
                    }
                }
            }
        }
        if reported < total {
            shared.emit(SdkEvent::MsgElemUploadProgress {
                msg: snapshot_msg.clone(),
                index: p.index as u32,
                cur_size: total,
                total_size: total,
            });
        }
        let el = &mut m.message_elem_array[p.index];
        match el {
            Elem::Image(i) => {
                let t = p.tiers.expect("image elements have tiers");
                let orig = &p.blobs[0];
                let mut next = p.blobs.iter().skip(1);
                i.image_elem_format = t.format;
                i.image_elem_orig_id = orig.cid.clone();
                i.image_elem_orig_url = url(&orig.cid);
                i.image_elem_orig_pic_width = i64::from(t.width);
                i.image_elem_orig_pic_height = i64::from(t.height);
                i.image_elem_orig_pic_size = orig.size as i64;
                let (lw, lh, lb) = match &t.large {
                    Some(l) => (l.width, l.height, next.next().expect("large blob")),
                    None => (t.width, t.height, orig),
                };
                i.image_elem_large_id = lb.cid.clone();
                i.image_elem_large_url = url(&lb.cid);
                i.image_elem_large_pic_width = i64::from(lw);
                i.image_elem_large_pic_height = i64::from(lh);
                i.image_elem_large_pic_size = lb.size as i64;
                let (tw, th, tb) = match &t.thumb {
                    Some(x) => (x.width, x.height, next.next().unwrap_or(lb)),
                    None => (lw, lh, lb),
                };
                i.image_elem_thumb_id = tb.cid.clone();
                i.image_elem_thumb_url = url(&tb.cid);
                i.image_elem_thumb_pic_width = i64::from(tw);
                i.image_elem_thumb_pic_height = i64::from(th);
                i.image_elem_thumb_pic_size = tb.size as i64;
            }
            Elem::Sound(s) => {
                let b = &p.blobs[0];
                s.sound_elem_file_id = b.cid.clone();
                s.sound_elem_url = url(&b.cid);
                s.sound_elem_file_size = b.size as i64;
            }
            Elem::File(f) => {
                let b = &p.blobs[0];
                f.file_elem_file_id = b.cid.clone();
                f.file_elem_url = url(&b.cid);
                f.file_elem_file_size = b.size as i64;
                if f.file_elem_file_name.is_empty() {
                    f.file_elem_file_name = Path::new(&f.file_elem_file_path)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                }
            }
            Elem::Video(v) => {
                let b = &p.blobs[0];
                v.video_elem_video_id = b.cid.clone();
                v.video_elem_video_url = url(&b.cid);
                v.video_elem_video_size = b.size;
                if v.video_elem_video_type.is_empty() {
                    v.video_elem_video_type = ext_of(&v.video_elem_video_path);
                }
                if let Some(d) = durations.get(&p.index) {
                    v.video_elem_video_duration = *d;
                }
                if let (Some(s), Some((w, h))) = (p.blobs.get(1), p.snapshot) {
                    v.video_elem_image_id = s.cid.clone();
                    v.video_elem_image_url = url(&s.cid);
                    v.video_elem_image_size = s.size;
                    v.video_elem_image_width = u64::from(w);
                    v.video_elem_image_height = u64::from(h);
                    if v.video_elem_image_type.is_empty() {
                        v.video_elem_image_type = match v.video_elem_image_path.as_str() {
                            "" => "jpg".into(), // derived by ffmpeg
                            path => ext_of(path),
                        };
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn ext_of(path: &str) -> String {
    Path::new(path).extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default()
}

/// The copy of a message that goes on the wire: local paths stay on this device.
pub fn wire_copy(m: &Message) -> Message {
    let mut w = m.clone();
    for el in &mut w.message_elem_array {
        match el {
            Elem::Image(i) => i.image_elem_orig_path.clear(),
            Elem::Sound(s) => s.sound_elem_file_path.clear(),
            Elem::File(f) => f.file_elem_file_path.clear(),
            Elem::Video(v) => {
                v.video_elem_video_path.clear();
                v.video_elem_image_path.clear();
            }
            _ => {}
        }
    }
    w
}

/// Put the sender's local paths back into the server's copy of a sent message.
pub fn restore_paths(local: &Message, server: &mut Message) {
    for (l, s) in local.message_elem_array.iter().zip(server.message_elem_array.iter_mut()) {
        match (l, s) {
            (Elem::Image(l), Elem::Image(s)) => s.image_elem_orig_path.clone_from(&l.image_elem_orig_path),
            (Elem::Sound(l), Elem::Sound(s)) => s.sound_elem_file_path.clone_from(&l.sound_elem_file_path),
            (Elem::File(l), Elem::File(s)) => s.file_elem_file_path.clone_from(&l.file_elem_file_path),
            (Elem::Video(l), Elem::Video(s)) => {
                s.video_elem_video_path.clone_from(&l.video_elem_video_path);
                s.video_elem_image_path.clone_from(&l.video_elem_image_path);
            }
            _ => {}
        }
    }
}

/// A signed download path for a content id (the server checks that this user may see it).
pub async fn signed_path(shared: &Shared, cid: &str) -> Result<(String, u64)> {
    let v = shared.link.request(Request::MediaUrl { content_id: cid.to_string() }).await?;
    let url = v["url"].as_str().ok_or_else(|| Error::Download("no URL".into()))?.to_string();
    Ok((url, v["size"].as_u64().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_sizes_follow_the_short_side_rule() {
        assert_eq!(tier_size(4000, 3000, LARGE_SIDE), Some((960, 720)));
        assert_eq!(tier_size(4000, 3000, THUMB_SIDE), Some((264, 198)));
        assert_eq!(tier_size(3000, 4000, THUMB_SIDE), Some((198, 264)));
        assert_eq!(tier_size(720, 1000, LARGE_SIDE), None);
        assert_eq!(tier_size(198, 198, THUMB_SIDE), None);
        assert_eq!(tier_size(100, 50, THUMB_SIDE), None);
        assert_eq!(tier_size(4000, 300, THUMB_SIDE), Some((2640, 198)));
        assert_eq!(tier_size(1000, 800, THUMB_SIDE), Some((248, 198)));
    }

    #[test]
    fn garbage_is_not_an_image() {
        assert!(matches!(make_tiers(b"hello"), Err(Error::NotImage)));
    }
}
