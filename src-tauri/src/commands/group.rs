//! Groups: create, join, the group's profile and members, the receive option, and join requests
//! (pendencies). Each command is one TIM call with TIM JSON in and out; the server decides who
//! may do what (the UI mirrors its rules only to hide what would be refused).
use serde_json::{json, Map, Value};
use tauri::State;

use crate::bridge::call;
use crate::dto::CmdError;
use crate::AppState;

/// `TIMGroupModifyGroupInfo` flag bits (TIMGroupModifyInfoFlag).
const MODIFY_NAME: u32 = 0x1;
const MODIFY_NOTIFICATION: u32 = 0x2;
const MODIFY_INTRODUCTION: u32 = 0x4;
const MODIFY_FACE_URL: u32 = 0x8;
const MODIFY_ADD_OPTION: u32 = 0x10;
const MODIFY_SHUTUP_ALL: u32 = 0x100;
const MODIFY_OWNER: u32 = 0x8000_0000;
/// `TIMGroupModifyMemberInfo` flag bits (TIMGroupMemberModifyInfoFlag).
const MEMBER_ROLE: u32 = 0x2;
const MEMBER_SHUTUP_TIME: u32 = 0x4;

fn trimmed_ids(ids: Vec<String>) -> Vec<String> {
    ids.into_iter().map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).collect()
}

/// `TIMGroupCreate` with a name, a TIM group type, initial members and (optionally) the add
/// option; answers the TIM result (`create_group_result_groupid`).
#[tauri::command]
pub async fn group_create(
    state: State<'_, AppState>,
    name: String,
    group_type: u32,
    members: Vec<String>,
    add_option: Option<u32>,
) -> Result<Value, CmdError> {
    let members: Vec<Value> =
        trimmed_ids(members).into_iter().map(|m| json!({ "group_member_info_identifier": m })).collect();
    let mut param = json!({
        "create_group_param_group_name": name,
        "create_group_param_group_type": group_type,
        "create_group_param_group_member_array": members,
    });
    if let Some(opt) = add_option {
        param["create_group_param_add_option"] = json!(opt);
    }
    call(&state.sdk, "TIMGroupCreate", json!({ "json_group_create_param": param })).await
}

#[tauri::command]
pub async fn group_joined_list(state: State<'_, AppState>) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMGroupGetJoinedGroupList", json!({})).await
}

/// `TIMGroupGetGroupInfoList` for one group: its `GroupDetailInfo`, or the per-group error.
#[tauri::command]
pub async fn group_info(state: State<'_, AppState>, group_id: String) -> Result<Value, CmdError> {
    let list = call(&state.sdk, "TIMGroupGetGroupInfoList", json!({ "json_group_getinfo_param": [group_id] })).await?;
    let first = list.get(0).cloned().unwrap_or(Value::Null);
    let code = first.get("get_groups_info_result_code").and_then(Value::as_i64).unwrap_or(0) as i32;
    if code != 0 {
        let message = first.get("get_groups_info_result_desc").and_then(Value::as_str).unwrap_or_default();
        return Err(CmdError { code, message: message.to_string() });
    }
    match first.get("get_groups_info_result_info") {
        Some(info) if !info.is_null() => Ok(info.clone()),
        _ => Err(CmdError { code: 10010, message: "the group was not found".into() }),
    }
}

/// `TIMGroupGetMemberInfoList`: one page of members from `next_seq` (0 first), or the members
/// named in `user_ids`. Answers the TIM result (info array and the next cursor, 0 = last page).
#[tauri::command]
pub async fn group_members(
    state: State<'_, AppState>,
    group_id: String,
    next_seq: u64,
    user_ids: Option<Vec<String>>,
) -> Result<Value, CmdError> {
    let mut param = json!({
        "group_get_members_info_list_param_group_id": group_id,
        "group_get_members_info_list_param_next_seq": next_seq,
    });
    if let Some(ids) = user_ids {
        param["group_get_members_info_list_param_identifier_array"] = json!(trimmed_ids(ids));
    }
    call(&state.sdk, "TIMGroupGetMemberInfoList", json!({ "json_group_getmeminfos_param": param })).await
}

/// `TIMGroupModifyGroupInfo` with the fields given (each present field sets its flag bit):
/// name, notification, introduction, face URL, add option, mute all.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn group_modify_info(
    state: State<'_, AppState>,
    group_id: String,
    name: Option<String>,
    notification: Option<String>,
    introduction: Option<String>,
    face_url: Option<String>,
    add_option: Option<u32>,
    shutup_all: Option<bool>,
) -> Result<Value, CmdError> {
    let mut p = Map::new();
    let mut flag = 0u32;
    let mut set = |bit: u32, key: &str, v: Value| {
        flag |= bit;
        p.insert(key.to_string(), v);
    };
    if let Some(v) = name {
        set(MODIFY_NAME, "group_modify_info_param_group_name", json!(v));
    }
    if let Some(v) = notification {
        set(MODIFY_NOTIFICATION, "group_modify_info_param_notification", json!(v));
    }
    if let Some(v) = introduction {
        set(MODIFY_INTRODUCTION, "group_modify_info_param_introduction", json!(v));
    }
    if let Some(v) = face_url {
        set(MODIFY_FACE_URL, "group_modify_info_param_face_url", json!(v));
    }
    if let Some(v) = add_option {
        set(MODIFY_ADD_OPTION, "group_modify_info_param_add_option", json!(v));
    }
    if let Some(v) = shutup_all {
        set(MODIFY_SHUTUP_ALL, "group_modify_info_param_is_shutup_all", json!(v));
    }
    p.insert("group_modify_info_param_group_id".into(), json!(group_id));
    p.insert("group_modify_info_param_modify_flag".into(), json!(flag));
    call(&state.sdk, "TIMGroupModifyGroupInfo", json!({ "json_group_modifyinfo_param": p })).await
}

/// Ownership transfer: `TIMGroupModifyGroupInfo` with the owner flag alone.
#[tauri::command]
pub async fn group_transfer_owner(
    state: State<'_, AppState>,
    group_id: String,
    new_owner: String,
) -> Result<Value, CmdError> {
    let p = json!({
        "group_modify_info_param_group_id": group_id,
        "group_modify_info_param_modify_flag": MODIFY_OWNER,
        "group_modify_info_param_owner": new_owner,
    });
    call(&state.sdk, "TIMGroupModifyGroupInfo", json!({ "json_group_modifyinfo_param": p })).await
}

/// `TIMGroupModifyMemberInfo`: a member's role (200 member, 300 admin) and/or mute duration in
/// seconds (0 lifts the mute).
#[tauri::command]
pub async fn group_modify_member(
    state: State<'_, AppState>,
    group_id: String,
    user_id: String,
    role: Option<u32>,
    shutup_secs: Option<u32>,
) -> Result<Value, CmdError> {
    let mut p = json!({
        "group_modify_member_info_group_id": group_id,
        "group_modify_member_info_identifier": user_id,
    });
    let mut flag = 0u32;
    if let Some(r) = role {
        flag |= MEMBER_ROLE;
        p["group_modify_member_info_member_role"] = json!(r);
    }
    if let Some(s) = shutup_secs {
        flag |= MEMBER_SHUTUP_TIME;
        p["group_modify_member_info_shutup_time"] = json!(s);
    }
    p["group_modify_member_info_modify_flag"] = json!(flag);
    call(&state.sdk, "TIMGroupModifyMemberInfo", json!({ "json_group_modifymeminfo_param": p })).await
}

/// `TIMGroupInviteMember`: per user, the TIM result (1 added, 2 already a member, 3 invited).
#[tauri::command]
pub async fn group_invite(
    state: State<'_, AppState>,
    group_id: String,
    user_ids: Vec<String>,
) -> Result<Value, CmdError> {
    let p = json!({
        "group_invite_member_param_group_id": group_id,
        "group_invite_member_param_identifier_array": trimmed_ids(user_ids),
    });
    call(&state.sdk, "TIMGroupInviteMember", json!({ "json_group_invite_param": p })).await
}

/// `TIMGroupDeleteMember` (kick), with an optional reason as the user data.
#[tauri::command]
pub async fn group_kick(
    state: State<'_, AppState>,
    group_id: String,
    user_ids: Vec<String>,
    reason: Option<String>,
) -> Result<Value, CmdError> {
    let p = json!({
        "group_delete_member_param_group_id": group_id,
        "group_delete_member_param_identifier_array": trimmed_ids(user_ids),
        "group_delete_member_param_user_data": reason.unwrap_or_default(),
    });
    call(&state.sdk, "TIMGroupDeleteMember", json!({ "json_group_delete_param": p })).await
}

/// `TIMGroupJoin` with a hello message. Joining may be immediate or wait for an admin; the
/// caller tells by whether it is a member afterwards.
#[tauri::command]
pub async fn group_join(state: State<'_, AppState>, group_id: String, hello: String) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMGroupJoin", json!({ "group_id": group_id.trim(), "hello_msg": hello })).await
}

#[tauri::command]
pub async fn group_quit(state: State<'_, AppState>, group_id: String) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMGroupQuit", json!({ "group_id": group_id })).await
}

/// `TIMGroupDelete` (dismiss).
#[tauri::command]
pub async fn group_dismiss(state: State<'_, AppState>, group_id: String) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMGroupDelete", json!({ "group_id": group_id })).await
}

/// `TIMMsgSetGroupReceiveMessageOpt`: 0 receive, 1 do not receive, 2 receive without notifying.
#[tauri::command]
pub async fn group_set_recv_opt(state: State<'_, AppState>, group_id: String, opt: u32) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMMsgSetGroupReceiveMessageOpt", json!({ "group_id": group_id, "opt": opt })).await
}

/// `TIMGroupGetPendencyList`: one page of the join requests (and invitations) this user
/// decides, newest first, from `start_time` (0 first). Answers the `GroupPendencyResult`.
#[tauri::command]
pub async fn group_pendency_list(state: State<'_, AppState>, start_time: u64) -> Result<Value, CmdError> {
    let p = json!({ "group_pendency_option_start_time": start_time, "group_pendency_option_max_limited": 50 });
    call(&state.sdk, "TIMGroupGetPendencyList", json!({ "json_group_getpendence_list_param": p })).await
}

/// `TIMGroupReportPendencyReaded`: everything added up to `time` (UTC seconds) is read.
#[tauri::command]
pub async fn group_pendency_read(state: State<'_, AppState>, time: u64) -> Result<Value, CmdError> {
    call(&state.sdk, "TIMGroupReportPendencyReaded", json!({ "time_stamp": time })).await
}

/// `TIMGroupHandlePendency`: accept or refuse one pendency (the object from the list, passed back
/// unchanged) with an optional message.
#[tauri::command]
pub async fn group_pendency_handle(
    state: State<'_, AppState>,
    pendency: Value,
    accept: bool,
    message: Option<String>,
) -> Result<Value, CmdError> {
    let p = json!({
        "group_handle_pendency_param_is_accept": accept,
        "group_handle_pendency_param_handle_msg": message.unwrap_or_default(),
        "group_handle_pendency_param_pendency": pendency,
    });
    call(&state.sdk, "TIMGroupHandlePendency", json!({ "json_group_handle_pendency_param": p })).await
}
