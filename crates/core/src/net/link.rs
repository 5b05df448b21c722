//! The WebSocket link to the server: request/response pairing, push delivery, one socket at a
//! time. Reconnecting is the session supervisor's job (`engine/supervisor.rs`); this module only
//! opens a socket, runs its reader and writer, and reports how it ended.
//!
//! All timeouts live in [`Timeouts`].
//!
//! `wss://` servers are reached through rustls (no OpenSSL), with the client settings of
//! `tls.rs`: the system's root certificates plus, for self-signed deployments, one extra CA file
//! (`SdkOptions::extra_ca_pem`). The same settings serve the media HTTP client (`http.rs`,
//! `https://`). A TLS failure is [`Error::Tls`] (9501) and is never retried over plaintext: the
//! scheme of the server URL alone decides.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use confab_protocol::wire::{ClientFrame, Push, Request, ServerFrame, MAX_FRAME_BYTES};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch, OnceCell};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::Connector;

use super::tls::{client_tls_config, describe_tls, ws_tls_error};
use crate::error::{Error, Result};
use crate::options::Timeouts;

/// What arrives from the server outside of responses.
#[derive(Debug)]
pub enum Inbound {
    Push(Box<Push>),
    /// The server asks for a catch-up within this many milliseconds.
    Resync(u64),
}

/// Why a socket ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    Lost,
    Kicked,
    SigExpired,
}

pub struct Link {
    /// The server's URLs: one, or several nodes of one service (failover).
    urls: Vec<String>,
    /// Which of `urls` is in use; moves on when connecting to it fails.
    current: std::sync::atomic::AtomicUsize,
    pub timeouts: Timeouts,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, oneshot::Sender<Result<Value>>>>,
    out: Mutex<Option<mpsc::UnboundedSender<WsMessage>>>,
    /// Ends the current socket's reader at once (see [`Link::close`]).
    kill: Mutex<Option<oneshot::Sender<()>>>,
    ready: watch::Sender<bool>,
    /// A CA (PEM) trusted besides the system's roots.
    extra_ca: Option<PathBuf>,
    /// The TLS client settings, built on first use of a `wss://` / `https://` URL.
    tls: OnceCell<Arc<rustls::ClientConfig>>,
}

/// A live socket's tasks; aborted on drop.
pub struct Socket {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
    pub closed: oneshot::Receiver<Closed>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Link {
    /// `url` names one server, or several nodes of one service separated by commas or spaces
    /// (`ws://a:9780,ws://b:9780`): a session starts on one picked at random (so clients
    /// spread over the nodes) and moves to the next when connecting fails.
    pub fn new(url: String, timeouts: Timeouts) -> Link {
        let mut urls: Vec<String> =
            url.split(|c: char| c == ',' || c.is_whitespace()).filter(|u| !u.is_empty()).map(String::from).collect();
        if urls.is_empty() {
            urls.push(url);
        }
        let start = if urls.len() > 1 { rand::random::<usize>() % urls.len() } else { 0 };
        Link {
            urls,
            current: std::sync::atomic::AtomicUsize::new(start),
            timeouts,
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            out: Mutex::new(None),
            kill: Mutex::new(None),
            ready: watch::channel(false).0,
            extra_ca: None,
            tls: OnceCell::new(),
        }
    }

    /// Trust the CA certificates in this PEM file besides the system's roots.
    pub fn with_extra_ca(mut self, pem: Option<PathBuf>) -> Link {
        self.extra_ca = pem;
        self
    }

    /// The URL of the node in use.
    pub fn url(&self) -> String {
        self.urls[self.current.load(Ordering::Relaxed) % self.urls.len()].clone()
    }

    /// Connecting to the node in use failed: the next attempt goes to the next one.
    fn next_node(&self) {
        if self.urls.len() > 1 {
            let n = self.current.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::info!(node = n % self.urls.len(), "trying the next server node");
        }
    }

    /// Whether the server URL asks for TLS (`wss://` or `https://`).
    pub fn is_tls(&self) -> bool {
        is_tls_url(&self.url())
    }

    /// The TLS client settings (system roots + extra CA), built once per link.
    pub async fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>> {
        self.tls.get_or_try_init(|| client_tls_config(self.extra_ca.clone())).await.cloned()
    }

    pub fn set_ready(&self, v: bool) {
        self.ready.send_replace(v);
    }

    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Whether a socket is open (logged in or not): a request can go out now.
    pub fn has_socket(&self) -> bool {
        lock(&self.out).is_some()
    }

    /// Open a socket and start its reader and writer. Pushes go to `inbound`.
    pub async fn open(self: &std::sync::Arc<Self>, inbound: mpsc::UnboundedSender<Inbound>) -> Result<Socket> {
        let mut cfg = WebSocketConfig::default();
        cfg.max_message_size = Some(MAX_FRAME_BYTES);
        cfg.max_frame_size = Some(MAX_FRAME_BYTES);
        // The URL's scheme decides: wss:// only ever goes through rustls, ws:// stays plain.
        let connector = if self.is_tls() { Connector::Rustls(self.tls_config().await?) } else { Connector::Plain };
        let url = self.url();
        let fut = tokio_tungstenite::connect_async_tls_with_config(url.as_str(), Some(cfg), true, Some(connector));
        let (ws, _) = match tokio::time::timeout(self.timeouts.connect, fut).await {
            Err(_) => {
                self.next_node();
                return Err(Error::Timeout);
            }
            Ok(Err(e)) => {
                self.next_node();
                if let Some(tls) = ws_tls_error(&e) {
                    tracing::warn!(error = %tls, "TLS connect failed");
                    return Err(Error::Tls(describe_tls(&tls)));
                }
                tracing::debug!(error = %e, "connect failed");
                return Err(Error::Disconnected);
            }
            Ok(Ok(v)) => v,
        };
        let (mut sink, mut stream) = ws.split();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<WsMessage>();
        *lock(&self.out) = Some(out_tx);
        let writer = tokio::spawn(async move {
            while let Some(m) = out_rx.recv().await {
                if sink.send(m).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let (closed_tx, closed) = oneshot::channel();
        let (kill_tx, mut kill_rx) = oneshot::channel::<()>();
        *lock(&self.kill) = Some(kill_tx);
        let link = self.clone();
        let reader = tokio::spawn(async move {
            let mut why = Closed::Lost;
            loop {
                let m = tokio::select! {
                    m = stream.next() => m,
                    // Closed by us: a dead link's close handshake would never finish.
                    k = &mut kill_rx => match k {
                        Ok(()) => break,
                        // A newer socket took over the link: leave its state alone.
                        Err(_) => return,
                    },
                };
                let Some(Ok(m)) = m else { break };
                let text = match m {
                    WsMessage::Text(t) => t,
                    WsMessage::Close(_) => break,
                    _ => continue,
                };
                let frame: ServerFrame = match serde_json::from_str(text.as_str()) {
                    Ok(f) => f,
                    Err(e) => {
                        tracing::warn!(error = %e, "undecodable frame from server");
                        continue;
                    }
                };
                match frame {
                    ServerFrame::Response { id, code, desc, data } => {
                        if let Some(tx) = lock(&link.pending).remove(&id) {
                            let _ = tx.send(if code == 0 { Ok(data) } else { Err(Error::Server(code, desc)) });
                        }
                    }
                    ServerFrame::Push(p) => {
                        let _ = inbound.send(Inbound::Push(Box::new(p)));
                    }
                    ServerFrame::Kicked => why = Closed::Kicked,
                    ServerFrame::SigExpired => why = Closed::SigExpired,
                    ServerFrame::Resync { within_ms } => {
                        let _ = inbound.send(Inbound::Resync(within_ms));
                    }
                }
            }
            link.detach();
            let _ = closed_tx.send(why);
        });
        Ok(Socket { reader, writer, closed })
    }

    /// Forget the current socket and fail every request still waiting on it.
    pub fn detach(&self) {
        self.set_ready(false);
        *lock(&self.out) = None;
        for (_, tx) in lock(&self.pending).drain() {
            let _ = tx.send(Err(Error::Disconnected));
        }
    }

    /// Queue a request on the current socket (no waiting for readiness); the returned receiver
    /// yields its answer. Frames go out in the order this is called.
    pub fn start_raw(&self, req: Request) -> Result<oneshot::Receiver<Result<Value>>> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let text = serde_json::to_string(&ClientFrame { id, req }).map_err(|e| Error::InvalidParam(e.to_string()))?;
        if text.len() > MAX_FRAME_BYTES {
            return Err(Error::Server(
                confab_protocol::codes::ERR_SDK_NET_PKG_SIZE_LIMIT,
                "request larger than 1 MB".into(),
            ));
        }
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        let sent = lock(&self.out).as_ref().map(|o| o.send(WsMessage::Text(text.into())).is_ok()).unwrap_or(false);
        if !sent {
            lock(&self.pending).remove(&id);
            return Err(Error::Disconnected);
        }
        Ok(rx)
    }

    /// Wait for the answer to a started request.
    pub async fn finish(&self, rx: oneshot::Receiver<Result<Value>>) -> Result<Value> {
        match tokio::time::timeout(self.timeouts.request, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(Error::Disconnected),
            // The pending entry is dropped when the socket is detached.
            Err(_) => Err(Error::Timeout),
        }
    }

    /// Send a request on the current socket (no waiting for readiness).
    pub async fn request_raw(&self, req: Request) -> Result<Value> {
        let rx = self.start_raw(req)?;
        self.finish(rx).await
    }

    /// Wait (up to `wait_ready`) until the link is connected and caught up.
    pub async fn wait_ready(&self) -> Result<()> {
        let mut rx = self.ready.subscribe();
        if *rx.borrow() {
            return Ok(());
        }
        let ok = matches!(tokio::time::timeout(self.timeouts.wait_ready, rx.wait_for(|v| *v)).await, Ok(Ok(_)));
        if ok {
            Ok(())
        } else {
            Err(Error::Disconnected)
        }
    }

    /// Send a request once the link is connected and caught up.
    pub async fn request(&self, req: Request) -> Result<Value> {
        self.wait_ready().await?;
        self.request_raw(req).await
    }

    /// Close the current socket (the reader then reports `Closed::Lost`). The Close frame is
    /// queued for a server that can still hear it, and the reader ends at once: on a link
    /// that went dead (a blackhole) the handshake would never finish, and the socket would
    /// look open for good while nothing got through.
    pub fn close(&self) {
        if let Some(o) = lock(&self.out).as_ref() {
            let _ = o.send(WsMessage::Close(None));
        }
        if let Some(k) = lock(&self.kill).take() {
            let _ = k.send(());
        }
    }
}

/// `wss://…` and `https://…` ask for TLS.
pub fn is_tls_url(url: &str) -> bool {
    let scheme = url.split("://").next().unwrap_or("");
    scheme.eq_ignore_ascii_case("wss") || scheme.eq_ignore_ascii_case("https")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link that went dead after the handshake (a blackhole: the peer neither answers nor
    /// closes) ends as soon as it is closed; waiting for the close handshake kept the SDK on
    /// a dead socket for good.
    #[tokio::test]
    async fn closing_a_dead_link_ends_it_at_once() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            // Hold the socket, never read or write again.
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            drop(ws);
        });
        let link = Arc::new(Link::new(format!("ws://{addr}"), Timeouts::default()));
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut socket = link.open(tx).await.unwrap();
        link.close();
        let ended = tokio::time::timeout(std::time::Duration::from_secs(2), &mut socket.closed).await;
        assert!(matches!(ended, Ok(Ok(Closed::Lost))), "the socket ends when closed: {ended:?}");
        assert!(!link.has_socket(), "and the link forgets it");
        peer.abort();
    }
}
