//! SdkConfig (TIMInit) and SetConfig (TIMSetConfig), §5.1.
use serde::{Deserialize, Serialize};

/// `TIMInit`'s JSON. Unknown keys (e.g. the legacy `sdk_config_account_type`) are ignored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SdkConfig {
    pub sdk_config_config_file_path: String,
    pub sdk_config_log_file_path: String,
    /// Confab extension: the server's WebSocket URL (`ws://host:port`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sdk_config_server_url: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserConfig {
    pub user_config_is_read_receipt: bool,
    pub user_config_is_sync_report: bool,
    #[serde(alias = "user_config_is_ignore_grouptips_unread")]
    pub user_config_is_ingore_grouptips_unread: bool,
    pub user_config_is_is_disable_storage: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SetConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_config_log_level: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_config_callback_log_level: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_config_is_log_output_console: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_config_user_config: Option<UserConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_config_user_define_data: Option<String>,
}
