//! The load scenarios against confab-server, one function each. Every scenario starts its own
//! server (a fresh data dir) and returns the lines it reports and its headline figure.
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::stream::{self, StreamExt};
use serde_json::json;

use crate::client::{Client, Login, OnPush};
use crate::server::Server;
use crate::stats::{wait_until, Deliveries, Lat};

/// Sizes of the scenarios (`--quick` shrinks them for a smoke run).
#[derive(Clone, Copy)]
pub struct Scale {
    pub quick: bool,
}

impl Scale {
    pub fn n(&self, full: usize, quick: usize) -> usize {
        if self.quick {
            quick
        } else {
            full
        }
    }

    pub fn secs(&self, full: u64) -> Duration {
        Duration::from_secs(if self.quick { (full / 4).max(2) } else { full })
    }
}

/// What a scenario reports.
pub struct Report {
    pub lines: Vec<String>,
    /// The headline figure (msg/s, or a latency in ms), for ratios.
    pub figure: f64,
}

fn user(prefix: &str, i: usize) -> String {
    format!("{prefix}{i}")
}

/// Connect and log in `n` users `prefix0..`, 256 at a time.
pub async fn connect_all(
    srv: &Server,
    prefix: &str,
    n: usize,
    first_index: usize,
    on_push: Option<OnPush>,
) -> Result<Vec<Client>> {
    connect_spread(std::slice::from_ref(srv), prefix, n, first_index, 0, on_push).await
}

/// [`connect_all`] over the nodes of a service: user `i` on node `(i + shift) % nodes`.
pub async fn connect_spread(
    nodes: &[Server],
    prefix: &str,
    n: usize,
    first_index: usize,
    shift: usize,
    on_push: Option<OnPush>,
) -> Result<Vec<Client>> {
    let clients: Vec<Result<Client>> = stream::iter(0..n)
        .map(|i| {
            let srv = &nodes[(i + shift) % nodes.len()];
            let (url, on_push) = (srv.url.clone(), on_push.clone());
            let name = user(prefix, i);
            let sig = srv.sig(&name);
            let app = srv.sdk_app_id;
            async move {
                let c = Client::connect(&url, first_index + i, on_push).await?;
                c.login(&Login { sdk_app_id: app, user: &name, sig: &sig, resume: false }).await?;
                Ok(c)
            }
        })
        .buffered(256)
        .collect()
        .await;
    clients.into_iter().collect()
}

fn deliveries_push(d: &Arc<Deliveries>) -> OnPush {
    let d = d.clone();
    Arc::new(move |receiver, _seq, msg| d.record(receiver, msg))
}

/// 1 sender, 1 message in flight: ack latency and msg/s.
pub async fn serial(dir: &Path, scale: Scale, epoch: Instant) -> Result<Report> {
    let srv = Server::start(dir, &[])?;
    let d = Arc::new(Deliveries::new(epoch));
    let rx = connect_all(&srv, "r", 1, 1, Some(deliveries_push(&d))).await?;
    let tx = connect_all(&srv, "s", 1, 0, None).await?;
    let n = scale.n(2000, 300) as u64;
    let mut lat = Lat::default();
    let t = Instant::now();
    for i in 0..n {
        lat.push(tx[0].send_acked(1, "r0", i, epoch).await?);
    }
    let el = t.elapsed().as_secs_f64();
    wait_until(Duration::from_secs(10), || d.count() >= n).await;
    let rate = n as f64 / el;
    drop((rx, tx));
    srv.stop();
    Ok(Report {
        lines: vec![
            format!("{rate:.0} msg/s; ack {}", lat.summary()),
            format!("delivery {}; lost {} dup {}", d.lat().summary(), n - d.count(), d.dups()),
        ],
        figure: rate,
    })
}

/// `pairs` senders → `pairs` receivers, each sender one message in flight, for `dur`.
pub async fn pairs_closed(dir: &Path, pairs: usize, dur: Duration, epoch: Instant) -> Result<Report> {
    let srv = Server::start(dir, &[])?;
    let r = pairs_closed_on(std::slice::from_ref(&srv), pairs, dur, epoch).await;
    srv.stop();
    r
}

/// [`pairs_closed`] on the nodes of a service: receiver `i` on another node than sender `i`
/// (when there are several), so every delivery crosses nodes.
pub async fn pairs_closed_on(nodes: &[Server], pairs: usize, dur: Duration, epoch: Instant) -> Result<Report> {
    let d = Arc::new(Deliveries::new(epoch));
    let rx = connect_spread(nodes, "r", pairs, 0, 1, Some(deliveries_push(&d))).await?;
    let tx = Arc::new(connect_spread(nodes, "s", pairs, 0, 0, None).await?);
    let cpu_of = || nodes.iter().map(Server::cpu_secs).sum::<f64>();
    let cpu0 = cpu_of();
    let acked = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    let end = t + dur;
    let mut tasks = Vec::new();
    for i in 0..pairs {
        let (tx, acked) = (tx.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Lat::default();
            let to = user("r", i);
            let mut n = 0u64;
            while Instant::now() < end {
                match tx[i].send_acked(1, &to, n, epoch).await {
                    Ok(l) => {
                        lat.push(l);
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => return Err(e),
                }
                n += 1;
            }
            Ok::<_, anyhow::Error>((lat, n))
        }));
    }
    let mut lat = Lat::default();
    let mut sent = Vec::new();
    for t in tasks {
        let (l, n) = t.await??;
        lat.extend(&l);
        sent.push(n);
    }
    let el = t.elapsed().as_secs_f64();
    let total = acked.load(Ordering::Relaxed);
    let cpu = cpu_of() - cpu0;
    wait_until(Duration::from_secs(15), || d.count() >= total).await;
    let lost = (0..pairs).map(|i| (0..sent[i]).filter(|n| !d.has(i, i, *n)).count() as u64).sum::<u64>();
    let rate = total as f64 / el;
    drop((rx, tx));
    Ok(Report {
        lines: vec![
            format!("{rate:.0} acked durable msg/s ({total} in {el:.1} s; server CPU {:.0} %)", cpu / el * 100.0),
            format!("ack {}", lat.summary()),
            format!("delivery {}; lost {lost} dup {}", d.lat().summary(), d.dups()),
        ],
        figure: rate,
    })
}

/// `pairs` senders each sending `per_sender` msg/s (open loop, not waiting for acks) for `dur`.
pub async fn pairs_paced(dir: &Path, pairs: usize, per_sender: f64, dur: Duration, epoch: Instant) -> Result<Report> {
    let srv = Server::start(dir, &[])?;
    let r = pairs_paced_on(std::slice::from_ref(&srv), pairs, per_sender, dur, epoch).await;
    srv.stop();
    r
}

/// [`pairs_paced`] on the nodes of a service, each receiver on another node than its sender.
pub async fn pairs_paced_on(
    nodes: &[Server],
    pairs: usize,
    per_sender: f64,
    dur: Duration,
    epoch: Instant,
) -> Result<Report> {
    let d = Arc::new(Deliveries::new(epoch));
    let rx = connect_spread(nodes, "r", pairs, 0, 1, Some(deliveries_push(&d))).await?;
    let tx = Arc::new(connect_spread(nodes, "s", pairs, 0, 0, None).await?);
    let (lat, total, el) = paced_c2c(tx.clone(), pairs, per_sender, dur, epoch, "r").await?;
    wait_until(Duration::from_secs(15), || d.count() >= total).await;
    let got = d.count();
    drop((rx, tx));
    Ok(Report {
        lines: vec![
            format!("offered {:.0} msg/s, acked {:.0} msg/s", pairs as f64 * per_sender, total as f64 / el),
            format!("ack {}", lat.summary()),
            format!("delivery {}; lost {} dup {}", d.lat().summary(), total.saturating_sub(got), d.dups()),
        ],
        figure: lat.p(0.99),
    })
}

/// Open-loop C2C load: sender i sends to `<to_prefix>i` every 1/`per_sender` s. Returns the
/// ack latencies, how many were acked, and the elapsed seconds.
pub async fn paced_c2c(
    tx: Arc<Vec<Client>>,
    pairs: usize,
    per_sender: f64,
    dur: Duration,
    epoch: Instant,
    to_prefix: &str,
) -> Result<(Lat, u64, f64)> {
    let t = Instant::now();
    let end = t + dur;
    let period = Duration::from_secs_f64(1.0 / per_sender);
    let mut tasks = Vec::new();
    for i in 0..pairs {
        let tx = tx.clone();
        let to = user(to_prefix, i);
        // Spread the senders over one period so the load is even.
        let start = t + period.mul_f64(i as f64 / pairs as f64);
        tasks.push(tokio::spawn(async move {
            let mut waits = Vec::new();
            let mut next = start;
            let mut n = 0u64;
            while next < end {
                tokio::time::sleep_until(next.into()).await;
                let sent = Instant::now();
                let rx = tx[i].request(Client::send_frame(1, &to, i, n, epoch))?;
                waits.push(tokio::spawn(async move {
                    match rx.await {
                        Ok(r) if r.code == 0 => Some(sent.elapsed()),
                        _ => None,
                    }
                }));
                n += 1;
                next += period;
            }
            let mut lat = Lat::default();
            for w in waits {
                if let Some(l) = w.await? {
                    lat.push(l);
                }
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut lat = Lat::default();
    for t in tasks {
        lat.extend(&t.await??);
    }
    let n = lat.0.len() as u64;
    Ok((lat, n, t.elapsed().as_secs_f64()))
}

/// One connection sends `n` messages back to back: msg/s, and acks must come in send order.
pub async fn pipelined(dir: &Path, scale: Scale, epoch: Instant) -> Result<Report> {
    let srv = Server::start(dir, &[])?;
    let d = Arc::new(Deliveries::new(epoch));
    let rx = connect_all(&srv, "r", 1, 1, Some(deliveries_push(&d))).await?;
    let tx = connect_all(&srv, "s", 1, 0, None).await?;
    let n = scale.n(5000, 1000) as u64;
    let t = Instant::now();
    let mut waits = Vec::new();
    for i in 0..n {
        waits.push(tx[0].request(Client::send_frame(1, "r0", 0, i, epoch))?);
    }
    let mut lat = Lat::default();
    let mut order_ok = true;
    let mut last = t;
    for w in waits {
        let r = w.await.context("connection closed")?;
        if r.code != 0 {
            bail!("send refused: {} {}", r.code, r.desc);
        }
        if r.at < last {
            order_ok = false;
        }
        last = r.at;
        lat.push(r.at - t);
    }
    let el = t.elapsed().as_secs_f64();
    wait_until(Duration::from_secs(15), || d.count() >= n).await;
    // Receivers must see them in send order too.
    let rate = n as f64 / el;
    drop((rx, tx));
    srv.stop();
    Ok(Report {
        lines: vec![
            format!("{rate:.0} msg/s ({n} sends pipelined on one connection); acks in send order: {order_ok}"),
            format!("delivered {} lost {} dup {}", d.count(), n - d.count().min(n), d.dups()),
        ],
        figure: rate,
    })
}

/// Create a group of `kind` owned by `owner` with `members` (ids), in chunks the frame limit
/// allows (the first chunk at creation, the rest invited).
pub async fn create_group(owner: &Client, kind: u32, gid: &str, members: &[String]) -> Result<()> {
    let arr: Vec<_> = members.iter().map(|m| json!({"group_member_info_identifier": m})).collect();
    let r = owner
        .call(json!({"type": "create_group", "param": {
            "create_group_param_group_name": "bench", "create_group_param_group_id": gid,
            "create_group_param_group_type": kind, "create_group_param_group_member_array": arr,
        }}))
        .await?;
    if r.code != 0 {
        bail!("create group: {} {}", r.code, r.desc);
    }
    Ok(())
}

/// A group scenario: its type and id, how many members and how many of them online, the
/// message rate, and C2C pairs sending alongside.
pub struct Fanout<'a> {
    pub kind: u32,
    pub gid: &'a str,
    pub members: usize,
    pub online: usize,
    pub rate: f64,
    pub dur: Duration,
    pub c2c_pairs: usize,
}

/// A group with `online` of its `members` connected; `rate` msg/s sent by a few of them for
/// `dur` (open loop); every other online member must get each message once.
pub async fn group_fanout(dir: &Path, f: Fanout<'_>, epoch: Instant) -> Result<Report> {
    let srv = Server::start(dir, &[])?;
    let r = group_fanout_on(std::slice::from_ref(&srv), f, epoch).await;
    srv.stop();
    r
}

/// [`group_fanout`] on the nodes of a service, members spread over them.
pub async fn group_fanout_on(nodes: &[Server], f: Fanout<'_>, epoch: Instant) -> Result<Report> {
    let Fanout { kind, gid, members, online, rate, dur, c2c_pairs } = f;
    let d = Arc::new(Deliveries::new(epoch).skipping_self());
    let t_setup = Instant::now();
    // Everyone logs in once so their user exists; the offline ones leave again.
    let on = connect_spread(nodes, "m", online, 0, 0, Some(deliveries_push(&d))).await?;
    if members > online {
        let rest = stream::iter(online..members)
            .map(|i| {
                let name = user("m", i);
                let srv = &nodes[i % nodes.len()];
                let sig = srv.sig(&name);
                let (url, app) = (srv.url.clone(), srv.sdk_app_id);
                async move {
                    let c = Client::connect(&url, i, None).await?;
                    c.login(&Login { sdk_app_id: app, user: &name, sig: &sig, resume: false }).await?;
                    c.close();
                    Ok::<_, anyhow::Error>(())
                }
            })
            .buffered(256)
            .collect::<Vec<_>>()
            .await;
        for r in rest {
            r?;
        }
    }
    let ids: Vec<String> = (1..members).map(|i| user("m", i)).collect();
    create_group(&on[0], kind, gid, &ids).await?;
    let setup = t_setup.elapsed().as_secs_f64();
    // C2C pairs alongside, to see that unrelated users are not slowed down.
    let (c2c_tx, c2c_rx) = if c2c_pairs > 0 {
        let dc = Arc::new(Deliveries::new(epoch));
        let rx = connect_spread(nodes, "cr", c2c_pairs, 0, 1, Some(deliveries_push(&dc))).await?;
        let tx = connect_spread(nodes, "cs", c2c_pairs, 0, 0, None).await?;
        (Some(Arc::new(tx)), Some(rx))
    } else {
        (None, None)
    };
    let on = Arc::new(on);
    let senders = 8.min(online);
    let t = Instant::now();
    let c2c = c2c_tx.clone().map(|tx| tokio::spawn(paced_c2c(tx, c2c_pairs, 10.0, dur, epoch, "cr")));
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut waits = Vec::new();
    let mut next = t;
    let mut n = 0u64;
    let mut sent: Vec<(usize, u64)> = Vec::new();
    while next < t + dur {
        tokio::time::sleep_until(next.into()).await;
        let s = (n as usize) % senders;
        let at = Instant::now();
        let rx = on[s].request(Client::send_frame(2, gid, s, n, epoch))?;
        waits.push(tokio::spawn(async move { rx.await.ok().filter(|r| r.code == 0).map(|_| at.elapsed()) }));
        sent.push((s, n));
        n += 1;
        next += period;
    }
    let mut ack = Lat::default();
    let mut refused = 0;
    for w in waits {
        match w.await? {
            Some(l) => ack.push(l),
            None => refused += 1,
        }
    }
    let expected = (sent.len() - refused) as u64 * (online as u64 - 1);
    let own = || d.count();
    wait_until(Duration::from_secs(60), || own() >= expected).await;
    let got = d.count();
    let mut lines = vec![
        format!(
            "{members} members, {online} online, {:.0} msg/s for {:.0} s (setup {setup:.1} s)",
            rate,
            dur.as_secs_f64()
        ),
        format!("ack {}; refused {refused}", ack.summary()),
        format!(
            "delivery {}; delivered {got} of {expected}; missing {} dup {}",
            d.lat().summary(),
            expected.saturating_sub(got),
            d.dups()
        ),
    ];
    if let Some(c) = c2c {
        let (lat, total, el) = c.await??;
        lines.push(format!("meanwhile C2C ({c2c_pairs} pairs, {:.0} msg/s): ack {}", total as f64 / el, lat.summary()));
    }
    drop((on, c2c_tx, c2c_rx));
    Ok(Report { lines, figure: d.lat().p(0.99) })
}

/// One message to a Community of `members` (seeded straight into the database: no frame can
/// carry 100,000 member ids): how long until it is committed (the sender's ack).
pub async fn huge_community(dir: &Path, members: usize, epoch: Instant) -> Result<Report> {
    let gid = "@TGS#_huge";
    {
        let srv = Server::start(dir, &[])?;
        let owner = connect_all(&srv, "m", 1, 0, None).await?;
        create_group(&owner[0], 5, gid, &[]).await?;
        drop(owner);
        srv.stop();
    }
    let t_seed = Instant::now();
    seed_members(&dir.join("confab.db"), gid, members).await?;
    let seeded = t_seed.elapsed().as_secs_f64();
    let srv = Server::start(dir, &[])?;
    let owner = connect_all(&srv, "m", 1, 0, None).await?;
    let mut ack = Lat::default();
    for i in 0..5 {
        ack.push(owner[0].send_acked(2, gid, i, epoch).await?);
    }
    drop(owner);
    srv.stop();
    Ok(Report {
        lines: vec![format!("{members} members (seeded in {seeded:.1} s); one message committed: {}", ack.summary())],
        figure: ack.p(0.5),
    })
}

async fn seed_members(db: &Path, gid: &str, members: usize) -> Result<()> {
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await?;
    let mut tx = c.begin().await?;
    for i in 1..members {
        let u = user("m", i);
        sqlx::query("INSERT INTO users (user_id, created_at) VALUES ($1, 0) ON CONFLICT DO NOTHING")
            .bind(&u)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO group_members (group_id, user_id, role, join_time) VALUES ($1, $2, 200, 0)")
            .bind(gid)
            .bind(&u)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `n` users connected; all drop and reconnect at once (resume logins), then sync.
pub async fn reconnect_storm(dir: &Path, n: usize) -> Result<Report> {
    let srv = Server::start(dir, &[])?;
    let first = connect_all(&srv, "u", n, 0, None).await?;
    for c in &first {
        c.close();
    }
    drop(first);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let url = srv.url.clone();
    let app = srv.sdk_app_id;
    let sigs: Vec<String> = (0..n).map(|i| srv.sig(&user("u", i))).collect();
    let t = Instant::now();
    let results: Vec<Result<Client>> = stream::iter(0..n)
        .map(|i| {
            let url = url.clone();
            let sig = sigs[i].clone();
            async move {
                let name = user("u", i);
                let c = Client::connect(&url, i, None).await?;
                c.login(&Login { sdk_app_id: app, user: &name, sig: &sig, resume: true }).await?;
                let r = c.call(json!({"type": "sync", "after": 0})).await?;
                if r.code != 0 {
                    bail!("sync: {} {}", r.code, r.desc);
                }
                Ok(c)
            }
        })
        .buffer_unordered(1000)
        .collect()
        .await;
    let el = t.elapsed().as_secs_f64();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let err = results.iter().find_map(|r| r.as_ref().err().map(|e| e.to_string()));
    drop(results);
    srv.stop();
    let mut lines = vec![format!("{ok} of {n} reconnected and synced in {el:.2} s: {:.0} logins/s", ok as f64 / el)];
    if let Some(e) = err {
        lines.push(format!("first failure: {e}"));
    }
    Ok(Report { lines, figure: ok as f64 / el })
}

/// Server memory per idle logged-in connection.
pub async fn idle_memory(dir: &Path, n: usize) -> Result<Report> {
    let srv = Server::start(dir, &[])?;
    // Warm up: a few connections so one-off allocations are in the baseline.
    let warm = connect_all(&srv, "w", 50, 0, None).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = srv.rss();
    let clients = connect_all(&srv, "u", n, 0, None).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = srv.rss();
    let per = (after.saturating_sub(before)) as f64 / n as f64;
    drop((warm, clients));
    srv.stop();
    Ok(Report {
        lines: vec![format!(
            "{n} idle logged-in connections: server RSS {:.1} MB → {:.1} MB, {:.1} KiB per connection",
            before as f64 / 1e6,
            after as f64 / 1e6,
            per / 1024.0
        )],
        figure: per / 1024.0,
    })
}
