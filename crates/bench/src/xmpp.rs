//! The baseline: Prosody (Debian's package) with durable SQLite storage and message archiving
//! (`storage = "sql"`, `mod_mam`), driven by a minimal XMPP client over plain TCP on loopback:
//! stream, in-band registration, SASL PLAIN, resource binding, presence, messages.
//!
//! A sender's "ack" is Stream Management's (XEP-0198) `<a h='n'/>` answering `<r/>` after the
//! message: Prosody handles a client's stanzas in order, archiving each message (a SQLite
//! write) before it counts it as handled.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Mutex};

use crate::client::{PushElem, PushMsg};
use crate::stats::Deliveries;

pub const HOST: &str = "localhost";

pub struct Prosody {
    pub port: u16,
    child: Child,
    _dir: PathBuf,
}

impl Drop for Prosody {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Prosody {
    /// Start Prosody in the foreground on a free loopback port with its data in `dir`.
    pub async fn start(dir: &Path) -> Result<Prosody> {
        if Command::new("prosody").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            bail!("prosody is not installed (Debian packages prosody and lua-dbi-sqlite3)");
        }
        let data = dir.join("data");
        std::fs::create_dir_all(&data)?;
        let port = free_port()?;
        let cfg = dir.join("prosody.cfg.lua");
        let d = dir.display();
        std::fs::write(
            &cfg,
            format!(
                r#"pidfile = "{d}/prosody.pid"
run_as_root = true
data_path = "{d}/data"
log = {{ error = "{d}/prosody.err" }}
admins = {{ }}
modules_enabled = {{ "roster"; "saslauth"; "disco"; "register"; "mam"; "smacks"; "ping" }}
modules_disabled = {{ "s2s"; "tls"; "offline"; "c2s_limits" }}
c2s_ports = {{ {port} }}
c2s_interfaces = {{ "127.0.0.1" }}
s2s_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
allow_registration = true
min_seconds_between_registrations = 0
registration_whitelist = {{ "127.0.0.1" }}
whitelist_registration_only = false
authentication = "internal_plain"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
storage = "sql"
sql = {{ driver = "SQLite3", database = "prosody.sqlite" }}
default_archive_policy = true
archive_expires_after = "never"
limits = {{ c2s = {{ rate = "100mb/s" }} }}
VirtualHost "{HOST}"
"#
            ),
        )?;
        let child = Command::new("prosody")
            .arg("--config")
            .arg(&cfg)
            .arg("-F")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start prosody")?;
        let p = Prosody { port, child, _dir: dir.into() };
        let end = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if Instant::now() > end {
                let err = std::fs::read_to_string(dir.join("prosody.err")).unwrap_or_default();
                bail!("prosody did not start listening: {err}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(p)
    }
}

/// Reads the stream into a buffer and hands out what the caller waits for.
struct Reader {
    rd: OwnedReadHalf,
    buf: String,
}

impl Reader {
    /// Read until `needle` appears; return everything up to and including it.
    async fn until(&mut self, needle: &str) -> Result<String> {
        self.until_any(&[needle]).await
    }

    /// Read until one of `needles` appears; return everything up to and including it.
    async fn until_any(&mut self, needles: &[&str]) -> Result<String> {
        let needle = needles.join(" | ");
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some((i, n)) = needles.iter().filter_map(|n| self.buf.find(n).map(|i| (i, n.len()))).min() {
                let rest = self.buf.split_off(i + n);
                return Ok(std::mem::replace(&mut self.buf, rest));
            }
            if Instant::now() > end {
                bail!("timed out waiting for {needle:?}; have {:?}", self.buf);
            }
            let mut chunk = [0u8; 16384];
            let left = end.saturating_duration_since(Instant::now());
            let Ok(n) = tokio::time::timeout(left, self.rd.read(&mut chunk)).await else {
                bail!("timed out waiting for {needle:?}; have {:?}", self.buf);
            };
            let n = n?;
            if n == 0 {
                bail!("stream closed while waiting for {needle:?}; have {:?}", self.buf);
            }
            self.buf.push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    }
}

fn stream_header() -> String {
    format!(
        "<?xml version='1.0'?><stream:stream to='{HOST}' xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
    )
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// An XMPP session: logged in, bound, available.
pub struct Session {
    wr: Arc<Mutex<OwnedWriteHalf>>,
    /// Stanzas this side sent since `<enable/>` (Stream Management counts them).
    sent: u64,
    acks: Option<mpsc::UnboundedReceiver<u64>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Register `user` in-band (an account that exists already is fine).
pub async fn register(port: u16, user: &str, password: &str) -> Result<()> {
    let s = TcpStream::connect(("127.0.0.1", port)).await?;
    s.set_nodelay(true)?;
    let (rd, mut wr) = s.into_split();
    let mut r = Reader { rd, buf: String::new() };
    wr.write_all(stream_header().as_bytes()).await?;
    r.until("</stream:features>").await?;
    wr.write_all(
        format!(
            "<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>{user}</username>\
             <password>{password}</password></query></iq>"
        )
        .as_bytes(),
    )
    .await?;
    let answer = r.until_any(&["type='result'/>", "</iq>"]).await?;
    if answer.contains("type='error'") && !answer.contains("conflict") {
        bail!("registration of {user} failed: {answer}");
    }
    let _ = wr.write_all(b"</stream:stream>").await;
    Ok(())
}

impl Session {
    /// Log in. `sender`: enable Stream Management for acks. Messages received go to `sink`.
    pub async fn login(
        port: u16,
        index: usize,
        user: &str,
        password: &str,
        sender: bool,
        sink: Option<Arc<Deliveries>>,
    ) -> Result<Session> {
        let s = TcpStream::connect(("127.0.0.1", port)).await?;
        s.set_nodelay(true)?;
        let (rd, mut wr) = s.into_split();
        let mut r = Reader { rd, buf: String::new() };
        wr.write_all(stream_header().as_bytes()).await?;
        r.until("</stream:features>").await?;
        let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
        wr.write_all(
            format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{plain}</auth>").as_bytes(),
        )
        .await?;
        let a = r.until("/>").await?;
        if !a.contains("success") {
            bail!("SASL failed for {user}: {a}");
        }
        wr.write_all(stream_header().as_bytes()).await?;
        r.until("</stream:features>").await?;
        wr.write_all(
            b"<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bench</resource></bind></iq>",
        )
        .await?;
        r.until("</iq>").await?;
        let mut sent = 0;
        if sender {
            wr.write_all(b"<enable xmlns='urn:xmpp:sm:3'/>").await?;
            r.until("/>").await?;
        }
        wr.write_all(b"<presence/>").await?;
        if sender {
            sent += 1;
        }
        let (ack_tx, acks) = mpsc::unbounded_channel();
        let wr = Arc::new(Mutex::new(wr));
        let wr2 = wr.clone();
        let task = tokio::spawn(async move {
            let Reader { mut rd, mut buf } = r;
            let mut chunk = vec![0u8; 65536];
            loop {
                // Handle every complete element in the buffer.
                loop {
                    if let Some(i) = buf.find("<a ") {
                        if let Some(j) = buf[i..].find("/>") {
                            let el = &buf[i..i + j];
                            if let Some(h) = attr(el, "h").and_then(|v| v.parse::<u64>().ok()) {
                                let _ = ack_tx.send(h);
                            }
                            buf.replace_range(i..i + j + 2, "");
                            continue;
                        }
                    }
                    if let Some(i) = buf.find("<r ") {
                        if let Some(j) = buf[i..].find("/>") {
                            buf.replace_range(i..i + j + 2, "");
                            continue;
                        }
                    }
                    if let Some(i) = buf.find("<message") {
                        if let Some(j) = buf[i..].find("</message>") {
                            let el = buf[i..i + j].to_string();
                            buf.replace_range(i..i + j + "</message>".len(), "");
                            if let (Some(sink), Some(b)) = (&sink, body(&el)) {
                                let msg = PushMsg { message_elem_array: vec![PushElem { text_elem_content: b }] };
                                sink.record(index, &msg);
                            }
                            continue;
                        }
                    }
                    break;
                }
                if buf.len() > 1 << 20 {
                    // Nothing of interest in a megabyte: drop what cannot be a partial element.
                    let keep = buf.rfind('<').unwrap_or(buf.len());
                    buf.replace_range(..keep, "");
                }
                match rd.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.push_str(&String::from_utf8_lossy(&chunk[..n])),
                }
            }
        });
        let _ = wr2;
        Ok(Session { wr, sent, acks: sender.then_some(acks), task })
    }

    /// Send a message (and an ack request); returns the `h` that acknowledges it.
    pub async fn send(&mut self, to: &str, text: &str) -> Result<u64> {
        self.sent += 1;
        let stanza = format!(
            "<message to='{to}@{HOST}' type='chat' id='m{}'><body>{}</body></message><r xmlns='urn:xmpp:sm:3'/>",
            self.sent,
            xml_escape(text)
        );
        self.wr.lock().await.write_all(stanza.as_bytes()).await?;
        Ok(self.sent)
    }

    /// Wait until Prosody acknowledges `h` handled stanzas.
    pub async fn acked(&mut self, h: u64) -> Result<()> {
        let acks = self.acks.as_mut().context("not a sender")?;
        loop {
            let got = tokio::time::timeout(Duration::from_secs(60), acks.recv())
                .await
                .context("no ack within 60 s")?
                .context("stream closed")?;
            if got >= h {
                return Ok(());
            }
        }
    }
}

fn attr(el: &str, name: &str) -> Option<String> {
    for q in ['\'', '"'] {
        let key = format!("{name}={q}");
        if let Some(i) = el.find(&key) {
            let rest = &el[i + key.len()..];
            return rest.find(q).map(|j| rest[..j].to_string());
        }
    }
    None
}

fn body(el: &str) -> Option<String> {
    let i = el.find("<body>")? + "<body>".len();
    let j = el[i..].find("</body>")?;
    Some(el[i..i + j].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
}
