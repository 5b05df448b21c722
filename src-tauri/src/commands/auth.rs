//! Sign up / sign in with a password, resume with a UserSig, sign out.
use serde_json::{json, Value};
use tauri::State;

use crate::bridge::call;
use crate::dto::{CmdError, Session};
use crate::AppState;

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

/// `ConfabRegister` (register = true) or `ConfabSignIn`, then `TIMInit` + `TIMLogin`.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    server_url: String,
    user_id: String,
    password: String,
    nick_name: Option<String>,
    register: bool,
) -> Result<Session, CmdError> {
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
    init_and_login(&state, &session).await?;
    Ok(session)
}

/// Log in with a remembered (or pasted) UserSig.
#[tauri::command]
pub async fn resume_session(state: State<'_, AppState>, session: Session) -> Result<Session, CmdError> {
    init_and_login(&state, &session).await?;
    Ok(session)
}

/// `TIMLogout` then `TIMUninit`.
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<(), CmdError> {
    if state.sdk.is_inited() {
        let _ = call(&state.sdk, "TIMLogout", json!({})).await;
        call(&state.sdk, "TIMUninit", json!({})).await?;
    }
    *state.open_conv.lock().unwrap_or_else(|p| p.into_inner()) = None;
    Ok(())
}
