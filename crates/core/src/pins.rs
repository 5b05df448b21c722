//! Pinned conversations (`TIMConvPinConversation`).
//!
//! The server's list of the user's pins is the truth, shared by all of the user's devices. A pin
//! or unpin goes to the server first, then into the local `conv_pins` table; the server tells the
//! user's other online devices with [`Event::ConvPinned`](confab_protocol::wire::Event), and every
//! login / resync reads the whole list ([`Request::PinnedConvs`]) so a device that was away
//! catches up. A pinned conversation shows `conv_is_pinned` and has bit 62 set in
//! `conv_active_time`, so sorting by that key puts pinned conversations first.
use std::sync::Arc;

use confab_protocol::codes;
use confab_protocol::enums::conv_event;
use confab_protocol::wire::{ConvPin, Request};
use sqlx::{Row, SqliteConnection};

use crate::error::{Error, Result};
use crate::session::Shared;

/// The bit TIM sets in `conv_active_time` for a pinned conversation.
pub const PINNED_BIT: u64 = 1 << 62;

/// Record a pin (or its removal) locally; returns whether anything changed.
pub async fn set_local(c: &mut SqliteConnection, pin: &ConvPin, pinned: bool) -> Result<bool> {
    let r = if pinned {
        sqlx::query("INSERT OR IGNORE INTO conv_pins (conv_type, conv_id, pinned_time) VALUES (?, ?, ?)")
            .bind(pin.conv_type as i64)
            .bind(&pin.conv_id)
            .bind(pin.pinned_time as i64)
            .execute(&mut *c)
            .await?
    } else {
        sqlx::query("DELETE FROM conv_pins WHERE conv_type = ? AND conv_id = ?")
            .bind(pin.conv_type as i64)
            .bind(&pin.conv_id)
            .execute(&mut *c)
            .await?
    };
    Ok(r.rows_affected() > 0)
}

/// TIMConvPinConversation: the conversation must exist on this device.
pub async fn pin(shared: &Arc<Shared>, ct: u32, id: &str, pinned: bool) -> Result<()> {
    if !shared.store.conv_exists(ct, id).await? {
        return Err(Error::Server(codes::ERR_INVALID_CONVERSATION, "no such conversation".into()));
    }
    shared.link.request(Request::PinConv { conv_type: ct, conv_id: id.to_string(), pinned }).await?;
    let pin = ConvPin { conv_type: ct, conv_id: id.to_string(), pinned_time: crate::now_secs() };
    let mut c = shared.store.pool.acquire().await?;
    let changed = set_local(&mut c, &pin, pinned).await?;
    drop(c);
    if changed {
        shared.emit_conv(conv_event::UPDATE, ct, id).await;
    }
    Ok(())
}

/// Make the local pins the server's list (at login and at every resync); conversations whose pin
/// changed are announced.
pub async fn reconcile(shared: &Arc<Shared>) -> Result<()> {
    // The link is not "ready" yet during the login's resync: ask on the raw socket.
    let v = shared.link.request_raw(Request::PinnedConvs).await?;
    let pins: Vec<ConvPin> = serde_json::from_value(v.get("pins").cloned().unwrap_or_default())
        .map_err(|e| Error::Server(codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))?;
    let mut tx = shared.store.begin().await?;
    let local: Vec<(u32, String)> = sqlx::query("SELECT conv_type, conv_id FROM conv_pins")
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| (r.get::<i64, _>("conv_type") as u32, r.get::<String, _>("conv_id")))
        .collect();
    let mut changed = Vec::new();
    for (ct, id) in &local {
        if !pins.iter().any(|p| p.conv_type == *ct && p.conv_id == *id) {
            let gone = ConvPin { conv_type: *ct, conv_id: id.clone(), pinned_time: 0 };
            if set_local(&mut tx, &gone, false).await? {
                changed.push((*ct, id.clone()));
            }
        }
    }
    for p in &pins {
        if set_local(&mut tx, p, true).await? {
            changed.push((p.conv_type, p.conv_id.clone()));
        }
    }
    tx.commit().await?;
    for (ct, id) in changed {
        shared.emit_conv(conv_event::UPDATE, ct, &id).await;
    }
    Ok(())
}
