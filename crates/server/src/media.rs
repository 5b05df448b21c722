//! Media storage over HTTP.
//!
//! - Upload: `PUT /media/upload/{kind}/{content_id}?offset=N&total=T`, body = the bytes from
//!   `offset`, authenticated by the `x-confab-user` / `x-confab-usersig` headers (the user's
//!   UserSig). `GET` on the same path answers how much of it the server already holds, so an
//!   interrupted upload resumes from there. The content id is the SHA-256 (hex) of the whole
//!   file; the server checks it when the last byte arrives, then moves the file to
//!   `<data dir>/media/blobs/<content id>` and records the uploader as an owner. Partial uploads
//!   live under `media/partial/`, one per user and content id.
//! - Access: a message may only reference content ids its sender uploaded or may read; sending
//!   records which conversation references them (`media_refs`). `Request::MediaUrl` hands a
//!   participant a signed, expiring path `/media/d/{id}?u=&e=&s=` (HMAC-SHA256 with the app's
//!   secret key); `GET` on it checks the signature, the expiry and, again, the participation,
//!   and serves the bytes with HTTP Range support.
//! - Sending checks what a message declares against what was stored: every size must be the
//!   blob's real size, and an image's width/height must match its header (read without
//!   decoding, see [`image_header_dims`]); a mismatch is refused with 90002.
//! - Retention: media can be downloaded for `Config::media_retention` (7 days by default) after
//!   its upload, then 6009. The [`sweeper`] deletes expired blobs and partial uploads left
//!   untouched for `Config::media_partial_ttl`.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::{Path as AxPath, Query, State as AxState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use confab_protocol::{codes, enums::conv_type, Elem};
use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::api::{e, ApiError, ApiResult};
use crate::config::now_secs;
use crate::groups::member_role_of;
use crate::{usersig, State};

/// Image and sound up to 28 MB, file and video up to 100 MB (TIM limits, 7005).
pub const IMAGE_MAX: u64 = 28 * 1024 * 1024;
pub const FILE_MAX: u64 = 100 * 1024 * 1024;

fn kind_limit(kind: &str) -> Option<u64> {
    match kind {
        "image" | "sound" => Some(IMAGE_MAX),
        "file" | "video" => Some(FILE_MAX),
        _ => None,
    }
}

pub fn is_content_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn media_dir(state: &State) -> PathBuf {
    state.cfg.data_dir.join("media")
}

fn blob_path(state: &State, cid: &str) -> PathBuf {
    media_dir(state).join("blobs").join(cid)
}

/// Every content id an element array references.
fn elem_ids(elems: &[Elem]) -> Vec<&str> {
    let mut ids = Vec::new();
    for el in elems {
        match el {
            Elem::Image(i) => {
                ids.extend([&i.image_elem_orig_id, &i.image_elem_large_id, &i.image_elem_thumb_id].map(String::as_str))
            }
            Elem::Sound(s) => ids.push(s.sound_elem_file_id.as_str()),
            Elem::File(f) => ids.push(f.file_elem_file_id.as_str()),
            Elem::Video(v) => ids.extend([v.video_elem_video_id.as_str(), v.video_elem_image_id.as_str()]),
            _ => {}
        }
    }
    ids.retain(|i| !i.is_empty());
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Check that `me` may reference every content id of a message; returns them.
pub(crate) async fn check_elems(state: &State, me: &str, elems: &[Elem]) -> Result<Vec<String>, ApiError> {
    let ids = elem_ids(elems);
    for id in &ids {
        if !is_content_id(id) || !may_access(state, me, id).await? {
            return Err(e(
                codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                "element references media that was not uploaded",
            ));
        }
    }
    check_declared(state, elems).await?;
    Ok(ids.into_iter().map(String::from).collect())
}

/// What an element declares about one blob: its id, size and (images) width and height.
struct Declared<'a> {
    field: &'static str,
    id: &'a str,
    size: i128,
    dims: Option<(i128, i128)>,
    /// An image element's tiers must be images whose header we can read; a video snapshot's
    /// dimensions are checked when its header is one we read.
    must_be_image: bool,
}

fn declared(elems: &[Elem]) -> Vec<Declared<'_>> {
    let mut out = Vec::new();
    for el in elems {
        match el {
            Elem::Image(i) => {
                let tiers = [
                    (
                        "image_elem_orig_pic",
                        &i.image_elem_orig_id,
                        i.image_elem_orig_pic_size,
                        i.image_elem_orig_pic_width,
                        i.image_elem_orig_pic_height,
                    ),
                    (
                        "image_elem_large_pic",
                        &i.image_elem_large_id,
                        i.image_elem_large_pic_size,
                        i.image_elem_large_pic_width,
                        i.image_elem_large_pic_height,
                    ),
                    (
                        "image_elem_thumb_pic",
                        &i.image_elem_thumb_id,
                        i.image_elem_thumb_pic_size,
                        i.image_elem_thumb_pic_width,
                        i.image_elem_thumb_pic_height,
                    ),
                ];
                for (field, id, size, w, h) in tiers {
                    out.push(Declared {
                        field,
                        id,
                        size: size.into(),
                        dims: Some((w.into(), h.into())),
                        must_be_image: true,
                    });
                }
            }
            Elem::Sound(x) => out.push(Declared {
                field: "sound_elem_file",
                id: &x.sound_elem_file_id,
                size: x.sound_elem_file_size.into(),
                dims: None,
                must_be_image: false,
            }),
            Elem::File(x) => out.push(Declared {
                field: "file_elem_file",
                id: &x.file_elem_file_id,
                size: x.file_elem_file_size.into(),
                dims: None,
                must_be_image: false,
            }),
            Elem::Video(v) => {
                out.push(Declared {
                    field: "video_elem_video",
                    id: &v.video_elem_video_id,
                    size: v.video_elem_video_size.into(),
                    dims: None,
                    must_be_image: false,
                });
                out.push(Declared {
                    field: "video_elem_image",
                    id: &v.video_elem_image_id,
                    size: v.video_elem_image_size.into(),
                    dims: Some((v.video_elem_image_width.into(), v.video_elem_image_height.into())),
                    must_be_image: false,
                });
            }
            _ => {}
        }
    }
    out.retain(|d| !d.id.is_empty());
    out
}

/// Refuse a message whose declared sizes or image dimensions are not those of the stored
/// blobs, or which references expired media.
async fn check_declared(state: &State, elems: &[Elem]) -> Result<(), ApiError> {
    for d in declared(elems) {
        let row: Option<(i64, i64, Option<i64>)> =
            sqlx::query_as("SELECT size, created_at, expired_at FROM media WHERE content_id = ?")
                .bind(d.id)
                .fetch_optional(&state.store.read)
                .await?;
        let Some((size, created_at, expired_at)) = row else {
            return Err(e(
                codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                "element references media that was not uploaded",
            ));
        };
        if is_expired(state, created_at, expired_at) {
            return Err(e(codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "element references expired media"));
        }
        if d.size != i128::from(size) {
            return Err(e(
                codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                format!("{}_size does not match the uploaded media ({size} bytes)", d.field),
            ));
        }
        let Some((w, h)) = d.dims else { continue };
        let path = blob_path(state, d.id);
        let header = tokio::task::spawn_blocking(move || image_header_dims(&path))
            .await
            .map_err(|err| e(codes::ERR_FILE_TRANS_UPLOAD_FAILED, format!("media check failed: {err}")))?;
        match header {
            Ok(Some((hw, hh))) => {
                let (hw, hh) = (i128::from(hw), i128::from(hh));
                // An original is described as displayed (EXIF rotation applied): either way round.
                if (w, h) != (hw, hh) && (w, h) != (hh, hw) {
                    return Err(e(
                        codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                        format!("{0}_width / {0}_height do not match the uploaded image ({hw}x{hh})", d.field),
                    ));
                }
            }
            Ok(None) if d.must_be_image => {
                return Err(e(
                    codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                    format!("{} is not a JPEG, PNG, GIF, WebP or BMP image", d.field),
                ));
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(error = %err, "reading a media header failed");
                return Err(e(codes::ERR_FILE_TRANS_UPLOAD_FAILED, "media check failed"));
            }
        }
    }
    Ok(())
}

fn is_expired(state: &State, created_at: i64, expired_at: Option<i64>) -> bool {
    expired_at.is_some() || created_at.saturating_add(state.cfg.media_retention.as_secs() as i64) <= now_secs() as i64
}

/// The width and height an image file's header declares (PNG IHDR, JPEG SOFn, GIF logical
/// screen, WebP VP8/VP8L/VP8X, BMP DIB header), without decoding any pixels; `None` when the
/// file is none of these or its header is cut short.
pub fn image_header_dims(path: &Path) -> std::io::Result<Option<(u32, u32)>> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let mut head = [0u8; 32];
    let n = read_full(&mut f, &mut head)?;
    let h = &head[..n];
    let u16be = |b: &[u8], i: usize| u32::from(u16::from_be_bytes([b[i], b[i + 1]]));
    let u16le = |b: &[u8], i: usize| u32::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let u32le = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    if h.len() >= 24 && h.starts_with(b"\x89PNG\r\n\x1a\n") && &h[12..16] == b"IHDR" {
        let w = u32::from_be_bytes([h[16], h[17], h[18], h[19]]);
        let hh = u32::from_be_bytes([h[20], h[21], h[22], h[23]]);
        return Ok(Some((w, hh)));
    }
    if h.len() >= 10 && (h.starts_with(b"GIF87a") || h.starts_with(b"GIF89a")) {
        return Ok(Some((u16le(h, 6), u16le(h, 8))));
    }
    if h.len() >= 26 && h.starts_with(b"BM") {
        let dib = u32le(h, 14);
        if dib == 12 {
            return Ok(Some((u16le(h, 18), u16le(h, 20))));
        }
        let w = u32le(h, 18) as i32;
        let hh = u32le(h, 22) as i32;
        return Ok(Some((w.unsigned_abs(), hh.unsigned_abs())));
    }
    if h.len() >= 30 && h.starts_with(b"RIFF") && &h[8..12] == b"WEBP" {
        return Ok(match &h[12..16] {
            b"VP8 " if h[23..26] == [0x9d, 0x01, 0x2a] => Some((u16le(h, 26) & 0x3fff, u16le(h, 28) & 0x3fff)),
            b"VP8L" if h[20] == 0x2f => {
                let bits = u32le(h, 21);
                Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            b"VP8X" => {
                let w = u32le(&[h[24], h[25], h[26], 0], 0) + 1;
                let hh = u32le(&[h[27], h[28], h[29], 0], 0) + 1;
                Some((w, hh))
            }
            _ => None,
        });
    }
    if h.len() >= 4 && h[0] == 0xFF && h[1] == 0xD8 {
        // Walk the segments to the first frame header (EXIF and ICC segments come before it).
        let mut pos = 2u64;
        for _ in 0..1000 {
            f.seek(SeekFrom::Start(pos))?;
            let mut m = [0u8; 2];
            if read_full(&mut f, &mut m)? < 2 || m[0] != 0xFF {
                return Ok(None);
            }
            let marker = m[1];
            if marker == 0xFF {
                pos += 1; // fill byte
                continue;
            }
            if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
                pos += 2;
                continue;
            }
            let mut seg = [0u8; 7];
            if read_full(&mut f, &mut seg)? < 7 {
                return Ok(None);
            }
            let len = u16be(&seg, 0);
            if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                return Ok(Some((u16be(&seg, 5), u16be(&seg, 3))));
            }
            if marker == 0xD9 || marker == 0xDA || len < 2 {
                return Ok(None);
            }
            pos += 2 + u64::from(len);
        }
        return Ok(None);
    }
    Ok(None)
}

fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The media sweeper: every `media_sweep_interval`, marks media past its retention expired and
/// deletes its blob, and deletes partial uploads untouched for `media_partial_ttl`. Ends when
/// the server shuts down.
pub(crate) async fn sweeper(state: Arc<State>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|v| *v) => return,
            _ = tokio::time::sleep(state.cfg.media_sweep_interval) => {}
        }
        if let Err(err) = sweep(&state).await {
            tracing::warn!(error = %err, "media sweep failed");
        }
    }
}

async fn sweep(state: &Arc<State>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let cutoff = now_secs() as i64 - state.cfg.media_retention.as_secs() as i64;
    let expired: Vec<String> =
        sqlx::query_scalar("SELECT content_id FROM media WHERE expired_at IS NULL AND created_at <= ? LIMIT 1000")
            .bind(cutoff)
            .fetch_all(&state.store.read)
            .await?;
    if !expired.is_empty() {
        let ids = expired.clone();
        state
            .store
            .write(move |ctx| {
                Box::pin(async move {
                    for cid in &ids {
                        sqlx::query("UPDATE media SET expired_at = ? WHERE content_id = ? AND created_at <= ?")
                            .bind(now_secs() as i64)
                            .bind(cid)
                            .bind(cutoff)
                            .execute(&mut ctx.conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .await?;
        for cid in &expired {
            match tokio::fs::remove_file(blob_path(state, cid)).await {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err.into()),
            }
        }
        tracing::info!(count = expired.len(), "expired media removed");
    }
    let partial = media_dir(state).join("partial");
    let ttl = state.cfg.media_partial_ttl;
    let mut dir = match tokio::fs::read_dir(&partial).await {
        Ok(d) => d,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err.into()),
    };
    let mut removed = 0usize;
    while let Some(entry) = dir.next_entry().await? {
        let path = entry.path();
        let Ok(meta) = entry.metadata().await else { continue };
        let idle = meta.modified().ok().and_then(|m| m.elapsed().ok()).unwrap_or_default();
        if idle < ttl || busy().lock().unwrap_or_else(|p| p.into_inner()).contains(&path) {
            continue;
        }
        if tokio::fs::remove_file(&path).await.is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(count = removed, "stale partial uploads removed");
    }
    Ok(())
}

/// Record that a conversation's messages use these content ids (sends that are not stored).
pub(crate) async fn add_refs(state: &State, ids: Vec<String>, ct: u32, conv_key: &str) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    let key = conv_key.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                for cid in &ids {
                    sqlx::query("INSERT OR IGNORE INTO media_refs (content_id, conv_type, conv_key) VALUES (?, ?, ?)")
                        .bind(cid)
                        .bind(ct as i64)
                        .bind(&key)
                        .execute(&mut ctx.conn)
                        .await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(())
}

/// The uploader, and participants of a conversation whose messages reference the content.
async fn may_access(state: &State, user: &str, cid: &str) -> Result<bool, ApiError> {
    let owner: Option<i64> = sqlx::query_scalar("SELECT 1 FROM media_owners WHERE content_id = ? AND user_id = ?")
        .bind(cid)
        .bind(user)
        .fetch_optional(&state.store.read)
        .await?;
    if owner.is_some() {
        return Ok(true);
    }
    let refs: Vec<(i64, String)> = sqlx::query_as("SELECT conv_type, conv_key FROM media_refs WHERE content_id = ?")
        .bind(cid)
        .fetch_all(&state.store.read)
        .await?;
    for (ct, key) in refs {
        if ct == conv_type::C2C as i64 && key.split('\n').any(|p| p == user) {
            return Ok(true);
        }
        if ct == conv_type::GROUP as i64 && member_role_of(state, &key, user).await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

fn url_sig(state: &State, cid: &str, user: &str, exp: u64) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(state.cfg.identity.secret_key.as_bytes()).expect("any key length");
    m.update(format!("confab-media\n{cid}\n{user}\n{exp}").as_bytes());
    hex(&m.finalize().into_bytes())
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `Request::MediaUrl`: a signed download path for a participant.
pub(crate) async fn signed_url(state: &Arc<State>, me: &str, cid: &str) -> ApiResult {
    if !is_content_id(cid) {
        return Err(e(codes::ERR_INVALID_PARAMETERS, "invalid content id"));
    }
    if !may_access(state, me, cid).await? {
        return Err(e(codes::ERR_FILE_TRANS_AUTH_FAILED, "not a participant of a conversation using this media"));
    }
    let row: Option<(i64, i64, Option<i64>)> =
        sqlx::query_as("SELECT size, created_at, expired_at FROM media WHERE content_id = ?")
            .bind(cid)
            .fetch_optional(&state.store.read)
            .await?;
    let Some((size, created_at, expired_at)) = row else {
        return Err(e(codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "media not found"));
    };
    if is_expired(state, created_at, expired_at) {
        return Err(e(codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "media expired (past the server's retention)"));
    }
    let exp = now_secs() + state.cfg.media_url_ttl.as_secs();
    let sig = url_sig(state, cid, me, exp);
    Ok(json!({"url": format!("/media/d/{cid}?u={}&e={exp}&s={sig}", pct(me)), "size": size, "expires_at": exp}))
}

fn fail(status: StatusCode, code: i32, desc: &str) -> Response {
    (status, Json(json!({"code": code, "desc": desc}))).into_response()
}

fn auth(state: &State, headers: &HeaderMap) -> Result<String, Response> {
    let get = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (user, sig) = (get("x-confab-user"), get("x-confab-usersig"));
    let id = &state.cfg.identity;
    match usersig::verify(id.sdk_app_id, &id.secret_key, &user, &sig, now_secs() as i64) {
        Ok(_) => Ok(user),
        Err(err) => Err(fail(StatusCode::UNAUTHORIZED, err.code(), "UserSig check failed")),
    }
}

#[derive(Deserialize)]
pub(crate) struct UploadQuery {
    #[serde(default)]
    offset: u64,
    total: u64,
}

/// Uploads in progress (partial file paths): one writer per partial file at a time.
fn busy() -> &'static Mutex<HashSet<PathBuf>> {
    static BUSY: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    BUSY.get_or_init(Default::default)
}

struct BusyGuard(PathBuf);
impl Drop for BusyGuard {
    fn drop(&mut self) {
        busy().lock().unwrap_or_else(|p| p.into_inner()).remove(&self.0);
    }
}

fn partial_path(state: &State, user: &str, cid: &str, total: u64) -> PathBuf {
    media_dir(state).join("partial").join(format!("{}-{cid}-{total}", hex(user.as_bytes())))
}

async fn owns_blob(state: &State, user: &str, cid: &str) -> Result<bool, ApiError> {
    let owner: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM media_owners o JOIN media m ON m.content_id = o.content_id \
         WHERE o.content_id = ? AND o.user_id = ? AND m.expired_at IS NULL",
    )
    .bind(cid)
    .bind(user)
    .fetch_optional(&state.store.read)
    .await?;
    Ok(owner.is_some())
}

fn check_upload(kind: &str, cid: &str, total: u64) -> Result<(), Response> {
    let Some(limit) = kind_limit(kind) else {
        return Err(fail(StatusCode::NOT_FOUND, codes::ERR_INVALID_PARAMETERS, "unknown media kind"));
    };
    if !is_content_id(cid) {
        return Err(fail(StatusCode::BAD_REQUEST, codes::ERR_INVALID_PARAMETERS, "invalid content id"));
    }
    if total == 0 {
        return Err(fail(StatusCode::BAD_REQUEST, codes::ERR_SDK_COMM_FILE_SIZE_EMPTY, "empty file"));
    }
    if total > limit {
        return Err(fail(StatusCode::PAYLOAD_TOO_LARGE, codes::ERR_SDK_COMM_FILE_TOO_LARGE, "file is too large"));
    }
    Ok(())
}

fn internal(err: impl std::fmt::Display) -> Response {
    tracing::error!(error = %err, "media storage failure");
    fail(StatusCode::INTERNAL_SERVER_ERROR, codes::ERR_FILE_TRANS_UPLOAD_FAILED, "media storage failure")
}

fn api_fail(err: ApiError) -> Response {
    fail(StatusCode::INTERNAL_SERVER_ERROR, err.0, &err.1)
}

/// Who is uploading, after the checks both upload routes share; `Err` is the answer to give
/// at once (refused, or "done" when the caller already holds this blob).
async fn upload_caller(
    state: &State,
    headers: &HeaderMap,
    kind: &str,
    cid: &str,
    total: u64,
) -> Result<String, Response> {
    let user = auth(state, headers)?;
    check_upload(kind, cid, total)?;
    match owns_blob(state, &user, cid).await {
        Ok(true) => Err(Json(json!({"code": 0, "offset": total, "done": true})).into_response()),
        Ok(false) => Ok(user),
        Err(err) => Err(api_fail(err)),
    }
}

/// `GET /media/upload/{kind}/{id}?total=T`: how many bytes the server holds.
pub(crate) async fn upload_status(
    AxState(state): AxState<Arc<State>>,
    AxPath((kind, cid)): AxPath<(String, String)>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match upload_caller(&state, &headers, &kind, &cid, q.total).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let len = tokio::fs::metadata(partial_path(&state, &user, &cid, q.total)).await.map(|m| m.len()).unwrap_or(0);
    Json(json!({"code": 0, "offset": len, "done": false})).into_response()
}

/// `PUT /media/upload/{kind}/{id}?offset=N&total=T`: append bytes from `offset`.
pub(crate) async fn upload_chunk(
    AxState(state): AxState<Arc<State>>,
    AxPath((kind, cid)): AxPath<(String, String)>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let user = match upload_caller(&state, &headers, &kind, &cid, q.total).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let path = partial_path(&state, &user, &cid, q.total);
    if !busy().lock().unwrap_or_else(|p| p.into_inner()).insert(path.clone()) {
        return fail(StatusCode::CONFLICT, codes::ERR_IN_PROGESS, "another upload of this file is running");
    }
    let _guard = BusyGuard(path.clone());
    if let Some(dir) = path.parent() {
        if let Err(err) = tokio::fs::create_dir_all(dir).await {
            return internal(err);
        }
    }
    let mut f = match tokio::fs::OpenOptions::new().create(true).append(true).open(&path).await {
        Ok(f) => f,
        Err(err) => return internal(err),
    };
    let mut len = match f.metadata().await {
        Ok(m) => m.len(),
        Err(err) => return internal(err),
    };
    if q.offset != len {
        return (
            StatusCode::CONFLICT,
            Json(json!({"code": codes::ERR_FILE_TRANS_UPLOAD_FAILED, "desc": "offset mismatch", "offset": len})),
        )
            .into_response();
    }
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            // The client went away: keep what arrived, it resumes from there.
            Err(_) => break,
        };
        if len + chunk.len() as u64 > q.total {
            drop(f);
            let _ = tokio::fs::remove_file(&path).await;
            return fail(StatusCode::BAD_REQUEST, codes::ERR_FILE_TRANS_UPLOAD_FAILED, "more bytes than announced");
        }
        if let Err(err) = f.write_all(&chunk).await {
            return internal(err);
        }
        len += chunk.len() as u64;
    }
    if let Err(err) = f.flush().await {
        return internal(err);
    }
    drop(f);
    if len < q.total {
        return Json(json!({"code": 0, "offset": len, "done": false})).into_response();
    }
    // Complete: check the content id, then publish the blob.
    let p = path.clone();
    let digest = tokio::task::spawn_blocking(move || sha256_file(&p)).await;
    let digest = match digest {
        Ok(Ok(d)) => d,
        Ok(Err(err)) => return internal(err),
        Err(err) => return internal(err),
    };
    if digest != cid {
        let _ = tokio::fs::remove_file(&path).await;
        return fail(StatusCode::BAD_REQUEST, codes::ERR_FILE_TRANS_UPLOAD_FAILED, "content does not match its id");
    }
    let blob = blob_path(&state, &cid);
    if let Some(dir) = blob.parent() {
        if let Err(err) = tokio::fs::create_dir_all(dir).await {
            return internal(err);
        }
    }
    if let Err(err) = tokio::fs::rename(&path, &blob).await {
        return internal(err);
    }
    let (c, u, size) = (cid.clone(), user.clone(), q.total as i64);
    let res = state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                // A new upload of expired content makes it live again.
                sqlx::query(
                    "INSERT INTO media (content_id, size, created_at) VALUES (?, ?, ?) \
                     ON CONFLICT (content_id) DO UPDATE SET created_at = excluded.created_at, expired_at = NULL \
                     WHERE media.expired_at IS NOT NULL",
                )
                .bind(&c)
                .bind(size)
                .bind(now_secs() as i64)
                .execute(&mut ctx.conn)
                .await?;
                sqlx::query("INSERT OR IGNORE INTO media_owners (content_id, user_id) VALUES (?, ?)")
                    .bind(&c)
                    .bind(&u)
                    .execute(&mut ctx.conn)
                    .await?;
                Ok(())
            })
        })
        .await;
    if let Err(err) = res {
        return api_fail(err.into());
    }
    Json(json!({"code": 0, "offset": q.total, "done": true})).into_response()
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
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

#[derive(Deserialize)]
pub(crate) struct DownloadQuery {
    #[serde(default)]
    u: String,
    #[serde(default)]
    e: u64,
    #[serde(default)]
    s: String,
}

/// Parse `bytes=A-` or `bytes=A-B` against a file of `size` bytes: the inclusive range.
fn parse_range(v: &str, size: u64) -> Option<(u64, u64)> {
    let r = v.trim().strip_prefix("bytes=")?;
    let (a, b) = r.split_once('-')?;
    let a: u64 = a.trim().parse().ok()?;
    let b: u64 = if b.trim().is_empty() { size.checked_sub(1)? } else { b.trim().parse::<u64>().ok()?.min(size - 1) };
    (a <= b && b < size).then_some((a, b))
}

/// `GET /media/d/{id}?u=&e=&s=`: the bytes, for the user the path was signed for.
pub(crate) async fn download(
    AxState(state): AxState<Arc<State>>,
    AxPath(cid): AxPath<String>,
    Query(q): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Response {
    if !is_content_id(&cid) {
        return fail(StatusCode::NOT_FOUND, codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "no such media");
    }
    let want = url_sig(&state, &cid, &q.u, q.e);
    if !bool::from(want.as_bytes().ct_eq(q.s.as_bytes())) {
        return fail(StatusCode::FORBIDDEN, codes::ERR_FILE_TRANS_AUTH_FAILED, "bad signature");
    }
    if q.e < now_secs() {
        return fail(StatusCode::FORBIDDEN, codes::ERR_FILE_TRANS_AUTH_FAILED, "link expired");
    }
    match may_access(&state, &q.u, &cid).await {
        Ok(true) => {}
        Ok(false) => return fail(StatusCode::FORBIDDEN, codes::ERR_FILE_TRANS_AUTH_FAILED, "not a participant"),
        Err(err) => return api_fail(err),
    }
    let row: Result<Option<(i64, Option<i64>)>, _> =
        sqlx::query_as("SELECT created_at, expired_at FROM media WHERE content_id = ?")
            .bind(&cid)
            .fetch_optional(&state.store.read)
            .await;
    match row {
        Ok(Some((created_at, expired_at))) if is_expired(&state, created_at, expired_at) => {
            return fail(StatusCode::GONE, codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "media expired")
        }
        Ok(Some(_)) => {}
        Ok(None) => return fail(StatusCode::NOT_FOUND, codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "no such media"),
        Err(err) => return api_fail(err.into()),
    }
    let path = blob_path(&state, &cid);
    let mut f = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(_) => return fail(StatusCode::NOT_FOUND, codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "no such media"),
    };
    let size = match f.metadata().await {
        Ok(m) => m.len(),
        Err(err) => return internal(err),
    };
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, size.saturating_sub(1)),
        Some(r) => match parse_range(r, size) {
            Some((a, b)) => (StatusCode::PARTIAL_CONTENT, a, b),
            None => {
                return (StatusCode::RANGE_NOT_SATISFIABLE, [(header::CONTENT_RANGE, format!("bytes */{size}"))])
                    .into_response()
            }
        },
    };
    let len = if size == 0 { 0 } else { end - start + 1 };
    if start > 0 {
        if let Err(err) = f.seek(std::io::SeekFrom::Start(start)).await {
            return internal(err);
        }
    }
    let reader = f.take(len);
    let stream = futures_util::stream::unfold(Some(reader), |r| async move {
        let mut r = r?;
        let mut buf = vec![0u8; 64 * 1024];
        match r.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), Some(r)))
            }
            Err(err) => Some((Err(err), None)),
        }
    });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_LENGTH, len.into());
    h.insert(header::ACCEPT_RANGES, header::HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/octet-stream"));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = header::HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    resp
}
