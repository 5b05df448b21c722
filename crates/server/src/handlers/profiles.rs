//! User profiles: read anyone's, change one's own.
use confab_protocol::{codes, UserProfile, UserProfileItem};

use crate::context::State;
use crate::error::{refused, Result};
use crate::store::ProfileChange;

/// Profiles of the given users that exist (at most 100 per request).
pub async fn get(state: &State, ids: &[String]) -> Result<Vec<UserProfile>> {
    if ids.len() > 100 {
        return Err(refused(codes::ERR_SVR_PROFILE_INVALID_PARAMETERS, "at most 100 users per request"));
    }
    let mut db = state.store.read().await?;
    let mut out = Vec::new();
    for id in ids {
        if db.user_exists(id).await? {
            out.push(db.profile(id).await?);
        }
    }
    Ok(out)
}

/// TIMProfileModifySelfUserProfile.
pub async fn modify_self(state: &State, me: &str, item: UserProfileItem) -> Result<()> {
    let too_long = |s: &Option<String>, n: usize| s.as_ref().is_some_and(|v| v.len() > n);
    if too_long(&item.user_profile_item_nick_name, 64)
        || too_long(&item.user_profile_item_face_url, 500)
        || too_long(&item.user_profile_item_self_signature, 500)
    {
        return Err(refused(codes::ERR_SVR_PROFILE_INVALID_PARAMETERS, "profile value too long"));
    }
    let change = ProfileChange {
        nick_name: item.user_profile_item_nick_name,
        face_url: item.user_profile_item_face_url,
        self_signature: item.user_profile_item_self_signature,
        gender: item.user_profile_item_gender.map(i64::from),
    };
    let me = me.to_string();
    state.store.write(move |tx| Box::pin(async move { tx.modify_profile(&me, change).await })).await
}
