//! Media: send images, files, voice and video from local paths; fetch an element's tier (into
//! the SDK's media cache, or for files and videos the media download folder), served to the
//! webview by the asset protocol, whose scope is only those folders; downloads with progress;
//! open, show in folder, save as; file pickers; temporary files for pasted images and voice.
//!
//! The webview never gets file-system access: it names an element (TIM JSON) and a tier, the
//! shell answers a path inside a served folder, and the webview turns that into an asset URL.
//! Open / show in folder / save as only accept files inside the served folders.
//!
//! End-to-end tests cannot drive native dialogs, so two environment variables stand in for the
//! person clicking in them (used by `ui/e2e/media.test.mjs` only; everything else is real):
//! `CONFAB_E2E_PICK` names a text file whose lines are the paths the next pick returns, and
//! `CONFAB_E2E_SAVE_DIR` is the folder "save as" writes into under the suggested name.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::dto::{
    CmdError, ConvKey, MediaFile, MediaKind, MediaProgress, MediaSending, MediaTier, TimReply, MEDIA_PROGRESS_EVENT,
    MEDIA_SENDING_EVENT,
};
use crate::AppState;

/// TIM's invalid-parameter code, for requests the shell refuses itself.
const ERR_PARAM: i32 = 6017;
/// The largest file the webview may hand over as bytes (a pasted image, a voice note).
const TEMP_MAX: usize = 28 * 1024 * 1024;

fn bad(message: impl Into<String>) -> CmdError {
    CmdError { code: ERR_PARAM, message: message.into() }
}

fn io_err(e: std::io::Error) -> CmdError {
    CmdError { code: ERR_PARAM, message: e.to_string() }
}

/// The media cache: `<download dir>/media`, the only folder the asset protocol serves.
pub fn media_root(download_dir: &Path) -> PathBuf {
    download_dir.join("media")
}

/// Temporary outgoing files (pasted images, voice notes): `<data dir>/outbox`, not served.
fn outbox(state: &AppState) -> PathBuf {
    Path::new(&state.data_dir).join("outbox")
}

/// Folders the webview may load from and the shell may open / save from: the media download
/// folder, and each signed-in user's SDK media cache once it is used (canonical paths).
fn served_roots() -> &'static Mutex<Vec<PathBuf>> {
    static ROOTS: OnceLock<Mutex<Vec<PathBuf>>> = OnceLock::new();
    ROOTS.get_or_init(Default::default)
}

/// Let the asset protocol serve `dir` (recursively) and remember it as a served root.
fn serve_dir(app: &AppHandle, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let dir = std::fs::canonicalize(dir)?;
    let mut roots = served_roots().lock().unwrap_or_else(|p| p.into_inner());
    if roots.contains(&dir) {
        return Ok(());
    }
    use tauri::Manager;
    app.asset_protocol_scope().allow_directory(&dir, true).map_err(std::io::Error::other)?;
    roots.push(dir);
    Ok(())
}

/// Allow the asset protocol to serve the media download folder (and nothing else yet).
pub fn allow_media_root(app: &AppHandle, download_dir: &Path) -> std::io::Result<()> {
    serve_dir(app, &media_root(download_dir))
}

/// A name safe as one path component.
pub fn safe_name(name: &str) -> String {
    // Separators, a drive or stream colon and the characters Windows refuses in names.
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '\0' | ':' | '<' | '>' | '"' | '|' | '?' | '*') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    // Windows drops trailing dots and spaces; a leading dot hides a file on Unix.
    let trimmed = cleaned.trim().trim_start_matches('.').trim_end_matches(['.', ' ']);
    let mut out: String = trimmed.chars().take(120).collect();
    if out.is_empty() {
        out = "file".into();
    }
    // Device names (CON, aux.txt, COM1.log…) open a device on Windows, whatever the extension.
    let stem = out.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        out.insert(0, '_');
    }
    out
}

fn is_content_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn s<'a>(elem: &'a Value, key: &str) -> &'a str {
    elem.get(key).and_then(Value::as_str).unwrap_or("")
}

fn n(elem: &Value, key: &str) -> u64 {
    elem.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// What a tier of an element names: its id and URL, a file name for the cache and the size.
#[derive(Debug, Clone, PartialEq)]
pub struct TierSource {
    pub id: String,
    pub url: String,
    pub name: String,
    pub size: u64,
}

impl TierSource {
    /// The content id: the id, or the URL's last segment.
    pub fn content_id(&self) -> Option<String> {
        if is_content_id(&self.id) {
            return Some(self.id.clone());
        }
        let last = self.url.split('?').next().unwrap_or("").rsplit('/').next().unwrap_or("");
        is_content_id(last).then(|| last.to_string())
    }
}

fn image_ext(format: u64) -> &'static str {
    match format {
        2 => "gif",
        3 => "png",
        4 => "bmp",
        _ => "jpg",
    }
}

/// The source of `tier` in a TIM element (JSON), or why there is none.
pub fn tier_source(elem: &Value, tier: MediaTier) -> Result<TierSource, CmdError> {
    let t = n(elem, "elem_type");
    let src = |id: &str, url: &str, name: String, size: u64| TierSource {
        id: s(elem, id).to_string(),
        url: s(elem, url).to_string(),
        name,
        size,
    };
    let ext_or = |key: &str, dflt: &str| {
        let e = s(elem, key).trim_start_matches('.').to_ascii_lowercase();
        if !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()) {
            e
        } else {
            dflt.to_string()
        }
    };
    let src = match (t, tier) {
        (1, MediaTier::Thumb) => {
            src("image_elem_thumb_id", "image_elem_thumb_url", "thumb.jpg".into(), n(elem, "image_elem_thumb_pic_size"))
        }
        (1, MediaTier::Large) => {
            src("image_elem_large_id", "image_elem_large_url", "large.jpg".into(), n(elem, "image_elem_large_pic_size"))
        }
        (1, MediaTier::Orig) => src(
            "image_elem_orig_id",
            "image_elem_orig_url",
            format!("original.{}", image_ext(n(elem, "image_elem_format"))),
            n(elem, "image_elem_orig_pic_size"),
        ),
        (2, MediaTier::Sound) => {
            src("sound_elem_file_id", "sound_elem_url", "voice.audio".to_string(), n(elem, "sound_elem_file_size"))
        }
        (4, MediaTier::File) => src(
            "file_elem_file_id",
            "file_elem_url",
            safe_name(s(elem, "file_elem_file_name")),
            n(elem, "file_elem_file_size"),
        ),
        (9, MediaTier::Video) => src(
            "video_elem_video_id",
            "video_elem_video_url",
            format!("video.{}", ext_or("video_elem_video_type", "mp4")),
            n(elem, "video_elem_video_size"),
        ),
        (9, MediaTier::Snapshot) => src(
            "video_elem_image_id",
            "video_elem_image_url",
            format!("snapshot.{}", ext_or("video_elem_image_type", "jpg")),
            n(elem, "video_elem_image_size"),
        ),
        _ => return Err(bad(format!("element type {t} has no {tier:?} tier"))),
    };
    Ok(src)
}

/// Where a tier lives in the media cache: `<media root>/<content id>/<name>`.
pub fn cache_file(root: &Path, cid: &str, name: &str) -> PathBuf {
    root.join(cid).join(name)
}

/// One download per cache file at a time (two bubbles showing one image share it).
fn file_lock(path: &Path) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut map = LOCKS.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    map.retain(|_, l| Arc::strong_count(l) > 1);
    map.entry(path.to_path_buf()).or_default().clone()
}

/// Run a call whose callback reports progress (`msg_download_elem_result_*` values) to the end.
async fn call_with_progress(
    state: &AppState,
    api: &str,
    params: &Value,
    progress: &mut impl FnMut(u64, u64),
) -> Result<Value, CmdError> {
    let mut inv = state.sdk.call(api, params).await;
    if inv.result != 0 {
        return Err(CmdError { code: inv.result, message: inv.desc });
    }
    if let Some(rx) = inv.progress.as_mut() {
        while let Some(v) = rx.recv().await {
            progress(
                v["msg_download_elem_result_current_size"].as_u64().unwrap_or(0),
                v["msg_download_elem_result_total_size"].as_u64().unwrap_or(0),
            );
        }
    }
    let r = match inv.callback {
        Some(cb) => cb.await,
        None => return Err(bad(format!("{api} gave no result"))),
    };
    if r.code != 0 {
        return Err(CmdError { code: r.code, message: r.desc });
    }
    Ok(r.json)
}

/// The local path of an element's tier; `progress(cur, total)` while it downloads.
///
/// What is shown in the window (image tiers, voice notes, video snapshots) comes from the SDK's
/// media cache (`ConfabMediaCachePath`: LRU-capped, and already holding the tiers this device
/// made for images it sent). Files and videos — what people open with other apps, show in
/// their folder or save — are downloaded under their own names into the media download folder
/// (`TIMMsgDownloadElemToPath`), so the system can tell their type.
pub async fn cache_path(
    app: &AppHandle,
    state: &AppState,
    elem: &Value,
    tier: MediaTier,
    mut progress: impl FnMut(u64, u64),
) -> Result<MediaFile, CmdError> {
    let src = tier_source(elem, tier)?;
    let cid = src.content_id().ok_or_else(|| bad("the element has no media id yet"))?;
    if !matches!(tier, MediaTier::File | MediaTier::Video) {
        if let Some(dir) = state.sdk.media_cache_dir().await {
            serve_dir(app, &dir).map_err(io_err)?;
        }
        let params = json!({
            "json_download_elem_param": { "msg_download_elem_param_id": cid, "msg_download_elem_param_url": src.url },
        });
        let v = call_with_progress(state, "ConfabMediaCachePath", &params, &mut progress).await?;
        let path = v["media_cache_path"].as_str().ok_or_else(|| bad("the media cache gave no path"))?;
        return Ok(MediaFile { path: path.to_string(), size: v["media_cache_size"].as_f64().unwrap_or(0.0) });
    }
    let root = media_root(&state.sdk.download_dir());
    let target = cache_file(&root, &cid, &src.name);
    let lock = file_lock(&target);
    let _held = lock.lock().await;
    if let Ok(meta) = tokio::fs::metadata(&target).await {
        if meta.is_file() {
            return Ok(MediaFile { path: target.to_string_lossy().into_owned(), size: meta.len() as f64 });
        }
    }
    let params = json!({
        "json_download_elem_param": {
            "msg_download_elem_param_id": cid,
            "msg_download_elem_param_url": src.url,
        },
        "path": target.to_string_lossy(),
    });
    call_with_progress(state, "TIMMsgDownloadElemToPath", &params, &mut progress).await?;
    let size = tokio::fs::metadata(&target).await.map_err(io_err)?.len();
    Ok(MediaFile { path: target.to_string_lossy().into_owned(), size: size as f64 })
}

/// The cached path of an element's tier (downloading it first when needed). With
/// `progress_key`, download progress goes to the webview as `confab://media-progress`.
#[tauri::command]
pub async fn media_fetch(
    app: AppHandle,
    state: State<'_, AppState>,
    elem: Value,
    tier: MediaTier,
    progress_key: Option<String>,
) -> Result<MediaFile, CmdError> {
    cache_path(&app, &state, &elem, tier, |cur, total| {
        if let Some(key) = &progress_key {
            let p = MediaProgress { key: key.clone(), cur: cur as f64, total: total as f64 };
            if let Err(e) = app.emit(MEDIA_PROGRESS_EVENT, p) {
                tracing::warn!("could not forward download progress: {e}");
            }
        }
    })
    .await
}

/// The element a media send carries.
pub fn media_elem(kind: MediaKind, path: &str, duration: u32) -> Value {
    let ext = Path::new(path).extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    match kind {
        MediaKind::Image => json!({ "elem_type": 1, "image_elem_orig_path": path, "image_elem_level": 0 }),
        MediaKind::Sound => json!({ "elem_type": 2, "sound_elem_file_path": path, "sound_elem_file_time": duration }),
        MediaKind::File => {
            let name = Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            json!({ "elem_type": 4, "file_elem_file_path": path, "file_elem_file_name": name })
        }
        MediaKind::Video => json!({
            "elem_type": 9,
            "video_elem_video_path": path,
            "video_elem_video_duration": duration,
            "video_elem_video_type": ext,
        }),
    }
}

/// Send an image, file, voice note (`duration` in seconds) or video from a local path
/// (`TIMMsgSendMessage`; the SDK checks, uploads with `TIMMsgElemUploadProgressCallback` and
/// sends). As soon as the SDK has given the message its id, `confab://media-sending` tells the
/// webview which id its optimistic bubble `local_key` became, so upload progress finds it.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn media_send(
    app: AppHandle,
    state: State<'_, AppState>,
    conv: ConvKey,
    kind: MediaKind,
    path: String,
    duration: Option<u32>,
    local_key: String,
    resend_msg_id: Option<String>,
) -> Result<TimReply, ()> {
    if !state.granted.allows(Path::new(&path)) && !resending_own_file(&state, resend_msg_id.as_deref(), &path).await {
        return Ok(TimReply {
            result: 0,
            desc: String::new(),
            outputs: Default::default(),
            code: Some(confab_protocol::codes::ERR_INVALID_PARAMETERS),
            json: Value::String("only a file you picked, dropped or pasted can be sent".into()),
        });
    }
    let mut msg = json!({ "message_elem_array": [media_elem(kind, &path, duration.unwrap_or(0))] });
    if let Some(id) = resend_msg_id {
        msg["message_msg_id"] = json!(id);
    }
    let params = json!({ "conv_id": conv.conv_id, "conv_type": conv.conv_type, "json_msg_param": msg });
    let inv = state.sdk.call("TIMMsgSendMessage", &params).await;
    if let Some(id) = inv.outputs.get("message_id").and_then(Value::as_str) {
        let _ = app.emit(MEDIA_SENDING_EVENT, MediaSending { local_key, message_id: id.to_string() });
    }
    let (code, json) = match inv.callback {
        Some(cb) => {
            let r = cb.await;
            (Some(r.code), if r.code == 0 { r.json } else { Value::String(r.desc) })
        }
        None => (None, Value::Null),
    };
    let desc = if inv.result != 0 { inv.desc } else { String::new() };
    Ok(TimReply { result: inv.result, desc, outputs: inv.outputs, code, json })
}

/// `path` canonicalized, when it is a file inside a served folder (the media download folder or
/// an SDK media cache); an error otherwise.
async fn inside_cache(path: &str) -> Result<PathBuf, CmdError> {
    let p = tokio::fs::canonicalize(path).await.map_err(io_err)?;
    let inside = served_roots().lock().unwrap_or_else(|p| p.into_inner()).iter().any(|r| p.starts_with(r) && &p != r);
    if inside && tokio::fs::metadata(&p).await.map(|m| m.is_file()).unwrap_or(false) {
        Ok(p)
    } else {
        Err(bad("only files in the media cache can be opened or saved"))
    }
}

/// `media_open` of a file that runs as a program when opened, before the person confirmed it.
pub const NEEDS_CONFIRM: i32 = 6032;

/// Extensions that some desktop runs as a program or script when the file is opened (S-23):
/// a received "invoice.pdf.exe" must not start with one click.
const RUNS_CODE: &[&str] = &[
    "exe", "msi", "msp", "bat", "cmd", "com", "scr", "pif", "cpl", "ps1", "psm1", "vbs", "vbe", "js", "jse", "wsf",
    "wsh", "hta", "lnk", "url", "reg", "jar", "app", "command", "tool", "pkg", "dmg", "sh", "bash", "run", "bin",
    "appimage", "desktop", "deb", "rpm", "py", "pl", "rb",
];

/// Whether opening `name` with the system's handler may run it as a program.
pub fn runs_code(name: &str) -> bool {
    let name = name.trim_end_matches(['.', ' ']);
    name.rsplit_once('.').is_some_and(|(_, ext)| RUNS_CODE.iter().any(|r| r.eq_ignore_ascii_case(ext)))
}

/// Open a cached file with the system's default app. A file that would run as a program is
/// opened only once the person confirmed it (`confirmed`); before, the answer is
/// [`NEEDS_CONFIRM`] and the window asks.
#[tauri::command]
pub async fn media_open(
    app: AppHandle,
    path: String,
    name: Option<String>,
    confirmed: Option<bool>,
) -> Result<(), CmdError> {
    let p = inside_cache(&path).await?;
    let shown = name.unwrap_or_default();
    let file = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if (runs_code(&shown) || runs_code(&file)) && confirmed != Some(true) {
        return Err(CmdError { code: NEEDS_CONFIRM, message: "this file can run programs on your computer".into() });
    }
    app.opener()
        .open_path(p.to_string_lossy(), None::<&str>)
        .map_err(|e| CmdError { code: ERR_PARAM, message: e.to_string() })
}

/// Show a cached file in the system's file manager.
#[tauri::command]
pub async fn media_reveal(app: AppHandle, path: String) -> Result<(), CmdError> {
    let p = inside_cache(&path).await?;
    app.opener().reveal_item_in_dir(p).map_err(|e| CmdError { code: ERR_PARAM, message: e.to_string() })
}

/// "Save as": a native save dialog, then the shell copies the cached file there. Answers the
/// saved path, or None when the person cancelled.
#[tauri::command]
pub async fn media_save_as(app: AppHandle, path: String, suggested_name: String) -> Result<Option<String>, CmdError> {
    let src = inside_cache(&path).await?;
    let name = safe_name(&suggested_name);
    let dest = if let Some(dir) = std::env::var_os("CONFAB_E2E_SAVE_DIR") {
        // End-to-end tests only: stands in for the native dialog (see the module comment).
        Some(PathBuf::from(dir).join(&name))
    } else {
        let (tx, rx) = tokio::sync::oneshot::channel();
        app.dialog().file().set_file_name(&name).save_file(move |p| {
            let _ = tx.send(p);
        });
        match rx.await.ok().flatten() {
            Some(p) => Some(p.into_path().map_err(|e| bad(e.to_string()))?),
            None => None,
        }
    };
    let Some(dest) = dest else { return Ok(None) };
    tokio::fs::copy(&src, &dest).await.map_err(io_err)?;
    Ok(Some(dest.to_string_lossy().into_owned()))
}

/// Files the person gave the app (picked, dropped, pasted, recorded). `media_send` sends only
/// these: the webview cannot name any other file of the disk to be uploaded (S-1).
#[derive(Default)]
pub struct Grants(std::sync::Mutex<std::collections::HashSet<PathBuf>>);

impl Grants {
    pub fn grant(&self, p: &Path) {
        let key = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key);
    }

    pub fn allows(&self, p: &Path) -> bool {
        let Ok(key) = std::fs::canonicalize(p) else { return false };
        self.0.lock().unwrap_or_else(|e| e.into_inner()).contains(&key)
    }
}

/// A resend of an own message from an earlier run: allowed for the file that message was sent
/// from (the SDK kept its path on this device).
async fn resending_own_file(state: &AppState, msg_id: Option<&str>, path: &str) -> bool {
    let Some(id) = msg_id else { return false };
    let r = crate::bridge::raw(&state.sdk, "TIMMsgFindMessages", &json!({"json_message_id_array": [id]})).await;
    let Some(m) = r.json.as_array().and_then(|a| a.first()) else { return false };
    m["message_is_from_self"] == true && m.to_string().contains(&serde_json::to_string(path).unwrap_or_default())
}

/// Native file picker; `kind` image limits it to pictures. Answers the chosen paths (empty when
/// cancelled).
#[tauri::command]
pub async fn media_pick(app: AppHandle, state: State<'_, AppState>, kind: MediaKind) -> Result<Vec<String>, CmdError> {
    let picked = pick(app, kind).await?;
    for p in &picked {
        state.granted.grant(Path::new(p));
    }
    Ok(picked)
}

async fn pick(app: AppHandle, kind: MediaKind) -> Result<Vec<String>, CmdError> {
    if let Some(control) = std::env::var_os("CONFAB_E2E_PICK") {
        // End-to-end tests only: stands in for the native dialog (see the module comment).
        let text = tokio::fs::read_to_string(control).await.map_err(io_err)?;
        return Ok(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect());
    }
    let mut b = app.dialog().file();
    if kind == MediaKind::Image {
        b = b.add_filter("Images", &["png", "jpg", "jpeg", "gif", "bmp", "webp"]);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    b.pick_files(move |p| {
        let _ = tx.send(p);
    });
    let picked = rx.await.ok().flatten().unwrap_or_default();
    Ok(picked.into_iter().filter_map(|p| p.into_path().ok()).map(|p| p.to_string_lossy().into_owned()).collect())
}

/// Write bytes from the webview (a pasted image, a recorded voice note) to a new temporary file
/// and answer its path. The body is the raw bytes; the `x-file-name` header names the file.
#[tauri::command]
pub async fn media_write_temp(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Result<String, CmdError> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(bad("expected the file's bytes as the request body"));
    };
    if bytes.len() > TEMP_MAX {
        return Err(CmdError { code: 7005, message: "the file is too large".into() });
    }
    let name = request.headers().get("x-file-name").and_then(|v| v.to_str().ok()).unwrap_or("file");
    let name = safe_name(&percent_decode(name));
    let path = temp_path(&outbox(&state), &name).await?;
    tokio::fs::write(&path, bytes).await.map_err(io_err)?;
    state.granted.grant(&path);
    Ok(path.to_string_lossy().into_owned())
}

/// A new path for a temporary outgoing file named `name`: a folder of its own under `outbox`, so
/// that the file keeps its name (a file message carries its file's name) and two files of the
/// same name never meet. Old ones are dropped on the way.
async fn temp_path(outbox: &Path, name: &str) -> Result<PathBuf, CmdError> {
    tokio::fs::create_dir_all(outbox).await.map_err(io_err)?;
    drop_old_temp_files(outbox).await;
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    for n in 0u32.. {
        let dir = outbox.join(format!("{stamp}-{n}"));
        match tokio::fs::create_dir(&dir).await {
            Ok(()) => return Ok(dir.join(name)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(e)),
        }
    }
    unreachable!("u32 folders")
}

/// How long a temporary outgoing file is kept (a failed send can be retried meanwhile).
const TEMP_KEEP: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Delete temporary outgoing files older than [`TEMP_KEEP`].
async fn drop_old_temp_files(dir: &Path) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else { return };
    while let Ok(Some(e)) = entries.next_entry().await {
        let old = e.metadata().await.ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
        if old.is_some_and(|age| age > TEMP_KEEP) {
            let path = e.path();
            let dir = e.file_type().await.is_ok_and(|t| t.is_dir());
            let _ = if dir { tokio::fs::remove_dir_all(&path).await } else { tokio::fs::remove_file(&path).await };
        }
    }
}

/// Decode `%XX` escapes (header values are ASCII; the webview encodes the file name).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[tokio::test]
    async fn temp_files_keep_their_names_in_folders_of_their_own() {
        let outbox = std::env::temp_dir().join(format!("confab-outbox-test-{}", std::process::id()));
        let a = temp_path(&outbox, "notes.txt").await.unwrap();
        let b = temp_path(&outbox, "notes.txt").await.unwrap();
        assert_eq!(a.file_name().unwrap(), "notes.txt", "the file message carries this name");
        assert_eq!(b.file_name().unwrap(), "notes.txt");
        assert_ne!(a, b, "two files of one name never meet");
        assert_eq!(a.parent().unwrap().parent().unwrap(), outbox);
        assert!(a.parent().unwrap().is_dir() && b.parent().unwrap().is_dir());
        std::fs::remove_dir_all(&outbox).unwrap();
    }

    #[test]
    fn test_tier_sources_name_the_right_blob() {
        let img = json!({"elem_type": 1, "image_elem_format": 3, "image_elem_orig_id": CID,
            "image_elem_thumb_id": "", "image_elem_thumb_url": format!("http://h/media/d/{CID}?x=1"),
            "image_elem_thumb_pic_size": 10});
        let orig = tier_source(&img, MediaTier::Orig).unwrap();
        assert_eq!((orig.name.as_str(), orig.content_id().as_deref()), ("original.png", Some(CID)));
        let thumb = tier_source(&img, MediaTier::Thumb).unwrap();
        assert_eq!((thumb.content_id().as_deref(), thumb.size), (Some(CID), 10));
        assert!(tier_source(&img, MediaTier::File).is_err(), "an image has no file tier");
        let none = tier_source(&img, MediaTier::Large).unwrap();
        assert_eq!(none.content_id(), None, "no id and no URL: nothing to fetch");
        let file = json!({"elem_type": 4, "file_elem_file_id": CID, "file_elem_file_name": "../../etc/passwd"});
        assert_eq!(tier_source(&file, MediaTier::File).unwrap().name, "_.._etc_passwd");
        let video = json!({"elem_type": 9, "video_elem_video_id": CID, "video_elem_video_type": "../sh"});
        assert_eq!(tier_source(&video, MediaTier::Video).unwrap().name, "video.mp4");
    }

    #[test]
    fn test_safe_names_stay_one_component() {
        assert_eq!(safe_name("a/b\\c"), "a_b_c");
        assert_eq!(safe_name(".."), "file");
        assert_eq!(safe_name("  "), "file");
        assert_eq!(safe_name(".hidden"), "hidden");
        assert_eq!(safe_name("报告 2026.pdf"), "报告 2026.pdf");
        // S-19: nothing that is a drive, a stream, a device or a name Windows rewrites.
        assert_eq!(safe_name("C:evil.exe"), "C_evil.exe");
        assert_eq!(safe_name("x.txt:ads"), "x.txt_ads");
        assert_eq!(safe_name("CON"), "_CON");
        assert_eq!(safe_name("aux.txt"), "_aux.txt");
        assert_eq!(safe_name("com1.log"), "_com1.log");
        assert_eq!(safe_name("console.log"), "console.log");
        assert_eq!(safe_name("report. . "), "report");
        assert_eq!(safe_name("a<b>c\"d|e?f*g"), "a_b_c_d_e_f_g");
        assert_eq!(percent_decode("%E6%8A%A5%E5%91%8A.png"), "报告.png");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn test_media_elements_carry_path_and_duration() {
        assert_eq!(media_elem(MediaKind::Sound, "/x/v.ogg", 3)["sound_elem_file_time"], 3);
        assert_eq!(media_elem(MediaKind::File, "/x/a b.pdf", 0)["file_elem_file_name"], "a b.pdf");
        assert_eq!(media_elem(MediaKind::Video, "/x/c.MP4", 7)["video_elem_video_type"], "mp4");
        assert_eq!(media_elem(MediaKind::Image, "/x/i.png", 0)["image_elem_orig_path"], "/x/i.png");
    }

    #[test]
    fn files_that_run_as_programs_are_recognised() {
        for n in ["invoice.pdf.exe", "SETUP.EXE", "run.sh", "x.desktop", "a.lnk", "tool.AppImage", "b.bat. ", "c.jar"] {
            assert!(runs_code(n), "{n}");
        }
        for n in ["report.pdf", "photo.jpg", "notes.txt", "exe", "archive.zip", "", "video.mp4"] {
            assert!(!runs_code(n), "{n}");
        }
    }
}
