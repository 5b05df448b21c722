//! Membership: join, quit, invite, kick, dismiss.
use confab_protocol::codes;
use confab_protocol::enums::{
    group_add_option, group_pendency_type as ptype, group_report_type as report, group_tip_type as tip, group_type,
    handle_group_member_result as hres, member_role,
};
use confab_protocol::group::{
    GroupDeleteMemberParam, GroupDeleteMemberResult, GroupInviteMemberParam, GroupInviteMemberResult,
};
use serde_json::{json, Value};

use super::{add_member, lock_group, require_role, user_known};
use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Result};
use crate::events::{member_tip, send_report, ReportText};
use crate::rules::groups::{batch_ids, check_len, is_av, pendency_secret, TEXT_MAX};
use crate::store::{PendencyUpsert, Tx};

/// Insert a pendency, or refresh the open one with the same parties.
async fn upsert_pendency(
    tx: &mut Tx,
    gid: &str,
    kind: u32,
    (from, to): (&str, &str),
    msg: &str,
    data: &str,
) -> Result<()> {
    let secret = pendency_secret();
    let p = PendencyUpsert { group_id: gid, kind, from, to, msg, user_data: data, secret: &secret, now: now_secs() };
    tx.upsert_pendency(&p).await
}

/// TIMGroupDelete: the owner dismisses a group (never a Private one); every member is told.
pub(super) async fn delete_group(state: &State, me: &str, gid: String) -> Result<Value> {
    let me = me.to_string();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let g = lock_group(tx, &gid).await?;
                require_role(tx, &gid, &me).await?;
                if g.group_type == group_type::PRIVATE {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "nobody can dismiss a Private (Work) group",
                    ));
                }
                if g.owner != me {
                    return Err(refused(codes::ERR_SVR_GROUP_PERMISSION_DENY, "only the owner can dismiss the group"));
                }
                let members = tx.member_ids(&gid).await?;
                for u in &members {
                    send_report(tx, &g, u, report::DELETE, ReportText { op: &me, msg: "", user_data: "" }).await?;
                }
                tx.drop_group(&gid).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// TIMGroupJoin. Answers `{"group_type", "pending"}`.
pub(super) async fn join_group(state: &State, me: &str, gid: String, hello: String) -> Result<Value> {
    check_len(&hello, TEXT_MAX, "the hello message")?;
    let me = me.to_string();
    let (t, pending) = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let g = lock_group(tx, &gid).await?;
                if tx.role(&gid, &me).await?.is_some() {
                    return Err(refused(codes::ERR_SVR_GROUP_ALLREADY_MEMBER, "already a member of this group"));
                }
                let needs_approval = match g.group_type {
                    group_type::PRIVATE => {
                        return Err(refused(
                            codes::ERR_SVR_GROUP_PERMISSION_DENY,
                            "a Private (Work) group cannot be joined by applying; a member must invite you",
                        ))
                    }
                    group_type::PUBLIC => match g.add_option {
                        group_add_option::FORBID => {
                            return Err(refused(
                                codes::ERR_SVR_GROUP_PERMISSION_DENY,
                                "this group accepts no join requests",
                            ))
                        }
                        group_add_option::AUTH => true,
                        _ => false,
                    },
                    _ => false,
                };
                if needs_approval {
                    upsert_pendency(tx, &gid, ptype::REQUEST_JOIN, (&me, ""), &hello, "").await?;
                    let deciders = tx.members_with_role(&gid, member_role::ADMIN).await?;
                    for d in &deciders {
                        let text = ReportText { op: &me, msg: &hello, user_data: "" };
                        send_report(tx, &g, d, report::ADD_REQUEST, text).await?;
                    }
                    return Ok((g.group_type, true));
                }
                add_member(tx, &g, &me, member_role::NORMAL).await?;
                let to = tx.member_ids(&gid).await?;
                member_tip(tx, &g, tip::INVITE, &me, vec![me.clone()], &to).await?;
                Ok((g.group_type, false))
            })
        })
        .await?;
    Ok(json!({ "group_type": t, "pending": pending }))
}

/// TIMGroupQuit. The owner may not quit (10009) except from a Private group, which then has no
/// owner; the last member leaving a Private group ends it.
pub(super) async fn quit_group(state: &State, me: &str, gid: String) -> Result<Value> {
    let me = me.to_string();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let g = lock_group(tx, &gid).await?;
                let role = require_role(tx, &gid, &me).await?;
                if role == member_role::OWNER && g.group_type != group_type::PRIVATE {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_SUPER_NOT_ALLOW_QUIT,
                        "the owner cannot quit this group; transfer the ownership or dismiss the group",
                    ));
                }
                tx.remove_member(&gid, &me).await?;
                let rest = tx.member_ids(&gid).await?;
                send_report(tx, &g, &me, report::QUIT, ReportText { op: &me, msg: "", user_data: "" }).await?;
                if rest.is_empty() {
                    tx.drop_group(&gid).await?;
                    return Ok(());
                }
                if role == member_role::OWNER {
                    tx.clear_owner(&gid).await?;
                }
                member_tip(tx, &g, tip::QUIT, &me, vec![me.clone()], &rest).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// TIMGroupInviteMember. Private: any member adds people at once. Public, ChatRoom, Community:
/// any member invites, and the invitee decides (a pendency for them, result 3). AVChatRoom: no.
pub(super) async fn invite_members(state: &State, me: &str, p: GroupInviteMemberParam) -> Result<Value> {
    let ids = batch_ids(&p.group_invite_member_param_identifier_array, "nobody to invite")?;
    check_len(&p.group_invite_member_param_user_data, TEXT_MAX, "the user data")?;
    let (me, gid, data) = (me.to_string(), p.group_invite_member_param_group_id, p.group_invite_member_param_user_data);
    let results = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let g = lock_group(tx, &gid).await?;
                require_role(tx, &gid, &me).await?;
                if is_av(g.group_type) {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "nobody can be invited into an AVChatRoom",
                    ));
                }
                let direct = g.group_type == group_type::PRIVATE;
                let mut count = tx.member_count(&gid).await?;
                let (mut results, mut added, mut full) = (Vec::new(), Vec::new(), false);
                for id in ids {
                    let r = if !user_known(tx, &id).await? {
                        hres::HANDLED_ERR
                    } else if tx.role(&gid, &id).await?.is_some() {
                        hres::INCLUDED
                    } else if direct {
                        if count >= g.max_members {
                            full = true;
                            hres::HANDLED_ERR
                        } else {
                            add_member(tx, &g, &id, member_role::NORMAL).await?;
                            count += 1;
                            added.push(id.clone());
                            hres::HANDLED_SUC
                        }
                    } else {
                        upsert_pendency(tx, &gid, ptype::INVITE_JOIN, (&me, &id), "", &data).await?;
                        let text = ReportText { op: &me, msg: "", user_data: &data };
                        send_report(tx, &g, &id, report::INVITE_REQ, text).await?;
                        hres::INVITED
                    };
                    results.push(GroupInviteMemberResult {
                        group_invite_member_result_identifier: id,
                        group_invite_member_result_result: r,
                    });
                }
                if full && added.is_empty() {
                    return Err(refused(codes::ERR_SVR_GROUP_FULL_MEMBER_COUNT, "the group is full"));
                }
                if !added.is_empty() {
                    let to = tx.member_ids(&gid).await?;
                    member_tip(tx, &g, tip::INVITE, &me, added.clone(), &to).await?;
                    for u in &added {
                        send_report(tx, &g, u, report::INVITE, ReportText { op: &me, msg: "", user_data: &data })
                            .await?;
                    }
                }
                Ok(results)
            })
        })
        .await?;
    Ok(json!(results))
}

/// TIMGroupDeleteMember. Private: the owner. Public, ChatRoom, Community: the owner and admins,
/// and only members whose role is below theirs. AVChatRoom: nobody.
pub(super) async fn delete_members(state: &State, me: &str, p: GroupDeleteMemberParam) -> Result<Value> {
    let ids = batch_ids(&p.group_delete_member_param_identifier_array, "nobody to remove")?;
    check_len(&p.group_delete_member_param_user_data, TEXT_MAX, "the user data")?;
    let (me, gid, data) = (me.to_string(), p.group_delete_member_param_group_id, p.group_delete_member_param_user_data);
    let results = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let g = lock_group(tx, &gid).await?;
                let my_role = require_role(tx, &gid, &me).await?;
                if is_av(g.group_type) {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "members of an AVChatRoom cannot be removed",
                    ));
                }
                if g.group_type == group_type::PRIVATE && my_role != member_role::OWNER {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only the owner removes members of a Private (Work) group",
                    ));
                }
                if my_role < member_role::ADMIN {
                    return Err(refused(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only the owner and admins remove members",
                    ));
                }
                let (mut results, mut removed) = (Vec::new(), Vec::new());
                for id in ids {
                    let r = match tx.role(&gid, &id).await? {
                        _ if id == me => hres::HANDLED_ERR,
                        None => hres::HANDLED_ERR,
                        Some(role) if role >= my_role => {
                            return Err(refused(
                                codes::ERR_SVR_GROUP_PERMISSION_DENY,
                                format!("{id} cannot be removed: only members below your role can"),
                            ))
                        }
                        Some(_) => {
                            tx.remove_member(&gid, &id).await?;
                            removed.push(id.clone());
                            hres::HANDLED_SUC
                        }
                    };
                    results.push(GroupDeleteMemberResult {
                        group_delete_member_result_identifier: id,
                        group_delete_member_result_result: r,
                    });
                }
                if !removed.is_empty() {
                    let rest = tx.member_ids(&gid).await?;
                    member_tip(tx, &g, tip::KICK, &me, removed.clone(), &rest).await?;
                    for u in &removed {
                        send_report(tx, &g, u, report::BE_KICKED, ReportText { op: &me, msg: "", user_data: &data })
                            .await?;
                    }
                }
                Ok(results)
            })
        })
        .await?;
    Ok(json!(results))
}
