//! User profiles (§5.7).
use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserProfile {
    pub user_profile_identifier: String,
    pub user_profile_nick_name: String,
    pub user_profile_gender: u32,
    pub user_profile_face_url: String,
    pub user_profile_self_signature: String,
    pub user_profile_add_permission: u32,
    #[serde(deserialize_with = "crate::serde_util::trimmed_string")]
    pub user_profile_location: String,
    pub user_profile_language: u32,
    pub user_profile_birthday: u32,
    pub user_profile_level: u32,
    pub user_profile_role: u32,
    #[serde(alias = "user_profile_item_custom_string_array")]
    pub user_profile_custom_string_array: Vec<UserProfileCustomStringInfo>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserProfileCustomStringInfo {
    pub user_profile_custom_string_info_key: String,
    pub user_profile_custom_string_info_value: String,
}

/// Input of `TIMProfileModifySelfUserProfile`: only the keys present are changed.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserProfileItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_profile_item_nick_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_profile_item_gender: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_profile_item_face_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_profile_item_self_signature: Option<String>,
}
