//! Media work with explicit arguments: content ids and file checks (`content.rs`), image tiers
//! (`imaging.rs`), video snapshots and durations (`video.rs`), the media elements of a message
//! (`elems.rs`), blob transfer over HTTP (`transfer.rs`), the local media cache (`cache.rs`) and
//! the upload of a message's media (`upload.rs`).
//!
//! Layer: media, above `store` and `net`. It may import `util`, `error`, `options`, `net` (the
//! HTTP client and the link carry the transfers) and `store` (the media cache's bookkeeping
//! table). It never sees the session: what a transfer needs (link, credentials, cache folder,
//! store) is passed in.
pub mod cache;
pub mod content;
pub mod elems;
pub mod imaging;
pub mod transfer;
pub mod upload;
pub mod video;
