//! Small helpers shared by every layer.
//!
//! Layer: foundation. Imports nothing of this crate.

/// Lowercase hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
