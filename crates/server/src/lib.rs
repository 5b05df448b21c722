//! confab-server: the Confab server library. `main.rs` parses the command line and calls
//! [`start`]; tests call it directly with a listener on port 0.
//!
//! One port serves the WebSocket protocol (`/`, frames in `confab_protocol::wire`) and a small
//! HTTP API (`/healthz`, `/api/register`, `/api/login`).
//!
//! ## Layers (imports point down only; `tests/tests/architecture.rs` checks it)
//! - foundation: `config`, `error`, `util`, `usersig`, `throttle`
//! - infrastructure: `store` (the only SQL), `bus` (who is online, delivery), `blobs` (media bytes)
//! - domain: `rules` (pure checks), `context` (the shared [`State`]), `events` (tips and reports),
//!   `access` (who may use what)
//! - features: `handlers/*` (one module per request family; never each other)
//! - gateway: `gateway/*` (WebSocket, HTTP router, TLS, dispatch)
//! - `app`: [`start`] wires them together into a [`Running`] server; `cli` is the command line
//!   on top. This file only declares modules and re-exports.
mod access;
mod app;
mod blobs;
mod bus;
pub mod cli;
pub mod config;
mod context;
pub mod error;
mod events;
mod gateway;
mod handlers;
mod rules;
mod store;
mod throttle;
pub mod usersig;
mod util;

pub use app::{start, Running, StartError};
pub use config::{AppIdentity, Config, TlsFiles};
pub use error::StoreError;
pub use rules::media::image_header_dims;

/// What the fuzz targets (`tests/fuzz`) drive: the server's checks of what a client sends.
/// Not part of the server's API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::rules::media::{declared, elem_ids, image_dims_in, parse_range};
    pub use crate::rules::messages::{check_client_message, filter_words};
}
