// Group parts of TIM JSON the UI reads (seed 004; baseline spellings, typos included).

export const MemberRole = { None: 0, Normal: 200, Admin: 300, Owner: 400 } as const;
export const GroupAddOption = { Forbid: 0, Auth: 1, Any: 2 } as const;
export const RecvOpt = { Receive: 0, NotReceive: 1, NotNotify: 2 } as const;
export const GroupTipType = {
  Invite: 1, Quit: 2, Kick: 3, SetAdmin: 4, CancelAdmin: 5, GroupInfoChange: 6, MemberInfoChange: 7,
} as const;
export const GroupTipChangeFlag = {
  Name: 1, Introduction: 2, Notification: 3, FaceUrl: 4, Owner: 5, Custom: 6, ShutupAll: 8, GroupAddOpt: 11,
} as const;
export const GroupReportType = {
  AddRequest: 1, AddAccept: 2, AddRefuse: 3, BeKicked: 4, Delete: 5, Create: 6, Invite: 7, Quit: 8,
  GrantAdmin: 9, CancelAdmin: 10, GroupRecycle: 11, InviteReq: 12, InviteAccept: 13, InviteRefuse: 14,
  ReadReport: 15, UserDefine: 16, ShutUpMember: 17,
} as const;
export const PendencyType = { RequestJoin: 0, InviteJoin: 1 } as const;
export const PendencyHandled = { NotHandled: 0, OtherHandled: 1, OperatorHandled: 2 } as const;

export interface UserProfileLite {
  user_profile_identifier?: string;
  user_profile_nick_name?: string;
}

export interface GroupDetailInfo {
  group_detial_info_group_id: string;
  group_detial_info_group_type: number;
  group_detial_info_group_name: string;
  group_detial_info_notification: string;
  group_detial_info_introduction: string;
  group_detial_info_face_url: string;
  group_detial_info_member_num: number;
  group_detial_info_add_option: number;
  group_detial_info_is_shutup_all: boolean;
  group_detial_info_owener_identifier: string;
}

export interface GroupMemberInfo {
  group_member_info_identifier: string;
  group_member_info_member_role: number;
  group_member_info_msg_flag?: number;
  /** Muted until (UTC seconds); 0 = not muted. */
  group_member_info_shutup_time?: number;
  group_member_info_name_card?: string;
  group_member_info_nick_name?: string;
  group_member_info_face_url?: string;
}

export interface GroupMemberListResult {
  group_get_memeber_info_list_result_next_seq: number;
  group_get_memeber_info_list_result_info_array: GroupMemberInfo[];
}

export interface GroupPendency {
  group_pendency_group_id: string;
  group_pendency_form_identifier: string;
  group_pendency_to_identifier?: string;
  group_pendency_add_time: number;
  group_pendency_pendency_type: number;
  group_pendency_handled: number;
  group_pendency_handle_result: number;
  group_pendency_apply_invite_msg: string;
  group_pendency_approval_msg?: string;
  group_pendency_key: string;
  [key: string]: unknown;
}

export interface GroupPendencyResult {
  group_pendency_result_next_start_time: number;
  group_pendency_result_read_time_seq: number;
  group_pendency_result_unread_num: number;
  group_pendency_result_pendency_array: GroupPendency[];
}

export interface GroupTipsElem {
  elem_type: 5;
  group_tips_elem_tip_type?: number;
  group_tips_elem_op_user?: string;
  group_tips_elem_group_name?: string;
  group_tips_elem_user_array?: string[];
  group_tips_elem_group_change_info_array?: {
    group_tips_group_change_info_flag: number;
    group_tips_group_change_info_value?: string;
    group_tips_group_change_info_bool_value?: boolean;
  }[];
  group_tips_elem_member_change_info_array?: {
    group_tips_member_change_info_identifier: string;
    group_tips_member_change_info_shutupTime: number;
  }[];
  group_tips_elem_op_user_info?: UserProfileLite | null;
  group_tips_elem_changed_user_info_array?: UserProfileLite[];
}

export interface GroupReportElem {
  elem_type: 8;
  group_report_elem_report_type?: number;
  group_report_elem_group_id?: string;
  group_report_elem_group_name?: string;
  group_report_elem_op_user?: string;
  group_report_elem_msg?: string;
  group_report_elem_op_user_info?: UserProfileLite | null;
}
