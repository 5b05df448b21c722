//! TIM semantics as functions over the session's context ([`SessionCtx`]): one file per
//! domain. The JSON surface (`tim/`) and the typed [`Sdk`] methods call them; the engine calls
//! the hooks some of them have for server events (group tips and reports, pins).
//!
//! Layer: features, above `session`. A feature may import `session`, `media`, `net`, `store`
//! and the base layer, and **never another feature**: what two features share moves down into
//! `store/`, `session/context.rs`, `media/` or `util.rs`.
//!
//! [`SessionCtx`]: crate::session::context::SessionCtx
//! [`Sdk`]: crate::sdk::Sdk
pub mod account;
pub mod conversation;
pub mod download;
pub mod group;
pub mod message;
pub mod message_ops;
pub mod pins;
pub mod profile;
