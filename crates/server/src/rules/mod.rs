//! Rules: pure checks and limits, no I/O. Unit-testable without a server.
//!
//! Layer: domain. Imports only `error` and `config` of this crate (and confab-protocol).
pub mod groups;
pub mod media;
pub mod messages;
