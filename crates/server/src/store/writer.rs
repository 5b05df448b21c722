//! The SQLite writer: one task owns the write connection and group-commits.
//!
//! Jobs that arrive together share one transaction (each in its own savepoint) and one fsync
//! (`synchronous=FULL`); each caller is answered only after COMMIT, so an acknowledged write is
//! on disk and many concurrent senders share one fsync. Pushes a job queued go out after the
//! commit, in commit order, so a user's live events arrive in inbox order.
//!
//! Because this task runs every write job one after another, the per-conversation and
//! per-inbox sequence counters can live in its memory ([`SeqCache`]): they are read from the
//! table once and advanced here. A rolled-back job may have advanced them, so they are
//! forgotten after any rollback.
use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};

use super::{BoxFuture, Deliver, Tx};
use crate::error::{Error, Result, StoreError};

/// Sequence counters of this writer (see the module doc).
#[derive(Default)]
pub(super) struct SeqCache {
    pub conv: HashMap<(u32, String), u64>,
    pub inbox: HashMap<String, u64>,
}

impl SeqCache {
    fn clear(&mut self) {
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
            (Err(()), _) => Err(Error::Store(StoreError::Db(sqlx::Error::Protocol("commit failed".into())))),
        };
        let _ = self.reply.send(r);
    }
}

const MAX_BATCH: usize = 256;
const QUEUE: usize = 4096;

pub(super) fn spawn(tx: Tx, deliver: Deliver) -> (mpsc::Sender<Box<dyn Job>>, tokio::task::JoinHandle<()>) {
    let (jobs, rx) = mpsc::channel::<Box<dyn Job>>(QUEUE);
    (jobs, tokio::spawn(writer_loop(tx, rx, deliver)))
}

async fn exec(tx: &mut Tx, sql: &str) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(sql).execute(tx.conn.db()).await.map(|_| ())
}

async fn writer_loop(mut tx: Tx, mut rx: mpsc::Receiver<Box<dyn Job>>, deliver: Deliver) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        if let Err(e) = exec(&mut tx, "BEGIN IMMEDIATE").await {
            tracing::error!(error = %e, "writer could not begin a transaction");
            for job in batch {
                job.finish(Err(()));
            }
            continue;
        }
        let mut dirty = false;
        let mut done: Vec<Box<dyn Job>> = Vec::with_capacity(batch.len());
        for mut job in batch {
            let pushes_before = tx.pushes.len();
            let ok = match exec(&mut tx, "SAVEPOINT job").await {
                Ok(()) => job.run(&mut tx).await,
                Err(e) => {
                    tracing::error!(error = %e, "savepoint failed");
                    false
                }
            };
            if !ok {
                tx.pushes.truncate(pushes_before);
                dirty = true;
            }
            if let Err(e) = exec(&mut tx, if ok { "RELEASE job" } else { "ROLLBACK TO job" }).await {
                tracing::error!(error = %e, "savepoint end failed");
                dirty = true;
            }
            if !ok {
                let _ = exec(&mut tx, "RELEASE job").await;
            }
            done.push(job);
        }
        if dirty {
            // A rolled-back job may have advanced the cached counters.
            tx.seqs.clear();
        }
        match exec(&mut tx, "COMMIT").await {
            Ok(()) => {
                let pushes = std::mem::take(&mut tx.pushes);
                if !pushes.is_empty() {
                    deliver(pushes);
                }
                for job in done {
                    job.finish(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "commit failed; the batch is rolled back");
                let _ = exec(&mut tx, "ROLLBACK").await;
                tx.pushes.clear();
                tx.seqs.clear();
                for job in done {
                    job.finish(Err(()));
                }
            }
        }
    }
}
