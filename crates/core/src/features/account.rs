//! ConfabRegister / ConfabSignIn: password accounts over a short-lived connection of their own
//! (no session is needed, or made). ConfabChangePassword / ConfabSignOutEverywhere: on the
//! session's connection; both revoke every older UserSig of the user on the server.
use std::sync::Arc;

use confab_protocol::wire::{AccountResult, Request};
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::net::link::Link;
use crate::options::SdkOptions;
use crate::session::context::SessionCtx;

/// Register (`register`) or sign in with a password; the answer carries a UserSig.
pub async fn account(
    opts: &SdkOptions,
    register: bool,
    user_id: &str,
    password: &str,
    nick_name: &str,
) -> Result<AccountResult> {
    let link = Arc::new(Link::new(opts.server_url.clone(), opts.timeouts).with_extra_ca(opts.extra_ca_pem.clone()));
    let (tx, _rx) = mpsc::unbounded_channel();
    let _socket = link.open(tx).await?;
    let req = if register {
        Request::Register { user_id: user_id.into(), password: password.into(), nick_name: nick_name.into() }
    } else {
        Request::PasswordLogin { user_id: user_id.into(), password: password.into() }
    };
    let v = link.request_raw(req).await;
    link.close();
    serde_json::from_value(v?)
        .map_err(|e| Error::Server(confab_protocol::codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))
}

/// ConfabChangePassword: the server revokes every older UserSig and ends the user's other
/// sessions; this session goes on with the fresh UserSig it answers (kept for reconnects).
pub async fn change_password(s: &SessionCtx, old_password: &str, new_password: &str) -> Result<AccountResult> {
    let req = Request::ChangePassword { old_password: old_password.into(), new_password: new_password.into() };
    let v = s.link.request(req).await?;
    let a: AccountResult = serde_json::from_value(v)
        .map_err(|e| Error::Server(confab_protocol::codes::ERR_PARSE_RESPONSE_FAILED, e.to_string()))?;
    s.set_user_sig(a.user_sig.clone());
    Ok(a)
}

/// ConfabSignOutEverywhere, the server's half: every UserSig of the user issued so far is
/// revoked and the other sessions end (the caller then ends its own).
pub async fn revoke_everywhere(s: &SessionCtx) -> Result<()> {
    s.link.request(Request::SignOutEverywhere).await.map(|_| ())
}
