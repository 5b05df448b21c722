//! The shell's own data types crossing the bridge (not TIM types: those travel as TIM JSON).
//! TypeScript declarations are generated from these into `ui/src/bindings/shell.ts`
//! (`cargo test -p confab-desktop` regenerates and checks it; see `bindings_are_current`).
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

/// A command's error: the TIM code and its description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CmdError {
    pub code: i32,
    pub message: String,
}

/// A raw TIM call's outcome: the synchronous `TIMResult` and outputs, then (when the call has
/// a callback) the callback's code, description and JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TimReply {
    pub result: i32,
    pub desc: String,
    #[ts(type = "Record<string, unknown>")]
    pub outputs: Map<String, Value>,
    pub code: Option<i32>,
    #[ts(type = "unknown")]
    pub json: Value,
}

/// A session to sign in with: what the "sign in with a UserSig" form sends. The shell keeps it
/// (`session.json`, owner-only, in the app's data dir) to resume later; the webview never
/// stores a UserSig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Session {
    pub server_url: String,
    pub user_id: String,
    pub user_sig: String,
    /// SDKAppIDs fit in a JS number.
    #[ts(type = "number")]
    pub sdk_app_id: u64,
}

/// Who is signed in, as the webview sees it (no UserSig).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SignedIn {
    pub server_url: String,
    pub user_id: String,
    #[ts(type = "number")]
    pub sdk_app_id: u64,
}

impl From<&Session> for SignedIn {
    fn from(s: &Session) -> Self {
        SignedIn { server_url: s.server_url.clone(), user_id: s.user_id.clone(), sdk_app_id: s.sdk_app_id }
    }
}

/// A conversation's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConvKey {
    pub conv_id: String,
    pub conv_type: u32,
}

/// What a media message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    File,
    Sound,
    Video,
}

/// One downloadable blob of a media element: an image's thumbnail, large or original tier, a
/// voice note, a file, a video or its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum MediaTier {
    Thumb,
    Large,
    Orig,
    Sound,
    File,
    Video,
    Snapshot,
}

/// A file in the media cache (the webview loads it through the asset protocol).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MediaFile {
    pub path: String,
    pub size: f64,
}

/// Download progress of a `media_fetch` that asked for it (`key` is the caller's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MediaProgress {
    pub key: String,
    pub cur: f64,
    pub total: f64,
}

/// A media send's optimistic bubble (`local_key`) got its message id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MediaSending {
    pub local_key: String,
    pub message_id: String,
}

/// The Tauri event carrying [`MediaProgress`].
pub const MEDIA_PROGRESS_EVENT: &str = "confab://media-progress";
/// The Tauri event carrying [`MediaSending`].
pub const MEDIA_SENDING_EVENT: &str = "confab://media-sending";

/// The Tauri event name core events are emitted under, each as a JSON object in the
/// headless-client form: `{"event": "TIM…Callback", "json": ..., ...}`.
pub const EVENT_NAME: &str = "confab://event";

/// The bindings file: every DTO above, generated.
pub fn typescript_bindings() -> String {
    let cfg = ts_rs::Config::default();
    let mut out =
        String::from("// Generated from src-tauri/src/dto.rs by `cargo test -p confab-desktop`; do not edit.\n\n");
    for decl in [
        CmdError::decl(&cfg),
        TimReply::decl(&cfg),
        Session::decl(&cfg),
        SignedIn::decl(&cfg),
        ConvKey::decl(&cfg),
        MediaKind::decl(&cfg),
        MediaTier::decl(&cfg),
        MediaFile::decl(&cfg),
        MediaProgress::decl(&cfg),
        MediaSending::decl(&cfg),
    ] {
        out.push_str("export ");
        out.push_str(decl.as_str());
        out.push_str("\n\n");
    }
    out.push_str(&format!("export const EVENT_NAME = {EVENT_NAME:?};\n"));
    out.push_str(&format!("export const MEDIA_PROGRESS_EVENT = {MEDIA_PROGRESS_EVENT:?};\n"));
    out.push_str(&format!("export const MEDIA_SENDING_EVENT = {MEDIA_SENDING_EVENT:?};\n"));
    out
}

#[cfg(test)]
mod tests {
    /// `ui/src/bindings/shell.ts` must match the Rust types. Set `UPDATE_BINDINGS=1` to rewrite
    /// it (CI never does, so drift fails the build).
    #[test]
    fn test_bindings_are_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/bindings/shell.ts");
        let want = super::typescript_bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(have, want, "ui/src/bindings/shell.ts is stale: run UPDATE_BINDINGS=1 cargo test -p confab-desktop");
    }
}
