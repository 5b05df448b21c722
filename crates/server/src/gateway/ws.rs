//! One WebSocket connection: read frames in order, answer each, forward pushes, enforce idle
//! timeout and UserSig expiry, unregister on exit.
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use confab_protocol::codes;
use confab_protocol::wire::{ClientFrame, ServerFrame, MAX_FRAME_BYTES};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;

use super::dispatch::{self, Session};
use crate::bus::Outbound;
use crate::context::State;

pub(crate) async fn ws_handler(AxState(state): AxState<Arc<State>>, ws: WebSocketUpgrade) -> Response {
    if !state.accepting.load(Ordering::SeqCst) || *state.shutdown.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, "not accepting connections").into_response();
    }
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| handle_socket(state, socket))
}

async fn handle_socket(state: Arc<State>, socket: WebSocket) {
    let conn_id = state.next_conn.fetch_add(1, Ordering::SeqCst);
    let (mut sink, mut stream) = socket.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Outbound>();
    let mut writer = tokio::spawn(async move {
        while let Some(o) = out_rx.recv().await {
            match o {
                Outbound::Frame(f) => {
                    let text = match serde_json::to_string(&f) {
                        Ok(t) => t,
                        Err(_) => continue,
                    };
                    if sink.send(WsMessage::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Outbound::Close => {
                    let _ = sink.send(WsMessage::Close(None)).await;
                    break;
                }
            }
        }
        let _ = sink.close().await;
    });
    let mut session: Option<Session> = None;
    let mut shutdown = state.shutdown.clone();
    let idle = state.cfg.idle_timeout;
    loop {
        let expiry = session.as_ref().map(|s| s.expires_at);
        let sig_expired = async {
            match expiry {
                Some(at) => {
                    let secs = at.saturating_sub(crate::config::now_secs() as i64).max(0) as u64;
                    tokio::time::sleep(std::time::Duration::from_secs(secs)).await
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            next = tokio::time::timeout(idle, stream.next()) => {
                let msg = match next {
                    Err(_) => { tracing::debug!(conn_id, "idle timeout; dropping connection"); break; }
                    Ok(None) | Ok(Some(Err(_))) => break,
                    Ok(Some(Ok(m))) => m,
                };
                match msg {
                    WsMessage::Text(t) => {
                        let reply = handle_text(&state, &mut session, conn_id, &out_tx, t.as_str()).await;
                        if out_tx.send(Outbound::Frame(reply)).is_err() { break; }
                    }
                    WsMessage::Binary(_) => {
                        let reply = ServerFrame::Response { id: 0, code: codes::ERR_SVR_COMM_REQ_JSON_PARSE_FAILED, desc: "binary frames are not supported".into(), data: Value::Null };
                        let _ = out_tx.send(Outbound::Frame(reply));
                    }
                    WsMessage::Ping(_) | WsMessage::Pong(_) => {}
                    WsMessage::Close(_) => break,
                }
            }
            _ = sig_expired => {
                let _ = out_tx.send(Outbound::Frame(ServerFrame::SigExpired));
                let _ = out_tx.send(Outbound::Close);
                break;
            }
            _ = async { let _ = shutdown.wait_for(|v| *v).await; } => {
                let _ = out_tx.send(Outbound::Close);
                break;
            }
            _ = &mut writer => {
                // Kicked or closed by the hub: the writer has already said goodbye.
                break;
            }
        }
    }
    if let Some(s) = session.take() {
        state.hub.unregister(&s.user_id, conn_id);
    }
    drop(out_tx);
    if !writer.is_finished() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), &mut writer).await;
    }
}

async fn handle_text(
    state: &Arc<State>,
    session: &mut Option<Session>,
    conn_id: u64,
    out_tx: &mpsc::UnboundedSender<Outbound>,
    text: &str,
) -> ServerFrame {
    let frame: ClientFrame = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            // Answer with the id if there is one, so the client's request does not hang.
            let id =
                serde_json::from_str::<Value>(text).ok().and_then(|v| v.get("id").and_then(Value::as_u64)).unwrap_or(0);
            return ServerFrame::Response {
                id,
                code: codes::ERR_SVR_COMM_REQ_JSON_PARSE_FAILED,
                desc: format!("invalid request: {e}"),
                data: Value::Null,
            };
        }
    };
    let id = frame.id;
    match dispatch::handle(state, session, conn_id, out_tx, frame.req).await {
        Ok(data) => ServerFrame::Response { id, code: 0, desc: String::new(), data },
        Err(err) => {
            let (code, desc) = err.wire();
            ServerFrame::Response { id, code, desc, data: Value::Null }
        }
    }
}
