//! Group information: the joined list, details, changes, ownership transfer.
use confab_protocol::codes;
use confab_protocol::enums::{
    group_add_option, group_modify_info_flag as gflag, group_tip_change_flag as change, group_tip_type as tip,
    group_type, member_role,
};
use confab_protocol::group::{
    GetGroupInfoResult, GroupBaseInfo, GroupDetailInfo, GroupModifyInfoParam, GroupSelfInfo, GroupTipGroupChangeInfo,
    GroupTipsElem,
};
use serde_json::{json, Value};

use super::{lock_group, require_role};
use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Result};
use crate::events::send_tip;
use crate::rules::groups::{
    check_group_custom, check_len, check_name, is_av, max_members, merge_custom, BATCH_MAX, FACE_URL_MAX,
    INTRODUCTION_MAX, NOTIFICATION_MAX,
};
use crate::store::{Conn, GroupRow};

/// TIMGroupGetJoinedGroupList: my groups with my role, unread count and read seq.
pub(super) async fn joined_groups(state: &State, me: &str) -> Result<Value> {
    let mut db = state.store.read().await?;
    let rows = db.joined_groups(me).await?;
    let mut out: Vec<GroupBaseInfo> = Vec::with_capacity(rows.len());
    for r in rows {
        let readed = db.group_seq_at(&r.group_id, r.read_time).await?;
        let unread = db.group_unread(&r.group_id, r.read_time, r.join_time, me).await?;
        let msg_flag = r.msg_flag as u32;
        out.push(GroupBaseInfo {
            group_base_info_group_id: r.group_id,
            group_base_info_group_name: r.name,
            group_base_info_group_type: r.group_type as u32,
            group_base_info_face_url: r.face_url,
            group_base_info_info_seq: r.info_seq as u64,
            group_base_info_lastest_seq: r.latest.unwrap_or(0) as u64,
            group_base_info_readed_seq: readed,
            group_base_info_msg_flag: msg_flag,
            group_base_info_is_shutup_all: r.shutup_all != 0,
            group_base_info_self_info: GroupSelfInfo {
                group_self_info_join_time: r.join_time as u64,
                group_self_info_role: r.role as u32,
                group_self_info_unread_num: unread,
                group_self_info_msg_flag: msg_flag,
            },
        });
    }
    Ok(json!(out))
}

async fn detail(state: &State, db: &mut Conn, g: &GroupRow) -> Result<GroupDetailInfo> {
    let members = db.member_ids(&g.id).await?;
    let (last_seq, last_time) = db.group_last_msg(&g.id).await?;
    Ok(GroupDetailInfo {
        group_detial_info_group_id: g.id.clone(),
        group_detial_info_group_type: g.group_type,
        group_detial_info_group_name: g.name.clone(),
        group_detial_info_notification: g.notification.clone(),
        group_detial_info_introduction: g.introduction.clone(),
        group_detial_info_face_url: g.face_url.clone(),
        group_detial_info_create_time: g.create_time,
        group_detial_info_info_seq: g.info_seq,
        group_detial_info_last_info_time: g.last_info_time,
        group_detial_info_next_msg_seq: last_seq,
        group_detial_info_last_msg_time: last_time,
        group_detial_info_member_num: members.len() as u32,
        group_detial_info_max_member_num: g.max_members,
        group_detial_info_add_option: g.add_option,
        group_detial_info_online_member_num: members.iter().filter(|u| state.hub.is_online(u)).count() as u32,
        group_detial_info_visible: g.visible,
        group_detial_info_searchable: g.searchable,
        group_detial_info_is_shutup_all: g.shutup_all,
        group_detial_info_owener_identifier: g.owner.clone(),
        group_detial_info_custom_info: g.custom.clone(),
    })
}

/// TIMGroupGetGroupInfoList: per group, its details or a code (10010 not found; 10007 for a
/// Private group the caller is not in).
pub(super) async fn group_info(state: &State, me: &str, ids: &[String]) -> Result<Value> {
    if ids.len() > BATCH_MAX {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "at most 500 groups per request"));
    }
    let mut db = state.store.read().await?;
    let mut out = Vec::with_capacity(ids.len());
    for gid in ids {
        let item = match db.group(gid).await? {
            None => GetGroupInfoResult {
                get_groups_info_result_code: codes::ERR_SVR_GROUP_NOT_FOUND,
                get_groups_info_result_desc: format!("no such group: {gid}"),
                get_groups_info_result_info: None,
            },
            Some(g) if g.group_type == group_type::PRIVATE && db.role(gid, me).await?.is_none() => GetGroupInfoResult {
                get_groups_info_result_code: codes::ERR_SVR_GROUP_PERMISSION_DENY,
                get_groups_info_result_desc: "not a member of this Private group".into(),
                get_groups_info_result_info: None,
            },
            Some(g) => GetGroupInfoResult {
                get_groups_info_result_code: 0,
                get_groups_info_result_desc: String::new(),
                get_groups_info_result_info: Some(detail(state, &mut db, &g).await?),
            },
        };
        out.push(item);
    }
    Ok(json!(out))
}

fn change_info(flag: u32, value: impl Into<String>) -> GroupTipGroupChangeInfo {
    GroupTipGroupChangeInfo {
        group_tips_group_change_info_flag: flag,
        group_tips_group_change_info_value: value.into(),
        ..Default::default()
    }
}

/// TIMGroupModifyGroupInfo: every flag OR-ed, or the owner flag alone (ownership transfer).
pub(super) async fn modify_group_info(state: &State, me: &str, p: GroupModifyInfoParam) -> Result<Value> {
    let flag = p.group_modify_info_param_modify_flag;
    if flag == gflag::NONE {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "modify_flag names nothing to change"));
    }
    if flag & gflag::OWNER != 0 {
        if flag != gflag::OWNER {
            return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "the owner flag must be used alone"));
        }
        if p.group_modify_info_param_owner.is_empty() {
            return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "group_modify_info_param_owner is empty"));
        }
        return transfer_owner(state, me, p.group_modify_info_param_group_id, p.group_modify_info_param_owner).await;
    }
    let has = move |bit: u32| flag & bit != 0;
    if has(gflag::NAME) {
        check_name(&p.group_modify_info_param_group_name)?;
    }
    if has(gflag::NOTIFICATION) {
        check_len(&p.group_modify_info_param_notification, NOTIFICATION_MAX, "the notification")?;
    }
    if has(gflag::INTRODUCTION) {
        check_len(&p.group_modify_info_param_introduction, INTRODUCTION_MAX, "the introduction")?;
    }
    if has(gflag::FACE_URL) {
        check_len(&p.group_modify_info_param_face_url, FACE_URL_MAX, "the face url")?;
    }
    if has(gflag::ADD_OPTION) && p.group_modify_info_param_add_option > group_add_option::ANY {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "unknown add option"));
    }
    if has(gflag::CUSTOM) {
        check_group_custom(&p.group_modify_info_param_custom_info)?;
    }
    let me = me.to_string();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let gid = p.group_modify_info_param_group_id.clone();
                let mut g = lock_group(tx, &gid).await?;
                let my_role = require_role(tx, &gid, &me).await?;
                let profile = gflag::NAME | gflag::NOTIFICATION | gflag::INTRODUCTION | gflag::FACE_URL;
                let admin_only = if g.group_type == group_type::PRIVATE { flag & !profile } else { flag };
                if admin_only != 0 && my_role < member_role::ADMIN {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only the owner and admins can change this",
                    ));
                }
                let mut changes = Vec::new();
                if has(gflag::NAME) {
                    g.name = p.group_modify_info_param_group_name.clone();
                    changes.push(change_info(change::NAME, g.name.clone()));
                }
                if has(gflag::NOTIFICATION) {
                    g.notification = p.group_modify_info_param_notification.clone();
                    changes.push(change_info(change::NOTIFICATION, g.notification.clone()));
                }
                if has(gflag::INTRODUCTION) {
                    g.introduction = p.group_modify_info_param_introduction.clone();
                    changes.push(change_info(change::INTRODUCTION, g.introduction.clone()));
                }
                if has(gflag::FACE_URL) {
                    g.face_url = p.group_modify_info_param_face_url.clone();
                    changes.push(change_info(change::FACE_URL, g.face_url.clone()));
                }
                if has(gflag::ADD_OPTION) {
                    g.add_option = p.group_modify_info_param_add_option;
                    let mut c = change_info(change::GROUP_ADD_OPT, g.add_option.to_string());
                    c.group_tips_group_change_info_int_value = i64::from(g.add_option);
                    changes.push(c);
                }
                if has(gflag::MAX_MEMBER_NUM) {
                    let n = p.group_modify_info_param_max_member_num;
                    if n == 0 || n > max_members(g.group_type) || n < tx.member_count(&gid).await? {
                        return Err(refused(
                            codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
                            "max member number must lie between the member count and the limit of the group type",
                        ));
                    }
                    g.max_members = n;
                }
                if has(gflag::VISIBLE) {
                    g.visible = p.group_modify_info_param_visible;
                }
                if has(gflag::SEARCHABLE) {
                    g.searchable = p.group_modify_info_param_searchable;
                }
                if has(gflag::SHUTUP_ALL) {
                    g.shutup_all = p.group_modify_info_param_is_shutup_all;
                    let mut c = change_info(change::SHUTUP_ALL, if g.shutup_all { "1" } else { "0" });
                    c.group_tips_group_change_info_bool_value = g.shutup_all;
                    changes.push(c);
                }
                if has(gflag::CUSTOM) {
                    merge_custom(
                        &mut g.custom,
                        &p.group_modify_info_param_custom_info,
                        |c| c.group_info_custom_string_info_key.as_str(),
                        |c| c.group_info_custom_string_info_value.as_str(),
                    )?;
                    for c in &p.group_modify_info_param_custom_info {
                        let mut ci = change_info(change::CUSTOM, c.group_info_custom_string_info_value.clone());
                        ci.group_tips_group_change_info_key = c.group_info_custom_string_info_key.clone();
                        changes.push(ci);
                    }
                }
                let now = now_secs();
                tx.update_group(&g, now).await?;
                if !changes.is_empty() {
                    let to = tx.member_ids(&gid).await?;
                    let t = GroupTipsElem {
                        group_tips_elem_tip_type: tip::GROUP_INFO_CHANGE,
                        group_tips_elem_op_user: me.clone(),
                        group_tips_elem_group_change_info_array: changes,
                        ..Default::default()
                    };
                    send_tip(tx, &g, t, &to).await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// Ownership transfer: only the owner, to another member, never in an AVChatRoom.
async fn transfer_owner(state: &State, me: &str, gid: String, new_owner: String) -> Result<Value> {
    let me = me.to_string();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let mut g = lock_group(tx, &gid).await?;
                let my_role = require_role(tx, &gid, &me).await?;
                if is_av(g.group_type) {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "an AVChatRoom's ownership cannot be transferred",
                    ));
                }
                if my_role != member_role::OWNER {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only the owner can transfer the ownership",
                    ));
                }
                if new_owner == me {
                    return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "you already own this group"));
                }
                if tx.role(&gid, &new_owner).await?.is_none() {
                    return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "the new owner must be a member"));
                }
                for (u, role) in [(&me, member_role::NORMAL), (&new_owner, member_role::OWNER)] {
                    tx.set_member_role(&gid, u, role).await?;
                }
                tx.set_owner(&gid, &new_owner, now_secs()).await?;
                g.owner = new_owner.clone();
                let to = tx.member_ids(&gid).await?;
                let t = GroupTipsElem {
                    group_tips_elem_tip_type: tip::GROUP_INFO_CHANGE,
                    group_tips_elem_op_user: me.clone(),
                    group_tips_elem_group_change_info_array: vec![change_info(change::OWNER, new_owner.clone())],
                    ..Default::default()
                };
                send_tip(tx, &g, t, &to).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}
