//! Pinned conversations (`TIMConvPinConversation`).
//!
//! The server's list of the user's pins is the truth, shared by all of the user's devices. A pin
//! or unpin goes to the server first, then into the local `conv_pins` table; the server tells the
//! user's other online devices with [`Event::ConvPinned`](confab_protocol::wire::Event), and every
//! login / resync reads the whole list ([`Request::PinnedConvs`]) so a device that was away
//! catches up. A pinned conversation shows `conv_is_pinned` and has bit 62 set in
//! `conv_active_time` (`store::PINNED_BIT`), so sorting by that key puts pinned conversations
//! first. The local table's statements are `store/conversations.rs`.
use std::sync::Arc;

use confab_protocol::codes;
use confab_protocol::enums::conv_event;
use confab_protocol::wire::{ConvPin, Request};

use crate::error::{Error, Result};
use crate::session::context::SessionCtx;
use crate::store;
use crate::util::now_secs;

/// TIMConvPinConversation: the conversation must exist on this device.
pub async fn pin(shared: &Arc<SessionCtx>, ct: u32, id: &str, pinned: bool) -> Result<()> {
    if !shared.store.conv_exists(ct, id).await? {
        return Err(Error::Server(codes::ERR_INVALID_CONVERSATION, "no such conversation".into()));
    }
    shared.link.request(Request::PinConv { conv_type: ct, conv_id: id.to_string(), pinned }).await?;
    let pin = ConvPin { conv_type: ct, conv_id: id.to_string(), pinned_time: now_secs() };
    let mut c = shared.store.conn().await?;
    let changed = store::set_pin(&mut c, &pin, pinned).await?;
    drop(c);
    if changed {
        shared.emit_conv(conv_event::UPDATE, ct, id).await;
    }
    Ok(())
}

/// Make the local pins the server's list (at login and at every resync); conversations whose pin
/// changed are announced.
pub async fn reconcile(shared: &Arc<SessionCtx>) -> Result<()> {
    // The link is not "ready" yet during the login's resync: ask on the raw socket.
    let v = shared.link.request_raw(Request::PinnedConvs).await?;
    let pins: Vec<ConvPin> = serde_json::from_value(v.get("pins").cloned().unwrap_or_default())
        .map_err(|e| Error::Server(codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))?;
    let mut tx = shared.store.begin().await?;
    let local: Vec<(u32, String)> = store::conversations::pinned_convs(&mut tx).await?;
    let mut changed = Vec::new();
    for (ct, id) in &local {
        if !pins.iter().any(|p| p.conv_type == *ct && p.conv_id == *id) {
            let gone = ConvPin { conv_type: *ct, conv_id: id.clone(), pinned_time: 0 };
            if store::set_pin(&mut tx, &gone, false).await? {
                changed.push((*ct, id.clone()));
            }
        }
    }
    for p in &pins {
        if store::set_pin(&mut tx, p, true).await? {
            changed.push((p.conv_type, p.conv_id.clone()));
        }
    }
    tx.commit().await?;
    for (ct, id) in changed {
        shared.emit_conv(conv_event::UPDATE, ct, &id).await;
    }
    Ok(())
}
