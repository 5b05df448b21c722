//! The storage engine the suite runs on, and a PostgreSQL cluster for it.
//!
//! The integration suite is one conformance suite run on both engines: `CONFAB_TEST_STORE`
//! selects it (`sqlite`, the default, or `postgres`). With `postgres`, `CONFAB_TEST_PG` names a
//! running cluster (`postgres://USER@127.0.0.1:PORT/DB`); `scripts/test.sh` starts one with
//! `confab-test-engines pg-start DIR` (the functions below: the Debian package's `initdb` and
//! `pg_ctl`, a free loopback port, a temp dir) and stops it after.
//!
//! Every test server gets its own schema in that cluster, named after its data dir, so a server
//! restarted over the same data dir (a kill test, a restart test) finds its data again.
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// Which engine the servers of this test process use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The engine selected by `CONFAB_TEST_STORE`.
pub fn engine() -> Engine {
    match std::env::var("CONFAB_TEST_STORE").as_deref() {
        Ok("postgres") => Engine::Postgres,
        Ok("sqlite") | Ok("") | Err(_) => Engine::Sqlite,
        Ok(other) => panic!("CONFAB_TEST_STORE={other}: expected sqlite or postgres"),
    }
}

/// The cluster's URL (`CONFAB_TEST_PG`).
fn cluster_url() -> String {
    std::env::var("CONFAB_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "CONFAB_TEST_STORE=postgres needs CONFAB_TEST_PG (a cluster's URL): run scripts/test.sh, or start one \
             with `confab-test-engines pg-start DIR`"
        )
    })
}

/// The `--store` URL for a server over `data_dir` (its own schema, created if new), or `None`
/// for the embedded SQLite.
pub fn store_url_for(data_dir: &Path) -> Option<String> {
    match engine() {
        Engine::Sqlite => None,
        Engine::Postgres => Some(schema_url(&cluster_url(), data_dir).expect("a schema for the test server")),
    }
}

/// Create (if new) the schema of `data_dir` in the cluster at `base` and return a URL whose
/// connections use it.
pub fn schema_url(base: &str, data_dir: &Path) -> anyhow::Result<String> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data_dir.hash(&mut h);
    let schema = format!("t_{:016x}", h.finish());
    let (url, sql) = (base.to_string(), format!("CREATE SCHEMA IF NOT EXISTS {schema}"));
    // Callers may be inside a runtime (async tests) or not: a thread of its own either way.
    std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url).await.context("connect to the test cluster")?;
            sqlx::query(&sql).execute(&mut c).await?;
            c.close().await?;
            Ok(())
        })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("schema thread panicked"))??;
    let sep = if base.contains('?') { '&' } else { '?' };
    Ok(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

/// A PostgreSQL cluster in a directory of its own, on a loopback port.
#[derive(Debug, Clone)]
pub struct PgCluster {
    pub dir: PathBuf,
    pub port: u16,
}

impl PgCluster {
    /// The URL of its `postgres` database as the superuser `confab` (trust auth, loopback only).
    pub fn url(&self) -> String {
        format!("postgres://confab@127.0.0.1:{}/postgres", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Create a cluster in `dir` (made if missing) and start it on a free loopback port.
    /// `durable`: fsync as a production server would (benches); the conformance suite runs
    /// without it (it kills our processes, never the machine).
    pub fn start(dir: &Path, durable: bool) -> anyhow::Result<PgCluster> {
        std::fs::create_dir_all(dir)?;
        let dir = dir.canonicalize()?;
        let bin = bin_dir()?;
        let cluster = PgCluster { dir: dir.clone(), port: free_port()? };
        if running_as_root() {
            // initdb refuses to run as root: the cluster belongs to the package's user.
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status()?.success();
            if !ok {
                bail!("chown {} to postgres failed (is the postgresql package installed?)", dir.display());
            }
        }
        run_pg(Command::new(bin.join("initdb")).arg("-D").arg(cluster.data()).args([
            "-U",
            "confab",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ]))
        .context("initdb")?;
        cluster.pg_start(durable)?;
        Ok(cluster)
    }

    /// Start (or restart after [`Self::stop`]) the server of an existing cluster.
    pub fn pg_start(&self, durable: bool) -> anyhow::Result<()> {
        let mut opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=400 -c shared_buffers=64MB",
            self.port,
            self.dir.display()
        );
        if !durable {
            opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        run_pg(
            Command::new(bin_dir()?.join("pg_ctl"))
                .arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(self.dir.join("server.log"))
                .args(["-w", "-t", "60", "-o", &opts, "start"]),
        )
        .context("pg_ctl start")
    }

    /// Stop the server (`fast`: sessions are ended, the cluster is left consistent).
    pub fn stop(&self) -> anyhow::Result<()> {
        run_pg(Command::new(bin_dir()?.join("pg_ctl")).arg("-D").arg(self.data()).args(["-w", "-m", "fast", "stop"]))
            .context("pg_ctl stop")
    }

    /// Stop the server the way a crash would (`immediate`: no checkpoint; the next start
    /// recovers from the write-ahead log).
    pub fn crash(&self) -> anyhow::Result<()> {
        run_pg(Command::new(bin_dir()?.join("pg_ctl")).arg("-D").arg(self.data()).args([
            "-w",
            "-m",
            "immediate",
            "stop",
        ]))
        .context("pg_ctl stop -m immediate")
    }

    /// The cluster of `dir` as [`Self::start`] left it (its port is in `postmaster.pid`).
    pub fn at(dir: &Path) -> anyhow::Result<PgCluster> {
        let dir = dir.canonicalize()?;
        let pid = std::fs::read_to_string(dir.join("data/postmaster.pid")).context("postmaster.pid")?;
        let port = pid.lines().nth(3).and_then(|l| l.trim().parse().ok()).context("port in postmaster.pid")?;
        Ok(PgCluster { dir, port })
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// Run a PostgreSQL program, as the `postgres` user when we are root.
fn run_pg(cmd: &mut Command) -> anyhow::Result<()> {
    let out = if running_as_root() {
        let mut wrapped = Command::new("runuser");
        wrapped.args(["-u", "postgres", "--"]).arg(cmd.get_program()).args(cmd.get_args());
        wrapped.current_dir("/").output()?
    } else {
        cmd.output()?
    };
    if !out.status.success() {
        bail!(
            "{:?} failed: {}{}",
            cmd.get_program(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Where `initdb` and `pg_ctl` are: `CONFAB_PG_BIN`, the newest Debian package, or `PATH`.
fn bin_dir() -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("CONFAB_PG_BIN") {
        return Ok(PathBuf::from(d));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p): &(u32, PathBuf)| p.join("initdb").exists())
        .collect();
    versions.sort();
    if let Some((_, p)) = versions.pop() {
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|d| d.join("initdb").exists())
        .context("initdb not found: install the postgresql package (scripts/test.sh does)")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A NATS server (the Debian package's `nats-server`) on a loopback port, stopped on drop.
pub struct NatsServer {
    child: Option<std::process::Child>,
    pub port: u16,
}

impl NatsServer {
    /// Start one on a free loopback port and wait until it accepts connections.
    pub fn start() -> anyhow::Result<NatsServer> {
        let mut n = NatsServer { child: None, port: free_port()? };
        n.restart()?;
        Ok(n)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Start it again on the same port (after [`Self::kill`]).
    pub fn restart(&mut self) -> anyhow::Result<()> {
        let bin = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .unwrap_or_else(|| PathBuf::from("nats-server"));
        let child = Command::new(bin)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("nats-server (install the nats-server package; scripts/test.sh does)")?;
        self.child = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if std::time::Instant::now() > deadline {
                bail!("nats-server did not start on port {}", self.port);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(())
    }

    /// SIGKILL it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}
