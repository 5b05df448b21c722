// The parts of TIM JSON (Tencent Cloud IM C SDK) the UI reads. Field names are the TIM ones;
// these are views of the public TIM contract that confab-protocol implements.

export const ConvType = { C2C: 1, Group: 2 } as const;
export const ElemType = {
  Text: 0, Image: 1, Sound: 2, Custom: 3, File: 4, GroupTips: 5, Face: 6, Location: 7,
  GroupReport: 8, Video: 9, FriendChange: 10, ProfileChange: 11, Merge: 12,
} as const;
export const MsgStatus = { Sending: 1, SendSucc: 2, SendFail: 3, Deleted: 4, Imported: 5, Revoked: 6 } as const;
export const NetworkStatus = { Connected: 0, Disconnected: 1, Connecting: 2, ConnectFailed: 3 } as const;
export const ConvEvent = { Add: 0, Del: 1, Update: 2, Start: 3, Finish: 4 } as const;
export const GroupType = { Public: 0, Private: 1, ChatRoom: 2, BChatRoom: 3, AVChatRoom: 4, Community: 5 } as const;

export interface Elem {
  elem_type: number;
  text_elem_content?: string;
  face_elem_index?: number;
  face_elem_buf?: string;
  file_elem_file_name?: string;
  file_elem_file_size?: number;
  sound_elem_file_time?: number;
  video_elem_video_duration?: number;
  custom_elem_desc?: string;
  custom_elem_data?: string;
  location_elem_desc?: string;
  merge_elem_title?: string;
  group_tips_elem_tip_type?: number;
  group_tips_elem_op_user?: string;
  [key: string]: unknown;
}

export interface UserProfile {
  user_profile_identifier?: string;
  user_profile_nick_name?: string;
  user_profile_face_url?: string;
}

export interface Message {
  message_elem_array: Elem[];
  message_conv_id: string;
  message_conv_type: number;
  message_sender: string;
  message_client_time: number;
  message_server_time: number;
  message_is_from_self: boolean;
  message_is_read?: boolean;
  message_is_peer_read?: boolean;
  message_status: number;
  message_msg_id: string;
  message_seq?: number;
  message_rand?: number;
  message_unique_id?: number;
  message_sender_profile?: UserProfile | null;
  message_group_at_user_array?: string[];
  message_is_forward_message?: boolean;
  /** Who recalled it (TIM 7.x, only on recalled messages). */
  message_revoker_user_id?: string;
  message_revoker_nick_name?: string;
  message_revoker_face_url?: string;
  message_revoke_reason?: string;
  /** UI only: a key for a message still without an id (optimistic send). */
  local_key?: string;
}

export interface Draft {
  draft_msg: Message;
  draft_edit_time: number;
}

export interface ConvInfo {
  conv_id: string;
  conv_type: number;
  conv_unread_num: number;
  conv_active_time: number;
  conv_is_has_lastmsg?: boolean;
  conv_last_msg?: Message | null;
  conv_is_has_draft?: boolean;
  conv_draft?: Draft | null;
  conv_recv_opt?: number;
  conv_is_pinned?: boolean;
  conv_show_name?: string;
  conv_face_url?: string;
  conv_c2c_read_timestamp?: number;
  conv_group_at_info_array?: GroupAtInfo[];
}

/** An @ of the user in a group conversation (at type 1: @me, 2: @all, 3: both). */
export interface GroupAtInfo {
  conv_group_at_info_seq: number;
  conv_group_at_info_at_type: number;
}

export interface MessageReceipt {
  msg_receipt_conv_id: string;
  msg_receipt_conv_type: number;
  msg_receipt_time_stamp: number;
}

export interface MsgLocator {
  message_locator_conv_id: string;
  message_locator_conv_type: number;
  message_locator_time: number;
  message_locator_seq: number;
  message_locator_rand: number;
  message_locator_unique_id?: number;
  /** Who recalled it (TIM 7.4+, in the revoke callback). */
  message_revoker_user_id?: string;
  message_revoker_nick_name?: string;
  message_revoker_face_url?: string;
  message_revoke_reason?: string;
}

/** A core event as the shell emits it on `confab://event`. */
export type CoreEvent =
  | { event: "TIMRecvNewMsgCallback"; json: Message[] }
  | { event: "TIMMsgUpdateCallback"; json: Message[] }
  | { event: "TIMMsgReadedReceiptCallback"; json: MessageReceipt[] }
  | { event: "TIMMsgRevokeCallback"; json: MsgLocator[] }
  | { event: "TIMConvEventCallback"; conv_event: number; json: ConvInfo[] | "" }
  | { event: "TIMNetworkStatusListenerCallback"; status: number; code: number; desc: string }
  | { event: "TIMKickedOfflineCallback" }
  | { event: "TIMUserSigExpiredCallback" }
  | { event: string; [key: string]: unknown };

export const convKey = (c: { conv_id: string; conv_type: number }) => `${c.conv_type}:${c.conv_id}`;
