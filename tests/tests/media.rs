//! Media (issue 4): the server's upload / download routes, and media messages end to end.
use confab_core::http;
use confab_core::media::content_id;
use confab_tests::TestServer;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMessage;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw protocol connection logged in as `user`.
async fn raw_login(srv: &TestServer, user: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(srv.url()).await.unwrap();
    let login = json!({"id": 1, "type": "login", "sdk_app_id": srv.identity.sdk_app_id, "user_id": user,
                       "user_sig": srv.usersig(user), "platform": 0, "instance_id": format!("raw-{user}")});
    let r = raw_call(&mut ws, login).await;
    assert_eq!(r["code"], 0, "{r}");
    ws
}

async fn raw_call(ws: &mut Ws, req: Value) -> Value {
    let id = req["id"].clone();
    ws.send(WsMessage::Text(req.to_string().into())).await.unwrap();
    loop {
        let r: Value = serde_json::from_str(ws.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
        if r["type"] == "response" && r["id"] == id {
            return r;
        }
    }
}

async fn put(
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
    let r = http::request(
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
    let sig = srv.usersig("alice");
    let st = http::get(
        &srv.url(),
        &format!("/media/upload/file/{cid}?total={total}"),
        &[("x-confab-user", "alice"), ("x-confab-usersig", &sig)],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
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
