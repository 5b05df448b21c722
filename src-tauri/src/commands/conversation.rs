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

/// `TIMConvDelete`: remove a conversation from the list (its pin goes with it).
#[tauri::command]
pub async fn conv_delete(state: State<'_, AppState>, conv: ConvKey) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMConvDelete", json!({ "conv_id": conv.conv_id, "conv_type": conv.conv_type })).await
}

/// `TIMConvPinConversation`: pinned conversations stay on top, on every device of the user.
#[tauri::command]
pub async fn conv_pin(state: State<'_, AppState>, conv: ConvKey, pinned: bool) -> Result<Value, CmdError> {
    call(
        &state.sdk,
        "TIMConvPinConversation",
        json!({ "conv_id": conv.conv_id, "conv_type": conv.conv_type, "is_pinned": pinned }),
    )
    .await
}

/// The receive option of a conversation (0 receive, 1 do not receive, 2 receive without
/// notification): `TIMMsgSetC2CReceiveMessageOpt` or `TIMMsgSetGroupReceiveMessageOpt`.
#[tauri::command]
pub async fn conv_set_recv_opt(state: State<'_, AppState>, conv: ConvKey, opt: u32) -> Result<Value, CmdError> {
    if conv.conv_type == 2 {
        call(&state.sdk, "TIMMsgSetGroupReceiveMessageOpt", json!({ "group_id": conv.conv_id, "opt": opt })).await
    } else {
        call(
            &state.sdk,
            "TIMMsgSetC2CReceiveMessageOpt",
            json!({ "json_identifier_array": [conv.conv_id], "opt": opt }),
        )
        .await
    }
}

/// `TIMMsgSearchLocalMessages` over every conversation: up to `page_size` conversations, each
/// with its matching messages. Answers the MessageSearchResult.
#[tauri::command]
pub async fn msg_search(state: State<'_, AppState>, keywords: Vec<String>, page_size: u32) -> Result<Value, CmdError> {
    call(
        &state.sdk,
        "TIMMsgSearchLocalMessages",
        json!({ "json_search_message_param": {
            "msg_search_param_keyword_array": keywords,
            "msg_search_param_page_index": 0,
            "msg_search_param_page_size": page_size,
        } }),
    )
    .await
}
