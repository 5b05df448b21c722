//! confab-bench: load figures for confab-server, with Prosody as the baseline measured in the
//! same run on the same machine.
//!
//! ```text
//! cargo run --release -p confab-bench -- [--quick] [--only a,b,…] [--no-prosody]
//! ```
//!
//! Scenarios (names for `--only`): `serial`, `pairs`, `paced`, `pipelined`, `chatroom`,
//! `community`, `huge`, `reconnect`, `memory`, `scaleout` (pairs and a group on one node with
//! SQLite, one with PostgreSQL, three with PostgreSQL + NATS) and `prosody` (the 1:1 scenarios
//! against Prosody). Every scenario starts a fresh server — this very binary run as
//! `confab-bench serve …`, i.e. confab-server's code in this build — on a loopback port, and
//! drives it with raw WebSocket clients speaking the wire frames. Figures: p50 / p99 / max
//! latencies, lost and duplicated messages, and ratios against Prosody.
mod client;
mod scale_out;
mod scenarios;
mod server;
mod stats;
mod xmpp;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use scenarios::{Fanout, Report, Scale};
use stats::{wait_until, Deliveries, Lat};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let mut server_args = vec!["confab-server".to_string()];
        server_args.extend(args[2..].iter().cloned());
        return confab_server::cli::main_with_args(server_args);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    match rt.block_on(run(&args[1..])) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confab-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

struct Opts {
    quick: bool,
    only: Option<Vec<String>>,
    prosody: bool,
}

fn opts(args: &[String]) -> Result<Opts> {
    let mut o = Opts { quick: false, only: None, prosody: true };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--no-prosody" => o.prosody = false,
            "--only" => {
                let v = it.next().ok_or_else(|| anyhow::anyhow!("--only needs a list"))?;
                o.only = Some(v.split(',').map(String::from).collect());
            }
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(o)
}

fn print(name: &str, r: &Result<Report>) {
    println!("\n## {name}");
    match r {
        Ok(r) => r.lines.iter().for_each(|l| println!("  {l}")),
        Err(e) => println!("  FAILED: {e:#}"),
    }
}

async fn run(args: &[String]) -> Result<()> {
    let o = opts(args)?;
    // 10,000 clients and their server connections need more descriptors than the default.
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    let want = |n: &str| o.only.as_ref().is_none_or(|l| l.iter().any(|x| x == n));
    let scale = Scale { quick: o.quick };
    let epoch = Instant::now();
    let tmp = tempfile::Builder::new().prefix("confab-bench-").tempdir()?;
    let dir = |n: &str| tmp.path().join(n);
    println!("# confab-bench ({} cores, open files {limit}, load {})", num_cpus(), server::loadavg());
    println!("# {}", if o.quick { "quick run (smaller sizes)" } else { "full run" });
    let (pairs, paced_pairs) = (scale.n(1000, 200), scale.n(500, 100));
    let dur = scale.secs(10);
    let mut confab = Figures::default();
    if want("serial") {
        let r = scenarios::serial(&dir("serial"), scale, epoch).await;
        print("1 sender, 1 message in flight", &r);
        confab.serial = r.ok().map(|r| r.figure);
    }
    if want("pairs") {
        let r = scenarios::pairs_closed(&dir("pairs"), pairs, dur, epoch).await;
        print(&format!("{pairs} senders → {pairs} receivers, 1 in flight each"), &r);
        confab.pairs = r.ok().map(|r| r.figure);
    }
    if want("paced") {
        let r = scenarios::pairs_paced(&dir("paced"), paced_pairs, 10.0, dur, epoch).await;
        print(&format!("paced {} msg/s over {paced_pairs} pairs", paced_pairs * 10), &r);
        confab.paced_p99 = r.ok().map(|r| r.figure);
    }
    if want("pipelined") {
        let r = scenarios::pipelined(&dir("pipelined"), scale, epoch).await;
        print("one connection, sends pipelined", &r);
        confab.pipelined = r.ok().map(|r| r.figure);
    }
    if want("chatroom") {
        let m = scale.n(2000, 300);
        let f = Fanout { kind: 2, gid: "bench-room", members: m, online: m, rate: 40.0, dur, c2c_pairs: 0 };
        let r = scenarios::group_fanout(&dir("chatroom"), f, epoch).await;
        print(&format!("ChatRoom of {m} online members, 40 msg/s"), &r);
    }
    if want("community") {
        let (m, on) = (scale.n(10_000, 1000), scale.n(2000, 200));
        let f = Fanout { kind: 5, gid: "@TGS#_bench", members: m, online: on, rate: 40.0, dur, c2c_pairs: 50 };
        let r = scenarios::group_fanout(&dir("community"), f, epoch).await;
        print(&format!("Community of {m} members, {on} online, 40 msg/s, with C2C alongside"), &r);
    }
    if want("huge") {
        let m = scale.n(100_000, 10_000);
        let r = scenarios::huge_community(&dir("huge"), m, epoch).await;
        print(&format!("one message to a {m}-member Community"), &r);
    }
    if want("reconnect") {
        let n = scale.n(10_000, 1000);
        let r = scenarios::reconnect_storm(&dir("reconnect"), n).await;
        print(&format!("{n} users reconnect at once"), &r);
    }
    if want("memory") {
        let n = scale.n(10_000, 1000);
        let r = scenarios::idle_memory(&dir("memory"), n).await;
        print("server memory per idle connection", &r);
    }
    if want("scaleout") {
        let (sp, members) = (scale.n(1000, 200), scale.n(2000, 300));
        let mut rates = Vec::new();
        let deployments =
            [scale_out::Deployment::Sqlite, scale_out::Deployment::Postgres, scale_out::Deployment::ThreeNodes];
        for (i, d) in deployments.iter().enumerate() {
            for (name, r) in scale_out::run(&dir(&format!("scaleout-{i}")), d, sp, members, dur, epoch).await {
                print(&name, &r);
                if name.contains("in flight") {
                    rates.push((d.name(), r.as_ref().ok().map(|r| r.figure)));
                }
            }
        }
        println!("\n# durable one-to-one msg/s against one node on SQLite, same run");
        let base = rates.first().and_then(|r| r.1).filter(|b| *b > 0.0);
        for (name, r) in &rates {
            match (r, base) {
                (Some(r), Some(b)) => println!("  {name}: {r:.0} msg/s = {:.2}×", r / b),
                _ => println!("  {name}: not measured"),
            }
        }
    }
    if o.prosody && want("prosody") {
        println!("\n# Prosody {} (storage = \"sql\" on SQLite, mod_mam), same machine, same run", prosody_version());
        let p = prosody(&dir("prosody"), scale, pairs, paced_pairs, dur, epoch).await;
        match p {
            Ok(p) => {
                println!("\n# Confab / Prosody");
                ratio("1 sender, 1 in flight (msg/s)", confab.serial, p.serial, false);
                ratio(&format!("{pairs} pairs, 1 in flight (msg/s)"), confab.pairs, p.pairs, false);
                ratio("paced, ack p99 (lower is better: Prosody / Confab)", confab.paced_p99, p.paced_p99, true);
                ratio("one connection pipelined (msg/s)", confab.pipelined, p.pipelined, false);
            }
            Err(e) => println!("\n## Prosody\n  FAILED: {e:#}"),
        }
    }
    println!("\n# load after the run: {}", server::loadavg());
    Ok(())
}

#[derive(Default)]
struct Figures {
    serial: Option<f64>,
    pairs: Option<f64>,
    paced_p99: Option<f64>,
    pipelined: Option<f64>,
}

fn ratio(what: &str, confab: Option<f64>, prosody: Option<f64>, inverse: bool) {
    match (confab, prosody) {
        (Some(c), Some(p)) if c > 0.0 && p > 0.0 => {
            let r = if inverse { p / c } else { c / p };
            println!("  {what}: Confab {c:.1}, Prosody {p:.1} → {r:.1}×");
        }
        _ => println!("  {what}: not measured"),
    }
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn prosody_version() -> String {
    std::process::Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "prosody"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default()
}

/// The 1:1 scenarios against Prosody.
async fn prosody(
    dir: &std::path::Path,
    scale: Scale,
    pairs: usize,
    paced_pairs: usize,
    dur: Duration,
    epoch: Instant,
) -> Result<Figures> {
    use futures_util::stream::{self, StreamExt};
    let p = xmpp::Prosody::start(dir).await?;
    let port = p.port;
    let users = pairs.max(paced_pairs);
    let t = Instant::now();
    let regs: Vec<Result<()>> = stream::iter(0..users)
        .flat_map(|i| stream::iter([format!("s{i}"), format!("r{i}")]))
        .map(|u| async move { xmpp::register(port, &u, "benchpass").await })
        .buffer_unordered(64)
        .collect()
        .await;
    regs.into_iter().collect::<Result<Vec<()>>>()?;
    println!("  ({} accounts registered in {:.1} s)", users * 2, t.elapsed().as_secs_f64());
    let mut f = Figures::default();

    // 1 sender, 1 in flight.
    {
        let d = Arc::new(Deliveries::new(epoch));
        let _rx = xmpp::Session::login(port, 0, "r0", "benchpass", false, Some(d.clone())).await?;
        let mut tx = xmpp::Session::login(port, 0, "s0", "benchpass", true, None).await?;
        let n = scale.n(2000, 300) as u64;
        let mut lat = Lat::default();
        let t = Instant::now();
        for i in 0..n {
            let s = Instant::now();
            let h = tx.send("r0", &format!("b:{}:0:{i}", epoch.elapsed().as_micros())).await?;
            tx.acked(h).await?;
            lat.push(s.elapsed());
        }
        let rate = n as f64 / t.elapsed().as_secs_f64();
        wait_until(Duration::from_secs(10), || d.count() >= n).await;
        print(
            "Prosody: 1 sender, 1 message in flight",
            &Ok(Report {
                lines: vec![
                    format!("{rate:.0} msg/s; ack {}", lat.summary()),
                    format!("delivery {}; lost {} dup {}", d.lat().summary(), n - d.count().min(n), d.dups()),
                ],
                figure: rate,
            }),
        );
        f.serial = Some(rate);
    }

    // Pairs, 1 in flight each.
    {
        let d = Arc::new(Deliveries::new(epoch));
        let rx = login_many(port, "r", pairs, false, Some(d.clone())).await?;
        let txs = login_many(port, "s", pairs, true, None).await?;
        let t = Instant::now();
        let end = t + dur;
        let mut tasks = Vec::new();
        for (i, mut s) in txs.into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                let mut lat = Lat::default();
                let mut n = 0u64;
                while Instant::now() < end {
                    let st = Instant::now();
                    let h = s.send(&format!("r{i}"), &format!("b:{}:{i}:{n}", epoch.elapsed().as_micros())).await?;
                    s.acked(h).await?;
                    lat.push(st.elapsed());
                    n += 1;
                }
                Ok::<_, anyhow::Error>((lat, n))
            }));
        }
        let mut lat = Lat::default();
        let mut total = 0;
        for t in tasks {
            let (l, n) = t.await??;
            lat.extend(&l);
            total += n;
        }
        let el = t.elapsed().as_secs_f64();
        wait_until(Duration::from_secs(15), || d.count() >= total).await;
        let rate = total as f64 / el;
        print(
            &format!("Prosody: {pairs} senders → {pairs} receivers, 1 in flight each"),
            &Ok(Report {
                lines: vec![
                    format!("{rate:.0} acked durable msg/s ({total} in {el:.1} s)"),
                    format!("ack {}", lat.summary()),
                    format!("delivery {}; lost {} dup {}", d.lat().summary(), total - d.count().min(total), d.dups()),
                ],
                figure: rate,
            }),
        );
        f.pairs = Some(rate);
        drop(rx);
    }

    // Paced.
    {
        let d = Arc::new(Deliveries::new(epoch));
        let rx = login_many(port, "r", paced_pairs, false, Some(d.clone())).await?;
        let txs = login_many(port, "s", paced_pairs, true, None).await?;
        let t = Instant::now();
        let end = t + dur;
        let period = Duration::from_millis(100);
        let mut tasks = Vec::new();
        for (i, mut s) in txs.into_iter().enumerate() {
            let start = t + period.mul_f64(i as f64 / paced_pairs as f64);
            tasks.push(tokio::spawn(async move {
                // One in flight at a time is what Stream Management acks tell apart cheaply; a
                // sender that falls behind its pace sends late (and that shows in the latency).
                let mut lat = Lat::default();
                let mut next = start;
                let mut n = 0u64;
                while next < end {
                    tokio::time::sleep_until(next.into()).await;
                    let h = s.send(&format!("r{i}"), &format!("b:{}:{i}:{n}", epoch.elapsed().as_micros())).await?;
                    s.acked(h).await?;
                    lat.push(next.elapsed());
                    n += 1;
                    next += period;
                }
                Ok::<_, anyhow::Error>(lat)
            }));
        }
        let mut lat = Lat::default();
        for t in tasks {
            lat.extend(&t.await??);
        }
        let total = lat.0.len() as u64;
        wait_until(Duration::from_secs(15), || d.count() >= total).await;
        print(
            &format!("Prosody: paced {} msg/s over {paced_pairs} pairs", paced_pairs * 10),
            &Ok(Report {
                lines: vec![
                    format!("ack {} (from the scheduled send time)", lat.summary()),
                    format!("delivery {}; lost {} dup {}", d.lat().summary(), total - d.count().min(total), d.dups()),
                ],
                figure: lat.p(0.99),
            }),
        );
        f.paced_p99 = Some(lat.p(0.99));
        drop(rx);
    }

    // Pipelined.
    {
        let d = Arc::new(Deliveries::new(epoch));
        let _rx = xmpp::Session::login(port, 1, "r1", "benchpass", false, Some(d.clone())).await?;
        let mut tx = xmpp::Session::login(port, 1, "s1", "benchpass", true, None).await?;
        let n = scale.n(5000, 1000) as u64;
        let t = Instant::now();
        let mut last = 0;
        for i in 0..n {
            last = tx.send("r1", &format!("b:{}:1:{i}", epoch.elapsed().as_micros())).await?;
        }
        tx.acked(last).await?;
        let rate = n as f64 / t.elapsed().as_secs_f64();
        wait_until(Duration::from_secs(15), || d.count() >= n).await;
        print(
            "Prosody: one connection, sends pipelined",
            &Ok(Report {
                lines: vec![
                    format!("{rate:.0} msg/s ({n} sends pipelined on one connection)"),
                    format!("delivered {} lost {} dup {}", d.count(), n - d.count().min(n), d.dups()),
                ],
                figure: rate,
            }),
        );
        f.pipelined = Some(rate);
    }
    drop(p);
    Ok(f)
}

async fn login_many(
    port: u16,
    prefix: &str,
    n: usize,
    sender: bool,
    sink: Option<Arc<Deliveries>>,
) -> Result<Vec<xmpp::Session>> {
    use futures_util::stream::{self, StreamExt};
    let v: Vec<Result<xmpp::Session>> = stream::iter(0..n)
        .map(|i| {
            let sink = sink.clone();
            let u = format!("{prefix}{i}");
            async move { xmpp::Session::login(port, i, &u, "benchpass", sender, sink).await }
        })
        .buffered(64)
        .collect()
        .await;
    v.into_iter().collect()
}
