//! Media (issue 4): the server's upload / download routes, and media messages end to end.
use confab_core::content_id;
use confab_core::http;
use confab_tests::{media_put as put, raw_call, raw_login, RawWs as Ws, TestServer};
use serde_json::{json, Value};

async fn fetch(srv: &TestServer, path: &str, range: Option<&str>) -> (u16, Vec<u8>) {
    let headers: Vec<(&str, &str)> = range.map(|r| vec![("range", r)]).unwrap_or_default();
    let r = http::get(&srv.url(), path, &headers).await.unwrap();
    let status = r.status;
    (status, r.bytes(1 << 26).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_server_upload_resume_and_participant_download() {
    let srv = TestServer::start().await;
    let mut alice = raw_login(&srv, "alice").await;
    let mut bob = raw_login(&srv, "bob").await;
    let mut eve = raw_login(&srv, "eve").await;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let cid = content_id(&data);
    let total = data.len() as u64;

    // Bad credentials, limits.
    let r = http::request(
        &srv.url(),
        "PUT",
        &format!("/media/upload/file/{cid}?offset=0&total={total}"),
        &[("x-confab-user", "alice"), ("x-confab-usersig", "nope")],
        Some((&data[..10], 10)),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(put(&srv, "alice", "image", &cid, 0, 28 * 1024 * 1024 + 1, b"x").await.1["code"], 7005);
    assert_eq!(put(&srv, "alice", "file", &cid, 0, 100 * 1024 * 1024 + 1, b"x").await.1["code"], 7005);
    assert_eq!(put(&srv, "alice", "file", &cid, 0, 0, b"").await.1["code"], 7006);

    // An upload in two parts: the server says where to resume; a wrong offset is refused.
    let (s, v) = put(&srv, "alice", "file", &cid, 0, total, &data[..100_000]).await;
    assert_eq!((s, v["offset"].as_u64(), v["done"].as_bool()), (200, Some(100_000), Some(false)), "{v}");
    let st = confab_tests::media_upload_offset(&srv, "alice", &cid, total).await;
    assert_eq!(st["offset"], 100_000);
    let (s, v) = put(&srv, "alice", "file", &cid, 5, total, &data[5..]).await;
    assert_eq!((s, v["offset"].as_u64()), (409, Some(100_000)));
    let (s, v) = put(&srv, "alice", "file", &cid, 100_000, total, &data[100_000..]).await;
    assert_eq!((s, v["done"].as_bool()), (200, Some(true)), "{v}");

    // Content that does not match its id is refused.
    let other = vec![1u8; 10];
    let (s, v) = put(&srv, "alice", "file", &"0".repeat(64), 0, 10, &other).await;
    assert_eq!(s, 400);
    assert_eq!(v["code"], 6008);

    // Nobody may reference media they did not upload and cannot see.
    let elem =
        json!({"elem_type": 4, "file_elem_file_id": cid, "file_elem_file_name": "a.bin", "file_elem_file_size": total});
    let r = raw_call(
        &mut eve,
        json!({"id": 5, "type": "send_msg", "conv_type": 1, "conv_id": "alice",
        "msg": {"message_msg_id": "ee-1-aa", "message_elem_array": [elem]}}),
    )
    .await;
    assert_ne!(r["code"], 0, "eve cannot reference alice's upload");
    // Before it is sent, only the uploader may fetch it.
    let r = raw_call(&mut bob, json!({"id": 6, "type": "media_url", "content_id": cid})).await;
    assert_eq!(r["code"], 6006);
    let r = raw_call(
        &mut alice,
        json!({"id": 7, "type": "send_msg", "conv_type": 1, "conv_id": "bob",
        "msg": {"message_msg_id": "aa-1-bb", "message_elem_array": [elem]}}),
    )
    .await;
    assert_eq!(r["code"], 0, "{r}");

    // Bob, a participant, gets a signed path; the whole file and a range come back.
    let r = raw_call(&mut bob, json!({"id": 8, "type": "media_url", "content_id": cid})).await;
    assert_eq!(r["code"], 0, "{r}");
    let url = r["data"]["url"].as_str().unwrap().to_string();
    let (s, body) = fetch(&srv, &url, None).await;
    assert_eq!(s, 200);
    assert!(body == data);
    let (s, body) = fetch(&srv, &url, Some("bytes=250000-")).await;
    assert_eq!(s, 206);
    assert!(body[..] == data[250_000..]);
    let (s, body) = fetch(&srv, &url, Some("bytes=10-19")).await;
    assert_eq!((s, &body[..]), (206, &data[10..20]));
    assert_eq!(fetch(&srv, &url, Some("bytes=400000-")).await.0, 416);

    // Eve, an outsider: no URL, and bob's URL (or a forged one) does not work for her.
    let r = raw_call(&mut eve, json!({"id": 9, "type": "media_url", "content_id": cid})).await;
    assert_eq!(r["code"], 6006);
    let forged = url.replace("u=bob", "u=eve");
    let (s, body) = fetch(&srv, &forged, None).await;
    assert_eq!(s, 403);
    assert!(!body.windows(16).any(|w| w == &data[..16]));
    let (s, _) = fetch(&srv, &format!("/media/d/{cid}"), None).await;
    assert_eq!(s, 403);
    // Bob may forward it (he can see it); eve still cannot reference it.
    let r = raw_call(
        &mut bob,
        json!({"id": 10, "type": "send_msg", "conv_type": 1, "conv_id": "alice",
        "msg": {"message_msg_id": "bb-1-aa", "message_elem_array": [elem]}}),
    )
    .await;
    assert_eq!(r["code"], 0, "{r}");
}

// ---- sending media from local paths ----

use confab_core::SdkEvent;
use confab_tests::TestClient;
use image::{Rgb, RgbImage};

/// Left half red, right half blue (in stored orientation).
fn two_tone(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, _| if x < w / 2 { Rgb([220, 20, 20]) } else { Rgb([20, 20, 220]) })
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

fn encoded(img: &RgbImage, f: image::ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img.clone()).to_rgba8().write_to(&mut std::io::Cursor::new(&mut out), f).unwrap();
    out
}

/// A two-frame animated GIF whose first frame is `img` (the second is green).
fn animated_gif(img: &RgbImage) -> Vec<u8> {
    use image::{Delay, Frame, RgbaImage};
    let mut out = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut out);
        enc.set_repeat(image::codecs::gif::Repeat::Infinite).unwrap();
        let first = image::DynamicImage::ImageRgb8(img.clone()).to_rgba8();
        let second = RgbaImage::from_pixel(img.width(), img.height(), image::Rgba([20, 200, 20, 255]));
        for f in [first, second] {
            enc.encode_frame(Frame::from_parts(f, 0, 0, Delay::from_numer_denom_ms(100, 1))).unwrap();
        }
    }
    out
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(img).unwrap();
    out
}

/// A JPEG with an EXIF APP1 segment carrying `orientation`.
fn jpeg_with_orientation(img: &RgbImage, orientation: u16) -> Vec<u8> {
    let plain = jpeg(img);
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one IFD entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

/// A tiny JPEG whose frame header claims 65000 x 65000 pixels.
fn jpeg_bomb() -> Vec<u8> {
    let mut b = jpeg(&two_tone(16, 16));
    let sof = b.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline SOF");
    b[sof + 5..sof + 7].copy_from_slice(&65000u16.to_be_bytes());
    b[sof + 7..sof + 9].copy_from_slice(&65000u16.to_be_bytes());
    b
}

/// A tiny PNG whose header claims `side` x `side` pixels (a decompression bomb).
fn png_bomb(side: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend_from_slice(data);
        out.extend_from_slice(&c);
        out.extend_from_slice(&crc32(&c).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

async fn send_elem(c: &TestClient, to: &str, elem: Value) -> confab_core::Reply {
    c.call(
        "TIMMsgSendMessage",
        json!({"conv_id": to, "conv_type": 1, "json_msg_param": {"message_elem_array": [elem]}}),
    )
    .await
}

/// Fetch a content id through a signed path issued to `ws`'s user.
async fn fetch_cid(srv: &TestServer, ws: &mut Ws, id: u64, cid: &str) -> Vec<u8> {
    let r = raw_call(ws, json!({"id": id, "type": "media_url", "content_id": cid})).await;
    assert_eq!(r["code"], 0, "{r}");
    let (s, body) = fetch(srv, r["data"]["url"].as_str().unwrap(), None).await;
    assert_eq!(s, 200);
    body
}

fn dims(e: &Value, tier: &str) -> (i64, i64) {
    (
        e[format!("image_elem_{tier}_pic_width")].as_i64().unwrap(),
        e[format!("image_elem_{tier}_pic_height")].as_i64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_image_tiers_follow_the_rules() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let mut bob_raw = raw_login(&srv, "bob").await;
    let dir = tempfile::tempdir().unwrap();
    // (name, bytes, orig dims, large dims, thumb dims)
    type Dims = (i64, i64);
    let cases: Vec<(&str, Vec<u8>, Dims, Dims, Dims)> = vec![
        ("landscape.png", png(&two_tone(1600, 1200)), (1600, 1200), (960, 720), (264, 198)),
        ("portrait.jpg", jpeg(&two_tone(600, 1000)), (600, 1000), (600, 1000), (198, 330)),
        ("panorama.png", png(&two_tone(4000, 300)), (4000, 300), (4000, 300), (2640, 198)),
        ("tiny.png", png(&two_tone(100, 50)), (100, 50), (100, 50), (100, 50)),
        ("photo.bmp", encoded(&two_tone(800, 600), image::ImageFormat::Bmp), (800, 600), (800, 600), (264, 198)),
        ("photo.webp", encoded(&two_tone(300, 200), image::ImageFormat::WebP), (300, 200), (300, 200), (297, 198)),
        ("anim.gif", animated_gif(&two_tone(400, 300)), (400, 300), (400, 300), (264, 198)),
        ("exif6.jpg", jpeg_with_orientation(&two_tone(1000, 800), 6), (800, 1000), (720, 900), (198, 248)),
    ];
    let mut rid = 100;
    for (name, bytes, orig, large, thumb) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let r = send_elem(&alice, "bob", json!({"elem_type": 1, "image_elem_orig_path": path.to_str().unwrap()})).await;
        assert_eq!(r.code, 0, "{name}: {}", r.desc);
        let e = &r.json["message_elem_array"][0];
        assert_eq!(dims(e, "orig"), orig, "{name} orig");
        assert_eq!(dims(e, "large"), large, "{name} large");
        assert_eq!(dims(e, "thumb"), thumb, "{name} thumb");
        assert_eq!(e["image_elem_orig_pic_size"], bytes.len() as i64);
        assert_eq!(e["image_elem_orig_path"], path.to_str().unwrap(), "the sender keeps its path");
        // The receiver gets the same fields (but not the sender's local path).
        let got = bob.wait_for(name, |ev| matches!(ev, SdkEvent::RecvNewMsg(_))).await;
        let SdkEvent::RecvNewMsg(msgs) = got else { unreachable!() };
        let re = serde_json::to_value(&msgs[0].message_elem_array[0]).unwrap();
        for k in ["orig", "large", "thumb"] {
            assert_eq!(dims(&re, k), dims(e, k), "{name} {k} at the receiver");
            assert_eq!(re[format!("image_elem_{k}_id")], e[format!("image_elem_{k}_id")]);
            assert_eq!(re[format!("image_elem_{k}_pic_size")], e[format!("image_elem_{k}_pic_size")]);
            assert!(!re[format!("image_elem_{k}_url")].as_str().unwrap().is_empty());
        }
        assert_eq!(re["image_elem_orig_path"], "");
        // Every tier downloads, decodes to its announced size, and shows the right pixels.
        for k in ["orig", "large", "thumb"] {
            rid += 1;
            let body = fetch_cid(&srv, &mut bob_raw, rid, re[format!("image_elem_{k}_id")].as_str().unwrap()).await;
            assert_eq!(body.len() as i64, re[format!("image_elem_{k}_pic_size")].as_i64().unwrap());
            if k == "orig" {
                assert!(body == bytes);
                continue;
            }
            let img = image::load_from_memory(&body).unwrap().to_rgb8();
            assert_eq!((img.width() as i64, img.height() as i64), dims(&re, k), "{name} {k} pixels");
            let (w, h) = (img.width(), img.height());
            let (first, second) = if name == "exif6.jpg" {
                // Rotated 90° clockwise: the stored left half is now the top half.
                (img.get_pixel(w / 2, h / 8).0, img.get_pixel(w / 2, h * 7 / 8).0)
            } else {
                (img.get_pixel(w / 8, h / 2).0, img.get_pixel(w * 7 / 8, h / 2).0)
            };
            assert!(first[0] > 150 && first[2] < 100, "{name} {k}: red first, got {first:?}");
            assert!(second[2] > 150 && second[0] < 100, "{name} {k}: blue second, got {second:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_limits_and_bad_files_give_their_codes() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("empty.png"), b"").unwrap();
    std::fs::write(p("text.png"), b"this is not an image at all").unwrap();
    std::fs::write(p("bomb.png"), png_bomb(65000)).unwrap();
    std::fs::write(p("bomb2.png"), png_bomb(20000)).unwrap();
    std::fs::write(p("bomb.jpg"), jpeg_bomb()).unwrap();
    std::fs::create_dir(p("adir")).unwrap();
    std::fs::File::create(p("big.png")).unwrap().set_len(28 * 1024 * 1024 + 1).unwrap();
    std::fs::File::create(p("big.bin")).unwrap().set_len(100 * 1024 * 1024 + 1).unwrap();
    std::fs::File::create(p("big.amr")).unwrap().set_len(28 * 1024 * 1024 + 1).unwrap();
    let cases = [
        (json!({"elem_type": 1, "image_elem_orig_path": p("missing.png")}), 7004),
        (json!({"elem_type": 9, "video_elem_video_path": p("missing.mp4")}), 7004),
        (json!({"elem_type": 1, "image_elem_orig_path": p("empty.png")}), 7006),
        (json!({"elem_type": 1, "image_elem_orig_path": p("adir")}), 7007),
        (json!({"elem_type": 1, "image_elem_orig_path": p("big.png")}), 7005),
        (json!({"elem_type": 1, "image_elem_orig_path": p("text.png")}), 6031),
        (json!({"elem_type": 1, "image_elem_orig_path": p("bomb.png")}), 7005),
        (json!({"elem_type": 1, "image_elem_orig_path": p("bomb2.png")}), 7005),
        (json!({"elem_type": 1, "image_elem_orig_path": p("bomb.jpg")}), 7005),
        (json!({"elem_type": 2, "sound_elem_file_path": p("big.amr"), "sound_elem_file_time": 3}), 7005),
        (json!({"elem_type": 4, "file_elem_file_path": p("big.bin")}), 7005),
        (json!({"elem_type": 4, "file_elem_file_path": p("missing.bin")}), 7004),
        (json!({"elem_type": 9, "video_elem_video_path": p("big.bin"), "video_elem_image_path": p("x.jpg")}), 7005),
    ];
    for (elem, code) in cases {
        let t = std::time::Instant::now();
        let r = send_elem(&alice, "bob", elem.clone()).await;
        assert_eq!(r.code, code, "{elem}: {}", r.desc);
        assert!(t.elapsed() < std::time::Duration::from_secs(10), "{elem} took {:?}", t.elapsed());
    }
    // Nothing was half-sent: bob has received nothing, alice's copies failed.
    alice.send_text("bob", 1, "after").await;
    assert_eq!(bob.recv_texts(1).await, vec!["after".to_string()]);
    let mine = alice.messages("bob", 1, json!({"msg_getmsglist_param_count": 20})).await;
    let failed = mine.iter().filter(|m| m["message_status"] == 3).count();
    assert_eq!(failed, 13, "{mine:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_file_sound_video_send_with_monotonic_progress() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let mut bob_raw = raw_login(&srv, "bob").await;
    let dir = tempfile::tempdir().unwrap();
    let file: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let sound: Vec<u8> = (0..50_000u32).map(|i| (i % 7) as u8).collect();
    let video: Vec<u8> = (0..900_000u32).map(|i| (i % 13) as u8).collect();
    let snap = jpeg(&two_tone(320, 180));
    for (n, b) in [("report.pdf", &file), ("voice.amr", &sound), ("clip.mp4", &video), ("snap.jpg", &snap)] {
        std::fs::write(dir.path().join(n), b).unwrap();
    }
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();

    let r = send_elem(&alice, "bob", json!({"elem_type": 4, "file_elem_file_path": p("report.pdf")})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let e = &r.json["message_elem_array"][0];
    assert_eq!(e["file_elem_file_name"], "report.pdf");
    assert_eq!(e["file_elem_file_size"], file.len() as i64);
    // Progress: several events, monotonic, ending at the total.
    let mut cur = Vec::new();
    for ev in alice.drain().await {
        if let SdkEvent::MsgElemUploadProgress { cur_size, total_size, index, .. } = ev {
            assert_eq!((index, total_size), (0, file.len() as u64));
            cur.push(cur_size);
        }
    }
    assert!(cur.len() >= 3, "{cur:?}");
    assert!(cur.windows(2).all(|w| w[0] < w[1]), "{cur:?}");
    assert_eq!(*cur.last().unwrap(), file.len() as u64);
    let got = fetch_cid(&srv, &mut bob_raw, 1, e["file_elem_file_id"].as_str().unwrap()).await;
    assert!(got == file);

    let r = send_elem(
        &alice,
        "bob",
        json!({"elem_type": 2, "sound_elem_file_path": p("voice.amr"), "sound_elem_file_time": 4}),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let e = &r.json["message_elem_array"][0];
    assert_eq!((e["sound_elem_file_size"].as_i64(), e["sound_elem_file_time"].as_i64()), (Some(50_000), Some(4)));
    assert!(fetch_cid(&srv, &mut bob_raw, 2, e["sound_elem_file_id"].as_str().unwrap()).await == sound);

    let r = send_elem(
        &alice,
        "bob",
        json!({"elem_type": 9, "video_elem_video_path": p("clip.mp4"), "video_elem_video_duration": 12,
               "video_elem_image_path": p("snap.jpg")}),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let e = &r.json["message_elem_array"][0];
    assert_eq!(e["video_elem_video_size"], video.len() as u64);
    assert_eq!(e["video_elem_video_type"], "mp4");
    assert_eq!((e["video_elem_image_width"].as_u64(), e["video_elem_image_height"].as_u64()), (Some(320), Some(180)));
    assert!(fetch_cid(&srv, &mut bob_raw, 3, e["video_elem_video_id"].as_str().unwrap()).await == video);
    assert!(fetch_cid(&srv, &mut bob_raw, 4, e["video_elem_image_id"].as_str().unwrap()).await == snap);
    // Bob received the three messages with their ids.
    let mut n = 0;
    while n < 3 {
        if let SdkEvent::RecvNewMsg(m) = bob.wait_for("media", |ev| matches!(ev, SdkEvent::RecvNewMsg(_))).await {
            n += m.len();
        }
    }
}

// ---- TIMMsgDownloadElemToPath ----

/// Call TIMMsgDownloadElemToPath; returns the callback and the progress values.
async fn download(c: &TestClient, param: Value, path: &str) -> (confab_core::Reply, Vec<(u64, u64)>) {
    let inv = c.sdk.call("TIMMsgDownloadElemToPath", &json!({"json_download_elem_param": param, "path": path})).await;
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
    let r = tokio::time::timeout(confab_tests::WAIT, inv.callback.unwrap()).await.expect("download callback");
    (r, prog)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_download_elem_to_path_every_kind_and_tier() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let eve = srv.client("eve").await;
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let photo = png(&two_tone(1600, 1200));
    let file: Vec<u8> = (0..2_000_000u32).map(|i| (i % 241) as u8).collect();
    let sound: Vec<u8> = (0..40_000u32).map(|i| (i % 5) as u8).collect();
    let video: Vec<u8> = (0..700_000u32).map(|i| (i % 11) as u8).collect();
    let snap = jpeg(&two_tone(320, 180));
    for (n, b) in [("a.png", &photo), ("f.bin", &file), ("s.amr", &sound), ("v.mp4", &video), ("v.jpg", &snap)] {
        std::fs::write(p(n), b).unwrap();
    }
    let sent = [
        json!({"elem_type": 1, "image_elem_orig_path": p("a.png")}),
        json!({"elem_type": 4, "file_elem_file_path": p("f.bin")}),
        json!({"elem_type": 2, "sound_elem_file_path": p("s.amr"), "sound_elem_file_time": 2}),
        json!({"elem_type": 9, "video_elem_video_path": p("v.mp4"), "video_elem_image_path": p("v.jpg")}),
    ];
    for e in &sent {
        let r = send_elem(&alice, "bob", e.clone()).await;
        assert_eq!(r.code, 0, "{}", r.desc);
    }
    // Bob takes the elements from his own copies of the messages.
    let mut got = Vec::new();
    while got.len() < 4 {
        if let SdkEvent::RecvNewMsg(m) = bob.wait_for("media", |ev| matches!(ev, SdkEvent::RecvNewMsg(_))).await {
            got.extend(m.into_iter().map(|m| serde_json::to_value(&m.message_elem_array[0]).unwrap()));
        }
    }
    let by_type = |t: i64| got.iter().find(|e| e["elem_type"] == t).unwrap_or_else(|| panic!("type {t} in {got:?}"));
    let (img, fil, snd, vid) = (by_type(1), by_type(4), by_type(2), by_type(9));
    let param = |t: u32, id: &Value, url: &Value| json!({"msg_download_elem_param_type": t, "msg_download_elem_param_id": id, "msg_download_elem_param_url": url});
    let downloads = bob.sdk.download_dir();
    // Every image tier: the right size and pixels.
    for k in ["orig", "large", "thumb"] {
        let prm = param(1, &img[format!("image_elem_{k}_id")], &img[format!("image_elem_{k}_url")]);
        let (r, prog) = download(&bob, prm, &format!("pics/{k}.img")).await;
        assert_eq!(r.code, 0, "{k}: {}", r.desc);
        let size = img[format!("image_elem_{k}_pic_size")].as_u64().unwrap();
        assert_eq!(r.json["msg_download_elem_result_total_size"], size);
        assert_eq!(r.json["msg_download_elem_result_current_size"], size);
        assert!(prog.windows(2).all(|w| w[0].0 <= w[1].0), "{prog:?}");
        assert_eq!(prog.last().copied(), Some((size, size)));
        let bytes = std::fs::read(downloads.join(format!("pics/{k}.img"))).unwrap();
        if k == "orig" {
            assert!(bytes == photo);
        }
        let pic = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!((pic.width() as i64, pic.height() as i64), dims(img, k));
        let (l, r) = (pic.get_pixel(pic.width() / 8, 5).0, pic.get_pixel(pic.width() * 7 / 8, 5).0);
        assert!(l[0] > 150 && r[2] > 150, "{k}: {l:?} {r:?}");
    }
    // File (several progress steps), sound, video and its snapshot; an absolute path inside
    // the folder works too.
    let (r, prog) = download(&bob, param(1, &fil["file_elem_file_id"], &fil["file_elem_url"]), "f.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(prog.len() >= 3 && prog.windows(2).all(|w| w[0].0 < w[1].0), "{prog:?}");
    assert_eq!(prog.last().copied(), Some((file.len() as u64, file.len() as u64)));
    assert!(std::fs::read(downloads.join("f.bin")).unwrap() == file);
    let abs = downloads.join("voice.amr");
    let (r, _) =
        download(&bob, param(3, &snd["sound_elem_file_id"], &snd["sound_elem_url"]), abs.to_str().unwrap()).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(std::fs::read(&abs).unwrap() == sound);
    let (r, _) = download(&bob, param(2, &json!(""), &vid["video_elem_video_url"]), "v/clip.mp4").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(std::fs::read(downloads.join("v/clip.mp4")).unwrap() == video);
    let (r, _) =
        download(&bob, param(0, &vid["video_elem_image_id"], &vid["video_elem_image_url"]), "v/snap.jpg").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(std::fs::read(downloads.join("v/snap.jpg")).unwrap() == snap);
    // Nothing half-written is left next to the results.
    let leftovers: Vec<_> = std::fs::read_dir(&downloads)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty());

    // An interrupted download resumes: half of it is already in the cache's part file.
    let cid = fil["file_elem_file_id"].as_str().unwrap();
    let cache = bob.sdk.media_cache_dir().await.unwrap();
    std::fs::remove_file(cache.join(cid)).unwrap(); // fetched above: forget it
    std::fs::write(cache.join(format!("{cid}.part")), &file[..1_000_000]).unwrap();
    let (r, prog) = download(&bob, param(1, &fil["file_elem_file_id"], &json!("")), "again.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert_eq!(prog.first().map(|p| p.0), Some(1_000_000), "resumed from the part file");
    assert!(std::fs::read(downloads.join("again.bin")).unwrap() == file);

    // Paths leaving the download folder are refused; nothing is written there.
    let outside = dir.path().join("stolen.bin");
    for bad in ["../escape.bin", "a/../../escape.bin", outside.to_str().unwrap(), ""] {
        let (r, _) = download(&bob, param(1, &fil["file_elem_file_id"], &json!("")), bad).await;
        assert_eq!(r.code, 6017, "{bad}: {}", r.desc);
    }
    assert!(!outside.exists());
    // An outsider cannot fetch, even with the element's id and URL.
    let (r, _) = download(&eve, param(1, &fil["file_elem_file_id"], &fil["file_elem_url"]), "x.bin").await;
    assert_eq!(r.code, 6006, "{}", r.desc);
    assert!(!eve.sdk.download_dir().join("x.bin").exists());
}

/// The CLI prints `{"id", "progress"}` lines for a download, then the callback line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_cli_prints_download_progress() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    srv.client("bob").await;
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..1_500_000u32).map(|i| (i % 239) as u8).collect();
    let src = dir.path().join("big.bin");
    std::fs::write(&src, &data).unwrap();
    let r = send_elem(&alice, "bob", json!({"elem_type": 4, "file_elem_file_path": src.to_str().unwrap()})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let id = r.json["message_elem_array"][0]["file_elem_file_id"].clone();
    let cli_dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_confab-cli-under-test"))
        .args(["--server", &srv.url(), "--data-dir"])
        .arg(cli_dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let reqs = [
        json!({"id": 1, "api": "TIMInit", "params": {"sdk_app_id": srv.identity.sdk_app_id}}),
        json!({"id": 2, "api": "TIMLogin", "params": {"user_id": "bob", "user_sig": srv.usersig("bob")}}),
    ];
    let mut lines: Vec<Value> = Vec::new();
    for r in &reqs {
        stdin.write_all(format!("{r}\n").as_bytes()).await.unwrap();
        loop {
            let v = next_json(&mut out).await;
            // TIMInit answers only its result line; TIMLogin also its callback.
            if v["id"] == r["id"] && (v.get("code").is_some() || (v["id"] == 1 && v.get("result").is_some())) {
                assert_eq!(v.get("code").unwrap_or(&v["result"]), 0, "{v}");
                break;
            }
        }
    }
    let dl = json!({"id": 3, "api": "TIMMsgDownloadElemToPath", "params": {
        "json_download_elem_param": {"msg_download_elem_param_type": 1, "msg_download_elem_param_id": id}, "path": "big.bin"}});
    stdin.write_all(format!("{dl}\n").as_bytes()).await.unwrap();
    loop {
        let v = next_json(&mut out).await;
        if v["id"] == 3 {
            let done = v.get("code").is_some();
            lines.push(v);
            if done {
                break;
            }
        }
    }
    let progress: Vec<u64> =
        lines.iter().filter_map(|v| v["progress"]["msg_download_elem_result_current_size"].as_u64()).collect();
    assert!(progress.len() >= 2, "{lines:?}");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(*progress.last().unwrap(), data.len() as u64);
    let last = lines.last().unwrap();
    assert_eq!(last["code"], 0, "{last}");
    assert_eq!(last["json"]["msg_download_elem_result_total_size"], data.len() as u64);
    assert!(std::fs::read(cli_dir.path().join("downloads/big.bin")).unwrap() == data);
    drop(stdin);
    let _ = tokio::time::timeout(confab_tests::WAIT, child.wait()).await;
}

async fn next_json(out: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>) -> Value {
    let l = tokio::time::timeout(confab_tests::WAIT, out.next_line()).await.expect("cli output in time").unwrap();
    serde_json::from_str(&l.expect("cli output")).unwrap()
}

/// Group media: members download, a non-member cannot; an online-only message's media too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_group_members_only() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let carol = srv.client("carol").await;
    let eve = srv.client("eve").await;
    let v = alice
        .ok(
            "TIMGroupCreate",
            json!({"json_group_create_param": {"create_group_param_group_name": "g", "create_group_param_group_type": 1,
                   "create_group_param_group_member_array": [{"group_member_info_identifier": "carol"}]}}),
        )
        .await;
    let gid = v["create_group_result_groupid"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("g.png");
    std::fs::write(&src, png(&two_tone(500, 400))).unwrap();
    let r = alice
        .call(
            "TIMMsgSendMessage",
            json!({"conv_id": gid, "conv_type": 2, "json_msg_param": {"message_elem_array": [
                {"elem_type": 1, "image_elem_orig_path": src.to_str().unwrap()}]}}),
        )
        .await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let e = &r.json["message_elem_array"][0];
    assert_eq!(dims(e, "thumb"), (248, 198));
    let prm = json!({"msg_download_elem_param_id": e["image_elem_thumb_id"], "msg_download_elem_param_url": e["image_elem_thumb_url"]});
    let (r, _) = download(&carol, prm.clone(), "t.jpg").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let (r, _) = download(&eve, prm, "t.jpg").await;
    assert_eq!(r.code, 6006, "{}", r.desc);

    // Online-only C2C message with a file: the peer can still fetch it.
    let f = dir.path().join("o.bin");
    std::fs::write(&f, vec![7u8; 5000]).unwrap();
    let r = alice
        .call(
            "TIMMsgSendMessage",
            json!({"conv_id": "carol", "conv_type": 1, "json_msg_param": {"message_is_online_msg": true,
                   "message_elem_array": [{"elem_type": 4, "file_elem_file_path": f.to_str().unwrap()}]}}),
        )
        .await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let prm = json!({"msg_download_elem_param_id": r.json["message_elem_array"][0]["file_elem_file_id"]});
    let (r, _) = download(&carol, prm, "o.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert_eq!(std::fs::read(carol.sdk.download_dir().join("o.bin")).unwrap(), vec![7u8; 5000]);
}

/// An upload that was cut in the middle (the server holds part of it) resumes from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_media_sdk_upload_resumes_where_the_server_stopped() {
    let srv = TestServer::start().await;
    let alice = srv.client("alice").await;
    let bob = srv.client("bob").await;
    let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 250) as u8).collect();
    let cid = content_id(&data);
    let (s, v) = put(&srv, "alice", "file", &cid, 0, data.len() as u64, &data[..1_200_000]).await;
    assert_eq!((s, v["offset"].as_u64()), (200, Some(1_200_000)));
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("r.bin");
    std::fs::write(&src, &data).unwrap();
    alice.drain().await;
    let r = send_elem(&alice, "bob", json!({"elem_type": 4, "file_elem_file_path": src.to_str().unwrap()})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let cur: Vec<u64> = alice
        .drain()
        .await
        .into_iter()
        .filter_map(|e| match e {
            SdkEvent::MsgElemUploadProgress { cur_size, .. } => Some(cur_size),
            _ => None,
        })
        .collect();
    assert_eq!(cur.first().copied(), Some(1_200_000), "{cur:?}");
    assert_eq!(cur.last().copied(), Some(data.len() as u64));
    let prm = json!({"msg_download_elem_param_id": cid});
    let (r, _) = download(&bob, prm, "r.bin").await;
    assert_eq!(r.code, 0, "{}", r.desc);
    assert!(std::fs::read(bob.sdk.download_dir().join("r.bin")).unwrap() == data);
}
