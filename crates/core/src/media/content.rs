//! Content ids (the SHA-256 of a blob, lower-case hex: what the server checks and what names a
//! blob in the media cache), the size limits of media files, and the checks a local file passes
//! before it is sent.
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::util::hex_bytes;

/// Image and sound up to 28 MB, file and video up to 100 MB.
pub const IMAGE_MAX: u64 = 28 * 1024 * 1024;
pub const FILE_MAX: u64 = 100 * 1024 * 1024;

/// The content id of some bytes: SHA-256, lower-case hex (what the server checks).
pub fn content_id(bytes: &[u8]) -> String {
    hex_bytes(&Sha256::digest(bytes))
}

/// Whether `id` has the shape of a content id (64 lower-case hex digits).
pub fn is_content_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The content id of a file's bytes, read in pieces (synchronous: run it on a blocking thread).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex_bytes(&h.finalize()))
}

/// 7004 for a missing file, 7007 for any other failure to open or read it.
pub fn io_code(e: &std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::FileNotFound,
        _ => Error::FileOpen,
    }
}

/// Check a local file for sending: exists (7004), is a readable regular file (7007), is not
/// empty (7006) and not above `max` (7005). Returns its size.
pub async fn check_file(path: &str, max: u64) -> Result<u64> {
    if path.is_empty() {
        return Err(Error::FileNotFound);
    }
    let meta = tokio::fs::metadata(path).await.map_err(|e| io_code(&e))?;
    if !meta.is_file() {
        return Err(Error::FileOpen);
    }
    // Opening proves it is readable.
    tokio::fs::File::open(path).await.map_err(|e| io_code(&e))?;
    match meta.len() {
        0 => Err(Error::FileEmpty),
        n if n > max => Err(Error::FileTooLarge),
        n => Ok(n),
    }
}
