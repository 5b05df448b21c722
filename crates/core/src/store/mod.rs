//! The local store: one SQLite database per logged-in user (sqlx, WAL, append-only migrations
//! in `crates/core/migrations`).
//!
//! Messages are kept in the viewer's form; a message is identified by `message_msg_id`, so it
//! is stored once however it arrives (send echo, push, offline sync, roaming page).
//!
//! Layer: store, above the base layer. It may import `util` and `error` only, and it is the
//! only folder of this crate that holds SQL: every statement is a function here with a typed
//! signature, and the connection pool is private to this folder. Callers write through
//! [`LocalStore::begin`] (a transaction) or [`LocalStore::conn`] (a connection, one implicit
//! transaction per statement) and the write functions below, which take a connection.
//!
//! - `messages.rs`: messages (put, get, pages, sort keys, read marks);
//! - `conversations.rs`: conversation rows and what a ConvInfo shows (unread, drafts, pins,
//!   receive options, group types, @ marks);
//! - `search.rs`: the search index (kept in step by `put_msg`) and its query;
//! - `media_cache.rs`: the bookkeeping table of the media cache (`media/cache.rs` owns the files).
use std::path::Path;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

use crate::error::Error;

pub mod conversations;
pub mod media_cache;
pub mod messages;
pub mod search;

pub use conversations::{
    add_group_at, add_unread, delete_conv, ensure_conv, forget_group_type, group_at_type, set_conv_face, set_conv_name,
    set_draft, set_peer_read, set_pin, set_show_name, with_peer_read,
};
pub use messages::{get_msg_in, mark_read, put_msg, sort_time, SortKey};

/// A write transaction (see [`LocalStore::begin`]).
pub type Tx = sqlx::Transaction<'static, Sqlite>;
/// A connection of the store's pool (see [`LocalStore::conn`]).
pub type Conn = PoolConnection<Sqlite>;

#[derive(Clone)]
pub struct LocalStore {
    pool: SqlitePool,
}

fn corrupt(e: serde_json::Error) -> Error {
    Error::Store(format!("stored JSON is corrupt: {e}"))
}

impl LocalStore {
    pub async fn open(path: &Path) -> Result<LocalStore, Error> {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| Error::Io(e.to_string()))?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts).await?;
        sqlx::migrate!("./migrations").run(&pool).await.map_err(|e| Error::Store(e.to_string()))?;
        Ok(LocalStore { pool })
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so two writers
    /// queue on the busy timeout instead of failing on a read-to-write lock upgrade.
    pub async fn begin(&self) -> Result<Tx, Error> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// A connection for writes outside a transaction: each statement commits on its own.
    pub async fn conn(&self) -> Result<Conn, Error> {
        Ok(self.pool.acquire().await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn kv_get(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(sqlx::query_scalar("SELECT value FROM kv WHERE key = ?").bind(key).fetch_optional(&self.pool).await?)
    }
}

pub async fn kv_set(c: &mut SqliteConnection, key: &str, value: &str) -> Result<(), Error> {
    sqlx::query("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn kv_delete(c: &mut SqliteConnection, key: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM kv WHERE key = ?").bind(key).execute(c).await?;
    Ok(())
}
