//! A raw WebSocket client speaking Confab's wire frames (no SDK): login, send, and pushes
//! handed to a callback. Frames are parsed into small structs that keep only what the bench
//! measures, so the load generator stays light beside the server on the same cores.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as Ws;

/// What a push carries that the bench looks at.
#[derive(Debug, Deserialize, Default)]
pub struct PushMsg {
    #[serde(default)]
    pub message_elem_array: Vec<PushElem>,
}

#[derive(Debug, Deserialize, Default)]
pub struct PushElem {
    #[serde(default)]
    pub text_elem_content: String,
}

#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: u64,
    #[serde(default)]
    code: i32,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    event: Option<PushEvent>,
}

#[derive(Deserialize)]
struct PushEvent {
    kind: String,
    #[serde(default)]
    msg: Option<PushMsg>,
}

/// An answer to a request.
#[derive(Debug)]
pub struct Resp {
    /// When the answer arrived.
    pub at: Instant,
    pub code: i32,
    pub desc: String,
}

/// Called for every new-message push: (receiving user index, inbox seq, message).
pub type OnPush = Arc<dyn Fn(usize, u64, &PushMsg) + Send + Sync>;

pub struct Client {
    pub index: usize,
    out: mpsc::UnboundedSender<Ws>,
    next_id: AtomicU64,
    pending: Arc<Mutex<HashMap<u64, oneshot::Sender<Resp>>>>,
    reader: tokio::task::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// Login parameters.
pub struct Login<'a> {
    pub sdk_app_id: u64,
    pub user: &'a str,
    pub sig: &'a str,
    pub resume: bool,
}

impl Client {
    /// Connect (TCP_NODELAY, as any interactive client should) without logging in.
    pub async fn connect(url: &str, index: usize, on_push: Option<OnPush>) -> Result<Client> {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true).await?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut rx) = mpsc::unbounded_channel::<Ws>();
        let writer = tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                // Send what is queued together: one flush per burst.
                if sink.feed(m).await.is_err() {
                    return;
                }
                while let Ok(m) = rx.try_recv() {
                    if sink.feed(m).await.is_err() {
                        return;
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
        });
        let pending: Arc<Mutex<HashMap<u64, oneshot::Sender<Resp>>>> = Default::default();
        let pend = pending.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(m)) = stream.next().await {
                let Ws::Text(t) = m else { continue };
                let Ok(f) = serde_json::from_str::<Frame>(t.as_str()) else { continue };
                match f.kind.as_str() {
                    "response" => {
                        let tx = pend.lock().unwrap().remove(&f.id);
                        if let Some(tx) = tx {
                            let _ = tx.send(Resp { at: Instant::now(), code: f.code, desc: f.desc });
                        }
                    }
                    "push" => {
                        if let (Some(cb), Some(ev)) = (&on_push, f.event) {
                            if ev.kind == "new_msg" || ev.kind == "group_msg" {
                                if let Some(msg) = ev.msg {
                                    cb(index, f.seq, &msg);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            // The connection ended: fail whatever still waits.
            pend.lock().unwrap().clear();
        });
        Ok(Client { index, out, next_id: AtomicU64::new(1), pending, reader, writer })
    }

    /// Send a request; the returned receiver yields its answer.
    pub fn request(&self, mut frame: Value) -> Result<oneshot::Receiver<Resp>> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        frame["id"] = json!(id);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        self.out.send(Ws::Text(frame.to_string().into())).map_err(|_| anyhow!("connection closed"))?;
        Ok(rx)
    }

    pub async fn call(&self, frame: Value) -> Result<Resp> {
        let rx = self.request(frame)?;
        let r = tokio::time::timeout(Duration::from_secs(120), rx)
            .await
            .map_err(|_| anyhow!("no answer within 120 s"))?
            .map_err(|_| anyhow!("connection closed"))?;
        Ok(r)
    }

    pub async fn login(&self, l: &Login<'_>) -> Result<()> {
        let r = self
            .call(json!({
                "type": "login", "sdk_app_id": l.sdk_app_id, "user_id": l.user, "user_sig": l.sig,
                "platform": 2, "instance_id": format!("bench-{}", l.user), "resume": l.resume,
            }))
            .await?;
        if r.code != 0 {
            bail!("login of {} refused: {} {}", l.user, r.code, r.desc);
        }
        Ok(())
    }

    /// A send-message frame with the bench's text: `b:<sent µs>:<sender>:<n>`.
    pub fn send_frame(conv_type: u32, conv_id: &str, sender: usize, n: u64, epoch: Instant) -> Value {
        let sent = epoch.elapsed().as_micros() as u64;
        json!({
            "type": "send_msg", "conv_type": conv_type, "conv_id": conv_id,
            "msg": {
                "message_msg_id": format!("b-{sender}x{n}-{sent}"),
                "message_elem_array": [{"elem_type": 0, "text_elem_content": format!("b:{sent}:{sender}:{n}")}],
            }
        })
    }

    /// Send one message and wait for its ack; the ack latency.
    pub async fn send_acked(&self, conv_type: u32, conv_id: &str, n: u64, epoch: Instant) -> Result<Duration> {
        let t = Instant::now();
        let r = self.call(Self::send_frame(conv_type, conv_id, self.index, n, epoch)).await?;
        if r.code != 0 {
            bail!("send refused: {} {}", r.code, r.desc);
        }
        Ok(t.elapsed())
    }

    pub fn close(&self) {
        let _ = self.out.send(Ws::Close(None));
    }
}

/// Parse the bench text of a message: (sent µs since epoch, sender index, n).
pub fn parse_text(msg: &PushMsg) -> Option<(u64, usize, u64)> {
    let t = &msg.message_elem_array.first()?.text_elem_content;
    let mut it = t.strip_prefix("b:")?.split(':');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}
