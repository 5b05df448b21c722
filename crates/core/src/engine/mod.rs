//! The session engine: a logged-in [`Session`](supervisor::Session) and the tasks it owns. The
//! processor (`processor.rs`) applies server events in inbox order and calls the features'
//! hooks; the supervisor (`supervisor.rs`) logs in, reconnects, and runs the heartbeat.
//!
//! Layer: engine, above `features`. It may import the features and everything below them
//! (`session`, `media`, `net`, `store`, the base layer). It lives apart from `session/` because
//! it calls the features, which themselves stand on `session/`: as one folder the two would
//! import each other.
pub mod processor;
pub mod supervisor;
