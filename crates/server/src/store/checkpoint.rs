//! SQLite: the WAL is copied back into the database file by a connection of its own, off the
//! writer's path.
//!
//! With SQLite's automatic checkpoint, the commit that takes the WAL past 1,000 pages copies
//! them into the database file and fsyncs it before it returns, and every ack of that batch
//! waits: under 5,000 msg/s that happened every ~90 ms and held the writer ~10–30 ms (strace:
//! the database file's fsync). Here the writer never checkpoints (`wal_autocheckpoint=0`); this
//! task runs PASSIVE checkpoints, which do not block the writer. Under a steady load they never
//! quite catch up with the WAL's end, so SQLite cannot start the WAL over; past
//! [`WAL_RESTART_PAGES`] a RESTART checkpoint (which holds the writer while it finishes the
//! little a PASSIVE one left) bounds the file.
use std::time::Duration;

use sqlx::SqliteConnection;
use tokio::sync::mpsc::WeakSender;

use super::writer::Work;

/// How often the WAL is copied back.
const EVERY: Duration = Duration::from_millis(100);
/// A WAL longer than this (in pages of 4 KiB: 32 MiB) is started over, holding the writer.
const WAL_RESTART_PAGES: i64 = 8192;

/// Checkpoint until the writer is gone (the last `Store` dropped).
pub(super) async fn checkpointer(mut conn: SqliteConnection, writer: WeakSender<Work>) {
    loop {
        tokio::time::sleep(EVERY).await;
        if writer.strong_count() == 0 {
            break;
        }
        let r: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&mut conn).await;
        match r {
            Ok((_, log, done)) if log > WAL_RESTART_PAGES && done < log => {
                tracing::debug!(log, done, "the WAL is long: starting it over");
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(RESTART)").execute(&mut conn).await {
                    tracing::warn!(error = %e, "a RESTART checkpoint failed");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "a checkpoint failed"),
        }
    }
}
