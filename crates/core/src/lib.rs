//! confab-core: the Confab SDK. TIM semantics (init, login, conversations, messages, groups,
//! events) over a local SQLite store and a WebSocket link to a Confab server.
//!
//! Two ways in:
//! - the typed [`Sdk`] methods, and
//! - the JSON surface [`Sdk::call`]: every implemented call by its TIM name with TIM JSON
//!   parameters, answering a `TIMResult` at once and the callback's `(code, desc, json)` later,
//!   which is the C API's contract. `confab-cli` and the desktop shell sit on it.
//!
//! Events (the `TIMSet…Callback`s) arrive through [`Sdk::subscribe`].
//!
//! This crate never depends on tauri and never builds its own runtime.
//!
//! # Layers
//!
//! The modules are layered: a module uses only the layers its row allows (besides
//! confab-protocol and external crates), and `tests/tests/architecture.rs`
//! (`test_core_module_layers`) checks it, along with "no import cycle between top-level
//! modules" and "SQL only in `store/`":
//!
//! | layer | modules | may use |
//! |---|---|---|
//! | base | `util`, `error`, `options`, `events` | each other |
//! | store | `store/` (all the SQL; the pool is private) | `util`, `error` |
//! | net | `net/` (link, HTTP, TLS) | `util`, `error`, `options` |
//! | media | `media/` (never sees the session) | `util`, `error`, `options`, `net`, `store` |
//! | session | `session/context`, then `session/send_queue` | media and below |
//! | features | `features/*`, never one another | session and below |
//! | engine | `engine/` (processor, supervisor) | features and below |
//! | sdk | `sdk.rs` | engine and below |
//! | tim | `tim/` (the JSON surface), used by nothing but this file | sdk and below |
//!
//! This file only declares the modules and re-exports what other crates use.
mod engine;
mod error;
mod events;
mod features;
mod media;
mod net;
mod options;
mod sdk;
mod session;
mod store;
mod tim;
mod util;

pub use error::{Error, Result};
pub use events::SdkEvent;
pub use media::content::content_id;
pub use media::imaging;
pub use net::http;
pub use options::{SdkOptions, Timeouts};
pub use sdk::{Sdk, SDK_VERSION};
pub use store::group_at_type;
pub use tim::group::GROUP_APIS;
pub use tim::{BoxFuture, Invocation, Reply, APIS};
pub use util::{now_secs, platform};

/// What the fuzz targets (`tests/fuzz`) drive: the steps the SDK runs on what it receives and
/// on what a person types into search. Not part of the SDK's API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::session::context::merge_server_fields;
    pub use crate::store::search::{cjk_tokens, search_text, MAX_KEY_TIME};
    pub use crate::store::{put_msg, LocalStore};
}
