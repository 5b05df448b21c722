//! End-user accounts: register and sign in with a password, answered with a UserSig, so that a
//! person can start the desktop app without knowing what a UserSig is.
//!
//! Passwords are hashed with Argon2id (PHC strings, random salt) on a blocking thread; they are
//! never stored or logged in clear. Failed sign-ins are throttled per user id (70050).
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::State as AxState;
use axum::Json;
use confab_protocol::codes;
use confab_protocol::wire::{is_valid_user_id, AccountResult};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::now_secs;
use crate::{usersig, State};

/// UserSigs handed out for password sign-ins are valid for 7 days.
pub const PASSWORD_SIG_TTL: i64 = 7 * 24 * 3600;
const MAX_FAILURES: usize = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Throttle {
    fn blocked(&self, user: &str) -> bool {
        let mut m = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let v = m.entry(user.to_string()).or_default();
        v.retain(|t| t.elapsed() < FAILURE_WINDOW);
        v.len() >= MAX_FAILURES
    }
    fn fail(&self, user: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(user.to_string())
            .or_default()
            .push(Instant::now());
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountError(pub i32, pub String);

fn err(code: i32, desc: &str) -> AccountError {
    AccountError(code, desc.to_string())
}

fn sig_for(state: &State, user: &str) -> AccountResult {
    let id = &state.cfg.identity;
    AccountResult {
        user_id: user.to_string(),
        user_sig: usersig::generate(id.sdk_app_id, &id.secret_key, user, PASSWORD_SIG_TTL, now_secs() as i64),
        sdk_app_id: id.sdk_app_id,
    }
}

pub(crate) async fn register(
    state: &State,
    user: &str,
    password: &str,
    nick: &str,
) -> Result<AccountResult, AccountError> {
    if !is_valid_user_id(user) || user.starts_with('@') {
        return Err(err(
            codes::ERR_SDK_COMM_INVALID_IDENTIFIER,
            "user id must be 1-32 printable ASCII characters and not start with '@'",
        ));
    }
    if password.chars().count() < 6 || password.len() > 256 {
        return Err(err(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "password must be 6 to 256 characters"));
    }
    if nick.len() > 64 {
        return Err(err(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "nickname is longer than 64 bytes"));
    }
    let pw = password.to_string();
    let hash = tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default().hash_password(pw.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| err(codes::ERR_SVR_ACCOUNT_INTERNAL_ERROR, "hashing failed"))?
    .map_err(|_| err(codes::ERR_SVR_ACCOUNT_INTERNAL_ERROR, "hashing failed"))?;
    let (u, n) = (user.to_string(), nick.to_string());
    let created = state
        .store
        .write(move |ctx| {
            Box::pin(async move {
                let r = sqlx::query(
                    "INSERT OR IGNORE INTO users (user_id, password_hash, nick_name, created_at) VALUES (?, ?, ?, ?)",
                )
                .bind(&u)
                .bind(&hash)
                .bind(&n)
                .bind(now_secs() as i64)
                .execute(&mut ctx.conn)
                .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
        .map_err(|_| err(codes::ERR_SVR_ACCOUNT_INTERNAL_ERROR, "storage failed"))?;
    if !created {
        return Err(err(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "this user id is already taken"));
    }
    tracing::info!("account registered");
    Ok(sig_for(state, user))
}

pub(crate) async fn password_login(state: &State, user: &str, password: &str) -> Result<AccountResult, AccountError> {
    const WRONG: &str = "wrong user id or password";
    if state.accounts.blocked(user) {
        return Err(err(codes::ERR_SVR_ACCOUNT_FREQ_LIMIT, "too many failed sign-ins; wait a minute"));
    }
    let stored: Option<Option<String>> = sqlx::query_scalar("SELECT password_hash FROM users WHERE user_id = ?")
        .bind(user)
        .fetch_optional(&state.store.read)
        .await
        .map_err(|_| err(codes::ERR_SVR_ACCOUNT_INTERNAL_ERROR, "storage failed"))?;
    let Some(Some(hash)) = stored else {
        state.accounts.fail(user);
        return Err(err(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, WRONG));
    };
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok()).unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    if !ok {
        state.accounts.fail(user);
        return Err(err(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, WRONG));
    }
    Ok(sig_for(state, user))
}

#[derive(Deserialize)]
pub(crate) struct Credentials {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    nick_name: String,
}

fn to_json(r: Result<AccountResult, AccountError>) -> Json<Value> {
    match r {
        Ok(a) => Json(
            json!({"code": 0, "desc": "", "user_id": a.user_id, "user_sig": a.user_sig, "sdk_app_id": a.sdk_app_id}),
        ),
        Err(AccountError(code, desc)) => Json(json!({"code": code, "desc": desc})),
    }
}

pub(crate) async fn http_register(AxState(state): AxState<Arc<State>>, Json(c): Json<Credentials>) -> Json<Value> {
    to_json(register(&state, &c.user_id, &c.password, &c.nick_name).await)
}

pub(crate) async fn http_login(AxState(state): AxState<Arc<State>>, Json(c): Json<Credentials>) -> Json<Value> {
    to_json(password_login(&state, &c.user_id, &c.password).await)
}
