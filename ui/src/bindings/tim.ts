// Generated from crates/protocol by `cargo test -p confab-desktop`; do not edit.

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;

export const conv_type = {
  INVALID: 0,
  C2C: 1,
  GROUP: 2,
  SYSTEM: 3,
} as const;

export const conv_event = {
  ADD: 0,
  DEL: 1,
  UPDATE: 2,
  START: 3,
  FINISH: 4,
} as const;

export const network_status = {
  CONNECTED: 0,
  DISCONNECTED: 1,
  CONNECTING: 2,
  CONNECT_FAILED: 3,
} as const;

export const login_status = {
  LOGINED: 1,
  LOGINING: 2,
  UNLOGINED: 3,
  LOGOUTING: 4,
} as const;

export const platform = {
  OTHER: 0,
  WINDOWS: 1,
  ANDROID: 2,
  IOS: 3,
  MAC: 4,
  SIMULATOR: 5,
} as const;

export const elem_type = {
  TEXT: 0,
  IMAGE: 1,
  SOUND: 2,
  CUSTOM: 3,
  FILE: 4,
  GROUP_TIPS: 5,
  FACE: 6,
  LOCATION: 7,
  GROUP_REPORT: 8,
  VIDEO: 9,
  FRIEND_CHANGE: 10,
  PROFILE_CHANGE: 11,
  MERGE: 12,
  INVALID: -1,
} as const;

export const msg_status = {
  SENDING: 1,
  SEND_SUCC: 2,
  SEND_FAIL: 3,
  DELETED: 4,
  LOCAL_IMPORTED: 5,
  REVOKED: 6,
  CANCEL: 7,
} as const;

export const msg_priority = {
  HIGH: 0,
  NORMAL: 1,
  LOW: 2,
  LOWEST: 3,
} as const;

export const recv_msg_opt = {
  RECEIVE: 0,
  NOT_RECEIVE: 1,
  NOT_NOTIFY: 2,
} as const;

export const group_type = {
  PUBLIC: 0,
  PRIVATE: 1,
  CHAT_ROOM: 2,
  B_CHAT_ROOM: 3,
  AV_CHAT_ROOM: 4,
  COMMUNITY: 5,
} as const;

export const group_add_option = {
  FORBID: 0,
  AUTH: 1,
  ANY: 2,
} as const;

export const member_role = {
  NONE: 0,
  NORMAL: 200,
  ADMIN: 300,
  OWNER: 400,
} as const;

export const group_tip_type = {
  NONE: 0,
  INVITE: 1,
  QUIT: 2,
  KICK: 3,
  SET_ADMIN: 4,
  CANCEL_ADMIN: 5,
  GROUP_INFO_CHANGE: 6,
  MEMBER_INFO_CHANGE: 7,
} as const;

export const group_report_type = {
  ADD_REQUEST: 1,
  ADD_ACCEPT: 2,
  ADD_REFUSE: 3,
  BE_KICKED: 4,
  DELETE: 5,
  CREATE: 6,
  INVITE: 7,
  QUIT: 8,
  GRANT_ADMIN: 9,
  CANCEL_ADMIN: 10,
  GROUP_RECYCLE: 11,
  INVITE_REQ: 12,
  INVITE_ACCEPT: 13,
  INVITE_REFUSE: 14,
} as const;

export const group_tip_change_flag = {
  UNKNOWN: 0,
  NAME: 1,
  INTRODUCTION: 2,
  NOTIFICATION: 3,
  FACE_URL: 4,
  OWNER: 5,
  CUSTOM: 6,
  ATTRIBUTE: 7,
  SHUTUP_ALL: 8,
  GROUP_ADD_OPT: 11,
} as const;

export const group_pendency_type = {
  REQUEST_JOIN: 0,
  INVITE_JOIN: 1,
  REQ_AND_INVITE: 2,
} as const;

export const group_pendency_handle = {
  NOT_HANDLE: 0,
  OTHER_HANDLE: 1,
  OPERATOR_HANDLE: 2,
} as const;

export const group_pendency_handle_result = {
  REFUSE: 0,
  ACCEPT: 1,
} as const;

export const handle_group_member_result = {
  HANDLED_ERR: 0,
  HANDLED_SUC: 1,
  INCLUDED: 2,
  INVITED: 3,
} as const;

export const group_modify_info_flag = {
  NONE: 0,
  NAME: 1,
  NOTIFICATION: 2,
  INTRODUCTION: 4,
  FACE_URL: 8,
  ADD_OPTION: 16,
  MAX_MEMBER_NUM: 32,
  VISIBLE: 64,
  SEARCHABLE: 128,
  SHUTUP_ALL: 256,
  CUSTOM: 512,
  OWNER: 2147483648,
} as const;

export const group_member_modify_flag = {
  NONE: 0,
  MSG_FLAG: 1,
  MEMBER_ROLE: 2,
  SHUTUP_TIME: 4,
  NAME_CARD: 8,
  CUSTOM: 16,
} as const;

export const group_member_info_flag = {
  NONE: 0,
  JOIN_TIME: 1,
  MSG_FLAG: 2,
  MSG_SEQ: 4,
  MEMBER_ROLE: 8,
  SHUTUP_UNTILL: 16,
  NAME_CARD: 32,
} as const;

export const group_member_role_flag = {
  ALL: 0,
  OWNER: 1,
  ADMIN: 2,
  MEMBER: 4,
} as const;

export const download_type = {
  VIDEO_THUMB: 0,
  FILE: 1,
  VIDEO: 2,
  SOUND: 3,
} as const;

export const log_level = {
  OFF: 0,
  TEST: 1,
  VERBOSE: 2,
  DEBUG: 3,
  INFO: 4,
  WARN: 5,
  ERROR: 6,
  ASSERT: 7,
} as const;

export const image_format = {
  JPG: 1,
  GIF: 2,
  PNG: 3,
  BMP: 4,
  UNKNOWN: 255,
} as const;

export type GroupInfoCustomString = { group_info_custom_string_info_key: string, group_info_custom_string_info_value: string, };

export type GroupMemberInfoCustomString = { group_member_info_custom_string_info_key: string, group_member_info_custom_string_info_value: string, };

export type GroupMemberInfo = { group_member_info_identifier: string, group_member_info_group_id: string, group_member_info_join_time: number, group_member_info_member_role: number, group_member_info_msg_flag: number, group_member_info_msg_seq: number, group_member_info_shutup_time: number, group_member_info_name_card: string, group_member_info_nick_name: string, group_member_info_remark: string, group_member_info_face_url: string, group_member_info_custom_info: Array<GroupMemberInfoCustomString>, };

export type CreateGroupParam = { create_group_param_group_name: string, create_group_param_group_id: string, create_group_param_group_type: number, create_group_param_group_member_array: Array<GroupMemberInfo>, create_group_param_notification: string, create_group_param_introduction: string, create_group_param_face_url: string, 
/**
 * Absent means Any (2); kept optional to tell "absent" from Forbid (0).
 */
create_group_param_add_option: number | null, create_group_param_max_member_num: number, create_group_param_custom_info: Array<GroupInfoCustomString>, };

export type CreateGroupResult = { create_group_result_groupid: string, };

export type GroupSelfInfo = { group_self_info_join_time: number, group_self_info_role: number, group_self_info_unread_num: number, group_self_info_msg_flag: number, };

export type GroupBaseInfo = { group_base_info_group_id: string, group_base_info_group_name: string, group_base_info_group_type: number, group_base_info_face_url: string, group_base_info_info_seq: number, group_base_info_lastest_seq: number, group_base_info_readed_seq: number, group_base_info_msg_flag: number, group_base_info_is_shutup_all: boolean, group_base_info_self_info: GroupSelfInfo, };

export type GroupDetailInfo = { group_detial_info_group_id: string, group_detial_info_group_type: number, group_detial_info_group_name: string, group_detial_info_notification: string, group_detial_info_introduction: string, group_detial_info_face_url: string, group_detial_info_create_time: number, group_detial_info_info_seq: number, group_detial_info_last_info_time: number, group_detial_info_next_msg_seq: number, group_detial_info_last_msg_time: number, group_detial_info_member_num: number, group_detial_info_max_member_num: number, group_detial_info_add_option: number, group_detial_info_online_member_num: number, group_detial_info_visible: number, group_detial_info_searchable: number, group_detial_info_is_shutup_all: boolean, group_detial_info_owener_identifier: string, group_detial_info_custom_info: Array<GroupInfoCustomString>, };

export type GroupTipGroupChangeInfo = { group_tips_group_change_info_flag: number, group_tips_group_change_info_value: string, group_tips_group_change_info_key: string, 
/**
 * 7.x: the new value of a boolean setting (ShutupAll).
 */
group_tips_group_change_info_bool_value: boolean, 
/**
 * 7.x: the new value of an integer setting (GroupAddOpt).
 */
group_tips_group_change_info_int_value: number, };

export type GroupTipMemberChangeInfo = { group_tips_member_change_info_identifier: string, group_tips_member_change_info_shutupTime: number, };

export type GroupTipsElem = { group_tips_elem_tip_type: number, group_tips_elem_op_user: string, group_tips_elem_group_name: string, group_tips_elem_group_id: string, group_tips_elem_time: number, group_tips_elem_user_array: Array<string>, group_tips_elem_group_change_info_array: Array<GroupTipGroupChangeInfo>, group_tips_elem_member_change_info_array: Array<GroupTipMemberChangeInfo>, group_tips_elem_op_user_info: UserProfile | null, group_tips_elem_op_group_memberinfo: GroupMemberInfo | null, group_tips_elem_changed_user_info_array: Array<UserProfile>, group_tips_elem_changed_group_memberinfo_array: Array<GroupMemberInfo>, group_tips_elem_member_num: number, group_tips_elem_platform: string, };

export type GroupReportElem = { group_report_elem_report_type: number, group_report_elem_group_id: string, group_report_elem_group_name: string, group_report_elem_op_user: string, group_report_elem_msg: string, group_report_elem_user_data: string, group_report_elem_op_user_info: UserProfile | null, group_report_elem_op_group_memberinfo: GroupMemberInfo | null, group_report_elem_platform: string, };

export type GroupModifyInfoParam = { group_modify_info_param_group_id: string, group_modify_info_param_modify_flag: number, group_modify_info_param_group_name: string, group_modify_info_param_notification: string, group_modify_info_param_introduction: string, group_modify_info_param_face_url: string, group_modify_info_param_add_option: number, group_modify_info_param_max_member_num: number, group_modify_info_param_visible: number, group_modify_info_param_searchable: number, group_modify_info_param_is_shutup_all: boolean, group_modify_info_param_custom_info: Array<GroupInfoCustomString>, group_modify_info_param_owner: string, };

export type GroupGetInfoOption = { 
/**
 * `TIMGroupGetInfoFlag` bits; absent = [`GROUP_INFO_FLAG_ALL`].
 */
group_get_info_option_info_flag: number, group_get_info_option_custom_array: Array<string>, };

export type GroupMemberGetInfoOption = { 
/**
 * `TIMGroupMemberInfoFlag` bits; absent = [`GROUP_INFO_FLAG_ALL`].
 */
group_member_get_info_option_info_flag: number, 
/**
 * `TIMGroupMemberRoleFlag` bits; 0 = all roles.
 */
group_member_get_info_option_role_flag: number, group_member_get_info_option_custom_array: Array<string>, };

export type GroupInviteMemberParam = { group_invite_member_param_group_id: string, group_invite_member_param_identifier_array: Array<string>, group_invite_member_param_user_data: string, };

export type GroupInviteMemberResult = { group_invite_member_result_identifier: string, 
/**
 * `HandleGroupMemberResult`: 0 failed, 1 ok, 2 already a member, 3 invitation pending.
 */
group_invite_member_result_result: number, };

export type GroupDeleteMemberParam = { group_delete_member_param_group_id: string, group_delete_member_param_identifier_array: Array<string>, group_delete_member_param_user_data: string, };

export type GroupDeleteMemberResult = { group_delete_member_result_identifier: string, 
/**
 * `HandleGroupMemberResult`.
 */
group_delete_member_result_result: number, };

export type GetGroupInfoResult = { get_groups_info_result_code: number, get_groups_info_result_desc: string, get_groups_info_result_info: GroupDetailInfo | null, };

export type GroupGetMemberInfoListParam = { group_get_members_info_list_param_group_id: string, 
/**
 * Specific members; empty = page through all.
 */
group_get_members_info_list_param_identifier_array: Array<string>, group_get_members_info_list_param_option: GroupMemberGetInfoOption | null, 
/**
 * 0 the first time, then the returned cursor.
 */
group_get_members_info_list_param_next_seq: number, };

export type GroupGetMemberInfoListResult = { 
/**
 * 0 = no more pages.
 */
group_get_memeber_info_list_result_next_seq: number, group_get_memeber_info_list_result_info_array: Array<GroupMemberInfo>, };

export type GroupModifyMemberInfoParam = { group_modify_member_info_group_id: string, group_modify_member_info_identifier: string, group_modify_member_info_modify_flag: number, group_modify_member_info_msg_flag: number, group_modify_member_info_member_role: number, 
/**
 * Mute duration in seconds (inferred); 0 = unmute.
 */
group_modify_member_info_shutup_time: number, group_modify_member_info_name_card: string, group_modify_member_info_custom_info: Array<GroupMemberInfoCustomString>, };

export type GroupPendencyOption = { 
/**
 * 0 the first time, then `group_pendency_result_next_start_time`.
 */
group_pendency_option_start_time: number, 
/**
 * Page-size hint only.
 */
group_pendency_option_max_limited: number, };

export type GroupPendency = { group_pendency_group_id: string, 
/**
 * Applicant (join request) or inviter (invitation).
 */
group_pendency_form_identifier: string, 
/**
 * The decider (admin, or invitee).
 */
group_pendency_to_identifier: string, 
/**
 * Creation time, kept as given: the only sample is 13 digits (ms), the unit is unresolved.
 */
group_pendency_add_time: number, group_pendency_pendency_type: number, group_pendency_handled: number, group_pendency_handle_result: number, group_pendency_apply_invite_msg: string, group_pendency_form_user_defined_data: string, group_pendency_approval_msg: string, group_pendency_to_user_defined_data: string, group_pendency_key: string, group_pendency_authentication: string, group_pendency_self_identifier: string, };

export type GroupPendencyResult = { 
/**
 * 0 = no more data.
 */
group_pendency_result_next_start_time: number, group_pendency_result_read_time_seq: number, group_pendency_result_unread_num: number, group_pendency_result_pendency_array: Array<GroupPendency>, };

export type GroupHandlePendencyParam = { 
/**
 * Default false = refuse.
 */
group_handle_pendency_param_is_accept: boolean, group_handle_pendency_param_handle_msg: string, group_handle_pendency_param_pendency: GroupPendency, };

export type Draft = { draft_msg: Message, draft_user_define: string, draft_edit_time: number, };

export type GroupAtInfo = { conv_group_at_info_seq: number, conv_group_at_info_at_type: number, };

export type ConvInfo = { conv_id: string, conv_type: number, conv_owner: string, conv_unread_num: number, conv_active_time: number, conv_is_has_lastmsg: boolean, conv_last_msg: Message | null, conv_is_has_draft: boolean, conv_draft: Draft | null, conv_recv_opt: number, conv_group_at_info_array: Array<GroupAtInfo>, conv_is_pinned: boolean, conv_show_name: string, conv_face_url: string, conv_group_type: number, conv_c2c_read_timestamp: number, };

export type MessageReceipt = { msg_receipt_conv_id: string, msg_receipt_conv_type: number, msg_receipt_time_stamp: number, };

export type MsgLocator = { message_locator_conv_id: string, message_locator_conv_type: number, message_locator_is_revoked: boolean, message_locator_time: number, message_locator_seq: number, message_locator_is_self: boolean, message_locator_rand: number, message_locator_unique_id: number, 
/**
 * 7.4+, in the revoke callback only: who revoked the message, and why (absent otherwise).
 */
message_revoker_user_id?: string, message_revoker_nick_name?: string, message_revoker_face_url?: string, message_revoke_reason?: string, };

export type MsgGetMsgListParam = { 
/**
 * Absent = from the newest message. The seed samples pass `{}`, which means the same.
 */
msg_getmsglist_param_last_msg: Message | null, msg_getmsglist_param_count: number, msg_getmsglist_param_is_remble: boolean, msg_getmsglist_param_is_forward: boolean, msg_getmsglist_param_last_msg_seq: number, msg_getmsglist_param_time_begin: number, msg_getmsglist_param_time_period: number, };

export type MsgDeleteParam = { msg_delete_param_msg: Message | null, msg_delete_param_is_remble: boolean, };

export type MsgBatchSendParam = { msg_batch_send_param_identifier_array: Array<string>, msg_batch_send_param_msg: Message, };

export type MsgBatchSendResult = { msg_batch_send_result_identifier: string, msg_batch_send_result_code: number, msg_batch_send_result_desc: string, msg_batch_send_result_msg: Message | null, };

export type MsgDownloadElemParam = { msg_download_elem_param_flag: number, msg_download_elem_param_type: number, msg_download_elem_param_id: string, msg_download_elem_param_business_id: number, msg_download_elem_param_url: string, };

export type MsgDownloadElemResult = { msg_download_elem_result_current_size: number, msg_download_elem_result_total_size: number, };

export type MessageSearchParam = { msg_search_param_keyword_array: Array<string>, 
/**
 * `TIMElemType` values (empty = all); `i32` like [`crate::enums::elem_type`].
 */
msg_search_param_message_type_array: Array<number>, msg_search_param_conv_id: string, 
/**
 * Invalid (0) = search every conversation.
 */
msg_search_param_conv_type: number, msg_search_param_search_time_position: number, msg_search_param_search_time_period: number, msg_search_param_page_index: number, msg_search_param_page_size: number, msg_search_param_keyword_list_match_type: number, msg_search_param_send_indentifier_array: Array<string>, };

export type MessageSearchResultItem = { msg_search_result_item_conv_id: string, msg_search_result_item_conv_type: number, msg_search_result_item_total_message_count: number, msg_search_result_item_message_array: Array<Message>, };

export type MessageSearchResult = { msg_search_result_total_count: number, msg_search_result_item_array: Array<MessageSearchResultItem>, };

export type GetC2CRecvMsgOptResult = { msg_recv_msg_opt_result_identifier: string, 
/**
 * A `TIMReceiveMessageOpt` ([`crate::enums::recv_msg_opt`]).
 */
msg_recv_msg_opt_result_opt: number, };

export type UserProfile = { user_profile_identifier: string, user_profile_nick_name: string, user_profile_gender: number, user_profile_face_url: string, user_profile_self_signature: string, user_profile_add_permission: number, user_profile_location: string, user_profile_language: number, user_profile_birthday: number, user_profile_level: number, user_profile_role: number, user_profile_custom_string_array: Array<UserProfileCustomStringInfo>, };

export type UserProfileCustomStringInfo = { user_profile_custom_string_info_key: string, user_profile_custom_string_info_value: string, };

export type UserProfileItem = { user_profile_item_nick_name: string | null, user_profile_item_gender: number | null, user_profile_item_face_url: string | null, user_profile_item_self_signature: string | null, };

export type Message = { message_elem_array: Array<Elem>, message_conv_id: string, message_conv_type: number, message_sender: string, 
/**
 * Absent means Normal (1), the documented default.
 */
message_priority: number, message_client_time: number, message_server_time: number, message_is_from_self: boolean, message_platform: number, message_is_read: boolean, message_is_online_msg: boolean, message_is_peer_read: boolean, message_status: number, message_unique_id: number, message_msg_id: string, message_rand: number, message_seq: number, message_custom_int: number, message_custom_str: string, message_cloud_custom_str: string, message_is_excluded_from_unread_count: boolean, message_group_at_user_array: Array<string>, message_is_forward_message: boolean, message_sender_profile: UserProfile | null, message_sender_group_member_info: GroupMemberInfo | null, message_offlie_push_config: OfflinePushConfig | null, message_excluded_from_last_message: boolean, message_need_read_receipt: boolean, 
/**
 * 7.x, read-only: who revoked the message (filled only when it is revoked; absent otherwise).
 */
message_revoker_user_id?: string, message_revoker_nick_name?: string, message_revoker_face_url?: string, message_revoke_reason?: string, };

export type OfflinePushConfig = { offline_push_config_desc: string, offline_push_config_ext: string, offline_push_config_flag: number, offline_push_config_ios_config: IosOfflinePushConfig | null, offline_push_config_android_config: AndroidOfflinePushConfig | null, };

export type IosOfflinePushConfig = { ios_offline_push_config_title: string, ios_offline_push_config_sound: string, ios_offline_push_config_ignore_badge: boolean, };

export type AndroidOfflinePushConfig = { android_offline_push_config_title: string, android_offline_push_config_sound: string, android_offline_push_config_notify_mode: number, android_offline_push_config_oppo_channel_id: string, };

export type Elem = ({ elem_type: 0 } & TextElem) | ({ elem_type: 1 } & ImageElem) | ({ elem_type: 2 } & SoundElem) | ({ elem_type: 3 } & CustomElem) | ({ elem_type: 4 } & FileElem) | ({ elem_type: 5 } & GroupTipsElem) | ({ elem_type: 6 } & FaceElem) | ({ elem_type: 7 } & LocationElem) | ({ elem_type: 8 } & GroupReportElem) | ({ elem_type: 9 } & VideoElem) | ({ elem_type: 10 } & { [key in string]?: JsonValue }) | ({ elem_type: 11 } & { [key in string]?: JsonValue }) | ({ elem_type: 12 } & MergeElem);

export type TextElem = { text_elem_content: string, };

export type FaceElem = { face_elem_index: number, face_elem_buf: string, };

export type LocationElem = { location_elem_desc: string, location_elem_longitude: number, location_elem_latitude: number, };

export type ImageElem = { image_elem_orig_path: string, image_elem_level: number, image_elem_format: number, image_elem_orig_id: string, image_elem_orig_pic_height: number, image_elem_orig_pic_width: number, image_elem_orig_pic_size: number, image_elem_thumb_id: string, image_elem_thumb_pic_height: number, image_elem_thumb_pic_width: number, image_elem_thumb_pic_size: number, image_elem_large_id: string, image_elem_large_pic_height: number, image_elem_large_pic_width: number, image_elem_large_pic_size: number, image_elem_orig_url: string, image_elem_thumb_url: string, image_elem_large_url: string, image_elem_task_id: number, };

export type SoundElem = { sound_elem_file_path: string, sound_elem_file_size: number, sound_elem_file_time: number, sound_elem_file_id: string, sound_elem_business_id: number, sound_elem_download_flag: number, sound_elem_url: string, sound_elem_task_id: number, };

export type CustomElem = { custom_elem_data: string, custom_elem_desc: string, custom_elem_ext: string, custom_elem_sound: string, };

export type FileElem = { file_elem_file_path: string, file_elem_file_name: string, file_elem_file_size: number, file_elem_file_id: string, file_elem_business_id: number, file_elem_download_flag: number, file_elem_url: string, file_elem_task_id: number, };

export type VideoElem = { video_elem_video_type: string, video_elem_video_size: number, video_elem_video_duration: number, video_elem_video_path: string, video_elem_video_id: string, video_elem_business_id: number, video_elem_video_download_flag: number, video_elem_video_url: string, video_elem_image_type: string, video_elem_image_size: number, video_elem_image_width: number, video_elem_image_height: number, video_elem_image_path: string, video_elem_image_id: string, video_elem_image_download_flag: number, video_elem_image_url: string, video_elem_task_id: number, };

export type MergeElem = { merge_elem_title: string, merge_elem_abstract_array: Array<string>, merge_elem_compatible_text: string, merge_elem_message_array: Array<Message>, merge_elem_layer_over_limit: boolean, merge_elem_relay_pb_key: string, merge_elem_relay_json_key: string, merge_elem_relay_buffer: string, };

