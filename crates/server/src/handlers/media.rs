//! Media over HTTP on the same port.
//!
//! - Upload: `PUT /media/upload/{kind}/{content_id}?offset=N&total=T`, body = the bytes from
//!   `offset`, authenticated by the `x-confab-user` / `x-confab-usersig` headers (the user's
//!   UserSig). `GET` on the same path answers how much of it the server already holds, so an
//!   interrupted upload resumes from there. The content id is the SHA-256 (hex) of the whole
//!   file; the server checks it when the last byte arrives, then publishes the blob and records
//!   the uploader as an owner.
//! - Access: a message may only reference content ids its sender uploaded or may read; sending
//!   records which conversation references them (`media_refs`). `Request::MediaUrl` hands a
//!   participant a signed, expiring path `/media/d/{id}?u=&e=&s=` (HMAC-SHA256 with the app's
//!   secret key); `GET` on it checks the signature, the expiry and, again, the participation,
//!   and serves the bytes with HTTP Range support.
//! - Retention: media can be downloaded for `Config::media_retention` (7 days by default) after
//!   its upload, then 6009. The [`sweeper`] deletes expired blobs and partial uploads left
//!   untouched for `Config::media_partial_ttl`.
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path as AxPath, Query, State as AxState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use confab_protocol::codes;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::access::may_access_media;
use crate::blobs::sha256_file;
use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Error, Result};
use crate::rules::media::{is_content_id, is_expired, kind_limit, parse_range, pct, url_sig};
use crate::usersig;

fn expired(state: &State, created_at: i64, expired_at: Option<i64>) -> bool {
    is_expired(state.cfg.media_retention.as_secs(), now_secs(), created_at, expired_at)
}

/// `Request::MediaUrl`: a signed download path for a participant.
pub async fn signed_url(state: &State, me: &str, cid: &str) -> Result<Value> {
    if !is_content_id(cid) {
        return Err(refused(codes::ERR_INVALID_PARAMETERS, "invalid content id"));
    }
    if !may_access_media(state, me, cid).await? {
        return Err(refused(codes::ERR_FILE_TRANS_AUTH_FAILED, "not a participant of a conversation using this media"));
    }
    let Some(row) = state.store.read().await?.media(cid).await? else {
        return Err(refused(codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "media not found"));
    };
    if expired(state, row.created_at, row.expired_at) {
        return Err(refused(codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "media expired (past the server's retention)"));
    }
    let exp = now_secs() + state.cfg.media_url_ttl.as_secs();
    let sig = url_sig(&state.cfg.identity.secret_key, cid, me, exp);
    Ok(json!({"url": format!("/media/d/{cid}?u={}&e={exp}&s={sig}", pct(me)), "size": row.size, "expires_at": exp}))
}

/// The media sweeper: every `media_sweep_interval`, marks media past its retention expired and
/// deletes its blob, and deletes partial uploads untouched for `media_partial_ttl`. Ends when
/// the server shuts down.
pub async fn sweeper(state: Arc<State>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
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

async fn sweep(state: &State) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let cutoff = now_secs() as i64 - state.cfg.media_retention.as_secs() as i64;
    let expired = state.store.read().await?.media_to_expire(cutoff, 1000).await?;
    if !expired.is_empty() {
        let ids = expired.clone();
        state
            .store
            .write(move |tx| {
                Box::pin(async move {
                    for cid in &ids {
                        tx.expire_media(cid, cutoff, now_secs()).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        for cid in &expired {
            state.blobs.remove(cid).await?;
        }
        tracing::info!(count = expired.len(), "expired media removed");
    }
    let removed = state.blobs.remove_stale_partials(state.cfg.media_partial_ttl).await?;
    if removed > 0 {
        tracing::info!(count = removed, "stale partial uploads removed");
    }
    Ok(())
}

fn fail(status: StatusCode, code: i32, desc: &str) -> Response {
    (status, Json(json!({"code": code, "desc": desc}))).into_response()
}

// An early HTTP answer, built once per request: its size does not matter.
#[allow(clippy::result_large_err)]
async fn auth(state: &State, headers: &HeaderMap) -> std::result::Result<String, Response> {
    let get = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (user, sig) = (get("x-confab-user"), get("x-confab-usersig"));
    let id = &state.cfg.identity;
    let verified = match usersig::verify(id.sdk_app_id, &id.secret_key, &user, &sig, now_secs() as i64) {
        Ok(v) => v,
        Err(err) => return Err(fail(StatusCode::UNAUTHORIZED, err.code(), "UserSig check failed")),
    };
    // A revoked UserSig (signed out everywhere, password changed) uploads nothing either.
    let epoch = async { state.store.read().await?.sig_epoch(&user).await };
    match epoch.await {
        Ok(e) if verified.issued_at < e => {
            Err(fail(StatusCode::UNAUTHORIZED, codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED, "UserSig revoked"))
        }
        Ok(_) => Ok(user),
        Err(err) => Err(api_fail(err)),
    }
}

#[derive(Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    offset: u64,
    total: u64,
}

// An early HTTP answer, built once per request: its size does not matter.
#[allow(clippy::result_large_err)]
fn check_upload(kind: &str, cid: &str, total: u64) -> std::result::Result<(), Response> {
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

fn api_fail(err: Error) -> Response {
    let (code, desc) = err.wire();
    fail(StatusCode::INTERNAL_SERVER_ERROR, code, &desc)
}

/// Who is uploading, after the checks both upload routes share; `Err` is the answer to give
/// at once (refused, or "done" when the caller already holds this blob).
// An early HTTP answer, built once per request: its size does not matter.
#[allow(clippy::result_large_err)]
async fn upload_caller(
    state: &State,
    headers: &HeaderMap,
    kind: &str,
    cid: &str,
    total: u64,
) -> std::result::Result<String, Response> {
    let user = auth(state, headers).await?;
    check_upload(kind, cid, total)?;
    let owns = async { state.store.read().await?.owns_live_media(cid, &user).await };
    match owns.await {
        Ok(true) => return Err(Json(json!({"code": 0, "offset": total, "done": true})).into_response()),
        Ok(false) => {}
        Err(err) => return Err(api_fail(err)),
    }
    // A new upload (not the resumption of one) must fit the user's quota (S-15).
    if state.blobs.partial_len(&user, cid, total).await == 0 {
        let (partials, pending) = state.blobs.partials_of(&user).await.map_err(internal)?;
        if partials >= state.cfg.max_partial_uploads {
            return Err(fail(
                StatusCode::TOO_MANY_REQUESTS,
                codes::ERR_FILE_TRANS_UPLOAD_FAILED,
                "too many unfinished uploads; finish or wait for one",
            ));
        }
        let live = async { state.store.read().await?.live_media_bytes_of(&user).await };
        let live = live.await.map_err(api_fail)?;
        if live.saturating_add(pending).saturating_add(total) > state.cfg.media_quota {
            return Err(fail(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::ERR_FILE_TRANS_UPLOAD_FAILED,
                "upload quota used up; older media expires after the retention period",
            ));
        }
    }
    Ok(user)
}

/// `GET /media/upload/{kind}/{id}?total=T`: how many bytes the server holds.
pub async fn upload_status(
    AxState(state): AxState<Arc<State>>,
    AxPath((kind, cid)): AxPath<(String, String)>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match upload_caller(&state, &headers, &kind, &cid, q.total).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let len = state.blobs.partial_len(&user, &cid, q.total).await;
    Json(json!({"code": 0, "offset": len, "done": false})).into_response()
}

/// `PUT /media/upload/{kind}/{id}?offset=N&total=T`: append bytes from `offset`.
pub async fn upload_chunk(
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
    let Some(claim) = state.blobs.claim(&user, &cid, q.total) else {
        return fail(StatusCode::CONFLICT, codes::ERR_IN_PROGESS, "another upload of this file is running");
    };
    let path = claim.path().to_path_buf();
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
    let digest = match tokio::task::spawn_blocking(move || sha256_file(&p)).await {
        Ok(Ok(d)) => d,
        Ok(Err(err)) => return internal(err),
        Err(err) => return internal(err),
    };
    if digest != cid {
        let _ = tokio::fs::remove_file(&path).await;
        return fail(StatusCode::BAD_REQUEST, codes::ERR_FILE_TRANS_UPLOAD_FAILED, "content does not match its id");
    }
    if let Err(err) = state.blobs.publish(&claim, &cid).await {
        return internal(err);
    }
    let (c, u, size) = (cid.clone(), user.clone(), q.total as i64);
    let res =
        state.store.write(move |tx| Box::pin(async move { tx.record_upload(&c, size, &u, now_secs()).await })).await;
    if let Err(err) = res {
        return api_fail(err);
    }
    Json(json!({"code": 0, "offset": q.total, "done": true})).into_response()
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    #[serde(default)]
    u: String,
    #[serde(default)]
    e: u64,
    #[serde(default)]
    s: String,
}

/// `GET /media/d/{id}?u=&e=&s=`: the bytes, for the user the path was signed for.
pub async fn download(
    AxState(state): AxState<Arc<State>>,
    AxPath(cid): AxPath<String>,
    Query(q): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Response {
    if !is_content_id(&cid) {
        return fail(StatusCode::NOT_FOUND, codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "no such media");
    }
    let want = url_sig(&state.cfg.identity.secret_key, &cid, &q.u, q.e);
    if !bool::from(want.as_bytes().ct_eq(q.s.as_bytes())) {
        return fail(StatusCode::FORBIDDEN, codes::ERR_FILE_TRANS_AUTH_FAILED, "bad signature");
    }
    if q.e < now_secs() {
        return fail(StatusCode::FORBIDDEN, codes::ERR_FILE_TRANS_AUTH_FAILED, "link expired");
    }
    match may_access_media(&state, &q.u, &cid).await {
        Ok(true) => {}
        Ok(false) => return fail(StatusCode::FORBIDDEN, codes::ERR_FILE_TRANS_AUTH_FAILED, "not a participant"),
        Err(err) => return api_fail(err),
    }
    let row = async { state.store.read().await?.media(&cid).await };
    match row.await {
        Ok(Some(r)) if expired(&state, r.created_at, r.expired_at) => {
            return fail(StatusCode::GONE, codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "media expired")
        }
        Ok(Some(_)) => {}
        Ok(None) => return fail(StatusCode::NOT_FOUND, codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "no such media"),
        Err(err) => return api_fail(err),
    }
    let mut f = match tokio::fs::File::open(state.blobs.blob_path(&cid)).await {
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
