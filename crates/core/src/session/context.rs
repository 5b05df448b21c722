//! The context of a logged-in session ([`SessionCtx`]): what its tasks and every feature share
//! (the store, the link, the event emitter, who is logged in, the send queue's handle, rate
//! limits, the server's clock), plus the helpers features share.
//!
//! The send queue's handle ([`SendJob`], [`CancelFlag`], enqueue / dequeue / cancel) lives
//! here, not in `send_queue.rs`, so that the context never names the file that holds the queue's
//! task: `send_queue.rs` imports this file, never the other way round.
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use confab_protocol::enums::{conv_event, msg_status};
use confab_protocol::wire::Push;
use confab_protocol::{codes, Message};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::error::{Error, Result};
use crate::events::{Emitter, SdkEvent};
use crate::media::elems::restore_paths;
use crate::net::link::Link;
use crate::options::MediaOptions;
use crate::store::LocalStore;
use crate::util::now_secs;

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
    pub media: MediaOptions,
}

/// What the processor (`engine/processor.rs`) is asked to do; it applies events strictly in
/// inbox order.
pub(crate) enum ProcCmd {
    /// The newest inbox seq at login: a fresh device (cursor 0) starts near it.
    Latest(u64),
    Push(Box<Push>),
    Resync(oneshot::Sender<Result<()>>),
    /// An own send was acked without an echo to this connection: this inbox seq is applied.
    OwnInbox(u64),
    /// An own group message was acked without an echo: this seq of the group is applied.
    OwnGroup(String, u64),
    /// The server's newest inbox seq, asked a moment ago: still ahead of the cursor means
    /// pushes were lost on a live connection (resync).
    Behind(u64),
    /// The server asked for a catch-up: resync within this long (at a random moment in it).
    ResyncWithin(std::time::Duration),
}

/// One queued send: the prepared message and where its outcome goes.
pub struct SendJob {
    pub msg: Message,
    pub reply: oneshot::Sender<Result<Message>>,
    pub cancel: Arc<CancelFlag>,
}

/// Set by TIMMsgCancelSend while a message waits in the queue.
#[derive(Default)]
pub struct CancelFlag {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelFlag {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Completes when [`cancel`](Self::cancel) is called.
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }
}

/// State shared by the session's tasks and API calls.
pub struct SessionCtx {
    pub me: String,
    pub store: LocalStore,
    pub link: Arc<Link>,
    pub emitter: Emitter,
    pub ended: AtomicBool,
    pub server_time_offset: Mutex<i64>,
    /// The server's recall window for own messages (seconds), from the login; 0 when unknown.
    pub revoke_window: AtomicU64,
    login: LoginInfo,
    pub(crate) proc_tx: mpsc::UnboundedSender<ProcCmd>,
    pub send_tx: mpsc::UnboundedSender<SendJob>,
    /// Sends not yet handed to the server, by message id (TIMMsgCancelSend can stop them).
    queued: Mutex<HashMap<String, Arc<CancelFlag>>>,
    /// When TIMMsgListDelete last ran (it may run once per second).
    pub last_list_delete: Mutex<Option<Instant>>,
    /// Recent C2C receive-option calls (at most 5 per second).
    recv_opt_calls: Mutex<VecDeque<Instant>>,
    /// The UserSig reconnects and uploads use (a password change replaces it).
    user_sig: Mutex<String>,
}

impl SessionCtx {
    /// The context of a session starting now; its processor reads `proc_tx`'s other end, its
    /// send queue `send_tx`'s.
    pub(crate) fn new(
        login: LoginInfo,
        store: LocalStore,
        link: Arc<Link>,
        emitter: Emitter,
        proc_tx: mpsc::UnboundedSender<ProcCmd>,
        send_tx: mpsc::UnboundedSender<SendJob>,
    ) -> SessionCtx {
        SessionCtx {
            me: login.user_id.clone(),
            store,
            link,
            emitter,
            ended: AtomicBool::new(false),
            server_time_offset: Mutex::new(0),
            revoke_window: AtomicU64::new(0),
            proc_tx,
            send_tx,
            queued: Mutex::new(HashMap::new()),
            last_list_delete: Mutex::new(None),
            recv_opt_calls: Mutex::new(VecDeque::new()),
            user_sig: Mutex::new(login.user_sig.clone()),
            login,
        }
    }

    /// Queue a prepared message for sending; its outcome goes to `reply`.
    pub fn enqueue_send(&self, msg: Message, reply: oneshot::Sender<Result<Message>>) -> Result<()> {
        let cancel = Arc::new(CancelFlag::default());
        self.queued.lock().unwrap_or_else(|p| p.into_inner()).insert(msg.message_msg_id.clone(), cancel.clone());
        self.send_tx.send(SendJob { msg, reply, cancel }).map_err(|_| Error::NotLoggedIn)
    }

    /// Who this session is logged in as. Its `user_sig` is the one of the login; use
    /// [`Self::user_sig`] for the current one.
    pub fn login_info(&self) -> &LoginInfo {
        &self.login
    }

    /// The UserSig to authenticate with now (reconnects, uploads).
    pub fn user_sig(&self) -> String {
        self.user_sig.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A fresh UserSig replaces the current one (after a password change revoked the old).
    pub fn set_user_sig(&self, sig: String) {
        *self.user_sig.lock().unwrap_or_else(|p| p.into_inner()) = sig;
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
        q.push_back(Instant::now());
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
    pub(crate) async fn resync(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.proc_tx.send(ProcCmd::Resync(tx)).map_err(|_| Error::Disconnected)?;
        rx.await.map_err(|_| Error::Disconnected)?
    }

    /// The server's clock, from the offset seen at login.
    pub fn server_clock(&self) -> u64 {
        let off = *self.server_time_offset.lock().unwrap_or_else(|p| p.into_inner());
        (now_secs() as i64 + off).max(0) as u64
    }

    /// Cache a conversation's receive option (shown as `conv_recv_opt`) and announce the change.
    pub async fn remember_recv_opt(&self, ct: u32, id: &str, opt: u32) -> Result<()> {
        self.store.set_recv_opt(ct, id, opt).await?;
        self.emit_conv(conv_event::UPDATE, ct, id).await;
        Ok(())
    }
}

/// Keep the local-only fields of `local`, take everything the server decides from `server`.
pub fn merge_server_fields(local: Message, mut server: Message) -> Message {
    restore_paths(&local, &mut server);
    server.message_custom_int = local.message_custom_int;
    server.message_custom_str = local.message_custom_str;
    server.message_is_read = local.message_is_read || server.message_is_from_self;
    // What this device deleted stays deleted, whatever copy of it arrives later (the echo of
    // an own send can land after a quick local delete).
    if local.message_status == msg_status::DELETED {
        server.message_status = msg_status::DELETED;
    }
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
