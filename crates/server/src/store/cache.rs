//! Read-through caches of small, rarely changing rows the send path reads for every message
//! (does the peer exist, the sender's profile, the peer's receive option), so a send costs no
//! read query in the common case.
//!
//! Only the store writes these rows, and a write job that changes one invalidates its entry
//! after the commit (see `writer.rs`). A load that raced with such a write is not kept: every
//! invalidation bumps a generation, and a loaded value is inserted only if the generation did
//! not move while it was read.
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use confab_protocol::UserProfile;

/// Entries kept at most per cache; past it the cache starts over.
const MAX_ENTRIES: usize = 200_000;

pub struct Cache<K, V> {
    map: RwLock<HashMap<K, V>>,
    generation: AtomicU64,
}

impl<K: Eq + Hash + Clone, V: Clone> Default for Cache<K, V> {
    fn default() -> Self {
        Cache { map: RwLock::new(HashMap::new()), generation: AtomicU64::new(0) }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Cache<K, V> {
    pub fn get(&self, k: &K) -> Option<V> {
        self.map.read().unwrap_or_else(|p| p.into_inner()).get(k).cloned()
    }

    /// The generation to pass to [`Cache::put`] after loading.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keep a loaded value unless an invalidation happened since `generation` was read.
    pub fn put(&self, generation: u64, k: K, v: V) {
        let mut m = self.map.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(k, v);
    }

    pub fn invalidate(&self, k: &K) {
        let mut m = self.map.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        m.remove(k);
    }
}

/// The store's caches.
#[derive(Default)]
pub struct Caches {
    /// Users known to exist (users are never deleted, so a yes stays true).
    pub users: Cache<String, ()>,
    pub profiles: Cache<String, UserProfile>,
    /// (user, peer) → how `user` receives C2C messages from `peer`.
    pub c2c_opts: Cache<(String, String), Option<i64>>,
}

/// What a committed write job invalidates (also told to the other nodes of a service).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Invalidate {
    Profile(String),
    C2cOpt(String, String),
}

impl Caches {
    pub fn apply(&self, inv: &Invalidate) {
        match inv {
            Invalidate::Profile(u) => self.profiles.invalidate(u),
            Invalidate::C2cOpt(u, p) => self.c2c_opts.invalidate(&(u.clone(), p.clone())),
        }
    }
}
