//! Who may use what: a conversation and its participants, the group rules of sending, media a
//! user may reference or download. Every answer comes from stored state; nothing a client says
//! about itself is trusted.
//!
//! Layer: domain. Imports `context`, the infrastructure, `rules` and the foundation.
use confab_protocol::enums::{conv_type, member_role};
use confab_protocol::wire::is_valid_user_id;
use confab_protocol::{codes, Elem};

use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Result};
use crate::rules::groups::is_av;
use crate::rules::media::{check_tier_dims, declared, elem_ids, image_header_dims, is_content_id, is_expired};
use crate::rules::messages::c2c_key;

/// Resolve the conversation `me` names and check `me` may use it: its key.
pub async fn conversation_key(state: &State, me: &str, ct: u32, conv_id: &str) -> Result<String> {
    match ct {
        conv_type::C2C => {
            if !is_valid_user_id(conv_id) {
                return Err(refused(codes::ERR_SVR_MSG_INVALID_ID, "invalid peer user id"));
            }
            if !state.store.user_exists(conv_id).await? {
                return Err(refused(codes::ERR_SVR_MSG_INVALID_ID, "no such user"));
            }
            Ok(c2c_key(me, conv_id))
        }
        conv_type::GROUP => {
            let mut db = state.store.read().await?;
            if db.group(conv_id).await?.is_none() {
                return Err(refused(codes::ERR_SVR_GROUP_NOT_FOUND, "no such group"));
            }
            if db.role(conv_id, me).await?.is_none() {
                return Err(refused(codes::ERR_SVR_GROUP_PERMISSION_DENY, "not a member of this group"));
            }
            Ok(conv_id.to_string())
        }
        _ => Err(refused(codes::ERR_INVALID_CONVERSATION, "conversation type must be C2C (1) or group (2)")),
    }
}

/// [`conversation_key`], and who takes part: both parties of a C2C conversation, every member
/// of a group.
pub async fn conversation(state: &State, me: &str, ct: u32, conv_id: &str) -> Result<(String, Vec<String>)> {
    let key = conversation_key(state, me, ct, conv_id).await?;
    let parts = if ct == conv_type::GROUP {
        state.store.read().await?.member_ids(conv_id).await?
    } else if conv_id != me {
        vec![me.to_string(), conv_id.to_string()]
    } else {
        vec![me.to_string()]
    };
    Ok((key, parts))
}

/// How a message `me` sends to a group travels, once the mute rules let it through.
pub struct SendGate {
    /// AVChatRoom: not stored; delivered to the members online now.
    pub online_only: bool,
}

/// The group rules of sending (the caller already checked membership): a muted member, or
/// anyone but the owner and admins under mute-all, gets 10017. Delivery goes to the members
/// subscribed to the group (online, not "do not receive"); the others read the history.
pub async fn send_gate(state: &State, gid: &str, me: &str) -> Result<SendGate> {
    let mut db = state.store.read().await?;
    let g = db.group(gid).await?.ok_or_else(|| refused(codes::ERR_SVR_GROUP_NOT_FOUND, "no such group"))?;
    let m = db
        .member(gid, me)
        .await?
        .ok_or_else(|| refused(codes::ERR_SVR_GROUP_PERMISSION_DENY, "not a member of this group"))?;
    let now = now_secs();
    if m.shutup_until > now {
        return Err(refused(
            codes::ERR_SVR_GROUP_SHUTUP_DENY,
            format!("you are muted in this group until {}", m.shutup_until),
        ));
    }
    if g.shutup_all && m.role < member_role::ADMIN {
        return Err(refused(
            codes::ERR_SVR_GROUP_SHUTUP_DENY,
            "everyone but the owner and admins is muted in this group",
        ));
    }
    Ok(SendGate { online_only: is_av(g.group_type) })
}

/// The uploader, and participants of a conversation whose messages reference the content.
pub async fn may_access_media(state: &State, user: &str, cid: &str) -> Result<bool> {
    let mut db = state.store.read().await?;
    if db.is_media_owner(cid, user).await? {
        return Ok(true);
    }
    for (ct, key) in db.media_refs(cid).await? {
        if ct == conv_type::C2C as i64 && key.split('\n').any(|p| p == user) {
            return Ok(true);
        }
        if ct == conv_type::GROUP as i64 && db.role(&key, user).await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Check that `me` may reference every content id of a message and that what the message
/// declares about each blob is true; returns the ids.
pub async fn check_media_elems(state: &State, me: &str, elems: &[Elem]) -> Result<Vec<String>> {
    let ids = elem_ids(elems);
    for id in &ids {
        if !is_content_id(id) || !may_access_media(state, me, id).await? {
            return Err(refused(
                codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                "element references media that was not uploaded",
            ));
        }
    }
    check_declared(state, elems).await?;
    Ok(ids.into_iter().map(String::from).collect())
}

/// Refuse a message whose declared sizes or image dimensions are not those of the stored
/// blobs, or which references expired media.
async fn check_declared(state: &State, elems: &[Elem]) -> Result<()> {
    let retention = state.cfg.media_retention.as_secs();
    for d in declared(elems) {
        let row = state.store.read().await?.media(d.id).await?;
        let Some(row) = row else {
            return Err(refused(
                codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                "element references media that was not uploaded",
            ));
        };
        if is_expired(retention, now_secs(), row.created_at, row.expired_at) {
            return Err(refused(codes::ERR_FILE_TRANS_DOWNLOAD_FAILED, "element references expired media"));
        }
        let size = row.size;
        if d.size != i128::from(size) {
            return Err(refused(
                codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                format!("{}_size does not match the uploaded media ({size} bytes)", d.field),
            ));
        }
        let Some((w, h)) = d.dims else { continue };
        let path = state.blobs.blob_path(d.id);
        let header = tokio::task::spawn_blocking(move || image_header_dims(&path))
            .await
            .map_err(|err| refused(codes::ERR_FILE_TRANS_UPLOAD_FAILED, format!("media check failed: {err}")))?;
        match header {
            Ok(Some((hw, hh))) => {
                check_tier_dims(d.field, hw, hh)
                    .map_err(|e| refused(codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT, e))?;
                let (hw, hh) = (i128::from(hw), i128::from(hh));
                // An original is described as displayed (EXIF rotation applied): either way round.
                if (w, h) != (hw, hh) && (w, h) != (hh, hw) {
                    return Err(refused(
                        codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                        format!("{0}_width / {0}_height do not match the uploaded image ({hw}x{hh})", d.field),
                    ));
                }
            }
            Ok(None) if d.must_be_image => {
                return Err(refused(
                    codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT,
                    format!("{} is not a JPEG, PNG, GIF, WebP or BMP image", d.field),
                ));
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(error = %err, "reading a media header failed");
                return Err(refused(codes::ERR_FILE_TRANS_UPLOAD_FAILED, "media check failed"));
            }
        }
    }
    Ok(())
}
