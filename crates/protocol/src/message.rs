//! Message and its elements (§5.2, §5.3).
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::enums::elem_type;
use crate::group::{GroupMemberInfo, GroupReportElem, GroupTipsElem};
use crate::profile::UserProfile;

/// A message (`message_*` keys).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Message {
    pub message_elem_array: Vec<Elem>,
    pub message_conv_id: String,
    pub message_conv_type: u32,
    pub message_sender: String,
    /// Absent means Normal (1), the documented default.
    pub message_priority: u32,
    pub message_client_time: u64,
    pub message_server_time: u64,
    pub message_is_from_self: bool,
    pub message_platform: u32,
    pub message_is_read: bool,
    pub message_is_online_msg: bool,
    pub message_is_peer_read: bool,
    pub message_status: u32,
    pub message_unique_id: u64,
    pub message_msg_id: String,
    pub message_rand: u64,
    pub message_seq: u64,
    pub message_custom_int: u32,
    pub message_custom_str: String,
    pub message_cloud_custom_str: String,
    pub message_is_excluded_from_unread_count: bool,
    pub message_group_at_user_array: Vec<String>,
    pub message_is_forward_message: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_sender_profile: Option<UserProfile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_sender_group_member_info: Option<GroupMemberInfo>,
    #[serde(alias = "message_offline_push_config", skip_serializing_if = "Option::is_none")]
    pub message_offlie_push_config: Option<OfflinePushConfig>,
    pub message_excluded_from_last_message: bool,
    pub message_need_read_receipt: bool,
    /// 7.x, read-only: who revoked the message (filled only when it is revoked; absent otherwise).
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

impl Default for Message {
    /// Every field empty, except the priority: Normal (1) is the documented default.
    fn default() -> Self {
        Message {
            message_elem_array: Default::default(),
            message_conv_id: Default::default(),
            message_conv_type: Default::default(),
            message_sender: Default::default(),
            message_priority: normal_priority(),
            message_client_time: Default::default(),
            message_server_time: Default::default(),
            message_is_from_self: Default::default(),
            message_platform: Default::default(),
            message_is_read: Default::default(),
            message_is_online_msg: Default::default(),
            message_is_peer_read: Default::default(),
            message_status: Default::default(),
            message_unique_id: Default::default(),
            message_msg_id: Default::default(),
            message_rand: Default::default(),
            message_seq: Default::default(),
            message_custom_int: Default::default(),
            message_custom_str: Default::default(),
            message_cloud_custom_str: Default::default(),
            message_is_excluded_from_unread_count: Default::default(),
            message_group_at_user_array: Default::default(),
            message_is_forward_message: Default::default(),
            message_sender_profile: Default::default(),
            message_sender_group_member_info: Default::default(),
            message_offlie_push_config: Default::default(),
            message_excluded_from_last_message: Default::default(),
            message_need_read_receipt: Default::default(),
            message_revoker_user_id: Default::default(),
            message_revoker_nick_name: Default::default(),
            message_revoker_face_url: Default::default(),
            message_revoke_reason: Default::default(),
        }
    }
}

fn normal_priority() -> u32 {
    crate::enums::msg_priority::NORMAL
}

impl Message {
    /// Normal priority is the documented output default.
    pub fn new(elems: Vec<Elem>) -> Self {
        Message { message_elem_array: elems, ..Default::default() }
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OfflinePushConfig {
    pub offline_push_config_desc: String,
    pub offline_push_config_ext: String,
    pub offline_push_config_flag: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline_push_config_ios_config: Option<IosOfflinePushConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline_push_config_android_config: Option<AndroidOfflinePushConfig>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IosOfflinePushConfig {
    pub ios_offline_push_config_title: String,
    pub ios_offline_push_config_sound: String,
    pub ios_offline_push_config_ignore_badge: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AndroidOfflinePushConfig {
    pub android_offline_push_config_title: String,
    pub android_offline_push_config_sound: String,
    pub android_offline_push_config_notify_mode: u32,
    pub android_offline_push_config_oppo_channel_id: String,
}

/// One element of `message_elem_array`: a tagged union on the integer `elem_type`.
#[derive(Debug, Clone, PartialEq)]
pub enum Elem {
    Text(TextElem),
    Image(ImageElem),
    Sound(SoundElem),
    Custom(CustomElem),
    File(FileElem),
    GroupTips(Box<GroupTipsElem>),
    Face(FaceElem),
    Location(LocationElem),
    GroupReport(Box<GroupReportElem>),
    Video(VideoElem),
    /// Friend and profile change elements are kept as raw objects (friendship is out of scope).
    FriendChange(Map<String, Value>),
    ProfileChange(Map<String, Value>),
    Merge(MergeElem),
    /// An element type this version does not know; kept verbatim (including `elem_type`).
    Unknown(Map<String, Value>),
}

/// TypeScript: a union discriminated by `elem_type`, one member per known element, each
/// being `{ elem_type: N }` and that element's fields.
#[cfg(feature = "ts")]
impl ts_rs::TS for Elem {
    type WithoutGenerics = Elem;
    type OptionInnerType = Elem;

    fn name(_: &ts_rs::Config) -> String {
        "Elem".into()
    }

    fn inline(cfg: &ts_rs::Config) -> String {
        let member = |t: i32, fields: String| format!("({{ elem_type: {t} }} & {fields})");
        let raw = "{ [key in string]?: JsonValue }".to_string();
        [
            member(elem_type::TEXT, TextElem::name(cfg)),
            member(elem_type::IMAGE, ImageElem::name(cfg)),
            member(elem_type::SOUND, SoundElem::name(cfg)),
            member(elem_type::CUSTOM, CustomElem::name(cfg)),
            member(elem_type::FILE, FileElem::name(cfg)),
            member(elem_type::GROUP_TIPS, GroupTipsElem::name(cfg)),
            member(elem_type::FACE, FaceElem::name(cfg)),
            member(elem_type::LOCATION, LocationElem::name(cfg)),
            member(elem_type::GROUP_REPORT, GroupReportElem::name(cfg)),
            member(elem_type::VIDEO, VideoElem::name(cfg)),
            member(elem_type::FRIEND_CHANGE, raw.clone()),
            member(elem_type::PROFILE_CHANGE, raw),
            member(elem_type::MERGE, MergeElem::name(cfg)),
        ]
        .join(" | ")
    }

    fn decl(cfg: &ts_rs::Config) -> String {
        format!("type Elem = {};", Self::inline(cfg))
    }

    fn decl_concrete(cfg: &ts_rs::Config) -> String {
        Self::decl(cfg)
    }
}

impl Elem {
    pub fn text(s: impl Into<String>) -> Self {
        Elem::Text(TextElem { text_elem_content: s.into() })
    }

    pub fn elem_type(&self) -> i32 {
        match self {
            Elem::Text(_) => elem_type::TEXT,
            Elem::Image(_) => elem_type::IMAGE,
            Elem::Sound(_) => elem_type::SOUND,
            Elem::Custom(_) => elem_type::CUSTOM,
            Elem::File(_) => elem_type::FILE,
            Elem::GroupTips(_) => elem_type::GROUP_TIPS,
            Elem::Face(_) => elem_type::FACE,
            Elem::Location(_) => elem_type::LOCATION,
            Elem::GroupReport(_) => elem_type::GROUP_REPORT,
            Elem::Video(_) => elem_type::VIDEO,
            Elem::FriendChange(_) => elem_type::FRIEND_CHANGE,
            Elem::ProfileChange(_) => elem_type::PROFILE_CHANGE,
            Elem::Merge(_) => elem_type::MERGE,
            Elem::Unknown(m) => m.get("elem_type").and_then(Value::as_i64).unwrap_or(-1) as i32,
        }
    }
}

/// Clear every local file path in `elems` (merged records included). A path names a file on the
/// sender's disk: it means nothing on any other device, and a device that trusted it would read
/// its own file of that name (and upload it, were the message forwarded). Paths never travel:
/// the server clears them from what it receives, the SDK from what it receives.
pub fn clear_local_paths(elems: &mut [Elem]) {
    for el in elems.iter_mut() {
        match el {
            Elem::Image(i) => i.image_elem_orig_path.clear(),
            Elem::Sound(x) => x.sound_elem_file_path.clear(),
            Elem::File(x) => x.file_elem_file_path.clear(),
            Elem::Video(v) => {
                v.video_elem_video_path.clear();
                v.video_elem_image_path.clear();
            }
            Elem::Merge(m) => {
                for inner in m.merge_elem_message_array.iter_mut() {
                    clear_local_paths(&mut inner.message_elem_array);
                }
            }
            Elem::Unknown(map) | Elem::FriendChange(map) | Elem::ProfileChange(map) => {
                map.retain(|k, _| !k.ends_with("_path"));
            }
            _ => {}
        }
    }
}

/// Whether any element (merged records included) names a local file.
pub fn has_local_paths(elems: &[Elem]) -> bool {
    let mut copy = elems.to_vec();
    clear_local_paths(&mut copy);
    copy.as_slice() != elems
}

/// The TIM body size of elements: the bytes of every string field, where a merge element
/// counts its title, abstracts and compatible text but not the messages it carries (those
/// travel as the merged record, outside the body limit).
pub fn content_bytes(elems: &[Elem]) -> usize {
    fn strings(v: &Value) -> usize {
        match v {
            Value::String(s) => s.len(),
            Value::Array(a) => a.iter().map(strings).sum(),
            Value::Object(o) => o.values().map(strings).sum(),
            _ => 0,
        }
    }
    elems
        .iter()
        .map(|e| match e {
            Elem::Merge(m) => {
                m.merge_elem_title.len()
                    + m.merge_elem_abstract_array.iter().map(String::len).sum::<usize>()
                    + m.merge_elem_compatible_text.len()
            }
            other => serde_json::to_value(other).map(|v| strings(&v)).unwrap_or(usize::MAX / 64),
        })
        .sum()
}

fn to_map<T: Serialize, E: serde::ser::Error>(v: &T) -> Result<Map<String, Value>, E> {
    match serde_json::to_value(v).map_err(E::custom)? {
        Value::Object(m) => Ok(m),
        _ => Err(E::custom("element did not serialize to an object")),
    }
}

impl Serialize for Elem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = match self {
            Elem::Text(e) => to_map(e)?,
            Elem::Image(e) => to_map(e)?,
            Elem::Sound(e) => to_map(e)?,
            Elem::Custom(e) => to_map(e)?,
            Elem::File(e) => to_map(e)?,
            Elem::GroupTips(e) => to_map(e.as_ref())?,
            Elem::Face(e) => to_map(e)?,
            Elem::Location(e) => to_map(e)?,
            Elem::GroupReport(e) => to_map(e.as_ref())?,
            Elem::Video(e) => to_map(e)?,
            Elem::Merge(e) => to_map(e)?,
            Elem::FriendChange(m) | Elem::ProfileChange(m) | Elem::Unknown(m) => m.clone(),
        };
        m.insert("elem_type".into(), Value::from(self.elem_type()));
        Map::serialize(&m, s)
    }
}

impl<'de> Deserialize<'de> for Elem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = Map::<String, Value>::deserialize(d)?;
        let t = match m.get("elem_type") {
            Some(v) => v.as_i64().ok_or_else(|| D::Error::custom("elem_type must be an integer"))?,
            None => return Err(D::Error::custom("element without elem_type")),
        };
        fn parse<T: serde::de::DeserializeOwned, E: serde::de::Error>(m: Map<String, Value>) -> Result<T, E> {
            serde_json::from_value(Value::Object(m)).map_err(E::custom)
        }
        Ok(match t as i32 {
            elem_type::TEXT => Elem::Text(parse(m)?),
            elem_type::IMAGE => Elem::Image(parse(m)?),
            elem_type::SOUND => Elem::Sound(parse(m)?),
            elem_type::CUSTOM => Elem::Custom(parse(m)?),
            elem_type::FILE => Elem::File(parse(m)?),
            elem_type::GROUP_TIPS => Elem::GroupTips(Box::new(parse(m)?)),
            elem_type::FACE => Elem::Face(parse(m)?),
            elem_type::LOCATION => Elem::Location(parse(m)?),
            elem_type::GROUP_REPORT => Elem::GroupReport(Box::new(parse(m)?)),
            elem_type::VIDEO => Elem::Video(parse(m)?),
            elem_type::FRIEND_CHANGE => Elem::FriendChange(strip_type(m)),
            elem_type::PROFILE_CHANGE => Elem::ProfileChange(strip_type(m)),
            elem_type::MERGE => Elem::Merge(parse(m)?),
            _ => Elem::Unknown(m),
        })
    }
}

fn strip_type(mut m: Map<String, Value>) -> Map<String, Value> {
    m.remove("elem_type");
    m
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TextElem {
    pub text_elem_content: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FaceElem {
    pub face_elem_index: i32,
    pub face_elem_buf: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LocationElem {
    pub location_elem_desc: String,
    pub location_elem_longitude: f64,
    pub location_elem_latitude: f64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageElem {
    pub image_elem_orig_path: String,
    pub image_elem_level: u32,
    pub image_elem_format: i32,
    pub image_elem_orig_id: String,
    pub image_elem_orig_pic_height: i64,
    pub image_elem_orig_pic_width: i64,
    pub image_elem_orig_pic_size: i64,
    pub image_elem_thumb_id: String,
    pub image_elem_thumb_pic_height: i64,
    pub image_elem_thumb_pic_width: i64,
    pub image_elem_thumb_pic_size: i64,
    pub image_elem_large_id: String,
    pub image_elem_large_pic_height: i64,
    pub image_elem_large_pic_width: i64,
    pub image_elem_large_pic_size: i64,
    pub image_elem_orig_url: String,
    pub image_elem_thumb_url: String,
    pub image_elem_large_url: String,
    pub image_elem_task_id: i64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SoundElem {
    pub sound_elem_file_path: String,
    pub sound_elem_file_size: i64,
    pub sound_elem_file_time: i64,
    pub sound_elem_file_id: String,
    pub sound_elem_business_id: i64,
    pub sound_elem_download_flag: i64,
    pub sound_elem_url: String,
    pub sound_elem_task_id: i64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomElem {
    pub custom_elem_data: String,
    pub custom_elem_desc: String,
    pub custom_elem_ext: String,
    pub custom_elem_sound: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FileElem {
    pub file_elem_file_path: String,
    pub file_elem_file_name: String,
    pub file_elem_file_size: i64,
    pub file_elem_file_id: String,
    pub file_elem_business_id: i64,
    pub file_elem_download_flag: i64,
    pub file_elem_url: String,
    pub file_elem_task_id: i64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VideoElem {
    pub video_elem_video_type: String,
    pub video_elem_video_size: u64,
    pub video_elem_video_duration: u64,
    pub video_elem_video_path: String,
    pub video_elem_video_id: String,
    pub video_elem_business_id: i64,
    pub video_elem_video_download_flag: i64,
    pub video_elem_video_url: String,
    pub video_elem_image_type: String,
    pub video_elem_image_size: u64,
    pub video_elem_image_width: u64,
    pub video_elem_image_height: u64,
    pub video_elem_image_path: String,
    pub video_elem_image_id: String,
    pub video_elem_image_download_flag: i64,
    pub video_elem_image_url: String,
    pub video_elem_task_id: u64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MergeElem {
    pub merge_elem_title: String,
    pub merge_elem_abstract_array: Vec<String>,
    pub merge_elem_compatible_text: String,
    pub merge_elem_message_array: Vec<Message>,
    pub merge_elem_layer_over_limit: bool,
    pub merge_elem_relay_pb_key: String,
    pub merge_elem_relay_json_key: String,
    pub merge_elem_relay_buffer: String,
}
