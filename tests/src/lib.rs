//! Test harness: a real `confab-server` in process on port 0 with a temporary database (an
//! SQLite file, or a schema of a PostgreSQL cluster: see [`engines`]), and real SDK clients
//! (each with its own temporary data dir) talking to it over WebSockets.
pub mod engines;

use std::path::PathBuf;
use std::time::Duration;

use confab_core::Reply;
use confab_core::{Sdk, SdkEvent, SdkOptions, Timeouts};
use confab_server::{AppIdentity, Config, Running};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::mpsc;

/// How long a test waits for something that should happen promptly.
pub const WAIT: Duration = Duration::from_secs(15);

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .try_init();
}

pub struct TestServer {
    pub dir: TempDir,
    pub running: Option<Running>,
    pub identity: AppIdentity,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Start with a configuration tweak (revoke window, word filter, idle timeout...).
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        init_tracing();
        let dir = tempfile::tempdir().expect("tempdir");
        let identity = AppIdentity::load_or_create(dir.path(), None, None).expect("identity");
        let mut cfg = test_config(dir.path(), &identity);
        tweak(&mut cfg);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let running = confab_server::start(cfg, listener).await.expect("start server");
        TestServer { dir, running: Some(running), identity }
    }

    /// A node of a service: the service's app identity (every node of one service shares it),
    /// its own data dir, and `tweak` (the shared `--store`, `--bus`, `--media-dir`).
    pub async fn start_node(identity: &AppIdentity, tweak: impl FnOnce(&mut Config)) -> TestServer {
        init_tracing();
        let dir = tempfile::tempdir().expect("tempdir");
        let identity =
            AppIdentity::load_or_create(dir.path(), Some(identity.sdk_app_id), Some(identity.secret_key.clone()))
                .expect("identity");
        let mut cfg = Config::new(dir.path().to_path_buf(), identity.clone());
        tweak(&mut cfg);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let running = confab_server::start(cfg, listener).await.expect("start node");
        TestServer { dir, running: Some(running), identity }
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().expect("server is running")
    }

    pub fn url(&self) -> String {
        self.running().url()
    }

    pub fn usersig(&self, user: &str) -> String {
        self.running().usersig(user, 86400)
    }

    pub fn usersig_expiring(&self, user: &str, secs: i64) -> String {
        self.running().usersig(user, secs)
    }

    /// A client logged in as `user` (new data dir).
    pub async fn client(&self, user: &str) -> TestClient {
        let c = TestClient::new(self, tempfile::tempdir().expect("tempdir"));
        c.login(user, &self.usersig(user)).await;
        c
    }
}

/// A server configuration over `data_dir` on the engine this test run uses.
pub fn test_config(data_dir: &std::path::Path, identity: &AppIdentity) -> Config {
    let mut cfg = Config::new(data_dir.to_path_buf(), identity.clone());
    cfg.store_url = engines::store_url_for(data_dir);
    cfg
}

pub fn fast_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(5),
        request: Duration::from_secs(10),
        wait_ready: Duration::from_secs(10),
        heartbeat: Duration::from_secs(2),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
    }
}

pub struct TestClient {
    pub sdk: Sdk,
    /// The temporary data dir this client owns (None when it uses a caller's path).
    pub dir: Option<TempDir>,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<SdkEvent>>,
    pub seen: std::sync::Mutex<Vec<SdkEvent>>,
}

impl TestClient {
    /// An initialised SDK instance (not logged in) for `dir`, subscribed to events.
    pub fn new(server: &TestServer, dir: TempDir) -> TestClient {
        Self::with_options(server, dir, |_| {})
    }

    /// A client whose data lives at `path` (the same device across restarts).
    pub fn at(server: &TestServer, path: &std::path::Path) -> TestClient {
        Self::build(server, None, path.to_path_buf(), |_| {})
    }

    /// A client whose data lives at `path`, with options tweaked (a restart with settings).
    pub fn at_with(server: &TestServer, path: &std::path::Path, tweak: impl FnOnce(&mut SdkOptions)) -> TestClient {
        Self::build(server, None, path.to_path_buf(), tweak)
    }

    pub fn with_options(server: &TestServer, dir: TempDir, tweak: impl FnOnce(&mut SdkOptions)) -> TestClient {
        let path = dir.path().to_path_buf();
        Self::build(server, Some(dir), path, tweak)
    }

    fn build(
        server: &TestServer,
        dir: Option<TempDir>,
        path: PathBuf,
        tweak: impl FnOnce(&mut SdkOptions),
    ) -> TestClient {
        let mut opts = SdkOptions {
            server_url: server.running.as_ref().map(|r| r.url()).unwrap_or_default(),
            data_dir: path,
            timeouts: fast_timeouts(),
            ..Default::default()
        };
        tweak(&mut opts);
        let sdk = Sdk::new(opts);
        let events = sdk.subscribe();
        sdk.init(server.identity.sdk_app_id, "", "");
        TestClient { sdk, dir, events: tokio::sync::Mutex::new(events), seen: std::sync::Mutex::new(Vec::new()) }
    }

    pub async fn login(&self, user: &str, sig: &str) {
        let r = self.try_login(user, sig).await;
        assert_eq!(r.code, 0, "login of {user} failed: {}", r.desc);
    }

    pub async fn try_login(&self, user: &str, sig: &str) -> Reply {
        self.call("TIMLogin", json!({"user_id": user, "user_sig": sig})).await
    }

    /// Call a TIM API and wait for its callback; a non-zero TIMResult becomes the code.
    pub async fn call(&self, api: &str, params: Value) -> Reply {
        let inv = self.sdk.call(api, &params).await;
        if inv.result != 0 {
            return Reply { code: inv.result, desc: inv.desc, json: Value::Null };
        }
        match inv.callback {
            Some(cb) => tokio::time::timeout(WAIT, cb).await.unwrap_or_else(|_| panic!("{api} callback timed out")),
            None => Reply { code: 0, desc: String::new(), json: Value::Object(inv.outputs) },
        }
    }

    pub async fn ok(&self, api: &str, params: Value) -> Value {
        let r = self.call(api, params).await;
        assert_eq!(r.code, 0, "{api} failed: {} ({})", r.desc, r.code);
        r.json
    }

    pub async fn send_text(&self, conv_id: &str, conv_type: u32, text: &str) -> Value {
        self.ok(
            "TIMMsgSendMessage",
            json!({"conv_id": conv_id, "conv_type": conv_type,
                   "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": text}]}}),
        )
        .await
    }

    pub async fn messages(&self, conv_id: &str, conv_type: u32, param: Value) -> Vec<Value> {
        let v = self
            .ok("TIMMsgGetMsgList", json!({"conv_id": conv_id, "conv_type": conv_type, "json_get_msg_param": param}))
            .await;
        v.as_array().cloned().unwrap_or_default()
    }

    pub async fn convs(&self) -> Vec<Value> {
        self.ok("TIMConvGetConvList", json!({})).await.as_array().cloned().unwrap_or_default()
    }

    pub async fn conv(&self, conv_id: &str) -> Option<Value> {
        self.convs().await.into_iter().find(|c| c["conv_id"] == conv_id)
    }

    /// Wait for an event matching `pred` (events seen earlier and not yet matched count too).
    pub async fn wait_for(&self, what: &str, mut pred: impl FnMut(&SdkEvent) -> bool) -> SdkEvent {
        {
            let mut seen = self.seen.lock().unwrap();
            if let Some(i) = seen.iter().position(&mut pred) {
                return seen.remove(i);
            }
        }
        let mut rx = self.events.lock().await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let e = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .expect("event stream closed");
            if pred(&e) {
                return e;
            }
            self.seen.lock().unwrap().push(e);
        }
    }

    /// Collect text contents of new messages until `n` have arrived.
    pub async fn recv_texts(&self, n: usize) -> Vec<String> {
        let mut out = Vec::new();
        while out.len() < n {
            if let SdkEvent::RecvNewMsg(msgs) =
                self.wait_for("new messages", |e| matches!(e, SdkEvent::RecvNewMsg(_))).await
            {
                for m in msgs {
                    out.push(text_of(&serde_json::to_value(&m).unwrap()));
                }
            }
        }
        out
    }

    /// Drain events that are already queued, without waiting.
    pub async fn drain(&self) -> Vec<SdkEvent> {
        let mut rx = self.events.lock().await;
        let mut out: Vec<SdkEvent> = std::mem::take(&mut *self.seen.lock().unwrap());
        while let Ok(e) = rx.try_recv() {
            out.push(e);
        }
        out
    }
}

/// The text of a message's first text element.
pub fn text_of(m: &Value) -> String {
    m["message_elem_array"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["elem_type"] == 0))
        .and_then(|e| e["text_elem_content"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Wait until `f` returns true (polling).
pub async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// A raw protocol connection (the wire frames of confab-protocol, no SDK).
pub type RawWs = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw protocol connection logged in as `user` (platform 2, its own instance id).
pub async fn raw_login(srv: &TestServer, user: &str) -> RawWs {
    let (mut ws, _) = tokio_tungstenite::connect_async(srv.url()).await.unwrap();
    let login = json!({"id": 1, "type": "login", "sdk_app_id": srv.identity.sdk_app_id, "user_id": user,
                       "user_sig": srv.usersig(user), "platform": 2, "instance_id": format!("raw-{user}")});
    let r = raw_call(&mut ws, login).await;
    assert_eq!(r["code"], 0, "{r}");
    ws
}

/// Send one request frame and return its response (pushes in between are skipped).
pub async fn raw_call(ws: &mut RawWs, req: Value) -> Value {
    use futures_util::{SinkExt, StreamExt};
    let id = req["id"].clone();
    ws.send(tokio_tungstenite::tungstenite::Message::Text(req.to_string().into())).await.unwrap();
    loop {
        let r: Value = serde_json::from_str(ws.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
        if r["type"] == "response" && r["id"] == id {
            return r;
        }
    }
}

/// `PUT /media/upload/{kind}/{cid}?offset=&total=` as `user` (the server's upload route, no
/// SDK): the HTTP status and the JSON answer.
pub async fn media_put(
    srv: &TestServer,
    user: &str,
    kind: &str,
    cid: &str,
    offset: u64,
    total: u64,
    bytes: &[u8],
) -> (u16, Value) {
    let sig = srv.usersig(user);
    let path = format!("/media/upload/{kind}/{cid}?offset={offset}&total={total}");
    let r = confab_core::http::request(
        &srv.url(),
        "PUT",
        &path,
        &[("x-confab-user", user), ("x-confab-usersig", &sig)],
        Some((bytes, bytes.len() as u64)),
        |_| {},
    )
    .await
    .unwrap();
    let status = r.status;
    (status, r.json().await.unwrap())
}

/// How much of upload `cid` the server holds for `user` (`GET /media/upload/file/{cid}`).
pub async fn media_upload_offset(srv: &TestServer, user: &str, cid: &str, total: u64) -> Value {
    let sig = srv.usersig(user);
    confab_core::http::get(
        &srv.url(),
        &format!("/media/upload/file/{cid}?total={total}"),
        &[("x-confab-user", user), ("x-confab-usersig", &sig)],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

/// A raw protocol client whose frames are read in the background: answers are matched to
/// requests by id, pushes are kept for the test to look at. For tests with many users, where a
/// whole SDK instance per user would be too heavy.
pub struct RawClient {
    pub user: String,
    out: mpsc::UnboundedSender<tokio_tungstenite::tungstenite::Message>,
    pending: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<u64, tokio::sync::oneshot::Sender<Value>>>>,
    pub pushes: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    /// Set when the server closed the connection.
    pub closed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    next_id: std::sync::atomic::AtomicU64,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for RawClient {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl RawClient {
    /// Connect and log in as `user` (platform 2, its own instance id).
    pub async fn login(srv: &TestServer, user: &str) -> RawClient {
        Self::login_device(&srv.url(), &srv.identity, user, 2, &format!("raw-{user}")).await
    }

    /// Connect without logging in.
    pub async fn connect(srv: &TestServer) -> RawClient {
        Self::connect_url(&srv.url()).await
    }

    /// Log in as `user` to the server at `url` (a server child process), signed with `identity`.
    pub async fn login_url(url: &str, identity: &AppIdentity, user: &str) -> RawClient {
        Self::login_device(url, identity, user, 2, &format!("raw-{user}")).await
    }

    /// Log in as `user` on another platform (3) and installation: the same user's second
    /// device.
    pub async fn login_other_device(srv: &TestServer, user: &str) -> RawClient {
        Self::login_device(&srv.url(), &srv.identity, user, 3, &format!("raw-{user}-2")).await
    }

    /// Log in as `user` on `platform` from installation `instance`.
    async fn login_device(url: &str, identity: &AppIdentity, user: &str, platform: u32, instance: &str) -> RawClient {
        let mut c = Self::connect_url(url).await;
        c.user = user.to_string();
        let sig = confab_server::usersig::generate(
            identity.sdk_app_id,
            &identity.secret_key,
            user,
            86400,
            confab_server::config::now_secs() as i64,
        );
        let r = c
            .call(json!({"type": "login", "sdk_app_id": identity.sdk_app_id, "user_id": user,
                         "user_sig": sig, "platform": platform, "instance_id": instance}))
            .await;
        assert_eq!(r["code"], 0, "login of {user} ({instance}): {r}");
        c
    }

    /// Connect to `url` without logging in.
    pub async fn connect_url(url: &str) -> RawClient {
        use futures_util::{SinkExt, StreamExt};
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let (mut sink, mut stream) = ws.split();
        let (out, mut rx) = mpsc::unbounded_channel::<tokio_tungstenite::tungstenite::Message>();
        let writer = tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                if sink.send(m).await.is_err() {
                    return;
                }
            }
        });
        let pending: std::sync::Arc<
            std::sync::Mutex<std::collections::HashMap<u64, tokio::sync::oneshot::Sender<Value>>>,
        > = Default::default();
        let pushes: std::sync::Arc<std::sync::Mutex<Vec<Value>>> = Default::default();
        let (pend, push) = (pending.clone(), pushes.clone());
        let closed: std::sync::Arc<std::sync::atomic::AtomicBool> = Default::default();
        let closed2 = closed.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(m)) = stream.next().await {
                let Ok(t) = m.to_text() else { continue };
                let Ok(v) = serde_json::from_str::<Value>(t) else { continue };
                if v["type"] == "response" {
                    let tx = pend.lock().unwrap().remove(&v["id"].as_u64().unwrap_or(0));
                    if let Some(tx) = tx {
                        let _ = tx.send(v);
                    }
                } else if v["type"] == "push" {
                    push.lock().unwrap().push(v);
                }
            }
            closed2.store(true, std::sync::atomic::Ordering::SeqCst);
            pend.lock().unwrap().clear();
        });
        RawClient {
            user: String::new(),
            out,
            pending,
            pushes,
            closed,
            next_id: std::sync::atomic::AtomicU64::new(1),
            tasks: vec![reader, writer],
        }
    }

    /// Send a request; its answer.
    pub async fn call(&self, mut req: Value) -> Value {
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        req["id"] = json!(id);
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        self.out.send(tokio_tungstenite::tungstenite::Message::Text(req.to_string().into())).unwrap();
        tokio::time::timeout(WAIT, rx).await.expect("answer in time").expect("connection open")
    }

    /// Send a request; its answer, or `None` when none comes within `wait` (the connection was
    /// closed or stopped serving).
    pub async fn try_call(&self, mut req: Value, wait: Duration) -> Option<Value> {
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        req["id"] = json!(id);
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return None;
        }
        self.out.send(tokio_tungstenite::tungstenite::Message::Text(req.to_string().into())).ok()?;
        tokio::time::timeout(wait, rx).await.ok()?.ok()
    }

    /// The messages pushed so far (new and group messages), in arrival order.
    pub fn pushed_msgs(&self) -> Vec<Value> {
        self.pushes
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p["event"]["kind"] == "new_msg" || p["event"]["kind"] == "group_msg")
            .map(|p| p["event"]["msg"].clone())
            .collect()
    }
}

/// The real server program as a child process (tests that kill it or measure its memory).
/// `program` is the test's `env!("CARGO_BIN_EXE_confab-server-under-test")`.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub url: String,
}

impl ServerProcess {
    /// Start it on `listen` over `data_dir` with the app identity in the environment, and wait
    /// for the line naming its URL.
    pub fn spawn(
        program: &str,
        data_dir: &std::path::Path,
        listen: &str,
        identity: &AppIdentity,
        extra: &[&str],
    ) -> ServerProcess {
        use std::io::BufRead;
        // The engine of this test run, unless the caller names a store (a service's nodes).
        let store: Vec<String> = match extra.contains(&"--store") {
            true => Vec::new(),
            false => engines::store_url_for(data_dir).map(|u| vec!["--store".to_string(), u]).unwrap_or_default(),
        };
        let mut child = std::process::Command::new(program)
            .args(["--listen", listen, "--data-dir"])
            .arg(data_dir)
            .args(&store)
            .args(["--sdk-app-id", &identity.sdk_app_id.to_string()])
            .args(extra)
            .env("CONFAB_SECRET_KEY", &identity.secret_key)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn confab-server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("read first line");
        let url = line.trim().strip_prefix("listening on ").expect("first line names the URL").to_string();
        ServerProcess { child, url }
    }

    /// SIGKILL, and wait for it to be gone.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    /// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
    pub fn status_kib(&self, field: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("read /proc status");
        s.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc status"))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Read a connection the server is expected to close until it does (at most `wait`): how many
/// frames still came. Panics when it stays open.
pub async fn frames_until_closed<S>(ws: &mut S, wait: Duration) -> usize
where
    S: futures_util::Stream<
            Item = Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>,
        > + Unpin,
{
    use futures_util::StreamExt;
    tokio::time::timeout(wait, async {
        let mut frames = 0usize;
        while let Some(Ok(_)) = ws.next().await {
            frames += 1;
        }
        frames
    })
    .await
    .expect("the connection of a client that stopped reading is closed")
}

/// xorshift64*: reproducible random choices from one printed seed (the kill tests).
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// Every message of a conversation in a client's local store, oldest first (paged); with
/// `roaming`, holes are filled from the server's history as a person scrolling back would.
pub async fn local_store(c: &TestClient, conv_type: u32, conv_id: &str, roaming: bool) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    let mut anchor: Option<Value> = None;
    loop {
        let mut p = json!({"msg_getmsglist_param_count": 100, "msg_getmsglist_param_is_remble": roaming});
        if let Some(a) = &anchor {
            p["msg_getmsglist_param_last_msg"] = a.clone();
        }
        let page = c.messages(conv_id, conv_type, p).await;
        if page.is_empty() {
            break;
        }
        anchor = page.last().cloned();
        all.extend(page);
    }
    all.sort_by_key(|m| m["message_seq"].as_u64().unwrap_or(0));
    all
}

/// Messages whose texts are `sender|round|index`: each sender's come in send order (by seq).
/// A send that failed stays in its sender's store without a seq and is not looked at.
pub fn assert_send_order(what: &str, msgs: &[Value]) {
    let mut last: std::collections::HashMap<String, (u64, u64)> = std::collections::HashMap::new();
    for m in msgs.iter().filter(|m| m["message_seq"].as_u64().unwrap_or(0) > 0) {
        let t = text_of(m);
        let mut parts = t.split('|');
        let (Some(s), Some(r), Some(i)) = (parts.next(), parts.next(), parts.next()) else { continue };
        let (Ok(r), Ok(i)) = (r.parse::<u64>(), i.parse::<u64>()) else { continue };
        if let Some(prev) = last.insert(s.to_string(), (r, i)) {
            assert!(
                prev < (r, i),
                "{what}: {s}'s messages out of order: {prev:?} then {:?} ({} seq {})",
                (r, i),
                m["message_msg_id"],
                m["message_seq"]
            );
        }
    }
}
