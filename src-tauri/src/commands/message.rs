//! Sending, history, read reports and revoking.
use serde_json::{json, Value};
use tauri::State;

use crate::bridge::{call, raw};
use crate::dto::{CmdError, ConvKey, TimReply};
use crate::AppState;

/// Send a text message (`TIMMsgSendMessage`). `resend_msg_id` resends a failed message under
/// its id. The reply carries `outputs.message_id` even when sending failed.
#[tauri::command]
pub async fn msg_send_text(
    state: State<'_, AppState>,
    conv: ConvKey,
    text: String,
    resend_msg_id: Option<String>,
) -> Result<TimReply, ()> {
    let mut msg = json!({ "message_elem_array": [{ "elem_type": 0, "text_elem_content": text }] });
    if let Some(id) = resend_msg_id {
        msg["message_msg_id"] = json!(id);
    }
    Ok(raw(
        &state.sdk,
        "TIMMsgSendMessage",
        &json!({ "conv_id": conv.conv_id, "conv_type": conv.conv_type, "json_msg_param": msg }),
    )
    .await)
}

/// History before `last_msg` (newest first), or after it when `forward` (the chat pages back down
/// to messages it dropped); roaming from the server when local history ends.
#[tauri::command]
pub async fn msg_list(
    state: State<'_, AppState>,
    conv: ConvKey,
    last_msg: Option<Value>,
    count: u32,
    forward: Option<bool>,
) -> Result<Value, CmdError> {
    let mut param = json!({
        "msg_getmsglist_param_count": count,
        "msg_getmsglist_param_is_remble": true,
        "msg_getmsglist_param_is_forward": forward.unwrap_or(false),
    });
    if let Some(m) = last_msg {
        param["msg_getmsglist_param_last_msg"] = m;
    }
    call(
        &state.sdk,
        "TIMMsgGetMsgList",
        json!({ "conv_id": conv.conv_id, "conv_type": conv.conv_type, "json_get_msg_param": param }),
    )
    .await
}

/// Mark the conversation read (`TIMMsgReportReaded`, up to the newest message).
#[tauri::command]
pub async fn msg_report_read(state: State<'_, AppState>, conv: ConvKey) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMMsgReportReaded", json!({ "conv_id": conv.conv_id, "conv_type": conv.conv_type })).await
}

#[tauri::command]
pub async fn msg_revoke(state: State<'_, AppState>, conv: ConvKey, msg: Value) -> Result<Value, CmdError> {
    call(
        &state.sdk,
        "TIMMsgRevoke",
        json!({ "conv_id": conv.conv_id, "conv_type": conv.conv_type, "json_msg_param": msg }),
    )
    .await
}
