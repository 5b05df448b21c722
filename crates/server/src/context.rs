//! The server's shared state, handed to every handler.
//!
//! Layer: domain (context). Imports the infrastructure (`store`, `bus`, `blobs`) and the
//! foundation.
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::blobs::BlobStore;
use crate::bus::cluster::Cluster;
use crate::bus::Hub;
use crate::config::Config;
use crate::store::Store;
use crate::throttle::{GroupThrottle, SignInThrottle};

pub(crate) struct State {
    pub cfg: Config,
    pub store: Store,
    pub hub: Arc<Hub>,
    pub blobs: BlobStore,
    pub next_conn: AtomicU64,
    pub accepting: AtomicBool,
    pub shutdown: watch::Receiver<bool>,
    pub sign_in: SignInThrottle,
    /// Password hashes computed at once (Argon2id takes 19 MiB each).
    pub hashing: tokio::sync::Semaphore,
    pub group_throttle: GroupThrottle,
    /// Test hook: users whose logins are refused (as if the network were down for them).
    pub refused_users: Mutex<HashSet<String>>,
    /// The other nodes of the service (`--bus`); `None` when this node is alone.
    pub cluster: Option<Arc<Cluster>>,
}
