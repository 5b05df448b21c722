//! Server storage: the only module that holds SQL.
//!
//! Layer: infrastructure. Imports only `error` and `config` of this crate; nothing here knows
//! about connections, pushes' destinations or request handling.
//!
//! The API handlers see:
//! - [`Store`]: the handle. [`Store::read`] lends a read connection ([`Conn`]);
//!   [`Store::write`] runs a job inside a write transaction ([`Tx`]) and answers after a
//!   durable commit.
//! - [`Conn`]: typed read queries (`conn.group(..)`, `conn.history(..)`, …), one file per
//!   concern (`users`, `devices`, `messages`, `inbox`, `conversations`, `groups`, `pendency`,
//!   `media`).
//! - [`Tx`]: a [`Conn`] inside a write transaction plus the write operations, the sequence
//!   allocators and the [`Effect`]s to carry out after commit.
//!
//! ## Serialisation contract
//! Rules that must see current data ("is this user still a member", "has this join request
//! been handled") are checked inside the write job that changes it, after taking the lock of
//! what they are about: [`Tx::lock_group`] for a group's membership, roles and settings,
//! [`Tx::next_conv_seq`] for a conversation's sequence numbers, [`Tx::append_inbox`] for a
//! user's inbox. The SQLite engine serialises every write job (one writer task, one
//! transaction at a time), so these locks cost nothing there; an engine with concurrent
//! writers takes a row lock in each of them (`SELECT … FOR UPDATE`, counters advanced by
//! `UPDATE … RETURNING`), and callers do not change.
//!
//! ## Two engines
//! SQLite (embedded, the default: a file in the data dir) and PostgreSQL (`--store
//! postgres://…`, the system of record when several nodes share one service). SQL is written
//! once in a portable subset: `$n` placeholders (SQLite accepts them too), `ON CONFLICT … DO
//! NOTHING / DO UPDATE` instead of `INSERT OR IGNORE`, `RETURNING` instead of
//! `last_insert_rowid()`, no `rowid`, integers as `BIGINT` read into `i64` (a bare literal is
//! `INTEGER` in PostgreSQL: read it as `i32`, or cast), sums cast to `BIGINT`. Each engine has
//! its own migrations (`migrations/` and `migrations-pg/`), one schema. Where the engines must
//! differ (taking a lock, allocating a seq, beginning a transaction), the code asks
//! [`Conn::is_pg`].
mod append;
mod cache;
mod checkpoint;
mod conversations;
mod devices;
mod groups;
mod inbox;
mod media;
mod messages;
mod pendency;
mod users;
mod writer;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use confab_protocol::wire::{Event, Push};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool};

pub use append::{Append, Appended};
pub use cache::Invalidate;
pub use groups::{GroupRow, NewGroup};
pub use inbox::StoredEvent;
pub use messages::{render_for, HistoryQuery, NewMessage, Revoker};
pub use pendency::{PendencyRow, PendencyUpsert};
pub use users::ProfileChange;

use crate::error::{Result, StoreError};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a committed job asks to happen next, carried out in commit order by the [`Deliver`]
/// callback (wired to the bus in `app.rs`): the store reports what changed, it never delivers.
pub enum Effect {
    /// A push for one user (an inbox event with its seq, or an online-only event with seq 0),
    /// to every session but `except_conn` (the connection that sent it, told in its ack).
    Push { user: String, push: Push, except_conn: Option<u64> },
    /// A group message stored once (read diffusion): to every subscribed member, serialized once,
    /// but the connection `except_conn` that sent it.
    GroupMsg { gid: String, msg: confab_protocol::Message, except_conn: Option<u64> },
    /// `user`'s membership of `gid` changed: whether they now receive its messages.
    Membership { gid: String, user: String, receiving: bool },
    /// A group ended.
    GroupGone { gid: String },
    /// A cached row changed (this node's caches are already up to date; other nodes' are not).
    CacheChanged(Invalidate),
}

/// Where the effects of committed jobs go, in commit order. The future it may return resolves
/// once the effects have left this node (told to the other nodes of a service); the batch's
/// callers are answered after it, so an acknowledged change is never known to this node alone.
pub type Deliver = Arc<dyn Fn(Vec<Effect>) -> Option<BoxFuture<'static, ()>> + Send + Sync>;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The embedded engine: one SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://USER:PASS@HOST:PORT/DB`), which several nodes may share.
    Postgres(String),
}

/// A connection to the database: a read connection from the pool, or the writer's own.
pub struct Conn {
    inner: ConnInner,
}

enum ConnInner {
    LiteWriter(SqliteConnection),
    LiteReader(PoolConnection<Sqlite>),
    PgWriter(PgConnection),
    PgReader(PoolConnection<Postgres>),
}

/// The engine's connection, for the [`sql!`] macro.
pub(crate) enum Db<'a> {
    Lite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
}

impl Conn {
    fn db(&mut self) -> Db<'_> {
        match &mut self.inner {
            ConnInner::LiteWriter(c) => Db::Lite(c),
            ConnInner::LiteReader(c) => Db::Lite(c),
            ConnInner::PgWriter(c) => Db::Pg(c),
            ConnInner::PgReader(c) => Db::Pg(c),
        }
    }

    /// Whether this is PostgreSQL (several writers: locks and counters are rows).
    pub(crate) fn is_pg(&self) -> bool {
        matches!(self.inner, ConnInner::PgWriter(_) | ConnInner::PgReader(_))
    }
}

/// Run one SQL statement on a [`Conn`]. The forms:
/// - `sql!(exec conn, "…", args…)` → rows affected
/// - `sql!(opt T; conn, "…", args…)`, `sql!(one T; …)`, `sql!(all T; …)` → rows as `T: FromRow`
/// - `sql!(scalar_opt T; …)`, `sql!(scalar_one T; …)`, `sql!(scalar_all T; …)` → first column
/// - `sql!(pg all T; …)` (any form after `pg`): a PostgreSQL-only statement
///
/// Every statement of the store goes through here, so a second engine is one more arm per form.
macro_rules! sql {
    (exec $conn:expr, $q:expr $(, $a:expr)* $(,)?) => {
        match $conn.db() {
            $crate::store::Db::Lite(c) => sqlx::query($q)$(.bind($a))*.execute(c).await.map(|r| r.rows_affected()),
            $crate::store::Db::Pg(c) => sqlx::query($q)$(.bind($a))*.execute(c).await.map(|r| r.rows_affected()),
        }
    };
    // A statement only PostgreSQL runs (arrays, `UNNEST`): callers check `is_pg` first.
    (pg $how:ident $t:ty; $conn:expr, $q:expr $(, $a:expr)* $(,)?) => {
        match $conn.db() {
            $crate::store::Db::Pg(c) => $crate::store::sql!(@fetch $how $t; c, $q $(, $a)*),
            $crate::store::Db::Lite(_) => Err(sqlx::Error::Protocol("a PostgreSQL statement on SQLite".into())),
        }
    };
    ($how:ident $t:ty; $conn:expr, $q:expr $(, $a:expr)* $(,)?) => {
        match $conn.db() {
            $crate::store::Db::Lite(c) => $crate::store::sql!(@fetch $how $t; c, $q $(, $a)*),
            $crate::store::Db::Pg(c) => $crate::store::sql!(@fetch $how $t; c, $q $(, $a)*),
        }
    };
    (@fetch opt $t:ty; $c:ident, $q:expr $(, $a:expr)*) => {
        sqlx::query_as::<_, $t>($q)$(.bind($a))*.fetch_optional($c).await
    };
    (@fetch one $t:ty; $c:ident, $q:expr $(, $a:expr)*) => {
        sqlx::query_as::<_, $t>($q)$(.bind($a))*.fetch_one($c).await
    };
    (@fetch all $t:ty; $c:ident, $q:expr $(, $a:expr)*) => {
        sqlx::query_as::<_, $t>($q)$(.bind($a))*.fetch_all($c).await
    };
    (@fetch scalar_opt $t:ty; $c:ident, $q:expr $(, $a:expr)*) => {
        sqlx::query_scalar::<_, $t>($q)$(.bind($a))*.fetch_optional($c).await
    };
    (@fetch scalar_one $t:ty; $c:ident, $q:expr $(, $a:expr)*) => {
        sqlx::query_scalar::<_, $t>($q)$(.bind($a))*.fetch_one($c).await
    };
    (@fetch scalar_all $t:ty; $c:ident, $q:expr $(, $a:expr)*) => {
        sqlx::query_scalar::<_, $t>($q)$(.bind($a))*.fetch_all($c).await
    };
}
pub(crate) use sql;

/// Run a block once per engine with `$db` naming the engine's `sqlx::Database` and `$c` its
/// connection (statements built at run time, e.g. with a `QueryBuilder`).
macro_rules! per_engine {
    ($conn:expr, |$c:ident, $db:ident| $body:block) => {
        match $conn.db() {
            $crate::store::Db::Lite($c) => {
                #[allow(dead_code)]
                type $db = sqlx::Sqlite;
                $body
            }
            $crate::store::Db::Pg($c) => {
                #[allow(dead_code)]
                type $db = sqlx::Postgres;
                $body
            }
        }
    };
}
pub(crate) use per_engine;

/// The writer's view of the database inside the current transaction.
pub struct Tx {
    conn: Conn,
    /// PostgreSQL: how to open the writer's connection again after the server restarted.
    reopen: Option<PgConnectOptions>,
    seqs: writer::SeqCache,
    effects: Vec<Effect>,
    caches: Arc<cache::Caches>,
    invalidations: Vec<cache::Invalidate>,
    /// SQLite: set by the checkpointer when the WAL should be started over (see `checkpoint`).
    wal_restart: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl std::ops::Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

impl Tx {
    /// Queue a push that is not stored (online-only delivery), sent after commit.
    pub fn push_unstored(&mut self, user: &str, event: Event) {
        self.effects.push(Effect::Push { user: user.to_string(), push: Push { seq: 0, event }, except_conn: None });
    }
}

/// The handle on the database. Cloning is cheap; the writer stops when the last clone is gone.
#[derive(Clone)]
pub struct Store {
    read: ReadPool,
    caches: Arc<cache::Caches>,
    jobs: tokio::sync::mpsc::Sender<writer::Work>,
}

#[derive(Clone)]
enum ReadPool {
    Lite(SqlitePool),
    Pg(PgPool),
}

impl Store {
    /// Open (creating and migrating) the database, and start the writer task. Pushes queued by
    /// committed jobs are handed to `deliver`, in commit order.
    pub async fn open(at: &Location, deliver: Deliver) -> Result<(Store, tokio::task::JoinHandle<()>), StoreError> {
        match at {
            Location::Sqlite(path) => Self::open_sqlite(path, deliver).await,
            Location::Postgres(url) => Self::open_pg(url, deliver).await,
        }
    }

    async fn open_pg(url: &str, deliver: Deliver) -> Result<(Store, tokio::task::JoinHandle<()>), StoreError> {
        let opts = PgConnectOptions::from_str(url)?
            .application_name("confab-server")
            // Statements carry user content: never in the log.
            .disable_statement_logging();
        let mut conn = PgConnection::connect_with(&opts).await?;
        // The migrator holds an advisory lock: nodes starting together migrate once.
        sqlx::migrate!("./migrations-pg").run(&mut conn).await.map_err(|e| StoreError::Migrate(e.to_string()))?;
        let read = PgPoolOptions::new()
            .max_connections(8)
            // While the database is down a request fails in seconds, not after the default 30.
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(opts.clone())
            .await?;
        Ok(Self::start(ConnInner::PgWriter(conn), Some(opts), ReadPool::Pg(read), deliver, None))
    }

    fn start(
        writer: ConnInner,
        reopen: Option<PgConnectOptions>,
        read: ReadPool,
        deliver: Deliver,
        wal_restart: Option<Arc<std::sync::atomic::AtomicBool>>,
    ) -> (Store, tokio::task::JoinHandle<()>) {
        let caches = Arc::new(cache::Caches::default());
        let tx = Tx {
            conn: Conn { inner: writer },
            reopen,
            seqs: Default::default(),
            effects: Vec::new(),
            caches: caches.clone(),
            invalidations: Vec::new(),
            wal_restart,
        };
        let (jobs, handle) = writer::spawn(tx, deliver);
        (Store { read, caches, jobs }, handle)
    }

    async fn open_sqlite(path: &Path, deliver: Deliver) -> Result<(Store, tokio::task::JoinHandle<()>), StoreError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10))
            // Savepoint sub-journals and temporary tables in memory, not in temporary files.
            .pragma("temp_store", "memory")
            .foreign_keys(true);
        // The writer never checkpoints: the checkpointer does (see `checkpoint`).
        let mut conn = SqliteConnection::connect_with(&opts.clone().pragma("wal_autocheckpoint", "0")).await?;
        sqlx::migrate!("./migrations").run(&mut conn).await.map_err(|e| StoreError::Migrate(e.to_string()))?;
        let read = SqlitePoolOptions::new().max_connections(4).connect_with(opts.clone().read_only(true)).await?;
        let ck = SqliteConnection::connect_with(&opts.pragma("wal_autocheckpoint", "0")).await?;
        let restart = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (store, writer) =
            Self::start(ConnInner::LiteWriter(conn), None, ReadPool::Lite(read), deliver, Some(restart.clone()));
        let ck = tokio::spawn(checkpoint::checkpointer(ck, store.jobs.downgrade(), restart));
        // The writer's handle covers both: the checkpointer ends with the writer.
        let both = tokio::spawn(async move {
            let _ = writer.await;
            ck.abort();
        });
        Ok((store, both))
    }

    /// Whether a user exists (a cached yes; a no is asked again).
    pub async fn user_exists(&self, user: &str) -> Result<bool> {
        let c = &self.caches.users;
        if c.get(&user.to_string()).is_some() {
            return Ok(true);
        }
        let g = c.generation();
        let yes = self.read().await?.user_exists(user).await?;
        if yes {
            c.put(g, user.to_string(), ());
        }
        Ok(yes)
    }

    /// A user's profile, cached until it changes.
    pub async fn profile(&self, user: &str) -> Result<confab_protocol::UserProfile> {
        let c = &self.caches.profiles;
        if let Some(p) = c.get(&user.to_string()) {
            return Ok(p);
        }
        let g = c.generation();
        let p = self.read().await?.profile(user).await?;
        c.put(g, user.to_string(), p.clone());
        Ok(p)
    }

    /// How `user` receives C2C messages from `peer`, cached until it changes.
    pub async fn c2c_recv_opt(&self, user: &str, peer: &str) -> Result<Option<i64>> {
        let key = (user.to_string(), peer.to_string());
        let c = &self.caches.c2c_opts;
        if let Some(o) = c.get(&key) {
            return Ok(o);
        }
        let g = c.generation();
        let o = self.read().await?.c2c_recv_opt(user, peer).await?;
        c.put(g, key, o);
        Ok(o)
    }

    /// Another node changed a cached row: forget this node's copy.
    pub fn apply_remote_invalidation(&self, inv: &Invalidate) {
        self.caches.apply(inv);
    }

    /// Whether the writer commits: an empty write job, answered after a durable commit.
    pub async fn check_writer(&self) -> bool {
        let probe = self.write(|_tx| Box::pin(async { Ok(()) }));
        matches!(tokio::time::timeout(std::time::Duration::from_secs(5), probe).await, Ok(Ok(())))
    }

    /// A read connection (readers never block the writer).
    pub async fn read(&self) -> Result<Conn, StoreError> {
        let inner = match &self.read {
            ReadPool::Lite(p) => ConnInner::LiteReader(p.acquire().await?),
            ReadPool::Pg(p) => ConnInner::PgReader(p.acquire().await?),
        };
        Ok(Conn { inner })
    }

    /// Run `f` in the writer's transaction; returns after the commit is durable. A job that
    /// fails is rolled back alone (its savepoint); the others of its batch still commit.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut Tx) -> BoxFuture<'a, Result<T>> + Send + 'static,
    {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let job = writer::TypedJob::new(f, reply);
        self.jobs.send(writer::Work::Job(Box::new(job))).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Queue a message to store (see [`Append`]); the returned future answers after the
    /// durable commit. Sends queued by one caller are stored in the order they were queued.
    pub async fn submit_append(
        &self,
        a: Append,
    ) -> Result<impl std::future::Future<Output = Result<Appended>> + Send + 'static, StoreError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.jobs.send(writer::Work::Append(Box::new(a), reply)).await.map_err(|_| StoreError::Closed)?;
        Ok(async move { rx.await.map_err(|_| StoreError::Closed)? })
    }
}
