//! One WebSocket connection: read frames, answer each in request order, forward pushes, enforce
//! the idle timeout and UserSig expiry, unregister on exit.
//!
//! Requests are pipelined: a send is checked and queued for the writer in the order it was read,
//! and the next frame is read while it waits for its commit, so a connection's queued sends
//! share group commits. Answers still go out in request order (and a send's only after its
//! durable commit). A ping is answered at once, never behind queued sends. At most
//! [`MAX_IN_FLIGHT`] requests wait at a time; past that the connection is not read.
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::ws::{Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State as AxState};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use confab_protocol::codes;
use confab_protocol::wire::{ClientFrame, Request, ServerFrame, MAX_FRAME_BYTES};
use futures_util::stream::FuturesOrdered;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

use super::dispatch::{self, Reply, Session};
use super::serve::Slot;
use crate::bus::{self, Inlet, Outbound, Outlet};
use crate::config::now_secs;
use crate::context::State;
use crate::store::BoxFuture;
use crate::throttle::RequestBucket;

/// Requests of one connection waiting for their answer at most.
const MAX_IN_FLIGHT: usize = 256;
/// Bytes read from the socket at a time (and the read buffer kept while idle).
const READ_BUFFER: usize = 4096;
/// Frames queued together are gathered up to this many bytes per socket write (one system call
/// for several frames when a connection's writer is behind).
const WRITE_BUFFER: usize = 16 * 1024;

pub(crate) async fn ws_handler(
    AxState(state): AxState<Arc<State>>,
    slot: Option<Extension<Slot>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let ip = super::client_ip(peer.map(|p| p.0 .0), &headers);
    if !state.accepting.load(Ordering::SeqCst) || *state.shutdown.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, "not accepting connections").into_response();
    }
    // A browser names the page that opens a socket; a page the operator did not allow is
    // refused before anything is read (S-27). Native clients send no Origin.
    if let Some(origin) = headers.get(axum::http::header::ORIGIN) {
        let allowed = origin.to_str().is_ok_and(|o| state.cfg.allowed_origins.iter().any(|a| a == o));
        if !allowed {
            return (StatusCode::FORBIDDEN, "this web origin may not connect").into_response();
        }
    }
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| async move {
            // The connection's slot (the server's connection cap) lives as long as the socket.
            let _slot = slot;
            handle_socket(state, socket, ip).await
        })
}

/// Write queued frames to the socket until the queue closes or the connection is cut; frames
/// queued together go out with one flush.
async fn write_loop(mut sink: futures_util::stream::SplitSink<WebSocket, WsMessage>, mut inlet: Inlet) {
    'outer: while let Some(first) = inlet.next().await {
        let mut item = Some(first);
        while let Some(o) = item.take() {
            match o {
                Outbound::Text(t) => {
                    let n = t.len();
                    let fed = tokio::select! {
                        r = sink.feed(WsMessage::Text(t)) => r.is_ok(),
                        _ = inlet.cut() => false,
                    };
                    inlet.written(n);
                    if !fed {
                        break 'outer;
                    }
                }
                Outbound::Close => {
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), sink.send(WsMessage::Close(None)))
                        .await;
                    return;
                }
            }
            item = inlet.try_next();
        }
        let flushed = tokio::select! {
            r = sink.flush() => r.is_ok(),
            _ = inlet.cut() => false,
        };
        if !flushed {
            break;
        }
    }
    // Cut (a reader that stopped reading) or closed: drop the socket without waiting on it.
}

/// A response frame whose data is JSON text already (no detour through `Value`).
fn raw_response(id: u64, r: crate::error::Result<String>) -> Utf8Bytes {
    match r {
        Ok(data) => format!(r#"{{"type":"response","id":{id},"code":0,"desc":"","data":{data}}}"#).into(),
        Err(err) => serde_json::to_string(&response(id, Err(err))).unwrap_or_default().into(),
    }
}

fn response(id: u64, r: crate::error::Result<Value>) -> ServerFrame {
    match r {
        Ok(data) => ServerFrame::Response { id, code: 0, desc: String::new(), data },
        Err(err) => {
            let (code, desc) = err.wire();
            ServerFrame::Response { id, code, desc, data: Value::Null }
        }
    }
}

async fn handle_socket(state: Arc<State>, socket: WebSocket, ip: IpAddr) {
    let conn_id = state.next_conn.fetch_add(1, Ordering::SeqCst);
    let (sink, mut stream) = socket.split();
    let (out, inlet) = bus::outlet(state.cfg.outbound_limit);
    let mut writer = tokio::spawn(write_loop(sink, inlet));
    let mut session: Option<Session> = None;
    let mut shutdown = state.shutdown.clone();
    let idle = state.cfg.idle_timeout;
    // A connection that does not log in soon is closed: unauthenticated sockets cannot be held.
    let login_deadline = tokio::time::Instant::now() + state.cfg.login_timeout;
    let mut inflight: FuturesOrdered<BoxFuture<'static, Utf8Bytes>> = FuturesOrdered::new();
    let mut bucket = RequestBucket::new(state.cfg.request_rate);
    loop {
        let expiry = session.as_ref().map(|s| s.expires_at);
        let sig_expired = async {
            match expiry {
                Some(at) => {
                    let secs = at.saturating_sub(now_secs() as i64).max(0) as u64;
                    tokio::time::sleep(std::time::Duration::from_secs(secs)).await
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            next = tokio::time::timeout(idle, stream.next()), if inflight.len() < MAX_IN_FLIGHT => {
                let msg = match next {
                    Err(_) => { tracing::debug!(conn_id, "idle timeout; dropping connection"); break; }
                    Ok(None) | Ok(Some(Err(_))) => break,
                    Ok(Some(Ok(m))) => m,
                };
                match msg {
                    WsMessage::Text(t) => {
                        match read_request(&state, &mut session, (conn_id, ip), &out, &mut bucket, t.as_str()).await {
                            Answer::Now(frame) if inflight.is_empty() => {
                                if !out.send_frame(&frame) { break; }
                            }
                            Answer::Now(frame) => {
                                let text: Utf8Bytes = serde_json::to_string(&frame).unwrap_or_default().into();
                                inflight.push_back(Box::pin(std::future::ready(text)));
                            }
                            Answer::OutOfOrder(frame) => {
                                if !out.send_frame(&frame) { break; }
                            }
                            Answer::Later(fut) => inflight.push_back(fut),
                        }
                    }
                    WsMessage::Binary(_) => {
                        let reply = ServerFrame::Response { id: 0, code: codes::ERR_SVR_COMM_REQ_JSON_PARSE_FAILED, desc: "binary frames are not supported".into(), data: Value::Null };
                        out.send_frame(&reply);
                    }
                    WsMessage::Ping(_) | WsMessage::Pong(_) => {}
                    WsMessage::Close(_) => break,
                }
            }
            Some(text) = inflight.next(), if !inflight.is_empty() => {
                if !out.send_text(text) { break; }
            }
            _ = tokio::time::sleep_until(login_deadline), if session.is_none() => {
                tracing::debug!(conn_id, "no login in time; dropping connection");
                out.close();
                break;
            }
            _ = sig_expired => {
                out.send_frame(&ServerFrame::SigExpired);
                out.close();
                break;
            }
            _ = async { let _ = shutdown.wait_for(|v| *v).await; } => {
                out.close();
                break;
            }
            _ = &mut writer => {
                // Kicked, closed by the hub, or cut for not reading.
                break;
            }
            _ = out.session_ended() => {
                // Kicked: not another request is served, even if the client never reads.
                session = None;
                break;
            }
        }
    }
    if let Some(s) = session.take() {
        state.hub.unregister(&s.user_id, conn_id);
    }
    drop(inflight);
    close_writer(out, writer).await;
}

async fn close_writer(out: Outlet, mut writer: tokio::task::JoinHandle<()>) {
    if !writer.is_finished() {
        out.close();
        drop(out);
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut writer).await.is_err() {
            writer.abort();
        }
    }
}

/// How a request is answered.
enum Answer {
    /// Now, in request order.
    Now(ServerFrame),
    /// Now, ahead of answers still waiting (a ping).
    OutOfOrder(ServerFrame),
    /// When the future ends, in request order (the frame's text).
    Later(BoxFuture<'static, Utf8Bytes>),
}

async fn read_request(
    state: &Arc<State>,
    session: &mut Option<Session>,
    (conn_id, ip): (u64, IpAddr),
    out: &Outlet,
    bucket: &mut RequestBucket,
    text: &str,
) -> Answer {
    let frame: ClientFrame = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            // Answer with the id if there is one, so the client's request does not hang.
            let id =
                serde_json::from_str::<Value>(text).ok().and_then(|v| v.get("id").and_then(Value::as_u64)).unwrap_or(0);
            return Answer::Now(ServerFrame::Response {
                id,
                code: codes::ERR_SVR_COMM_REQ_JSON_PARSE_FAILED,
                desc: format!("invalid request: {e}"),
                data: Value::Null,
            });
        }
    };
    let id = frame.id;
    if matches!(frame.req, Request::Ping) {
        return Answer::OutOfOrder(response(id, Ok(json!({"server_time": now_secs()}))));
    }
    // Sends have their own bounds (in-flight cap, group rate, the writer's batches), and a
    // resync's pages come back to back (each bounded by bytes): neither is counted.
    if !matches!(frame.req, Request::SendMsg { .. } | Request::Sync { .. }) && !bucket.take() {
        return Answer::Now(response(
            id,
            Err(crate::error::refused(
                codes::ERR_SVR_COMM_REQ_FREQ_LIMIT,
                "too many requests on this connection; slow down",
            )),
        ));
    }
    // Boxed: the handlers' state lives on the heap only while a request runs, so an idle
    // connection's task stays small.
    match Box::pin(dispatch::handle(state, session, (conn_id, ip), out, frame.req)).await {
        Reply::Now(r) => Answer::Now(response(id, r)),
        Reply::Later(fut) => Answer::Later(Box::pin(async move { raw_response(id, fut.await) })),
    }
}
