//! Small helpers every layer may use: the clock, this build's platform, hex, message ids.
//!
//! Layer: base (with `error`, `options`, `events`); imports nothing of this crate.
use confab_protocol::enums::platform as plat;
use rand::Rng;

/// A random duration between zero and `ceiling` (full jitter).
pub fn jitter(ceiling: std::time::Duration) -> std::time::Duration {
    ceiling.mul_f64(rand::thread_rng().gen_range(0.0..=1.0))
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// This build's TIMPlatform.
pub fn platform() -> u32 {
    if cfg!(target_os = "windows") {
        plat::WINDOWS
    } else if cfg!(target_os = "macos") {
        plat::MAC
    } else {
        plat::OTHER
    }
}

/// Lower-case hex of some bytes.
pub fn hex_bytes(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex of a string's bytes (a user id as a folder name).
pub fn hex(s: &str) -> String {
    hex_bytes(s.as_bytes())
}

/// A new message id: `<prefix>-<client time>-<random>`.
pub fn new_msg_id(me: &str, now: u64) -> String {
    // The prefix is a short hash of the sender so that ids of different users never collide by
    // construction of the random part alone.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in me.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    let r: u64 = rand::thread_rng().gen();
    format!("{:x}-{now}-{r:x}", h & 0xffff_ffff_ffff)
}
