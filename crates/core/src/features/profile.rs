//! Profile calls: read users' profiles, change one's own. The server holds profiles; nothing is
//! kept locally.
use std::sync::Arc;

use confab_protocol::wire::Request;
use confab_protocol::UserProfileItem;
use serde_json::Value;

use crate::error::Result;
use crate::session::context::SessionCtx;

/// TIMProfileGetUserProfileList.
pub async fn get_profiles(s: &Arc<SessionCtx>, user_ids: Vec<String>) -> Result<Value> {
    s.link.request(Request::GetProfiles { user_ids }).await
}

/// TIMProfileModifySelfUserProfile.
pub async fn modify_self(s: &Arc<SessionCtx>, item: UserProfileItem) -> Result<()> {
    s.link.request(Request::ModifySelfProfile { item }).await.map(|_| ())
}
