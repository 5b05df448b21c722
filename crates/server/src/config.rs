//! Server configuration and the app identity (SDKAppID + secret key) kept in the data dir.
use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppIdentity {
    pub sdk_app_id: u64,
    pub secret_key: String,
}

impl AppIdentity {
    /// Read `app.json` from the data dir, creating it with a fresh identity on first start.
    /// `sdk_app_id` / `secret_key` given explicitly (flags or environment) take precedence.
    pub fn load_or_create(
        data_dir: &Path,
        sdk_app_id: Option<u64>,
        secret_key: Option<String>,
    ) -> std::io::Result<Self> {
        create_private_dir(data_dir)?;
        let path = data_dir.join("app.json");
        let stored: Option<AppIdentity> = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let mut id = match stored {
            Some(id) => id,
            None => {
                let mut rng = rand::thread_rng();
                let key: String = (0..32).map(|_| format!("{:02x}", rng.gen::<u8>())).collect();
                let id = AppIdentity { sdk_app_id: 1_400_000_000 + rng.gen_range(0..99_999_999), secret_key: key };
                let tmp = data_dir.join("app.json.tmp");
                let _ = std::fs::remove_file(&tmp);
                write_private(&tmp, &serde_json::to_vec_pretty(&id).map_err(std::io::Error::other)?)?;
                std::fs::rename(&tmp, &path)?;
                id
            }
        };
        // A file from an older version may be readable by others: the key signs every UserSig.
        restrict(&path, 0o600)?;
        if let Some(a) = sdk_app_id {
            id.sdk_app_id = a;
        }
        if let Some(k) = secret_key {
            if k.len() < MIN_KEY_BYTES {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("the secret key must be at least {MIN_KEY_BYTES} bytes"),
                ));
            }
            id.secret_key = k;
        }
        Ok(id)
    }
}

/// A secret key shorter than this is refused: it signs every UserSig and media link.
pub const MIN_KEY_BYTES: usize = 16;

/// The data directory: created (or narrowed to) owner-only, since it holds the secret key, the
/// database and the media.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    restrict(dir, 0o700)
}

/// Narrow `path`'s permissions to `mode` (Unix; elsewhere the per-user profile folders keep
/// other users out).
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path)?;
        if meta.permissions().mode() & 0o777 & !mode != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Write a new file readable by its owner only (created so, never widened in between).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The server's settings. Not `Debug`: `store_url` may hold a password.
#[derive(Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub identity: AppIdentity,
    /// A PostgreSQL database (`postgres://USER:PASS@HOST:PORT/DB`) shared by the nodes of one
    /// service; `None`: the embedded SQLite file in `data_dir`. Holds a password: never logged.
    pub store_url: Option<String>,
    /// Where media blobs live; `None`: `<data_dir>/media`. Nodes of one service share it.
    pub media_dir: Option<PathBuf>,
    /// NATS (`nats://HOST:PORT`) linking the nodes of one service; `None`: this node is alone.
    pub bus_url: Option<String>,
    /// How long after sending a message its sender may revoke it (default 2 minutes).
    pub revoke_window: Duration,
    /// A connection that sends nothing (not even a ping) for this long is dropped.
    pub idle_timeout: Duration,
    /// Content hook: words replaced by asterisks in text elements before a message is stored.
    pub word_filter: Vec<String>,
    /// Media can be downloaded for this long after its upload (default 7 days), then 6009.
    pub media_retention: Duration,
    /// Partial uploads untouched for this long are deleted (default 24 hours).
    pub media_partial_ttl: Duration,
    /// How long a signed download path stays valid (default 1 hour).
    pub media_url_ttl: Duration,
    /// How often the media sweeper looks for expired media and stale partial uploads.
    pub media_sweep_interval: Duration,
    /// Messages per second each group accepts (0 = unlimited); over it, lower priorities are
    /// refused first with 10023 (see `throttle.rs`).
    pub group_msg_rate: u32,
    /// Bytes of frames a connection may have queued and not yet written; a client that stops
    /// reading is disconnected past it (it catches up when it returns).
    pub outbound_limit: usize,
    /// Bytes one user may upload within `media_retention` (what is still downloadable plus
    /// unfinished uploads); over it an upload is refused (6008).
    pub media_quota: u64,
    /// Unfinished uploads one user may have at once.
    pub max_partial_uploads: usize,
    /// Whether anyone may create a password account (`register`). Closed, accounts come only
    /// from UserSigs the operator's backend issues (the TIM model).
    pub registration: bool,
    /// Web origins whose pages may open a WebSocket (`Origin` header). Native clients (the
    /// SDK, the desktop app) send none; a browser always does, so by default no web page can
    /// talk to the server from a person's browser.
    pub allowed_origins: Vec<String>,
    /// Requests per second one connection may make besides sends (a burst of two seconds'
    /// worth); over it a request is answered 60018 without being run. 0 = unlimited.
    pub request_rate: u32,
    /// Connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// How long a connection may take to send a request head (and stay idle between requests).
    pub header_timeout: Duration,
    /// How long a WebSocket may stay open without logging in.
    pub login_timeout: Duration,
    /// TLS on the listening port (`wss://` and `https://`); `None` serves plain TCP.
    pub tls: Option<TlsFiles>,
}

/// The server's certificate chain and private key, PEM files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl Config {
    pub fn new(data_dir: PathBuf, identity: AppIdentity) -> Self {
        Config {
            data_dir,
            identity,
            store_url: None,
            media_dir: None,
            bus_url: None,
            revoke_window: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(90),
            word_filter: Vec::new(),
            media_retention: Duration::from_secs(7 * 24 * 3600),
            media_partial_ttl: Duration::from_secs(24 * 3600),
            media_url_ttl: Duration::from_secs(3600),
            media_sweep_interval: Duration::from_secs(600),
            group_msg_rate: 40,
            outbound_limit: 4 * 1024 * 1024,
            registration: true,
            allowed_origins: Vec::new(),
            request_rate: 200,
            media_quota: 2 * 1024 * 1024 * 1024,
            max_partial_uploads: 8,
            max_connections: 20_000,
            header_timeout: Duration::from_secs(10),
            login_timeout: Duration::from_secs(10),
            tls: None,
        }
    }
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The platform's data directory for the server (`~/.local/share/confab-server` on Linux).
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("confab-server");
    }
    #[cfg(target_os = "windows")]
    if let Some(a) = std::env::var_os("APPDATA") {
        return PathBuf::from(a).join("confab-server");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    #[cfg(target_os = "macos")]
    return home.join("Library/Application Support/confab-server");
    #[cfg(not(target_os = "macos"))]
    home.join(".local/share/confab-server")
}
