//! TIMGroupCreate.
use confab_protocol::codes;
use confab_protocol::enums::{group_add_option, group_type, member_role};
use confab_protocol::group::{CreateGroupParam, CreateGroupResult};
use serde_json::{json, Value};

use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Result};
use crate::rules::groups::{
    check_group_custom, check_len, check_name, max_members, new_group_id, valid_custom_group_id, FACE_URL_MAX,
    INTRODUCTION_MAX, NOTIFICATION_MAX,
};
use crate::store::NewGroup;

/// TIMGroupCreate: the caller owns the new group; initial members join at once.
pub(super) async fn create_group(state: &State, me: &str, p: CreateGroupParam) -> Result<Value> {
    let t = p.create_group_param_group_type;
    if t > group_type::COMMUNITY {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "unknown group type"));
    }
    check_name(&p.create_group_param_group_name)?;
    check_len(&p.create_group_param_introduction, INTRODUCTION_MAX, "the introduction")?;
    check_len(&p.create_group_param_notification, NOTIFICATION_MAX, "the notification")?;
    check_len(&p.create_group_param_face_url, FACE_URL_MAX, "the face url")?;
    check_group_custom(&p.create_group_param_custom_info)?;
    let add_option = p.create_group_param_add_option.unwrap_or(group_add_option::ANY);
    if add_option > group_add_option::ANY {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "unknown add option"));
    }
    let gid = if p.create_group_param_group_id.is_empty() {
        new_group_id(t)
    } else if valid_custom_group_id(&p.create_group_param_group_id, t) {
        p.create_group_param_group_id.clone()
    } else {
        return Err(refused(
            codes::ERR_SVR_GROUP_INVALID_GROUPID,
            "group id must be printable ASCII, at most 48 bytes, not starting with @TGS# (Community: starting with @TGS#_)",
        ));
    };
    let limit = max_members(t);
    let max = match p.create_group_param_max_member_num {
        0 => limit,
        n => n.min(limit),
    };
    // Initial members: the caller is the owner; others are members, or admins when asked.
    let mut members: Vec<(String, u32)> = Vec::new();
    for m in &p.create_group_param_group_member_array {
        let id = &m.group_member_info_identifier;
        if id == me {
            continue;
        }
        let role = match m.group_member_info_member_role {
            member_role::OWNER => {
                return Err(refused(
                    codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
                    "the owner role cannot be given to a member",
                ))
            }
            member_role::ADMIN => member_role::ADMIN,
            _ => member_role::NORMAL,
        };
        match members.iter_mut().find(|(u, _)| u == id) {
            Some(slot) => slot.1 = slot.1.max(role),
            None => members.push((id.clone(), role)),
        }
    }
    if members.len() as u64 + 1 > u64::from(max) {
        return Err(refused(codes::ERR_SVR_GROUP_FULL_MEMBER_COUNT, "too many members for this group type"));
    }
    let mut db = state.store.read().await?;
    for (m, _) in &members {
        if !db.user_exists(m).await? {
            return Err(refused(codes::ERR_SVR_GROUP_ACCOUNT_NOT_FOUND, format!("no such user: {m}")));
        }
    }
    drop(db);
    let custom = serde_json::to_string(&p.create_group_param_custom_info).unwrap_or_else(|_| "[]".into());
    let me = me.to_string();
    let g = gid.clone();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let now = now_secs();
                let new = NewGroup {
                    id: &g,
                    group_type: t,
                    name: &p.create_group_param_group_name,
                    owner: &me,
                    notification: &p.create_group_param_notification,
                    introduction: &p.create_group_param_introduction,
                    face_url: &p.create_group_param_face_url,
                    add_option,
                    max_members: max,
                    custom_json: &custom,
                    now,
                };
                if !tx.insert_group(&new).await? {
                    return Err(refused(codes::ERR_SVR_GROUP_GROUPID_IN_USED, "group id already in use"));
                }
                // A re-used id (the earlier group was dismissed) starts a fresh history.
                tx.set_history_floor(&g).await?;
                let owner_row = std::iter::once((me.clone(), member_role::OWNER));
                for (u, role) in owner_row.chain(members) {
                    tx.insert_member(&g, &u, role, now).await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(json!(CreateGroupResult { create_group_result_groupid: gid }))
}
