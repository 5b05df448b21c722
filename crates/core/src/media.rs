//! Media: content ids, uploads to and downloads from the server's media routes.
use sha2::{Digest, Sha256};

/// The content id of some bytes: SHA-256, lower-case hex (what the server checks).
pub fn content_id(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
