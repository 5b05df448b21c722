//! What a logged-in session's parts share: its context (`context.rs`: the store, the link, the
//! emitter, who is logged in, the send queue's handle, rate limits) and the send queue
//! (`send_queue.rs`: the task that puts messages on the wire in call order, and the checks and
//! local echo of an outgoing message).
//!
//! Layer: session, above `media`. It may import `media`, `net`, `store` and the base layer;
//! within it, `send_queue` imports `context`, never the other way round. The tasks that run a
//! session (processor, supervisor, heartbeat) are the engine (`engine/`), above the features.
pub mod context;
pub mod send_queue;
