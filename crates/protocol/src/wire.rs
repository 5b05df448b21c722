//! Frames between the Confab SDK and the Confab server over one WebSocket (JSON text frames).
//!
//! The client sends [`ClientFrame`]s, each with an `id`; the server answers every one with a
//! [`ServerFrame::Response`] carrying the same id, a TIM error code and a JSON `data` value.
//! Server-initiated frames are [`ServerFrame::Push`] (an event, stored in the user's inbox with
//! a per-user sequence number `seq`, or `seq` 0 for online-only events), and the terminal
//! [`ServerFrame::Kicked`] / [`ServerFrame::SigExpired`] after which the server closes.
//!
//! Catch-up rule: the client applies pushes in `seq` order. A gap (seq > last + 1) or a
//! (re)connect makes it call [`Request::Sync`] from its last applied seq until `more` is false.
//! Group messages are not in the inbox (read diffusion): they come as [`Event::GroupMsg`]
//! (seq 0) ordered by each group's own `message_seq`; a gap in a group, or a (re)connect, makes
//! the client pull the group's missing range ([`Request::GroupCursors`], [`Request::History`]).
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::conv::{MessageReceipt, MsgLocator};
use crate::group::{
    CreateGroupParam, GroupDeleteMemberParam, GroupGetMemberInfoListParam, GroupHandlePendencyParam,
    GroupInviteMemberParam, GroupModifyInfoParam, GroupModifyMemberInfoParam, GroupPendencyOption,
};
use crate::message::Message;
use crate::profile::UserProfileItem;

/// Protocol version the server and client speak; bumped only by extension.
pub const PROTOCOL_VERSION: u32 = 1;
/// The largest frame either side accepts (the TIM packet limit, 9522).
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientFrame {
    pub id: u64,
    #[serde(flatten)]
    pub req: Request,
}

// A frame lives only between parsing and handling (or building and sending); boxing its
// larger variants would add an allocation to every message for no memory saved.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Authenticate this connection. `instance_id` identifies one SDK installation (data dir),
    /// so that the server can tell "the same device again" from "another device".
    Login {
        sdk_app_id: u64,
        user_id: String,
        user_sig: String,
        platform: u32,
        instance_id: String,
        /// True for an automatic reconnect: it never displaces another device (6208 instead).
        #[serde(default)]
        resume: bool,
    },
    Logout,
    Ping,
    /// Create an account with a password (before login). Answers `{user_sig, sdk_app_id}`.
    Register {
        user_id: String,
        password: String,
        #[serde(default)]
        nick_name: String,
    },
    /// Sign in with a password (before login). Answers `{user_sig, sdk_app_id}`.
    PasswordLogin {
        user_id: String,
        password: String,
    },
    /// Change the logged-in user's password. Every UserSig issued before stops working (70001)
    /// and the user's other sessions end with `SigExpired`; this one goes on. Answers
    /// `{user_id, user_sig, sdk_app_id}`: a fresh UserSig for this device.
    ChangePassword {
        old_password: String,
        new_password: String,
    },
    /// "Sign out everywhere": every UserSig of the logged-in user issued so far stops working
    /// (70001) and every other session ends with `SigExpired`. The caller logs out itself.
    SignOutEverywhere,
    /// Send a message. `msg.message_msg_id` is the client key the server dedupes retries by.
    SendMsg {
        conv_type: u32,
        conv_id: String,
        msg: Message,
    },
    /// Inbox events after `after`. Answers [`SyncResult`].
    Sync {
        after: u64,
    },
    /// Roaming history of one conversation. Answers `{"msgs": [Message]}` ordered by seq, newest
    /// first when `forward` is false.
    History {
        conv_type: u32,
        conv_id: String,
        anchor_seq: u64,
        forward: bool,
        include_anchor: bool,
        count: u32,
    },
    /// I have read everything in this conversation up to `time` (server time, seconds).
    ReportRead {
        conv_type: u32,
        conv_id: String,
        time: u64,
    },
    Revoke {
        conv_type: u32,
        conv_id: String,
        msg_id: String,
    },
    /// Hide messages of a conversation from my roaming history (at most 30).
    DeleteMsgs {
        conv_type: u32,
        conv_id: String,
        msg_ids: Vec<String>,
    },
    /// Hide everything currently in a conversation from my roaming history.
    ClearHistory {
        conv_type: u32,
        conv_id: String,
    },
    /// How I receive one-to-one messages from each of `user_ids` (0, 1 or 2).
    SetC2CRecvOpt {
        user_ids: Vec<String>,
        opt: u32,
    },
    /// Answers `[GetC2CRecvMsgOptResult]`.
    GetC2CRecvOpt {
        user_ids: Vec<String>,
    },
    GetProfiles {
        user_ids: Vec<String>,
    },
    ModifySelfProfile {
        item: UserProfileItem,
    },
    CreateGroup {
        param: CreateGroupParam,
    },
    JoinedGroups,
    /// Dismiss a group (`TIMGroupDelete`).
    DeleteGroup {
        group_id: String,
    },
    /// Apply to join (`TIMGroupJoin`). Answers `{"group_type", "pending"}`: pending is true when
    /// the request waits for an owner or admin.
    JoinGroup {
        group_id: String,
        #[serde(default)]
        hello_msg: String,
    },
    QuitGroup {
        group_id: String,
    },
    /// Answers an array of GroupInviteMemberResult.
    InviteMembers {
        param: GroupInviteMemberParam,
    },
    /// Kick members. Answers an array of GroupDeleteMemberResult.
    DeleteMembers {
        param: GroupDeleteMemberParam,
    },
    /// Answers an array of GetGroupInfoResult.
    GroupInfo {
        group_ids: Vec<String>,
    },
    ModifyGroupInfo {
        param: GroupModifyInfoParam,
    },
    /// Answers a GroupGetMemberInfoListResult.
    MemberInfoList {
        param: GroupGetMemberInfoListParam,
    },
    ModifyMemberInfo {
        param: GroupModifyMemberInfoParam,
    },
    /// Answers a GroupPendencyResult.
    GroupPendencyList {
        option: GroupPendencyOption,
    },
    /// Pendencies added up to `time` (seconds) count as read.
    GroupPendencyRead {
        time: u64,
    },
    HandleGroupPendency {
        param: GroupHandlePendencyParam,
    },
    /// My receive option for a group (`TIMMsgSetGroupReceiveMessageOpt`).
    SetGroupRecvOpt {
        group_id: String,
        opt: u32,
    },
    /// Pin or unpin one of my conversations (`TIMConvPinConversation`); my other devices get
    /// [`Event::ConvPinned`].
    PinConv {
        conv_type: u32,
        conv_id: String,
        pinned: bool,
    },
    /// My pinned conversations. Answers `{"pins": [ConvPin]}`.
    PinnedConvs,
    /// Where each of my groups' history stands, to catch up after being away (group messages
    /// are not in the inbox: see [`Event::GroupMsg`]). Answers `{"groups": [GroupCursor]}`.
    GroupCursors,
    /// The newest seq of my inbox, answered in order with my pushes: a device that holds less
    /// once its queued pushes are applied missed some on a live connection and resyncs.
    /// Answers `{"latest_seq": n}`.
    InboxLatest,
    /// A signed, expiring download path (`/media/d/...`) for an uploaded content id. Answered
    /// only to the uploader and to participants of a conversation whose messages reference it.
    MediaUrl {
        content_id: String,
    },
}

// As for `Request`: a transient frame, not worth boxing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Response {
        id: u64,
        code: i32,
        #[serde(default)]
        desc: String,
        #[serde(default)]
        data: Value,
    },
    Push(Push),
    /// Another device of this user logged in on the same platform; the connection closes.
    Kicked,
    /// The session's UserSig expired; the connection closes.
    SigExpired,
    /// Pushes may have been lost on this live connection (the server's link to the other nodes
    /// of its service was interrupted): catch up (inbox and groups) at a random moment within
    /// `within_ms`, so that a whole node's clients do not come at once. Clients that do not know
    /// this frame skip it and catch up at their next gap, heartbeat check or reconnect.
    Resync {
        #[serde(default)]
        within_ms: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Push {
    /// Per-user inbox sequence (consecutive from 1), or 0 for events that are not stored.
    pub seq: u64,
    pub event: Event,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A message in a conversation of the receiving user (conv id as seen by that user).
    NewMsg { msg: Message },
    /// The peer read my C2C messages up to a time.
    Receipt { receipt: MessageReceipt },
    /// A message was revoked.
    Revoked { locator: MsgLocator, msg_id: String },
    /// A message I sent was changed by the server (content hook).
    MsgUpdated { msg: Message },
    /// One of my conversations was pinned or unpinned (on any of my devices). Online-only
    /// (seq 0): a device that was away reads the whole list with [`Request::PinnedConvs`].
    ConvPinned { pin: ConvPin, pinned: bool },
    /// A message of one of my groups (a member's message or group tips), stored once in the
    /// group's history (read diffusion): pushed with seq 0, as it is not in my inbox. Its
    /// `message_seq` is the group's seq: a receiver that sees a gap pulls the missing range with
    /// [`Request::History`] (forward from the last seq it has), and after being away asks
    /// [`Request::GroupCursors`] where each group stands.
    GroupMsg { msg: Message },
}

/// Where one of my groups' history stands.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupCursor {
    pub group_id: String,
    pub group_type: u32,
    /// My receive option (TIMReceiveMessageOpt); "do not receive" groups are not caught up.
    pub msg_flag: u32,
    /// The group's newest seq.
    pub latest_seq: u64,
    /// My history of this group starts after this seq (0: from the beginning).
    pub visible_after: u64,
}

/// A pinned conversation; `pinned_time` (server seconds) orders pins made at different times.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConvPin {
    pub conv_type: u32,
    pub conv_id: String,
    #[serde(default)]
    pub pinned_time: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SyncResult {
    pub events: Vec<Push>,
    /// True when more events follow `events` (call again from the last seq).
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LoginResult {
    /// The server's clock (seconds) at login, for `TIMGetServerTime`.
    pub server_time: u64,
    /// The newest inbox seq at login.
    pub latest_seq: u64,
    /// How long after sending (seconds) a sender may recall an own message; 0 when the server
    /// does not say (an older server).
    #[serde(default)]
    pub revoke_window: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AccountResult {
    pub user_id: String,
    pub user_sig: String,
    pub sdk_app_id: u64,
}

/// Message id format: `<prefix>-<client_time>-<rand>` with only `[0-9A-Za-z_]` in the parts.
pub fn is_valid_msg_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 3
        && id.len() <= 96
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// User identifier rule (7003): non-empty printable ASCII, at most 32 bytes.
pub fn is_valid_user_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| (0x20..=0x7e).contains(&b))
}
