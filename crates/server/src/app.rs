//! Wiring: [`start`] opens the store, the bus and the blob store, builds the shared state and
//! serves the gateway's router; [`Running`] stops it.
//!
//! Layer: the top of the library (below only `cli`).
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use axum::serve::ListenerExt;
use confab_protocol::wire::{Event, Push, ServerFrame};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::blobs::BlobStore;
use crate::bus::Hub;
use crate::config::{self, Config};
use crate::context::State;
use crate::error::StoreError;
use crate::store::{self, Effect, Store};
use crate::{gateway, handlers, throttle, usersig};

/// A running server. Dropping it does not stop it; call [`Running::shutdown`].
pub struct Running {
    pub addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
    tls: bool,
}

impl Running {
    /// `ws://host:port` (`wss://` with TLS), the URL clients connect to.
    pub fn url(&self) -> String {
        format!("{}://{}", if self.tls { "wss" } else { "ws" }, self.addr)
    }

    /// Stop accepting, let connections finish their current request, flush the store.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let Running { state, writer, .. } = self;
        // The writer ends when the last Store handle (inside State) is gone.
        drop(state);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), writer).await;
    }

    /// Test hook: drop every live connection at once, as a network failure would.
    pub fn drop_all_connections(&self) {
        self.state.hub.close_all();
    }

    /// Test hook: refuse (true) or allow (false) new WebSocket connections.
    pub fn refuse_connections(&self, refuse: bool) {
        self.state.accepting.store(!refuse, std::sync::atomic::Ordering::SeqCst);
    }

    /// Test hook: drop `user`'s connections and refuse (true) or allow (false) their logins.
    pub fn cut_off_user(&self, user: &str, cut: bool) {
        let mut set = self.state.refused_users.lock().unwrap_or_else(|p| p.into_inner());
        if cut {
            set.insert(user.to_string());
            self.state.hub.close_user(user);
        } else {
            set.remove(user);
        }
    }

    /// Test hook: run a write job that panics (a bug in a handler); true when it failed alone.
    pub async fn panic_in_a_write_job(&self) -> bool {
        let r: crate::error::Result<()> = self.state.store.write(|_tx| Box::pin(async { panic!("injected") })).await;
        r.is_err()
    }

    /// Test hook: a write job that takes the next seq of group `gid` and then fails (a handler
    /// refusing after allocating); true when it failed. The seq must not be lost (S-13).
    pub async fn take_a_group_seq_then_fail(&self, gid: &str) -> bool {
        let gid = gid.to_string();
        let r: crate::error::Result<()> = self
            .state
            .store
            .write(move |tx| {
                Box::pin(async move {
                    tx.next_conv_seq(confab_protocol::enums::conv_type::GROUP, &gid).await?;
                    Err(crate::error::refused(confab_protocol::codes::ERR_INVALID_PARAMETERS, "injected"))
                })
            })
            .await;
        r.is_err()
    }

    /// Entries held by the password sign-in limits (test hook: memory stays bounded).
    pub fn sign_in_entries(&self) -> usize {
        self.state.sign_in.entries()
    }

    pub fn online_sessions(&self) -> usize {
        self.state.hub.online_count()
    }

    pub fn sdk_app_id(&self) -> u64 {
        self.state.cfg.identity.sdk_app_id
    }

    /// A UserSig for `user` valid for `expire` seconds (what `confab-server usersig` prints).
    pub fn usersig(&self, user: &str, expire: i64) -> String {
        let id = &self.state.cfg.identity;
        usersig::generate(id.sdk_app_id, &id.secret_key, user, expire, config::now_secs() as i64)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("tls: {0}")]
    Tls(String),
}

/// Carry out the effects of committed writes on the bus, in commit order (the writer calls
/// this after each commit).
fn deliver_effects(hub: Arc<Hub>) -> store::Deliver {
    Arc::new(move |effects| {
        for e in effects {
            match e {
                Effect::Push { user, push, except_conn } => hub.push(&user, push, except_conn),
                Effect::GroupMsg { gid, msg, except_conn } => {
                    // Serialized once for every member, once more for the sender's own sessions.
                    let sender = msg.message_sender.clone();
                    let frame = |from_self: bool| {
                        let mut m = msg.clone();
                        m.message_is_from_self = from_self;
                        let f = ServerFrame::Push(Push { seq: 0, event: Event::GroupMsg { msg: m } });
                        serde_json::to_string(&f).map(Utf8Bytes::from)
                    };
                    if let (Ok(others), Ok(own)) = (frame(false), frame(true)) {
                        hub.push_group(&gid, &others, &sender, &own, except_conn);
                    }
                }
                Effect::Membership { gid, user, receiving: true } => hub.subscribe(&user, &gid),
                Effect::Membership { gid, user, receiving: false } => hub.unsubscribe(&user, &gid),
                Effect::GroupGone { gid } => hub.group_gone(&gid),
            }
        }
    })
}

/// Start serving on `listener` with `cfg`.
pub async fn start(cfg: Config, listener: TcpListener) -> Result<Running, StartError> {
    // TLS first: a bad certificate or key stops the start before anything is opened.
    let tls = match cfg.tls.clone() {
        Some(files) => Some(
            tokio::task::spawn_blocking(move || gateway::tls::load(&files))
                .await
                .map_err(|e| StartError::Tls(e.to_string()))?
                .map_err(StartError::Tls)?,
        ),
        None => None,
    };
    crate::config::create_private_dir(&cfg.data_dir)?;
    let hub = Arc::new(Hub::default());
    let deliver = deliver_effects(hub.clone());
    let at = match &cfg.store_url {
        Some(url) => store::Location::Postgres(url.clone()),
        None => store::Location::Sqlite(cfg.data_dir.join("confab.db")),
    };
    let (store, writer) = Store::open(&at, deliver).await?;
    let (stop, shutdown) = watch::channel(false);
    let group_throttle = throttle::GroupThrottle::new(cfg.group_msg_rate);
    let blobs = BlobStore::new(cfg.media_dir.clone().unwrap_or_else(|| cfg.data_dir.join("media")));
    let state = Arc::new(State {
        cfg,
        store,
        hub,
        blobs,
        next_conn: AtomicU64::new(1),
        accepting: AtomicBool::new(true),
        shutdown: shutdown.clone(),
        sign_in: Default::default(),
        hashing: tokio::sync::Semaphore::new(
            2 * std::thread::available_parallelism().map(std::num::NonZeroUsize::get).unwrap_or(2),
        ),
        group_throttle,
        refused_users: Default::default(),
    });
    let app = gateway::router(state.clone());
    let addr = listener.local_addr()?;
    // The media sweeper (expired media, stale partial uploads) runs inside the server's task
    // and stops with it.
    let sweeper = handlers::media::sweeper(state.clone(), shutdown.clone());
    let sd = shutdown;
    let limits =
        gateway::serve::Limits { max_connections: state.cfg.max_connections, header_timeout: state.cfg.header_timeout };
    let is_tls = tls.is_some();
    let task = tokio::spawn(async move {
        // With TLS, the accept loop is fed finished TLS streams by `tls::TlsListener`; the
        // limits and the graceful shutdown are the same either way.
        let serve = async move {
            match tls {
                Some(cfg) => {
                    gateway::serve::serve(gateway::tls::TlsListener::new(listener, cfg), app, limits, sd).await
                }
                None => {
                    // TCP_NODELAY: a response that follows a push on the same connection must
                    // not wait for the client's delayed ACK (Nagle's algorithm), ~40 ms each.
                    let listener = listener.tap_io(|tcp| {
                        let _ = tcp.set_nodelay(true);
                    });
                    gateway::serve::serve(listener, app, limits, sd).await
                }
            }
        };
        tokio::join!(serve, sweeper);
    });
    tracing::info!(%addr, tls = is_tls, "confab-server listening");
    Ok(Running { addr, state, stop, task, writer, tls: is_tls })
}
