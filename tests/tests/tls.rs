//! TLS: the server's own TLS (`--tls-cert` / `--tls-key`), SDK clients over wss:// with media
//! over https://, the extra CA option, untrusted certificates (9501, never plaintext) and a
//! plain ws:// URL against the TLS port. A throwaway CA and server certificate per test (rcgen).
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use confab_core::{http, SdkEvent};
use confab_tests::{TestClient, TestServer};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// A CA and a server certificate for `localhost` / 127.0.0.1 signed by it, as PEM files.
struct Pki {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "Confab test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &issuer).unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(p("cert.pem"), cert.pem()).unwrap();
    std::fs::write(p("key.pem"), key.serialize_pem()).unwrap();
    Pki { ca: p("ca.pem"), cert: p("cert.pem"), key: p("key.pem"), _dir: dir }
}

async fn tls_server(pki: &Pki) -> TestServer {
    let files = confab_server::TlsFiles { cert: pki.cert.clone(), key: pki.key.clone() };
    TestServer::start_with(move |c| c.tls = Some(files)).await
}

/// A client of `url` trusting `ca` (besides the system's roots), not logged in.
fn client(srv: &TestServer, url: &str, ca: Option<&PathBuf>) -> TestClient {
    TestClient::with_options(srv, tempfile::tempdir().unwrap(), |o| {
        o.server_url = url.to_string();
        o.extra_ca_pem = ca.cloned();
    })
}

async fn send_elem(c: &TestClient, to: &str, elem: Value) -> confab_core::Reply {
    c.call(
        "TIMMsgSendMessage",
        json!({"conv_id": to, "conv_type": 1, "json_msg_param": {"message_elem_array": [elem]}}),
    )
    .await
}

async fn download(c: &TestClient, id: &Value, url: &Value, path: &str) -> confab_core::Reply {
    let param = json!({"msg_download_elem_param_type": 1, "msg_download_elem_param_id": id,
                       "msg_download_elem_param_url": url});
    c.call("TIMMsgDownloadElemToPath", json!({"json_download_elem_param": param, "path": path})).await
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(
            w,
            h,
            |x, _| if x < w / 2 { image::Rgb([220, 20, 20]) } else { image::Rgb([20, 20, 220]) },
        );
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_tls_clients_chat_and_media_over_wss_and_https() {
    let pki = pki();
    let srv = tls_server(&pki).await;
    let url = srv.url();
    assert!(url.starts_with("wss://127.0.0.1:"), "{url}");
    let alice = client(&srv, &url, Some(&pki.ca));
    let bob = client(&srv, &url, Some(&pki.ca));
    alice.login("alice", &srv.usersig("alice")).await;
    bob.login("bob", &srv.usersig("bob")).await;
    assert_eq!(srv.running().online_sessions(), 2);

    // Chat both ways.
    alice.send_text("bob", 1, "hello over TLS").await;
    assert_eq!(bob.recv_texts(1).await, vec!["hello over TLS".to_string()]);
    bob.send_text("alice", 1, "and back").await;
    assert_eq!(alice.recv_texts(1).await, vec!["and back".to_string()]);

    // An image and a file: uploaded over https://, their URLs are https://.
    let dir = tempfile::tempdir().unwrap();
    let photo = png(1000, 800);
    let file: Vec<u8> = (0..1_200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("p.png"), &photo).unwrap();
    std::fs::write(dir.path().join("f.bin"), &file).unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let r = send_elem(&alice, "bob", json!({"elem_type": 1, "image_elem_orig_path": p("p.png")})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let r = send_elem(&alice, "bob", json!({"elem_type": 4, "file_elem_file_path": p("f.bin")})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let mut got = Vec::new();
    while got.len() < 2 {
        if let SdkEvent::RecvNewMsg(m) = bob.wait_for("media", |ev| matches!(ev, SdkEvent::RecvNewMsg(_))).await {
            got.extend(m.into_iter().map(|m| serde_json::to_value(&m.message_elem_array[0]).unwrap()));
        }
    }
    let img = got.iter().find(|e| e["elem_type"] == 1).expect("image");
    let fil = got.iter().find(|e| e["elem_type"] == 4).expect("file");
    let https = format!("https://{}/media/d/", srv.running().addr);
    for u in [&img["image_elem_orig_url"], &img["image_elem_thumb_url"], &fil["file_elem_url"]] {
        assert!(u.as_str().unwrap_or_default().starts_with(&https), "{u}");
    }

    // Bob downloads them (signed path over https://) and gets the same bytes.
    let r = download(&bob, &img["image_elem_orig_id"], &img["image_elem_orig_url"], "orig.png").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(std::fs::read(bob.sdk.download_dir().join("orig.png")).unwrap() == photo);
    let r = download(&bob, &img["image_elem_thumb_id"], &img["image_elem_thumb_url"], "thumb.jpg").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let thumb = image::load_from_memory(&std::fs::read(bob.sdk.download_dir().join("thumb.jpg")).unwrap()).unwrap();
    assert_eq!(thumb.height(), 198);
    let r = download(&bob, &fil["file_elem_file_id"], &fil["file_elem_url"], "f.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(std::fs::read(bob.sdk.download_dir().join("f.bin")).unwrap() == file);

    alice.ok("TIMLogout", json!({})).await;
    bob.ok("TIMLogout", json!({})).await;
    srv.running.unwrap().shutdown().await;
}

/// A TCP relay to `upstream` that records the first byte of every connection through it.
async fn relay(
    upstream: std::net::SocketAddr,
) -> (std::net::SocketAddr, Arc<Mutex<Vec<u8>>>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let first = Arc::new(Mutex::new(Vec::new()));
    let seen = first.clone();
    let task = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        while let Ok((mut down, _)) = listener.accept().await {
            let seen = seen.clone();
            conns.spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let n = down.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    return;
                }
                seen.lock().unwrap().push(buf[0]);
                let Ok(mut up) = tokio::net::TcpStream::connect(upstream).await else { return };
                if up.write_all(&buf[..n]).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                }
            });
        }
    });
    (addr, first, task)
}

/// TLS handshake record type: what every byte stream to a wss:// / https:// server starts with.
const TLS_HANDSHAKE: u8 = 0x16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_tls_untrusted_certificate_fails_with_9501_and_never_plaintext() {
    let pki = pki();
    let srv = tls_server(&pki).await;
    let (addr, first_bytes, relay_task) = relay(srv.running().addr).await;
    let url = format!("wss://{addr}");

    // Without the CA: the login fails with 9501 and says what to do; every connection the
    // client made began a TLS handshake (no plaintext retry).
    let stranger = client(&srv, &url, None);
    let r = stranger.try_login("alice", &srv.usersig("alice")).await;
    assert_eq!(r.code, 9501, "{}", r.desc);
    assert!(r.desc.contains("certificate") && r.desc.contains("CONFAB_CA_FILE"), "{}", r.desc);
    // The media client too (system roots only): 9501, a TLS handshake, no plaintext.
    let e = http::get(url.as_str(), "/healthz", &[]).await.err().expect("untrusted https refused");
    assert!(matches!(e, http::HttpError::Tls(_)), "{e:?}");
    assert_eq!(e.into_error(confab_core::Error::Download).code(), 9501);
    {
        let seen = first_bytes.lock().unwrap();
        assert!(seen.len() >= 2, "{seen:?}");
        assert!(seen.iter().all(|b| *b == TLS_HANDSHAKE), "plaintext sent: {seen:?}");
    }
    assert_eq!(srv.running().online_sessions(), 0);

    // A CA file that is not a certificate is refused clearly (9501 naming the file).
    let bad_ca = pki.key.clone();
    let c = client(&srv, &url, Some(&bad_ca));
    let r = c.try_login("alice", &srv.usersig("alice")).await;
    assert_eq!(r.code, 9501, "{}", r.desc);
    assert!(r.desc.contains("key.pem"), "{}", r.desc);

    // With the CA, through the same relay: in, and still only TLS on the wire.
    let friend = client(&srv, &url, Some(&pki.ca));
    friend.login("alice", &srv.usersig("alice")).await;
    assert_eq!(srv.running().online_sessions(), 1);
    assert!(first_bytes.lock().unwrap().iter().all(|b| *b == TLS_HANDSHAKE));
    friend.ok("TIMLogout", json!({})).await;
    relay_task.abort();
    srv.running.unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_tls_plain_ws_url_against_the_tls_port_fails_cleanly() {
    let pki = pki();
    let srv = tls_server(&pki).await;
    let plain = format!("ws://{}", srv.running().addr);
    let c = client(&srv, &plain, Some(&pki.ca));
    let t = Instant::now();
    let r = c.try_login("alice", &srv.usersig("alice")).await;
    assert_eq!(r.code, 9508, "{}", r.desc);
    // Promptly: the server ends the broken handshake, nobody waits for a timeout.
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert_eq!(srv.running().online_sessions(), 0);
    // Plain http:// to the TLS port fails too.
    assert!(http::get(format!("http://{}", srv.running().addr).as_str(), "/healthz", &[]).await.is_err());
    // The port still serves TLS clients afterwards.
    let ok = client(&srv, &srv.url(), Some(&pki.ca));
    ok.login("alice", &srv.usersig("alice")).await;
    ok.ok("TIMLogout", json!({})).await;
    srv.running.unwrap().shutdown().await;
}

/// A self-signed server certificate for 127.0.0.1: an end-entity one, or one marked as a CA
/// (what `openssl req -x509` makes by default).
fn self_signed(ca: bool) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = if ca { IsCa::Ca(BasicConstraints::Unconstrained) } else { IsCa::ExplicitNoCa };
    let cert = params.self_signed(&key).unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("cert.pem"), cert.pem()).unwrap();
    std::fs::write(p("key.pem"), key.serialize_pem()).unwrap();
    Pki { ca: p("cert.pem"), cert: p("cert.pem"), key: p("key.pem"), _dir: dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_tls_self_signed_server_certificate_as_the_extra_ca() {
    // A self-signed end-entity certificate, given to the client as its extra CA: accepted.
    let pki = self_signed(false);
    let srv = tls_server(&pki).await;
    let c = client(&srv, &srv.url(), Some(&pki.cert));
    c.login("alice", &srv.usersig("alice")).await;
    c.ok("TIMLogout", json!({})).await;
    srv.running.unwrap().shutdown().await;

    // One marked as a CA is refused by the verifier however it is trusted; the description
    // says what to change on the server.
    let pki = self_signed(true);
    let srv = tls_server(&pki).await;
    let c = client(&srv, &srv.url(), Some(&pki.cert));
    let r = c.try_login("alice", &srv.usersig("alice")).await;
    assert_eq!(r.code, 9501, "{}", r.desc);
    assert!(r.desc.contains("CA:FALSE"), "{}", r.desc);
    srv.running.unwrap().shutdown().await;
}

async fn line(out: &mut tokio::io::Lines<tokio::io::BufReader<impl tokio::io::AsyncRead + Unpin>>) -> String {
    tokio::time::timeout(confab_tests::WAIT, out.next_line()).await.expect("output in time").unwrap().expect("a line")
}

/// The real programs: `confab-server --tls-cert --tls-key` announces wss://, `confab-cli
/// --ca-file` logs in over it; a key that does not fit stops the server with a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_tls_server_and_cli_programs() {
    use std::process::Stdio;
    let pki = pki();
    let data = tempfile::tempdir().unwrap();
    let (app_id, secret) = (1_400_000_123u64, "0123456789abcdef0123456789abcdef");
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_confab-server-under-test"))
        .args(["--listen", "127.0.0.1:0", "--sdk-app-id", &app_id.to_string(), "--secret-key", secret])
        .arg("--data-dir")
        .arg(data.path())
        .arg("--tls-cert")
        .arg(&pki.cert)
        .env("CONFAB_TLS_KEY", &pki.key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = tokio::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let first = line(&mut out).await;
    let url = first.strip_prefix("listening on ").unwrap_or_else(|| panic!("{first}")).to_string();
    assert!(url.starts_with("wss://127.0.0.1:"), "{first}");

    let cli_dir = tempfile::tempdir().unwrap();
    let mut cli = tokio::process::Command::new(env!("CARGO_BIN_EXE_confab-cli-under-test"))
        .args(["--server", &url, "--ca-file"])
        .arg(&pki.ca)
        .arg("--data-dir")
        .arg(cli_dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = cli.stdin.take().unwrap();
    let mut cout = tokio::io::BufReader::new(cli.stdout.take().unwrap()).lines();
    let sig = confab_server::usersig::generate(app_id, secret, "carol", 3600, confab_server::config::now_secs() as i64);
    for r in [
        json!({"id": 1, "api": "TIMInit", "params": {"sdk_app_id": app_id}}),
        json!({"id": 2, "api": "TIMLogin", "params": {"user_id": "carol", "user_sig": sig}}),
    ] {
        stdin.write_all(format!("{r}\n").as_bytes()).await.unwrap();
        loop {
            let v: Value = serde_json::from_str(&line(&mut cout).await).unwrap();
            if v["id"] == r["id"] && (v.get("code").is_some() || (v["id"] == 1 && v.get("result").is_some())) {
                assert_eq!(v.get("code").unwrap_or(&v["result"]), 0, "{v}");
                break;
            }
        }
    }
    drop(stdin);
    let _ = tokio::time::timeout(confab_tests::WAIT, cli.wait()).await;
    server.kill().await.unwrap();

    // The CA's certificate is not the server's key pair: the start fails and says so.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_confab-server-under-test"))
        .args(["--listen", "127.0.0.1:0", "--sdk-app-id", &app_id.to_string(), "--secret-key", secret])
        .arg("--data-dir")
        .arg(data.path())
        .arg("--tls-cert")
        .arg(&pki.ca)
        .arg("--tls-key")
        .arg(&pki.key)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tls"), "{err}");
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
}
