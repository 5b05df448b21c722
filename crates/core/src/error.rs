//! The SDK's error type and its single mapping to TIM codes.
//!
//! Layer: base (with `util`, `options`, `events`); imports nothing of this crate.
use confab_protocol::codes;

#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("not logged in")]
    NotLoggedIn,
    #[error("invalid parameter: {0}")]
    InvalidParam(String),
    #[error("invalid message element: {0}")]
    InvalidElem(String),
    #[error("message body exceeds 8 KB")]
    BodyTooLarge,
    #[error("local database error: {0}")]
    Store(String),
    #[error("local I/O error: {0}")]
    Io(String),
    #[error("not connected to the server")]
    Disconnected,
    /// The TLS layer failed: the server's certificate is not trusted, the handshake broke, or
    /// the extra CA file cannot be used. Never retried over plaintext.
    #[error("{0}")]
    Tls(String),
    #[error("the server did not answer in time")]
    Timeout,
    #[error("a login is already in progress")]
    LoginInProgress,
    #[error("this account was signed in on another device")]
    KickedOffline,
    #[error("the send was cancelled")]
    Cancelled,
    #[error("file not found")]
    FileNotFound,
    #[error("file is too large")]
    FileTooLarge,
    #[error("file is empty")]
    FileEmpty,
    #[error("file cannot be opened")]
    FileOpen,
    #[error("not an image")]
    NotImage,
    #[error("upload failed: {0}")]
    Upload(String),
    #[error("download failed: {0}")]
    Download(String),
    /// The server refused: its TIM code and description.
    #[error("{1}")]
    Server(i32, String),
}

impl Error {
    /// The TIM error code carried by `TIMCommCallback`.
    pub fn code(&self) -> i32 {
        match self {
            Error::NotLoggedIn => codes::ERR_SDK_NOT_LOGGED_IN,
            Error::InvalidParam(_) => codes::ERR_INVALID_PARAMETERS,
            Error::InvalidElem(_) => codes::ERR_INVALID_MSG_ELEM,
            Error::BodyTooLarge => codes::ERR_SDK_MSG_BODY_SIZE_LIMIT,
            Error::Store(_) => codes::ERR_DATABASE_OPERATE_FAILED,
            Error::Io(_) => codes::ERR_IO_OPERATION_FAILED,
            Error::Disconnected => codes::ERR_SDK_NET_DISCONNECT,
            // 9501 is TIM's "transport encrypt/decrypt failure": TLS is that layer here. It is
            // not 9508, which apps treat as a passing network loss; a refused certificate needs
            // a person (install the CA, fix the server), and the desc says which.
            Error::Tls(_) => codes::ERR_SDK_NET_ENCODE_FAILED,
            Error::Timeout => codes::ERR_SDK_NET_WAIT_ACK_TIMEOUT,
            Error::LoginInProgress => codes::ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS,
            Error::KickedOffline => codes::ERR_LOGIN_KICKED_OFF_BY_OTHER,
            Error::Cancelled => codes::ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL,
            Error::FileNotFound => codes::ERR_SDK_COMM_FILE_NOT_FOUND,
            Error::FileTooLarge => codes::ERR_SDK_COMM_FILE_TOO_LARGE,
            Error::FileEmpty => codes::ERR_SDK_COMM_FILE_SIZE_EMPTY,
            Error::FileOpen => codes::ERR_SDK_COMM_FILE_OPEN_FAILED,
            Error::NotImage => codes::ERR_IMAGE_UPLOAD_FAILED_NOTIMAGE,
            Error::Upload(_) => codes::ERR_FILE_TRANS_UPLOAD_FAILED,
            Error::Download(_) => codes::ERR_FILE_TRANS_DOWNLOAD_FAILED,
            Error::Server(c, _) => *c,
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Store(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
