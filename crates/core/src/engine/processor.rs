//! The processor: the one task that applies server events, strictly in inbox order (a gap
//! triggers a resync), and the only writer of the inbox cursor. Applying an event writes the
//! store in one transaction, runs the features' hooks (group tips and reports, pins), and
//! emits what the application should hear after the commit.
use std::sync::Arc;

use confab_protocol::codes;
use confab_protocol::enums::{conv_event, conv_type, msg_status};
use confab_protocol::wire::{Event, GroupCursor, Push, Request, SyncResult};
use confab_protocol::{Message, MsgLocator};
use tokio::sync::mpsc;

use confab_protocol::message::clear_local_paths;

use crate::error::{Error, Result};
use crate::events::SdkEvent;
use crate::features::{group, pins};
use crate::session::context::{merge_server_fields, ProcCmd, SessionCtx};
use crate::store;
use crate::util::now_secs;

const CURSOR_KEY: &str = "inbox_seq";

/// Applies server events in inbox order, and is the only writer of the inbox cursor and of the
/// groups' cursors.
pub(crate) async fn processor(shared: Arc<SessionCtx>, mut rx: mpsc::UnboundedReceiver<ProcCmd>) {
    let mut groups = GroupCursors::default();
    // Own sends acked ahead of the inbox pushes before them: seqs already applied.
    let mut own: std::collections::BTreeSet<u64> = Default::default();
    let mut cursor: u64 = match shared.store.kv_get(CURSOR_KEY).await {
        Ok(v) => v.and_then(|s| s.parse().ok()).unwrap_or(0),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the inbox cursor");
            0
        }
    };
    // When the server asked for a catch-up (several asks are one catch-up).
    let mut resync_at: Option<tokio::time::Instant> = None;
    loop {
        let cmd = tokio::select! {
            c = rx.recv() => match c {
                Some(c) => c,
                None => break,
            },
            _ = sleep_until(resync_at), if resync_at.is_some() => {
                resync_at = None;
                // As if the server were ahead of any cursor: a resync on a live connection.
                tracing::info!(cursor, "catching up as the server asked");
                ProcCmd::Behind(u64::MAX)
            }
        };
        match cmd {
            ProcCmd::ResyncWithin(within) => {
                let at = tokio::time::Instant::now() + crate::util::jitter(within);
                resync_at = Some(resync_at.map_or(at, |t| t.min(at)));
            }
            ProcCmd::Latest(latest) => {
                if cursor == 0 {
                    cursor = latest.saturating_sub(shared.login_info().fresh_sync_window);
                    if let Ok(mut c) = shared.store.conn().await {
                        if let Err(e) = store::kv_set(&mut c, CURSOR_KEY, &cursor.to_string()).await {
                            tracing::warn!(error = %e, "could not save the inbox cursor");
                        }
                    }
                }
            }
            ProcCmd::Resync(done) => {
                let r = resync(&shared, &mut cursor, &mut groups).await;
                own.retain(|s| *s > cursor);
                let _ = done.send(r);
            }
            ProcCmd::OwnInbox(seq) => {
                if seq > cursor {
                    own.insert(seq);
                }
                skip_own(&mut cursor, &mut own);
            }
            ProcCmd::Behind(latest) => {
                skip_own(&mut cursor, &mut own);
                if latest > cursor && shared.link.has_socket() {
                    tracing::info!(latest, cursor, "inbox behind the server on a live connection; resyncing");
                    if let Err(e) = resync(&shared, &mut cursor, &mut groups).await {
                        tracing::warn!(error = %e, "resync after falling behind failed");
                    }
                    own.retain(|s| *s > cursor);
                }
            }
            ProcCmd::OwnGroup(gid, seq) => {
                if let Err(e) = groups.own(&shared, &gid, seq).await {
                    tracing::warn!(error = %e, "could not note an own group message");
                }
            }
            ProcCmd::Push(p) if matches!(p.event, Event::GroupMsg { .. }) => {
                let Event::GroupMsg { msg } = p.event else { continue };
                if let Err(e) = on_group_msg(&shared, &mut groups, msg).await {
                    tracing::warn!(error = %e, "could not apply a group message");
                }
            }
            ProcCmd::Push(p) => {
                if p.seq == 0 {
                    if let Err(e) = apply(&shared, *p, &mut cursor).await {
                        tracing::warn!(error = %e, "could not apply an online event");
                    }
                } else if p.seq <= cursor {
                    // Already applied (from a sync or an earlier push).
                } else {
                    skip_own(&mut cursor, &mut own);
                    if p.seq <= cursor {
                        // An own send this device already holds.
                    } else if p.seq == cursor + 1 {
                        if let Err(e) = apply(&shared, *p, &mut cursor).await {
                            tracing::error!(error = %e, "could not apply an event");
                        }
                        skip_own(&mut cursor, &mut own);
                    } else if !shared.link.has_socket() {
                        // Pushes still queued from a socket that is gone: the reconnect's
                        // resync fetches what they skipped.
                        tracing::debug!(seq = p.seq, cursor, "gap while disconnected; left to the resync");
                    } else {
                        if let Err(e) = resync(&shared, &mut cursor, &mut groups).await {
                            tracing::warn!(error = %e, "resync after a gap failed");
                        }
                        own.retain(|s| *s > cursor);
                    }
                }
            }
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Move the cursor over own sends already applied (their acks came first). In memory: the
/// next applied event writes the cursor (a restart before that only resyncs a few own sends,
/// which are merged, not repeated).
fn skip_own(cursor: &mut u64, own: &mut std::collections::BTreeSet<u64>) {
    while own.remove(&(*cursor + 1)) {
        *cursor += 1;
    }
}

async fn resync(shared: &Arc<SessionCtx>, cursor: &mut u64, groups: &mut GroupCursors) -> Result<()> {
    loop {
        let v = shared.link.request_raw(Request::Sync { after: *cursor }).await?;
        let page: SyncResult =
            serde_json::from_value(v).map_err(|e| Error::Server(codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))?;
        for p in page.events {
            if p.seq > *cursor {
                apply(shared, p, cursor).await?;
            }
        }
        if !page.more {
            // Group messages are not in the inbox: each group is caught up by its own seq.
            catch_up_groups(shared, groups).await?;
            // Pins are state, not inbox events: read the whole list after catching up.
            if let Err(e) = pins::reconcile(shared).await {
                tracing::warn!(error = %e, "could not read the pinned conversations");
            }
            return Ok(());
        }
    }
}

/// What applying an event should tell the application, emitted after the commit.
#[derive(Default)]
struct Effects {
    new_msgs: Vec<Message>,
    receipts: Vec<confab_protocol::MessageReceipt>,
    revoked: Vec<MsgLocator>,
    updated: Vec<Message>,
    conv: Option<(i32, u32, String)>,
    group: group::Effects,
}

/// Where an event came from: the inbox (with its seq, 0 for an online-only event), or a
/// group's history (read diffusion).
#[derive(Clone)]
enum Source {
    Inbox(u64),
    /// A group message; the group's cursor to keep with it (group, seq) when it moves.
    Group(Option<(String, u64)>),
}

async fn apply(shared: &Arc<SessionCtx>, p: Push, cursor: &mut u64) -> Result<()> {
    apply_event(shared, p.event, Source::Inbox(p.seq)).await?;
    if p.seq > 0 {
        *cursor = p.seq;
    }
    Ok(())
}

async fn apply_event(shared: &Arc<SessionCtx>, event: Event, src: Source) -> Result<()> {
    let mut fx = Effects::default();
    let mut tx = shared.store.begin().await?;
    match event {
        Event::NewMsg { mut msg } | Event::GroupMsg { mut msg } => {
            // A path in a received element names a file on the sender's disk; here it would
            // name one of ours (S-1). Our own sends keep theirs from the local copy (merge).
            clear_local_paths(&mut msg.message_elem_array);
            msg.message_is_from_self = msg.message_sender == shared.me;
            // What the server did not store (online-only messages, AVChatRoom messages and
            // tips) is not stored here either.
            let unstored = match src {
                Source::Inbox(seq) => msg.message_is_online_msg || seq == 0,
                Source::Group(_) => false,
            };
            if unstored {
                group::on_new_msg(&mut tx, &msg, &mut fx.group).await?;
                fx.new_msgs.push(msg);
            } else {
                let (ct, id) = (msg.message_conv_type, msg.message_conv_id.clone());
                match store::get_msg_in(&mut tx, &msg.message_msg_id).await? {
                    Some(local) => {
                        // Our own send echoed back, or a message we already have: merge.
                        let merged = merge_server_fields(local, msg);
                        store::put_msg(&mut tx, &merged).await?;
                        fx.conv = Some((conv_event::UPDATE, ct, id));
                    }
                    None => {
                        msg.message_is_read = msg.message_is_from_self || msg.message_is_excluded_from_unread_count;
                        let created = store::ensure_conv(&mut tx, ct, &id, now_secs()).await?;
                        store::put_msg(&mut tx, &msg).await?;
                        if !msg.message_is_read {
                            store::add_unread(&mut tx, ct, &id, 1).await?;
                            if ct == conv_type::GROUP {
                                let at = store::group_at_type(&msg.message_group_at_user_array, &shared.me);
                                if at != 0 {
                                    store::add_group_at(&mut tx, &id, msg.message_seq, at).await?;
                                }
                            }
                        }
                        if ct == conv_type::C2C && !msg.message_is_from_self {
                            if let Some(p) = &msg.message_sender_profile {
                                if !p.user_profile_nick_name.is_empty() {
                                    store::set_show_name(
                                        &mut tx,
                                        ct,
                                        &id,
                                        &p.user_profile_nick_name,
                                        &p.user_profile_face_url,
                                    )
                                    .await?;
                                }
                            }
                        }
                        group::on_new_msg(&mut tx, &msg, &mut fx.group).await?;
                        fx.conv = Some((if created { conv_event::ADD } else { conv_event::UPDATE }, ct, id));
                        fx.new_msgs.push(msg);
                    }
                }
            }
        }
        Event::Receipt { receipt } => {
            store::set_peer_read(&mut tx, &receipt.msg_receipt_conv_id, receipt.msg_receipt_time_stamp).await?;
            fx.conv = Some((conv_event::UPDATE, receipt.msg_receipt_conv_type, receipt.msg_receipt_conv_id.clone()));
            fx.receipts.push(receipt);
        }
        Event::Revoked { locator, msg_id } => {
            if let Some(mut m) = store::get_msg_in(&mut tx, &msg_id).await? {
                m.message_status = msg_status::REVOKED;
                set_revoker(&mut m, &locator);
                let was_unread = !m.message_is_read;
                m.message_is_read = true;
                store::put_msg(&mut tx, &m).await?;
                if was_unread {
                    store::add_unread(&mut tx, m.message_conv_type, &m.message_conv_id, -1).await?;
                }
                fx.conv = Some((conv_event::UPDATE, m.message_conv_type, m.message_conv_id.clone()));
            }
            fx.revoked.push(locator);
        }
        Event::MsgUpdated { mut msg } => {
            clear_local_paths(&mut msg.message_elem_array);
            let merged = match store::get_msg_in(&mut tx, &msg.message_msg_id).await? {
                Some(local) => merge_server_fields(local, msg),
                None => msg,
            };
            store::put_msg(&mut tx, &merged).await?;
            fx.conv = Some((conv_event::UPDATE, merged.message_conv_type, merged.message_conv_id.clone()));
            fx.updated.push(merged);
        }
        Event::ConvPinned { pin, pinned } => {
            if store::set_pin(&mut tx, &pin, pinned).await? {
                fx.conv = Some((conv_event::UPDATE, pin.conv_type, pin.conv_id.clone()));
            }
        }
    }
    match src.clone() {
        Source::Inbox(seq) if seq > 0 => store::kv_set(&mut tx, CURSOR_KEY, &seq.to_string()).await?,
        // The group's cursor is written in the same transaction as its message.
        Source::Group(Some((gid, seq))) => store::kv_set(&mut tx, &group_key(&gid), &seq.to_string()).await?,
        _ => {}
    }
    tx.commit().await?;
    if !fx.new_msgs.is_empty() {
        shared.emit(SdkEvent::RecvNewMsg(fx.new_msgs));
    }
    if !fx.receipts.is_empty() {
        shared.emit(SdkEvent::MsgReadedReceipt(fx.receipts));
    }
    if !fx.revoked.is_empty() {
        shared.emit(SdkEvent::MsgRevoke(fx.revoked));
    }
    if !fx.updated.is_empty() {
        shared.emit(SdkEvent::MsgUpdate(fx.updated));
    }
    if let Some((ev, ct, id)) = fx.conv {
        shared.emit_conv(ev, ct, &id).await;
    }
    group::finish(shared, fx.group).await;
    Ok(())
}

/// Who revoked a message, as the revoke notification's locator says (TIM 7.x `message_revoker_*`).
fn set_revoker(m: &mut Message, l: &MsgLocator) {
    if l.message_revoker_user_id.is_empty() {
        return;
    }
    m.message_revoker_user_id = l.message_revoker_user_id.clone();
    m.message_revoker_nick_name = l.message_revoker_nick_name.clone();
    m.message_revoker_face_url = l.message_revoker_face_url.clone();
    m.message_revoke_reason = l.message_revoke_reason.clone();
}

// ---- groups: read diffusion ----

/// How many messages of one group a device pulls to catch up before it settles for the newest
/// page (older ones come from roaming history when someone scrolls there).
const GROUP_CATCH_UP_MAX: u64 = 1000;
/// Messages per history page when catching up.
const GROUP_PAGE: u32 = 100;
/// A device that never saw a group starts with its newest messages, this many.
const GROUP_FRESH_PAGE: u32 = 20;

/// The newest seq of each group this device has applied (no gaps below it), mirrored in the
/// store's `kv` as `group_seq:<group id>`.
#[derive(Default)]
struct GroupCursors {
    map: std::collections::HashMap<String, u64>,
    /// Own messages acked ahead of earlier ones: seqs already applied, per group.
    own: std::collections::HashMap<String, std::collections::BTreeSet<u64>>,
}

fn group_key(gid: &str) -> String {
    format!("group_seq:{gid}")
}

impl GroupCursors {
    async fn get(&mut self, shared: &SessionCtx, gid: &str) -> Result<Option<u64>> {
        if let Some(c) = self.map.get(gid) {
            return Ok(Some(*c));
        }
        let c = shared.store.kv_get(&group_key(gid)).await?.and_then(|v| v.parse::<u64>().ok());
        if let Some(c) = c {
            self.map.insert(gid.to_string(), c);
        }
        Ok(c)
    }

    /// An own message of `gid` with `seq` is held already.
    async fn own(&mut self, shared: &SessionCtx, gid: &str, seq: u64) -> Result<()> {
        match self.get(shared, gid).await? {
            Some(c) if seq > c => {
                self.own.entry(gid.to_string()).or_default().insert(seq);
                self.skip_own(shared, gid).await
            }
            // A group this device has no cursor for starts here if this is its first message;
            // otherwise earlier ones may not have reached this device yet (the next push, or the
            // next catch-up, learns where this member's history starts and pulls them).
            None if seq <= 1 => {
                self.set(gid, seq);
                Ok(())
            }
            None => {
                self.own.entry(gid.to_string()).or_default().insert(seq);
                Ok(())
            }
            Some(_) => Ok(()),
        }
    }

    /// Move a group's cursor over own messages already held.
    async fn skip_own(&mut self, shared: &SessionCtx, gid: &str) -> Result<()> {
        let Some(c) = self.get(shared, gid).await? else { return Ok(()) };
        let Some(set) = self.own.get_mut(gid) else { return Ok(()) };
        let mut to = c;
        while set.remove(&(to + 1)) {
            to += 1;
        }
        set.retain(|s| *s > to);
        if set.is_empty() {
            self.own.remove(gid);
        }
        if to > c {
            self.set(gid, to);
        }
        Ok(())
    }

    /// Move a group's cursor forward in memory; it is written with the group's next message
    /// (a cursor written late only makes a restart pull a few messages it already has).
    fn set(&mut self, gid: &str, seq: u64) {
        let c = self.map.entry(gid.to_string()).or_insert(0);
        *c = (*c).max(seq);
    }

    /// The cursor to write with a group message of `seq` (None when it does not move it).
    fn advance_with(&self, gid: &str, seq: u64) -> Option<(String, u64)> {
        match self.map.get(gid) {
            Some(c) if *c >= seq => None,
            _ => Some((gid.to_string(), seq)),
        }
    }
}

/// A group message pushed live: applied when it is the next one; a gap is pulled first.
async fn on_group_msg(shared: &Arc<SessionCtx>, groups: &mut GroupCursors, msg: Message) -> Result<()> {
    let (gid, seq) = (msg.message_conv_id.clone(), msg.message_seq);
    if seq == 0 {
        return apply_event(shared, Event::NewMsg { msg }, Source::Inbox(0)).await;
    }
    groups.skip_own(shared, &gid).await?;
    let mut have = groups.get(shared, &gid).await?;
    if have.is_none() && seq > 1 && shared.link.has_socket() {
        // A group this device has not seen yet (just joined, or made on another device): its
        // earlier messages may not have been pushed here (a push can be lost between server
        // nodes), so learn where this member's history starts and pull up to this message.
        catch_up_groups(shared, groups).await?;
        have = groups.get(shared, &gid).await?;
    }
    if let Some(c) = have {
        if seq <= c {
            // Applied already (a push repeated after a sender's retry, or pulled in a catch-up).
            return Ok(());
        }
        if seq > c + 1 {
            if !shared.link.has_socket() {
                // Queued from a socket that is gone: the reconnect's catch-up pulls the gap.
                tracing::debug!(seq, cursor = c, "group gap while disconnected; left to the catch-up");
                return Ok(());
            }
            pull_forward(shared, groups, &gid, c, seq - 1).await?;
        }
    }
    let cursor = groups.advance_with(&gid, seq);
    apply_event(shared, Event::GroupMsg { msg }, Source::Group(cursor)).await?;
    groups.set(&gid, seq);
    groups.skip_own(shared, &gid).await
}

/// Roaming history of a group: `count` messages after (forward) or up to (backward) `anchor`.
async fn group_page(shared: &SessionCtx, gid: &str, anchor: u64, forward: bool, count: u32) -> Result<Vec<Message>> {
    let v = shared
        .link
        .request_raw(Request::History {
            conv_type: conv_type::GROUP,
            conv_id: gid.to_string(),
            anchor_seq: anchor,
            forward,
            include_anchor: false,
            count,
        })
        .await?;
    let msgs = v.get("msgs").cloned().unwrap_or_default();
    serde_json::from_value(msgs).map_err(|e| Error::Server(codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))
}

/// Pull and apply a group's messages after `from` up to `to`, in seq order; the cursor ends at
/// `to` (seqs the server does not show this user, e.g. deleted for them, are skipped).
async fn pull_forward(
    shared: &Arc<SessionCtx>,
    groups: &mut GroupCursors,
    gid: &str,
    from: u64,
    to: u64,
) -> Result<()> {
    let mut at = from;
    while at < to {
        let page = group_page(shared, gid, at, true, GROUP_PAGE).await?;
        let Some(last) = page.last().map(|m| m.message_seq) else { break };
        for m in page {
            if m.message_seq > to {
                break;
            }
            let seq = m.message_seq;
            let cursor = groups.advance_with(gid, seq);
            apply_event(shared, Event::GroupMsg { msg: m }, Source::Group(cursor)).await?;
            groups.set(gid, seq);
        }
        if last <= at {
            break;
        }
        at = last;
    }
    groups.set(gid, to);
    Ok(())
}

/// After being away: every group I receive is brought up to its newest seq. A group this device
/// never saw, or one too far behind, starts from its newest page.
async fn catch_up_groups(shared: &Arc<SessionCtx>, groups: &mut GroupCursors) -> Result<()> {
    let v = shared.link.request_raw(Request::GroupCursors).await;
    let v = match v {
        Ok(v) => v,
        // An older server keeps group messages in the inbox: nothing to do.
        Err(Error::Server(..)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let list: Vec<GroupCursor> = serde_json::from_value(v.get("groups").cloned().unwrap_or_default())
        .map_err(|e| Error::Server(codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))?;
    for g in list {
        let skip = g.msg_flag == confab_protocol::enums::recv_msg_opt::NOT_RECEIVE
            || g.group_type == confab_protocol::enums::group_type::AV_CHAT_ROOM
            || g.group_type == confab_protocol::enums::group_type::B_CHAT_ROOM;
        if skip || g.latest_seq <= g.visible_after {
            continue;
        }
        let have = groups.get(shared, &g.group_id).await?;
        tracing::debug!(?have, latest = g.latest_seq, visible_after = g.visible_after, "group catch-up");
        match have {
            Some(c) if c >= g.latest_seq => {}
            Some(c) if g.latest_seq - c.max(g.visible_after) <= GROUP_CATCH_UP_MAX => {
                pull_forward(shared, groups, &g.group_id, c.max(g.visible_after), g.latest_seq).await?;
            }
            _ => {
                let mut page = group_page(shared, &g.group_id, 0, false, GROUP_FRESH_PAGE).await?;
                page.sort_by_key(|m| m.message_seq);
                for m in page {
                    apply_event(shared, Event::GroupMsg { msg: m }, Source::Group(None)).await?;
                }
                groups.set(&g.group_id, g.latest_seq);
            }
        }
    }
    Ok(())
}
