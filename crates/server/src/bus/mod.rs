//! Who is online, and delivery of frames to them.
//!
//! Layer: infrastructure (the delivery seam). Imports nothing of this crate; the store hands it
//! the effects of committed jobs through a callback wired in `app.rs`.
//!
//! - Sessions are kept per user in [`SHARDS`] shards (a lock per shard, never one global lock
//!   per push).
//! - Group subscriptions: the online members of each group that receive its messages (their
//!   receive option is not "do not receive"). A group message is serialized once and the same
//!   bytes are queued on every subscribed connection.
//! - Every connection has a bounded outbound queue ([`Outlet`]): a client that stops reading is
//!   disconnected when its queue passes the bound (it resyncs when it comes back), so a stalled
//!   reader cannot grow the server's memory.
pub mod cluster;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::ws::Utf8Bytes;
use confab_protocol::wire::{Push, ServerFrame};
use tokio::sync::{mpsc, Notify};

/// A group message's push, serialized once for the members and once for the sender's own
/// sessions (`message_is_from_self`).
pub fn group_frames(msg: &confab_protocol::Message) -> Option<(Utf8Bytes, Utf8Bytes)> {
    let frame = |from_self: bool| {
        let mut m = msg.clone();
        m.message_is_from_self = from_self;
        let f = ServerFrame::Push(Push { seq: 0, event: confab_protocol::wire::Event::GroupMsg { msg: m } });
        serde_json::to_string(&f).ok().map(Utf8Bytes::from)
    };
    Some((frame(false)?, frame(true)?))
}

/// What a connection's writer task is told to do.
#[derive(Debug)]
pub enum Outbound {
    /// A serialized frame.
    Text(Utf8Bytes),
    /// Send a close frame and stop.
    Close,
}

/// The sending side of one connection's outbound queue, bounded in bytes.
#[derive(Clone)]
pub struct Outlet {
    tx: mpsc::UnboundedSender<Outbound>,
    queued: Arc<AtomicUsize>,
    limit: usize,
    killed: Arc<AtomicBool>,
    kill: Arc<Notify>,
    /// The session was taken away (kicked): the connection stops serving requests at once,
    /// whether or not its client reads what it is told.
    ended: Arc<(AtomicBool, Notify)>,
}

/// The receiving side, owned by the connection's writer task.
pub struct Inlet {
    rx: mpsc::UnboundedReceiver<Outbound>,
    queued: Arc<AtomicUsize>,
    kill: Arc<Notify>,
    killed: Arc<AtomicBool>,
}

/// A new outbound queue holding at most `limit` bytes of frames not yet written.
pub fn outlet(limit: usize) -> (Outlet, Inlet) {
    let (tx, rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let kill = Arc::new(Notify::new());
    (
        Outlet {
            tx,
            queued: queued.clone(),
            limit,
            killed: killed.clone(),
            kill: kill.clone(),
            ended: Default::default(),
        },
        Inlet { rx, queued, kill, killed },
    )
}

impl Outlet {
    /// Queue a frame. Past the bound the connection is cut at once (without writing what is
    /// queued) and false is answered; false also when the connection is gone.
    pub fn send_text(&self, text: Utf8Bytes) -> bool {
        if self.killed.load(Ordering::Relaxed) {
            return false;
        }
        let n = text.len();
        if self.queued.fetch_add(n, Ordering::Relaxed) + n > self.limit {
            tracing::info!(limit = self.limit, "a client stopped reading; its connection is cut");
            self.cut();
            return false;
        }
        self.tx.send(Outbound::Text(text)).is_ok()
    }

    /// Queue a frame, serializing it.
    pub fn send_frame(&self, frame: &ServerFrame) -> bool {
        match serde_json::to_string(frame) {
            Ok(t) => self.send_text(t.into()),
            Err(_) => false,
        }
    }

    /// Close after what is queued has been written.
    pub fn close(&self) {
        let _ = self.tx.send(Outbound::Close);
    }

    /// End the session this connection serves (it is told why, if it still reads).
    pub fn end_session(&self) {
        self.ended.0.store(true, Ordering::SeqCst);
        self.ended.1.notify_one();
    }

    /// Resolves once [`Outlet::end_session`] was called.
    pub async fn session_ended(&self) {
        if self.ended.0.load(Ordering::SeqCst) {
            return;
        }
        self.ended.1.notified().await;
    }

    /// Drop the connection now, whatever is queued.
    pub fn cut(&self) {
        self.killed.store(true, Ordering::Relaxed);
        self.kill.notify_one();
    }
}

impl Inlet {
    /// The next frame to write; `None` when the queue is closed or the connection was cut.
    pub async fn next(&mut self) -> Option<Outbound> {
        if self.killed.load(Ordering::Relaxed) {
            return None;
        }
        tokio::select! {
            biased;
            _ = self.kill.notified() => None,
            o = self.rx.recv() => o,
        }
    }

    /// The next frame if one is queued now.
    pub fn try_next(&mut self) -> Option<Outbound> {
        if self.killed.load(Ordering::Relaxed) {
            return None;
        }
        self.rx.try_recv().ok()
    }

    /// A frame of `n` bytes has been written.
    pub fn written(&self, n: usize) {
        self.queued.fetch_sub(n, Ordering::Relaxed);
    }

    /// Wait until the connection is cut (for a writer blocked on a socket that is not read).
    pub async fn cut(&self) {
        if self.killed.load(Ordering::Relaxed) {
            return;
        }
        self.kill.notified().await;
    }
}

#[derive(Clone)]
pub struct SessionEntry {
    pub conn_id: u64,
    pub platform: u32,
    pub instance_id: String,
    pub out: Outlet,
}

#[derive(Default)]
struct UserEntry {
    sessions: Vec<SessionEntry>,
    /// The groups this user is subscribed to while online.
    groups: HashSet<String>,
}

/// Shards of the session and subscription maps.
pub const SHARDS: usize = 64;

pub struct Hub {
    users: Vec<Mutex<HashMap<String, UserEntry>>>,
    groups: Vec<RwLock<HashMap<String, HashSet<String>>>>,
    /// Told when this node starts or stops having sessions of a user, or subscribed members of
    /// a group (the cluster subscribes to what this node needs from the others). Sent under
    /// the shard lock of the key, so the changes of one key arrive in order.
    interest: std::sync::OnceLock<mpsc::UnboundedSender<Interest>>,
}

/// A change in what this node delivers (see [`Hub::watch_interest`]).
#[derive(Debug)]
pub enum Interest {
    User(String, bool),
    Group(String, bool),
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            users: (0..SHARDS).map(|_| Mutex::default()).collect(),
            groups: (0..SHARDS).map(|_| RwLock::default()).collect(),
            interest: std::sync::OnceLock::new(),
        }
    }
}

fn shard(key: &str) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() as usize) % SHARDS
}

// A panic while holding one of these locks cannot leave a map half-updated (every update is a
// single insert/remove/retain), so a poisoned lock is still consistent.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Hub {
    /// Report interest changes to `tx` from now on (once; the cluster link sets it).
    pub fn watch_interest(&self, tx: mpsc::UnboundedSender<Interest>) {
        let _ = self.interest.set(tx);
    }

    fn tell(&self, i: Interest) {
        if let Some(tx) = self.interest.get() {
            let _ = tx.send(i);
        }
    }

    /// Users and groups this node delivers to now (for a cluster link started late or
    /// resubscribing).
    pub fn interests(&self) -> Vec<Interest> {
        let mut out = Vec::new();
        for s in &self.users {
            out.extend(lock(s).keys().map(|u| Interest::User(u.clone(), true)));
        }
        for g in &self.groups {
            out.extend(g.read().unwrap_or_else(|p| p.into_inner()).keys().map(|k| Interest::Group(k.clone(), true)));
        }
        out
    }

    fn user_shard(&self, user: &str) -> std::sync::MutexGuard<'_, HashMap<String, UserEntry>> {
        lock(&self.users[shard(user)])
    }

    fn group_shard(&self, gid: &str) -> &RwLock<HashMap<String, HashSet<String>>> {
        &self.groups[shard(gid)]
    }

    pub fn register(&self, user: &str, entry: SessionEntry) {
        let mut map = self.user_shard(user);
        let u = map.entry(user.to_string()).or_insert_with(|| {
            self.tell(Interest::User(user.to_string(), true));
            UserEntry::default()
        });
        u.sessions.push(entry);
    }

    /// Forget a connection; a user without connections leaves their group subscriptions.
    pub fn unregister(&self, user: &str, conn_id: u64) {
        let left = {
            let mut map = self.user_shard(user);
            let Some(u) = map.get_mut(user) else { return };
            u.sessions.retain(|s| s.conn_id != conn_id);
            if !u.sessions.is_empty() {
                return;
            }
            self.tell(Interest::User(user.to_string(), false));
            map.remove(user).map(|u| u.groups).unwrap_or_default()
        };
        for gid in left {
            self.leave_group(&gid, user);
        }
    }

    /// `user` no longer receives `gid` here; the group's entry goes with its last member.
    fn leave_group(&self, gid: &str, user: &str) {
        let mut g = self.group_shard(gid).write().unwrap_or_else(|p| p.into_inner());
        if let Some(set) = g.get_mut(gid) {
            set.remove(user);
            if set.is_empty() {
                g.remove(gid);
                self.tell(Interest::Group(gid.to_string(), false));
            }
        }
    }

    /// Subscribe an online user to a group's messages (no-op when the user is offline).
    pub fn subscribe(&self, user: &str, gid: &str) {
        {
            let mut map = self.user_shard(user);
            let Some(u) = map.get_mut(user) else { return };
            u.groups.insert(gid.to_string());
        }
        let mut g = self.group_shard(gid).write().unwrap_or_else(|p| p.into_inner());
        let set = g.entry(gid.to_string()).or_insert_with(|| {
            self.tell(Interest::Group(gid.to_string(), true));
            HashSet::new()
        });
        set.insert(user.to_string());
    }

    pub fn unsubscribe(&self, user: &str, gid: &str) {
        if let Some(u) = self.user_shard(user).get_mut(user) {
            u.groups.remove(gid);
        }
        self.leave_group(gid, user);
    }

    /// A group ended: nobody is subscribed any more.
    pub fn group_gone(&self, gid: &str) {
        let users = {
            let mut g = self.group_shard(gid).write().unwrap_or_else(|p| p.into_inner());
            let users = g.remove(gid);
            if users.is_some() {
                self.tell(Interest::Group(gid.to_string(), false));
            }
            users.unwrap_or_default()
        };
        for u in users {
            if let Some(e) = self.user_shard(&u).get_mut(&u) {
                e.groups.remove(gid);
            }
        }
    }

    /// Queue serialized frame bytes on every session of `user`.
    pub fn push_text(&self, user: &str, text: &Utf8Bytes) {
        self.push_text_except(user, text, None);
    }

    /// Queue serialized frame bytes on every session of `user` but the connection `except`.
    pub fn push_text_except(&self, user: &str, text: &Utf8Bytes, except: Option<u64>) {
        if let Some(u) = self.user_shard(user).get(user) {
            for s in u.sessions.iter().filter(|s| Some(s.conn_id) != except) {
                s.out.send_text(text.clone());
            }
        }
    }

    /// Deliver a push to every live session of `user` but the connection `except`.
    pub fn push(&self, user: &str, push: Push, except: Option<u64>) {
        let online =
            self.user_shard(user).get(user).is_some_and(|u| u.sessions.iter().any(|s| Some(s.conn_id) != except));
        if !online {
            return;
        }
        if let Ok(t) = serde_json::to_string(&ServerFrame::Push(push)) {
            self.push_text_except(user, &t.into(), except);
        }
    }

    /// Queue a group's frame on every subscribed member's sessions: `text` for everyone but
    /// `sender`, whose sessions get `own` (the same message seen as their own).
    /// `except` is a connection that gets nothing (the sender's, which has its ack).
    pub fn push_group(&self, gid: &str, text: &Utf8Bytes, sender: &str, own: &Utf8Bytes, except: Option<u64>) {
        let g = self.group_shard(gid).read().unwrap_or_else(|p| p.into_inner());
        let Some(set) = g.get(gid) else { return };
        for u in set {
            if u == sender {
                self.push_text_except(u, own, except);
            } else {
                self.push_text(u, text);
            }
        }
    }

    pub fn is_online(&self, user: &str) -> bool {
        self.user_shard(user).get(user).is_some_and(|u| !u.sessions.is_empty())
    }

    /// Sessions of `user` on `platform` held by another instance. With `kick`, they are told
    /// `Kicked` and closed. Sessions of the same instance (a stale connection of this device)
    /// are closed silently. Returns whether another instance was online.
    pub fn displace(&self, user: &str, platform: u32, instance_id: &str, except_conn: u64) -> bool {
        !self.displace_others(user, platform, instance_id, Some(except_conn)).is_empty()
    }

    /// [`Hub::displace`], answering which other instances were online here and kicked.
    pub fn displace_others(
        &self,
        user: &str,
        platform: u32,
        instance_id: &str,
        except_conn: Option<u64>,
    ) -> Vec<String> {
        let mut map = self.user_shard(user);
        let Some(u) = map.get_mut(user) else {
            return Vec::new();
        };
        let mut kicked = Vec::new();
        u.sessions.retain(|s| {
            if Some(s.conn_id) == except_conn || s.platform != platform {
                return true;
            }
            if s.instance_id != instance_id {
                kicked.push(s.instance_id.clone());
                s.out.send_frame(&ServerFrame::Kicked);
            }
            s.out.close();
            s.out.end_session();
            false
        });
        kicked
    }

    /// End every session of `user` but `except_conn` with `SigExpired` (its UserSigs were
    /// revoked): they are told, closed and no longer served.
    pub fn revoke(&self, user: &str, except_conn: Option<u64>) {
        let mut map = self.user_shard(user);
        let Some(u) = map.get_mut(user) else {
            return;
        };
        u.sessions.retain(|s| {
            if Some(s.conn_id) == except_conn {
                return true;
            }
            s.out.send_frame(&ServerFrame::SigExpired);
            s.out.close();
            s.out.end_session();
            false
        });
    }

    /// Close every connection (test hook for "the network dropped").
    pub fn close_all(&self) {
        for shard in &self.users {
            let mut map = lock(shard);
            for (user, u) in map.iter() {
                for s in &u.sessions {
                    s.out.close();
                }
                self.tell(Interest::User(user.clone(), false));
            }
            map.clear();
        }
        for g in &self.groups {
            let mut g = g.write().unwrap_or_else(|p| p.into_inner());
            for gid in g.keys() {
                self.tell(Interest::Group(gid.clone(), false));
            }
            g.clear();
        }
    }

    /// Close every connection of one user.
    pub fn close_user(&self, user: &str) {
        let gone = {
            let mut map = self.user_shard(user);
            let gone = map.remove(user);
            if gone.is_some() {
                self.tell(Interest::User(user.to_string(), false));
            }
            gone
        };
        if let Some(u) = gone {
            for s in &u.sessions {
                s.out.close();
            }
            for gid in u.groups {
                self.leave_group(&gid, user);
            }
        }
    }

    /// Queue the same frame bytes on every session of this node.
    pub fn push_all(&self, text: &Utf8Bytes) {
        for shard in &self.users {
            for u in lock(shard).values() {
                for s in &u.sessions {
                    s.out.send_text(text.clone());
                }
            }
        }
    }

    pub fn online_count(&self) -> usize {
        self.users.iter().map(|s| lock(s).values().map(|u| u.sessions.len()).sum::<usize>()).sum()
    }
}
