//! Groups: every group call of seed 004, with the rules of each group type
//! (`rules::groups` holds the table) enforced here.
//!
//! Every mutation checks its rules inside the write job that changes the group, after
//! [`Tx::lock_group`], so two concurrent requests (two admins handling one join request, a kick
//! racing a quit) are judged one after the other on current data.
//!
//! - `create`: TIMGroupCreate
//! - `membership`: join, quit, invite, kick, dismiss
//! - `info`: joined list, group info, modify, transfer ownership
//! - `members`: member list, modify a member, receive option
//! - `pendency`: join requests and invitations
mod create;
mod info;
mod members;
mod membership;
mod pendency;

use confab_protocol::codes;
use confab_protocol::wire::{is_valid_user_id, Request};
use serde_json::Value;

use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Result};
use crate::store::{Conn, GroupRow, Tx};

/// Every group request.
pub async fn handle(state: &State, me: &str, req: Request) -> Result<Value> {
    match req {
        Request::CreateGroup { param } => create::create_group(state, me, param).await,
        Request::JoinedGroups => info::joined_groups(state, me).await,
        Request::DeleteGroup { group_id } => membership::delete_group(state, me, group_id).await,
        Request::JoinGroup { group_id, hello_msg } => membership::join_group(state, me, group_id, hello_msg).await,
        Request::QuitGroup { group_id } => membership::quit_group(state, me, group_id).await,
        Request::InviteMembers { param } => membership::invite_members(state, me, param).await,
        Request::DeleteMembers { param } => membership::delete_members(state, me, param).await,
        Request::GroupInfo { group_ids } => info::group_info(state, me, &group_ids).await,
        Request::ModifyGroupInfo { param } => info::modify_group_info(state, me, param).await,
        Request::MemberInfoList { param } => members::member_info_list(state, me, param).await,
        Request::ModifyMemberInfo { param } => members::modify_member_info(state, me, param).await,
        Request::GroupPendencyList { option } => pendency::pendency_list(state, me, option).await,
        Request::GroupPendencyRead { time } => pendency::pendency_read(state, me, time).await,
        Request::HandleGroupPendency { param } => pendency::handle_pendency(state, me, param).await,
        Request::SetGroupRecvOpt { group_id, opt } => members::set_recv_opt(state, me, group_id, opt).await,
        _ => Err(refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "not a group request")),
    }
}

/// A group, or 10010.
async fn require_group(db: &mut Conn, gid: &str) -> Result<GroupRow> {
    db.group(gid).await?.ok_or_else(|| refused(codes::ERR_SVR_GROUP_NOT_FOUND, "no such group"))
}

/// A group under its lock (see `store`), or 10010.
async fn lock_group(tx: &mut Tx, gid: &str) -> Result<GroupRow> {
    tx.lock_group(gid).await?.ok_or_else(|| refused(codes::ERR_SVR_GROUP_NOT_FOUND, "no such group"))
}

/// The caller's role; 10007 when the caller is not a member.
async fn require_role(db: &mut Conn, gid: &str, user: &str) -> Result<u32> {
    db.role(gid, user).await?.ok_or_else(|| refused(codes::ERR_SVR_GROUP_PERMISSION_DENY, "not a member of this group"))
}

async fn user_known(db: &mut Conn, user: &str) -> Result<bool> {
    Ok(is_valid_user_id(user) && db.user_exists(user).await?)
}

/// Add a member (10014 when the group is full).
async fn add_member(tx: &mut Tx, g: &GroupRow, user: &str, role: u32) -> Result<()> {
    if tx.member_count(&g.id).await? >= g.max_members {
        return Err(refused(codes::ERR_SVR_GROUP_FULL_MEMBER_COUNT, "the group is full"));
    }
    tx.insert_member(&g.id, user, role, now_secs()).await
}
