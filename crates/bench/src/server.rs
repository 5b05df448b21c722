//! The server under test: this very binary run as `confab-bench serve …` (the release build of
//! confab-server's code), a child process on a loopback port with its own data dir.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context, Result};
use confab_server::config::{now_secs, AppIdentity};

pub struct Server {
    pub url: String,
    pub sdk_app_id: u64,
    key: String,
    child: Child,
}

impl Server {
    /// Start a server on `dir` (created; its app identity made first so the bench can sign).
    pub fn start(dir: &Path, extra: &[&str]) -> Result<Server> {
        std::fs::create_dir_all(dir)?;
        let id = AppIdentity::load_or_create(dir, None, None)?;
        Self::start_as(dir, &id, extra)
    }

    /// A node of a service whose nodes share the app identity `id`.
    pub fn start_as(dir: &Path, id: &AppIdentity, extra: &[&str]) -> Result<Server> {
        std::fs::create_dir_all(dir)?;
        let id = AppIdentity::load_or_create(dir, Some(id.sdk_app_id), Some(id.secret_key.clone()))?;
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--idle-timeout", "900", "--group-msg-rate", "0"])
            .arg("--data-dir")
            .arg(dir)
            .args(["--sdk-app-id", &id.sdk_app_id.to_string()])
            .args(extra)
            .env("CONFAB_SECRET_KEY", &id.secret_key)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start the server")?;
        let out = child.stdout.take().context("server stdout")?;
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line)?;
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            bail!("the server did not start: {line:?}");
        };
        Ok(Server { url: url.to_string(), sdk_app_id: id.sdk_app_id, key: id.secret_key, child })
    }

    pub fn sig(&self, user: &str) -> String {
        confab_server::usersig::generate(self.sdk_app_id, &self.key, user, 86_400, now_secs() as i64)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the server process, bytes.
    pub fn rss(&self) -> u64 {
        proc_rss(self.pid())
    }

    /// CPU seconds the server process has used.
    pub fn cpu_secs(&self) -> f64 {
        proc_cpu(self.pid())
    }

    /// Stop (SIGTERM: the server flushes and exits), then wait.
    pub fn stop(mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn proc_rss(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

pub fn proc_cpu(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// The machine's load average (1 minute) as /proc says it.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
