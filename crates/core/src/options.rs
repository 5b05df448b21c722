//! Settings: [`SdkOptions`] (what the embedding app chooses), the per-user [`MediaOptions`] a
//! session carries, and the link's [`Timeouts`].
//!
//! Layer: base (with `util`, `error`, `events`); imports nothing of this crate. `Timeouts` is
//! defined here rather than in `net/link.rs` because it is a setting of `SdkOptions`: the base
//! layer must not reach up into `net/`.
use std::path::PathBuf;
use std::time::Duration;

/// The default cap of the media cache: 1 GiB.
pub const DEFAULT_MEDIA_CACHE_CAP: u64 = 1 << 30;

/// Where the SDK connects and keeps its data. `TIMInit`'s config may override both.
#[derive(Debug, Clone)]
pub struct SdkOptions {
    pub server_url: String,
    pub data_dir: PathBuf,
    pub timeouts: Timeouts,
    /// How many recent inbox events a device with no local history replays at its first login.
    pub fresh_sync_window: u64,
    /// The folder TIMMsgDownloadElemToPath may write into (default `<data dir>/downloads`);
    /// relative paths are taken inside it, paths leaving it are refused.
    pub download_dir: Option<PathBuf>,
    /// Size cap of the local media cache (`<data dir>/users/<hex user id>/media-cache/`); the
    /// least recently used files are evicted above it. Default 1 GiB.
    pub media_cache_cap: u64,
    /// Folder holding `ffmpeg` / `ffprobe` (video snapshot and duration); `None` searches PATH.
    pub ffmpeg_dir: Option<PathBuf>,
    /// The TIMPlatform to log in as; `None` is this build's ([`crate::util::platform`]). The
    /// server keeps one session per user and platform, so two devices of one user online
    /// together differ here.
    pub platform: Option<u32>,
    /// A PEM file of CA certificates trusted for `wss://` / `https://` besides the system's
    /// roots (a self-signed or private-CA deployment). A certificate that neither accepts
    /// fails with 9501; nothing falls back to plaintext.
    pub extra_ca_pem: Option<PathBuf>,
}

impl Default for SdkOptions {
    fn default() -> Self {
        SdkOptions {
            server_url: "ws://127.0.0.1:9780".into(),
            data_dir: PathBuf::from("confab-data"),
            timeouts: Timeouts::default(),
            fresh_sync_window: 1000,
            download_dir: None,
            media_cache_cap: DEFAULT_MEDIA_CACHE_CAP,
            ffmpeg_dir: None,
            platform: None,
            extra_ca_pem: None,
        }
    }
}

/// Per-user media settings a session carries (from `SdkOptions`).
#[derive(Debug, Clone)]
pub struct MediaOptions {
    pub cache_dir: PathBuf,
    pub cache_cap: u64,
    /// Folder holding `ffmpeg` and `ffprobe`; `None` searches PATH.
    pub ffmpeg_dir: Option<PathBuf>,
}

/// Every timeout of the link (`net/link.rs`) and the session's reconnects.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Opening the socket.
    pub connect: Duration,
    /// Waiting for the answer to one request.
    pub request: Duration,
    /// How long a request waits for the link to come back before failing with 9508.
    pub wait_ready: Duration,
    /// Interval of application-level pings; a missed answer drops the socket.
    pub heartbeat: Duration,
    /// Reconnect backoff: first delay and cap.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(15),
            wait_ready: Duration::from_secs(10),
            heartbeat: Duration::from_secs(25),
            backoff_min: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
        }
    }
}
