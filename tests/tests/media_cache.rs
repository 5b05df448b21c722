//! Media (issue 4, continued): the local media cache, transfers resumed after a restart, video
//! snapshots from ffmpeg, the server's retention / stale-upload sweeper, declared sizes checked
//! against the stored blobs, and signed links that expire.
//!
//! Interrupted transfers are made by a TCP proxy between the SDK and the real server that cuts
//! (or stalls) media connections after a number of bytes, as a dropped network would.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use confab_core::content_id;
use confab_core::http;
use confab_core::Reply;
use confab_core::SdkEvent;
use confab_tests::{eventually, raw_call, raw_login, TestClient, TestServer, WAIT};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---- a proxy that cuts media transfers ----

#[derive(Default)]
struct ProxyState {
    /// Upload (PUT /media/upload) connections: forward this many client bytes, then stall
    /// (0 = no limit).
    upload_stall_after: AtomicU64,
    /// Download (GET /media/d/) connections: forward this many server bytes, then cut (0 = no
    /// limit).
    download_cut_after: AtomicU64,
    /// Server bytes forwarded on download connections, and how many there were.
    download_bytes: AtomicU64,
    downloads: AtomicU64,
    /// Set to drop every stalled connection.
    release: AtomicBool,
    release_notify: tokio::sync::Notify,
}

struct Proxy {
    url: String,
    state: Arc<ProxyState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    async fn start(srv: &TestServer) -> Proxy {
        let upstream = srv.url().trim_start_matches("ws://").split('/').next().unwrap().to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let state = Arc::new(ProxyState::default());
        let st = state.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    acc = listener.accept() => {
                        let Ok((client, _)) = acc else { break };
                        conns.spawn(relay(client, upstream.clone(), st.clone()));
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
        });
        Proxy { url, state, task }
    }

    fn release_stalled(&self) {
        self.state.release.store(true, Ordering::SeqCst);
        self.state.release_notify.notify_waiters();
    }
}

/// Copy `from` → `to`, at most `limit` bytes (0 = all); then stall until released, or end.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    first: Vec<u8>,
    limit: u64,
    stall: bool,
    counter: Option<&AtomicU64>,
    st: &ProxyState,
) {
    let mut sent = 0u64;
    let mut buf = vec![0u8; 16 * 1024];
    let mut pending = first;
    loop {
        if pending.is_empty() {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            }
        }
        let room = if limit == 0 { pending.len() as u64 } else { limit.saturating_sub(sent).min(pending.len() as u64) };
        let chunk: Vec<u8> = pending.drain(..room as usize).collect();
        if to.write_all(&chunk).await.is_err() {
            break;
        }
        sent += chunk.len() as u64;
        if let Some(c) = counter {
            c.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        }
        if limit != 0 && sent >= limit {
            if stall {
                // Hold the connection open without forwarding until released.
                while !st.release.load(Ordering::SeqCst) {
                    let _ = tokio::time::timeout(Duration::from_millis(50), st.release_notify.notified()).await;
                }
            }
            break;
        }
    }
}

async fn relay(client: TcpStream, upstream: String, st: Arc<ProxyState>) {
    let Ok(server) = TcpStream::connect(&upstream).await else { return };
    let (mut cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let mut first = vec![0u8; 16 * 1024];
    let n = match cr.read(&mut first).await {
        Ok(0) | Err(_) => return,
        Ok(n) => n,
    };
    first.truncate(n);
    let upload = first.starts_with(b"PUT /media/upload/");
    let download = first.starts_with(b"GET /media/d/");
    let up_limit = if upload { st.upload_stall_after.load(Ordering::SeqCst) } else { 0 };
    let down_limit = if download { st.download_cut_after.load(Ordering::SeqCst) } else { 0 };
    if download {
        st.downloads.fetch_add(1, Ordering::SeqCst);
    }
    let counter = if download { Some(&st.download_bytes) } else { None };
    // Either direction ending ends the connection (both halves are dropped).
    tokio::select! {
        _ = pump(cr, sw, first, up_limit, true, None, &st) => {}
        _ = pump(sr, cw, Vec::new(), down_limit, false, counter, &st) => {}
    }
}

// ---- helpers ----

async fn send_elem(c: &TestClient, to: &str, elem: Value) -> Reply {
    c.call(
        "TIMMsgSendMessage",
        json!({"conv_id": to, "conv_type": 1, "json_msg_param": {"message_elem_array": [elem]}}),
    )
    .await
}

/// Call a media call with progress (TIMMsgDownloadElemToPath / ConfabMediaCachePath).
async fn call_with_progress(c: &TestClient, api: &str, params: Value) -> (Reply, Vec<(u64, u64)>) {
    let inv = c.sdk.call(api, &params).await;
    assert_eq!(inv.result, 0, "{}", inv.desc);
    let mut prog = Vec::new();
    if let Some(mut rx) = inv.progress {
        while let Some(v) = rx.recv().await {
            prog.push((
                v["msg_download_elem_result_current_size"].as_u64().unwrap(),
                v["msg_download_elem_result_total_size"].as_u64().unwrap(),
            ));
        }
    }
    let r = tokio::time::timeout(WAIT, inv.callback.unwrap()).await.expect("callback in time");
    (r, prog)
}

async fn download(c: &TestClient, cid: &str, path: &str) -> (Reply, Vec<(u64, u64)>) {
    call_with_progress(
        c,
        "TIMMsgDownloadElemToPath",
        json!({"json_download_elem_param": {"msg_download_elem_param_id": cid}, "path": path}),
    )
    .await
}

async fn cache_path(c: &TestClient, cid: &str) -> (Reply, Vec<(u64, u64)>) {
    call_with_progress(
        c,
        "ConfabMediaCachePath",
        json!({"json_download_elem_param": {"msg_download_elem_param_id": cid}}),
    )
    .await
}

fn data(n: u32, salt: u32) -> Vec<u8> {
    (0..n).map(|i| ((i.wrapping_mul(31) ^ salt) % 251) as u8).collect()
}

/// Alice sends each blob to bob as a file; returns the content ids.
async fn send_files(alice: &TestClient, dir: &std::path::Path, blobs: &[Vec<u8>]) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, b) in blobs.iter().enumerate() {
        let p = dir.join(format!("f{i}.bin"));
        std::fs::write(&p, b).unwrap();
        let r = send_elem(alice, "bob", json!({"elem_type": 4, "file_elem_file_path": p.to_str().unwrap()})).await;
        assert_eq!(r.code, 0, "{}", r.desc);
        ids.push(r.json["message_elem_array"][0]["file_elem_file_id"].as_str().unwrap().to_string());
    }
    ids
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(
            w,
            h,
            |x, _| if x < w / 2 { image::Rgb([220, 20, 20]) } else { image::Rgb([20, 20, 220]) },
        );
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

// ---- 1. the media cache ----

/// Downloads go through a cache capped in size; the least recently used entries are evicted,
/// a cache hit needs no network, and the copies written to the user's paths stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_cache_lru_eviction_keeps_user_files() {
    let srv = TestServer::start().await;
    let proxy = Proxy::start(&srv).await;
    let alice = srv.client("alice").await;
    let bob = TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| {
        o.server_url = proxy.url.clone();
        o.media_cache_cap = 250_000;
    });
    bob.login("bob", &srv.usersig("bob")).await;
    let dir = tempfile::tempdir().unwrap();
    let blobs: Vec<Vec<u8>> = (0..3).map(|i| data(100_000, i)).collect();
    let ids = send_files(&alice, dir.path(), &blobs).await;
    let cache = bob.sdk.media_cache_dir().await.unwrap();
    let downloads = bob.sdk.download_dir();

    // f0 to the user's folder: fetched once, into the cache, copied out.
    let (r, _) = download(&bob, &ids[0], "saved/one.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(std::fs::read(downloads.join("saved/one.bin")).unwrap() == blobs[0]);
    assert!(std::fs::read(cache.join(&ids[0])).unwrap() == blobs[0]);
    assert_eq!(proxy.state.downloads.load(Ordering::SeqCst), 1);

    // f1 for display: its cache path.
    let (r, _) = cache_path(&bob, &ids[1]).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let p1 = r.json["media_cache_path"].as_str().unwrap().to_string();
    assert_eq!(std::path::Path::new(&p1), cache.join(&ids[1]));
    assert!(std::fs::read(&p1).unwrap() == blobs[1]);
    assert_eq!(r.json["media_cache_size"], 100_000);
    assert_eq!(proxy.state.downloads.load(Ordering::SeqCst), 2);

    // f0 again (a second save and a display): served from the cache, no request.
    let (r, prog) = download(&bob, &ids[0], "saved/two.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert_eq!(prog, vec![(100_000, 100_000)]);
    assert!(std::fs::read(downloads.join("saved/two.bin")).unwrap() == blobs[0]);
    let (r, _) = cache_path(&bob, &ids[0]).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert_eq!(proxy.state.downloads.load(Ordering::SeqCst), 2, "cache hits need no network");

    // f2 pushes the cache over its cap: f1, the least recently used, is evicted; f0 stays.
    let (r, _) = cache_path(&bob, &ids[2]).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(!cache.join(&ids[1]).exists(), "the LRU entry is evicted");
    assert!(cache.join(&ids[0]).exists() && cache.join(&ids[2]).exists());
    // The user's own copies are never touched by eviction.
    let (r, _) = cache_path(&bob, &ids[1]).await; // refetched; now f0 is the oldest
    assert_eq!(r.code, 0, "{}", r.desc);
    assert_eq!(proxy.state.downloads.load(Ordering::SeqCst), 4);
    assert!(!cache.join(&ids[0]).exists(), "f0 evicted in turn");
    assert!(std::fs::read(downloads.join("saved/one.bin")).unwrap() == blobs[0]);
    assert!(std::fs::read(downloads.join("saved/two.bin")).unwrap() == blobs[0]);
    let total: u64 = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    assert!(total <= 250_000, "cache holds {total} bytes");

    // Abandoned partial downloads older than a week go when a new download starts; recent ones
    // (which may still resume) stay.
    let week = Duration::from_secs(8 * 24 * 3600);
    let old_part = cache.join(format!("{}.part", "ab".repeat(32)));
    let new_part = cache.join(format!("{}.part", "cd".repeat(32)));
    for p in [&old_part, &new_part] {
        std::fs::write(p, b"partial").unwrap();
    }
    let f = std::fs::File::options().write(true).open(&old_part).unwrap();
    f.set_modified(std::time::SystemTime::now() - week).unwrap();
    drop(f);
    // A cache file deleted behind the SDK's back is fetched again.
    std::fs::remove_file(cache.join(&ids[2])).unwrap();
    let (r, _) = cache_path(&bob, &ids[2]).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(std::fs::read(cache.join(&ids[2])).unwrap() == blobs[2]);
    assert!(!old_part.exists(), "a week-old partial download is dropped");
    assert!(new_part.exists(), "a recent partial download stays");
}

/// The sender keeps the tiers it made in its own cache: showing them needs no download.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_cache_holds_the_senders_tiers() {
    let srv = TestServer::start().await;
    let proxy = Proxy::start(&srv).await;
    let alice = TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| o.server_url = proxy.url.clone());
    alice.login("alice", &srv.usersig("alice")).await;
    srv.client("bob").await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("photo.png");
    std::fs::write(&src, png(1600, 1200)).unwrap();
    let r = send_elem(&alice, "bob", json!({"elem_type": 1, "image_elem_orig_path": src.to_str().unwrap()})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let e = &r.json["message_elem_array"][0];
    for tier in ["thumb", "large"] {
        let (r, _) = cache_path(&alice, e[format!("image_elem_{tier}_id")].as_str().unwrap()).await;
        assert_eq!(r.code, 0, "{}", r.desc);
        let img =
            image::load_from_memory(&std::fs::read(r.json["media_cache_path"].as_str().unwrap()).unwrap()).unwrap();
        let want =
            (e[format!("image_elem_{tier}_pic_width")].as_u64(), e[format!("image_elem_{tier}_pic_height")].as_u64());
        assert_eq!((Some(u64::from(img.width())), Some(u64::from(img.height()))), want, "{tier}");
    }
    assert_eq!(proxy.state.downloads.load(Ordering::SeqCst), 0, "the sender's tiers come from its cache");
}

// ---- 2. resuming after a restart ----

/// A download cut in the middle resumes in a new SDK instance on the same data dir, fetching
/// only the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_download_resumes_after_restart() {
    let srv = TestServer::start().await;
    let proxy = Proxy::start(&srv).await;
    let alice = srv.client("alice").await;
    let dir = tempfile::tempdir().unwrap();
    let bob_dir = tempfile::tempdir().unwrap();
    let blob = data(3_000_000, 7);
    let bob = TestClient::at_with(&srv, bob_dir.path(), |o| o.server_url = proxy.url.clone());
    bob.login("bob", &srv.usersig("bob")).await;
    let ids = send_files(&alice, dir.path(), std::slice::from_ref(&blob)).await;

    proxy.state.download_cut_after.store(1_200_000, Ordering::SeqCst);
    let (r, _) = download(&bob, &ids[0], "big.bin").await;
    assert_eq!(r.code, 6009, "the cut download fails: {}", r.desc);
    let part = bob.sdk.media_cache_dir().await.unwrap().join(format!("{}.part", ids[0]));
    let have = std::fs::metadata(&part).unwrap().len();
    assert!(have > 500_000 && have < 1_200_000, "part file holds {have}");
    assert!(!bob.sdk.download_dir().join("big.bin").exists());
    bob.sdk.uninit().await;
    drop(bob);

    // The app starts again.
    proxy.state.download_cut_after.store(0, Ordering::SeqCst);
    proxy.state.download_bytes.store(0, Ordering::SeqCst);
    let bob = TestClient::at_with(&srv, bob_dir.path(), |o| o.server_url = proxy.url.clone());
    bob.login("bob", &srv.usersig("bob")).await;
    let (r, prog) = download(&bob, &ids[0], "big.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert_eq!(prog.first().copied(), Some((have, blob.len() as u64)), "resumed from the part file");
    assert!(std::fs::read(bob.sdk.download_dir().join("big.bin")).unwrap() == blob);
    let fetched = proxy.state.download_bytes.load(Ordering::SeqCst);
    let rest = blob.len() as u64 - have;
    assert!(fetched >= rest && fetched < rest + 4096, "fetched {fetched} bytes for the {rest} missing");
    assert!(!part.exists());
}

/// The app stops while an upload is under way: after the restart the message shows as failed
/// (nothing is sending it any more); resending it resumes the upload from the server's offset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_upload_cut_by_restart_fails_then_resends_from_the_servers_offset() {
    let srv = TestServer::start().await;
    let proxy = Proxy::start(&srv).await;
    let bob = srv.client("bob").await;
    let alice_dir = tempfile::tempdir().unwrap();
    let alice = TestClient::at_with(&srv, alice_dir.path(), |o| o.server_url = proxy.url.clone());
    alice.login("alice", &srv.usersig("alice")).await;
    let src_dir = tempfile::tempdir().unwrap();
    let blob = data(5_000_000, 3);
    let cid = content_id(&blob);
    let src = src_dir.path().join("movie.bin");
    std::fs::write(&src, &blob).unwrap();

    proxy.state.upload_stall_after.store(2_000_000, Ordering::SeqCst);
    let inv = alice
        .sdk
        .call(
            "TIMMsgSendMessage",
            &json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": {"message_elem_array": [
                {"elem_type": 4, "file_elem_file_path": src.to_str().unwrap()}]}}),
        )
        .await;
    assert_eq!(inv.result, 0);
    let msg_id = inv.outputs["message_id"].as_str().unwrap().to_string();
    // Wait until the server holds what got through.
    let sig = srv.usersig("alice");
    let held = || async {
        let r = http::get(
            &srv.url(),
            &format!("/media/upload/file/{cid}?total={}", blob.len()),
            &[("x-confab-user", "alice"), ("x-confab-usersig", &sig)],
        )
        .await
        .unwrap();
        r.json().await.unwrap()["offset"].as_u64().unwrap()
    };
    let mut offset = 0;
    for _ in 0..200 {
        offset = held().await;
        if offset > 1_500_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(offset > 1_500_000 && offset < 2_000_000, "server holds {offset}");
    let mine = alice.messages("bob", 1, json!({"msg_getmsglist_param_count": 5})).await;
    assert_eq!(mine[0]["message_status"], 1, "sending while the upload runs");
    // The app quits mid-upload.
    alice.sdk.uninit().await;
    drop(inv);
    drop(alice);
    proxy.release_stalled();
    proxy.state.upload_stall_after.store(0, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let offset = held().await;

    // Restart: the message is failed, and nothing was delivered.
    let alice = TestClient::at_with(&srv, alice_dir.path(), |o| o.server_url = proxy.url.clone());
    alice.login("alice", &srv.usersig("alice")).await;
    let mine = alice.messages("bob", 1, json!({"msg_getmsglist_param_count": 5})).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["message_msg_id"], msg_id.as_str());
    assert_eq!(mine[0]["message_status"], 3, "an interrupted send shows as failed: {}", mine[0]);
    // Resend it (same message): the upload continues from the server's offset.
    alice.drain().await;
    let r = alice
        .call("TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": mine[0].clone()}))
        .await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert_eq!(r.json["message_msg_id"], msg_id.as_str(), "a resend keeps the id");
    let cur: Vec<u64> = alice
        .drain()
        .await
        .into_iter()
        .filter_map(|e| match e {
            SdkEvent::MsgElemUploadProgress { cur_size, .. } => Some(cur_size),
            _ => None,
        })
        .collect();
    assert_eq!(cur.first().copied(), Some(offset), "resumed from the server's offset: {cur:?}");
    assert_eq!(cur.last().copied(), Some(blob.len() as u64));
    let mine = alice.messages("bob", 1, json!({"msg_getmsglist_param_count": 5})).await;
    assert_eq!((mine.len(), mine[0]["message_status"].as_u64()), (1, Some(2)));
    // Bob gets it once and the bytes are right.
    let got = bob.wait_for("the file", |e| matches!(e, SdkEvent::RecvNewMsg(_))).await;
    let SdkEvent::RecvNewMsg(msgs) = got else { unreachable!() };
    assert_eq!(msgs[0].message_msg_id, msg_id);
    let (r, _) = download(&bob, &cid, "movie.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(std::fs::read(bob.sdk.download_dir().join("movie.bin")).unwrap() == blob);
}

// ---- 3. video snapshot and duration ----

fn make_video(dir: &std::path::Path, secs: u32, w: u32, h: u32) -> std::path::PathBuf {
    let out = dir.join("clip.mp4");
    let st = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i", &format!("testsrc=size={w}x{h}:rate=10"), "-t"])
        .arg(secs.to_string())
        .args(["-c:v", "mpeg4", "-pix_fmt", "yuv420p", "-y"])
        .arg(&out)
        .status()
        .expect("ffmpeg is installed (scripts/test.sh installs it)");
    assert!(st.success());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_video_snapshot_and_duration_from_ffmpeg() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let dir = tempfile::tempdir().unwrap();
    let video = make_video(dir.path(), 3, 320, 240);
    let r = send_elem(&alice, "bob", json!({"elem_type": 9, "video_elem_video_path": video.to_str().unwrap()})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let e = &r.json["message_elem_array"][0];
    assert_eq!(e["video_elem_video_duration"], 3);
    assert_eq!((e["video_elem_image_width"].as_u64(), e["video_elem_image_height"].as_u64()), (Some(320), Some(240)));
    assert_eq!(e["video_elem_image_type"], "jpg");
    assert_eq!(e["video_elem_video_type"], "mp4");
    // Bob's copy says the same, and the snapshot is a 320x240 JPEG.
    let got = bob.wait_for("the video", |e| matches!(e, SdkEvent::RecvNewMsg(_))).await;
    let SdkEvent::RecvNewMsg(msgs) = got else { unreachable!() };
    let re = serde_json::to_value(&msgs[0].message_elem_array[0]).unwrap();
    assert_eq!(re["video_elem_video_duration"], 3);
    let (r, _) = cache_path(&bob, re["video_elem_image_id"].as_str().unwrap()).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let bytes = std::fs::read(r.json["media_cache_path"].as_str().unwrap()).unwrap();
    assert_eq!(image::guess_format(&bytes).unwrap(), image::ImageFormat::Jpeg);
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (320, 240));
    // A duration the caller gave is kept.
    let r = send_elem(
        &alice,
        "bob",
        json!({"elem_type": 9, "video_elem_video_path": video.to_str().unwrap(), "video_elem_video_duration": 9}),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert_eq!(r.json["message_elem_array"][0]["video_elem_video_duration"], 9);
    // Something that is no video: a clear 6017.
    let junk = dir.path().join("junk.mp4");
    std::fs::write(&junk, b"not a video at all").unwrap();
    let r = send_elem(&alice, "bob", json!({"elem_type": 9, "video_elem_video_path": junk.to_str().unwrap()})).await;
    assert_eq!(r.code, 6017, "{}", r.desc);
}

/// Without ffmpeg a video needs its snapshot from the caller: 6017 naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_video_without_ffmpeg_needs_a_snapshot() {
    let srv = TestServer::start().await;
    let empty = tempfile::tempdir().unwrap();
    let alice = TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| {
        o.ffmpeg_dir = Some(empty.path().to_path_buf());
    });
    alice.login("alice", &srv.usersig("alice")).await;
    srv.client("bob").await;
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("v.mp4");
    std::fs::write(&video, data(50_000, 1)).unwrap();
    let t = std::time::Instant::now();
    let r = send_elem(&alice, "bob", json!({"elem_type": 9, "video_elem_video_path": video.to_str().unwrap()})).await;
    assert_eq!(r.code, 6017, "{}", r.desc);
    assert!(r.desc.contains("video_elem_image_path") && r.desc.contains("ffmpeg"), "{}", r.desc);
    assert!(t.elapsed() < Duration::from_secs(5));
    // With a snapshot it goes; the duration stays as given (no ffprobe either).
    let snap = dir.path().join("s.png");
    std::fs::write(&snap, png(64, 48)).unwrap();
    let r = send_elem(
        &alice,
        "bob",
        json!({"elem_type": 9, "video_elem_video_path": video.to_str().unwrap(), "video_elem_image_path": snap.to_str().unwrap()}),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let e = &r.json["message_elem_array"][0];
    assert_eq!((e["video_elem_image_width"].as_u64(), e["video_elem_video_duration"].as_u64()), (Some(64), Some(0)));
}

// ---- 4-6. the server: retention, stale uploads, declared sizes, link expiry ----

async fn put(srv: &TestServer, user: &str, kind: &str, cid: &str, offset: u64, total: u64, bytes: &[u8]) -> Value {
    confab_tests::media_put(srv, user, kind, cid, offset, total, bytes).await.1
}

async fn fetch(srv: &TestServer, path: &str) -> (u16, Vec<u8>) {
    let r = http::get(&srv.url(), path, &[]).await.unwrap();
    let status = r.status;
    (status, r.bytes(1 << 26).await.unwrap())
}

/// Media older than the retention is no longer downloadable (6009) and its blob is deleted;
/// partial uploads left alone are deleted; uploading the same content again revives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_server_expires_media_and_sweeps_stale_uploads() {
    let srv = TestServer::start_with(|c| {
        c.media_retention = Duration::from_secs(3);
        c.media_partial_ttl = Duration::from_secs(1);
        c.media_sweep_interval = Duration::from_millis(200);
    })
    .await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let mut bob_raw = raw_login(&srv, "bob").await;
    let dir = tempfile::tempdir().unwrap();
    let blob = data(200_000, 9);
    let ids = send_files(&alice, dir.path(), std::slice::from_ref(&blob)).await;
    let cid = &ids[0];
    // A partial upload nobody finishes.
    let other = data(100_000, 10);
    let other_cid = content_id(&other);
    let v = put(&srv, "alice", "file", &other_cid, 0, 100_000, &other[..40_000]).await;
    assert_eq!(v["offset"], 40_000);
    let partial_dir = srv.dir.path().join("media/partial");
    assert_eq!(std::fs::read_dir(&partial_dir).unwrap().count(), 1);

    // Fresh: downloadable, and a link handed out now.
    let r = raw_call(&mut bob_raw, json!({"id": 2, "type": "media_url", "content_id": cid})).await;
    assert_eq!(r["code"], 0, "{r}");
    let url = r["data"]["url"].as_str().unwrap().to_string();
    assert!(fetch(&srv, &url).await.1 == blob);

    // The stale partial goes first (1 s), then the media itself (3 s).
    eventually("the stale partial upload is deleted", || async {
        std::fs::read_dir(&partial_dir).unwrap().count() == 0
    })
    .await;
    let blob_file = srv.dir.path().join("media/blobs").join(cid);
    eventually("the expired blob is deleted", || async { !blob_file.exists() }).await;
    let r = raw_call(&mut bob_raw, json!({"id": 3, "type": "media_url", "content_id": cid})).await;
    assert_eq!(r["code"], 6009, "{r}");
    let (status, body) = fetch(&srv, &url).await;
    assert_eq!(status, 410);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["code"], 6009);
    let (r, _) = download(&bob, cid, "late.bin").await;
    assert_eq!(r.code, 6009, "{}", r.desc);
    // Forwarding the expired file is refused too.
    let r = send_elem(
        &bob,
        "alice",
        json!({"elem_type": 4, "file_elem_file_id": cid, "file_elem_file_name": "f0.bin", "file_elem_file_size": 200_000}),
    )
    .await;
    assert_eq!(r.code, 6009, "{}", r.desc);
    // The partial upload starts again from zero.
    let st = confab_tests::media_upload_offset(&srv, "alice", &other_cid, 100000).await;
    assert_eq!(st["offset"], 0);

    // Sending the same file again uploads it again, and it is downloadable again.
    let ids2 = send_files(&alice, dir.path(), std::slice::from_ref(&blob)).await;
    assert_eq!(&ids2[0], cid);
    let (r, _) = download(&bob, cid, "again.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(std::fs::read(bob.sdk.download_dir().join("again.bin")).unwrap() == blob);
}

/// Declared sizes and image dimensions must be those of the stored blobs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_server_refuses_forged_sizes() {
    let srv = TestServer::start().await;
    let mut alice = raw_login(&srv, "alice").await;
    let pic = png(300, 200);
    let pic_id = content_id(&pic);
    assert_eq!(put(&srv, "alice", "image", &pic_id, 0, pic.len() as u64, &pic).await["done"], true);
    let junk = data(5000, 4);
    let junk_id = content_id(&junk);
    assert_eq!(put(&srv, "alice", "image", &junk_id, 0, 5000, &junk).await["done"], true);
    let image = |id: &str, size: usize, w: u32, h: u32| {
        let mut e = json!({"elem_type": 1, "image_elem_format": 3});
        for t in ["orig", "large", "thumb"] {
            e[format!("image_elem_{t}_id")] = json!(id);
            e[format!("image_elem_{t}_pic_size")] = json!(size);
            e[format!("image_elem_{t}_pic_width")] = json!(w);
            e[format!("image_elem_{t}_pic_height")] = json!(h);
        }
        e
    };
    // A "thumbnail" whose header claims 30000 x 30000 (S-24): a bomb for every receiver.
    let mut bomb = png(300, 200);
    bomb[16..20].copy_from_slice(&30_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&30_000u32.to_be_bytes());
    let bomb_id = content_id(&bomb);
    assert_eq!(put(&srv, "alice", "image", &bomb_id, 0, bomb.len() as u64, &bomb).await["done"], true);
    let mut bomb_thumb = image(&pic_id, pic.len(), 300, 200);
    bomb_thumb["image_elem_thumb_id"] = json!(bomb_id);
    bomb_thumb["image_elem_thumb_pic_size"] = json!(bomb.len());
    bomb_thumb["image_elem_thumb_pic_width"] = json!(30_000);
    bomb_thumb["image_elem_thumb_pic_height"] = json!(30_000);
    let _bob = raw_login(&srv, "bob").await;
    let mut n = 10;
    let mut send = |elem: Value| {
        n += 1;
        json!({"id": n, "type": "send_msg", "conv_type": 1, "conv_id": "bob",
               "msg": {"message_msg_id": format!("aa-{n}-bb"), "message_elem_array": [elem]}})
    };
    let cases = [
        (image(&pic_id, pic.len() + 1, 300, 200), 90002, "_pic_size"),
        (image(&pic_id, 10, 300, 200), 90002, "_pic_size"),
        (image(&pic_id, pic.len(), 3000, 2000), 90002, "do not match the uploaded image"),
        (image(&pic_id, pic.len(), 300, 201), 90002, "do not match the uploaded image"),
        (image(&junk_id, 5000, 10, 10), 90002, "not a JPEG"),
        (bomb_thumb, 90002, "too large to show"),
        (json!({"elem_type": 4, "file_elem_file_id": pic_id, "file_elem_file_size": 1}), 90002, "file_elem_file_size"),
        (
            json!({"elem_type": 2, "sound_elem_file_id": pic_id, "sound_elem_file_size": 0}),
            90002,
            "sound_elem_file_size",
        ),
    ];
    for (elem, code, needle) in cases {
        let req = send(elem.clone());
        let r = raw_call(&mut alice, req).await;
        assert_eq!(r["code"], code, "{elem}: {r}");
        assert!(r["desc"].as_str().unwrap().contains(needle), "{r}");
    }
    // The truth passes, also with width and height swapped (an EXIF-rotated original).
    for elem in [
        image(&pic_id, pic.len(), 300, 200),
        image(&pic_id, pic.len(), 200, 300),
        json!({"elem_type": 4, "file_elem_file_id": pic_id, "file_elem_file_size": pic.len()}),
    ] {
        let req = send(elem.clone());
        let r = raw_call(&mut alice, req).await;
        assert_eq!(r["code"], 0, "{elem}: {r}");
    }
}

/// A signed download path stops working when it expires; a fresh one works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_signed_link_expires() {
    let srv = TestServer::start_with(|c| c.media_url_ttl = Duration::from_secs(1)).await;
    let alice = srv.client("alice").await;
    let mut bob_raw = raw_login(&srv, "bob").await;
    let dir = tempfile::tempdir().unwrap();
    let blob = data(10_000, 2);
    let ids = send_files(&alice, dir.path(), std::slice::from_ref(&blob)).await;
    let r = raw_call(&mut bob_raw, json!({"id": 2, "type": "media_url", "content_id": ids[0]})).await;
    let url = r["data"]["url"].as_str().unwrap().to_string();
    let (status, body) = fetch(&srv, &url).await;
    assert_eq!(status, 200);
    assert!(body == blob);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = fetch(&srv, &url).await;
    assert_eq!(status, 403);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((v["code"].as_i64(), v["desc"].as_str()), (Some(6006), Some("link expired")));
    let r = raw_call(&mut bob_raw, json!({"id": 3, "type": "media_url", "content_id": ids[0]})).await;
    let (status, body) = fetch(&srv, r["data"]["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(body == blob);
}

/// The server's header reader: the dimensions of every format it knows, nothing for others.
#[test]
fn test_media_image_header_dims_without_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let img = image::RgbImage::from_fn(123, 45, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    for (name, f) in [
        ("a.png", image::ImageFormat::Png),
        ("a.gif", image::ImageFormat::Gif),
        ("a.bmp", image::ImageFormat::Bmp),
        ("a.webp", image::ImageFormat::WebP),
        ("a.jpg", image::ImageFormat::Jpeg),
    ] {
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img.clone()).write_to(&mut std::io::Cursor::new(&mut out), f).unwrap();
        cases.push((name, out));
    }
    // A JPEG whose frame header comes after a 60 KB APP1 segment and a fill byte.
    let plain = cases.iter().find(|c| c.0 == "a.jpg").unwrap().1.clone();
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE1];
    big.extend_from_slice(&60_002u16.to_be_bytes());
    big.extend(std::iter::repeat_n(0u8, 60_000));
    big.push(0xFF);
    big.extend_from_slice(&plain[2..]);
    cases.push(("exif.jpg", big));
    for (name, bytes) in &cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(confab_server::image_header_dims(&p).unwrap(), Some((123, 45)), "{name}");
    }
    // Lossy (VP8) and extended (VP8X, with alpha) WebP, made by ffmpeg.
    for (name, input, chunk, dims) in [
        ("lossy.webp", "testsrc=size=123x45", "VP8 ", (123, 45)),
        ("alpha.webp", "color=c=red@0.5:size=124x46,format=yuva420p", "VP8X", (124, 46)),
    ] {
        let p = dir.path().join(name);
        let st = std::process::Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i", input, "-frames:v", "1", "-c:v", "libwebp", "-y"])
            .arg(&p)
            .status()
            .expect("ffmpeg is installed (scripts/test.sh installs it)");
        assert!(st.success(), "{name}");
        assert_eq!(&std::fs::read(&p).unwrap()[12..16], chunk.as_bytes(), "{name}");
        assert_eq!(confab_server::image_header_dims(&p).unwrap(), Some(dims), "{name}");
    }
    for (name, bytes) in [("text.png", b"hello world, not an image".to_vec()), ("cut.png", cases[0].1[..20].to_vec())] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(confab_server::image_header_dims(&p).unwrap(), None, "{name}");
    }
}

/// Two views asking for the same missing blob at once share one fetch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_cache_concurrent_requests_fetch_once() {
    let srv = TestServer::start().await;
    let proxy = Proxy::start(&srv).await;
    let alice = srv.client("alice").await;
    let bob = TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| o.server_url = proxy.url.clone());
    bob.login("bob", &srv.usersig("bob")).await;
    let dir = tempfile::tempdir().unwrap();
    let blob = data(2_000_000, 5);
    let ids = send_files(&alice, dir.path(), std::slice::from_ref(&blob)).await;
    let (a, b, c) =
        tokio::join!(cache_path(&bob, &ids[0]), cache_path(&bob, &ids[0]), download(&bob, &ids[0], "x/copy.bin"));
    for (r, _) in [&a, &b, &c] {
        assert_eq!(r.code, 0, "{}", r.desc);
    }
    assert_eq!(a.0.json["media_cache_path"], b.0.json["media_cache_path"]);
    assert_eq!(proxy.state.downloads.load(Ordering::SeqCst), 1);
    assert!(std::fs::read(a.0.json["media_cache_path"].as_str().unwrap()).unwrap() == blob);
    assert!(std::fs::read(bob.sdk.download_dir().join("x/copy.bin")).unwrap() == blob);
}

/// A part file whose bytes are wrong (torn by a crash) is caught by the content hash and the
/// blob is fetched again from the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_cache_corrupt_part_is_fetched_again() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let dir = tempfile::tempdir().unwrap();
    let blob = data(1_000_000, 8);
    let ids = send_files(&alice, dir.path(), std::slice::from_ref(&blob)).await;
    let cache = bob.sdk.media_cache_dir().await.unwrap();
    std::fs::create_dir_all(&cache).unwrap();
    let mut torn = blob[..400_000].to_vec();
    torn.extend(std::iter::repeat_n(0u8, 100_000)); // a zero-filled tail, as after a power cut
    std::fs::write(cache.join(format!("{}.part", ids[0])), &torn).unwrap();
    let (r, prog) = download(&bob, &ids[0], "f.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert_eq!(prog.first().map(|p| p.0), Some(500_000), "it first resumed the torn part: {prog:?}");
    assert!(prog.iter().any(|p| p.0 == 0), "then started over: {prog:?}");
    assert!(std::fs::read(bob.sdk.download_dir().join("f.bin")).unwrap() == blob);
    assert!(std::fs::read(cache.join(&ids[0])).unwrap() == blob);
}

/// The media sweeper belongs to the server: shutting the server down ends it at once, even
/// in the middle of its wait, and the store closes (the data dir can be opened again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_sweeper_stops_with_the_server() {
    let mut srv = TestServer::start_with(|c| c.media_sweep_interval = Duration::from_secs(3600)).await;
    let t = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(5), srv.running.take().unwrap().shutdown())
        .await
        .expect("the server (and its sweeper) stop promptly");
    assert!(t.elapsed() < Duration::from_secs(5));
    // The same data dir serves again (nothing kept the old store open).
    let cfg = confab_tests::test_config(srv.dir.path(), &srv.identity);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let again = confab_server::start(cfg, listener).await.unwrap();
    again.shutdown().await;
}
