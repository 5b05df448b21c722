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

/// Any TIM call by name (see `confab_core::APIS`), answered whole.
#[tauri::command]
pub async fn tim_call(state: State<'_, AppState>, api: String, params: Value) -> Result<TimReply, ()> {
    Ok(crate::bridge::raw(&state.sdk, &api, &params).await)
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
