//! Sending media: the send queue stores the local echo ("sending"), then [`upload_elems`]
//! checks every media element's file (7004 missing, 7006 empty, 7007 unreadable, 7005 too
//! large, 6031 not an image), makes the image tiers on a blocking thread, uploads each blob
//! (resumable: the server says how much it already holds), reports progress, and fills the
//! element's ids, URLs and sizes. Only then is the message put on the wire.
//!
//! What it needs of the session comes in an [`UploadCtx`]: media never sees the session.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use confab_protocol::{Elem, Message};
use image::ImageReader;

use super::cache::MediaCache;
use super::content::{check_file, content_id, io_code, sha256_file, FILE_MAX, IMAGE_MAX};
use super::elems::elem_needs_upload;
use super::imaging::{make_tiers, ImageTiers};
use super::transfer::{http_base, upload_blob, Blob, Source};
use super::video;
use crate::error::{Error, Result};
use crate::net::link::Link;
use crate::options::MediaOptions;
use crate::store::LocalStore;

/// What uploading needs of the logged-in session.
pub struct UploadCtx<'a> {
    pub link: &'a Link,
    /// The uploads carry the user's id and UserSig.
    pub user_id: &'a str,
    pub user_sig: &'a str,
    /// The media cache (tiers and snapshots made here are kept there) and where ffmpeg lives.
    pub media: &'a MediaOptions,
    pub store: &'a LocalStore,
}

async fn file_cid(path: &Path) -> Result<String> {
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || sha256_file(&p))
        .await
        .map_err(|e| Error::Io(e.to_string()))?
        .map_err(|e| io_code(&e))
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
/// `progress(message, element index, current, total)` follows each element's upload
/// (`TIMMsgElemUploadProgressCallback`): monotonic, about 100 calls per element at most, and
/// always the last one.
pub async fn upload_elems(
    cx: &UploadCtx<'_>,
    m: &mut Message,
    progress: impl Fn(&Message, u32, u64, u64),
) -> Result<()> {
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
                let media = cx.media;
                let snapshot = if !v.video_elem_image_path.is_empty() {
                    let (b, dims) = snapshot_size(&v.video_elem_image_path).await?;
                    blobs.push(b);
                    Some(dims)
                } else {
                    // Only the video was given: its first frame is the snapshot (ffmpeg).
                    let (bytes, dims) = video::snapshot(media, &v.video_elem_video_path).await?;
                    blobs.push(bytes_blob("image", bytes));
                    Some(dims)
                };
                if v.video_elem_video_duration == 0 {
                    if let Some(d) = video::duration(media, &v.video_elem_video_path).await? {
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
    let base = http_base(cx.link)?;
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
                    progress(&snapshot_msg, p.index as u32, cur, total);
                }
            };
            upload_blob(cx.link, cx.user_id, cx.user_sig, b, |n| emit(n, &mut reported)).await?;
            done_before += b.size;
            // Tiers and snapshots this device made go to its media cache, so it shows them
            // without fetching them back (an image's original stays at the sender's path).
            if let Source::Bytes(bytes) = &b.source {
                let is_orig_with_tiers =
                    std::ptr::eq(b, &p.blobs[0]) && p.tiers.as_ref().is_some_and(|t| t.thumb.is_some());
                if !is_orig_with_tiers {
                    let cache = MediaCache::new(cx.media);
                    if let Err(e) = cache.put_bytes(cx.store, &b.cid, bytes).await {
                        tracing::warn!(code = e.code(), "caching a sent tier failed");
                    }
                }
            }
        }
        if reported < total {
            progress(&snapshot_msg, p.index as u32, total, total);
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
