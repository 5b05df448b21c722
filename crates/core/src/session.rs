//! A logged-in session: the local store, the link, and the three owned background tasks.
//!
//! - the *processor* applies server events in inbox order (and resyncs on a gap);
//! - the *supervisor* watches the socket, reconnects with backoff, resyncs, reports network
//!   status, and ends the session on kick / UserSig expiry;
//! - the *heartbeat* pings the server and drops a socket that stopped answering.
//!
//! Every task is aborted when the session is dropped (logout, uninit, kick, a new login).
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use confab_protocol::enums::{conv_event, conv_type, msg_status, network_status};
use confab_protocol::wire::{Event, LoginResult, Push, Request, SyncResult};
use confab_protocol::{codes, ConvInfo, Message, MsgLocator};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::events::SdkEvent;
use crate::link::{Closed, Inbound, Link, Socket};
use crate::store::{self, LocalStore};
use crate::Emitter;

const CURSOR_KEY: &str = "inbox_seq";

/// What a login needs to know, kept for reconnects.
#[derive(Clone)]
pub struct LoginInfo {
    pub sdk_app_id: u64,
    pub user_id: String,
    pub user_sig: String,
    pub platform: u32,
    pub instance_id: String,
    /// A device with no local history starts this many inbox events back from the newest
    /// (older history comes from roaming on demand).
    pub fresh_sync_window: u64,
    /// The media cache folder and cap, and where ffmpeg lives.
    pub media: crate::media_cache::MediaOptions,
}

/// State shared by the session's tasks and API calls.
pub struct Shared {
    pub me: String,
    pub store: LocalStore,
    pub link: Arc<Link>,
    pub emitter: Emitter,
    pub ended: AtomicBool,
    pub server_time_offset: Mutex<i64>,
    /// The server's recall window for own messages (seconds), from the login; 0 when unknown.
    pub revoke_window: std::sync::atomic::AtomicU64,
    login: LoginInfo,
    proc_tx: mpsc::UnboundedSender<ProcCmd>,
    pub send_tx: mpsc::UnboundedSender<crate::msg::SendJob>,
    /// Sends not yet handed to the server, by message id (TIMMsgCancelSend can stop them).
    queued: Mutex<std::collections::HashMap<String, Arc<crate::msg::CancelFlag>>>,
    /// When TIMMsgListDelete last ran (it may run once per second).
    pub last_list_delete: Mutex<Option<std::time::Instant>>,
    /// Recent C2C receive-option calls (at most 5 per second).
    recv_opt_calls: Mutex<std::collections::VecDeque<std::time::Instant>>,
}

impl Shared {
    /// Queue a prepared message for sending; its outcome goes to `reply`.
    pub fn enqueue_send(&self, msg: Message, reply: oneshot::Sender<Result<Message>>) -> Result<()> {
        let cancel = Arc::new(crate::msg::CancelFlag::default());
        self.queued.lock().unwrap_or_else(|p| p.into_inner()).insert(msg.message_msg_id.clone(), cancel.clone());
        self.send_tx.send(crate::msg::SendJob { msg, reply, cancel }).map_err(|_| Error::NotLoggedIn)
    }

    /// Who this session is logged in as (media requests carry the UserSig).
    pub fn login_info(&self) -> &LoginInfo {
        &self.login
    }

    /// The send queue hands a message to the server: it can no longer be cancelled.
    pub fn dequeue_send(&self, msg_id: &str) {
        self.queued.lock().unwrap_or_else(|p| p.into_inner()).remove(msg_id);
    }

    /// Cancel a queued send; false when there is none of that id.
    pub fn cancel_queued(&self, msg_id: &str) -> bool {
        match self.queued.lock().unwrap_or_else(|p| p.into_inner()).remove(msg_id) {
            Some(flag) => {
                flag.cancel();
                true
            }
            None => false,
        }
    }

    /// The C2C receive-option calls may run 5 times per second (7008 beyond).
    pub fn rate_limit_recv_opt(&self) -> Result<()> {
        let mut q = self.recv_opt_calls.lock().unwrap_or_else(|p| p.into_inner());
        while q.front().is_some_and(|t| t.elapsed() >= std::time::Duration::from_secs(1)) {
            q.pop_front();
        }
        if q.len() >= 5 {
            return Err(Error::Server(
                codes::ERR_SDK_COMM_API_CALL_FREQUENCY_LIMIT,
                "at most 5 calls per second".into(),
            ));
        }
        q.push_back(std::time::Instant::now());
        Ok(())
    }

    pub fn alive(&self) -> bool {
        !self.ended.load(Ordering::SeqCst)
    }

    pub fn emit(&self, e: SdkEvent) {
        self.emitter.emit(e);
    }

    pub async fn emit_conv(&self, event: i32, ct: u32, id: &str) {
        match self.store.conv_info(ct, id).await {
            Ok(Some(c)) => self.emit(SdkEvent::ConvEvent { event, convs: Some(vec![c]) }),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not read conversation for event"),
        }
    }

    /// Resync through the processor (so that all event application stays in one task).
    async fn resync(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.proc_tx.send(ProcCmd::Resync(tx)).map_err(|_| Error::Disconnected)?;
        rx.await.map_err(|_| Error::Disconnected)?
    }
}

enum ProcCmd {
    /// The newest inbox seq at login: a fresh device (cursor 0) starts near it.
    Latest(u64),
    Push(Push),
    Resync(oneshot::Sender<Result<()>>),
}

pub struct Session {
    pub shared: Arc<Shared>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Session {
    pub fn stop(&self) {
        self.shared.ended.store(true, Ordering::SeqCst);
        for t in self.tasks.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            t.abort();
        }
        self.shared.link.detach();
        self.shared.link.close();
    }

    /// Log in: open the store, connect, authenticate, catch up, then keep the link alive.
    pub async fn start(login: LoginInfo, store: LocalStore, link: Arc<Link>, emitter: Emitter) -> Result<Session> {
        let (proc_tx, proc_rx) = mpsc::unbounded_channel();
        let (send_tx, send_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            me: login.user_id.clone(),
            store,
            link,
            emitter,
            ended: AtomicBool::new(false),
            server_time_offset: Mutex::new(0),
            revoke_window: std::sync::atomic::AtomicU64::new(0),
            login,
            proc_tx,
            send_tx,
            queued: Mutex::new(std::collections::HashMap::new()),
            last_list_delete: Mutex::new(None),
            recv_opt_calls: Mutex::new(std::collections::VecDeque::new()),
        });
        let session = Session { shared: shared.clone(), tasks: Mutex::new(Vec::new()) };
        session.spawn(processor(shared.clone(), proc_rx));
        shared.emit(SdkEvent::NetworkStatus { status: network_status::CONNECTING, code: 0, desc: String::new() });
        let socket = match connect_and_login(&shared, false).await {
            Ok(s) => s,
            Err(e) => {
                shared.emit(SdkEvent::NetworkStatus {
                    status: network_status::CONNECT_FAILED,
                    code: e.code(),
                    desc: e.to_string(),
                });
                if e.code() == codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED {
                    shared.emit(SdkEvent::UserSigExpired);
                }
                return Err(e);
            }
        };
        shared.link.set_ready(true);
        shared.emit(SdkEvent::NetworkStatus { status: network_status::CONNECTED, code: 0, desc: String::new() });
        session.spawn(supervisor(shared.clone(), socket));
        session.spawn(crate::msg::send_queue(shared.clone(), send_rx));
        session.spawn(heartbeat(shared.clone()));
        Ok(session)
    }

    fn spawn(&self, f: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner()).push(tokio::spawn(f));
    }
}

/// Open a socket, log in (a reconnect uses `resume`), and catch up on the inbox.
async fn connect_and_login(shared: &Arc<Shared>, resume: bool) -> Result<Socket> {
    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Inbound>();
    let socket = shared.link.open(in_tx).await?;
    // Forward this socket's pushes to the processor.
    let proc_tx = shared.proc_tx.clone();
    tokio::spawn(async move {
        while let Some(Inbound::Push(p)) = in_rx.recv().await {
            if proc_tx.send(ProcCmd::Push(p)).is_err() {
                break;
            }
        }
    });
    let l = &shared.login;
    let req = Request::Login {
        sdk_app_id: l.sdk_app_id,
        user_id: l.user_id.clone(),
        user_sig: l.user_sig.clone(),
        platform: l.platform,
        instance_id: l.instance_id.clone(),
        resume,
    };
    let res = shared.link.request_raw(req).await;
    let v = match res {
        Ok(v) => v,
        Err(e) => {
            shared.link.close();
            return Err(e);
        }
    };
    if let Ok(lr) = serde_json::from_value::<LoginResult>(v) {
        *shared.server_time_offset.lock().unwrap_or_else(|p| p.into_inner()) =
            lr.server_time as i64 - crate::now_secs() as i64;
        shared.revoke_window.store(lr.revoke_window, std::sync::atomic::Ordering::Relaxed);
        let _ = shared.proc_tx.send(ProcCmd::Latest(lr.latest_seq));
    }
    shared.resync().await?;
    Ok(socket)
}

async fn supervisor(shared: Arc<Shared>, mut socket: Socket) {
    loop {
        let why = (&mut socket.closed).await.unwrap_or(Closed::Lost);
        shared.link.detach();
        match why {
            Closed::Kicked => return end(&shared, SdkEvent::KickedOffline),
            Closed::SigExpired => return end(&shared, SdkEvent::UserSigExpired),
            Closed::Lost => {
                shared.emitter.log(confab_protocol::enums::log_level::WARN, "connection lost; reconnecting");
                shared.emit(SdkEvent::NetworkStatus {
                    status: network_status::DISCONNECTED,
                    code: codes::ERR_SDK_NET_DISCONNECT,
                    desc: "connection lost".into(),
                });
            }
        }
        let t = shared.link.timeouts;
        let mut delay = t.backoff_min;
        loop {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(t.backoff_max);
            shared.emit(SdkEvent::NetworkStatus { status: network_status::CONNECTING, code: 0, desc: String::new() });
            match connect_and_login(&shared, true).await {
                Ok(s) => {
                    socket = s;
                    shared.link.set_ready(true);
                    shared.emit(SdkEvent::NetworkStatus {
                        status: network_status::CONNECTED,
                        code: 0,
                        desc: String::new(),
                    });
                    break;
                }
                Err(Error::Server(c, _)) if c == codes::ERR_LOGIN_KICKED_OFF_BY_OTHER => {
                    return end(&shared, SdkEvent::KickedOffline)
                }
                Err(Error::Server(c, _)) if c == codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED => {
                    return end(&shared, SdkEvent::UserSigExpired)
                }
                Err(e) => {
                    tracing::debug!(error = %e, "reconnect failed");
                    shared.emit(SdkEvent::NetworkStatus {
                        status: network_status::CONNECT_FAILED,
                        code: e.code(),
                        desc: e.to_string(),
                    });
                }
            }
        }
    }
}

fn end(shared: &Arc<Shared>, event: SdkEvent) {
    shared.ended.store(true, Ordering::SeqCst);
    shared.link.detach();
    shared.emit(event);
}

async fn heartbeat(shared: Arc<Shared>) {
    let every = shared.link.timeouts.heartbeat;
    loop {
        tokio::time::sleep(every).await;
        if !shared.link.is_ready() {
            continue;
        }
        match shared.link.request_raw(Request::Ping).await {
            Ok(_) => {}
            Err(Error::Timeout) => {
                tracing::warn!("heartbeat unanswered; dropping the socket");
                shared.link.close();
            }
            Err(_) => {}
        }
    }
}

/// Applies server events in inbox order, and is the only writer of the inbox cursor.
async fn processor(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<ProcCmd>) {
    let mut cursor: u64 = match shared.store.kv_get(CURSOR_KEY).await {
        Ok(v) => v.and_then(|s| s.parse().ok()).unwrap_or(0),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the inbox cursor");
            0
        }
    };
    while let Some(cmd) = rx.recv().await {
        match cmd {
            ProcCmd::Latest(latest) => {
                if cursor == 0 {
                    cursor = latest.saturating_sub(shared.login.fresh_sync_window);
                    if let Ok(mut c) = shared.store.pool.acquire().await {
                        if let Err(e) = store::kv_set(&mut c, CURSOR_KEY, &cursor.to_string()).await {
                            tracing::warn!(error = %e, "could not save the inbox cursor");
                        }
                    }
                }
            }
            ProcCmd::Resync(done) => {
                let r = resync(&shared, &mut cursor).await;
                let _ = done.send(r);
            }
            ProcCmd::Push(p) => {
                if p.seq == 0 {
                    if let Err(e) = apply(&shared, p, &mut cursor).await {
                        tracing::warn!(error = %e, "could not apply an online event");
                    }
                } else if p.seq <= cursor {
                    // Already applied (from a sync or an earlier push).
                } else if p.seq == cursor + 1 {
                    if let Err(e) = apply(&shared, p, &mut cursor).await {
                        tracing::error!(error = %e, "could not apply an event");
                    }
                } else if let Err(e) = resync(&shared, &mut cursor).await {
                    tracing::warn!(error = %e, "resync after a gap failed");
                }
            }
        }
    }
}

async fn resync(shared: &Arc<Shared>, cursor: &mut u64) -> Result<()> {
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
            // Pins are state, not inbox events: read the whole list after catching up.
            if let Err(e) = crate::pins::reconcile(shared).await {
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
    group: crate::group::Effects,
}

async fn apply(shared: &Arc<Shared>, p: Push, cursor: &mut u64) -> Result<()> {
    let mut fx = Effects::default();
    let mut tx = shared.store.begin().await?;
    match p.event {
        Event::NewMsg { mut msg } => {
            msg.message_is_from_self = msg.message_sender == shared.me;
            // What the server did not store (online-only messages, AVChatRoom messages and
            // tips) is not stored here either.
            if msg.message_is_online_msg || p.seq == 0 {
                crate::group::on_new_msg(&mut tx, &msg, &mut fx.group).await?;
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
                        let created = store::ensure_conv(&mut tx, ct, &id, crate::now_secs()).await?;
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
                        crate::group::on_new_msg(&mut tx, &msg, &mut fx.group).await?;
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
        Event::MsgUpdated { msg } => {
            let merged = match store::get_msg_in(&mut tx, &msg.message_msg_id).await? {
                Some(local) => merge_server_fields(local, msg),
                None => msg,
            };
            store::put_msg(&mut tx, &merged).await?;
            fx.conv = Some((conv_event::UPDATE, merged.message_conv_type, merged.message_conv_id.clone()));
            fx.updated.push(merged);
        }
        Event::ConvPinned { pin, pinned } => {
            if crate::pins::set_local(&mut tx, &pin, pinned).await? {
                fx.conv = Some((conv_event::UPDATE, pin.conv_type, pin.conv_id.clone()));
            }
        }
    }
    if p.seq > 0 {
        store::kv_set(&mut tx, CURSOR_KEY, &p.seq.to_string()).await?;
    }
    tx.commit().await?;
    if p.seq > 0 {
        *cursor = p.seq;
    }
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
    crate::group::finish(shared, fx.group).await;
    Ok(())
}

/// Keep the local-only fields of `local`, take everything the server decides from `server`.
pub fn merge_server_fields(local: Message, mut server: Message) -> Message {
    crate::media::restore_paths(&local, &mut server);
    server.message_custom_int = local.message_custom_int;
    server.message_custom_str = local.message_custom_str;
    server.message_is_read = local.message_is_read || server.message_is_from_self;
    if local.message_status == msg_status::REVOKED {
        server.message_status = msg_status::REVOKED;
        if server.message_revoker_user_id.is_empty() {
            server.message_revoker_user_id = local.message_revoker_user_id;
            server.message_revoker_nick_name = local.message_revoker_nick_name;
            server.message_revoker_face_url = local.message_revoker_face_url;
            server.message_revoke_reason = local.message_revoke_reason;
        }
    }
    server
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

/// Convenience used by the conversation API: every conversation as ConvInfo, newest first.
pub async fn conv_list(store: &LocalStore) -> Result<Vec<ConvInfo>> {
    let mut out = store.conv_list().await?;
    out.sort_by(|a, b| b.conv_active_time.cmp(&a.conv_active_time).then_with(|| a.conv_id.cmp(&b.conv_id)));
    Ok(out)
}
