//! The same load on three deployments, in one run: one node on the embedded SQLite, one node on
//! PostgreSQL, three nodes on PostgreSQL + NATS (every node, PostgreSQL, NATS and the load
//! generator share this machine). PostgreSQL runs durable (fsync on, as in production).
//! Rows: one-to-one pairs with one message in flight each (durable acked msg/s, ack and delivery
//! latency at saturation), the same paced at 10 msg/s per pair (latency at a steady load); on
//! three nodes every receiver is on another node than its sender. And a group with its members
//! spread over the nodes at 40 msg/s.
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use confab_server::config::AppIdentity;
use confab_tests::engines::{schema_url, NatsServer, PgCluster};

use crate::scenarios::{self, Fanout, Report};
use crate::server::Server;

pub enum Deployment {
    Sqlite,
    Postgres,
    ThreeNodes,
}

impl Deployment {
    pub fn name(&self) -> &'static str {
        match self {
            Deployment::Sqlite => "1 node, SQLite",
            Deployment::Postgres => "1 node, PostgreSQL",
            Deployment::ThreeNodes => "3 nodes, PostgreSQL + NATS",
        }
    }
}

/// The nodes of a deployment and the engines they use (stopped on drop).
struct Service {
    nodes: Vec<Server>,
    pg: Option<PgCluster>,
    _nats: Option<NatsServer>,
}

impl Drop for Service {
    fn drop(&mut self) {
        for n in self.nodes.drain(..) {
            n.stop();
        }
        if let Some(pg) = &self.pg {
            let _ = pg.stop();
        }
    }
}

fn start(dir: &Path, d: &Deployment) -> Result<Service> {
    std::fs::create_dir_all(dir)?;
    let id = AppIdentity::load_or_create(&dir.join("identity"), None, None)?;
    match d {
        Deployment::Sqlite => {
            Ok(Service { nodes: vec![Server::start_as(&dir.join("n0"), &id, &[])?], pg: None, _nats: None })
        }
        Deployment::Postgres | Deployment::ThreeNodes => {
            let pg = PgCluster::start(&dir.join("pg"), true).context("PostgreSQL (package postgresql)")?;
            let store = schema_url(&pg.url(), &dir.join("service"))?;
            let media = dir.join("media").to_string_lossy().to_string();
            let mut svc = Service { nodes: Vec::new(), pg: Some(pg), _nats: None };
            let (count, bus) = match d {
                Deployment::ThreeNodes => {
                    let nats = NatsServer::start().context("nats-server (package nats-server)")?;
                    let url = nats.url();
                    svc._nats = Some(nats);
                    (3, Some(url))
                }
                _ => (1, None),
            };
            for i in 0..count {
                let mut extra = vec!["--store", &store, "--media-dir", &media];
                if let Some(b) = &bus {
                    extra.extend(["--bus", b]);
                }
                svc.nodes.push(Server::start_as(&dir.join(format!("n{i}")), &id, &extra)?);
            }
            Ok(svc)
        }
    }
}

/// Both rows on one deployment; each row on a fresh service.
pub async fn run(
    dir: &Path,
    d: &Deployment,
    pairs: usize,
    members: usize,
    dur: Duration,
    epoch: Instant,
) -> Vec<(String, Result<Report>)> {
    let mut out = Vec::new();
    let pairs_row = async {
        let svc = start(&dir.join("pairs"), d)?;
        scenarios::pairs_closed_on(&svc.nodes, pairs, dur, epoch).await
    };
    out.push((format!("{}: {pairs} pairs, 1 in flight each", d.name()), pairs_row.await));
    // Delivery latency at a steady load (not at saturation): 10 msg/s from each of half as many pairs.
    let paced_pairs = pairs / 2;
    let paced_row = async {
        let svc = start(&dir.join("paced"), d)?;
        scenarios::pairs_paced_on(&svc.nodes, paced_pairs, 10.0, dur, epoch).await
    };
    out.push((format!("{}: paced {} msg/s over {paced_pairs} pairs", d.name(), paced_pairs * 10), paced_row.await));
    let group_row = async {
        let svc = start(&dir.join("group"), d)?;
        let f = Fanout { kind: 2, gid: "bench-spread", members, online: members, rate: 40.0, dur, c2c_pairs: 0 };
        scenarios::group_fanout_on(&svc.nodes, f, epoch).await
    };
    out.push((format!("{}: ChatRoom of {members} online members, 40 msg/s", d.name()), group_row.await));
    out
}
