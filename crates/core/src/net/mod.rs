//! The network: the WebSocket link to the server (`link.rs`), the media HTTP client
//! (`http.rs`) and the TLS settings both use (`tls.rs`). No SQL and no TIM semantics here.
//!
//! Layer: net, above the base layer. It may import `util`, `error` and `options` only.
pub mod http;
pub mod link;
pub mod tls;
