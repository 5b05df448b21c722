//! Conversations, drafts, locators, receipts and message-list parameters (§5.4, §5.5).
use serde::{Deserialize, Serialize};

use crate::message::Message;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub draft_msg: Message,
    pub draft_user_define: String,
    pub draft_edit_time: u64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupAtInfo {
    pub conv_group_at_info_seq: u64,
    pub conv_group_at_info_at_type: u32,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConvInfo {
    pub conv_id: String,
    pub conv_type: u32,
    pub conv_owner: String,
    pub conv_unread_num: u64,
    pub conv_active_time: u64,
    pub conv_is_has_lastmsg: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conv_last_msg: Option<Message>,
    pub conv_is_has_draft: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conv_draft: Option<Draft>,
    pub conv_recv_opt: u32,
    pub conv_group_at_info_array: Vec<GroupAtInfo>,
    pub conv_is_pinned: bool,
    pub conv_show_name: String,
    pub conv_face_url: String,
    pub conv_group_type: u32,
    pub conv_c2c_read_timestamp: u64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageReceipt {
    pub msg_receipt_conv_id: String,
    pub msg_receipt_conv_type: u32,
    pub msg_receipt_time_stamp: u64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MsgLocator {
    pub message_locator_conv_id: String,
    pub message_locator_conv_type: u32,
    pub message_locator_is_revoked: bool,
    pub message_locator_time: u64,
    pub message_locator_seq: u64,
    pub message_locator_is_self: bool,
    pub message_locator_rand: u64,
    pub message_locator_unique_id: u64,
    /// 7.4+, in the revoke callback only: who revoked the message, and why (absent otherwise).
    #[serde(skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>", optional))]
    pub message_revoker_user_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>", optional))]
    pub message_revoker_nick_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>", optional))]
    pub message_revoker_face_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>", optional))]
    pub message_revoke_reason: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MsgGetMsgListParam {
    /// Absent = from the newest message. The seed samples pass `{}`, which means the same.
    pub msg_getmsglist_param_last_msg: Option<Message>,
    pub msg_getmsglist_param_count: u32,
    #[serde(alias = "msg_getmsglist_param_is_ramble")]
    pub msg_getmsglist_param_is_remble: bool,
    pub msg_getmsglist_param_is_forward: bool,
    pub msg_getmsglist_param_last_msg_seq: u64,
    pub msg_getmsglist_param_time_begin: u64,
    pub msg_getmsglist_param_time_period: u64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MsgDeleteParam {
    pub msg_delete_param_msg: Option<Message>,
    #[serde(alias = "msg_delete_param_is_ramble")]
    pub msg_delete_param_is_remble: bool,
}
