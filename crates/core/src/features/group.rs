//! Group calls (seed 004): the SDK-side checks (85xx codes), the server requests, and what
//! applying group tips and group reports does to the local store. Parsing the JSON parameters
//! of a group call is the JSON surface's (`tim/group.rs`).
//!
//! The server enforces every rule; the SDK only rejects what the C SDK rejects before sending
//! (name / introduction / notification / face URL / name card lengths, custom group ids, the
//! member count of a new group, an empty invite list, the owner role at creation).
//!
//! The type of each group this device knows is cached in the local `kv` table
//! (`group_type:<id>`, `store/conversations.rs`), from create / join / joined list / info list
//! answers: messages of an AVChatRoom are never stored locally, not even the sender's own echo.
use confab_protocol::codes;
use confab_protocol::enums::{
    conv_event, conv_type, group_member_modify_flag as mflag, group_modify_info_flag as gflag,
    group_report_type as report, group_tip_change_flag as change, group_tip_type as tip, group_type, member_role,
    recv_msg_opt,
};
use confab_protocol::group::{
    CreateGroupParam, GetGroupInfoResult, GroupBaseInfo, GroupDeleteMemberParam, GroupGetMemberInfoListParam,
    GroupHandlePendencyParam, GroupInviteMemberParam, GroupModifyInfoParam, GroupModifyMemberInfoParam,
    GroupPendencyOption, GroupTipsElem,
};
use confab_protocol::wire::Request;
use confab_protocol::{Elem, Message};
use serde_json::Value;
use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::events::SdkEvent;
use crate::session::context::SessionCtx;
use crate::store;

/// A parsed group call (parsing is the synchronous part of the C API).
pub enum GroupCall {
    Create(CreateGroupParam),
    Delete(String),
    Join(String, String),
    Quit(String),
    Invite(GroupInviteMemberParam),
    DeleteMember(GroupDeleteMemberParam),
    JoinedList,
    InfoList(Vec<String>),
    ModifyInfo(GroupModifyInfoParam),
    MemberList(GroupGetMemberInfoListParam),
    ModifyMember(GroupModifyMemberInfoParam),
    PendencyList(GroupPendencyOption),
    PendencyRead(u64),
    HandlePendency(GroupHandlePendencyParam),
    SetRecvOpt(String, u32),
}

fn sdk_err(code: i32, desc: impl Into<String>) -> Error {
    Error::Server(code, desc.into())
}

fn need_group_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::InvalidParam("group_id is empty".into()));
    }
    Ok(())
}

/// The member limit of a group type, as the SDK checks it at creation (8507).
fn type_limit(t: u32) -> u64 {
    match t {
        group_type::PRIVATE => 200,
        group_type::PUBLIC => 2000,
        group_type::CHAT_ROOM => 6000,
        group_type::COMMUNITY => 100_000,
        _ => u64::MAX,
    }
}

fn check_profile_fields(
    name: Option<&str>,
    intro: Option<&str>,
    notice: Option<&str>,
    face: Option<&str>,
) -> Result<()> {
    if let Some(n) = name {
        if n.is_empty() || n.len() > 30 {
            return Err(sdk_err(codes::ERR_SDK_GROUP_INVALID_NAME, "the group name must be 1 to 30 bytes"));
        }
    }
    if intro.is_some_and(|v| v.len() > 240) {
        return Err(sdk_err(codes::ERR_SDK_GROUP_INVALID_INTRODUCTION, "the introduction is longer than 240 bytes"));
    }
    if notice.is_some_and(|v| v.len() > 300) {
        return Err(sdk_err(codes::ERR_SDK_GROUP_INVALID_NOTIFICATION, "the notification is longer than 300 bytes"));
    }
    if face.is_some_and(|v| v.len() > 100) {
        return Err(sdk_err(codes::ERR_SDK_GROUP_INVALID_FACE_URL, "the face url is longer than 100 bytes"));
    }
    Ok(())
}

fn check_create(p: &CreateGroupParam) -> Result<()> {
    let t = p.create_group_param_group_type;
    if t > group_type::COMMUNITY {
        return Err(Error::InvalidParam(format!("unknown group type {t}")));
    }
    let id = &p.create_group_param_group_id;
    if !id.is_empty() {
        let shape = id.len() <= 48 && id.bytes().all(|b| (0x21..=0x7e).contains(&b));
        let prefix_ok = if t == group_type::COMMUNITY {
            id.starts_with("@TGS#_") && id.len() > 6
        } else {
            !id.starts_with("@TGS#")
        };
        if !shape || !prefix_ok {
            return Err(sdk_err(
                codes::ERR_SDK_GROUP_INVALID_ID,
                "a custom group id is printable ASCII, at most 48 bytes, and does not start with @TGS# \
                 (a Community id starts with @TGS#_)",
            ));
        }
    }
    check_profile_fields(
        Some(&p.create_group_param_group_name),
        Some(&p.create_group_param_introduction),
        Some(&p.create_group_param_notification),
        Some(&p.create_group_param_face_url),
    )?;
    if p.create_group_param_group_member_array.iter().any(|m| m.group_member_info_member_role == member_role::OWNER) {
        return Err(sdk_err(codes::ERR_SDK_GROUP_INVITE_SUPER_DENY, "nobody can be added with the owner role"));
    }
    if p.create_group_param_group_member_array.len() as u64 + 1 > type_limit(t) {
        return Err(sdk_err(codes::ERR_SDK_GROUP_MEMBER_COUNT_LIMIT, "too many members for this group type"));
    }
    Ok(())
}

fn check_modify_info(p: &GroupModifyInfoParam) -> Result<()> {
    need_group_id(&p.group_modify_info_param_group_id)?;
    let flag = p.group_modify_info_param_modify_flag;
    if flag & gflag::OWNER != 0 {
        if flag != gflag::OWNER {
            return Err(Error::InvalidParam("the owner flag (0x80000000) must be used alone".into()));
        }
        if p.group_modify_info_param_owner.is_empty() {
            return Err(Error::InvalidParam("group_modify_info_param_owner is empty".into()));
        }
        return Ok(());
    }
    let has = |bit: u32| flag & bit != 0;
    check_profile_fields(
        has(gflag::NAME).then_some(p.group_modify_info_param_group_name.as_str()),
        has(gflag::INTRODUCTION).then_some(p.group_modify_info_param_introduction.as_str()),
        has(gflag::NOTIFICATION).then_some(p.group_modify_info_param_notification.as_str()),
        has(gflag::FACE_URL).then_some(p.group_modify_info_param_face_url.as_str()),
    )
}

fn check_modify_member(p: &GroupModifyMemberInfoParam) -> Result<()> {
    need_group_id(&p.group_modify_member_info_group_id)?;
    if p.group_modify_member_info_identifier.is_empty() {
        return Err(Error::InvalidParam("group_modify_member_info_identifier is empty".into()));
    }
    let flag = p.group_modify_member_info_modify_flag;
    if flag & mflag::NAME_CARD != 0 && p.group_modify_member_info_name_card.len() > 50 {
        return Err(sdk_err(codes::ERR_SDK_GROUP_INVALID_NAME_CARD, "the name card is longer than 50 bytes"));
    }
    Ok(())
}

fn parse_answer<T: serde::de::DeserializeOwned>(v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| sdk_err(codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))
}

/// The asynchronous part of a group call: `None` for calls that answer `""`.
pub async fn call(s: &SessionCtx, c: GroupCall) -> Result<Option<Value>> {
    let link = &s.link;
    Ok(match c {
        GroupCall::Create(p) => {
            check_create(&p)?;
            let t = p.create_group_param_group_type;
            let v = link.request(Request::CreateGroup { param: p }).await?;
            if let Some(gid) = v.get("create_group_result_groupid").and_then(Value::as_str) {
                s.store.cache_group_types(&[(gid.to_string(), t)]).await?;
            }
            Some(v)
        }
        GroupCall::Delete(gid) => {
            need_group_id(&gid)?;
            link.request(Request::DeleteGroup { group_id: gid }).await?;
            None
        }
        GroupCall::Join(gid, hello_msg) => {
            need_group_id(&gid)?;
            let v = link.request(Request::JoinGroup { group_id: gid.clone(), hello_msg }).await?;
            if let Some(t) = v.get("group_type").and_then(Value::as_u64) {
                s.store.cache_group_types(&[(gid, t as u32)]).await?;
            }
            None
        }
        GroupCall::Quit(gid) => {
            need_group_id(&gid)?;
            link.request(Request::QuitGroup { group_id: gid }).await?;
            None
        }
        GroupCall::Invite(param) => {
            need_group_id(&param.group_invite_member_param_group_id)?;
            if param.group_invite_member_param_identifier_array.is_empty() {
                return Err(sdk_err(codes::ERR_SDK_GROUP_INVITE_NO_MEMBER, "the invite list is empty"));
            }
            Some(link.request(Request::InviteMembers { param }).await?)
        }
        GroupCall::DeleteMember(param) => {
            need_group_id(&param.group_delete_member_param_group_id)?;
            if param.group_delete_member_param_identifier_array.is_empty() {
                return Err(Error::InvalidParam("group_delete_member_param_identifier_array is empty".into()));
            }
            Some(link.request(Request::DeleteMembers { param }).await?)
        }
        GroupCall::JoinedList => {
            let v = link.request(Request::JoinedGroups).await?;
            let list: Vec<GroupBaseInfo> = parse_answer(v.clone())?;
            let types: Vec<(String, u32)> =
                list.iter().map(|g| (g.group_base_info_group_id.clone(), g.group_base_info_group_type)).collect();
            s.store.cache_group_types(&types).await?;
            Some(v)
        }
        GroupCall::InfoList(ids) => {
            if ids.is_empty() {
                return Err(Error::InvalidParam("json_group_getinfo_param names no group".into()));
            }
            let v = link.request(Request::GroupInfo { group_ids: ids }).await?;
            let list: Vec<GetGroupInfoResult> = parse_answer(v.clone())?;
            let types: Vec<(String, u32)> = list
                .iter()
                .filter_map(|r| r.get_groups_info_result_info.as_ref())
                .map(|g| (g.group_detial_info_group_id.clone(), g.group_detial_info_group_type))
                .collect();
            s.store.cache_group_types(&types).await?;
            Some(v)
        }
        GroupCall::ModifyInfo(param) => {
            check_modify_info(&param)?;
            link.request(Request::ModifyGroupInfo { param }).await?;
            None
        }
        GroupCall::MemberList(param) => {
            need_group_id(&param.group_get_members_info_list_param_group_id)?;
            Some(link.request(Request::MemberInfoList { param }).await?)
        }
        GroupCall::ModifyMember(param) => {
            check_modify_member(&param)?;
            link.request(Request::ModifyMemberInfo { param }).await?;
            None
        }
        GroupCall::PendencyList(option) => Some(link.request(Request::GroupPendencyList { option }).await?),
        GroupCall::PendencyRead(time) => {
            link.request(Request::GroupPendencyRead { time }).await?;
            None
        }
        GroupCall::HandlePendency(param) => {
            link.request(Request::HandleGroupPendency { param }).await?;
            None
        }
        GroupCall::SetRecvOpt(gid, opt) => {
            need_group_id(&gid)?;
            if opt > recv_msg_opt::NOT_NOTIFY {
                return Err(Error::InvalidParam(format!("unknown receive option {opt}")));
            }
            link.request(Request::SetGroupRecvOpt { group_id: gid.clone(), opt }).await?;
            s.remember_recv_opt(confab_protocol::enums::conv_type::GROUP, &gid, opt).await?;
            None
        }
    })
}

// ---- applying group tips and reports ----

/// What applying group tips and reports leaves to do after the commit.
#[derive(Default)]
pub struct Effects {
    tips: Vec<GroupTipsElem>,
    /// Groups this user left (dismissed, kicked, quit): their conversations end.
    gone: Vec<String>,
}

/// Apply the group side of a new message (inside the processor's transaction): tips keep the
/// group conversation's name in step; a report that this user left the group (dismissed,
/// kicked, quit) ends the group conversation (after the commit, see [`finish`]).
pub(crate) async fn on_new_msg(tx: &mut SqliteConnection, m: &Message, fx: &mut Effects) -> Result<()> {
    for el in &m.message_elem_array {
        match el {
            Elem::GroupTips(t) => {
                let gid = &t.group_tips_elem_group_id;
                if !t.group_tips_elem_group_name.is_empty() {
                    store::set_conv_name(&mut *tx, conv_type::GROUP, gid, &t.group_tips_elem_group_name).await?;
                }
                if t.group_tips_elem_tip_type == tip::GROUP_INFO_CHANGE {
                    for c in &t.group_tips_elem_group_change_info_array {
                        if c.group_tips_group_change_info_flag == change::FACE_URL {
                            store::set_conv_face(
                                &mut *tx,
                                conv_type::GROUP,
                                gid,
                                &c.group_tips_group_change_info_value,
                            )
                            .await?;
                        }
                    }
                }
                fx.tips.push((**t).clone());
            }
            Elem::GroupReport(r)
                if matches!(r.group_report_elem_report_type, report::DELETE | report::BE_KICKED | report::QUIT) =>
            {
                let gid = &r.group_report_elem_group_id;
                store::forget_group_type(&mut *tx, gid).await?;
                fx.gone.push(gid.clone());
            }
            _ => {}
        }
    }
    Ok(())
}

/// After the commit of what [`on_new_msg`] saw: `TIMGroupTipsEventCallback` once per tips
/// element; the conversations of groups this user left are deleted (conversation Del). This
/// runs outside the processor's transaction, which holds the store's write lock.
pub(crate) async fn finish(shared: &SessionCtx, fx: Effects) {
    for t in fx.tips {
        shared.emit(SdkEvent::GroupTips(t));
    }
    for gid in fx.gone {
        let ended = async {
            let Some(info) = shared.store.conv_info(conv_type::GROUP, &gid).await? else {
                return Ok::<_, Error>(None);
            };
            let mut c = shared.store.conn().await?;
            store::delete_conv(&mut c, conv_type::GROUP, &gid).await?;
            Ok(Some(info))
        };
        match ended.await {
            Ok(Some(info)) => shared.emit(SdkEvent::ConvEvent { event: conv_event::DEL, convs: Some(vec![info]) }),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not end a group conversation"),
        }
    }
}
