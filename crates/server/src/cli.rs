//! The `confab-server` command line (contract: docs/spec/headless-client.md). The binary's
//! `main` is one call to [`main_entry`], so tests can run the very same program as a child.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::app;
use crate::config::{self, AppIdentity, Config};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser)]
#[command(name = "confab-server", version, about = "Confab instant-messaging server")]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// Address to listen on (WebSocket and HTTP on one port).
    #[arg(long, default_value = "127.0.0.1:9780")]
    listen: String,
    /// Where the database and app identity live.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[arg(long, env = "CONFAB_SDK_APP_ID")]
    sdk_app_id: Option<u64>,
    #[arg(long, env = "CONFAB_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Seconds after sending during which a sender may revoke a message.
    #[arg(long, env = "CONFAB_REVOKE_WINDOW", default_value_t = 120)]
    revoke_window: u64,
    /// Seconds without any frame after which a connection is dropped.
    #[arg(long, env = "CONFAB_IDLE_TIMEOUT", default_value_t = 90)]
    idle_timeout: u64,
    /// Comma-separated words the content hook masks in text messages.
    #[arg(long, env = "CONFAB_WORD_FILTER", default_value = "")]
    word_filter: String,
    /// Days uploaded media stays downloadable (then 6009).
    #[arg(long, env = "CONFAB_MEDIA_RETENTION_DAYS", default_value_t = 7)]
    media_retention_days: u64,
    /// Hours after which an unfinished upload is deleted.
    #[arg(long, env = "CONFAB_MEDIA_PARTIAL_TTL_HOURS", default_value_t = 24)]
    media_partial_ttl_hours: u64,
    /// Messages per second each group accepts (0 = unlimited). Over the rate, low-priority
    /// messages are refused first and high-priority ones keep a reserve.
    #[arg(long, env = "CONFAB_GROUP_MSG_RATE", default_value_t = 40)]
    group_msg_rate: u32,
    /// TLS certificate chain (PEM, leaf first): the port then speaks wss:// and https://.
    /// Needs --tls-key. Without both, the port is plain ws:// (e.g. behind a TLS proxy).
    #[arg(long, env = "CONFAB_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM: PKCS#8, PKCS#1 or SEC1) for --tls-cert.
    #[arg(long, env = "CONFAB_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Connections served at once; one more is answered 503 and closed. Lowered to what the
    /// process's open-file limit allows.
    #[arg(long, env = "CONFAB_MAX_CONNECTIONS", default_value_t = 20_000)]
    max_connections: usize,
    /// Megabytes one user may upload per media retention period (unfinished uploads count).
    #[arg(long, env = "CONFAB_MEDIA_QUOTA_MB", default_value_t = 2048)]
    media_quota_mb: u64,
    /// Unfinished uploads one user may have at once.
    #[arg(long, env = "CONFAB_MAX_PARTIAL_UPLOADS", default_value_t = 8)]
    max_partial_uploads: usize,
    /// `open`: anyone may sign up with a password. `closed`: sign-up is refused (60017) and
    /// accounts come from UserSigs your backend issues (`confab-server usersig` or TLSSigAPIv2).
    #[arg(long, env = "CONFAB_REGISTRATION", default_value = "open", value_parser = ["open", "closed"])]
    registration: String,
    /// Web origins allowed to open a WebSocket, comma-separated (e.g. `https://chat.example.org`
    /// for a web client you host). Native clients send no Origin and are not affected.
    #[arg(long, env = "CONFAB_ALLOWED_ORIGINS", default_value = "")]
    allowed_origins: String,
    /// Requests per second one connection may make besides sends (burst: two seconds' worth);
    /// over it they are answered 60018. 0 = unlimited.
    #[arg(long, env = "CONFAB_REQUEST_RATE", default_value_t = 200)]
    request_rate: u32,
    /// Where accounts and messages are stored: `postgres://USER:PASS@HOST:PORT/DB`, which
    /// several nodes may share. Without it, an embedded SQLite file in the data dir.
    #[arg(long, env = "CONFAB_STORE", hide_env_values = true, value_parser = parse_store)]
    store: Option<String>,
    /// Where media blobs are kept (default: `<data dir>/media`). Nodes of one service share
    /// it (e.g. a network filesystem).
    #[arg(long, env = "CONFAB_MEDIA_DIR")]
    media_dir: Option<PathBuf>,
    /// NATS linking the nodes of one service: `nats://HOST:PORT`. Nodes with the same --store,
    /// --bus, SDKAppID and key form one service. Without it, this node is alone.
    #[arg(long, env = "CONFAB_BUS", value_parser = parse_bus)]
    bus: Option<String>,
}

/// `--bus`: a NATS URL.
fn parse_bus(s: &str) -> Result<String, String> {
    if s.starts_with("nats://") {
        Ok(s.to_string())
    } else {
        Err("expected nats://HOST:PORT".into())
    }
}

/// `--store`: a PostgreSQL URL (the only engine besides the embedded default).
fn parse_store(s: &str) -> Result<String, String> {
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        Ok(s.to_string())
    } else {
        Err("expected postgres://USER:PASS@HOST:PORT/DB (without --store the embedded SQLite is used)".into())
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Print a UserSig for a user (TLSSigAPIv2 format).
    Usersig {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        user: String,
        /// Validity in seconds.
        #[arg(long, default_value_t = 180 * 24 * 3600)]
        expire: i64,
    },
}

/// Parse the command line and run; errors are printed to stderr.
pub fn main_entry() -> ExitCode {
    main_with_args(std::env::args_os())
}

/// [`main_entry`] with the arguments given (the first is the program name), so that another
/// program (the load bench) can run the very same server as a child of its own binary.
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match run(Cli::parse_from(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confab-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), BoxError> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    match cli.cmd {
        Some(Cmd::Usersig { data_dir, user, expire }) => {
            let dir = data_dir.or(cli.data_dir).unwrap_or_else(config::default_data_dir);
            let id = AppIdentity::load_or_create(&dir, cli.sdk_app_id, cli.secret_key)?;
            let now = config::now_secs() as i64;
            println!("{}", crate::usersig::generate(id.sdk_app_id, &id.secret_key, &user, expire, now));
            Ok(())
        }
        None => serve(cli),
    }
}

fn serve(cli: Cli) -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let dir = cli.data_dir.unwrap_or_else(config::default_data_dir);
        let identity = AppIdentity::load_or_create(&dir, cli.sdk_app_id, cli.secret_key)
            .map_err(|e| format!("app identity: {e}"))?;
        let mut cfg = Config::new(dir, identity);
        cfg.revoke_window = Duration::from_secs(cli.revoke_window);
        cfg.idle_timeout = Duration::from_secs(cli.idle_timeout.max(1));
        cfg.word_filter =
            cli.word_filter.split(',').map(str::trim).filter(|w| !w.is_empty()).map(String::from).collect();
        cfg.media_retention = Duration::from_secs(cli.media_retention_days.max(1) * 24 * 3600);
        cfg.media_partial_ttl = Duration::from_secs(cli.media_partial_ttl_hours.max(1) * 3600);
        cfg.group_msg_rate = cli.group_msg_rate;
        cfg.max_connections = connection_cap(cli.max_connections);
        cfg.registration = cli.registration == "open";
        cfg.request_rate = cli.request_rate;
        cfg.allowed_origins =
            cli.allowed_origins.split(',').map(str::trim).filter(|o| !o.is_empty()).map(String::from).collect();
        cfg.media_quota = cli.media_quota_mb.saturating_mul(1024 * 1024);
        cfg.max_partial_uploads = cli.max_partial_uploads.max(1);
        cfg.store_url = cli.store;
        cfg.media_dir = cli.media_dir;
        cfg.bus_url = cli.bus;
        if let (Some(cert), Some(key)) = (cli.tls_cert, cli.tls_key) {
            cfg.tls = Some(config::TlsFiles { cert, key });
        }
        let listener =
            tokio::net::TcpListener::bind(&cli.listen).await.map_err(|e| format!("bind {}: {e}", cli.listen))?;
        let running = app::start(cfg, listener).await?;
        println!("listening on {}", running.url());
        use std::io::Write;
        std::io::stdout().flush()?;
        wait_for_signal().await;
        tracing::info!("shutting down");
        running.shutdown().await;
        Ok::<(), BoxError>(())
    })
}

/// Each connection is one file descriptor: raise the soft open-file limit to the hard one and
/// keep the cap below it (with room for the database, media files and logs), so that the
/// process refuses with a clear 503 instead of failing `accept` with EMFILE.
fn connection_cap(wanted: usize) -> usize {
    const RESERVE: u64 = 256;
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let room = usize::try_from(limit.saturating_sub(RESERVE)).unwrap_or(usize::MAX).max(16);
    if room < wanted {
        tracing::warn!(wanted, open_file_limit = limit, cap = room, "connection cap lowered to the open-file limit");
    }
    wanted.clamp(1, room)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
