//! Wiring: [`start`] opens the store, the bus and the blob store, builds the shared state and
//! serves the gateway's router; [`Running`] stops it.
//!
//! Layer: the top of the library (below only `cli`).
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::blobs::BlobStore;
use crate::bus::cluster::{Cluster, Note, Remote};
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
        if let Some(c) = &self.state.cluster {
            c.shutdown();
        }
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
    #[error("bus: {0}")]
    Bus(String),
}

/// Carry out the effects of committed writes on the bus, in commit order (the writer calls
/// this after each commit): this node's sessions first, then the other nodes (if any).
fn deliver_effects(hub: Arc<Hub>, cluster: Option<Arc<Cluster>>) -> store::Deliver {
    Arc::new(move |effects| {
        deliver_here_and_publish(&hub, cluster.as_deref(), effects);
        // Acknowledgements wait until the other nodes can no longer miss these.
        cluster.as_ref().and_then(|c| c.sent())
    })
}

fn deliver_here_and_publish(hub: &Hub, cluster: Option<&Cluster>, effects: Vec<Effect>) {
    for e in effects {
        match e {
            Effect::Push { user, push, except_conn } => {
                if let Some(c) = &cluster {
                    c.publish(Note::Push { user: user.clone(), push: push.clone() });
                }
                hub.push(&user, push, except_conn)
            }
            Effect::GroupMsg { gid, msg, except_conn } => {
                // Serialized once for every member, once more for the sender's own sessions.
                if let Some((others, own)) = crate::bus::group_frames(&msg) {
                    hub.push_group(&gid, &others, &msg.message_sender, &own, except_conn);
                }
                if let Some(c) = &cluster {
                    c.publish(Note::GroupMsg { gid, msg });
                }
            }
            Effect::Membership { gid, user, receiving } => {
                if receiving {
                    hub.subscribe(&user, &gid);
                } else {
                    hub.unsubscribe(&user, &gid);
                }
                if let Some(c) = &cluster {
                    c.publish(Note::Member { gid, user, receiving });
                }
            }
            Effect::GroupGone { gid } => {
                hub.group_gone(&gid);
                if let Some(c) = &cluster {
                    c.publish(Note::GroupGone { gid });
                }
            }
            Effect::CacheChanged(inv) => {
                if let (Some(c), Ok(body)) = (&cluster, serde_json::to_value(&inv)) {
                    c.publish(Note::Other { body });
                }
            }
        }
    }
}

/// What another node's note asks of this one besides delivery.
fn on_remote(store: Store) -> crate::bus::cluster::RemoteFn {
    Arc::new(move |r| match r {
        Remote::Other(body) => match serde_json::from_value::<store::Invalidate>(body) {
            Ok(inv) => store.apply_remote_invalidation(&inv),
            Err(_) => tracing::warn!("an unknown note from another node"),
        },
        Remote::Kicked { user, instances } => {
            // Kicked while online (on this node): told so already, so their next login is not
            // refused as "kicked while offline" by the flag the other node's login left.
            let store = store.clone();
            tokio::spawn(async move {
                let r = store
                    .write(move |tx| {
                        Box::pin(async move {
                            for i in &instances {
                                tx.take_kicked_flag(&user, i).await?;
                            }
                            Ok(())
                        })
                    })
                    .await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "clearing kicked flags failed");
                }
            });
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
    let cluster = match &cfg.bus_url {
        Some(url) => Some(Cluster::connect(url, cfg.identity.sdk_app_id, hub.clone()).await.map_err(StartError::Bus)?),
        None => None,
    };
    let deliver = deliver_effects(hub.clone(), cluster.clone());
    let at = match &cfg.store_url {
        Some(url) => store::Location::Postgres(url.clone()),
        None => store::Location::Sqlite(cfg.data_dir.join("confab.db")),
    };
    let (store, writer) = Store::open(&at, deliver).await?;
    if let Some(c) = &cluster {
        c.set_remote(on_remote(store.clone()));
    }
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
        cluster,
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
