//! Sign up / sign in with a password or a UserSig, resume, sign out; change the password and
//! sign out everywhere.
//!
//! The UserSig stays in the shell: the session is kept in `session.json` in the app's data dir
//! (created 0600 on Unix, in the per-user profile elsewhere) and the webview only learns who is
//! signed in ([`SignedIn`]). A script injected into the webview can therefore not carry the
//! UserSig away.
use std::path::PathBuf;

use serde_json::{json, Value};
use tauri::State;

use crate::bridge::call;
use crate::dto::{CmdError, Session, SignedIn};
use crate::AppState;

const SESSION_FILE: &str = "session.json";

/// TIM's "local file error" code: the app's own storage failed.
const ERR_IO: i32 = 6022;

fn local_error(message: String) -> CmdError {
    CmdError { code: ERR_IO, message }
}

fn session_file(state: &AppState) -> PathBuf {
    PathBuf::from(&state.data_dir).join(SESSION_FILE)
}

/// Keep `s` for the next start (written whole, then renamed; readable by the owner only).
async fn remember(state: &AppState, s: &Session) -> Result<(), CmdError> {
    let path = session_file(state);
    let bytes = serde_json::to_vec(s).map_err(|e| local_error(e.to_string()))?;
    tokio::task::spawn_blocking(move || write_private(&path, &bytes))
        .await
        .map_err(|e| local_error(e.to_string()))?
        .map_err(|e| local_error(format!("keeping the session: {e}")))
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The kept session, if any (a corrupt file counts as none).
async fn recall(state: &AppState) -> Option<Session> {
    let bytes = tokio::fs::read(session_file(state)).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

async fn forget(state: &AppState) {
    let _ = tokio::fs::remove_file(session_file(state)).await;
}

/// Init the SDK for this server and app (the app's data dir holds its data), then log in.
async fn init_and_login(state: &AppState, s: &Session) -> Result<(), CmdError> {
    if state.sdk.is_inited() {
        call(&state.sdk, "TIMUninit", json!({})).await?;
    }
    call(
        &state.sdk,
        "TIMInit",
        json!({
            "sdk_app_id": s.sdk_app_id,
            "json_sdk_config": {
                "sdk_config_config_file_path": state.data_dir,
                "sdk_config_server_url": s.server_url,
            }
        }),
    )
    .await?;
    call(&state.sdk, "TIMLogin", json!({ "user_id": s.user_id, "user_sig": s.user_sig })).await?;
    Ok(())
}

/// Log in with `s` and keep it; a UserSig the server refuses (expired, revoked, forged) is
/// forgotten.
async fn login_and_keep(state: &AppState, s: &Session) -> Result<SignedIn, CmdError> {
    if let Err(e) = init_and_login(state, s).await {
        // 70001 expired or revoked, 70003 invalid, 70013 another user's, 6206 expired (SDK).
        if matches!(e.code, 70001 | 70003 | 70013 | 6206) {
            forget(state).await;
        }
        return Err(e);
    }
    remember(state, s).await?;
    Ok(SignedIn::from(s))
}

/// `ConfabRegister` (register = true) or `ConfabSignIn`, then `TIMInit` + `TIMLogin`.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    server_url: String,
    user_id: String,
    password: String,
    nick_name: Option<String>,
    register: bool,
) -> Result<SignedIn, CmdError> {
    let api = if register { "ConfabRegister" } else { "ConfabSignIn" };
    let v = call(
        &state.sdk,
        api,
        json!({
            "user_id": user_id,
            "password": password,
            "nick_name": nick_name.unwrap_or_default(),
            "server_url": server_url,
        }),
    )
    .await?;
    let session = Session {
        server_url,
        user_id: v.get("user_id").and_then(Value::as_str).unwrap_or(&user_id).to_string(),
        user_sig: v.get("user_sig").and_then(Value::as_str).unwrap_or_default().to_string(),
        sdk_app_id: v.get("sdk_app_id").and_then(Value::as_u64).unwrap_or_default(),
    };
    login_and_keep(&state, &session).await
}

/// Log in with a UserSig the person pasted (or one an older version kept in the webview).
#[tauri::command]
pub async fn sign_in_with_usersig(state: State<'_, AppState>, session: Session) -> Result<SignedIn, CmdError> {
    login_and_keep(&state, &session).await
}

/// Log in with the kept session; `None` when there is none.
#[tauri::command]
pub async fn resume_session(state: State<'_, AppState>) -> Result<Option<SignedIn>, CmdError> {
    match recall(&state).await {
        Some(s) => login_and_keep(&state, &s).await.map(Some),
        None => Ok(None),
    }
}

/// `TIMLogout` then `TIMUninit`; the kept session is forgotten.
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<(), CmdError> {
    forget(&state).await;
    if state.sdk.is_inited() {
        let _ = call(&state.sdk, "TIMLogout", json!({})).await;
        call(&state.sdk, "TIMUninit", json!({})).await?;
    }
    *state.open_conv.lock().unwrap_or_else(|p| p.into_inner()) = None;
    Ok(())
}

/// `ConfabChangePassword`: every other device is signed out; this one keeps going with the
/// fresh UserSig, which replaces the kept one.
#[tauri::command]
pub async fn change_password(
    state: State<'_, AppState>,
    old_password: String,
    new_password: String,
) -> Result<(), CmdError> {
    let v =
        call(&state.sdk, "ConfabChangePassword", json!({"old_password": old_password, "new_password": new_password}))
            .await?;
    if let (Some(mut s), Some(sig)) = (recall(&state).await, v.get("user_sig").and_then(Value::as_str)) {
        s.user_sig = sig.to_string();
        remember(&state, &s).await?;
    }
    Ok(())
}

/// `ConfabSignOutEverywhere`: every UserSig issued so far stops working, on every device;
/// this one signs out too.
#[tauri::command]
pub async fn sign_out_everywhere(state: State<'_, AppState>) -> Result<(), CmdError> {
    call(&state.sdk, "ConfabSignOutEverywhere", json!({})).await?;
    sign_out(state).await
}
