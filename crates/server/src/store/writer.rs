//! The SQLite writer: one task owns the write connection and group-commits.
//!
//! Work that arrives together shares one transaction and one fsync (`synchronous=FULL`); each
//! caller is answered only after COMMIT, so an acknowledged write is on disk and many concurrent
//! senders share one fsync. A generic job runs in its own savepoint (a failure rolls back that
//! job alone); consecutive sends are stored together by [`Tx::append_batch`]. Effects of the
//! batch (pushes, fan-outs, subscription changes) are handed on after the commit, in commit
//! order, so a user's live events arrive in inbox order.
//!
//! On SQLite this task runs every write one after another, so the per-conversation and
//! per-inbox sequence counters live in its memory ([`SeqCache`]): read from the table once and
//! advanced here. A rollback may have advanced them, so they are forgotten after any rollback.
//! On PostgreSQL other nodes write too: the counters are rows (`conv_seqs`, `inbox_seqs`)
//! advanced by an upsert `… RETURNING` inside the transaction, and the cache stays empty.
use std::collections::HashMap;

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};

use super::append::{Append, Appended};
use super::{BoxFuture, Deliver, Tx};
use crate::error::{Error, Result, StoreError};

/// Sequence counters of this writer (see the module doc).
#[derive(Default)]
pub(super) struct SeqCache {
    pub conv: HashMap<(u32, String), u64>,
    pub inbox: HashMap<String, u64>,
}

impl SeqCache {
    pub(super) fn clear(&mut self) {
        self.conv.clear();
        self.inbox.clear();
    }
}

/// One write job, type-erased for the queue. `run` executes it inside the batch's transaction
/// (keeping its result); `finish` answers the caller once the batch's fate is known.
pub(super) trait Job: Send {
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, bool>;
    fn finish(self: Box<Self>, commit: std::result::Result<(), ()>);
}

pub(super) struct TypedJob<T, F> {
    f: Option<F>,
    out: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> TypedJob<T, F> {
    pub fn new(f: F, reply: oneshot::Sender<Result<T>>) -> Self {
        TypedJob { f: Some(f), out: None, reply }
    }
}

fn commit_failed() -> Error {
    Error::Store(StoreError::Db(sqlx::Error::Protocol("commit failed".into())))
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send + 'static,
    F: for<'a> FnOnce(&'a mut Tx) -> BoxFuture<'a, Result<T>> + Send + 'static,
{
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let Some(f) = self.f.take() else { return false };
            let r = f(tx).await;
            let ok = r.is_ok();
            self.out = Some(r);
            ok
        })
    }

    fn finish(self: Box<Self>, commit: std::result::Result<(), ()>) {
        let r = match (commit, self.out) {
            (Ok(()), Some(r)) => r,
            (Ok(()), None) => Err(StoreError::Closed.into()),
            (Err(()), _) => Err(commit_failed()),
        };
        let _ = self.reply.send(r);
    }
}

/// What the writer's queue carries.
pub(super) enum Work {
    Job(Box<dyn Job>),
    Append(Box<Append>, oneshot::Sender<Result<Appended>>),
}

const MAX_BATCH: usize = 512;
const QUEUE: usize = 8192;

pub(super) fn spawn(tx: Tx, deliver: Deliver) -> (mpsc::Sender<Work>, tokio::task::JoinHandle<()>) {
    let (jobs, rx) = mpsc::channel::<Work>(QUEUE);
    (jobs, tokio::spawn(writer_loop(tx, rx, deliver)))
}

async fn exec(tx: &mut Tx, q: &str) -> std::result::Result<(), sqlx::Error> {
    super::sql!(exec tx.conn, q).map(|_| ())
}

pub(super) async fn savepoint(tx: &mut Tx, name: &str) -> std::result::Result<(), sqlx::Error> {
    exec(tx, &format!("SAVEPOINT {name}")).await
}

pub(super) async fn release(tx: &mut Tx, name: &str) -> std::result::Result<(), sqlx::Error> {
    exec(tx, &format!("RELEASE {name}")).await
}

/// Undo a savepoint's work and end it.
pub(super) async fn rollback_to(tx: &mut Tx, name: &str) -> std::result::Result<(), sqlx::Error> {
    let r = exec(tx, &format!("ROLLBACK TO {name}")).await;
    let _ = release(tx, name).await;
    r
}

/// PostgreSQL: after a batch failed, check that the writer's connection is alive and open a new
/// one if not (the database restarted or a network path broke). Callers of the failed batch
/// were told it failed; the next batch runs on the new connection.
async fn revive(tx: &mut Tx) {
    use sqlx::Connection;
    let Some(opts) = tx.reopen.clone() else { return };
    let wait = std::time::Duration::from_secs(2);
    if let super::Db::Pg(c) = tx.conn.db() {
        if matches!(tokio::time::timeout(wait, c.ping()).await, Ok(Ok(()))) {
            return;
        }
    }
    match tokio::time::timeout(wait, sqlx::PgConnection::connect_with(&opts)).await {
        Ok(Ok(c)) => {
            tracing::info!("the writer reconnected to the database");
            tx.conn = super::Conn { inner: super::ConnInner::PgWriter(c) };
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "the database is unreachable; writes fail until it is back"),
        Err(_) => tracing::warn!("the database did not answer; writes fail until it is back"),
    }
}

/// A finished piece of work waiting for the commit.
enum Done {
    Job(Box<dyn Job>),
    Append(oneshot::Sender<Result<Appended>>, Box<Result<Appended>>),
}

async fn writer_loop(mut tx: Tx, mut rx: mpsc::Receiver<Work>, deliver: Deliver) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        // SQLite: take the write lock now (one writer). PostgreSQL: rows are locked as the
        // jobs touch them (other nodes write too).
        let begin = if tx.conn.is_pg() { "BEGIN" } else { "BEGIN IMMEDIATE" };
        if let Err(e) = exec(&mut tx, begin).await {
            tracing::error!(error = %e, "writer could not begin a transaction");
            for w in batch {
                match w {
                    Work::Job(j) => j.finish(Err(())),
                    Work::Append(_, reply) => {
                        let _ = reply.send(Err(commit_failed()));
                    }
                }
            }
            revive(&mut tx).await;
            continue;
        }
        let mut done: Vec<Done> = Vec::with_capacity(batch.len());
        let mut healthy = true;
        let mut appends: Vec<(Append, oneshot::Sender<Result<Appended>>)> = Vec::new();
        for w in batch {
            match w {
                Work::Append(a, reply) => appends.push((*a, reply)),
                Work::Job(mut job) => {
                    // Sends queued before this job are stored before it.
                    healthy &= store_appends(&mut tx, &mut appends, &mut done).await;
                    let effects_before = tx.effects.len();
                    let ok = match savepoint(&mut tx, "job").await {
                        // A job that panics is a failed job: rolled back alone, the writer
                        // goes on (a dead writer would fail every write from then on).
                        Ok(()) => match AssertUnwindSafe(job.run(&mut tx)).catch_unwind().await {
                            Ok(ok) => ok,
                            Err(_) => {
                                tracing::error!("a write job panicked; it is rolled back");
                                false
                            }
                        },
                        Err(e) => {
                            tracing::error!(error = %e, "savepoint failed");
                            false
                        }
                    };
                    if ok {
                        if let Err(e) = release(&mut tx, "job").await {
                            tracing::error!(error = %e, "savepoint release failed");
                        }
                    } else {
                        tx.effects.truncate(effects_before);
                        if let Err(e) = rollback_to(&mut tx, "job").await {
                            tracing::error!(error = %e, "savepoint rollback failed");
                        }
                        // The rolled-back job may have advanced the cached counters.
                        tx.seqs.clear();
                    }
                    done.push(Done::Job(job));
                }
            }
        }
        healthy &= store_appends(&mut tx, &mut appends, &mut done).await;
        let committed = if healthy {
            exec(&mut tx, "COMMIT").await
        } else {
            Err(sqlx::Error::Protocol("a statement of the batch failed".into()))
        };
        // Cached rows the batch changed are dropped whatever happened (a dropped entry is only
        // read again).
        let invalidations = std::mem::take(&mut tx.invalidations);
        for inv in &invalidations {
            tx.caches.apply(inv);
        }
        match committed {
            Ok(()) => {
                let mut effects = std::mem::take(&mut tx.effects);
                effects.extend(invalidations.into_iter().map(super::Effect::CacheChanged));
                if !effects.is_empty() {
                    if let Some(out) = deliver(effects) {
                        out.await;
                    }
                }
                for d in done {
                    match d {
                        Done::Job(j) => j.finish(Ok(())),
                        Done::Append(reply, r) => {
                            let _ = reply.send(*r);
                        }
                    }
                }
                // Answered first: only the next batch waits for the WAL to start over.
                super::checkpoint::restart_if_asked(&mut tx).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "commit failed; the batch is rolled back");
                let _ = exec(&mut tx, "ROLLBACK").await;
                tx.effects.clear();
                tx.seqs.clear();
                for d in done {
                    match d {
                        Done::Job(j) => j.finish(Err(())),
                        Done::Append(reply, _) => {
                            let _ = reply.send(Err(commit_failed()));
                        }
                    }
                }
                revive(&mut tx).await;
            }
        }
    }
}

/// Store the sends queued so far; false when a statement failed and the transaction must be
/// rolled back.
async fn store_appends(
    tx: &mut Tx,
    appends: &mut Vec<(Append, oneshot::Sender<Result<Appended>>)>,
    done: &mut Vec<Done>,
) -> bool {
    if appends.is_empty() {
        return true;
    }
    let (batch, replies): (Vec<Append>, Vec<_>) = std::mem::take(appends).into_iter().unzip();
    let stored = AssertUnwindSafe(tx.append_batch(batch)).catch_unwind().await;
    let stored = stored.unwrap_or_else(|_| Err(Error::Store(StoreError::Corrupt("storing messages panicked".into()))));
    match stored {
        Ok(results) => {
            for (reply, r) in replies.into_iter().zip(results) {
                done.push(Done::Append(reply, Box::new(r)));
            }
            true
        }
        Err(e) => {
            tracing::error!(error = %e, "storing messages failed; the batch is rolled back");
            for reply in replies {
                done.push(Done::Append(reply, Box::new(Err(commit_failed()))));
            }
            false
        }
    }
}
