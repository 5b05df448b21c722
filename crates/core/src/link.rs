//! The WebSocket link to the server: request/response pairing, push delivery, one socket at a
//! time. Reconnecting is the session supervisor's job (`session.rs`); this module only opens a
//! socket, runs its reader and writer, and reports how it ended.
//!
//! All timeouts live in [`Timeouts`].
//!
//! `wss://` servers are reached through rustls (no OpenSSL): the system's root certificates
//! (rustls-native-certs) plus, for self-signed deployments, one extra CA file
//! (`SdkOptions::extra_ca_pem`). The same client settings serve the media HTTP client
//! (`http.rs`, `https://`). A TLS failure is [`Error::Tls`] (9501) and is never retried
//! over plaintext: the scheme of the server URL alone decides.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use confab_protocol::wire::{ClientFrame, Push, Request, ServerFrame, MAX_FRAME_BYTES};
use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch, OnceCell};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::Connector;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Opening the socket.
    pub connect: Duration,
    /// Waiting for the answer to one request.
    pub request: Duration,
    /// How long a request waits for the link to come back before failing with 9508.
    pub wait_ready: Duration,
    /// Interval of application-level pings; a missed answer drops the socket.
    pub heartbeat: Duration,
    /// Reconnect backoff: first delay and cap.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(15),
            wait_ready: Duration::from_secs(10),
            heartbeat: Duration::from_secs(25),
            backoff_min: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
        }
    }
}

/// What arrives from the server outside of responses.
#[derive(Debug)]
pub enum Inbound {
    Push(Push),
}

/// Why a socket ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    Lost,
    Kicked,
    SigExpired,
}

pub struct Link {
    pub url: String,
    pub timeouts: Timeouts,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, oneshot::Sender<Result<Value>>>>,
    out: Mutex<Option<mpsc::UnboundedSender<WsMessage>>>,
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
    pub fn new(url: String, timeouts: Timeouts) -> Link {
        Link {
            url,
            timeouts,
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            out: Mutex::new(None),
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

    /// Whether the server URL asks for TLS (`wss://` or `https://`).
    pub fn is_tls(&self) -> bool {
        is_tls_url(&self.url)
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

    /// Open a socket and start its reader and writer. Pushes go to `inbound`.
    pub async fn open(self: &std::sync::Arc<Self>, inbound: mpsc::UnboundedSender<Inbound>) -> Result<Socket> {
        let mut cfg = WebSocketConfig::default();
        cfg.max_message_size = Some(MAX_FRAME_BYTES);
        cfg.max_frame_size = Some(MAX_FRAME_BYTES);
        // The URL's scheme decides: wss:// only ever goes through rustls, ws:// stays plain.
        let connector = if self.is_tls() { Connector::Rustls(self.tls_config().await?) } else { Connector::Plain };
        let fut = tokio_tungstenite::connect_async_tls_with_config(self.url.as_str(), Some(cfg), true, Some(connector));
        let (ws, _) = match tokio::time::timeout(self.timeouts.connect, fut).await {
            Err(_) => return Err(Error::Timeout),
            Ok(Err(e)) => {
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
        let link = self.clone();
        let reader = tokio::spawn(async move {
            let mut why = Closed::Lost;
            while let Some(Ok(m)) = stream.next().await {
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
                        let _ = inbound.send(Inbound::Push(p));
                    }
                    ServerFrame::Kicked => why = Closed::Kicked,
                    ServerFrame::SigExpired => why = Closed::SigExpired,
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

    /// Close the current socket (the reader then reports `Closed::Lost`).
    pub fn close(&self) {
        if let Some(o) = lock(&self.out).as_ref() {
            let _ = o.send(WsMessage::Close(None));
        }
    }
}

/// `wss://…` and `https://…` ask for TLS.
pub fn is_tls_url(url: &str) -> bool {
    let scheme = url.split("://").next().unwrap_or("");
    scheme.eq_ignore_ascii_case("wss") || scheme.eq_ignore_ascii_case("https")
}

/// The system's root certificates, read once per process (file reads: on a blocking thread).
static NATIVE_ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();

fn native_roots() -> &'static [CertificateDer<'static>] {
    NATIVE_ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        if !found.errors.is_empty() {
            tracing::warn!(errors = found.errors.len(), "some system root certificates could not be read");
        }
        found.certs
    })
}

/// rustls client settings: ring provider, TLS 1.2/1.3, the system's roots plus the extra CA.
pub(crate) async fn client_tls_config(extra_ca: Option<PathBuf>) -> Result<Arc<rustls::ClientConfig>> {
    tokio::task::spawn_blocking(move || {
        let mut roots = rustls::RootCertStore::empty();
        let (_added, ignored) = roots.add_parsable_certificates(native_roots().iter().cloned());
        if ignored > 0 {
            tracing::debug!(ignored, "unusable system root certificates skipped");
        }
        if let Some(path) = extra_ca {
            let bad = |why: String| Error::Tls(format!("TLS: extra CA file {}: {why}", path.display()));
            let pem = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
            let mut n = 0;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                roots.add(cert.map_err(|e| bad(e.to_string()))?).map_err(|e| bad(e.to_string()))?;
                n += 1;
            }
            if n == 0 {
                return Err(bad("no certificate in it".into()));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(cfg))
    })
    .await
    .map_err(|e| Error::Io(e.to_string()))?
}

/// The rustls error inside an I/O error, if the TLS layer is what failed.
pub(crate) fn io_tls_error(e: &std::io::Error) -> Option<rustls::Error> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()).cloned()
}

fn ws_tls_error(e: &tokio_tungstenite::tungstenite::Error) -> Option<rustls::Error> {
    use tokio_tungstenite::tungstenite::{error::TlsError, Error as WsError};
    match e {
        WsError::Io(io) => io_tls_error(io),
        WsError::Tls(TlsError::Rustls(r)) => Some((**r).clone()),
        WsError::Tls(TlsError::InvalidDnsName) => Some(rustls::Error::General("invalid server name".into())),
        _ => None,
    }
}

/// A description that says what to do: an untrusted certificate names the CA option.
pub(crate) fn describe_tls(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let c = match e {
        rustls::Error::InvalidCertificate(c) => c,
        other => return format!("TLS handshake failed: {other}"),
    };
    let why = match c {
        C::UnknownIssuer => "it is not signed by a trusted CA".to_string(),
        // webpki refuses a CA certificate as the server's own (e.g. `openssl req -x509` adds
        // CA:TRUE): the fix is on the server side, so say it.
        C::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => {
            "it is a CA certificate used as the server's own; serve a certificate signed by that CA, or a \
             self-signed one made with basicConstraints CA:FALSE"
                .to_string()
        }
        other => other.to_string(),
    };
    format!(
        "TLS: the server's certificate is not accepted: {why}. For a private CA or a self-signed certificate, \
         give its PEM as extra_ca_pem (CONFAB_CA_FILE)"
    )
}

/// The TLS name of `host` (a DNS name or an IP address, `[…]` around IPv6 removed).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(h.to_string()).map_err(|_| Error::Tls(format!("TLS: {h:?} is not a valid server name")))
}
