//! Signing in: UserSig logins on a connection (device slots, kicks), logout, and password
//! accounts (register, sign in → a UserSig), so that a person can start the desktop app without
//! knowing what a UserSig is.
//!
//! Passwords are hashed with Argon2id (PHC strings, random salt) on a blocking thread; they are
//! never stored or logged in clear. Hashing waits for one of a few permits
//! (`State::hashing`), so a flood of sign-ups cannot take all memory (19 MiB per hash). Failed
//! sign-ins are throttled per account, per host and per (account, host) (70050, see
//! `throttle::SignInThrottle`); an unknown user id costs the same hash check as a known one, so
//! timing does not tell which ids exist.
use crate::bus::cluster::Note;
use crate::bus::{Outlet, SessionEntry};
use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Error, Result};
use crate::usersig;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use confab_protocol::codes;
use confab_protocol::wire::{is_valid_user_id, AccountResult, LoginResult};
use std::net::IpAddr;

/// UserSigs handed out for password sign-ins are valid for 7 days.
pub const PASSWORD_SIG_TTL: i64 = 7 * 24 * 3600;

/// The highest TIMPlatform number (`kTIMPlatform_Simulator`).
pub const MAX_PLATFORM: u32 = 5;

const KICKED: (i32, &str) =
    (codes::ERR_LOGIN_KICKED_OFF_BY_OTHER, "this account was signed in on another device; log in again to take over");
const REVOKED: (i32, &str) =
    (codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED, "this UserSig was revoked (signed out everywhere or password changed)");

/// Who logs in, from where.
pub struct LoginRequest<'a> {
    pub conn_id: u64,
    pub sdk_app_id: u64,
    pub user_id: &'a str,
    pub user_sig: &'a str,
    pub platform: u32,
    pub instance_id: &'a str,
    /// An automatic reconnect, which never displaces another device.
    pub resume: bool,
}

/// A UserSig login on a connection: check the UserSig, take the (user, platform) device slot
/// (displacing another instance unless this is a resume), register the connection for pushes.
/// Returns what the client is told and when the UserSig expires.
pub async fn login(state: &State, r: LoginRequest<'_>, out: &Outlet) -> Result<(LoginResult, i64)> {
    if !is_valid_user_id(r.user_id) {
        return Err(refused(codes::ERR_SDK_COMM_INVALID_IDENTIFIER, "invalid user id"));
    }
    if state.refused_users.lock().unwrap_or_else(|p| p.into_inner()).contains(r.user_id) {
        return Err(refused(codes::ERR_SDK_NET_CONN_REFUSE, "connection refused"));
    }
    if r.instance_id.is_empty() || r.instance_id.len() > 64 {
        return Err(refused(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "invalid instance id"));
    }
    // TIMPlatform: one device slot per platform, so a made-up number would be a slot of its
    // own that never displaces (nor is displaced by) the owner's devices.
    if r.platform > MAX_PLATFORM {
        return Err(refused(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "unknown platform (TIMPlatform 0-5)"));
    }
    let ident = &state.cfg.identity;
    if r.sdk_app_id != ident.sdk_app_id {
        return Err(refused(codes::ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID, "unknown SDKAppID"));
    }
    let verified = usersig::verify(ident.sdk_app_id, &ident.secret_key, r.user_id, r.user_sig, now_secs() as i64)
        .map_err(|err| refused(err.code(), err.to_string()))?;
    let (user, inst, hub) = (r.user_id.to_string(), r.instance_id.to_string(), state.hub.clone());
    let (platform, resume, conn_id, issued_at) = (r.platform, r.resume, r.conn_id, verified.issued_at);
    let entry = SessionEntry { conn_id, platform, instance_id: r.instance_id.to_string(), out: out.clone() };
    let outcome = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                tx.ensure_user(&user, now_secs()).await?;
                // Checked in the writer, so a revocation and a login are judged one after the
                // other: a session never outlives the revocation of its UserSig.
                if issued_at < tx.sig_epoch(&user).await? {
                    return Ok(Err(REVOKED));
                }
                let slot = tx.device_slot(&user, platform).await?;
                if resume {
                    // An automatic reconnect never displaces another device.
                    if slot.as_deref().is_some_and(|s| s != inst) {
                        return Ok(Err(KICKED));
                    }
                } else {
                    if tx.take_kicked_flag(&user, &inst).await? {
                        return Ok(Err(KICKED));
                    }
                    let other_online = hub.displace(&user, platform, &inst, conn_id);
                    if let Some(holder) = slot.filter(|s| *s != inst) {
                        if !other_online {
                            tx.flag_kicked(&user, &holder).await?;
                        }
                    }
                }
                tx.set_device_slot(&user, platform, &inst).await?;
                // Displacing the other instance and registering this connection are one step,
                // inside this serialised job: two logins racing for one platform are judged one
                // after the other, so exactly one stays online (S-7). Its group subscriptions
                // are read in the same job, so no membership change slips between the two.
                let groups = tx.receiving_groups(&user).await?;
                let latest = tx.latest_inbox_seq(&user).await?;
                hub.register(&user, entry);
                for g in groups {
                    hub.subscribe(&user, &g);
                }
                Ok(Ok(latest))
            })
        })
        .await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            // Registered inside a job whose commit failed: not online after all.
            state.hub.unregister(r.user_id, conn_id);
            return Err(e);
        }
    };
    let mut latest_seq = outcome.map_err(|(code, desc)| refused(code, desc))?;
    if let Some(c) = &state.cluster {
        // Other nodes kick this user's other instances of the platform (and close stale
        // connections of this one) as this node did.
        if !r.resume {
            let (user, platform, instance) = (r.user_id.to_string(), r.platform, r.instance_id.to_string());
            c.publish(Note::Displace { user, platform, instance });
        }
        // Once this node's subscriptions for the user and their groups are in place, every
        // later commit reaches this session; what was committed before is at or below the
        // newest inbox seq read now, which the client syncs up to.
        c.sync().await;
        latest_seq = latest_seq.max(state.store.read().await?.latest_inbox_seq(r.user_id).await?);
    }
    tracing::info!(conn_id, "session logged in");
    let result = LoginResult { server_time: now_secs(), latest_seq, revoke_window: state.cfg.revoke_window.as_secs() };
    Ok((result, verified.expires_at))
}

pub fn logout(state: &State, me: &str, conn_id: u64) {
    state.hub.unregister(me, conn_id);
}

/// A UserSig for `user`, issued no earlier than `epoch` (so that it survives a revocation made
/// in this same second).
fn sig_for(state: &State, user: &str, epoch: i64) -> AccountResult {
    let id = &state.cfg.identity;
    let time = (now_secs() as i64).max(epoch);
    AccountResult {
        user_id: user.to_string(),
        user_sig: usersig::generate(id.sdk_app_id, &id.secret_key, user, PASSWORD_SIG_TTL, time),
        sdk_app_id: id.sdk_app_id,
    }
}

/// The answer for any storage failure while signing in or up.
fn storage_failed<E>(_: E) -> Error {
    refused(codes::ERR_SVR_ACCOUNT_INTERNAL_ERROR, "storage failed")
}

fn hashing_failed<E>(_: E) -> Error {
    refused(codes::ERR_SVR_ACCOUNT_INTERNAL_ERROR, "hashing failed")
}

/// The rule for a new password.
fn check_new_password(password: &str) -> Result<()> {
    if password.chars().count() < 6 || password.len() > 256 {
        return Err(refused(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "password must be 6 to 256 characters"));
    }
    Ok(())
}

/// Argon2id of `password` with a fresh salt, off the runtime and within the hashing limit.
async fn hash_password(state: &State, password: &str) -> Result<String> {
    let pw = password.to_string();
    let _permit = state.hashing.acquire().await.map_err(hashing_failed)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default().hash_password(pw.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(hashing_failed)?
    .map_err(hashing_failed)
}

pub async fn register(state: &State, user: &str, password: &str, nick: &str) -> Result<AccountResult> {
    if !state.cfg.registration {
        return Err(refused(
            codes::ERR_SVR_COMM_REQ_FORBIDDEN,
            "sign-up is closed on this server; ask its administrator for an account",
        ));
    }
    if !is_valid_user_id(user) || user.starts_with('@') {
        return Err(refused(
            codes::ERR_SDK_COMM_INVALID_IDENTIFIER,
            "user id must be 1-32 printable ASCII characters and not start with '@'",
        ));
    }
    check_new_password(password)?;
    if nick.len() > 64 {
        return Err(refused(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "nickname is longer than 64 bytes"));
    }
    let hash = hash_password(state, password).await?;
    let (u, n) = (user.to_string(), nick.to_string());
    let created = state
        .store
        .write(move |tx| Box::pin(async move { tx.create_account(&u, &hash, &n, now_secs()).await }))
        .await
        .map_err(storage_failed)?;
    if !created {
        return Err(refused(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, "this user id is already taken"));
    }
    tracing::info!("account registered");
    Ok(sig_for(state, user, 0))
}

pub async fn password_login(state: &State, user: &str, password: &str, from: IpAddr) -> Result<AccountResult> {
    check_password(state, user, password, from).await?;
    let epoch = state.store.read().await.map_err(storage_failed)?.sig_epoch(user).await.map_err(storage_failed)?;
    Ok(sig_for(state, user, epoch))
}

/// Whether `password` is `user`'s, counted by the sign-in limits (an unknown user costs the
/// same work and gets the same answer).
async fn check_password(state: &State, user: &str, password: &str, from: IpAddr) -> Result<()> {
    const WRONG: &str = "wrong user id or password";
    // Nothing of an invalid id is kept or hashed.
    if !is_valid_user_id(user) || password.len() > 256 {
        return Err(refused(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, WRONG));
    }
    // Counted before the hash check, so parallel guesses cannot all pass.
    if !state.sign_in.begin(user, from) {
        return Err(refused(codes::ERR_SVR_ACCOUNT_FREQ_LIMIT, "too many failed sign-ins; wait a minute"));
    }
    let stored = state.store.read().await.map_err(storage_failed)?.password_hash(user).await.map_err(storage_failed)?;
    // An unknown user is checked against a stand-in hash: the same work, the same answer.
    let (hash, known) = match stored {
        Some(Some(h)) => (h, true),
        _ => (dummy_hash().await, false),
    };
    let pw = password.to_string();
    let _permit = state.hashing.acquire().await.map_err(hashing_failed)?;
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok()).unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    if !(ok && known) {
        return Err(refused(codes::ERR_SVR_ACCOUNT_INVALID_PARAMETERS, WRONG));
    }
    state.sign_in.succeeded(user, from);
    Ok(())
}

/// Revoke every UserSig of `me` issued so far (see `Tx::revoke_sigs`) and end every session
/// but `keep` with `SigExpired`. Returns the new epoch.
async fn revoke_all(state: &State, me: &str, keep: Option<u64>, new_hash: Option<String>) -> Result<i64> {
    let (user, hub) = (me.to_string(), state.hub.clone());
    let epoch = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                if let Some(h) = new_hash {
                    tx.set_password_hash(&user, &h).await?;
                }
                let epoch = tx.revoke_sigs(&user, now_secs() as i64).await?;
                // In the writer: a login judged after this job sees the new epoch, one judged
                // before it registered already and is ended here.
                hub.revoke(&user, keep);
                Ok(epoch)
            })
        })
        .await?;
    if let Some(c) = &state.cluster {
        c.publish(Note::Revoke { user: me.to_string() });
    }
    tracing::info!("user signatures revoked");
    Ok(epoch)
}

/// "Sign out everywhere": every UserSig of `me` stops working; other sessions end now, the
/// caller's when it logs out (its client does so on the answer).
pub async fn sign_out_everywhere(state: &State, me: &str, conn_id: u64) -> Result<()> {
    revoke_all(state, me, Some(conn_id), None).await.map(|_| ())
}

/// Change `me`'s password (the old one must be right): every older UserSig stops working and
/// other sessions end; the caller goes on and gets a fresh UserSig.
pub async fn change_password(
    state: &State,
    me: &str,
    conn_id: u64,
    old: &str,
    new: &str,
    from: IpAddr,
) -> Result<AccountResult> {
    check_new_password(new)?;
    // The old password is checked like a sign-in (same limits), so a stolen session cannot
    // guess it faster.
    check_password(state, me, old, from).await?;
    let hash = hash_password(state, new).await?;
    let epoch = revoke_all(state, me, Some(conn_id), Some(hash)).await?;
    Ok(sig_for(state, me, epoch))
}

/// A hash of a random password, made once: what an unknown user id is checked against.
async fn dummy_hash() -> String {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            tokio::task::spawn_blocking(|| {
                let salt = SaltString::generate(&mut rand::rngs::OsRng);
                let pw: [u8; 16] = rand::random();
                Argon2::default().hash_password(&pw, &salt).map(|h| h.to_string()).unwrap_or_default()
            })
            .await
            .unwrap_or_default()
        })
        .await
        .clone()
}
