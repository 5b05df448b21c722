//! The edges: WebSocket connections, the HTTP router, TLS, and request dispatch.
//!
//! Layer: gateway (the top below `lib.rs`). Imports the handlers and everything below them;
//! nothing but `lib.rs` imports it.
mod dispatch;
mod http;
pub(crate) mod serve;
pub(crate) mod tls;
mod ws;

pub(crate) use http::router;

/// The address a request is counted under (sign-in limits). Behind a reverse proxy on the same
/// host (the peer is a loopback address) it is the last address the proxy appended to
/// `X-Forwarded-For`; a remote peer cannot choose it that way.
fn client_ip(peer: Option<std::net::SocketAddr>, headers: &axum::http::HeaderMap) -> std::net::IpAddr {
    let peer = peer.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| p.ip());
    if !peer.is_loopback() {
        return peer;
    }
    // Only the entry the proxy itself appended counts; earlier ones are whatever the client sent.
    let last = headers.get_all("x-forwarded-for").iter().next_back().and_then(|v| v.to_str().ok());
    last.and_then(|v| v.rsplit(',').next()).and_then(|a| a.trim().parse().ok()).unwrap_or(peer)
}
