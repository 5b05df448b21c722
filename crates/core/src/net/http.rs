//! A minimal HTTP/1.1 client for the media routes of the Confab server (same host and port as
//! the WebSocket). One request per connection (`Connection: close`); request bodies are written
//! in pieces so callers can report progress; response bodies are read as a stream.
//!
//! A `wss://` server's media is fetched over `https://` with the link's rustls settings (system
//! roots + extra CA, see `tls.rs`); a `ws://` server's over plain `http://`. The server URL's
//! scheme decides, so a TLS failure never turns into a plaintext retry.
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::link::Link;
use super::tls::{client_tls_config, describe_tls, io_tls_error, server_name};
use crate::error::{Error, Result as SdkResult};

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("only ws://, wss://, http:// and https:// servers carry media")]
    Scheme,
    #[error("connection failed: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS layer failed (untrusted certificate, broken handshake); its description.
    #[error("{0}")]
    Tls(String),
    #[error("malformed response")]
    Malformed,
    #[error("timed out")]
    Timeout,
}

impl HttpError {
    /// The SDK error for a failed media transfer: TLS failures keep their own code (9501),
    /// everything else becomes `other` (6008 upload / 6009 download failures).
    pub fn into_error(self, other: impl FnOnce(String) -> Error) -> Error {
        match self {
            HttpError::Tls(d) => Error::Tls(d),
            e => other(e.to_string()),
        }
    }
}

fn split_scheme(server_url: &str) -> Result<(bool, &str), HttpError> {
    let (scheme, rest) = server_url.split_once("://").ok_or(HttpError::Scheme)?;
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => false,
        "wss" | "https" => true,
        _ => return Err(HttpError::Scheme),
    };
    Ok((tls, rest))
}

/// `ws://host:port/...`, `wss://…`, `http://…` or `https://…` → `host:port` (as written).
pub fn authority(server_url: &str) -> Result<String, HttpError> {
    let (_, rest) = split_scheme(server_url)?;
    Ok(rest.split('/').next().unwrap_or("").to_string())
}

/// The base URL of the media routes: `http://host:port` for a `ws://` server, `https://…` for
/// a `wss://` one.
pub fn base_url(server_url: &str) -> Result<String, HttpError> {
    let (tls, _) = split_scheme(server_url)?;
    Ok(format!("{}://{}", if tls { "https" } else { "http" }, authority(server_url)?))
}

/// Host (IPv6 brackets kept) and port of an authority; the scheme's default port when none.
fn host_port(authority: &str, tls: bool) -> (&str, u16) {
    let default = if tls { 443 } else { 80 };
    let (host, port) = match authority.rfind(':') {
        // A colon inside `[…]` belongs to an IPv6 address.
        Some(i) if !authority[i..].contains(']') => (&authority[..i], authority[i + 1..].parse().ok()),
        _ => (authority, None),
    };
    (host, port.unwrap_or(default))
}

/// Where a request goes: a [`Link`] (its server URL and TLS settings, extra CA included) or a
/// bare server URL (TLS trusting the system's roots only).
pub enum Target<'a> {
    Url(&'a str),
    Link(&'a Link),
}

impl<'a> From<&'a str> for Target<'a> {
    fn from(u: &'a str) -> Self {
        Target::Url(u)
    }
}

impl<'a> From<&'a String> for Target<'a> {
    fn from(u: &'a String) -> Self {
        Target::Url(u)
    }
}

impl<'a> From<&'a Link> for Target<'a> {
    fn from(l: &'a Link) -> Self {
        Target::Link(l)
    }
}

impl<'a> From<&'a std::sync::Arc<Link>> for Target<'a> {
    fn from(l: &'a std::sync::Arc<Link>) -> Self {
        Target::Link(l)
    }
}

impl Target<'_> {
    fn url(&self) -> String {
        match self {
            Target::Url(u) => u.to_string(),
            Target::Link(l) => l.url(),
        }
    }

    async fn tls_config(&self) -> SdkResult<std::sync::Arc<rustls::ClientConfig>> {
        match self {
            Target::Url(_) => client_tls_config(None).await,
            Target::Link(l) => l.tls_config().await,
        }
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A response whose body is read on demand.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub content_length: Option<u64>,
    reader: BufReader<Box<dyn Io>>,
    read: u64,
}

const IO_TIMEOUT: Duration = Duration::from_secs(30);

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The next piece of the body, `None` at its end.
    pub async fn chunk(&mut self, buf: &mut [u8]) -> Result<Option<usize>, HttpError> {
        let want = match self.content_length {
            Some(len) if self.read >= len => return Ok(None),
            Some(len) => buf.len().min((len - self.read) as usize),
            None => buf.len(),
        };
        let n = tokio::time::timeout(IO_TIMEOUT, self.reader.read(&mut buf[..want]))
            .await
            .map_err(|_| HttpError::Timeout)??;
        if n == 0 {
            return match self.content_length {
                Some(_) => Err(HttpError::Malformed),
                None => Ok(None),
            };
        }
        self.read += n as u64;
        Ok(Some(n))
    }

    /// The whole (small) body.
    pub async fn bytes(mut self, max: usize) -> Result<Vec<u8>, HttpError> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        while let Some(n) = self.chunk(&mut buf).await? {
            out.extend_from_slice(&buf[..n]);
            if out.len() > max {
                return Err(HttpError::Malformed);
            }
        }
        Ok(out)
    }

    pub async fn json(self) -> Result<serde_json::Value, HttpError> {
        let b = self.bytes(1 << 20).await?;
        serde_json::from_slice(&b).map_err(|_| HttpError::Malformed)
    }
}

/// Send a request. The body, if any, comes from `body` (read to its end, `body_len` bytes);
/// `progress` is called with the number of body bytes written so far.
pub async fn request<'a, R: tokio::io::AsyncRead + Unpin>(
    target: impl Into<Target<'a>>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(R, u64)>,
    mut progress: impl FnMut(u64),
) -> Result<Response, HttpError> {
    let target = target.into();
    let url = target.url();
    let (tls, _) = split_scheme(&url)?;
    let host = authority(&url)?;
    let (name, port) = host_port(&host, tls);
    let addr = (name.trim_start_matches('[').trim_end_matches(']'), port);
    let stream = tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(addr)).await.map_err(|_| HttpError::Timeout)??;
    stream.set_nodelay(true).ok();
    let stream: Box<dyn Io> = if tls {
        let cfg = target.tls_config().await.map_err(|e| HttpError::Tls(e.to_string()))?;
        let server_name = server_name(name).map_err(|e| HttpError::Tls(e.to_string()))?;
        let connect = tokio_rustls::TlsConnector::from(cfg).connect(server_name, stream);
        match tokio::time::timeout(IO_TIMEOUT, connect).await {
            Err(_) => return Err(HttpError::Timeout),
            Ok(Err(e)) => {
                return Err(match io_tls_error(&e) {
                    Some(t) => HttpError::Tls(describe_tls(&t)),
                    None => HttpError::Io(e),
                })
            }
            Ok(Ok(s)) => Box::new(s),
        }
    } else {
        Box::new(stream)
    };
    let mut reader = BufReader::new(stream);
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.as_ref().map(|b| b.1).unwrap_or(0)));
    let s = reader.get_mut();
    tokio::time::timeout(IO_TIMEOUT, s.write_all(head.as_bytes())).await.map_err(|_| HttpError::Timeout)??;
    // A server may answer (a refusal) before reading the whole body and close: then the
    // write fails, and its answer is still worth reading.
    let mut write_err = None;
    if let Some((mut src, len)) = body {
        let mut buf = vec![0u8; 64 * 1024];
        let mut sent = 0u64;
        while sent < len {
            let want = buf.len().min((len - sent) as usize);
            let n = src.read(&mut buf[..want]).await?;
            if n == 0 {
                return Err(HttpError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            match tokio::time::timeout(IO_TIMEOUT, s.write_all(&buf[..n])).await {
                Err(_) => return Err(HttpError::Timeout),
                Ok(Err(e)) => {
                    write_err = Some(e);
                    break;
                }
                Ok(Ok(())) => {}
            }
            sent += n as u64;
            progress(sent);
        }
    }
    if write_err.is_none() {
        if let Err(e) = s.flush().await {
            write_err = Some(e);
        }
    }
    let mut line = String::new();
    match tokio::time::timeout(IO_TIMEOUT, reader.read_line(&mut line)).await {
        Ok(Ok(n)) if n > 0 => {}
        Ok(Err(e)) => return Err(HttpError::Io(write_err.unwrap_or(e))),
        Ok(Ok(_)) => return Err(write_err.map(HttpError::Io).unwrap_or(HttpError::Malformed)),
        Err(_) => return Err(HttpError::Timeout),
    }
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(HttpError::Malformed)?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        let n =
            tokio::time::timeout(IO_TIMEOUT, reader.read_line(&mut line)).await.map_err(|_| HttpError::Timeout)??;
        if n == 0 {
            return Err(HttpError::Malformed);
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if headers.len() > 100 {
            return Err(HttpError::Malformed);
        }
        let (k, v) = l.split_once(':').ok_or(HttpError::Malformed)?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let content_length =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.parse().ok());
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        // The media routes always send a length; nothing else is spoken here.
        return Err(HttpError::Malformed);
    }
    Ok(Response { status, headers, content_length, reader, read: 0 })
}

/// A request without a body.
pub async fn get<'a>(
    target: impl Into<Target<'a>>,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Response, HttpError> {
    request::<tokio::io::Empty>(target, "GET", path, headers, None, |_| {}).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_base_follows_the_server_scheme() {
        assert_eq!(base_url("ws://h:1/ws").unwrap(), "http://h:1");
        assert_eq!(base_url("wss://h:1").unwrap(), "https://h:1");
        assert_eq!(base_url("https://h").unwrap(), "https://h");
        assert!(matches!(base_url("ftp://h"), Err(HttpError::Scheme)));
        assert_eq!(host_port("h:9", true), ("h", 9));
        assert_eq!(host_port("h", true), ("h", 443));
        assert_eq!(host_port("h", false), ("h", 80));
        assert_eq!(host_port("[::1]:7", false), ("[::1]", 7));
        assert_eq!(host_port("[::1]", true), ("[::1]", 443));
    }
}
