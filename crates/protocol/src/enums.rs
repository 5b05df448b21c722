//! Known values of the TIM integer enumerations (§4 of the spec). Fields stay plain integers so
//! that values added by newer peers pass through unchanged.

/// A module of TIM enumeration constants, plus `KNOWN`: every known value by name (the
/// TypeScript bindings for the UI are generated from it).
macro_rules! tim_enum {
    ($(#[$m:meta])* pub mod $name:ident { $($(#[$cm:meta])* pub const $c:ident: $t:ty = $v:expr;)* }) => {
        $(#[$m])*
        pub mod $name {
            $($(#[$cm])* pub const $c: $t = $v;)*
            /// Every known value, by name.
            pub const KNOWN: &[(&str, i64)] = &[$((stringify!($c), $c as i64)),*];
        }
    };
}

tim_enum! {
pub mod conv_type {
    pub const INVALID: u32 = 0;
    pub const C2C: u32 = 1;
    pub const GROUP: u32 = 2;
    pub const SYSTEM: u32 = 3;
}
}
tim_enum! {
pub mod conv_event {
    pub const ADD: i32 = 0;
    pub const DEL: i32 = 1;
    pub const UPDATE: i32 = 2;
    pub const START: i32 = 3;
    pub const FINISH: i32 = 4;
}
}
tim_enum! {
pub mod network_status {
    pub const CONNECTED: i32 = 0;
    pub const DISCONNECTED: i32 = 1;
    pub const CONNECTING: i32 = 2;
    pub const CONNECT_FAILED: i32 = 3;
}
}
tim_enum! {
pub mod login_status {
    pub const LOGINED: i32 = 1;
    pub const LOGINING: i32 = 2;
    pub const UNLOGINED: i32 = 3;
    pub const LOGOUTING: i32 = 4;
}
}
tim_enum! {
pub mod platform {
    pub const OTHER: u32 = 0;
    pub const WINDOWS: u32 = 1;
    pub const ANDROID: u32 = 2;
    pub const IOS: u32 = 3;
    pub const MAC: u32 = 4;
    pub const SIMULATOR: u32 = 5;
}
}
tim_enum! {
pub mod elem_type {
    pub const TEXT: i32 = 0;
    pub const IMAGE: i32 = 1;
    pub const SOUND: i32 = 2;
    pub const CUSTOM: i32 = 3;
    pub const FILE: i32 = 4;
    pub const GROUP_TIPS: i32 = 5;
    pub const FACE: i32 = 6;
    pub const LOCATION: i32 = 7;
    pub const GROUP_REPORT: i32 = 8;
    pub const VIDEO: i32 = 9;
    pub const FRIEND_CHANGE: i32 = 10;
    pub const PROFILE_CHANGE: i32 = 11;
    pub const MERGE: i32 = 12;
    pub const INVALID: i32 = -1;
}
}
tim_enum! {
pub mod msg_status {
    pub const SENDING: u32 = 1;
    pub const SEND_SUCC: u32 = 2;
    pub const SEND_FAIL: u32 = 3;
    pub const DELETED: u32 = 4;
    pub const LOCAL_IMPORTED: u32 = 5;
    pub const REVOKED: u32 = 6;
    pub const CANCEL: u32 = 7;
}
}
tim_enum! {
pub mod msg_priority {
    pub const HIGH: u32 = 0;
    pub const NORMAL: u32 = 1;
    pub const LOW: u32 = 2;
    pub const LOWEST: u32 = 3;
}
}
tim_enum! {
pub mod recv_msg_opt {
    pub const RECEIVE: u32 = 0;
    pub const NOT_RECEIVE: u32 = 1;
    pub const NOT_NOTIFY: u32 = 2;
}
}
tim_enum! {
pub mod group_type {
    pub const PUBLIC: u32 = 0;
    pub const PRIVATE: u32 = 1;
    pub const CHAT_ROOM: u32 = 2;
    pub const B_CHAT_ROOM: u32 = 3;
    pub const AV_CHAT_ROOM: u32 = 4;
    pub const COMMUNITY: u32 = 5;
}
}
tim_enum! {
pub mod group_add_option {
    pub const FORBID: u32 = 0;
    pub const AUTH: u32 = 1;
    pub const ANY: u32 = 2;
}
}
tim_enum! {
pub mod member_role {
    pub const NONE: u32 = 0;
    pub const NORMAL: u32 = 200;
    pub const ADMIN: u32 = 300;
    pub const OWNER: u32 = 400;
}
}
tim_enum! {
pub mod group_tip_type {
    pub const NONE: u32 = 0;
    pub const INVITE: u32 = 1;
    pub const QUIT: u32 = 2;
    pub const KICK: u32 = 3;
    pub const SET_ADMIN: u32 = 4;
    pub const CANCEL_ADMIN: u32 = 5;
    pub const GROUP_INFO_CHANGE: u32 = 6;
    pub const MEMBER_INFO_CHANGE: u32 = 7;
}
}
tim_enum! {
pub mod group_report_type {
    pub const ADD_REQUEST: u32 = 1;
    pub const ADD_ACCEPT: u32 = 2;
    pub const ADD_REFUSE: u32 = 3;
    pub const BE_KICKED: u32 = 4;
    pub const DELETE: u32 = 5;
    pub const CREATE: u32 = 6;
    pub const INVITE: u32 = 7;
    pub const QUIT: u32 = 8;
    pub const GRANT_ADMIN: u32 = 9;
    pub const CANCEL_ADMIN: u32 = 10;
    pub const GROUP_RECYCLE: u32 = 11;
    pub const INVITE_REQ: u32 = 12;
    pub const INVITE_ACCEPT: u32 = 13;
    pub const INVITE_REFUSE: u32 = 14;
}
}
tim_enum! {
/// `TIMGroupTipGroupChangeFlag` (`group_tips_group_change_info_flag`); 8 and up are 7.x values.
pub mod group_tip_change_flag {
    pub const UNKNOWN: u32 = 0;
    pub const NAME: u32 = 1;
    pub const INTRODUCTION: u32 = 2;
    pub const NOTIFICATION: u32 = 3;
    pub const FACE_URL: u32 = 4;
    pub const OWNER: u32 = 5;
    pub const CUSTOM: u32 = 6;
    pub const ATTRIBUTE: u32 = 7;
    pub const SHUTUP_ALL: u32 = 8;
    pub const GROUP_ADD_OPT: u32 = 11;
}
}
tim_enum! {
pub mod group_pendency_type {
    pub const REQUEST_JOIN: u32 = 0;
    pub const INVITE_JOIN: u32 = 1;
    pub const REQ_AND_INVITE: u32 = 2;
}
}
tim_enum! {
pub mod group_pendency_handle {
    pub const NOT_HANDLE: u32 = 0;
    pub const OTHER_HANDLE: u32 = 1;
    pub const OPERATOR_HANDLE: u32 = 2;
}
}
tim_enum! {
pub mod group_pendency_handle_result {
    pub const REFUSE: u32 = 0;
    pub const ACCEPT: u32 = 1;
}
}
tim_enum! {
/// `HandleGroupMemberResult` (per-user result of invite / delete member).
pub mod handle_group_member_result {
    pub const HANDLED_ERR: u32 = 0;
    pub const HANDLED_SUC: u32 = 1;
    pub const INCLUDED: u32 = 2;
    pub const INVITED: u32 = 3;
}
}
tim_enum! {
/// `TIMGroupModifyInfoFlag` bits (`group_modify_info_param_modify_flag`).
pub mod group_modify_info_flag {
    pub const NONE: u32 = 0;
    pub const NAME: u32 = 0x1;
    pub const NOTIFICATION: u32 = 0x2;
    pub const INTRODUCTION: u32 = 0x4;
    pub const FACE_URL: u32 = 0x8;
    pub const ADD_OPTION: u32 = 0x10;
    pub const MAX_MEMBER_NUM: u32 = 0x20;
    pub const VISIBLE: u32 = 0x40;
    pub const SEARCHABLE: u32 = 0x80;
    pub const SHUTUP_ALL: u32 = 0x100;
    pub const CUSTOM: u32 = 0x200;
    /// Owner transfer; must be used alone.
    pub const OWNER: u32 = 0x8000_0000;
}
}
tim_enum! {
/// `TIMGroupMemberModifyInfoFlag` bits (`group_modify_member_info_modify_flag`).
pub mod group_member_modify_flag {
    pub const NONE: u32 = 0;
    pub const MSG_FLAG: u32 = 0x1;
    pub const MEMBER_ROLE: u32 = 0x2;
    pub const SHUTUP_TIME: u32 = 0x4;
    pub const NAME_CARD: u32 = 0x8;
    pub const CUSTOM: u32 = 0x10;
}
}
tim_enum! {
/// `TIMGroupMemberInfoFlag` bits (`group_member_get_info_option_info_flag`).
pub mod group_member_info_flag {
    pub const NONE: u64 = 0;
    pub const JOIN_TIME: u64 = 0x1;
    pub const MSG_FLAG: u64 = 0x2;
    pub const MSG_SEQ: u64 = 0x4;
    pub const MEMBER_ROLE: u64 = 0x8;
    pub const SHUTUP_UNTILL: u64 = 0x10;
    pub const NAME_CARD: u64 = 0x20;
}
}
tim_enum! {
/// `TIMGroupMemberRoleFlag` bits (`group_member_get_info_option_role_flag`).
pub mod group_member_role_flag {
    pub const ALL: u64 = 0;
    pub const OWNER: u64 = 0x1;
    pub const ADMIN: u64 = 0x2;
    pub const MEMBER: u64 = 0x4;
}
}
tim_enum! {
pub mod download_type {
    pub const VIDEO_THUMB: u32 = 0;
    pub const FILE: u32 = 1;
    pub const VIDEO: u32 = 2;
    pub const SOUND: u32 = 3;
}
}
tim_enum! {
pub mod log_level {
    pub const OFF: u32 = 0;
    pub const TEST: u32 = 1;
    pub const VERBOSE: u32 = 2;
    pub const DEBUG: u32 = 3;
    pub const INFO: u32 = 4;
    pub const WARN: u32 = 5;
    pub const ERROR: u32 = 6;
    pub const ASSERT: u32 = 7;
}
}
tim_enum! {
pub mod image_format {
    pub const JPG: i32 = 1;
    pub const GIF: i32 = 2;
    pub const PNG: i32 = 3;
    pub const BMP: i32 = 4;
    pub const UNKNOWN: i32 = 255;
}
}

/// The system account that sends server-generated notices.
pub const SYSTEM_SENDER: &str = "@TIM#SYSTEM";
/// The @all sentinel (baseline spelling; the 7.x spelling is accepted too).
pub const AT_ALL: &str = "__kImSDK_MesssageAtALL__";
pub const AT_ALL_7X: &str = "__kImSDK_MessageAtALL__";
