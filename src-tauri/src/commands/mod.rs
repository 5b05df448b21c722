//! Tauri commands, one file per domain. Each parses its arguments into TIM JSON, makes one
//! SDK call through [`crate::bridge`] and returns the TIM JSON or a [`CmdError`].
//! [`tim_call`] is the generic form for calls without a typed wrapper yet.
pub mod auth;
pub mod conversation;
pub mod group;
pub mod media;
pub mod message;

use serde_json::Value;
use tauri::State;

use crate::dto::TimReply;
use crate::AppState;

/// The TIM calls the webview may make by name (the rest have typed commands). `TIMInit`,
/// `TIMSetConfig` and the like stay with the shell: they name folders and files.
pub const TIM_CALL_ALLOWED: &[&str] = &[
    "TIMMsgSendMessage",
    "TIMMsgDownloadMergerMessage",
    "TIMMsgListDelete",
    "TIMMsgSetLocalCustomData",
    "TIMProfileGetUserProfileList",
    "TIMProfileModifySelfUserProfile",
    "ConfabServerInfo",
];

/// Remove every `*_path` key: the webview never names a local file in a TIM call; files go
/// through `media_send`, which checks that the person chose them.
pub fn strip_paths(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.ends_with("_path"));
            m.values_mut().for_each(strip_paths);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_paths),
        _ => {}
    }
}

/// An allowed TIM call by name, answered whole (6017 for the others).
#[tauri::command]
pub async fn tim_call(state: State<'_, AppState>, api: String, mut params: Value) -> Result<TimReply, ()> {
    if !TIM_CALL_ALLOWED.contains(&api.as_str()) {
        return Ok(TimReply {
            result: confab_protocol::codes::ERR_INVALID_PARAMETERS,
            desc: format!("{api} is not available to the window"),
            outputs: Default::default(),
            code: None,
            json: Value::Null,
        });
    }
    strip_paths(&mut params);
    Ok(crate::bridge::raw(&state.sdk, &api, &params).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_stripped_at_any_depth() {
        let mut v = serde_json::json!({"json_msg_param": {"message_elem_array": [
            {"elem_type": 4, "file_elem_file_id": "x", "file_elem_file_path": "/etc/passwd"},
            {"elem_type": 12, "merge_elem_message_array": [{"message_elem_array": [{"image_elem_orig_path": "/a"}]}]}
        ]}});
        strip_paths(&mut v);
        let s = v.to_string();
        assert!(!s.contains("_path") && s.contains("file_elem_file_id"), "{s}");
    }

    #[test]
    fn only_the_listed_calls_are_allowed() {
        assert!(TIM_CALL_ALLOWED.contains(&"TIMMsgSendMessage"));
        assert!(!TIM_CALL_ALLOWED.contains(&"TIMInit"));
        assert!(!TIM_CALL_ALLOWED.contains(&"TIMMsgDownloadElemToPath"));
    }
}

/// A start-up milestone reached by the window (e.g. the conversation list first shown), for
/// scripts/bench-desktop.sh: see [`trace_mark`].
#[tauri::command]
pub fn startup_mark(name: String) {
    trace_mark(&name);
}

/// Appends `<name> <unix ms>` to the file named by `CONFAB_STARTUP_TRACE`, so a launch can be
/// timed without WebDriver (whose automation handshake delays the first page load); the shell
/// marks its own steps too. Does nothing when that variable is not set.
pub fn trace_mark(name: &str) {
    let Some(path) = std::env::var_os("CONFAB_STARTUP_TRACE") else { return };
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{name} {ms}");
    }
}
