//! The conversation list, drafts, and which conversation the window shows.
use serde_json::{json, Value};
use tauri::State;

use crate::bridge::call;
use crate::dto::{CmdError, ConvKey};
use crate::AppState;

#[tauri::command]
pub async fn conv_list(state: State<'_, AppState>) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMConvGetConvList", json!({})).await
}

#[tauri::command]
pub async fn conv_create(state: State<'_, AppState>, conv: ConvKey) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMConvCreate", json!({ "conv_id": conv.conv_id, "conv_type": conv.conv_type })).await
}

/// Keep a text draft (`TIMConvSetDraft`).
#[tauri::command]
pub async fn conv_set_draft(state: State<'_, AppState>, conv: ConvKey, text: String) -> Result<Value, CmdError> {
    call(
        &state.sdk,
        "TIMConvSetDraft",
        json!({
            "conv_id": conv.conv_id,
            "conv_type": conv.conv_type,
            "json_draft_param": {
                "draft_msg": { "message_elem_array": [{ "elem_type": 0, "text_elem_content": text }] },
                "draft_edit_time": std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
            }
        }),
    )
    .await
}

#[tauri::command]
pub async fn conv_cancel_draft(state: State<'_, AppState>, conv: ConvKey) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMConvCancelDraft", json!({ "conv_id": conv.conv_id, "conv_type": conv.conv_type })).await
}

/// The conversation shown in the window (None: none), for the notification rule.
#[tauri::command]
pub fn conv_set_open(state: State<'_, AppState>, conv: Option<ConvKey>) {
    *state.open_conv.lock().unwrap_or_else(|p| p.into_inner()) = conv;
}
