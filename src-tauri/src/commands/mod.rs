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

/// Any TIM call by name (see `confab_core::api::APIS`), answered whole.
#[tauri::command]
pub async fn tim_call(state: State<'_, AppState>, api: String, params: Value) -> Result<TimReply, ()> {
    Ok(crate::bridge::raw(&state.sdk, &api, &params).await)
}
