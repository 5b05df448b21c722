//! Who is online: live sessions per user, and delivery of frames to them.
//!
//! Layer: infrastructure (the delivery seam). Imports nothing of this crate; the store hands it
//! the pushes of committed jobs through a callback wired in `lib.rs`.
use std::collections::HashMap;
use std::sync::Mutex;

use confab_protocol::wire::{Push, ServerFrame};
use tokio::sync::mpsc;

/// What a connection's writer task is told to do.
// A frame is on its way to the socket, not kept: boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Outbound {
    Frame(ServerFrame),
    /// Send a close frame and stop.
    Close,
}

#[derive(Debug, Clone)]
pub struct SessionEntry {
    pub conn_id: u64,
    pub platform: u32,
    pub instance_id: String,
    pub tx: mpsc::UnboundedSender<Outbound>,
}

#[derive(Default)]
pub struct Hub {
    sessions: Mutex<HashMap<String, Vec<SessionEntry>>>,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<SessionEntry>>> {
        // A panic while holding this lock cannot leave the map half-updated (every update is a
        // single push/retain), so a poisoned lock is still consistent.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn register(&self, user: &str, entry: SessionEntry) {
        self.lock().entry(user.to_string()).or_default().push(entry);
    }

    pub fn unregister(&self, user: &str, conn_id: u64) {
        let mut map = self.lock();
        if let Some(v) = map.get_mut(user) {
            v.retain(|s| s.conn_id != conn_id);
            if v.is_empty() {
                map.remove(user);
            }
        }
    }

    /// Deliver a push to every live session of `user`.
    pub fn push(&self, user: &str, push: Push) {
        if let Some(v) = self.lock().get(user) {
            for s in v {
                let _ = s.tx.send(Outbound::Frame(ServerFrame::Push(push.clone())));
            }
        }
    }

    pub fn is_online(&self, user: &str) -> bool {
        self.lock().get(user).is_some_and(|v| !v.is_empty())
    }

    /// Sessions of `user` on `platform` held by another instance. With `kick`, they are told
    /// `Kicked` and closed. Sessions of the same instance (a stale connection of this device)
    /// are closed silently. Returns whether another instance was online.
    pub fn displace(&self, user: &str, platform: u32, instance_id: &str, except_conn: u64) -> bool {
        let mut map = self.lock();
        let Some(v) = map.get_mut(user) else {
            return false;
        };
        let mut other_online = false;
        v.retain(|s| {
            if s.conn_id == except_conn || s.platform != platform {
                return true;
            }
            if s.instance_id != instance_id {
                other_online = true;
                let _ = s.tx.send(Outbound::Frame(ServerFrame::Kicked));
            }
            let _ = s.tx.send(Outbound::Close);
            false
        });
        other_online
    }

    /// Close every connection (test hook for "the network dropped").
    pub fn close_all(&self) {
        let mut map = self.lock();
        for v in map.values() {
            for s in v {
                let _ = s.tx.send(Outbound::Close);
            }
        }
        map.clear();
    }

    /// Close every connection of one user.
    pub fn close_user(&self, user: &str) {
        if let Some(v) = self.lock().remove(user) {
            for s in v {
                let _ = s.tx.send(Outbound::Close);
            }
        }
    }

    pub fn online_count(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }
}
