//! Message calls: send, get list (local + roaming), report read, revoke, find.
use std::sync::Arc;

use confab_protocol::conv::MsgGetMsgListParam;
use confab_protocol::enums::{conv_event, conv_type, elem_type, msg_status};
use confab_protocol::wire::Request;
use confab_protocol::Message;
use rand::Rng;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::session::{merge_server_fields, Shared};
use crate::store::{self, SortKey};

/// The TIM content limit: the sum of the lengths of every element's fields.
pub const MAX_CONTENT_BYTES: usize = 8 * 1024;

pub fn new_msg_id(me: &str, now: u64) -> String {
    // <prefix>-<client time>-<random>; the prefix is a short hash of the sender so that ids of
    // different users never collide by construction of the random part alone.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in me.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    let r: u64 = rand::thread_rng().gen();
    format!("{:x}-{now}-{r:x}", h & 0xffff_ffff_ffff)
}

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
pub fn prepare(shared: &Shared, ct: u32, conv_id: &str, mut m: Message, msg_id: String) -> Message {
    let now = crate::now_secs();
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
    m.message_platform = crate::platform();
    m
}

/// One queued send: the prepared message and where its outcome goes.
pub struct SendJob {
    pub msg: Message,
    pub reply: tokio::sync::oneshot::Sender<Result<Message>>,
    pub cancel: Arc<CancelFlag>,
}

/// Set by TIMMsgCancelSend while a message waits in the queue.
#[derive(Default)]
pub struct CancelFlag {
    cancelled: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

impl CancelFlag {
    pub fn cancel(&self) {
        self.cancelled.store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_one();
    }
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The send queue: takes jobs in call order, stores each as "sending", puts its frame on the
/// socket in that same order (so the server assigns seqs in call order), and finishes each
/// when its answer arrives, without waiting for one answer before sending the next.
pub async fn send_queue(shared: Arc<Shared>, mut rx: tokio::sync::mpsc::UnboundedReceiver<SendJob>) {
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
async fn store_echo(shared: &Arc<Shared>, m: &Message) -> Result<()> {
    if crate::group::not_stored(shared, m).await {
        return Ok(());
    }
    let (ct, id) = (m.message_conv_type, m.message_conv_id.clone());
    let mut tx = shared.store.begin().await?;
    let created = store::ensure_conv(&mut tx, ct, &id, crate::now_secs()).await?;
    store::put_msg(&mut tx, m).await?;
    tx.commit().await?;
    shared.emit_conv(if created { conv_event::ADD } else { conv_event::UPDATE }, ct, &id).await;
    Ok(())
}

async fn start_send(
    shared: &Arc<Shared>,
    m: &mut Message,
    cancel: &CancelFlag,
) -> Result<tokio::sync::oneshot::Receiver<Result<Value>>> {
    store_echo(shared, m).await?;
    if crate::media::needs_upload(m) {
        // Media first: the message goes out only once every upload is committed.
        tokio::select! {
            r = crate::media::upload_elems(shared, m) => r?,
            _ = cancel.notify.notified() => return Err(Error::Cancelled),
        }
        store_echo(shared, m).await?;
    }
    tokio::select! {
        r = shared.link.wait_ready() => r?,
        _ = cancel.notify.notified() => return Err(Error::Cancelled),
    }
    if cancel.is_cancelled() {
        return Err(Error::Cancelled);
    }
    shared.link.start_raw(Request::SendMsg {
        conv_type: m.message_conv_type,
        conv_id: m.message_conv_id.clone(),
        msg: crate::media::wire_copy(m),
    })
}

async fn finish_send(shared: &Arc<Shared>, m: Message, r: Result<Value>) -> Result<Message> {
    let (ct, id) = (m.message_conv_type, m.message_conv_id.clone());
    match r {
        Ok(v) => {
            let mut server: Message = serde_json::from_value(v)
                .map_err(|e| Error::Server(confab_protocol::codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))?;
            server.message_is_from_self = true;
            if server.message_is_online_msg || crate::group::not_stored(shared, &m).await {
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
                crate::group::remember_unstored(shared, &id).await?;
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
            if !crate::group::not_stored(shared, &m).await {
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

pub const DEFAULT_PAGE: u32 = 20;
pub const MAX_PAGE: u32 = 100;

/// TIMMsgGetMsgList: local history, topped up from roaming history when asked.
pub async fn get_list(shared: &Arc<Shared>, ct: u32, id: &str, p: MsgGetMsgListParam) -> Result<Vec<Message>> {
    let count = match p.msg_getmsglist_param_count {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    let forward = p.msg_getmsglist_param_is_forward;
    // Resolve the anchor: a message (excluded), else a group seq (included), else a time window.
    let anchor_msg = p.msg_getmsglist_param_last_msg.filter(|m| !m.message_msg_id.is_empty() || m.message_seq > 0);
    let mut inclusive = false;
    let mut anchor: Option<(SortKey, String)> = None;
    let mut anchor_seq: u64 = 0;
    if let Some(m) = &anchor_msg {
        let key = match shared.store.sort_key_of(&m.message_msg_id).await? {
            Some(k) => k,
            None => SortKey { time: store::sort_time(m), seq: m.message_seq as i64 },
        };
        anchor_seq = key.seq as u64;
        anchor = Some((key, m.message_msg_id.clone()));
    } else if ct == conv_type::GROUP && p.msg_getmsglist_param_last_msg_seq > 0 {
        anchor_seq = p.msg_getmsglist_param_last_msg_seq;
        inclusive = true;
        let t: Option<i64> =
            sqlx::query_scalar("SELECT sort_time FROM messages WHERE conv_type = ? AND conv_id = ? AND seq = ?")
                .bind(ct as i64)
                .bind(id)
                .bind(anchor_seq as i64)
                .fetch_optional(&shared.store.pool)
                .await?;
        if let Some(t) = t {
            anchor = Some((
                SortKey { time: t, seq: anchor_seq as i64 },
                if forward { String::new() } else { "\u{10ffff}".into() },
            ));
        }
    } else if p.msg_getmsglist_param_time_begin > 0 {
        let begin = p.msg_getmsglist_param_time_begin as i64;
        let end = if p.msg_getmsglist_param_time_period > 0 {
            begin + p.msg_getmsglist_param_time_period as i64
        } else {
            i64::MAX
        };
        return shared.store.page_by_time(ct, id, begin, end, forward, count).await;
    }
    let local = shared.store.page(ct, id, anchor.clone(), forward, inclusive, count).await?;
    let roaming = p.msg_getmsglist_param_is_remble && ct != conv_type::SYSTEM;
    if !roaming || !shared.alive() || complete(&local, count, anchor_seq, forward, inclusive) {
        return Ok(local);
    }
    if anchor.is_some() && anchor_seq == 0 {
        // A local-only anchor (never sent) has no place in roaming history.
        return Ok(local);
    }
    let req = Request::History {
        conv_type: ct,
        conv_id: id.to_string(),
        anchor_seq,
        forward,
        include_anchor: inclusive,
        count,
    };
    let v = shared.link.request(req).await?;
    let msgs: Vec<Message> = serde_json::from_value(v.get("msgs").cloned().unwrap_or(Value::Array(vec![])))
        .map_err(|e| Error::Server(confab_protocol::codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))?;
    if !msgs.is_empty() {
        let mut tx = shared.store.begin().await?;
        store::ensure_conv(&mut tx, ct, id, crate::now_secs()).await?;
        for mut m in msgs {
            if let Some(local) = store::get_msg_in(&mut tx, &m.message_msg_id).await? {
                // Keep what this device knows (read state, local data, deletions).
                if local.message_status == msg_status::DELETED {
                    continue;
                }
                let merged = merge_server_fields(local, m);
                store::put_msg(&mut tx, &merged).await?;
            } else {
                // Roaming history is history: it does not raise the unread count.
                m.message_is_read = true;
                m.message_is_from_self = m.message_sender == shared.me;
                store::put_msg(&mut tx, &m).await?;
            }
        }
        tx.commit().await?;
    }
    shared.store.page(ct, id, anchor, forward, inclusive, count).await
}

/// Whether a local page already holds `count` consecutive seqs next to the anchor.
fn complete(page: &[Message], count: u32, anchor_seq: u64, forward: bool, inclusive: bool) -> bool {
    if page.len() < count as usize {
        return false;
    }
    let seqs: Vec<u64> = page.iter().map(|m| m.message_seq).collect();
    if seqs.contains(&0) {
        return false;
    }
    let step_ok = seqs.windows(2).all(|w| if forward { w[1] == w[0] + 1 } else { w[0] == w[1] + 1 });
    let first_ok = match (anchor_seq, forward, inclusive) {
        (0, false, _) => true,
        (a, false, false) => seqs[0] + 1 == a,
        (a, true, false) => seqs[0] == a + 1,
        (a, _, true) => seqs[0] == a,
    };
    step_ok && first_ok
}

/// TIMMsgReportReaded: local unread to zero (up to the message's time), and tell the server.
pub async fn report_read(shared: &Arc<Shared>, ct: u32, id: &str, msg: Option<Message>) -> Result<()> {
    if !shared.store.conv_exists(ct, id).await? {
        return Err(Error::Server(confab_protocol::codes::ERR_INVALID_CONVERSATION, "no such conversation".into()));
    }
    let time = match msg.filter(|m| m.message_server_time > 0 || m.message_client_time > 0) {
        Some(m) => store::sort_time(&m),
        None => {
            let newest = shared.store.page(ct, id, None, false, false, 1).await?;
            newest.first().map(store::sort_time).unwrap_or(crate::now_secs() as i64)
        }
    };
    let mut tx = shared.store.begin().await?;
    store::mark_read(&mut tx, ct, id, time).await?;
    tx.commit().await?;
    shared.emit_conv(conv_event::UPDATE, ct, id).await;
    if ct == conv_type::C2C || ct == conv_type::GROUP {
        shared
            .link
            .request(Request::ReportRead { conv_type: ct, conv_id: id.to_string(), time: time.max(0) as u64 })
            .await?;
    }
    Ok(())
}

pub async fn revoke(shared: &Arc<Shared>, ct: u32, id: &str, msg: Message) -> Result<()> {
    if msg.message_msg_id.is_empty() {
        return Err(Error::InvalidParam("the message to revoke needs its message_msg_id".into()));
    }
    if msg.message_is_online_msg {
        return Err(Error::InvalidParam("online-only messages cannot be revoked".into()));
    }
    shared
        .link
        .request(Request::Revoke { conv_type: ct, conv_id: id.to_string(), msg_id: msg.message_msg_id.clone() })
        .await?;
    let mut tx = shared.store.begin().await?;
    if let Some(mut m) = store::get_msg_in(&mut tx, &msg.message_msg_id).await? {
        m.message_status = msg_status::REVOKED;
        // I revoked it. The server's revoke notification (also sent to me, possibly already
        // applied) brings my nick name and face URL as the server knows them.
        if m.message_revoker_user_id.is_empty() {
            m.message_revoker_user_id = shared.me.clone();
        }
        store::put_msg(&mut tx, &m).await?;
    }
    tx.commit().await?;
    shared.emit_conv(conv_event::UPDATE, ct, id).await;
    Ok(())
}

pub async fn find(shared: &Arc<Shared>, ids: &[String]) -> Result<Vec<Message>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(m) = shared.store.get_msg(id).await? {
            out.push(m);
        }
    }
    Ok(out)
}
