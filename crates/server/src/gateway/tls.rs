//! TLS on the listening port (`--tls-cert` / `--tls-key`): rustls with the ring provider
//! through tokio-rustls, no OpenSSL. [`TlsListener`] is an `axum::serve::Listener`: it accepts
//! TCP connections, runs their handshakes side by side (each bounded by a timeout, so a client
//! that stalls mid-handshake holds neither the accept loop nor a slot for long) and hands
//! finished TLS streams to the accept loop (`gateway::serve`). One address may have at most
//! [`MAX_HANDSHAKES_PER_ADDR`] handshakes in progress, so a host that stalls handshakes cannot
//! lock out other clients. Handshakes in progress belong to the listener and are aborted with
//! it when the server stops.
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::config::TlsFiles;

/// A handshake must finish within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; further connections wait in the kernel's backlog.
const MAX_HANDSHAKES: usize = 1024;
/// Handshakes in progress at once from one IP address; one more from it is closed at once.
/// One host stalling handshakes therefore cannot fill [`MAX_HANDSHAKES`] and lock out others.
const MAX_HANDSHAKES_PER_ADDR: u32 = 64;

/// Read the certificate chain and key (blocking file reads: call on a blocking thread).
pub fn load(files: &TlsFiles) -> Result<Arc<ServerConfig>, String> {
    let cert_pem = std::fs::read(&files.cert).map_err(|e| format!("{}: {e}", files.cert.display()))?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", files.cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in it", files.cert.display()));
    }
    let key_pem = std::fs::read(&files.key).map_err(|e| format!("{}: {e}", files.key.display()))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| format!("{}: {e}", files.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    // axum serves HTTP/1.1 only (WebSocket upgrades included).
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

type Handshake = (SocketAddr, Option<TlsStream<TcpStream>>);

/// TCP listener + TLS handshakes, as axum sees one listener.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Handshake>,
    /// Handshakes in progress per peer address.
    per_addr: HashMap<IpAddr, u32>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, cfg: Arc<ServerConfig>) -> Self {
        TlsListener { tcp, acceptor: TlsAcceptor::from(cfg), handshakes: JoinSet::new(), per_addr: HashMap::new() }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // Both branches are cancel-safe: a handshake still running stays in the set.
            tokio::select! {
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    // Handshake tasks never panic and are only aborted with the listener.
                    let Ok((addr, tls)) = done else { continue };
                    if let Some(n) = self.per_addr.get_mut(&addr.ip()) {
                        *n -= 1;
                        if *n == 0 {
                            self.per_addr.remove(&addr.ip());
                        }
                    }
                    if let Some(tls) = tls {
                        return (tls, addr);
                    }
                }
                r = self.tcp.accept(), if self.handshakes.len() < MAX_HANDSHAKES => match r {
                    Ok((tcp, addr)) => {
                        let busy = self.per_addr.entry(addr.ip()).or_insert(0);
                        if *busy >= MAX_HANDSHAKES_PER_ADDR {
                            tracing::debug!(%addr, "too many TLS handshakes from one address; closed");
                            drop(tcp);
                            continue;
                        }
                        *busy += 1;
                        // Answers must not wait for the peer's delayed ACK (Nagle).
                        let _ = tcp.set_nodelay(true);
                        let acceptor = self.acceptor.clone();
                        self.handshakes.spawn(async move {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                                Ok(Ok(tls)) => (addr, Some(tls)),
                                Ok(Err(e)) => {
                                    tracing::debug!(%addr, error = %e, "TLS handshake failed");
                                    (addr, None)
                                }
                                Err(_) => {
                                    tracing::debug!(%addr, "TLS handshake timed out");
                                    (addr, None)
                                }
                            }
                        });
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little, as axum does.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
