//! The send queue: messages go on the wire in the order they were sent, each finished when its
//! answer arrives (without waiting for one answer before sending the next); plus the checks
//! and the local echo of an outgoing message, made before it is queued.
//!
//! A message with media elements is uploaded inside the queue (`media/upload.rs`): its local
//! echo is stored first ("sending"), and it goes on the wire only once every upload is done.
use std::sync::Arc;

use confab_protocol::enums::{conv_event, conv_type, elem_type, msg_status};
use confab_protocol::wire::Request;
use confab_protocol::Message;
use rand::Rng;
use serde_json::Value;

use super::context::{merge_server_fields, CancelFlag, ProcCmd, SendJob, SessionCtx};
use crate::error::{Error, Result};
use crate::events::SdkEvent;
use crate::media::elems::{needs_upload, wire_copy};
use crate::media::upload::{upload_elems, UploadCtx};
use crate::store;
use crate::util::{now_secs, platform};

/// The TIM content limit: the sum of the lengths of every element's fields.
pub const MAX_CONTENT_BYTES: usize = 8 * 1024;

/// Checks a client may make before sending (6016 / 6017 / 8001).
pub fn validate_outgoing(m: &Message) -> Result<()> {
    if m.message_elem_array.is_empty() {
        return Err(Error::InvalidParam("message_elem_array must hold at least one element".into()));
    }
    let (mut sounds, mut files) = (0, 0);
    for e in &m.message_elem_array {
        match e.elem_type() {
            elem_type::GROUP_TIPS | elem_type::GROUP_REPORT => {
                return Err(Error::InvalidElem("group tips and group reports are sent by the server only".into()))
            }
            elem_type::FRIEND_CHANGE | elem_type::PROFILE_CHANGE => {
                return Err(Error::InvalidElem("friend and profile change elements cannot be sent".into()))
            }
            elem_type::SOUND => sounds += 1,
            elem_type::FILE => files += 1,
            t if !(0..=12).contains(&t) => return Err(Error::InvalidElem(format!("unknown elem_type {t}"))),
            _ => {}
        }
    }
    if sounds > 1 || files > 1 {
        return Err(Error::InvalidElem("at most one sound and one file element per message".into()));
    }
    if confab_protocol::message::content_bytes(&m.message_elem_array) > MAX_CONTENT_BYTES {
        return Err(Error::BodyTooLarge);
    }
    Ok(())
}

/// Build the local echo of an outgoing message.
pub fn prepare(shared: &SessionCtx, ct: u32, conv_id: &str, mut m: Message, msg_id: String) -> Message {
    let now = now_secs();
    m.message_msg_id = msg_id;
    m.message_conv_id = conv_id.to_string();
    m.message_conv_type = ct;
    m.message_sender = shared.me.clone();
    m.message_client_time = now;
    m.message_server_time = 0;
    m.message_seq = 0;
    m.message_is_from_self = true;
    m.message_is_read = true;
    m.message_is_peer_read = false;
    m.message_status = msg_status::SENDING;
    if m.message_priority > 3 {
        m.message_priority = 1;
    }
    if m.message_rand == 0 {
        m.message_rand = u64::from(rand::thread_rng().gen::<u32>());
    }
    m.message_platform = platform();
    m
}

/// The send queue: takes jobs in call order, stores each as "sending", puts its frame on the
/// socket in that same order (so the server assigns seqs in call order), and finishes each
/// when its answer arrives, without waiting for one answer before sending the next.
pub async fn send_queue(shared: Arc<SessionCtx>, mut rx: tokio::sync::mpsc::UnboundedReceiver<SendJob>) {
    let mut inflight = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            job = rx.recv() => {
                let Some(mut job) = job else { break };
                let started = if job.cancel.is_cancelled() {
                    Err(Error::Cancelled)
                } else {
                    start_send(&shared, &mut job.msg, &job.cancel).await
                };
                shared.dequeue_send(&job.msg.message_msg_id);
                if matches!(started, Err(Error::Disconnected)) {
                    // The link stayed down for the whole wait: fail everything queued behind
                    // this message at once instead of waiting again for each of them.
                    let mut failed = vec![job];
                    while let Ok(j) = rx.try_recv() {
                        store_echo(&shared, &j.msg).await.ok();
                        failed.push(j);
                    }
                    for j in failed {
                        let r = finish_send(&shared, j.msg, Err(Error::Disconnected)).await;
                        let _ = j.reply.send(r);
                    }
                    continue;
                }
                let shared = shared.clone();
                inflight.spawn(async move {
                    let r = match started {
                        Ok(pending) => shared.link.finish(pending).await,
                        Err(e) => Err(e),
                    };
                    let _ = job.reply.send(finish_send(&shared, job.msg, r).await);
                });
            }
            Some(_) = inflight.join_next(), if !inflight.is_empty() => {}
        }
    }
    while inflight.join_next().await.is_some() {}
}

/// Store the local echo ("sending") so the message survives whatever happens next.
async fn store_echo(shared: &Arc<SessionCtx>, m: &Message) -> Result<()> {
    if shared.store.not_stored(m).await {
        return Ok(());
    }
    let (ct, id) = (m.message_conv_type, m.message_conv_id.clone());
    let mut tx = shared.store.begin().await?;
    let created = store::ensure_conv(&mut tx, ct, &id, now_secs()).await?;
    store::put_msg(&mut tx, m).await?;
    tx.commit().await?;
    shared.emit_conv(if created { conv_event::ADD } else { conv_event::UPDATE }, ct, &id).await;
    Ok(())
}

async fn start_send(
    shared: &Arc<SessionCtx>,
    m: &mut Message,
    cancel: &CancelFlag,
) -> Result<tokio::sync::oneshot::Receiver<Result<Value>>> {
    store_echo(shared, m).await?;
    if needs_upload(m) {
        // Media first: the message goes out only once every upload is committed.
        let info = shared.login_info();
        let sig = shared.user_sig();
        let cx = UploadCtx {
            link: &shared.link,
            user_id: &info.user_id,
            user_sig: &sig,
            media: &info.media,
            store: &shared.store,
        };
        let progress = |msg: &Message, index: u32, cur_size: u64, total_size: u64| {
            shared.emit(SdkEvent::MsgElemUploadProgress { msg: msg.clone(), index, cur_size, total_size })
        };
        tokio::select! {
            r = upload_elems(&cx, m, progress) => r?,
            _ = cancel.notified() => return Err(Error::Cancelled),
        }
        store_echo(shared, m).await?;
    }
    tokio::select! {
        r = shared.link.wait_ready() => r?,
        _ = cancel.notified() => return Err(Error::Cancelled),
    }
    if cancel.is_cancelled() {
        return Err(Error::Cancelled);
    }
    shared.link.start_raw(Request::SendMsg {
        conv_type: m.message_conv_type,
        conv_id: m.message_conv_id.clone(),
        msg: wire_copy(m),
    })
}

async fn finish_send(shared: &Arc<SessionCtx>, m: Message, r: Result<Value>) -> Result<Message> {
    let (ct, id) = (m.message_conv_type, m.message_conv_id.clone());
    match r {
        Ok(v) => {
            // A server that left this connection out of the message's echo says which seq the
            // message took, so the processor counts it as applied (no gap, no resync).
            if v.get("confab_echo_skipped").and_then(Value::as_bool) == Some(true) {
                if let Some(seq) = v.get("confab_inbox_seq").and_then(Value::as_u64) {
                    let _ = shared.proc_tx.send(ProcCmd::OwnInbox(seq));
                }
                let seq = v.get("message_seq").and_then(Value::as_u64).unwrap_or(0);
                if ct == conv_type::GROUP && seq > 0 {
                    let _ = shared.proc_tx.send(ProcCmd::OwnGroup(id.clone(), seq));
                }
            }
            let mut server: Message = serde_json::from_value(v)
                .map_err(|e| Error::Server(confab_protocol::codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))?;
            confab_protocol::message::clear_local_paths(&mut server.message_elem_array);
            server.message_is_from_self = true;
            if server.message_is_online_msg || shared.store.not_stored(&m).await {
                return Ok(server);
            }
            let mut tx = shared.store.begin().await?;
            if ct == conv_type::GROUP && server.message_seq == 0 {
                // The server did not sequence (store) it: an AVChatRoom this device had not
                // learned about. Drop the echo, and store nothing of this room from now on.
                if let Some(mut local) = store::get_msg_in(&mut tx, &server.message_msg_id).await? {
                    local.message_status = msg_status::DELETED;
                    store::put_msg(&mut tx, &local).await?;
                }
                tx.commit().await?;
                shared.store.remember_unstored_group(&id).await?;
                shared.emit_conv(conv_event::UPDATE, ct, &id).await;
                return Ok(server);
            }
            let merged = match store::get_msg_in(&mut tx, &server.message_msg_id).await? {
                Some(local) => merge_server_fields(local, server),
                None => server,
            };
            store::put_msg(&mut tx, &merged).await?;
            tx.commit().await?;
            shared.emit_conv(conv_event::UPDATE, ct, &id).await;
            Ok(merged)
        }
        Err(e) => {
            if !shared.store.not_stored(&m).await {
                let mut tx = shared.store.begin().await?;
                if let Some(mut local) = store::get_msg_in(&mut tx, &m.message_msg_id).await? {
                    // The push of this very message may have won the race: keep a success.
                    if local.message_status == msg_status::SENDING {
                        local.message_status =
                            if matches!(e, Error::Cancelled) { msg_status::CANCEL } else { msg_status::SEND_FAIL };
                        store::put_msg(&mut tx, &local).await?;
                    }
                }
                tx.commit().await?;
                shared.emit_conv(conv_event::UPDATE, ct, &id).await;
            }
            Err(e)
        }
    }
}
