//! A minimal HTTP/1.1 client for the media routes of the Confab server (same host and port as
//! the WebSocket). One request per connection (`Connection: close`); request bodies are written
//! in pieces so callers can report progress; response bodies are read as a stream.
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("only ws:// and http:// servers carry media")]
    Scheme,
    #[error("connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed response")]
    Malformed,
    #[error("timed out")]
    Timeout,
}

/// `ws://host:port/...` or `http://host:port/...` → `host:port`.
pub fn authority(server_url: &str) -> Result<String, HttpError> {
    let rest =
        server_url.strip_prefix("ws://").or_else(|| server_url.strip_prefix("http://")).ok_or(HttpError::Scheme)?;
    Ok(rest.split('/').next().unwrap_or("").to_string())
}

/// A response whose body is read on demand.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub content_length: Option<u64>,
    reader: BufReader<TcpStream>,
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
pub async fn request<R: tokio::io::AsyncRead + Unpin>(
    server_url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(R, u64)>,
    mut progress: impl FnMut(u64),
) -> Result<Response, HttpError> {
    let host = authority(server_url)?;
    let stream =
        tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(&host)).await.map_err(|_| HttpError::Timeout)??;
    stream.set_nodelay(true).ok();
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
pub async fn get(server_url: &str, path: &str, headers: &[(&str, &str)]) -> Result<Response, HttpError> {
    request::<tokio::io::Empty>(server_url, "GET", path, headers, None, |_| {}).await
}
