//! SQLite: the WAL is copied back into the database file by a connection of its own, off the
//! writer's path.
//!
//! With SQLite's automatic checkpoint, the commit that takes the WAL past 1,000 pages copies
//! them into the database file and fsyncs it before it returns, and every ack of that batch
//! waits: under 5,000 msg/s that happened every ~90 ms and held the writer ~10–30 ms (perf
//! trace: the database file's fsync). Here the writer never checkpoints on commit
//! (`wal_autocheckpoint=0`); this task runs PASSIVE checkpoints, which do not block the writer.
//!
//! SQLite starts the WAL over only when a write finds it entirely copied back, which a
//! checkpoint running beside a busy writer never achieves (frames keep arriving while it
//! copies): left alone, the file grew by 55 MB/s under that load. So past [`WAL_RESTART_PAGES`]
//! the checkpointer asks the writer, which, once its batch is answered, runs a RESTART
//! checkpoint itself: it copies the little the last PASSIVE one left, and the next write starts
//! the WAL from its beginning. One short pause of the writer per 32 MiB of WAL instead of one
//! per 4 MiB.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqliteConnection;
use tokio::sync::mpsc::WeakSender;

use super::writer::Work;
use super::Tx;

/// How often the WAL is copied back.
const EVERY: Duration = Duration::from_millis(100);
/// A WAL longer than this (in pages of 4 KiB: 32 MiB) is started over by the writer.
const WAL_RESTART_PAGES: i64 = 8192;

/// Checkpoint until the writer is gone (the last `Store` dropped).
pub(super) async fn checkpointer(mut conn: SqliteConnection, writer: WeakSender<Work>, restart: Arc<AtomicBool>) {
    loop {
        tokio::time::sleep(EVERY).await;
        if writer.strong_count() == 0 {
            break;
        }
        let r: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&mut conn).await;
        match r {
            Ok((_, log, _)) if log > WAL_RESTART_PAGES => restart.store(true, Ordering::Relaxed),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "a checkpoint failed"),
        }
    }
}

/// The writer, between batches: start the WAL over if the checkpointer asked.
pub(super) async fn restart_if_asked(tx: &mut Tx) {
    let Some(flag) = &tx.wal_restart else { return };
    if !flag.swap(false, Ordering::Relaxed) {
        return;
    }
    let super::Db::Lite(c) = tx.conn.db() else { return };
    let r: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(RESTART)").fetch_one(c).await;
    match r {
        Ok((0, log, done)) => tracing::debug!(log, done, "the WAL starts over"),
        Ok((_, log, done)) => tracing::debug!(log, done, "the WAL could not start over yet (readers)"),
        Err(e) => tracing::warn!(error = %e, "a RESTART checkpoint failed"),
    }
}
