//! Conversation calls: create, delete (which also unpins), list, drafts.
use std::sync::Arc;

use confab_protocol::conv::Draft;
use confab_protocol::enums::{conv_event, conv_type};
use confab_protocol::wire::{ConvPin, Request};
use confab_protocol::ConvInfo;

use crate::error::{Error, Result};
use crate::events::SdkEvent;
use crate::session::context::SessionCtx;
use crate::store::{self, LocalStore};
use crate::util::now_secs;

/// TIMConvCreate.
pub async fn create(s: &Arc<SessionCtx>, ct: u32, id: &str) -> Result<ConvInfo> {
    let mut c = s.store.conn().await?;
    let created = store::ensure_conv(&mut c, ct, id, now_secs()).await?;
    drop(c);
    let info = s.store.conv_info(ct, id).await?.ok_or_else(|| Error::Store("conversation vanished".into()))?;
    if created {
        s.emit(SdkEvent::ConvEvent { event: conv_event::ADD, convs: Some(vec![info.clone()]) });
    }
    Ok(info)
}

/// TIMConvDelete.
pub async fn delete(s: &Arc<SessionCtx>, ct: u32, id: &str) -> Result<()> {
    let Some(info) = s.store.conv_info(ct, id).await? else {
        return Err(Error::Server(confab_protocol::codes::ERR_INVALID_CONVERSATION, "no such conversation".into()));
    };
    let mut c = s.store.conn().await?;
    store::delete_conv(&mut c, ct, id).await?;
    drop(c);
    s.emit(SdkEvent::ConvEvent { event: conv_event::DEL, convs: Some(vec![info.clone()]) });
    // A deleted conversation is no longer pinned on any device (best effort: offline, the
    // pin stays and applies again when the conversation comes back).
    if info.conv_is_pinned && ct != conv_type::SYSTEM {
        let pin = ConvPin { conv_type: ct, conv_id: id.to_string(), pinned_time: 0 };
        match s.link.request(Request::PinConv { conv_type: ct, conv_id: id.to_string(), pinned: false }).await {
            Ok(_) => {
                let mut c = s.store.conn().await?;
                store::set_pin(&mut c, &pin, false).await?;
            }
            Err(e) => tracing::debug!(error = %e, "could not unpin a deleted conversation"),
        }
    }
    Ok(())
}

/// Every conversation as ConvInfo, newest first (pinned ones first: see `store::PINNED_BIT`).
pub async fn list(store: &LocalStore) -> Result<Vec<ConvInfo>> {
    let mut out = store.conv_list().await?;
    out.sort_by(|a, b| b.conv_active_time.cmp(&a.conv_active_time).then_with(|| a.conv_id.cmp(&b.conv_id)));
    Ok(out)
}

/// TIMConvSetDraft (a draft) / TIMConvCancelDraft (`None`).
pub async fn set_draft(s: &Arc<SessionCtx>, ct: u32, id: &str, draft: Option<Draft>) -> Result<()> {
    let mut c = s.store.conn().await?;
    let created = if draft.is_some() { store::ensure_conv(&mut c, ct, id, now_secs()).await? } else { false };
    let draft = draft.map(|mut d| {
        if d.draft_edit_time == 0 {
            d.draft_edit_time = now_secs();
        }
        d
    });
    store::set_draft(&mut c, ct, id, draft.as_ref()).await?;
    drop(c);
    s.emit_conv(if created { conv_event::ADD } else { conv_event::UPDATE }, ct, id).await;
    Ok(())
}
