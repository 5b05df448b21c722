//! Members: the member list, changing a member (role, mute, name card, custom fields), and
//! one's own receive option.
use confab_protocol::codes;
use confab_protocol::enums::{
    group_member_modify_flag as mflag, group_member_role_flag as role_flag, group_report_type as report,
    group_tip_type as tip, member_role, recv_msg_opt,
};
use confab_protocol::group::{
    GroupGetMemberInfoListParam, GroupGetMemberInfoListResult, GroupModifyMemberInfoParam, GroupTipMemberChangeInfo,
    GroupTipsElem,
};
use serde_json::{json, Value};

use super::{lock_group, require_group, require_role};
use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Result};
use crate::events::{member_tip, send_report, send_tip, ReportText};
use crate::rules::groups::{
    check_len, check_member_custom, dedup, is_av, merge_custom, BATCH_MAX, MEMBER_PAGE, NAME_CARD_MAX,
};

/// TIMGroupGetMemberInfoList: given members, or every member page by page (`next_seq` is the
/// offset of the next page, 0 when there is none), owner and admins first.
pub(super) async fn member_info_list(state: &State, me: &str, p: GroupGetMemberInfoListParam) -> Result<Value> {
    let gid = &p.group_get_members_info_list_param_group_id;
    let mut db = state.store.read().await?;
    let g = require_group(&mut db, gid).await?;
    if db.role(gid, me).await?.is_none() && !is_av(g.group_type) {
        return Err(refused(codes::ERR_SVR_GROUP_PERMISSION_DENY, "not a member of this group"));
    }
    let opt = p.group_get_members_info_list_param_option.unwrap_or_default();
    let flags = opt.group_member_get_info_option_info_flag;
    let rf = opt.group_member_get_info_option_role_flag;
    let wanted = |role: u32| {
        rf == role_flag::ALL
            || (rf & role_flag::OWNER != 0 && role == member_role::OWNER)
            || (rf & role_flag::ADMIN != 0 && role == member_role::ADMIN)
            || (rf & role_flag::MEMBER != 0 && role < member_role::ADMIN)
    };
    let keys = &opt.group_member_get_info_option_custom_array;
    let mut result = GroupGetMemberInfoListResult::default();
    if !p.group_get_members_info_list_param_identifier_array.is_empty() {
        for u in dedup(&p.group_get_members_info_list_param_identifier_array).iter().take(BATCH_MAX) {
            if let Some(m) = db.member(gid, u).await?.filter(|m| wanted(m.role)) {
                result.group_get_memeber_info_list_result_info_array.push(m.info(gid, flags, keys));
            }
        }
        return Ok(json!(result));
    }
    let mut roles: Vec<u32> = Vec::new();
    for (bit, role) in [
        (role_flag::OWNER, member_role::OWNER),
        (role_flag::ADMIN, member_role::ADMIN),
        (role_flag::MEMBER, member_role::NORMAL),
    ] {
        if rf == role_flag::ALL || rf & bit != 0 {
            roles.push(role);
        }
    }
    let offset = p.group_get_members_info_list_param_next_seq;
    let rows = db.members_page(gid, &roles, MEMBER_PAGE as i64 + 1, offset.min(i64::MAX as u64) as i64).await?;
    for m in rows.iter().take(MEMBER_PAGE) {
        result.group_get_memeber_info_list_result_info_array.push(m.info(gid, flags, keys));
    }
    if rows.len() > MEMBER_PAGE {
        result.group_get_memeber_info_list_result_next_seq = offset + MEMBER_PAGE as u64;
    }
    Ok(json!(result))
}

/// TIMGroupModifyMemberInfo: receive option (self), role (owner; not in an AVChatRoom), mute
/// (owner and admins, on members below them), name card and custom fields (self, or the owner
/// and admins on members below them).
pub(super) async fn modify_member_info(state: &State, me: &str, p: GroupModifyMemberInfoParam) -> Result<Value> {
    let flag = p.group_modify_member_info_modify_flag;
    let has = move |bit: u32| flag & bit != 0;
    if flag == mflag::NONE {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "modify_flag names nothing to change"));
    }
    if p.group_modify_member_info_identifier.is_empty() {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "group_modify_member_info_identifier is empty"));
    }
    if has(mflag::MSG_FLAG) && p.group_modify_member_info_msg_flag > recv_msg_opt::NOT_NOTIFY {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "unknown receive option"));
    }
    if has(mflag::MEMBER_ROLE)
        && ![member_role::NORMAL, member_role::ADMIN].contains(&p.group_modify_member_info_member_role)
    {
        return Err(refused(
            codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
            "the role must be member (200) or admin (300); the owner changes by transfer",
        ));
    }
    if has(mflag::NAME_CARD) {
        check_len(&p.group_modify_member_info_name_card, NAME_CARD_MAX, "the name card")?;
    }
    if has(mflag::CUSTOM) {
        check_member_custom(&p.group_modify_member_info_custom_info)?;
    }
    let me = me.to_string();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let gid = p.group_modify_member_info_group_id.clone();
                let target = p.group_modify_member_info_identifier.clone();
                let g = lock_group(tx, &gid).await?;
                let my_role = require_role(tx, &gid, &me).await?;
                let mut m = tx.member(&gid, &target).await?.ok_or_else(|| {
                    refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, format!("not a member of this group: {target}"))
                })?;
                let myself = target == me;
                let above = my_role >= member_role::ADMIN && m.role < my_role;
                if has(mflag::MSG_FLAG) && !myself {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only members themselves set their receive option",
                    ));
                }
                if has(mflag::MEMBER_ROLE) {
                    if is_av(g.group_type) {
                        return Err(refused(
                            codes::ERR_SVR_GROUP_PERMISSION_DENY,
                            "roles cannot be changed in an AVChatRoom",
                        ));
                    }
                    if my_role != member_role::OWNER {
                        return Err(refused(
                            codes::ERR_SVR_GROUP_PERMISSION_DENY,
                            "only the owner sets or cancels admins",
                        ));
                    }
                    if m.role == member_role::OWNER {
                        return Err(refused(
                            codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
                            "the owner's role changes only by transferring the ownership",
                        ));
                    }
                }
                if has(mflag::SHUTUP_TIME) && !above {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only the owner and admins mute, and only members below their role",
                    ));
                }
                if (has(mflag::NAME_CARD) || has(mflag::CUSTOM)) && !myself && !above {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only the member, or the owner and admins above them, change this",
                    ));
                }
                let now = now_secs();
                let old_role = m.role;
                if has(mflag::MSG_FLAG) {
                    m.msg_flag = p.group_modify_member_info_msg_flag;
                }
                if has(mflag::MEMBER_ROLE) {
                    m.role = p.group_modify_member_info_member_role;
                }
                let shutup = u64::from(p.group_modify_member_info_shutup_time);
                if has(mflag::SHUTUP_TIME) {
                    m.shutup_until = if shutup == 0 { 0 } else { now + shutup };
                }
                if has(mflag::NAME_CARD) {
                    m.name_card = p.group_modify_member_info_name_card.clone();
                }
                if has(mflag::CUSTOM) {
                    merge_custom(
                        &mut m.custom,
                        &p.group_modify_member_info_custom_info,
                        |c| c.group_member_info_custom_string_info_key.as_str(),
                        |c| c.group_member_info_custom_string_info_value.as_str(),
                    )?;
                }
                tx.update_member(&gid, &m).await?;
                let to = tx.member_ids(&gid).await?;
                if m.role != old_role {
                    let (t, r) = if m.role == member_role::ADMIN {
                        (tip::SET_ADMIN, report::GRANT_ADMIN)
                    } else {
                        (tip::CANCEL_ADMIN, report::CANCEL_ADMIN)
                    };
                    member_tip(tx, &g, t, &me, vec![target.clone()], &to).await?;
                    send_report(tx, &g, &target, r, ReportText { op: &me, msg: "", user_data: "" }).await?;
                }
                if has(mflag::SHUTUP_TIME) || has(mflag::NAME_CARD) || has(mflag::CUSTOM) {
                    let mut t = GroupTipsElem {
                        group_tips_elem_tip_type: tip::MEMBER_INFO_CHANGE,
                        group_tips_elem_op_user: me.clone(),
                        group_tips_elem_user_array: vec![target.clone()],
                        ..Default::default()
                    };
                    if has(mflag::SHUTUP_TIME) {
                        t.group_tips_elem_member_change_info_array.push(GroupTipMemberChangeInfo {
                            group_tips_member_change_info_identifier: target.clone(),
                            group_tips_member_change_info_shutup_time: shutup,
                        });
                    }
                    if has(mflag::NAME_CARD) || has(mflag::CUSTOM) {
                        t.group_tips_elem_changed_group_memberinfo_array.push(m.info(&gid, u64::MAX, &[]));
                    }
                    send_tip(tx, &g, t, &to).await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// TIMMsgSetGroupReceiveMessageOpt: 0 receive, 1 do not receive (left out of deliveries), 2
/// receive without notification.
pub(super) async fn set_recv_opt(state: &State, me: &str, gid: String, opt: u32) -> Result<Value> {
    if opt > recv_msg_opt::NOT_NOTIFY {
        return Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "unknown receive option"));
    }
    let me = me.to_string();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                lock_group(tx, &gid).await?;
                require_role(tx, &gid, &me).await?;
                tx.set_member_msg_flag(&gid, &me, opt).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}
