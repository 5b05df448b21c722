//! Messages: send, sync (inbox replay), roaming history, read reports, revoke, roaming deletes.
use confab_protocol::enums::{conv_type, group_type, member_role, msg_status, recv_msg_opt};
use confab_protocol::wire::{Event, GroupCursor, Push, ServerFrame, SyncResult};
use confab_protocol::{codes, Message, MessageReceipt, MsgLocator};
use rand::Rng;

use crate::access::{check_media_elems, conversation, conversation_key, send_gate};
use crate::bus::cluster::Note;
use crate::config::now_secs;
use crate::context::State;
use crate::error::{corrupt, refused, Result};
use crate::rules::messages::{check_client_message, cut_page, filter_words, new_unique_id, HISTORY_MAX, SYNC_PAGE};
use crate::store::{render_for, Append, HistoryQuery, Revoker, StoredEvent};

/// What happens to a message being sent.
pub enum Sending {
    /// Delivered to whoever is online, not stored (online-only messages, AVChatRoom): the
    /// answer is ready.
    Done(Message),
    /// To be stored: queue it with `Store::submit_append`; the answer comes after the commit.
    Store(Append),
}

/// Check a message `me` sends into a conversation and make it what the server stores: every
/// rule of sending is applied here (nothing the client says about itself is trusted). Reads
/// only cached rows in the common case.
pub async fn prepare(state: &State, me: &str, ct: u32, conv_id: &str, mut msg: Message) -> Result<Sending> {
    check_client_message(&msg)?;
    // Local paths of the sender's files never reach anyone (S-1).
    confab_protocol::message::clear_local_paths(&mut msg.message_elem_array);
    let conv_key = conversation_key(state, me, ct, conv_id).await?;
    let media = check_media_elems(state, me, &msg.message_elem_array).await?;
    let mut inbox = Vec::new();
    if ct == conv_type::C2C {
        inbox.push(me.to_string());
        // A peer who chose "do not receive" from me is not delivered to (the message is still
        // stored for my own history).
        if conv_id != me && state.store.c2c_recv_opt(conv_id, me).await? != Some(i64::from(recv_msg_opt::NOT_RECEIVE)) {
            inbox.push(conv_id.to_string());
        }
    }
    // Group rules of sending: mutes, and AVChatRoom's online-only delivery.
    let mut online_only = false;
    if ct == conv_type::GROUP {
        online_only = send_gate(state, conv_id, me).await?.online_only;
        // The group's rate: lower priorities are refused first. A retry of a message already
        // committed is answered with what was stored, whatever the rate.
        if !state.group_throttle.admit(conv_id, msg.message_priority)
            && !state.store.read().await?.message_exists(&msg.message_msg_id).await?
        {
            return Err(refused(
                codes::ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT,
                "this group is receiving more messages than its rate allows; try again shortly",
            ));
        }
    }
    let profile = state.store.profile(me).await?;
    let now = now_secs();
    let mut stored = Message {
        message_elem_array: msg.message_elem_array,
        message_conv_id: conv_id.to_string(),
        message_conv_type: ct,
        message_sender: me.to_string(),
        message_priority: msg.message_priority.min(3),
        message_client_time: msg.message_client_time,
        message_server_time: now,
        message_platform: msg.message_platform,
        message_is_online_msg: msg.message_is_online_msg,
        message_status: msg_status::SEND_SUCC,
        message_msg_id: msg.message_msg_id,
        message_rand: if msg.message_rand != 0 { msg.message_rand } else { rand::thread_rng().gen::<u32>() as u64 },
        message_cloud_custom_str: msg.message_cloud_custom_str,
        message_is_excluded_from_unread_count: msg.message_is_excluded_from_unread_count,
        message_group_at_user_array: msg.message_group_at_user_array,
        message_is_forward_message: msg.message_is_forward_message,
        message_sender_profile: Some(profile),
        message_offlie_push_config: msg.message_offlie_push_config,
        message_excluded_from_last_message: msg.message_excluded_from_last_message,
        message_need_read_receipt: msg.message_need_read_receipt,
        message_unique_id: new_unique_id(),
        ..Default::default()
    };
    let changed = filter_words(&state.cfg.word_filter, &mut stored.message_elem_array);
    if stored.message_is_online_msg || online_only {
        // Online-only: not stored, not sequenced, delivered to whoever is online now (its media
        // still becomes fetchable by the conversation's participants).
        if !media.is_empty() {
            let key = conv_key.clone();
            state.store.write(move |tx| Box::pin(async move { tx.add_media_refs(&media, ct, &key).await })).await?;
        }
        let frame = |viewer: &str| {
            let mut m = stored.clone();
            render_for(&mut m, viewer);
            serde_json::to_string(&ServerFrame::Push(Push { seq: 0, event: Event::NewMsg { msg: m } }))
                .map(axum::extract::ws::Utf8Bytes::from)
                .map_err(corrupt)
        };
        if ct == conv_type::GROUP {
            // Everyone but the sender sees the same bytes.
            let (others, own) = (frame("")?, frame(me)?);
            state.hub.push_group(conv_id, &others, me, &own, None);
            if let Some(c) = &state.cluster {
                let (gid, sender) = (conv_id.to_string(), me.to_string());
                c.publish(Note::GroupText { gid, sender, others: others.to_string(), own: own.to_string() });
            }
        } else {
            for r in &inbox {
                let text = frame(r)?;
                state.hub.push_text(r, &text);
                if let Some(c) = &state.cluster {
                    c.publish(Note::Text { user: r.clone(), text: text.to_string() });
                }
            }
        }
        render_for(&mut stored, me);
        return Ok(Sending::Done(stored));
    }
    Ok(Sending::Store(Append {
        conv_type: ct,
        conv_key,
        msg: stored,
        inbox,
        group_fanout: ct == conv_type::GROUP,
        media,
        updated_for_sender: changed,
        origin: None,
    }))
}

/// Where each of my groups' history stands (for catching up after being away).
/// The newest seq of `me`'s inbox (0 when empty).
pub async fn inbox_latest(state: &State, me: &str) -> Result<u64> {
    state.store.read().await?.latest_inbox_seq(me).await
}

pub async fn group_cursors(state: &State, me: &str) -> Result<Vec<GroupCursor>> {
    let rows = state.store.read().await?.group_cursors(me).await?;
    Ok(rows
        .into_iter()
        .map(|r| GroupCursor {
            // A ChatRoom member may read what was said before they came.
            visible_after: if r.group_type as u32 == group_type::CHAT_ROOM { 0 } else { r.join_seq as u64 },
            group_id: r.group_id,
            group_type: r.group_type as u32,
            msg_flag: r.msg_flag as u32,
            latest_seq: r.latest.unwrap_or(0) as u64,
        })
        .collect())
}

/// The inbox of `me` after `after`, one page (cut by count and by bytes).
pub async fn sync(state: &State, me: &str, after: u64) -> Result<SyncResult> {
    let mut db = state.store.read().await?;
    let entries = db.inbox_page(me, after, SYNC_PAGE + 1).await?;
    let mut more = entries.len() as i64 > SYNC_PAGE;
    let mut events = Vec::with_capacity(entries.len());
    for (seq, stored) in entries.into_iter().take(SYNC_PAGE as usize) {
        let event = match stored {
            StoredEvent::Msg { id } => Event::NewMsg { msg: db.message_by_id(id).await?.render(me)? },
            StoredEvent::Updated { id } => Event::MsgUpdated { msg: db.message_by_id(id).await?.render(me)? },
            StoredEvent::Receipt { receipt } => Event::Receipt { receipt },
            StoredEvent::Revoked { locator, msg_id } => Event::Revoked { locator, msg_id },
        };
        events.push(Push { seq, event });
    }
    more |= cut_page(&mut events);
    Ok(SyncResult { events, more })
}

/// A page of roaming history as `me` sees it.
pub struct HistoryPage<'a> {
    pub conv_type: u32,
    pub conv_id: &'a str,
    pub anchor_seq: u64,
    pub forward: bool,
    pub include_anchor: bool,
    pub count: u32,
}

pub async fn history(state: &State, me: &str, p: HistoryPage<'_>) -> Result<Vec<Message>> {
    let conv_key = conversation_key(state, me, p.conv_type, p.conv_id).await?;
    let q = HistoryQuery {
        viewer: me,
        conv_type: p.conv_type,
        conv_key: &conv_key,
        anchor: p.anchor_seq,
        forward: p.forward,
        include_anchor: p.include_anchor,
        count: p.count.clamp(1, HISTORY_MAX) as i64,
    };
    let rows = state.store.read().await?.history(&q).await?;
    let mut msgs = rows.iter().map(|r| r.render(me)).collect::<Result<Vec<_>>>()?;
    // A page never outgrows a frame: fewer messages come back, the client asks again from the
    // last one it got.
    cut_page(&mut msgs);
    Ok(msgs)
}

/// `me` read a conversation up to `time`; a C2C peer gets a receipt.
pub async fn report_read(state: &State, me: &str, ct: u32, conv_id: &str, time: u64) -> Result<()> {
    conversation_key(state, me, ct, conv_id).await?;
    let time = time.min(now_secs() + 60);
    let (me_s, peer) = (me.to_string(), conv_id.to_string());
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                if tx.read_mark(&me_s, ct, &peer).await?.is_some_and(|p| p as u64 >= time) {
                    return Ok(());
                }
                tx.set_read_mark(&me_s, ct, &peer, time).await?;
                if ct == conv_type::C2C && peer != me_s {
                    let receipt = MessageReceipt {
                        msg_receipt_conv_id: me_s.clone(),
                        msg_receipt_conv_type: conv_type::C2C,
                        msg_receipt_time_stamp: time,
                    };
                    tx.append_inbox(
                        &peer,
                        &StoredEvent::Receipt { receipt: receipt.clone() },
                        Event::Receipt { receipt },
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
}

/// Revoke a message: its sender within the revoke window, or a group admin.
pub async fn revoke(state: &State, me: &str, ct: u32, conv_id: &str, msg_id: &str) -> Result<()> {
    let (conv_key, recipients) = conversation(state, me, ct, conv_id).await?;
    let mut db = state.store.read().await?;
    let row = db
        .revoke_target(msg_id, ct, &conv_key)
        .await?
        .ok_or_else(|| refused(codes::ERR_SVR_GROUP_REVOKE_MSG_NOT_FOUND, "no such message in this conversation"))?;
    if row.revoked != 0 {
        return Ok(());
    }
    if row.sender != me {
        let allowed = ct == conv_type::GROUP && db.role(conv_id, me).await?.is_some_and(|r| r >= member_role::ADMIN);
        if !allowed {
            return Err(refused(
                codes::ERR_SVR_GROUP_REVOKE_MSG_DENY,
                "only the sender (or a group admin) can revoke this message",
            ));
        }
    } else {
        let sent = row.server_time as u64;
        if now_secs().saturating_sub(sent) > state.cfg.revoke_window.as_secs() {
            let code = if ct == conv_type::GROUP {
                codes::ERR_SVR_GROUP_REVOKE_MSG_TIME_LIMIT
            } else {
                codes::ERR_SVR_MSG_REVOKE_TIME_LIMIT
            };
            return Err(refused(code, "the revoke time limit has passed"));
        }
    }
    let body: Message = serde_json::from_str(&row.body).map_err(corrupt)?;
    let id = row.id;
    let msg_id = msg_id.to_string();
    // Who revoked it (the sender or a group admin), as every member's window should say.
    let profile = db.profile(me).await?;
    drop(db);
    let revoker = Revoker {
        user_id: me.to_string(),
        nick_name: profile.user_profile_nick_name,
        face_url: profile.user_profile_face_url,
    };
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                if !tx.mark_revoked(id, &revoker).await? {
                    return Ok(());
                }
                for r in &recipients {
                    let mut m = body.clone();
                    render_for(&mut m, r);
                    let mut locator = MsgLocator {
                        message_locator_conv_id: m.message_conv_id.clone(),
                        message_locator_conv_type: ct,
                        message_locator_is_revoked: true,
                        message_locator_time: m.message_server_time,
                        message_locator_seq: m.message_seq,
                        message_locator_is_self: m.message_is_from_self,
                        message_locator_rand: m.message_rand,
                        message_locator_unique_id: m.message_unique_id,
                        ..Default::default()
                    };
                    revoker.fill_locator(&mut locator);
                    let ev = StoredEvent::Revoked { locator: locator.clone(), msg_id: msg_id.clone() };
                    tx.append_inbox(r, &ev, Event::Revoked { locator, msg_id: msg_id.clone() }).await?;
                }
                Ok(())
            })
        })
        .await
}

/// Delete messages from `me`'s roaming history (they stay for the other participants).
pub async fn delete(state: &State, me: &str, ct: u32, conv_id: &str, msg_ids: Vec<String>) -> Result<()> {
    if msg_ids.is_empty() || msg_ids.len() > 30 {
        return Err(refused(codes::ERR_INVALID_PARAMETERS, "delete 1 to 30 messages at a time"));
    }
    let conv_key = conversation_key(state, me, ct, conv_id).await?;
    let me = me.to_string();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                for id in &msg_ids {
                    tx.hide_message(&me, ct, &conv_key, id).await?;
                }
                Ok(())
            })
        })
        .await
}

/// Clear a conversation's roaming history for `me`.
pub async fn clear_history(state: &State, me: &str, ct: u32, conv_id: &str) -> Result<()> {
    let conv_key = conversation_key(state, me, ct, conv_id).await?;
    let me = me.to_string();
    state.store.write(move |tx| Box::pin(async move { tx.clear_history(&me, ct, &conv_key).await })).await
}
