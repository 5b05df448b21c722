//! Server storage: one SQLite database (WAL) with a single writer task that group-commits.
//!
//! Every write goes through [`Store::write`]: the job runs inside a transaction shared with
//! whatever other jobs arrived meanwhile (each in its own savepoint), and its caller is answered
//! only after COMMIT with `synchronous=FULL`. So an acknowledged write is on disk, and many
//! concurrent senders share one fsync. Pushes a job queues ([`WriteCtx::push`]) go out after the
//! commit, in commit order, so a user's live events arrive in inbox order.
//!
//! Reads use a separate pool of read connections (WAL readers never block the writer).
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use confab_protocol::wire::{Event, Push};
use confab_protocol::{Message, MessageReceipt, MsgLocator};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Row, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::hub::Hub;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the store is shut down")]
    Closed,
    /// A rule refused the write; carries the TIM code for the client.
    #[error("{1}")]
    Refused(i32, String),
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type AnyResult = Result<Box<dyn Any + Send>, StoreError>;
type JobFn = Box<dyn for<'a> FnOnce(&'a mut WriteCtx) -> BoxFuture<'a, AnyResult> + Send>;

struct Job {
    run: JobFn,
    reply: oneshot::Sender<AnyResult>,
}

/// What is kept in the inbox for one user; rendered into a wire [`Event`] when read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum StoredEvent {
    Msg { id: i64 },
    Receipt { receipt: MessageReceipt },
    Revoked { locator: MsgLocator, msg_id: String },
    Updated { id: i64 },
}

/// The writer's view of the database inside the current transaction.
pub struct WriteCtx {
    pub conn: SqliteConnection,
    conv_seq: HashMap<(u32, String), u64>,
    inbox_seq: HashMap<String, u64>,
    pushes: Vec<(String, Push)>,
}

impl WriteCtx {
    /// Next message seq of a conversation (consecutive from 1).
    pub async fn next_conv_seq(&mut self, conv_type: u32, conv_key: &str) -> Result<u64, StoreError> {
        let key = (conv_type, conv_key.to_string());
        let next = match self.conv_seq.get(&key) {
            Some(s) => s + 1,
            None => {
                let max: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(seq) FROM messages WHERE conv_type = ? AND conv_key = ?")
                        .bind(conv_type as i64)
                        .bind(conv_key)
                        .fetch_one(&mut self.conn)
                        .await?;
                max.unwrap_or(0) as u64 + 1
            }
        };
        self.conv_seq.insert(key, next);
        Ok(next)
    }

    /// Append an event to a user's inbox and queue its live push (sent after commit).
    pub async fn append_inbox(&mut self, user: &str, stored: &StoredEvent, live: Event) -> Result<u64, StoreError> {
        let next = match self.inbox_seq.get(user) {
            Some(s) => s + 1,
            None => {
                let max: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM inbox WHERE user_id = ?")
                    .bind(user)
                    .fetch_one(&mut self.conn)
                    .await?;
                max.unwrap_or(0) as u64 + 1
            }
        };
        let json = serde_json::to_string(stored).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query("INSERT INTO inbox (user_id, seq, event) VALUES (?, ?, ?)")
            .bind(user)
            .bind(next as i64)
            .bind(json)
            .execute(&mut self.conn)
            .await?;
        self.inbox_seq.insert(user.to_string(), next);
        self.pushes.push((user.to_string(), Push { seq: next, event: live }));
        Ok(next)
    }

    /// Queue a push that is not stored (online-only delivery), sent after commit.
    pub fn push_unstored(&mut self, user: &str, event: Event) {
        self.pushes.push((user.to_string(), Push { seq: 0, event }));
    }
}

#[derive(Clone)]
pub struct Store {
    pub read: SqlitePool,
    tx: mpsc::Sender<Job>,
}

impl Store {
    /// Open (creating and migrating) the database at `path`, and start the writer task. The
    /// writer stops when every `Store` clone is dropped.
    pub async fn open(path: &Path, hub: Arc<Hub>) -> Result<(Store, tokio::task::JoinHandle<()>), StoreError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10))
            .foreign_keys(true);
        let mut conn = SqliteConnection::connect_with(&opts).await?;
        sqlx::migrate!("./migrations").run(&mut conn).await?;
        let read = SqlitePoolOptions::new().max_connections(4).connect_with(opts.clone().read_only(true)).await?;
        let (tx, rx) = mpsc::channel::<Job>(4096);
        let ctx = WriteCtx { conn, conv_seq: HashMap::new(), inbox_seq: HashMap::new(), pushes: Vec::new() };
        let handle = tokio::spawn(writer_loop(ctx, rx, hub));
        Ok((Store { read, tx }, handle))
    }

    /// Run `f` in the writer's transaction; returns after the commit is durable.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut WriteCtx) -> BoxFuture<'a, Result<T, StoreError>> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let run: JobFn =
            Box::new(move |ctx| Box::pin(async move { f(ctx).await.map(|v| Box::new(v) as Box<dyn Any + Send>) }));
        self.tx.send(Job { run, reply }).await.map_err(|_| StoreError::Closed)?;
        let out = rx.await.map_err(|_| StoreError::Closed)??;
        out.downcast::<T>().map(|b| *b).map_err(|_| StoreError::Corrupt("writer returned the wrong type".into()))
    }
}

const MAX_BATCH: usize = 256;

async fn writer_loop(mut ctx: WriteCtx, mut rx: mpsc::Receiver<Job>, hub: Arc<Hub>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let mut results: Vec<(oneshot::Sender<AnyResult>, AnyResult)> = Vec::with_capacity(batch.len());
        if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut ctx.conn).await {
            tracing::error!(error = %e, "writer could not begin a transaction");
            for job in batch {
                let _ = job.reply.send(Err(StoreError::Db(sqlx::Error::Protocol("begin failed".into()))));
            }
            continue;
        }
        let mut dirty = false;
        for job in batch {
            let pushes_before = ctx.pushes.len();
            let r = match sqlx::query("SAVEPOINT job").execute(&mut ctx.conn).await {
                Ok(_) => (job.run)(&mut ctx).await,
                Err(e) => Err(e.into()),
            };
            let end = if r.is_ok() { "RELEASE job" } else { "ROLLBACK TO job" };
            if r.is_err() {
                ctx.pushes.truncate(pushes_before);
                dirty = true;
            }
            if let Err(e) = sqlx::query(end).execute(&mut ctx.conn).await {
                tracing::error!(error = %e, "savepoint end failed");
                dirty = true;
            }
            if r.is_err() {
                let _ = sqlx::query("RELEASE job").execute(&mut ctx.conn).await;
            }
            results.push((job.reply, r));
        }
        if dirty {
            // A rolled-back job may have advanced the cached counters.
            ctx.conv_seq.clear();
            ctx.inbox_seq.clear();
        }
        match sqlx::query("COMMIT").execute(&mut ctx.conn).await {
            Ok(_) => {
                for (user, push) in ctx.pushes.drain(..) {
                    hub.push(&user, push);
                }
                for (reply, r) in results {
                    let _ = reply.send(r);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "commit failed; the batch is rolled back");
                let _ = sqlx::query("ROLLBACK").execute(&mut ctx.conn).await;
                ctx.pushes.clear();
                ctx.conv_seq.clear();
                ctx.inbox_seq.clear();
                for (reply, _) in results {
                    let _ = reply.send(Err(StoreError::Db(sqlx::Error::Protocol("commit failed".into()))));
                }
            }
        }
    }
}

/// A stored message row, as read back.
#[derive(Debug, Clone)]
pub struct MsgRow {
    pub id: i64,
    pub conv_type: u32,
    pub sender: String,
    pub body: String,
    pub revoked: bool,
    /// Who revoked it (empty when not revoked), with their nick name and face URL then.
    pub revoker: Revoker,
}

/// Who revoked a message: `messages.revoker` / `revoker_nick` / `revoker_face` (0009).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revoker {
    pub user_id: String,
    pub nick_name: String,
    pub face_url: String,
}

impl Revoker {
    /// Fill the `message_revoker_*` keys of a revoked message (the reason stays empty: TIMMsgRevoke
    /// takes none).
    pub fn fill_msg(&self, m: &mut Message) {
        m.message_revoker_user_id = self.user_id.clone();
        m.message_revoker_nick_name = self.nick_name.clone();
        m.message_revoker_face_url = self.face_url.clone();
        m.message_revoke_reason = String::new();
    }

    /// The same keys on a revoke callback's locator.
    pub fn fill_locator(&self, l: &mut MsgLocator) {
        l.message_revoker_user_id = self.user_id.clone();
        l.message_revoker_nick_name = self.nick_name.clone();
        l.message_revoker_face_url = self.face_url.clone();
        l.message_revoke_reason = String::new();
    }
}

impl MsgRow {
    pub fn from_row(r: &sqlx::sqlite::SqliteRow) -> MsgRow {
        MsgRow {
            id: r.get("id"),
            conv_type: r.get::<i64, _>("conv_type") as u32,
            sender: r.get("sender"),
            body: r.get("body"),
            revoked: r.get::<i64, _>("revoked") != 0,
            revoker: Revoker {
                user_id: r.get("revoker"),
                nick_name: r.get("revoker_nick"),
                face_url: r.get("revoker_face"),
            },
        }
    }

    /// The message as `viewer` sees it: C2C conv id is the other party, status reflects revoke.
    pub fn render(&self, viewer: &str) -> Result<Message, StoreError> {
        let mut m: Message = serde_json::from_str(&self.body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        render_for(&mut m, viewer);
        if self.revoked {
            m.message_status = confab_protocol::enums::msg_status::REVOKED;
            self.revoker.fill_msg(&mut m);
        }
        Ok(m)
    }
}

/// Adjust a stored (sender's view) message for `viewer`.
pub fn render_for(m: &mut Message, viewer: &str) {
    if m.message_conv_type == confab_protocol::enums::conv_type::C2C && m.message_sender != viewer {
        m.message_conv_id = m.message_sender.clone();
    }
    m.message_is_from_self = m.message_sender == viewer;
}

/// A user's profile as carried in `message_sender_profile` and tips/report operator info
/// (an unknown user gets an empty profile with just the identifier).
pub async fn load_profile<'e, E>(e: E, user: &str) -> Result<confab_protocol::UserProfile, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    let row = sqlx::query("SELECT nick_name, face_url, self_signature, gender FROM users WHERE user_id = ?")
        .bind(user)
        .fetch_optional(e)
        .await?;
    let mut p = confab_protocol::UserProfile { user_profile_identifier: user.to_string(), ..Default::default() };
    if let Some(r) = row {
        p.user_profile_nick_name = r.get("nick_name");
        p.user_profile_face_url = r.get("face_url");
        p.user_profile_self_signature = r.get("self_signature");
        p.user_profile_gender = r.get::<i64, _>("gender") as u32;
    }
    Ok(p)
}

pub const MSG_COLUMNS: &str = "id, conv_type, sender, body, revoked, revoker, revoker_nick, revoker_face";
