//! Message-operation parameters and results (§5.4): batch send, element download, local
//! search and the C2C receive option query.
use serde::{Deserialize, Serialize};

use crate::message::Message;

/// `TIMMsgBatchSend` input (C2C only).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MsgBatchSendParam {
    pub msg_batch_send_param_identifier_array: Vec<String>,
    pub msg_batch_send_param_msg: Message,
}

/// One item of the `TIMMsgBatchSend` result array (one per recipient).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MsgBatchSendResult {
    pub msg_batch_send_result_identifier: String,
    pub msg_batch_send_result_code: i32,
    pub msg_batch_send_result_desc: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_batch_send_result_msg: Option<Message>,
}

/// `TIMMsgDownloadElemToPath` input: copied from the element's `*_download_flag`, `*_id`,
/// `*_business_id` and `*_url`; `type` is a `TIMDownloadType`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MsgDownloadElemParam {
    pub msg_download_elem_param_flag: u32,
    pub msg_download_elem_param_type: u32,
    pub msg_download_elem_param_id: String,
    pub msg_download_elem_param_business_id: u32,
    pub msg_download_elem_param_url: String,
}

/// `TIMMsgDownloadElemToPath` progress / completion (done when current == total).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MsgDownloadElemResult {
    pub msg_download_elem_result_current_size: u32,
    pub msg_download_elem_result_total_size: u32,
}

/// `TIMMsgSearchLocalMessages` input.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageSearchParam {
    pub msg_search_param_keyword_array: Vec<String>,
    /// `TIMElemType` values (empty = all); `i32` like [`crate::enums::elem_type`].
    pub msg_search_param_message_type_array: Vec<i32>,
    pub msg_search_param_conv_id: String,
    /// Invalid (0) = search every conversation.
    pub msg_search_param_conv_type: u32,
    pub msg_search_param_search_time_position: u64,
    pub msg_search_param_search_time_period: u64,
    pub msg_search_param_page_index: u32,
    pub msg_search_param_page_size: u32,
    pub msg_search_param_keyword_list_match_type: u32,
    #[serde(alias = "msg_search_param_send_identifier_array")]
    pub msg_search_param_send_indentifier_array: Vec<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageSearchResultItem {
    pub msg_search_result_item_conv_id: String,
    pub msg_search_result_item_conv_type: u32,
    pub msg_search_result_item_total_message_count: u32,
    pub msg_search_result_item_message_array: Vec<Message>,
}

/// `TIMMsgSearchLocalMessages` result.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageSearchResult {
    pub msg_search_result_total_count: u32,
    pub msg_search_result_item_array: Vec<MessageSearchResultItem>,
}

/// One item of the `TIMMsgGetC2CReceiveMessageOpt` result array.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GetC2CRecvMsgOptResult {
    pub msg_recv_msg_opt_result_identifier: String,
    /// A `TIMReceiveMessageOpt` ([`crate::enums::recv_msg_opt`]).
    pub msg_recv_msg_opt_result_opt: u32,
}
