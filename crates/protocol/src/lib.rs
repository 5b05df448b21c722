//! confab-protocol: the TIM C SDK JSON data model and Confab's client/server wire frames.
//!
//! Every struct here serializes with the exact JSON keys of the TIM C API (baseline spelling,
//! typos included) and accepts the 7.x spellings as aliases on input. Rust field names *are* the
//! JSON keys, so `msg.message_conv_id` is the `message_conv_id` key. Enumerations are plain
//! integers (the wire format is integers, and newer servers add members), with the known values
//! as constants in [`enums`]. 64-bit ids are `u64` end to end and never pass through `f64`.
//!
//! This crate has no I/O: no tokio, no sqlx, no tauri.

pub mod codes;
pub mod config;
pub mod conv;
pub mod enums;
pub mod group;
pub mod message;
pub mod msg_ops;
pub mod profile;
mod serde_util;
pub mod wire;

pub use codes::{Code, TimResult};
pub use config::{SdkConfig, SetConfig, UserConfig};
pub use conv::{ConvInfo, Draft, GroupAtInfo, MessageReceipt, MsgDeleteParam, MsgGetMsgListParam, MsgLocator};
pub use message::*;
pub use msg_ops::{
    GetC2CRecvMsgOptResult, MessageSearchParam, MessageSearchResult, MessageSearchResultItem, MsgBatchSendParam,
    MsgBatchSendResult, MsgDownloadElemParam, MsgDownloadElemResult,
};
pub use profile::{UserProfile, UserProfileItem};
