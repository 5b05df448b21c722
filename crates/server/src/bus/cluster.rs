//! Cross-node routing over NATS (core NATS, not JetStream) when several nodes form one service
//! (`--bus nats://HOST:PORT`).
//!
//! The store is the truth; NATS carries only what may be lost. After a commit, the node that
//! committed delivers to its own connections and publishes a [`Note`] of what changed: on the
//! subject of a user for what is addressed to a user (an inbox push, a membership change, a
//! kick), on the subject of a group for its messages. NATS hands a publication only to nodes
//! subscribed to its subject, and a node subscribes to the subjects of the users who have
//! sessions on it and of the groups those users receive (the hub's [`Interest`]), so a group
//! message crosses once to each interested node whatever the number of members there, and a
//! node hears nothing about users it does not serve.
//!
//! A lost note (NATS restarting, a node killed between its commit and its publication) is
//! recovered by the clients from the store, never by this module: a gap in a conversation's seqs
//! is pulled, the heartbeat compares the inbox's newest seq, a reconnect resyncs, and a sender's
//! retry of a stored group message publishes it again. What no later event would reveal (the
//! last message of a group, lost while NATS was away) is covered by asking: when a node's link
//! to NATS comes back after an interruption, or NATS dropped notes for it (a slow consumer),
//! it tells its own connected clients to catch up ([`ServerFrame::Resync`], spread over a
//! window that grows with their number) and, for what it may have failed to publish meanwhile,
//! tells the other nodes to do the same with theirs.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use confab_protocol::wire::{Push, ServerFrame};
use confab_protocol::Message;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{group_frames, Hub, Interest};

/// What crosses from the node that committed a change to the nodes that deliver it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Note {
    /// An event for every session of a user (an inbox push, or an online-only one with seq 0).
    Push {
        user: String,
        push: Push,
    },
    /// A group message for the group's subscribed members.
    GroupMsg {
        gid: String,
        msg: Message,
    },
    /// A member's subscription to a group changed.
    Member {
        gid: String,
        user: String,
        receiving: bool,
    },
    GroupGone {
        gid: String,
    },
    /// A frame already serialized for one user (an online-only message).
    Text {
        user: String,
        text: String,
    },
    /// Frames already serialized for a group's members and for its sender's own sessions.
    GroupText {
        gid: String,
        sender: String,
        others: String,
        own: String,
    },
    /// `instance` took the (user, platform) slot: other instances there are kicked.
    Displace {
        user: String,
        platform: u32,
        instance: String,
    },
    /// Every session of the user ends (its UserSigs were revoked).
    Revoke {
        user: String,
    },
    /// The sending node's link to NATS was interrupted: its notes of that time may be lost,
    /// so every node asks its clients to catch up.
    Resync,
    /// Not the bus's business (a cache invalidation): handed to the node's [`RemoteFn`].
    Other {
        body: serde_json::Value,
    },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    node: u64,
    note: Note,
}

/// What a remote note asks of the rest of the node.
#[derive(Debug)]
pub enum Remote {
    /// Instances kicked here while online (so they are not "kicked while offline" too).
    Kicked {
        user: String,
        instances: Vec<String>,
    },
    Other(serde_json::Value),
}

pub type RemoteFn = Arc<dyn Fn(Remote) + Send + Sync>;

/// Notes waiting to be published at most; past it new ones are dropped (and recovered by the
/// clients as any lost note), so a NATS outage cannot grow the server's memory.
const PUBLISH_QUEUE: usize = 65_536;
/// How long a login waits for this node's subscriptions to be in place.
const SYNC_WAIT: Duration = Duration::from_secs(2);
/// How long acknowledgements wait for a batch's notes to reach the NATS server.
const SENT_WAIT: Duration = Duration::from_millis(250);

/// What the publisher task is handed, in order.
enum Outgoing {
    Note(String, Vec<u8>),
    /// Answered once everything before it has reached the NATS server.
    Sent(oneshot::Sender<()>),
}

/// The node's link to the other nodes. Cheap to share; [`Cluster::shutdown`] ends its tasks.
pub struct Cluster {
    node: u64,
    prefix: String,
    client: async_nats::Client,
    publish: mpsc::Sender<Outgoing>,
    sync: mpsc::UnboundedSender<oneshot::Sender<()>>,
    remote: Arc<OnceLock<RemoteFn>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    dropped: std::sync::atomic::AtomicU64,
}

impl Cluster {
    /// Connect to NATS at `url` (retrying in the background if it is not up yet) and start
    /// following `hub`'s interests. `service` names the service (its SDKAppID): nodes of one
    /// service share subjects, other services on the same NATS never see them.
    pub async fn connect(url: &str, service: u64, hub: Arc<Hub>) -> Result<Arc<Cluster>, String> {
        let node = rand::random::<u64>();
        let prefix = format!("confab.{service}");
        let (pub_tx, pub_rx) = mpsc::channel(PUBLISH_QUEUE);
        // Set while the link is down; taken when it is back.
        let interrupted = Arc::new(AtomicBool::new(false));
        let on_event = {
            let (hub, pub_tx, prefix) = (hub.clone(), pub_tx.clone(), prefix.clone());
            move |e: async_nats::Event| {
                let (hub, pub_tx, prefix, interrupted) =
                    (hub.clone(), pub_tx.clone(), prefix.clone(), interrupted.clone());
                async move {
                    match e {
                        async_nats::Event::Connected => {
                            tracing::info!("bus connected");
                            if interrupted.swap(false, Ordering::SeqCst) {
                                // Notes to and from this node may have been lost meanwhile.
                                ask_to_catch_up(&hub);
                                if let Some(o) = encode(&prefix, node, Note::Resync) {
                                    let _ = pub_tx.try_send(o);
                                }
                            }
                        }
                        async_nats::Event::Disconnected => {
                            interrupted.store(true, Ordering::SeqCst);
                            tracing::warn!("bus disconnected; cross-node pushes wait for it (clients catch up by seq)")
                        }
                        async_nats::Event::SlowConsumer(_) => {
                            tracing::warn!("the bus dropped notes for this node (slow consumer); clients catch up");
                            ask_to_catch_up(&hub);
                        }
                        other => tracing::debug!(event = ?other, "bus event"),
                    }
                }
            }
        };
        let client = async_nats::ConnectOptions::new()
            .name("confab-server")
            // This node delivers its own changes itself.
            .no_echo()
            .retry_on_initial_connect()
            .event_callback(on_event)
            .connect(url)
            .await
            .map_err(|e| e.to_string())?;
        let (interest_tx, interest_rx) = mpsc::unbounded_channel();
        let (sync_tx, sync_rx) = mpsc::unbounded_channel();
        let remote: Arc<OnceLock<RemoteFn>> = Arc::default();
        // Notes for every node (cache invalidations).
        let all = client.subscribe(format!("{prefix}.all")).await.map_err(|e| e.to_string())?;
        for i in hub.interests() {
            let _ = interest_tx.send(i);
        }
        hub.watch_interest(interest_tx);
        let follower =
            Follower { client: client.clone(), hub: hub.clone(), node, prefix: prefix.clone(), remote: remote.clone() };
        let tasks = vec![
            tokio::spawn(follower.run(interest_rx, sync_rx)),
            tokio::spawn(publisher(client.clone(), pub_rx)),
            tokio::spawn(forward(all, hub, node, remote.clone())),
        ];
        Ok(Arc::new(Cluster {
            node,
            prefix,
            client,
            publish: pub_tx,
            sync: sync_tx,
            remote,
            tasks: Mutex::new(tasks),
            dropped: Default::default(),
        }))
    }

    /// Where notes needing the rest of the node go (set once, after the store is open).
    pub fn set_remote(&self, f: RemoteFn) {
        let _ = self.remote.set(f);
    }

    /// Publish a note to the nodes that deliver it (never blocks; see [`PUBLISH_QUEUE`]).
    pub fn publish(&self, note: Note) {
        let Some(o) = encode(&self.prefix, self.node, note) else { return };
        if self.publish.try_send(o).is_err() {
            let n = self.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if n.is_power_of_two() {
                tracing::warn!(dropped = n + 1, "the bus is not keeping up; notes dropped (clients catch up by seq)");
            }
        }
    }

    /// Resolves once the notes published so far have reached the NATS server (so they reach the
    /// other nodes even if this one dies now), or at once when NATS is unreachable (they are
    /// lost; clients catch up by seq), or after [`SENT_WAIT`].
    pub fn sent(&self) -> Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> {
        if self.client.connection_state() != async_nats::connection::State::Connected {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        self.publish.try_send(Outgoing::Sent(tx)).ok()?;
        Some(Box::pin(async move {
            let _ = tokio::time::timeout(SENT_WAIT, rx).await;
        }))
    }

    /// Wait until the subscriptions this node needs now are in place at the NATS server (at
    /// most a moment: with NATS down, logins go on and clients catch up by seq).
    pub async fn sync(&self) {
        let (tx, rx) = oneshot::channel();
        if self.sync.send(tx).is_ok() {
            let _ = tokio::time::timeout(SYNC_WAIT, rx).await;
        }
    }

    /// Stop following and publishing.
    pub fn shutdown(&self) {
        for t in self.tasks.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            t.abort();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A note from `node`, on the subject of whom it concerns, ready for the publisher.
fn encode(prefix: &str, node: u64, note: Note) -> Option<Outgoing> {
    let subject = match &note {
        Note::Push { user, .. }
        | Note::Member { user, .. }
        | Note::Text { user, .. }
        | Note::Displace { user, .. }
        | Note::Revoke { user } => user_subject(prefix, user),
        Note::GroupMsg { gid, .. } | Note::GroupGone { gid } | Note::GroupText { gid, .. } => {
            group_subject(prefix, gid)
        }
        Note::Other { .. } | Note::Resync => format!("{prefix}.all"),
    };
    let body = serde_json::to_vec(&Envelope { node, note }).ok()?;
    Some(Outgoing::Note(subject, body))
}

/// Tell every client connected here to catch up from the store, spread over a window of
/// about half a millisecond per client (at least one second), so that 10,000 clients take 5 s.
fn ask_to_catch_up(hub: &Hub) {
    let n = hub.online_count() as u64;
    let within_ms = (n / 2).max(1_000);
    tracing::info!(clients = n, within_ms, "asking this node's clients to catch up");
    if let Ok(t) = serde_json::to_string(&ServerFrame::Resync { within_ms }) {
        hub.push_all(&Utf8Bytes::from(t));
    }
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Ids may hold any character; subjects allow few, so ids are hex-encoded.
fn user_subject(prefix: &str, user: &str) -> String {
    format!("{prefix}.u.{}", hex(user))
}

fn group_subject(prefix: &str, gid: &str) -> String {
    format!("{prefix}.g.{}", hex(gid))
}

async fn publisher(client: async_nats::Client, mut rx: mpsc::Receiver<Outgoing>) {
    while let Some(o) = rx.recv().await {
        match o {
            Outgoing::Note(subject, body) => {
                if let Err(e) = client.publish(subject, body.into()).await {
                    tracing::debug!(error = %e, "a note was not published");
                }
            }
            Outgoing::Sent(done) => {
                // A round trip: what was published before it has been read by the server.
                let _ = tokio::time::timeout(SENT_WAIT, client.flush()).await;
                let _ = done.send(());
            }
        }
    }
}

/// Follows the hub's interests with subscriptions, one forwarding task per subject.
struct Follower {
    client: async_nats::Client,
    hub: Arc<Hub>,
    node: u64,
    prefix: String,
    remote: Arc<OnceLock<RemoteFn>>,
}

impl Follower {
    async fn run(
        self,
        mut interest: mpsc::UnboundedReceiver<Interest>,
        mut sync: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
    ) {
        let mut subs: HashMap<String, JoinHandle<()>> = HashMap::new();
        loop {
            tokio::select! {
                biased;
                i = interest.recv() => match i {
                    Some(i) => self.apply(&mut subs, i).await,
                    None => break,
                },
                s = sync.recv() => {
                    let Some(done) = s else { break };
                    // Every interest told before the sync request is applied first.
                    while let Ok(i) = interest.try_recv() {
                        self.apply(&mut subs, i).await;
                    }
                    let _ = tokio::time::timeout(SYNC_WAIT, self.client.flush()).await;
                    let _ = done.send(());
                }
            }
        }
        for (_, t) in subs {
            t.abort();
        }
    }

    async fn apply(&self, subs: &mut HashMap<String, JoinHandle<()>>, i: Interest) {
        let (subject, on) = match i {
            Interest::User(u, on) => (user_subject(&self.prefix, &u), on),
            Interest::Group(g, on) => (group_subject(&self.prefix, &g), on),
        };
        if !on {
            // Dropping the subscriber (with its task) unsubscribes.
            if let Some(t) = subs.remove(&subject) {
                t.abort();
            }
            return;
        }
        if subs.contains_key(&subject) {
            return;
        }
        tracing::trace!(%subject, "bus subscribe");
        match self.client.subscribe(subject.clone()).await {
            Ok(sub) => {
                let t = tokio::spawn(forward(sub, self.hub.clone(), self.node, self.remote.clone()));
                subs.insert(subject, t);
            }
            Err(e) => tracing::warn!(error = %e, "bus subscription failed"),
        }
    }
}

/// Deliver what arrives on one subscription to this node's sessions.
async fn forward(mut sub: async_nats::Subscriber, hub: Arc<Hub>, node: u64, remote: Arc<OnceLock<RemoteFn>>) {
    while let Some(m) = sub.next().await {
        let Ok(env) = serde_json::from_slice::<Envelope>(&m.payload) else {
            tracing::warn!("a bus note could not be read");
            continue;
        };
        if env.node != node {
            tracing::trace!(subject = %m.subject, "bus note");
            apply(&hub, env.note, &remote);
        }
    }
}

/// Carry out a note from another node.
fn apply(hub: &Hub, note: Note, remote: &OnceLock<RemoteFn>) {
    match note {
        Note::Push { user, push } => hub.push(&user, push, None),
        Note::GroupMsg { gid, msg } => {
            if let Some((others, own)) = group_frames(&msg) {
                hub.push_group(&gid, &others, &msg.message_sender, &own, None);
            }
        }
        Note::Member { gid, user, receiving: true } => hub.subscribe(&user, &gid),
        Note::Member { gid, user, receiving: false } => hub.unsubscribe(&user, &gid),
        Note::GroupGone { gid } => hub.group_gone(&gid),
        Note::Text { user, text } => hub.push_text(&user, &Utf8Bytes::from(text)),
        Note::GroupText { gid, sender, others, own } => {
            hub.push_group(&gid, &Utf8Bytes::from(others), &sender, &Utf8Bytes::from(own), None)
        }
        Note::Displace { user, platform, instance } => {
            let instances = hub.displace_others(&user, platform, &instance, None);
            if !instances.is_empty() {
                if let Some(f) = remote.get() {
                    f(Remote::Kicked { user, instances });
                }
            }
        }
        Note::Revoke { user } => hub.revoke(&user, None),
        Note::Resync => ask_to_catch_up(hub),
        Note::Other { body } => {
            if let Some(f) = remote.get() {
                f(Remote::Other(body));
            }
        }
    }
}
