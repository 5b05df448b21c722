//! The group calls' JSON surface: their names ([`GROUP_APIS`]) and parameters (the
//! synchronous part of the C API), run by `features/group.rs`.
use confab_protocol::codes::TIM_ERR_PARAM;
use serde_json::Value;

use super::params::{json_param, str_param, u64_param, Bad};
use super::Reply;
use crate::features::group::{self, GroupCall};
use crate::sdk::Sdk;

/// Every group call, by TIM name.
pub const GROUP_APIS: &[&str] = &[
    "TIMGroupCreate",
    "TIMGroupDelete",
    "TIMGroupJoin",
    "TIMGroupQuit",
    "TIMGroupInviteMember",
    "TIMGroupDeleteMember",
    "TIMGroupGetJoinedGroupList",
    "TIMGroupGetGroupInfoList",
    "TIMGroupModifyGroupInfo",
    "TIMGroupGetMemberInfoList",
    "TIMGroupModifyMemberInfo",
    "TIMGroupGetPendencyList",
    "TIMGroupReportPendencyReaded",
    "TIMGroupHandlePendency",
    "TIMMsgSetGroupReceiveMessageOpt",
];

fn required<T>(v: Option<T>, key: &str) -> std::result::Result<T, Bad> {
    v.ok_or_else(|| Bad(TIM_ERR_PARAM, format!("{key} is required")))
}

/// Parameters by their C names: `json_group_create_param`, `group_id`, `hello_msg`,
/// `json_group_invite_param`, `json_group_delete_param`, `json_group_getinfo_param` (array of
/// group ids), `json_group_modifyinfo_param`, `json_group_getmeminfos_param`,
/// `json_group_modifymeminfo_param`, `json_group_getpendence_list_param`, `time_stamp`,
/// `json_group_handle_pendency_param`, and `group_id` + `opt` for the receive option.
pub(crate) fn parse(api: &str, p: &Value) -> std::result::Result<GroupCall, Bad> {
    Ok(match api {
        "TIMGroupCreate" => {
            GroupCall::Create(required(json_param(p, "json_group_create_param")?, "json_group_create_param")?)
        }
        "TIMGroupDelete" => GroupCall::Delete(str_param(p, "group_id")?),
        "TIMGroupJoin" => GroupCall::Join(str_param(p, "group_id")?, str_param(p, "hello_msg")?),
        "TIMGroupQuit" => GroupCall::Quit(str_param(p, "group_id")?),
        "TIMGroupInviteMember" => {
            GroupCall::Invite(required(json_param(p, "json_group_invite_param")?, "json_group_invite_param")?)
        }
        "TIMGroupDeleteMember" => {
            GroupCall::DeleteMember(required(json_param(p, "json_group_delete_param")?, "json_group_delete_param")?)
        }
        "TIMGroupGetJoinedGroupList" => GroupCall::JoinedList,
        "TIMGroupGetGroupInfoList" => {
            GroupCall::InfoList(required(json_param(p, "json_group_getinfo_param")?, "json_group_getinfo_param")?)
        }
        "TIMGroupModifyGroupInfo" => GroupCall::ModifyInfo(required(
            json_param(p, "json_group_modifyinfo_param")?,
            "json_group_modifyinfo_param",
        )?),
        "TIMGroupGetMemberInfoList" => GroupCall::MemberList(required(
            json_param(p, "json_group_getmeminfos_param")?,
            "json_group_getmeminfos_param",
        )?),
        "TIMGroupModifyMemberInfo" => GroupCall::ModifyMember(required(
            json_param(p, "json_group_modifymeminfo_param")?,
            "json_group_modifymeminfo_param",
        )?),
        "TIMGroupGetPendencyList" => {
            GroupCall::PendencyList(json_param(p, "json_group_getpendence_list_param")?.unwrap_or_default())
        }
        "TIMGroupReportPendencyReaded" => GroupCall::PendencyRead(u64_param(p, "time_stamp")?),
        "TIMGroupHandlePendency" => GroupCall::HandlePendency(required(
            json_param(p, "json_group_handle_pendency_param")?,
            "json_group_handle_pendency_param",
        )?),
        "TIMMsgSetGroupReceiveMessageOpt" => {
            GroupCall::SetRecvOpt(str_param(p, "group_id")?, u64_param(p, "opt")?.min(u64::from(u32::MAX)) as u32)
        }
        other => return Err(Bad(TIM_ERR_PARAM, format!("unknown API {other}"))),
    })
}

/// Run a parsed group call; its callback's arguments.
pub(crate) async fn run(sdk: Sdk, c: GroupCall) -> Reply {
    let r = async {
        let s = sdk.shared().await?;
        group::call(&s, c).await
    };
    match r.await {
        Ok(Some(v)) => Reply::ok(v),
        Ok(None) => Reply::empty(),
        Err(e) => Reply::err(&e),
    }
}
