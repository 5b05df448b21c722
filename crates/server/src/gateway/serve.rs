//! Accepting connections: HTTP/1.1 through hyper with the limits an open server needs.
//!
//! - A connection must send each request head within `Config::header_timeout` (hyper's timer;
//!   without it a socket that never finishes a header is held forever: slowloris). An idle
//!   keep-alive connection is closed by the same timer.
//! - At most `Config::max_connections` connections at once. One more is answered
//!   `503 Service Unavailable` ("too many connections") and closed, so a client knows to come
//!   back later instead of hanging. A WebSocket keeps its slot until it closes.
//! - Every request carries the peer's address (`ConnectInfo<SocketAddr>`), for per-address
//!   limits (password sign-in).
//! - On shutdown, no new connection is accepted; open ones get a graceful end.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::serve::Listener;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// The slot of one connection, carried by its requests (a WebSocket keeps it while it lives).
#[derive(Clone)]
pub struct Slot(#[allow(dead_code)] Arc<OwnedSemaphorePermit>);

const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\
Connection: close\r\nRetry-After: 5\r\n\r\ntoo many connections";

/// The limits of the accept loop.
#[derive(Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
}

/// Serve `router` on `listener` until `shutdown` turns true.
pub async fn serve<L>(mut listener: L, router: Router, limits: Limits, mut shutdown: watch::Receiver<bool>)
where
    L: Listener<Addr = SocketAddr>,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let (mut io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = async { let _ = shutdown.wait_for(|v| *v).await; } => break,
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(2), io.write_all(REFUSAL)).await;
                let _ = io.shutdown().await;
            });
            continue;
        };
        let slot = Slot(Arc::new(permit));
        let svc = router.clone().map_request(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req.extensions_mut().insert(slot.clone());
            req.map(axum::body::Body::new)
        });
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .serve_connection(TokioIo::new(io), TowerToHyperService::new(svc))
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = async { let _ = stop.wait_for(|v| *v).await; } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(10), conn).await;
                }
            }
        });
    }
    // Let connections end (WebSockets close themselves on shutdown), up to a bound.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(10), slots.acquire_many(all)).await;
}
