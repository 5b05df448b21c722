//! confab-cli: one SDK instance driven by JSON lines (contract: docs/spec/headless-client.md).
//!
//! Requests `{"id", "api", "params"}` arrive on stdin; every request gets one immediate line
//! with `result` (plus synchronous outputs), and, when accepted and the call has a callback, a
//! later line `{"id", "code", "desc", "json"}`. Events are lines with `event`. Logs go to stderr.
use std::path::PathBuf;
use std::time::Duration;

use confab_core::{Sdk, SdkOptions};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// `confab-cli [--server ws://HOST:PORT] [--data-dir DIR] [--ca-file PEM]`
#[derive(clap::Parser)]
#[command(name = "confab-cli", version, about = "Headless Confab client: JSON lines on stdin/stdout")]
pub struct Args {
    /// Server URL (TIMInit's config may override it).
    #[arg(long, default_value = "ws://127.0.0.1:9780")]
    pub server: String,
    /// Where this instance keeps its data (TIMInit's config may override it).
    #[arg(long, default_value = "confab-cli-data")]
    pub data_dir: PathBuf,
    /// A PEM file of CA certificates trusted for wss:// besides the system's roots (a server
    /// with a self-signed or private-CA certificate).
    #[arg(long, env = "CONFAB_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// The TIMPlatform to log in as (0 Other, 1 Windows, 2 Android, 3 iOS, 4 Mac, 5 Simulator);
    /// default: this machine's. One session per user and platform stays online.
    #[arg(long)]
    pub platform: Option<u32>,
}

/// The binary's whole `main`: parse arguments, run, report errors on stderr.
pub fn main_entry() -> std::process::ExitCode {
    use clap::Parser;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    let args = Args::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(run(args)).map_err(|e| e.to_string()));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confab-cli: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Run until stdin closes; then log out and return.
pub async fn run(args: Args) -> std::io::Result<()> {
    let sdk = Sdk::new(SdkOptions {
        server_url: args.server,
        data_dir: args.data_dir,
        extra_ca_pem: args.ca_file,
        platform: args.platform,
        ..Default::default()
    });
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Value>();
    let printer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(v) = out_rx.recv().await {
            let mut line = v.to_string();
            line.push('\n');
            if stdout.write_all(line.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
                break;
            }
        }
    });
    // Events are registered before anything else, so nothing delivered during login is missed.
    let mut events = sdk.subscribe();
    let ev_tx = out_tx.clone();
    let forwarder = tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            if ev_tx.send(e.to_json()).is_err() {
                break;
            }
        }
    });
    let mut callbacks = tokio::task::JoinSet::new();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let req: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                let _ = out_tx.send(json!({"id": null, "result": -3, "desc": format!("not JSON: {e}")}));
                continue;
            }
        };
        let id = req.get("id").cloned().unwrap_or(Value::Null);
        let Some(api) = req.get("api").and_then(Value::as_str) else {
            let _ = out_tx.send(json!({"id": id, "result": -4, "desc": "missing \"api\""}));
            continue;
        };
        let params = req.get("params").cloned().unwrap_or(Value::Null);
        let inv = sdk.call(api, &params).await;
        let mut first = Map::new();
        first.insert("id".into(), id.clone());
        first.insert("result".into(), json!(inv.result));
        if inv.result != 0 {
            first.insert("desc".into(), json!(inv.desc));
        }
        first.extend(inv.outputs);
        let _ = out_tx.send(Value::Object(first));
        if let Some(cb) = inv.callback {
            let tx = out_tx.clone();
            let mut progress = inv.progress;
            callbacks.spawn(async move {
                // Progress lines first (`{"id", "progress"}`), then the callback's line.
                if let Some(rx) = progress.as_mut() {
                    while let Some(p) = rx.recv().await {
                        let _ = tx.send(json!({"id": id, "progress": p}));
                    }
                }
                let r = cb.await;
                let _ = tx.send(json!({"id": id, "code": r.code, "desc": r.desc, "json": r.json}));
            });
        }
    }
    // EOF: let outstanding callbacks finish (bounded), then log out.
    let _ =
        tokio::time::timeout(Duration::from_secs(20), async { while callbacks.join_next().await.is_some() {} }).await;
    callbacks.abort_all();
    sdk.uninit().await;
    forwarder.abort();
    drop(out_tx);
    let _ = printer.await;
    Ok(())
}
