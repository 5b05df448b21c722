//! The HTTP side of the port: the router (WebSocket upgrade, health, accounts, media).
use std::sync::Arc;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, State as AxState};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::ws;
use crate::context::State;
use crate::handlers::{auth, media};

/// Every route of the port.
pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(ws::ws_handler))
        .route("/ws", get(ws::ws_handler))
        .route("/healthz", get(healthz))
        // Credentials are small: a body over 64 KiB is refused before it is read whole.
        .route("/api/register", post(http_register).layer(DefaultBodyLimit::max(64 * 1024)))
        .route("/api/login", post(http_login).layer(DefaultBodyLimit::max(64 * 1024)))
        .route("/media/upload/{kind}/{content_id}", get(media::upload_status).put(media::upload_chunk))
        .route("/media/d/{content_id}", get(media::download))
        .with_state(state)
}

/// `/healthz`: "ok" only while the store commits writes (503 otherwise), so a supervisor sees
/// a server whose writer died.
async fn healthz(AxState(state): AxState<Arc<State>>) -> axum::response::Response {
    use axum::response::IntoResponse;
    if state.store.check_writer().await {
        "ok".into_response()
    } else {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "the store does not commit").into_response()
    }
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    nick_name: String,
}

fn to_json(r: crate::error::Result<confab_protocol::wire::AccountResult>) -> Json<Value> {
    match r {
        Ok(a) => Json(
            json!({"code": 0, "desc": "", "user_id": a.user_id, "user_sig": a.user_sig, "sdk_app_id": a.sdk_app_id}),
        ),
        Err(err) => {
            let (code, desc) = err.wire();
            Json(json!({"code": code, "desc": desc}))
        }
    }
}

async fn http_register(AxState(state): AxState<Arc<State>>, Json(c): Json<Credentials>) -> Json<Value> {
    to_json(auth::register(&state, &c.user_id, &c.password, &c.nick_name).await)
}

async fn http_login(
    AxState(state): AxState<Arc<State>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Json(c): Json<Credentials>,
) -> Json<Value> {
    let ip = super::client_ip(peer.map(|p| p.0 .0), &headers);
    to_json(auth::password_login(&state, &c.user_id, &c.password, ip).await)
}
