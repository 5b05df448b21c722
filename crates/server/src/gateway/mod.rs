//! The edges: WebSocket connections, the HTTP router, TLS, and request dispatch.
//!
//! Layer: gateway (the top below `lib.rs`). Imports the handlers and everything below them;
//! nothing but `lib.rs` imports it.
mod dispatch;
mod http;
pub(crate) mod tls;
mod ws;

pub(crate) use http::router;
