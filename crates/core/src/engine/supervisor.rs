//! A logged-in session ([`Session`]) and the tasks it owns, aborted when it is dropped (logout,
//! uninit, kick, a new login):
//!
//! - the *processor* (`processor.rs`) applies server events in inbox order (and resyncs on a
//!   gap);
//! - the *supervisor* watches the socket, reconnects with backoff, resyncs, reports network
//!   status, and ends the session on kick / UserSig expiry;
//! - the *heartbeat* pings the server and drops a socket that stopped answering;
//! - the *send queue* (`session/send_queue.rs`) puts messages on the wire in call order.
//!
//! Each socket also has a forwarder task that hands its pushes to the processor; it ends with
//! its socket's channel.
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use confab_protocol::codes;
use confab_protocol::enums::network_status;
use confab_protocol::wire::{LoginResult, Request};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::processor::processor;
use crate::error::{Error, Result};
use crate::events::{Emitter, SdkEvent};
use crate::net::link::{Closed, Inbound, Link, Socket};
use crate::session::context::{LoginInfo, ProcCmd, SessionCtx};
use crate::session::send_queue::send_queue;
use crate::store::LocalStore;
use crate::util::now_secs;

/// A logged-in session: its context and the tasks it owns.
pub struct Session {
    pub shared: Arc<SessionCtx>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Session {
    pub fn stop(&self) {
        self.shared.ended.store(true, Ordering::SeqCst);
        for t in self.tasks.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            t.abort();
        }
        self.shared.link.detach();
        self.shared.link.close();
    }

    /// Log in: open the store, connect, authenticate, catch up, then keep the link alive.
    pub async fn start(login: LoginInfo, store: LocalStore, link: Arc<Link>, emitter: Emitter) -> Result<Session> {
        let (proc_tx, proc_rx) = mpsc::unbounded_channel();
        let (send_tx, send_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(SessionCtx::new(login, store, link, emitter, proc_tx, send_tx));
        let session = Session { shared: shared.clone(), tasks: Mutex::new(Vec::new()) };
        session.spawn(processor(shared.clone(), proc_rx));
        shared.emit(SdkEvent::NetworkStatus { status: network_status::CONNECTING, code: 0, desc: String::new() });
        let socket = match connect_and_login(&shared, false).await {
            Ok(s) => s,
            Err(e) => {
                shared.emit(SdkEvent::NetworkStatus {
                    status: network_status::CONNECT_FAILED,
                    code: e.code(),
                    desc: e.to_string(),
                });
                if e.code() == codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED {
                    shared.emit(SdkEvent::UserSigExpired);
                }
                return Err(e);
            }
        };
        shared.link.set_ready(true);
        shared.emit(SdkEvent::NetworkStatus { status: network_status::CONNECTED, code: 0, desc: String::new() });
        session.spawn(supervisor(shared.clone(), socket));
        session.spawn(send_queue(shared.clone(), send_rx));
        session.spawn(heartbeat(shared.clone()));
        Ok(session)
    }

    fn spawn(&self, f: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner()).push(tokio::spawn(f));
    }
}

/// Open a socket, log in (a reconnect uses `resume`), and catch up on the inbox.
async fn connect_and_login(shared: &Arc<SessionCtx>, resume: bool) -> Result<Socket> {
    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Inbound>();
    let socket = shared.link.open(in_tx).await?;
    // Forward this socket's pushes to the processor.
    let proc_tx = shared.proc_tx.clone();
    tokio::spawn(async move {
        while let Some(i) = in_rx.recv().await {
            let cmd = match i {
                Inbound::Push(p) => ProcCmd::Push(p),
                Inbound::Resync(ms) => ProcCmd::ResyncWithin(std::time::Duration::from_millis(ms.min(60_000))),
            };
            if proc_tx.send(cmd).is_err() {
                break;
            }
        }
    });
    let l = shared.login_info();
    let req = Request::Login {
        sdk_app_id: l.sdk_app_id,
        user_id: l.user_id.clone(),
        user_sig: shared.user_sig(),
        platform: l.platform,
        instance_id: l.instance_id.clone(),
        resume,
    };
    let res = shared.link.request_raw(req).await;
    let v = match res {
        Ok(v) => v,
        Err(e) => {
            shared.link.close();
            return Err(e);
        }
    };
    if let Ok(lr) = serde_json::from_value::<LoginResult>(v) {
        *shared.server_time_offset.lock().unwrap_or_else(|p| p.into_inner()) =
            lr.server_time as i64 - now_secs() as i64;
        shared.revoke_window.store(lr.revoke_window, Ordering::Relaxed);
        let _ = shared.proc_tx.send(ProcCmd::Latest(lr.latest_seq));
    }
    shared.resync().await?;
    Ok(socket)
}

async fn supervisor(shared: Arc<SessionCtx>, mut socket: Socket) {
    loop {
        let why = (&mut socket.closed).await.unwrap_or(Closed::Lost);
        shared.link.detach();
        match why {
            Closed::Kicked => return end(&shared, SdkEvent::KickedOffline),
            Closed::SigExpired => return end(&shared, SdkEvent::UserSigExpired),
            Closed::Lost => {
                shared.emitter.log(confab_protocol::enums::log_level::WARN, "connection lost; reconnecting");
                shared.emit(SdkEvent::NetworkStatus {
                    status: network_status::DISCONNECTED,
                    code: codes::ERR_SDK_NET_DISCONNECT,
                    desc: "connection lost".into(),
                });
            }
        }
        let t = shared.link.timeouts;
        let mut ceiling = t.backoff_min;
        loop {
            // Full jitter: a random wait up to a ceiling that doubles, so thousands of clients
            // cut off at once (a server restart) do not come back in waves.
            tokio::time::sleep(crate::util::jitter(ceiling)).await;
            ceiling = (ceiling * 2).min(t.backoff_max);
            shared.emit(SdkEvent::NetworkStatus { status: network_status::CONNECTING, code: 0, desc: String::new() });
            match connect_and_login(&shared, true).await {
                Ok(s) => {
                    socket = s;
                    shared.link.set_ready(true);
                    shared.emit(SdkEvent::NetworkStatus {
                        status: network_status::CONNECTED,
                        code: 0,
                        desc: String::new(),
                    });
                    break;
                }
                Err(Error::Server(c, _)) if c == codes::ERR_LOGIN_KICKED_OFF_BY_OTHER => {
                    return end(&shared, SdkEvent::KickedOffline)
                }
                Err(Error::Server(c, _)) if c == codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED => {
                    return end(&shared, SdkEvent::UserSigExpired)
                }
                Err(e) => {
                    tracing::debug!(error = %e, "reconnect failed");
                    shared.emit(SdkEvent::NetworkStatus {
                        status: network_status::CONNECT_FAILED,
                        code: e.code(),
                        desc: e.to_string(),
                    });
                }
            }
        }
    }
}

fn end(shared: &Arc<SessionCtx>, event: SdkEvent) {
    shared.ended.store(true, Ordering::SeqCst);
    shared.link.detach();
    shared.emit(event);
}

/// How long pushes already on their way get to be applied before the inbox's newest seq is
/// compared with the cursor.
const BEHIND_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

async fn heartbeat(shared: Arc<SessionCtx>) {
    let every = shared.link.timeouts.heartbeat;
    // Part of the interval already spent waiting after the inbox check: pings stay `every`
    // apart (the server drops a connection silent for longer than its idle timeout).
    let mut waited = std::time::Duration::ZERO;
    loop {
        tokio::time::sleep(every.saturating_sub(std::mem::take(&mut waited))).await;
        if !shared.link.is_ready() {
            continue;
        }
        match shared.link.request_raw(Request::Ping).await {
            Ok(_) => {}
            Err(Error::Timeout) => {
                tracing::warn!("heartbeat unanswered; dropping the socket");
                shared.link.close();
                continue;
            }
            Err(_) => continue,
        }
        // A live connection can still lose pushes (a middlebox that drops data, a link that
        // was cut and restored underneath): the inbox's newest seq, answered after the pushes
        // already queued for us, tells. The processor checks it once those have been applied.
        match shared.link.request_raw(Request::InboxLatest).await {
            Ok(v) => {
                if let Some(latest) = v.get("latest_seq").and_then(serde_json::Value::as_u64) {
                    waited = BEHIND_GRACE.min(every / 2);
                    tokio::time::sleep(waited).await;
                    let _ = shared.proc_tx.send(ProcCmd::Behind(latest));
                }
            }
            // Unanswered like a ping: the link went dead since (waiting a whole heartbeat more
            // would leave a blackholed link up for 25 s longer).
            Err(Error::Timeout) => {
                tracing::warn!("inbox check unanswered; dropping the socket");
                shared.link.close();
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn reconnect_waits_are_spread_over_the_whole_ceiling() {
        let ceiling = Duration::from_millis(1000);
        let waits: Vec<Duration> = (0..1000).map(|_| crate::util::jitter(ceiling)).collect();
        assert!(waits.iter().all(|w| *w <= ceiling));
        let low = waits.iter().filter(|w| **w < ceiling / 4).count();
        let high = waits.iter().filter(|w| **w > ceiling * 3 / 4).count();
        assert!(low > 150 && high > 150, "full jitter uses the whole range: {low} low, {high} high");
    }
}
