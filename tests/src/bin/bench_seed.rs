//! Seeds a desktop data dir for `scripts/bench-desktop.sh`: registers a user on a running
//! confab-server, logs in through confab-core with the app's data dir layout
//! (`<data dir>/users/<hex user id>/confab.db`), and writes a history with
//! `TIMMsgImportMsgList`: `--convs` one-to-one conversations, `--big` messages in the first one
//! (the one the benchmark scrolls through) and the rest of `--messages` spread over the others.
//! Prints the session the app remembers (`{"server_url","user_id","user_sig","sdk_app_id"}`).
//!
//! Usage: bench_seed --server ws://HOST:PORT --data-dir DIR --user ID --password PW
//!        [--convs 1000] [--messages 100000] [--big 10000] [--server-data-dir DIR]
use anyhow::{bail, Context, Result};
use confab_core::{Sdk, SdkOptions};
use serde_json::{json, Value};

struct Args {
    server: String,
    data_dir: std::path::PathBuf,
    user: String,
    password: String,
    convs: usize,
    messages: usize,
    big: usize,
    /// The server's data dir: when given, every peer is made a user of the server (one UserSig
    /// login each), as the people of a real history are.
    server_data_dir: Option<std::path::PathBuf>,
}

fn args() -> Result<Args> {
    let mut a = Args {
        server: String::new(),
        data_dir: Default::default(),
        user: String::new(),
        password: String::new(),
        convs: 1000,
        messages: 100_000,
        big: 10_000,
        server_data_dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--server" => a.server = v,
            "--data-dir" => a.data_dir = v.into(),
            "--user" => a.user = v,
            "--password" => a.password = v,
            "--convs" => a.convs = v.parse()?,
            "--messages" => a.messages = v.parse()?,
            "--big" => a.big = v.parse()?,
            "--server-data-dir" => a.server_data_dir = Some(v.into()),
            _ => bail!("unknown option {k}"),
        }
    }
    if a.server.is_empty() || a.user.is_empty() || a.password.is_empty() || a.data_dir.as_os_str().is_empty() {
        bail!("--server, --data-dir, --user and --password are required");
    }
    if a.convs == 0 || a.big > a.messages {
        bail!("need at least one conversation and --big <= --messages");
    }
    Ok(a)
}

async fn ok(sdk: &Sdk, api: &str, params: Value) -> Result<Value> {
    let inv = sdk.call(api, &params).await;
    if inv.result != 0 {
        bail!("{api}: result {} {}", inv.result, inv.desc);
    }
    let Some(cb) = inv.callback else { return Ok(Value::Null) };
    let r = cb.await;
    if r.code != 0 {
        bail!("{api}: code {} {}", r.code, r.desc);
    }
    Ok(r.json)
}

/// Make `users` known to the server: one UserSig login each over a raw WebSocket.
async fn create_users(server: &str, server_dir: &std::path::Path, users: &[String]) -> Result<()> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as Ws;
    let id = confab_server::config::AppIdentity::load_or_create(server_dir, None, None)?;
    let now = confab_core::now_secs() as i64;
    let (mut ws, _) = tokio_tungstenite::connect_async(server).await?;
    for (i, u) in users.iter().enumerate() {
        let sig = confab_server::usersig::generate(id.sdk_app_id, &id.secret_key, u, 86400, now);
        let login = json!({"id": i + 1, "type": "login", "sdk_app_id": id.sdk_app_id, "user_id": u,
                           "user_sig": sig, "platform": 0, "instance_id": "bench-seed"});
        ws.send(Ws::Text(login.to_string().into())).await?;
        loop {
            let frame = ws.next().await.context("the server closed the connection")??;
            let v: Value = serde_json::from_str(frame.to_text()?)?;
            if v["type"] == "response" && v["id"] == json!(i + 1) {
                if v["code"] != 0 {
                    bail!("login of {u}: {v}");
                }
                break;
            }
        }
        let logout = json!({"id": 1_000_000 + i, "type": "logout"});
        ws.send(Ws::Text(logout.to_string().into())).await?;
        loop {
            let v: Value = serde_json::from_str(ws.next().await.context("closed")??.to_text()?)?;
            if v["type"] == "response" && v["id"] == json!(1_000_000 + i) {
                break;
            }
        }
    }
    Ok(())
}

const WORDS: &[&str] = &[
    "meeting", "tomorrow", "lunch", "report", "draft", "weekend", "trip", "photos", "call", "later", "deadline",
    "coffee", "project", "review", "ticket", "release", "明天", "开会", "周末", "照片", "项目", "咖啡",
];

fn text(conv: usize, i: usize) -> String {
    let n = 4 + (conv * 7 + i * 13) % 9;
    let words: Vec<&str> = (0..n).map(|k| WORDS[(conv * 31 + i * 17 + k * 5) % WORDS.len()]).collect();
    format!("#{i} {}", words.join(" "))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let a = args()?;
    let started = std::time::Instant::now();
    let sdk = Sdk::new(SdkOptions { server_url: a.server.clone(), data_dir: a.data_dir.clone(), ..Default::default() });
    let acc =
        match ok(&sdk, "ConfabRegister", json!({"user_id": a.user, "password": a.password, "server_url": a.server}))
            .await
        {
            Ok(v) => v,
            // Already registered (a re-run against the same server): sign in instead.
            Err(_) => {
                ok(&sdk, "ConfabSignIn", json!({"user_id": a.user, "password": a.password, "server_url": a.server}))
                    .await?
            }
        };
    let sdk_app_id = acc["sdk_app_id"].as_u64().context("no sdk_app_id")?;
    let user_sig = acc["user_sig"].as_str().context("no user_sig")?.to_string();
    ok(
        &sdk,
        "TIMInit",
        json!({"sdk_app_id": sdk_app_id, "json_sdk_config": {
            "sdk_config_config_file_path": a.data_dir.to_string_lossy(), "sdk_config_server_url": a.server}}),
    )
    .await?;
    ok(&sdk, "TIMLogin", json!({"user_id": a.user, "user_sig": user_sig})).await?;

    if let Some(dir) = &a.server_data_dir {
        let peers: Vec<String> = (0..a.convs).map(|c| format!("p{c:04}")).collect();
        create_users(&a.server, dir, &peers).await?;
        eprintln!("{} peers are users of the server ({:.1?})", peers.len(), started.elapsed());
    }
    // Message times: the history ends an hour ago, one message every few seconds per
    // conversation, conversations staggered so the list has a stable order.
    let now = confab_core::now_secs();
    let rest = a.messages - a.big;
    let others = a.convs - 1;
    let mut written = 0usize;
    // The big conversation last: a conversation's activity time is at least its creation (the
    // import), so it then sorts first in the list, where the benchmark opens it.
    for (done, c) in (1..a.convs).chain([0]).enumerate() {
        let n = if c == 0 { a.big } else { rest / others.max(1) + usize::from(c - 1 < rest % others.max(1)) };
        let peer = format!("p{c:04}");
        let end = now - 3600 - (c as u64) * 60;
        let mut i = 0;
        while i < n {
            let chunk = (n - i).min(2000);
            let msgs: Vec<Value> = (i..i + chunk)
                .map(|k| {
                    let t = end - ((n - 1 - k) as u64) * 3;
                    let sender = if k % 3 == 0 { a.user.as_str() } else { peer.as_str() };
                    json!({
                        "message_elem_array": [{"elem_type": 0, "text_elem_content": text(c, k)}],
                        "message_sender": sender,
                        "message_client_time": t,
                        "message_server_time": t,
                    })
                })
                .collect();
            ok(&sdk, "TIMMsgImportMsgList", json!({"conv_id": peer, "conv_type": 1, "json_msg_array": msgs})).await?;
            i += chunk;
            written += chunk;
        }
        if done % 100 == 99 {
            eprintln!("seeded {} conversations, {written} messages ({:.0?})", done + 1, started.elapsed());
        }
    }
    let convs = ok(&sdk, "TIMConvGetConvList", json!({})).await?;
    let n_convs = convs.as_array().map_or(0, |l| l.len());
    ok(&sdk, "TIMLogout", json!({})).await?;
    ok(&sdk, "TIMUninit", json!({})).await?;
    eprintln!("seeded {n_convs} conversations, {written} messages in {:.1?}", started.elapsed());
    println!(
        "{}",
        json!({"server_url": a.server, "user_id": a.user, "user_sig": user_sig, "sdk_app_id": sdk_app_id,
               "conversations": n_convs, "messages": written})
    );
    Ok(())
}
