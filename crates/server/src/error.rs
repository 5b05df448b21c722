//! The server's one error type and its one mapping to TIM codes.
//!
//! Layer: foundation. Imports nothing of this crate.
//!
//! - [`Error::Refused`]: a rule said no; carries the TIM code and a description the client sees.
//! - [`Error::Store`]: the storage engine failed; the client sees a generic internal error (the
//!   details go to the log, never to the client).
//!
//! [`Error::wire`] is the only place that turns an error into the `(code, desc)` of a response.
use confab_protocol::codes;

/// What can go wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// The schema could not be brought up to date (the migration's own message).
    #[error("migration error: {0}")]
    Migrate(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the store is shut down")]
    Closed,
}

/// Every failure a request can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule refused the request: the TIM code and what the client is told.
    #[error("{desc}")]
    Refused { code: i32, desc: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        Error::Store(StoreError::Db(err))
    }
}

impl Error {
    /// The `(code, desc)` a client gets for this error.
    pub fn wire(&self) -> (i32, String) {
        match self {
            Error::Refused { code, desc } => (*code, desc.clone()),
            Error::Store(err) => {
                tracing::error!(error = %err, "storage failure");
                (codes::ERR_SVR_MSG_INTERNAL_ERROR1, "internal storage error".into())
            }
        }
    }

    /// The TIM code alone.
    pub fn code(&self) -> i32 {
        match self {
            Error::Refused { code, .. } => *code,
            Error::Store(_) => codes::ERR_SVR_MSG_INTERNAL_ERROR1,
        }
    }
}

/// A refusal with its TIM code.
pub fn refused(code: i32, desc: impl Into<String>) -> Error {
    Error::Refused { code, desc: desc.into() }
}

/// Stored JSON that no longer parses.
pub fn corrupt(err: impl std::fmt::Display) -> Error {
    Error::Store(StoreError::Corrupt(err.to_string()))
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
