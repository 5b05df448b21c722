//! Groups: create, list joined.
use serde_json::{json, Value};
use tauri::State;

use crate::bridge::call;
use crate::dto::CmdError;
use crate::AppState;

/// `TIMGroupCreate` with a name, a TIM group type and initial members; answers the TIM result
/// (`create_group_result_groupid`).
#[tauri::command]
pub async fn group_create(
    state: State<'_, AppState>,
    name: String,
    group_type: u32,
    members: Vec<String>,
) -> Result<Value, CmdError> {
    let members: Vec<Value> = members
        .into_iter()
        .filter(|m| !m.trim().is_empty())
        .map(|m| json!({ "group_member_info_identifier": m.trim() }))
        .collect();
    call(
        &state.sdk,
        "TIMGroupCreate",
        json!({
            "json_group_create_param": {
                "create_group_param_group_name": name,
                "create_group_param_group_type": group_type,
                "create_group_param_group_member_array": members,
            }
        }),
    )
    .await
}

#[tauri::command]
pub async fn group_joined_list(state: State<'_, AppState>) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMGroupGetJoinedGroupList", json!({})).await
}
