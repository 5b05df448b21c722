//! Request handlers: one module per request family. Each checks what the client may do
//! (through `access` and `rules`) and reads or writes through the store; none holds SQL.
//!
//! Layer: features. A handler module imports the domain (`access`, `events`, `rules`,
//! `context`), the infrastructure and the foundation, never another handler module.
pub mod auth;
pub mod conversations;
pub mod groups;
pub mod media;
pub mod messages;
pub mod profiles;
