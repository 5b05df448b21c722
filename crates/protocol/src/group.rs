//! Group structures (§5.6) and the group tips / report elements (§5.3).
use serde::{Deserialize, Serialize};

use crate::profile::UserProfile;
use crate::serde_util::{group_type, u32_mask, vec_or_empty_object};

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupInfoCustomString {
    pub group_info_custom_string_info_key: String,
    pub group_info_custom_string_info_value: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupMemberInfoCustomString {
    pub group_member_info_custom_string_info_key: String,
    pub group_member_info_custom_string_info_value: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupMemberInfo {
    pub group_member_info_identifier: String,
    pub group_member_info_group_id: String,
    pub group_member_info_join_time: u64,
    pub group_member_info_member_role: u32,
    pub group_member_info_msg_flag: u32,
    pub group_member_info_msg_seq: u64,
    pub group_member_info_shutup_time: u64,
    pub group_member_info_name_card: String,
    pub group_member_info_nick_name: String,
    #[serde(alias = "group_member_info_friend_remark")]
    pub group_member_info_remark: String,
    pub group_member_info_face_url: String,
    #[serde(deserialize_with = "vec_or_empty_object")]
    pub group_member_info_custom_info: Vec<GroupMemberInfoCustomString>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateGroupParam {
    pub create_group_param_group_name: String,
    pub create_group_param_group_id: String,
    #[serde(deserialize_with = "group_type")]
    pub create_group_param_group_type: u32,
    pub create_group_param_group_member_array: Vec<GroupMemberInfo>,
    pub create_group_param_notification: String,
    pub create_group_param_introduction: String,
    pub create_group_param_face_url: String,
    /// Absent means Any (2); kept optional to tell "absent" from Forbid (0).
    pub create_group_param_add_option: Option<u32>,
    pub create_group_param_max_member_num: u32,
    #[serde(deserialize_with = "vec_or_empty_object")]
    pub create_group_param_custom_info: Vec<GroupInfoCustomString>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateGroupResult {
    pub create_group_result_groupid: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupSelfInfo {
    pub group_self_info_join_time: u64,
    pub group_self_info_role: u32,
    pub group_self_info_unread_num: u64,
    pub group_self_info_msg_flag: u32,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupBaseInfo {
    pub group_base_info_group_id: String,
    pub group_base_info_group_name: String,
    #[serde(deserialize_with = "group_type")]
    pub group_base_info_group_type: u32,
    pub group_base_info_face_url: String,
    pub group_base_info_info_seq: u64,
    #[serde(alias = "group_base_info_latest_seq")]
    pub group_base_info_lastest_seq: u64,
    pub group_base_info_readed_seq: u64,
    pub group_base_info_msg_flag: u32,
    pub group_base_info_is_shutup_all: bool,
    pub group_base_info_self_info: GroupSelfInfo,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupDetailInfo {
    #[serde(alias = "group_detail_info_group_id")]
    pub group_detial_info_group_id: String,
    #[serde(alias = "group_detail_info_group_type", deserialize_with = "group_type")]
    pub group_detial_info_group_type: u32,
    #[serde(alias = "group_detail_info_group_name")]
    pub group_detial_info_group_name: String,
    #[serde(alias = "group_detail_info_notification")]
    pub group_detial_info_notification: String,
    #[serde(alias = "group_detail_info_introduction")]
    pub group_detial_info_introduction: String,
    #[serde(alias = "group_detail_info_face_url")]
    pub group_detial_info_face_url: String,
    #[serde(alias = "group_detail_info_create_time")]
    pub group_detial_info_create_time: u64,
    #[serde(alias = "group_detail_info_info_seq")]
    pub group_detial_info_info_seq: u64,
    #[serde(alias = "group_detail_info_last_info_time")]
    pub group_detial_info_last_info_time: u64,
    #[serde(alias = "group_detail_info_next_msg_seq")]
    pub group_detial_info_next_msg_seq: u64,
    #[serde(alias = "group_detail_info_last_msg_time")]
    pub group_detial_info_last_msg_time: u64,
    #[serde(alias = "group_detail_info_member_num")]
    pub group_detial_info_member_num: u32,
    #[serde(alias = "group_detail_info_max_member_num")]
    pub group_detial_info_max_member_num: u32,
    #[serde(alias = "group_detail_info_add_option")]
    pub group_detial_info_add_option: u32,
    #[serde(alias = "group_detail_info_online_member_num")]
    pub group_detial_info_online_member_num: u32,
    #[serde(alias = "group_detail_info_visible")]
    pub group_detial_info_visible: u32,
    #[serde(alias = "group_detail_info_searchable")]
    pub group_detial_info_searchable: u32,
    #[serde(alias = "group_detail_info_is_shutup_all")]
    pub group_detial_info_is_shutup_all: bool,
    #[serde(alias = "group_detail_info_owner_identifier")]
    pub group_detial_info_owener_identifier: String,
    #[serde(alias = "group_detail_info_custom_info", deserialize_with = "vec_or_empty_object")]
    pub group_detial_info_custom_info: Vec<GroupInfoCustomString>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupTipGroupChangeInfo {
    pub group_tips_group_change_info_flag: u32,
    pub group_tips_group_change_info_value: String,
    pub group_tips_group_change_info_key: String,
    /// 7.x: the new value of a boolean setting (ShutupAll).
    pub group_tips_group_change_info_bool_value: bool,
    /// 7.x: the new value of an integer setting (GroupAddOpt).
    pub group_tips_group_change_info_int_value: i64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupTipMemberChangeInfo {
    pub group_tips_member_change_info_identifier: String,
    #[serde(rename = "group_tips_member_change_info_shutupTime")]
    pub group_tips_member_change_info_shutup_time: u64,
}

/// elem_type 5: server-generated group tips, also the `TIMGroupTipsEventCallback` payload.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupTipsElem {
    pub group_tips_elem_tip_type: u32,
    pub group_tips_elem_op_user: String,
    pub group_tips_elem_group_name: String,
    pub group_tips_elem_group_id: String,
    pub group_tips_elem_time: u64,
    pub group_tips_elem_user_array: Vec<String>,
    pub group_tips_elem_group_change_info_array: Vec<GroupTipGroupChangeInfo>,
    pub group_tips_elem_member_change_info_array: Vec<GroupTipMemberChangeInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_tips_elem_op_user_info: Option<UserProfile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_tips_elem_op_group_memberinfo: Option<GroupMemberInfo>,
    pub group_tips_elem_changed_user_info_array: Vec<UserProfile>,
    pub group_tips_elem_changed_group_memberinfo_array: Vec<GroupMemberInfo>,
    pub group_tips_elem_member_num: u32,
    pub group_tips_elem_platform: String,
}

/// elem_type 8: a notice addressed to one user, in the system conversation.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupReportElem {
    pub group_report_elem_report_type: u32,
    pub group_report_elem_group_id: String,
    pub group_report_elem_group_name: String,
    pub group_report_elem_op_user: String,
    pub group_report_elem_msg: String,
    pub group_report_elem_user_data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_report_elem_op_user_info: Option<UserProfile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_report_elem_op_group_memberinfo: Option<GroupMemberInfo>,
    pub group_report_elem_platform: String,
}

/// `TIMGroupModifyGroupInfo` parameter. Each value key counts only if its bit is in `modify_flag`
/// (`TIMGroupModifyInfoFlag`); the owner bit 0x80000000 arrives as 2147483648 or -2147483648.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupModifyInfoParam {
    pub group_modify_info_param_group_id: String,
    #[serde(deserialize_with = "u32_mask")]
    pub group_modify_info_param_modify_flag: u32,
    pub group_modify_info_param_group_name: String,
    pub group_modify_info_param_notification: String,
    pub group_modify_info_param_introduction: String,
    pub group_modify_info_param_face_url: String,
    pub group_modify_info_param_add_option: u32,
    pub group_modify_info_param_max_member_num: u32,
    pub group_modify_info_param_visible: u32,
    pub group_modify_info_param_searchable: u32,
    pub group_modify_info_param_is_shutup_all: bool,
    #[serde(deserialize_with = "vec_or_empty_object")]
    pub group_modify_info_param_custom_info: Vec<GroupInfoCustomString>,
    pub group_modify_info_param_owner: String,
}

/// Default of the `*_info_flag` option masks: every field (`0xffffffff`).
pub const GROUP_INFO_FLAG_ALL: u64 = 0xffff_ffff;

/// Filter for group-info queries (`user_config_group_getinfo_option`). The legacy
/// `TIMSetConfig` sample spells the keys `get_info_option_*`; accepted, never emitted.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupGetInfoOption {
    /// `TIMGroupGetInfoFlag` bits; absent = [`GROUP_INFO_FLAG_ALL`].
    #[serde(alias = "get_info_option_info_flag")]
    pub group_get_info_option_info_flag: u64,
    #[serde(alias = "get_info_option_custom_array")]
    pub group_get_info_option_custom_array: Vec<String>,
}

impl Default for GroupGetInfoOption {
    fn default() -> Self {
        GroupGetInfoOption {
            group_get_info_option_info_flag: GROUP_INFO_FLAG_ALL,
            group_get_info_option_custom_array: Vec::new(),
        }
    }
}

/// Filter for member queries (`group_get_members_info_list_param_option`,
/// `user_config_group_member_getinfo_option`). Legacy `get_info_option_*` keys accepted.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupMemberGetInfoOption {
    /// `TIMGroupMemberInfoFlag` bits; absent = [`GROUP_INFO_FLAG_ALL`].
    #[serde(alias = "get_info_option_info_flag")]
    pub group_member_get_info_option_info_flag: u64,
    /// `TIMGroupMemberRoleFlag` bits; 0 = all roles.
    #[serde(alias = "get_info_option_role_flag")]
    pub group_member_get_info_option_role_flag: u64,
    #[serde(alias = "get_info_option_custom_array")]
    pub group_member_get_info_option_custom_array: Vec<String>,
}

impl Default for GroupMemberGetInfoOption {
    fn default() -> Self {
        GroupMemberGetInfoOption {
            group_member_get_info_option_info_flag: GROUP_INFO_FLAG_ALL,
            group_member_get_info_option_role_flag: 0,
            group_member_get_info_option_custom_array: Vec::new(),
        }
    }
}

/// `TIMGroupInviteMember` input.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupInviteMemberParam {
    pub group_invite_member_param_group_id: String,
    pub group_invite_member_param_identifier_array: Vec<String>,
    pub group_invite_member_param_user_data: String,
}

/// One item of the `TIMGroupInviteMember` result array.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupInviteMemberResult {
    pub group_invite_member_result_identifier: String,
    /// `HandleGroupMemberResult`: 0 failed, 1 ok, 2 already a member, 3 invitation pending.
    pub group_invite_member_result_result: u32,
}

/// `TIMGroupDeleteMember` input.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupDeleteMemberParam {
    pub group_delete_member_param_group_id: String,
    pub group_delete_member_param_identifier_array: Vec<String>,
    pub group_delete_member_param_user_data: String,
}

/// One item of the `TIMGroupDeleteMember` result array.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupDeleteMemberResult {
    pub group_delete_member_result_identifier: String,
    /// `HandleGroupMemberResult`.
    pub group_delete_member_result_result: u32,
}

/// One item of the `TIMGroupGetGroupInfoList` result array (input: array of group IDs).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GetGroupInfoResult {
    pub get_groups_info_result_code: i32,
    pub get_groups_info_result_desc: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get_groups_info_result_info: Option<GroupDetailInfo>,
}

/// `TIMGroupGetMemberInfoList` input.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupGetMemberInfoListParam {
    pub group_get_members_info_list_param_group_id: String,
    /// Specific members; empty = page through all.
    pub group_get_members_info_list_param_identifier_array: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_get_members_info_list_param_option: Option<GroupMemberGetInfoOption>,
    /// 0 the first time, then the returned cursor.
    pub group_get_members_info_list_param_next_seq: u64,
}

/// `TIMGroupGetMemberInfoList` result (baseline `memeber` spelling emitted).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupGetMemberInfoListResult {
    /// 0 = no more pages.
    #[serde(alias = "group_get_member_info_list_result_next_seq")]
    pub group_get_memeber_info_list_result_next_seq: u64,
    #[serde(alias = "group_get_member_info_list_result_info_array")]
    pub group_get_memeber_info_list_result_info_array: Vec<GroupMemberInfo>,
}

/// `TIMGroupModifyMemberInfo` input; each value key counts only if its bit is in `modify_flag`
/// (`TIMGroupMemberModifyInfoFlag`: MsgFlag 0x1, MemberRole 0x2, ShutupTime 0x4, NameCard 0x8,
/// Custom 0x10).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupModifyMemberInfoParam {
    pub group_modify_member_info_group_id: String,
    pub group_modify_member_info_identifier: String,
    #[serde(deserialize_with = "u32_mask")]
    pub group_modify_member_info_modify_flag: u32,
    pub group_modify_member_info_msg_flag: u32,
    pub group_modify_member_info_member_role: u32,
    /// Mute duration in seconds (inferred); 0 = unmute.
    pub group_modify_member_info_shutup_time: u32,
    pub group_modify_member_info_name_card: String,
    #[serde(deserialize_with = "vec_or_empty_object")]
    pub group_modify_member_info_custom_info: Vec<GroupMemberInfoCustomString>,
}

/// `TIMGroupGetPendencyList` input.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupPendencyOption {
    /// 0 the first time, then `group_pendency_result_next_start_time`.
    pub group_pendency_option_start_time: u64,
    /// Page-size hint only.
    pub group_pendency_option_max_limited: u32,
}

/// A group pendency (join request or invitation). The `form` typo is the real key. Clients must
/// pass it back unchanged to `TIMGroupHandlePendency`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupPendency {
    pub group_pendency_group_id: String,
    /// Applicant (join request) or inviter (invitation).
    pub group_pendency_form_identifier: String,
    /// The decider (admin, or invitee).
    pub group_pendency_to_identifier: String,
    /// Creation time, kept as given: the only sample is 13 digits (ms), the unit is unresolved.
    pub group_pendency_add_time: u64,
    pub group_pendency_pendency_type: u32,
    pub group_pendency_handled: u32,
    pub group_pendency_handle_result: u32,
    pub group_pendency_apply_invite_msg: String,
    pub group_pendency_form_user_defined_data: String,
    pub group_pendency_approval_msg: String,
    pub group_pendency_to_user_defined_data: String,
    pub group_pendency_key: String,
    pub group_pendency_authentication: String,
    pub group_pendency_self_identifier: String,
}

/// `TIMGroupGetPendencyList` result.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupPendencyResult {
    /// 0 = no more data.
    pub group_pendency_result_next_start_time: u64,
    pub group_pendency_result_read_time_seq: u64,
    pub group_pendency_result_unread_num: u32,
    pub group_pendency_result_pendency_array: Vec<GroupPendency>,
}

/// `TIMGroupHandlePendency` input.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupHandlePendencyParam {
    /// Default false = refuse.
    pub group_handle_pendency_param_is_accept: bool,
    pub group_handle_pendency_param_handle_msg: String,
    pub group_handle_pendency_param_pendency: GroupPendency,
}
