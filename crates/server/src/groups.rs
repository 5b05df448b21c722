//! Groups: every group call of seed 004, with the rules of each group type enforced here.
//!
//! | rule | Private (Work) | Public | ChatRoom (Meeting), Community | AVChatRoom (and BChatRoom) |
//! |---|---|---|---|---|
//! | join by applying | no (10007) | by add option: Forbid 10007, Auth → join request, Any → joined | free | free |
//! | invite | any member, joined at once | any member; the invitee must accept | as Public | nobody (10007) |
//! | kick | owner | owner, admins (only members below them) | as Public | nobody (10007) |
//! | quit | anyone (an owner leaves the group ownerless) | all but the owner (10009) | as Public | as Public |
//! | dismiss | nobody (10007) | owner | owner | owner |
//! | name, notification, introduction, face | any member | owner, admins | owner, admins | owner, admins |
//! | add option, max members, mute all, custom | owner, admins | owner, admins | owner, admins | owner, admins |
//! | transfer ownership | owner | owner | owner | nobody (10007) |
//! | set / cancel admin | owner | owner | owner | nobody (10007) |
//! | mute a member | owner, admins (only members below them) | same | same | same |
//! | history | stored | stored | stored | none: messages and tips reach online members only |
//!
//! Every mutation checks its rules inside the writer's transaction ([`Store::write`]), so two
//! concurrent requests (two admins handling one join request, a kick racing a quit) are judged
//! one after the other on current data.
//!
//! Events: group tips (elem_type 5) are messages of the group conversation, with the group's
//! next seq, sent by `@TIM#SYSTEM` to the members; group reports (elem_type 8) are messages of
//! one user's system conversation (conv type 3, conv id ""). Both go through the per-user inbox,
//! so members who are offline get them at their next login.
//!
//! [`Store::write`]: crate::store::Store::write
use std::sync::Arc;

use confab_protocol::codes;
use confab_protocol::enums::{
    conv_type, group_add_option, group_member_info_flag as info_flag, group_member_modify_flag as mflag,
    group_member_role_flag as role_flag, group_modify_info_flag as gflag, group_pendency_handle,
    group_pendency_handle_result, group_pendency_type as ptype, group_report_type as report,
    group_tip_change_flag as change, group_tip_type as tip, group_type, handle_group_member_result as hres,
    member_role, msg_status, recv_msg_opt, SYSTEM_SENDER,
};
use confab_protocol::group::{
    CreateGroupParam, CreateGroupResult, GetGroupInfoResult, GroupBaseInfo, GroupDeleteMemberParam,
    GroupDeleteMemberResult, GroupDetailInfo, GroupGetMemberInfoListParam, GroupGetMemberInfoListResult,
    GroupHandlePendencyParam, GroupInfoCustomString, GroupInviteMemberParam, GroupInviteMemberResult, GroupMemberInfo,
    GroupMemberInfoCustomString, GroupModifyInfoParam, GroupModifyMemberInfoParam, GroupPendency, GroupPendencyOption,
    GroupPendencyResult, GroupReportElem, GroupSelfInfo, GroupTipGroupChangeInfo, GroupTipMemberChangeInfo,
    GroupTipsElem,
};
use confab_protocol::wire::{is_valid_user_id, Event, Request};
use confab_protocol::{Elem, Message, UserProfile};
use rand::Rng;
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::api::{e, ApiError, ApiResult};
use crate::config::now_secs;
use crate::store::{StoreError, StoredEvent, WriteCtx};
use crate::State;

const NAME_MAX: usize = 30;
const INTRODUCTION_MAX: usize = 240;
const NOTIFICATION_MAX: usize = 300;
const FACE_URL_MAX: usize = 100;
const NAME_CARD_MAX: usize = 50;
const GROUP_ID_MAX: usize = 48;
/// Hello messages, handle messages and custom data.
const TEXT_MAX: usize = 1024;
const CUSTOM_KEYS_MAX: usize = 20;
const CUSTOM_KEY_MAX: usize = 32;
const CUSTOM_VALUE_MAX: usize = 512;
/// Users per invite / kick request and groups per info request.
const BATCH_MAX: usize = 500;
/// Members per page of `TIMGroupGetMemberInfoList`.
pub(crate) const MEMBER_PAGE: usize = 50;
const PENDENCY_PAGE: u32 = 20;
const PENDENCY_PAGE_MAX: u32 = 100;

/// The member limit of a group type (spec §7).
pub(crate) fn max_members(t: u32) -> u32 {
    match t {
        group_type::PRIVATE => 200,
        group_type::PUBLIC => 2000,
        group_type::CHAT_ROOM => 6000,
        group_type::COMMUNITY => 100_000,
        _ => u32::MAX,
    }
}

/// Live-broadcast rooms: no stored history, no kick, no invite, no roles.
fn is_av(t: u32) -> bool {
    t == group_type::AV_CHAT_ROOM || t == group_type::B_CHAT_ROOM
}

/// Caller-chosen group ids: printable ASCII without spaces, at most 48 bytes; `@TGS#` is
/// reserved for server-assigned ids, except that Community ids must start with `@TGS#_`.
fn valid_custom_group_id(id: &str, t: u32) -> bool {
    let shape = !id.is_empty() && id.len() <= GROUP_ID_MAX && id.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if t == group_type::COMMUNITY {
        shape && id.starts_with("@TGS#_") && id.len() > 6
    } else {
        shape && !id.starts_with("@TGS#")
    }
}

fn deny(code: i32, desc: impl Into<String>) -> StoreError {
    StoreError::Refused(code, desc.into())
}

fn corrupt(err: serde_json::Error) -> StoreError {
    StoreError::Corrupt(err.to_string())
}

fn random_hex(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n).map(|_| format!("{:x}", rng.gen::<u8>() & 0xf)).collect()
}

/// Seconds; a 13-digit value is taken as milliseconds.
fn secs(t: u64) -> u64 {
    if t > 100_000_000_000 {
        t / 1000
    } else {
        t
    }
}

// ---- rows ----

#[derive(Debug, Clone)]
struct GroupRow {
    id: String,
    group_type: u32,
    name: String,
    owner: String,
    notification: String,
    introduction: String,
    face_url: String,
    add_option: u32,
    max_members: u32,
    create_time: u64,
    info_seq: u64,
    last_info_time: u64,
    shutup_all: bool,
    visible: u32,
    searchable: u32,
    custom: Vec<GroupInfoCustomString>,
}

const GROUP_COLUMNS: &str = "group_id, group_type, name, owner, notification, introduction, face_url, add_option, \
     max_members, create_time, info_seq, last_info_time, shutup_all, visible, searchable, custom_info";

impl GroupRow {
    fn from_row(r: &SqliteRow) -> Result<GroupRow, StoreError> {
        Ok(GroupRow {
            id: r.get("group_id"),
            group_type: r.get::<i64, _>("group_type") as u32,
            name: r.get("name"),
            owner: r.get("owner"),
            notification: r.get("notification"),
            introduction: r.get("introduction"),
            face_url: r.get("face_url"),
            add_option: r.get::<i64, _>("add_option") as u32,
            max_members: r.get::<i64, _>("max_members") as u32,
            create_time: r.get::<i64, _>("create_time") as u64,
            info_seq: r.get::<i64, _>("info_seq") as u64,
            last_info_time: r.get::<i64, _>("last_info_time") as u64,
            shutup_all: r.get::<i64, _>("shutup_all") != 0,
            visible: r.get::<i64, _>("visible") as u32,
            searchable: r.get::<i64, _>("searchable") as u32,
            custom: serde_json::from_str(r.get::<&str, _>("custom_info")).map_err(corrupt)?,
        })
    }
}

#[derive(Debug, Clone)]
struct MemberRow {
    user_id: String,
    role: u32,
    join_time: u64,
    msg_flag: u32,
    shutup_until: u64,
    name_card: String,
    custom: Vec<GroupMemberInfoCustomString>,
    nick_name: String,
    face_url: String,
}

const MEMBER_SELECT: &str = "SELECT m.user_id, m.role, m.join_time, m.msg_flag, m.shutup_until, m.name_card, \
     m.custom_info, COALESCE(u.nick_name, '') AS nick_name, COALESCE(u.face_url, '') AS face_url \
     FROM group_members m LEFT JOIN users u ON u.user_id = m.user_id";

impl MemberRow {
    fn from_row(r: &SqliteRow) -> Result<MemberRow, StoreError> {
        Ok(MemberRow {
            user_id: r.get("user_id"),
            role: r.get::<i64, _>("role") as u32,
            join_time: r.get::<i64, _>("join_time") as u64,
            msg_flag: r.get::<i64, _>("msg_flag") as u32,
            shutup_until: r.get::<i64, _>("shutup_until") as u64,
            name_card: r.get("name_card"),
            custom: serde_json::from_str(r.get::<&str, _>("custom_info")).map_err(corrupt)?,
            nick_name: r.get("nick_name"),
            face_url: r.get("face_url"),
        })
    }

    /// The member as `TIMGroupGetMemberInfoList` shows it, with the fields `flags` asks for.
    fn info(&self, group_id: &str, flags: u64, keys: &[String]) -> GroupMemberInfo {
        let has = |bit: u64| flags & bit != 0;
        let now = now_secs();
        GroupMemberInfo {
            group_member_info_identifier: self.user_id.clone(),
            group_member_info_group_id: group_id.to_string(),
            group_member_info_join_time: if has(info_flag::JOIN_TIME) { self.join_time } else { 0 },
            group_member_info_member_role: if has(info_flag::MEMBER_ROLE) { self.role } else { 0 },
            group_member_info_msg_flag: if has(info_flag::MSG_FLAG) { self.msg_flag } else { 0 },
            group_member_info_shutup_time: if has(info_flag::SHUTUP_UNTILL) && self.shutup_until > now {
                self.shutup_until
            } else {
                0
            },
            group_member_info_name_card: if has(info_flag::NAME_CARD) { self.name_card.clone() } else { String::new() },
            group_member_info_nick_name: self.nick_name.clone(),
            group_member_info_face_url: self.face_url.clone(),
            group_member_info_custom_info: self
                .custom
                .iter()
                .filter(|c| keys.is_empty() || keys.contains(&c.group_member_info_custom_string_info_key))
                .cloned()
                .collect(),
            ..Default::default()
        }
    }
}

async fn load_group(c: &mut SqliteConnection, gid: &str) -> Result<Option<GroupRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {GROUP_COLUMNS} FROM groups WHERE group_id = ?"))
        .bind(gid)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| GroupRow::from_row(&r)).transpose()
}

async fn require_group(c: &mut SqliteConnection, gid: &str) -> Result<GroupRow, StoreError> {
    load_group(c, gid).await?.ok_or_else(|| deny(codes::ERR_SVR_GROUP_NOT_FOUND, "no such group"))
}

async fn load_member(c: &mut SqliteConnection, gid: &str, user: &str) -> Result<Option<MemberRow>, StoreError> {
    let row = sqlx::query(&format!("{MEMBER_SELECT} WHERE m.group_id = ? AND m.user_id = ?"))
        .bind(gid)
        .bind(user)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| MemberRow::from_row(&r)).transpose()
}

async fn role_in(c: &mut SqliteConnection, gid: &str, user: &str) -> Result<Option<u32>, StoreError> {
    let role: Option<i64> = sqlx::query_scalar("SELECT role FROM group_members WHERE group_id = ? AND user_id = ?")
        .bind(gid)
        .bind(user)
        .fetch_optional(&mut *c)
        .await?;
    Ok(role.map(|r| r as u32))
}

/// The caller's role; 10007 when the caller is not a member.
async fn require_role(c: &mut SqliteConnection, gid: &str, user: &str) -> Result<u32, StoreError> {
    role_in(c, gid, user).await?.ok_or_else(|| deny(codes::ERR_SVR_GROUP_PERMISSION_DENY, "not a member of this group"))
}

async fn member_ids(c: &mut SqliteConnection, gid: &str) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id")
        .bind(gid)
        .fetch_all(&mut *c)
        .await?)
}

async fn member_count(c: &mut SqliteConnection, gid: &str) -> Result<u32, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM group_members WHERE group_id = ?")
        .bind(gid)
        .fetch_one(&mut *c)
        .await?;
    Ok(n as u32)
}

async fn user_known(c: &mut SqliteConnection, user: &str) -> Result<bool, StoreError> {
    if !is_valid_user_id(user) {
        return Ok(false);
    }
    Ok(sqlx::query_scalar::<_, i64>("SELECT 1 FROM users WHERE user_id = ?")
        .bind(user)
        .fetch_optional(&mut *c)
        .await?
        .is_some())
}

async fn profile_in(c: &mut SqliteConnection, user: &str) -> Result<UserProfile, StoreError> {
    Ok(crate::store::load_profile(&mut *c, user).await?)
}

/// Add a member (10014 when the group is full).
async fn add_member(c: &mut SqliteConnection, g: &GroupRow, user: &str, role: u32) -> Result<(), StoreError> {
    if member_count(c, &g.id).await? >= g.max_members {
        return Err(deny(codes::ERR_SVR_GROUP_FULL_MEMBER_COUNT, "the group is full"));
    }
    sqlx::query("INSERT INTO group_members (group_id, user_id, role, join_time) VALUES (?, ?, ?, ?)")
        .bind(&g.id)
        .bind(user)
        .bind(role as i64)
        .bind(now_secs() as i64)
        .execute(&mut *c)
        .await?;
    Ok(())
}

async fn remove_member(c: &mut SqliteConnection, gid: &str, user: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM group_members WHERE group_id = ? AND user_id = ?").bind(gid).bind(user).execute(c).await?;
    Ok(())
}

async fn drop_group(c: &mut SqliteConnection, gid: &str) -> Result<(), StoreError> {
    for sql in [
        "DELETE FROM group_members WHERE group_id = ?",
        "DELETE FROM group_pendency WHERE group_id = ?",
        "DELETE FROM groups WHERE group_id = ?",
    ] {
        sqlx::query(sql).bind(gid).execute(&mut *c).await?;
    }
    Ok(())
}

fn dedup(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

// ---- events ----

/// A server-generated message (sender `@TIM#SYSTEM`) holding one element.
fn system_msg(ct: u32, conv_id: &str, elem: Elem) -> Message {
    let now = now_secs();
    let mut rng = rand::thread_rng();
    Message {
        message_elem_array: vec![elem],
        message_conv_id: conv_id.to_string(),
        message_conv_type: ct,
        message_sender: SYSTEM_SENDER.to_string(),
        message_client_time: now,
        message_server_time: now,
        message_status: msg_status::SEND_SUCC,
        message_msg_id: format!("sys-{now}-{:x}", rng.gen::<u64>()),
        message_rand: u64::from(rng.gen::<u32>()),
        message_unique_id: (1u64 << 62) | (rng.gen::<u64>() >> 2),
        ..Default::default()
    }
}

/// Store a message with the next seq of its conversation; returns its row id.
async fn store_msg(ctx: &mut WriteCtx, ct: u32, conv_key: &str, msg: &mut Message) -> Result<i64, StoreError> {
    msg.message_seq = ctx.next_conv_seq(ct, conv_key).await?;
    let body = serde_json::to_string(msg).map_err(corrupt)?;
    let id = sqlx::query(
        "INSERT INTO messages (msg_id, conv_type, conv_key, seq, sender, server_time, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&msg.message_msg_id)
    .bind(ct as i64)
    .bind(conv_key)
    .bind(msg.message_seq as i64)
    .bind(&msg.message_sender)
    .bind(msg.message_server_time as i64)
    .bind(body)
    .execute(&mut ctx.conn)
    .await?
    .last_insert_rowid();
    Ok(id)
}

/// Group tips to `to`: a message of the group conversation with the group's next seq. In an
/// AVChatRoom nothing is stored; the tips reach whoever of `to` is online now.
async fn send_tip(ctx: &mut WriteCtx, g: &GroupRow, mut t: GroupTipsElem, to: &[String]) -> Result<(), StoreError> {
    t.group_tips_elem_group_id = g.id.clone();
    t.group_tips_elem_group_name = g.name.clone();
    t.group_tips_elem_time = now_secs();
    if !t.group_tips_elem_op_user.is_empty() {
        t.group_tips_elem_op_user_info = Some(profile_in(&mut ctx.conn, &t.group_tips_elem_op_user).await?);
        if let Some(m) = load_member(&mut ctx.conn, &g.id, &t.group_tips_elem_op_user).await? {
            t.group_tips_elem_op_group_memberinfo = Some(m.info(&g.id, u64::MAX, &[]));
        }
    }
    if t.group_tips_elem_changed_user_info_array.is_empty() {
        for u in t.group_tips_elem_user_array.clone() {
            let p = profile_in(&mut ctx.conn, &u).await?;
            t.group_tips_elem_changed_user_info_array.push(p);
        }
    }
    let mut msg = system_msg(conv_type::GROUP, &g.id, Elem::GroupTips(Box::new(t)));
    if is_av(g.group_type) {
        for u in to {
            ctx.push_unstored(u, Event::NewMsg { msg: msg.clone() });
        }
        return Ok(());
    }
    let id = store_msg(ctx, conv_type::GROUP, &g.id, &mut msg).await?;
    for u in to {
        ctx.append_inbox(u, &StoredEvent::Msg { id }, Event::NewMsg { msg: msg.clone() }).await?;
    }
    Ok(())
}

/// A membership tip (join, quit, kick, set / cancel admin) about `users`.
async fn member_tip(
    ctx: &mut WriteCtx,
    g: &GroupRow,
    tip_type: u32,
    op: &str,
    users: Vec<String>,
    to: &[String],
) -> Result<(), StoreError> {
    let n = member_count(&mut ctx.conn, &g.id).await?;
    let t = GroupTipsElem {
        group_tips_elem_tip_type: tip_type,
        group_tips_elem_op_user: op.to_string(),
        group_tips_elem_user_array: users,
        group_tips_elem_member_num: n,
        ..Default::default()
    };
    send_tip(ctx, g, t, to).await
}

/// What a group report says, besides its type.
struct ReportText<'a> {
    op: &'a str,
    msg: &'a str,
    user_data: &'a str,
}

/// A group report to one user: a message of that user's system conversation.
async fn send_report(
    ctx: &mut WriteCtx,
    g: &GroupRow,
    to: &str,
    kind: u32,
    text: ReportText<'_>,
) -> Result<(), StoreError> {
    let mut r = GroupReportElem {
        group_report_elem_report_type: kind,
        group_report_elem_group_id: g.id.clone(),
        group_report_elem_group_name: g.name.clone(),
        group_report_elem_op_user: text.op.to_string(),
        group_report_elem_msg: text.msg.to_string(),
        group_report_elem_user_data: text.user_data.to_string(),
        ..Default::default()
    };
    if !text.op.is_empty() {
        r.group_report_elem_op_user_info = Some(profile_in(&mut ctx.conn, text.op).await?);
        if let Some(m) = load_member(&mut ctx.conn, &g.id, text.op).await? {
            r.group_report_elem_op_group_memberinfo = Some(m.info(&g.id, u64::MAX, &[]));
        }
    }
    let mut msg = system_msg(conv_type::SYSTEM, "", Elem::GroupReport(Box::new(r)));
    let id = store_msg(ctx, conv_type::SYSTEM, to, &mut msg).await?;
    ctx.append_inbox(to, &StoredEvent::Msg { id }, Event::NewMsg { msg }).await?;
    Ok(())
}

// ---- entry points ----

/// Every group request.
pub(crate) async fn handle(state: &Arc<State>, me: &str, req: Request) -> ApiResult {
    match req {
        Request::CreateGroup { param } => create_group(state, me, param).await,
        Request::JoinedGroups => joined_groups(state, me).await,
        Request::DeleteGroup { group_id } => delete_group(state, me, group_id).await,
        Request::JoinGroup { group_id, hello_msg } => join_group(state, me, group_id, hello_msg).await,
        Request::QuitGroup { group_id } => quit_group(state, me, group_id).await,
        Request::InviteMembers { param } => invite_members(state, me, param).await,
        Request::DeleteMembers { param } => delete_members(state, me, param).await,
        Request::GroupInfo { group_ids } => group_info(state, me, &group_ids).await,
        Request::ModifyGroupInfo { param } => modify_group_info(state, me, param).await,
        Request::MemberInfoList { param } => member_info_list(state, me, param).await,
        Request::ModifyMemberInfo { param } => modify_member_info(state, me, param).await,
        Request::GroupPendencyList { option } => pendency_list(state, me, option).await,
        Request::GroupPendencyRead { time } => pendency_read(state, me, time).await,
        Request::HandleGroupPendency { param } => handle_pendency(state, me, param).await,
        Request::SetGroupRecvOpt { group_id, opt } => set_recv_opt(state, me, group_id, opt).await,
        _ => Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "not a group request")),
    }
}

pub(crate) async fn group_exists(state: &State, group: &str) -> Result<bool, ApiError> {
    let mut c = state.store.read.acquire().await?;
    Ok(load_group(&mut c, group).await?.is_some())
}

pub(crate) async fn member_role_of(state: &State, group: &str, user: &str) -> Result<Option<u32>, ApiError> {
    let mut c = state.store.read.acquire().await?;
    Ok(role_in(&mut c, group, user).await?)
}

/// Who gets a message `me` sends to a group, once the mute rules let it through.
pub(crate) struct SendGate {
    /// AVChatRoom: not stored; delivered to the members online now.
    pub online_only: bool,
    pub recipients: Vec<String>,
}

/// The group rules of sending (the caller already checked membership): a muted member, or
/// anyone but the owner and admins under mute-all, gets 10017. Members who chose not to receive
/// group messages are left out (they can still read the history).
pub(crate) async fn send_gate(state: &State, gid: &str, me: &str) -> Result<SendGate, ApiError> {
    let mut c = state.store.read.acquire().await?;
    let g = require_group(&mut c, gid).await?;
    let m = load_member(&mut c, gid, me)
        .await?
        .ok_or_else(|| e(codes::ERR_SVR_GROUP_PERMISSION_DENY, "not a member of this group"))?;
    let now = now_secs();
    if m.shutup_until > now {
        return Err(e(
            codes::ERR_SVR_GROUP_SHUTUP_DENY,
            format!("you are muted in this group until {}", m.shutup_until),
        ));
    }
    if g.shutup_all && m.role < member_role::ADMIN {
        return Err(e(codes::ERR_SVR_GROUP_SHUTUP_DENY, "everyone but the owner and admins is muted in this group"));
    }
    if is_av(g.group_type) {
        let recipients =
            member_ids(&mut c, gid).await?.into_iter().filter(|u| u != me && state.hub.is_online(u)).collect();
        return Ok(SendGate { online_only: true, recipients });
    }
    let recipients: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM group_members WHERE group_id = ? AND (msg_flag != ? OR user_id = ?)")
            .bind(gid)
            .bind(recv_msg_opt::NOT_RECEIVE as i64)
            .bind(me)
            .fetch_all(&mut *c)
            .await?;
    Ok(SendGate { online_only: false, recipients })
}

fn check_len(v: &str, max: usize, what: &str) -> Result<(), ApiError> {
    if v.len() > max {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, format!("{what} is longer than {max} bytes")));
    }
    Ok(())
}

fn check_name(v: &str) -> Result<(), ApiError> {
    if v.is_empty() {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "the group name is empty"));
    }
    check_len(v, NAME_MAX, "the group name")
}

fn check_group_custom(items: &[GroupInfoCustomString]) -> Result<(), ApiError> {
    if items.len() > CUSTOM_KEYS_MAX {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "too many custom fields"));
    }
    for c in items {
        check_custom_pair(&c.group_info_custom_string_info_key, &c.group_info_custom_string_info_value)?;
    }
    Ok(())
}

fn check_member_custom(items: &[GroupMemberInfoCustomString]) -> Result<(), ApiError> {
    if items.len() > CUSTOM_KEYS_MAX {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "too many custom fields"));
    }
    for c in items {
        check_custom_pair(&c.group_member_info_custom_string_info_key, &c.group_member_info_custom_string_info_value)?;
    }
    Ok(())
}

fn check_custom_pair(k: &str, v: &str) -> Result<(), ApiError> {
    if k.is_empty() || k.len() > CUSTOM_KEY_MAX {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "custom field keys are 1 to 32 bytes"));
    }
    check_len(v, CUSTOM_VALUE_MAX, "a custom field value")
}

/// Merge custom fields by key; an empty value removes the key.
fn merge_custom<T: Clone>(
    cur: &mut Vec<T>,
    new: &[T],
    key: impl Fn(&T) -> &str,
    value: impl Fn(&T) -> &str,
) -> Result<(), StoreError> {
    for n in new {
        cur.retain(|c| key(c) != key(n));
        if !value(n).is_empty() {
            cur.push(n.clone());
        }
    }
    if cur.len() > CUSTOM_KEYS_MAX {
        return Err(deny(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "too many custom fields"));
    }
    Ok(())
}

async fn create_group(state: &Arc<State>, me: &str, p: CreateGroupParam) -> ApiResult {
    let t = p.create_group_param_group_type;
    if t > group_type::COMMUNITY {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "unknown group type"));
    }
    check_name(&p.create_group_param_group_name)?;
    check_len(&p.create_group_param_introduction, INTRODUCTION_MAX, "the introduction")?;
    check_len(&p.create_group_param_notification, NOTIFICATION_MAX, "the notification")?;
    check_len(&p.create_group_param_face_url, FACE_URL_MAX, "the face url")?;
    check_group_custom(&p.create_group_param_custom_info)?;
    let add_option = p.create_group_param_add_option.unwrap_or(group_add_option::ANY);
    if add_option > group_add_option::ANY {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "unknown add option"));
    }
    let gid = if p.create_group_param_group_id.is_empty() {
        let suffix: String =
            rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(10).map(char::from).collect();
        if t == group_type::COMMUNITY {
            format!("@TGS#_{suffix}")
        } else {
            format!("@TGS#{suffix}")
        }
    } else if valid_custom_group_id(&p.create_group_param_group_id, t) {
        p.create_group_param_group_id.clone()
    } else {
        return Err(e(
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
                return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "the owner role cannot be given to a member"))
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
        return Err(e(codes::ERR_SVR_GROUP_FULL_MEMBER_COUNT, "too many members for this group type"));
    }
    for (m, _) in &members {
        if !crate::api::user_exists(state, m).await? {
            return Err(e(codes::ERR_SVR_GROUP_ACCOUNT_NOT_FOUND, format!("no such user: {m}")));
        }
    }
    let custom = serde_json::to_string(&p.create_group_param_custom_info).unwrap_or_else(|_| "[]".into());
    let me = me.to_string();
    let g = gid.clone();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let now = now_secs() as i64;
                let r = sqlx::query(
                    "INSERT OR IGNORE INTO groups (group_id, group_type, name, owner, notification, introduction, face_url, \
                     add_option, max_members, create_time, last_info_time, custom_info) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&g)
                .bind(t as i64)
                .bind(&p.create_group_param_group_name)
                .bind(&me)
                .bind(&p.create_group_param_notification)
                .bind(&p.create_group_param_introduction)
                .bind(&p.create_group_param_face_url)
                .bind(add_option as i64)
                .bind(i64::from(max))
                .bind(now)
                .bind(now)
                .bind(custom)
                .execute(&mut ctx.conn)
                .await?;
                if r.rows_affected() == 0 {
                    return Err(deny(codes::ERR_SVR_GROUP_GROUPID_IN_USED, "group id already in use"));
                }
                // A re-used id (the earlier group was dismissed) starts a fresh history.
                sqlx::query(
                    "UPDATE groups SET history_floor = \
                     (SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conv_type = ? AND conv_key = ?) WHERE group_id = ?",
                )
                .bind(conv_type::GROUP as i64)
                .bind(&g)
                .bind(&g)
                .execute(&mut ctx.conn)
                .await?;
                let owner_row = std::iter::once((me.clone(), member_role::OWNER));
                for (u, role) in owner_row.chain(members) {
                    sqlx::query("INSERT INTO group_members (group_id, user_id, role, join_time) VALUES (?, ?, ?, ?)")
                        .bind(&g)
                        .bind(&u)
                        .bind(role as i64)
                        .bind(now)
                        .execute(&mut ctx.conn)
                        .await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(json!(CreateGroupResult { create_group_result_groupid: gid }))
}

async fn joined_groups(state: &Arc<State>, me: &str) -> ApiResult {
    let rows = sqlx::query(
        "SELECT g.group_id, g.name, g.group_type, g.face_url, g.info_seq, g.shutup_all, m.role, m.join_time, m.msg_flag,
                (SELECT MAX(seq) FROM messages WHERE conv_type = 2 AND conv_key = g.group_id) AS latest,
                COALESCE((SELECT time FROM read_marks WHERE user_id = m.user_id AND conv_type = 2 AND conv_id = g.group_id), 0) AS read_time
         FROM group_members m JOIN groups g ON g.group_id = m.group_id WHERE m.user_id = ? ORDER BY g.group_id",
    )
    .bind(me)
    .fetch_all(&state.store.read)
    .await?;
    let mut out: Vec<GroupBaseInfo> = Vec::with_capacity(rows.len());
    for r in &rows {
        let gid: String = r.get("group_id");
        let read_time: i64 = r.get("read_time");
        let join_time: i64 = r.get("join_time");
        let readed: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(seq) FROM messages WHERE conv_type = 2 AND conv_key = ? AND server_time <= ?",
        )
        .bind(&gid)
        .bind(read_time)
        .fetch_one(&state.store.read)
        .await?;
        let unread: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE conv_type = 2 AND conv_key = ? AND server_time > ? AND server_time >= ? AND sender != ?",
        )
        .bind(&gid)
        .bind(read_time)
        .bind(join_time)
        .bind(me)
        .fetch_one(&state.store.read)
        .await?;
        let msg_flag = r.get::<i64, _>("msg_flag") as u32;
        out.push(GroupBaseInfo {
            group_base_info_group_id: gid,
            group_base_info_group_name: r.get("name"),
            group_base_info_group_type: r.get::<i64, _>("group_type") as u32,
            group_base_info_face_url: r.get("face_url"),
            group_base_info_info_seq: r.get::<i64, _>("info_seq") as u64,
            group_base_info_lastest_seq: r.get::<Option<i64>, _>("latest").unwrap_or(0) as u64,
            group_base_info_readed_seq: readed.unwrap_or(0) as u64,
            group_base_info_msg_flag: msg_flag,
            group_base_info_is_shutup_all: r.get::<i64, _>("shutup_all") != 0,
            group_base_info_self_info: GroupSelfInfo {
                group_self_info_join_time: join_time as u64,
                group_self_info_role: r.get::<i64, _>("role") as u32,
                group_self_info_unread_num: unread as u64,
                group_self_info_msg_flag: msg_flag,
            },
        });
    }
    Ok(json!(out))
}

/// TIMGroupDelete: the owner dismisses a group (never a Private one); every member is told.
async fn delete_group(state: &Arc<State>, me: &str, gid: String) -> ApiResult {
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let g = require_group(&mut ctx.conn, &gid).await?;
                require_role(&mut ctx.conn, &gid, &me).await?;
                if g.group_type == group_type::PRIVATE {
                    return Err(deny(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "nobody can dismiss a Private (Work) group",
                    ));
                }
                if g.owner != me {
                    return Err(deny(codes::ERR_SVR_GROUP_PERMISSION_DENY, "only the owner can dismiss the group"));
                }
                let members = member_ids(&mut ctx.conn, &gid).await?;
                for u in &members {
                    send_report(ctx, &g, u, report::DELETE, ReportText { op: &me, msg: "", user_data: "" }).await?;
                }
                drop_group(&mut ctx.conn, &gid).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// Insert a pendency, or refresh the open one with the same parties.
async fn upsert_pendency(
    c: &mut SqliteConnection,
    gid: &str,
    kind: u32,
    (from, to): (&str, &str),
    msg: &str,
    data: &str,
) -> Result<(), StoreError> {
    let now = now_secs() as i64;
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM group_pendency WHERE group_id = ? AND pendency_type = ? AND from_user = ? AND to_user = ? AND handled = 0",
    )
    .bind(gid)
    .bind(kind as i64)
    .bind(from)
    .bind(to)
    .fetch_optional(&mut *c)
    .await?;
    match open {
        Some(id) => {
            sqlx::query("UPDATE group_pendency SET add_time = ?, apply_msg = ?, from_user_data = ? WHERE id = ?")
                .bind(now)
                .bind(msg)
                .bind(data)
                .bind(id)
                .execute(&mut *c)
                .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO group_pendency (group_id, pendency_type, from_user, to_user, add_time, apply_msg, from_user_data, secret)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(gid)
            .bind(kind as i64)
            .bind(from)
            .bind(to)
            .bind(now)
            .bind(msg)
            .bind(data)
            .bind(random_hex(16))
            .execute(&mut *c)
            .await?;
        }
    }
    Ok(())
}

/// TIMGroupJoin. Answers `{"group_type", "pending"}`.
async fn join_group(state: &Arc<State>, me: &str, gid: String, hello: String) -> ApiResult {
    check_len(&hello, TEXT_MAX, "the hello message")?;
    let me = me.to_string();
    let (t, pending) = state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let g = require_group(&mut ctx.conn, &gid).await?;
                if role_in(&mut ctx.conn, &gid, &me).await?.is_some() {
                    return Err(deny(codes::ERR_SVR_GROUP_ALLREADY_MEMBER, "already a member of this group"));
                }
                let needs_approval = match g.group_type {
                    group_type::PRIVATE => {
                        return Err(deny(
                            codes::ERR_SVR_GROUP_PERMISSION_DENY,
                            "a Private (Work) group cannot be joined by applying; a member must invite you",
                        ))
                    }
                    group_type::PUBLIC => match g.add_option {
                        group_add_option::FORBID => {
                            return Err(deny(
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
                    upsert_pendency(&mut ctx.conn, &gid, ptype::REQUEST_JOIN, (&me, ""), &hello, "").await?;
                    let deciders: Vec<String> = sqlx::query_scalar(
                        "SELECT user_id FROM group_members WHERE group_id = ? AND role >= ? ORDER BY user_id",
                    )
                    .bind(&gid)
                    .bind(member_role::ADMIN as i64)
                    .fetch_all(&mut ctx.conn)
                    .await?;
                    for d in &deciders {
                        let text = ReportText { op: &me, msg: &hello, user_data: "" };
                        send_report(ctx, &g, d, report::ADD_REQUEST, text).await?;
                    }
                    return Ok((g.group_type, true));
                }
                add_member(&mut ctx.conn, &g, &me, member_role::NORMAL).await?;
                let to = member_ids(&mut ctx.conn, &gid).await?;
                member_tip(ctx, &g, tip::INVITE, &me, vec![me.clone()], &to).await?;
                Ok((g.group_type, false))
            })
        })
        .await?;
    Ok(json!({ "group_type": t, "pending": pending }))
}

/// TIMGroupQuit. The owner may not quit (10009) except from a Private group, which then has no
/// owner; the last member leaving a Private group ends it.
async fn quit_group(state: &Arc<State>, me: &str, gid: String) -> ApiResult {
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let g = require_group(&mut ctx.conn, &gid).await?;
                let role = require_role(&mut ctx.conn, &gid, &me).await?;
                if role == member_role::OWNER && g.group_type != group_type::PRIVATE {
                    return Err(deny(
                        codes::ERR_SVR_GROUP_SUPER_NOT_ALLOW_QUIT,
                        "the owner cannot quit this group; transfer the ownership or dismiss the group",
                    ));
                }
                remove_member(&mut ctx.conn, &gid, &me).await?;
                let rest = member_ids(&mut ctx.conn, &gid).await?;
                send_report(ctx, &g, &me, report::QUIT, ReportText { op: &me, msg: "", user_data: "" }).await?;
                if rest.is_empty() {
                    drop_group(&mut ctx.conn, &gid).await?;
                    return Ok(());
                }
                if role == member_role::OWNER {
                    sqlx::query("UPDATE groups SET owner = '' WHERE group_id = ?")
                        .bind(&gid)
                        .execute(&mut ctx.conn)
                        .await?;
                }
                member_tip(ctx, &g, tip::QUIT, &me, vec![me.clone()], &rest).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// The users of an invite or kick: deduplicated, 1 to BATCH_MAX of them.
fn batch_ids(list: &[String], empty: &str) -> Result<Vec<String>, ApiError> {
    let ids = dedup(list);
    if ids.is_empty() {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, empty));
    }
    if ids.len() > BATCH_MAX {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "at most 500 users per request"));
    }
    Ok(ids)
}

/// TIMGroupInviteMember. Private: any member adds people at once. Public, ChatRoom, Community:
/// any member invites, and the invitee decides (a pendency for them, result 3). AVChatRoom: no.
async fn invite_members(state: &Arc<State>, me: &str, p: GroupInviteMemberParam) -> ApiResult {
    let ids = batch_ids(&p.group_invite_member_param_identifier_array, "nobody to invite")?;
    check_len(&p.group_invite_member_param_user_data, TEXT_MAX, "the user data")?;
    let (me, gid, data) = (me.to_string(), p.group_invite_member_param_group_id, p.group_invite_member_param_user_data);
    let results = state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let g = require_group(&mut ctx.conn, &gid).await?;
                require_role(&mut ctx.conn, &gid, &me).await?;
                if is_av(g.group_type) {
                    return Err(deny(codes::ERR_SVR_GROUP_PERMISSION_DENY, "nobody can be invited into an AVChatRoom"));
                }
                let direct = g.group_type == group_type::PRIVATE;
                let mut count = member_count(&mut ctx.conn, &gid).await?;
                let (mut results, mut added, mut full) = (Vec::new(), Vec::new(), false);
                for id in ids {
                    let r = if !user_known(&mut ctx.conn, &id).await? {
                        hres::HANDLED_ERR
                    } else if role_in(&mut ctx.conn, &gid, &id).await?.is_some() {
                        hres::INCLUDED
                    } else if direct {
                        if count >= g.max_members {
                            full = true;
                            hres::HANDLED_ERR
                        } else {
                            add_member(&mut ctx.conn, &g, &id, member_role::NORMAL).await?;
                            count += 1;
                            added.push(id.clone());
                            hres::HANDLED_SUC
                        }
                    } else {
                        upsert_pendency(&mut ctx.conn, &gid, ptype::INVITE_JOIN, (&me, &id), "", &data).await?;
                        let text = ReportText { op: &me, msg: "", user_data: &data };
                        send_report(ctx, &g, &id, report::INVITE_REQ, text).await?;
                        hres::INVITED
                    };
                    results.push(GroupInviteMemberResult {
                        group_invite_member_result_identifier: id,
                        group_invite_member_result_result: r,
                    });
                }
                if full && added.is_empty() {
                    return Err(deny(codes::ERR_SVR_GROUP_FULL_MEMBER_COUNT, "the group is full"));
                }
                if !added.is_empty() {
                    let to = member_ids(&mut ctx.conn, &gid).await?;
                    member_tip(ctx, &g, tip::INVITE, &me, added.clone(), &to).await?;
                    for u in &added {
                        send_report(ctx, &g, u, report::INVITE, ReportText { op: &me, msg: "", user_data: &data })
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
async fn delete_members(state: &Arc<State>, me: &str, p: GroupDeleteMemberParam) -> ApiResult {
    let ids = batch_ids(&p.group_delete_member_param_identifier_array, "nobody to remove")?;
    check_len(&p.group_delete_member_param_user_data, TEXT_MAX, "the user data")?;
    let (me, gid, data) = (me.to_string(), p.group_delete_member_param_group_id, p.group_delete_member_param_user_data);
    let results = state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let g = require_group(&mut ctx.conn, &gid).await?;
                let my_role = require_role(&mut ctx.conn, &gid, &me).await?;
                if is_av(g.group_type) {
                    return Err(deny(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "members of an AVChatRoom cannot be removed",
                    ));
                }
                if g.group_type == group_type::PRIVATE && my_role != member_role::OWNER {
                    return Err(deny(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only the owner removes members of a Private (Work) group",
                    ));
                }
                if my_role < member_role::ADMIN {
                    return Err(deny(codes::ERR_SVR_GROUP_PERMISSION_DENY, "only the owner and admins remove members"));
                }
                let (mut results, mut removed) = (Vec::new(), Vec::new());
                for id in ids {
                    let r = match role_in(&mut ctx.conn, &gid, &id).await? {
                        _ if id == me => hres::HANDLED_ERR,
                        None => hres::HANDLED_ERR,
                        Some(role) if role >= my_role => {
                            return Err(deny(
                                codes::ERR_SVR_GROUP_PERMISSION_DENY,
                                format!("{id} cannot be removed: only members below your role can"),
                            ))
                        }
                        Some(_) => {
                            remove_member(&mut ctx.conn, &gid, &id).await?;
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
                    let rest = member_ids(&mut ctx.conn, &gid).await?;
                    member_tip(ctx, &g, tip::KICK, &me, removed.clone(), &rest).await?;
                    for u in &removed {
                        send_report(ctx, &g, u, report::BE_KICKED, ReportText { op: &me, msg: "", user_data: &data })
                            .await?;
                    }
                }
                Ok(results)
            })
        })
        .await?;
    Ok(json!(results))
}

async fn detail(state: &State, c: &mut SqliteConnection, g: &GroupRow) -> Result<GroupDetailInfo, StoreError> {
    let members = member_ids(c, &g.id).await?;
    let last =
        sqlx::query("SELECT MAX(seq) AS seq, MAX(server_time) AS t FROM messages WHERE conv_type = 2 AND conv_key = ?")
            .bind(&g.id)
            .fetch_one(&mut *c)
            .await?;
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
        group_detial_info_next_msg_seq: last.get::<Option<i64>, _>("seq").unwrap_or(0) as u64,
        group_detial_info_last_msg_time: last.get::<Option<i64>, _>("t").unwrap_or(0) as u64,
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
async fn group_info(state: &Arc<State>, me: &str, ids: &[String]) -> ApiResult {
    if ids.len() > BATCH_MAX {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "at most 500 groups per request"));
    }
    let mut c = state.store.read.acquire().await?;
    let mut out = Vec::with_capacity(ids.len());
    for gid in ids {
        let item = match load_group(&mut c, gid).await? {
            None => GetGroupInfoResult {
                get_groups_info_result_code: codes::ERR_SVR_GROUP_NOT_FOUND,
                get_groups_info_result_desc: format!("no such group: {gid}"),
                get_groups_info_result_info: None,
            },
            Some(g) if g.group_type == group_type::PRIVATE && role_in(&mut c, gid, me).await?.is_none() => {
                GetGroupInfoResult {
                    get_groups_info_result_code: codes::ERR_SVR_GROUP_PERMISSION_DENY,
                    get_groups_info_result_desc: "not a member of this Private group".into(),
                    get_groups_info_result_info: None,
                }
            }
            Some(g) => GetGroupInfoResult {
                get_groups_info_result_code: 0,
                get_groups_info_result_desc: String::new(),
                get_groups_info_result_info: Some(detail(state, &mut c, &g).await?),
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
async fn modify_group_info(state: &Arc<State>, me: &str, p: GroupModifyInfoParam) -> ApiResult {
    let flag = p.group_modify_info_param_modify_flag;
    if flag == gflag::NONE {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "modify_flag names nothing to change"));
    }
    if flag & gflag::OWNER != 0 {
        if flag != gflag::OWNER {
            return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "the owner flag must be used alone"));
        }
        if p.group_modify_info_param_owner.is_empty() {
            return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "group_modify_info_param_owner is empty"));
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
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "unknown add option"));
    }
    if has(gflag::CUSTOM) {
        check_group_custom(&p.group_modify_info_param_custom_info)?;
    }
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let gid = p.group_modify_info_param_group_id.clone();
                let mut g = require_group(&mut ctx.conn, &gid).await?;
                let my_role = require_role(&mut ctx.conn, &gid, &me).await?;
                let profile = gflag::NAME | gflag::NOTIFICATION | gflag::INTRODUCTION | gflag::FACE_URL;
                let admin_only = if g.group_type == group_type::PRIVATE { flag & !profile } else { flag };
                if admin_only != 0 && my_role < member_role::ADMIN {
                    return Err(deny(codes::ERR_SVR_GROUP_PERMISSION_DENY, "only the owner and admins can change this"));
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
                    if n == 0 || n > max_members(g.group_type) || n < member_count(&mut ctx.conn, &gid).await? {
                        return Err(deny(
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
                sqlx::query(
                    "UPDATE groups SET name = ?, notification = ?, introduction = ?, face_url = ?, add_option = ?, max_members = ?,
                     visible = ?, searchable = ?, shutup_all = ?, custom_info = ?, info_seq = info_seq + 1, last_info_time = ?
                     WHERE group_id = ?",
                )
                .bind(&g.name)
                .bind(&g.notification)
                .bind(&g.introduction)
                .bind(&g.face_url)
                .bind(g.add_option as i64)
                .bind(i64::from(g.max_members))
                .bind(i64::from(g.visible))
                .bind(i64::from(g.searchable))
                .bind(g.shutup_all as i64)
                .bind(serde_json::to_string(&g.custom).map_err(corrupt)?)
                .bind(now as i64)
                .bind(&gid)
                .execute(&mut ctx.conn)
                .await?;
                if !changes.is_empty() {
                    let to = member_ids(&mut ctx.conn, &gid).await?;
                    let t = GroupTipsElem {
                        group_tips_elem_tip_type: tip::GROUP_INFO_CHANGE,
                        group_tips_elem_op_user: me.clone(),
                        group_tips_elem_group_change_info_array: changes,
                        ..Default::default()
                    };
                    send_tip(ctx, &g, t, &to).await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// Ownership transfer: only the owner, to another member, never in an AVChatRoom.
async fn transfer_owner(state: &Arc<State>, me: &str, gid: String, new_owner: String) -> ApiResult {
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let mut g = require_group(&mut ctx.conn, &gid).await?;
                let my_role = require_role(&mut ctx.conn, &gid, &me).await?;
                if is_av(g.group_type) {
                    return Err(deny(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "an AVChatRoom's ownership cannot be transferred",
                    ));
                }
                if my_role != member_role::OWNER {
                    return Err(deny(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only the owner can transfer the ownership",
                    ));
                }
                if new_owner == me {
                    return Err(deny(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "you already own this group"));
                }
                if role_in(&mut ctx.conn, &gid, &new_owner).await?.is_none() {
                    return Err(deny(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "the new owner must be a member"));
                }
                for (u, role) in [(&me, member_role::NORMAL), (&new_owner, member_role::OWNER)] {
                    sqlx::query("UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?")
                        .bind(role as i64)
                        .bind(&gid)
                        .bind(u)
                        .execute(&mut ctx.conn)
                        .await?;
                }
                sqlx::query(
                    "UPDATE groups SET owner = ?, info_seq = info_seq + 1, last_info_time = ? WHERE group_id = ?",
                )
                .bind(&new_owner)
                .bind(now_secs() as i64)
                .bind(&gid)
                .execute(&mut ctx.conn)
                .await?;
                g.owner = new_owner.clone();
                let to = member_ids(&mut ctx.conn, &gid).await?;
                let t = GroupTipsElem {
                    group_tips_elem_tip_type: tip::GROUP_INFO_CHANGE,
                    group_tips_elem_op_user: me.clone(),
                    group_tips_elem_group_change_info_array: vec![change_info(change::OWNER, new_owner.clone())],
                    ..Default::default()
                };
                send_tip(ctx, &g, t, &to).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// TIMGroupGetMemberInfoList: given members, or every member page by page (`next_seq` is the
/// offset of the next page, 0 when there is none), owner and admins first.
async fn member_info_list(state: &Arc<State>, me: &str, p: GroupGetMemberInfoListParam) -> ApiResult {
    let gid = &p.group_get_members_info_list_param_group_id;
    let mut c = state.store.read.acquire().await?;
    let g = require_group(&mut c, gid).await?;
    if role_in(&mut c, gid, me).await?.is_none() && !is_av(g.group_type) {
        return Err(e(codes::ERR_SVR_GROUP_PERMISSION_DENY, "not a member of this group"));
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
            if let Some(m) = load_member(&mut c, gid, u).await?.filter(|m| wanted(m.role)) {
                result.group_get_memeber_info_list_result_info_array.push(m.info(gid, flags, keys));
            }
        }
        return Ok(json!(result));
    }
    let mut roles: Vec<i64> = Vec::new();
    for (bit, role) in [
        (role_flag::OWNER, member_role::OWNER),
        (role_flag::ADMIN, member_role::ADMIN),
        (role_flag::MEMBER, member_role::NORMAL),
    ] {
        if rf == role_flag::ALL || rf & bit != 0 {
            roles.push(role as i64);
        }
    }
    let offset = p.group_get_members_info_list_param_next_seq;
    let placeholders = vec!["?"; roles.len()].join(", ");
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.group_id = ? AND m.role IN ({placeholders}) ORDER BY m.role DESC, m.join_time, m.user_id LIMIT ? OFFSET ?"
    );
    let mut q = sqlx::query(&sql).bind(gid);
    for r in &roles {
        q = q.bind(*r);
    }
    let rows = q.bind(MEMBER_PAGE as i64 + 1).bind(offset.min(i64::MAX as u64) as i64).fetch_all(&mut *c).await?;
    for r in rows.iter().take(MEMBER_PAGE) {
        let m = MemberRow::from_row(r)?;
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
async fn modify_member_info(state: &Arc<State>, me: &str, p: GroupModifyMemberInfoParam) -> ApiResult {
    let flag = p.group_modify_member_info_modify_flag;
    let has = move |bit: u32| flag & bit != 0;
    if flag == mflag::NONE {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "modify_flag names nothing to change"));
    }
    if p.group_modify_member_info_identifier.is_empty() {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "group_modify_member_info_identifier is empty"));
    }
    if has(mflag::MSG_FLAG) && p.group_modify_member_info_msg_flag > recv_msg_opt::NOT_NOTIFY {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "unknown receive option"));
    }
    if has(mflag::MEMBER_ROLE)
        && ![member_role::NORMAL, member_role::ADMIN].contains(&p.group_modify_member_info_member_role)
    {
        return Err(e(
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
        .write(move |ctx| {
            Box::pin(async move {
                let gid = p.group_modify_member_info_group_id.clone();
                let target = p.group_modify_member_info_identifier.clone();
                let g = require_group(&mut ctx.conn, &gid).await?;
                let my_role = require_role(&mut ctx.conn, &gid, &me).await?;
                let mut m = load_member(&mut ctx.conn, &gid, &target).await?.ok_or_else(|| {
                    deny(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, format!("not a member of this group: {target}"))
                })?;
                let myself = target == me;
                let above = my_role >= member_role::ADMIN && m.role < my_role;
                if has(mflag::MSG_FLAG) && !myself {
                    return Err(deny(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only members themselves set their receive option",
                    ));
                }
                if has(mflag::MEMBER_ROLE) {
                    if is_av(g.group_type) {
                        return Err(deny(
                            codes::ERR_SVR_GROUP_PERMISSION_DENY,
                            "roles cannot be changed in an AVChatRoom",
                        ));
                    }
                    if my_role != member_role::OWNER {
                        return Err(deny(
                            codes::ERR_SVR_GROUP_PERMISSION_DENY,
                            "only the owner sets or cancels admins",
                        ));
                    }
                    if m.role == member_role::OWNER {
                        return Err(deny(
                            codes::ERR_SVR_GROUP_INVALID_PARAMETERS,
                            "the owner's role changes only by transferring the ownership",
                        ));
                    }
                }
                if has(mflag::SHUTUP_TIME) && !above {
                    return Err(deny(
                        codes::ERR_SVR_GROUP_PERMISSION_DENY,
                        "only the owner and admins mute, and only members below their role",
                    ));
                }
                if (has(mflag::NAME_CARD) || has(mflag::CUSTOM)) && !myself && !above {
                    return Err(deny(
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
                sqlx::query(
                    "UPDATE group_members SET msg_flag = ?, role = ?, shutup_until = ?, name_card = ?, custom_info = ?
                     WHERE group_id = ? AND user_id = ?",
                )
                .bind(m.msg_flag as i64)
                .bind(m.role as i64)
                .bind(m.shutup_until as i64)
                .bind(&m.name_card)
                .bind(serde_json::to_string(&m.custom).map_err(corrupt)?)
                .bind(&gid)
                .bind(&target)
                .execute(&mut ctx.conn)
                .await?;
                let to = member_ids(&mut ctx.conn, &gid).await?;
                if m.role != old_role {
                    let (t, r) = if m.role == member_role::ADMIN {
                        (tip::SET_ADMIN, report::GRANT_ADMIN)
                    } else {
                        (tip::CANCEL_ADMIN, report::CANCEL_ADMIN)
                    };
                    member_tip(ctx, &g, t, &me, vec![target.clone()], &to).await?;
                    send_report(ctx, &g, &target, r, ReportText { op: &me, msg: "", user_data: "" }).await?;
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
                    send_tip(ctx, &g, t, &to).await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// Pendencies `me` decides: join requests of groups where `me` is owner or admin, and
/// invitations addressed to `me`.
const VISIBLE_PENDENCY: &str = "((p.pendency_type = 0 AND p.group_id IN \
     (SELECT group_id FROM group_members WHERE user_id = ? AND role >= 300)) OR (p.pendency_type = 1 AND p.to_user = ?))";

const PENDENCY_COLUMNS: &str = "p.id, p.group_id, p.pendency_type, p.from_user, p.to_user, p.add_time, p.apply_msg, \
     p.from_user_data, p.secret, p.handled, p.handled_by, p.handle_result, p.approval_msg";

fn pendency_of(r: &SqliteRow, me: &str) -> GroupPendency {
    let id: i64 = r.get("id");
    let secret: String = r.get("secret");
    let kind = r.get::<i64, _>("pendency_type") as u32;
    let handled = r.get::<i64, _>("handled") != 0;
    let handled_by: String = r.get("handled_by");
    GroupPendency {
        group_pendency_group_id: r.get("group_id"),
        group_pendency_form_identifier: r.get("from_user"),
        group_pendency_to_identifier: if kind == ptype::INVITE_JOIN {
            r.get("to_user")
        } else if handled {
            handled_by.clone()
        } else {
            me.to_string()
        },
        group_pendency_add_time: r.get::<i64, _>("add_time") as u64,
        group_pendency_pendency_type: kind,
        group_pendency_handled: match (handled, handled_by == me) {
            (false, _) => group_pendency_handle::NOT_HANDLE,
            (true, true) => group_pendency_handle::OPERATOR_HANDLE,
            (true, false) => group_pendency_handle::OTHER_HANDLE,
        },
        group_pendency_handle_result: r.get::<i64, _>("handle_result") as u32,
        group_pendency_apply_invite_msg: r.get("apply_msg"),
        group_pendency_form_user_defined_data: r.get("from_user_data"),
        group_pendency_approval_msg: r.get("approval_msg"),
        group_pendency_key: format!("{id}_{secret}"),
        group_pendency_authentication: secret,
        group_pendency_self_identifier: me.to_string(),
        ..Default::default()
    }
}

/// TIMGroupGetPendencyList: newest first, handled ones included (with their outcome). A page
/// never splits one second: it may hold more than the suggested size.
async fn pendency_list(state: &Arc<State>, me: &str, o: GroupPendencyOption) -> ApiResult {
    let limit = match o.group_pendency_option_max_limited {
        0 => PENDENCY_PAGE,
        n => n.min(PENDENCY_PAGE_MAX),
    };
    let start = secs(o.group_pendency_option_start_time);
    let before = if start == 0 { i64::MAX } else { start.min(i64::MAX as u64) as i64 };
    let mut c = state.store.read.acquire().await?;
    let mut rows = sqlx::query(&format!(
        "SELECT {PENDENCY_COLUMNS} FROM group_pendency p WHERE {VISIBLE_PENDENCY} AND p.add_time < ? ORDER BY p.add_time DESC, p.id DESC LIMIT ?"
    ))
    .bind(me)
    .bind(me)
    .bind(before)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await?;
    let mut next = 0u64;
    if let Some(last) = rows.last() {
        let (t, id) = (last.get::<i64, _>("add_time"), last.get::<i64, _>("id"));
        let same_second = sqlx::query(&format!(
            "SELECT {PENDENCY_COLUMNS} FROM group_pendency p WHERE {VISIBLE_PENDENCY} AND p.add_time = ? AND p.id < ? ORDER BY p.id DESC"
        ))
        .bind(me)
        .bind(me)
        .bind(t)
        .bind(id)
        .fetch_all(&mut *c)
        .await?;
        rows.extend(same_second);
        let older: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT 1 FROM group_pendency p WHERE {VISIBLE_PENDENCY} AND p.add_time < ? LIMIT 1"
        ))
        .bind(me)
        .bind(me)
        .bind(t)
        .fetch_optional(&mut *c)
        .await?;
        if older.is_some() {
            next = t as u64;
        }
    }
    let read_time: i64 = sqlx::query_scalar("SELECT read_time FROM group_pendency_read WHERE user_id = ?")
        .bind(me)
        .fetch_optional(&mut *c)
        .await?
        .unwrap_or(0);
    let unread: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM group_pendency p WHERE {VISIBLE_PENDENCY} AND p.handled = 0 AND p.add_time > ?"
    ))
    .bind(me)
    .bind(me)
    .bind(read_time)
    .fetch_one(&mut *c)
    .await?;
    Ok(json!(GroupPendencyResult {
        group_pendency_result_next_start_time: next,
        group_pendency_result_read_time_seq: read_time as u64,
        group_pendency_result_unread_num: unread as u32,
        group_pendency_result_pendency_array: rows.iter().map(|r| pendency_of(r, me)).collect(),
    }))
}

/// TIMGroupReportPendencyReaded: pendencies added up to `time` (seconds; ms accepted) are read.
async fn pendency_read(state: &Arc<State>, me: &str, time: u64) -> ApiResult {
    let t = secs(time).min(now_secs() + 60) as i64;
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO group_pendency_read (user_id, read_time) VALUES (?, ?)
                     ON CONFLICT (user_id) DO UPDATE SET read_time = MAX(read_time, excluded.read_time)",
                )
                .bind(&me)
                .bind(t)
                .execute(&mut ctx.conn)
                .await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// TIMGroupHandlePendency: the decider accepts or refuses, once (10024 afterwards). The
/// pendency is found by its key; without one, by group, sender and type (the newest open one).
async fn handle_pendency(state: &Arc<State>, me: &str, p: GroupHandlePendencyParam) -> ApiResult {
    check_len(&p.group_handle_pendency_param_handle_msg, TEXT_MAX, "the handle message")?;
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let pd = &p.group_handle_pendency_param_pendency;
                let by_key = pd.group_pendency_key.split_once('_').and_then(|(id, s)| Some((id.parse::<i64>().ok()?, s)));
                let row = match by_key {
                    Some((id, secret)) => {
                        sqlx::query(&format!("SELECT {PENDENCY_COLUMNS} FROM group_pendency p WHERE p.id = ? AND p.secret = ?"))
                            .bind(id)
                            .bind(secret)
                            .fetch_optional(&mut ctx.conn)
                            .await?
                    }
                    None => {
                        sqlx::query(&format!(
                            "SELECT {PENDENCY_COLUMNS} FROM group_pendency p WHERE p.group_id = ? AND p.from_user = ? AND p.pendency_type = ?
                             AND (p.pendency_type = 0 OR p.to_user = ?) ORDER BY p.handled, p.add_time DESC, p.id DESC LIMIT 1"
                        ))
                        .bind(&pd.group_pendency_group_id)
                        .bind(&pd.group_pendency_form_identifier)
                        .bind(i64::from(pd.group_pendency_pendency_type))
                        .bind(&me)
                        .fetch_optional(&mut ctx.conn)
                        .await?
                    }
                };
                let row = row.ok_or_else(|| deny(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "no such pendency"))?;
                let (id, gid): (i64, String) = (row.get("id"), row.get("group_id"));
                let kind = row.get::<i64, _>("pendency_type") as u32;
                let (from, to): (String, String) = (row.get("from_user"), row.get("to_user"));
                let g = require_group(&mut ctx.conn, &gid).await?;
                if kind == ptype::INVITE_JOIN {
                    if to != me {
                        return Err(deny(codes::ERR_SVR_GROUP_PERMISSION_DENY, "only the invitee answers an invitation"));
                    }
                } else if role_in(&mut ctx.conn, &gid, &me).await?.unwrap_or(0) < member_role::ADMIN {
                    return Err(deny(codes::ERR_SVR_GROUP_PERMISSION_DENY, "only the owner and admins handle join requests"));
                }
                if row.get::<i64, _>("handled") != 0 {
                    return Err(deny(codes::ERR_SVR_GROUP_REQ_ALLREADY_BEEN_PROCESSED, "this pendency was already handled"));
                }
                let accept = p.group_handle_pendency_param_is_accept;
                let answer = p.group_handle_pendency_param_handle_msg.clone();
                let (newcomer, told, tip_op) = if kind == ptype::INVITE_JOIN {
                    (to.clone(), from.clone(), from.clone())
                } else {
                    (from.clone(), from.clone(), me.clone())
                };
                if accept && role_in(&mut ctx.conn, &gid, &newcomer).await?.is_none() {
                    add_member(&mut ctx.conn, &g, &newcomer, member_role::NORMAL).await?;
                    let all = member_ids(&mut ctx.conn, &gid).await?;
                    member_tip(ctx, &g, tip::INVITE, &tip_op, vec![newcomer.clone()], &all).await?;
                }
                let kind_told = match (kind == ptype::INVITE_JOIN, accept) {
                    (false, true) => report::ADD_ACCEPT,
                    (false, false) => report::ADD_REFUSE,
                    (true, true) => report::INVITE_ACCEPT,
                    (true, false) => report::INVITE_REFUSE,
                };
                send_report(ctx, &g, &told, kind_told, ReportText { op: &me, msg: &answer, user_data: "" }).await?;
                let result =
                    if accept { group_pendency_handle_result::ACCEPT } else { group_pendency_handle_result::REFUSE };
                sqlx::query(
                    "UPDATE group_pendency SET handled = 1, handled_by = ?, handle_result = ?, approval_msg = ?, handle_time = ? WHERE id = ?",
                )
                .bind(&me)
                .bind(result as i64)
                .bind(&answer)
                .bind(now_secs() as i64)
                .bind(id)
                .execute(&mut ctx.conn)
                .await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}

/// TIMMsgSetGroupReceiveMessageOpt: 0 receive, 1 do not receive (left out of deliveries), 2
/// receive without notification.
async fn set_recv_opt(state: &Arc<State>, me: &str, gid: String, opt: u32) -> ApiResult {
    if opt > recv_msg_opt::NOT_NOTIFY {
        return Err(e(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, "unknown receive option"));
    }
    let me = me.to_string();
    state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                require_group(&mut ctx.conn, &gid).await?;
                require_role(&mut ctx.conn, &gid, &me).await?;
                sqlx::query("UPDATE group_members SET msg_flag = ? WHERE group_id = ? AND user_id = ?")
                    .bind(opt as i64)
                    .bind(&gid)
                    .bind(&me)
                    .execute(&mut ctx.conn)
                    .await?;
                Ok(())
            })
        })
        .await?;
    Ok(Value::Null)
}
