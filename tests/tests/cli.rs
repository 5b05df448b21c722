//! Drives the real `confab-cli` program as a child process through a small chat.
use std::process::Stdio;
use std::time::Duration;

use confab_tests::TestServer;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

struct Cli {
    child: Child,
    stdin: ChildStdin,
    out: Lines<BufReader<ChildStdout>>,
    seen: Vec<Value>,
}

impl Cli {
    fn spawn(srv: &TestServer, dir: &std::path::Path) -> Cli {
        let mut child = Command::new(env!("CARGO_BIN_EXE_confab-cli-under-test"))
            .args(["--server", &srv.url(), "--data-dir"])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn confab-cli");
        let stdin = child.stdin.take().unwrap();
        let out = BufReader::new(child.stdout.take().unwrap()).lines();
        Cli { child, stdin, out, seen: Vec::new() }
    }

    async fn send_line(&mut self, line: &str) {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// Wait for a line matching `pred`, keeping the others.
    async fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(&pred) {
            return self.seen.remove(i);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let line = tokio::time::timeout_at(deadline, self.out.next_line())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; seen {:?}", self.seen))
                .unwrap()
                .expect("cli stdout closed");
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            if pred(&v) {
                return v;
            }
            self.seen.push(v);
        }
    }

    async fn request(&mut self, id: u64, api: &str, params: Value) -> (Value, Option<Value>) {
        self.send_line(&json!({"id": id, "api": api, "params": params}).to_string()).await;
        let first = self.expect(&format!("result of {api}"), |v| v["id"] == id && v.get("result").is_some()).await;
        if first["result"] != 0 {
            return (first, None);
        }
        let sync_only = ["TIMInit", "TIMConvSetDraft", "TIMGetSDKVersion"].contains(&api);
        if sync_only {
            return (first, None);
        }
        let cb = self.expect(&format!("callback of {api}"), |v| v["id"] == id && v.get("code").is_some()).await;
        (first, Some(cb))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_two_cli_processes_chat() {
    let srv = TestServer::start().await;
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = Cli::spawn(&srv, da.path());
    let mut b = Cli::spawn(&srv, db.path());
    let app = srv.identity.sdk_app_id;
    for (cli, user) in [(&mut a, "alice"), (&mut b, "bob")] {
        let (r, _) = cli.request(1, "TIMInit", json!({"sdk_app_id": app})).await;
        assert_eq!(r["result"], 0);
        let (r, cb) = cli.request(2, "TIMLogin", json!({"user_id": user, "user_sig": srv.usersig(user)})).await;
        assert_eq!(r["result"], 0);
        assert_eq!(cb.unwrap()["code"], 0);
    }
    let (r, _) = a.request(3, "TIMGetSDKVersion", json!({})).await;
    assert!(r["json"].as_str().is_some_and(|v| !v.is_empty()));
    // alice -> bob; the synchronous line carries the message id.
    let (r, cb) = a
        .request(4, "TIMMsgSendMessage", json!({"conv_id": "bob", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "hi bob"}]}}))
        .await;
    let id = r["message_id"].as_str().unwrap().to_string();
    let cb = cb.unwrap();
    assert_eq!(cb["code"], 0);
    assert_eq!(cb["json"]["message_msg_id"], id.as_str());
    let ev = b.expect("bob's new message", |v| v["event"] == "TIMRecvNewMsgCallback").await;
    assert_eq!(ev["json"][0]["message_elem_array"][0]["text_elem_content"], "hi bob");
    assert_eq!(ev["json"][0]["message_msg_id"], id.as_str());
    b.expect("conversation event", |v| v["event"] == "TIMConvEventCallback" && v["conv_event"] == 0).await;
    // bob answers; alice gets it.
    let (_, cb) = b
        .request(5, "TIMMsgSendMessage", json!({"conv_id": "alice", "conv_type": 1, "json_msg_param": "{\"message_elem_array\":[{\"elem_type\":0,\"text_elem_content\":\"hi alice\"}]}"}))
        .await;
    assert_eq!(cb.unwrap()["code"], 0);
    let ev = a.expect("alice's new message", |v| v["event"] == "TIMRecvNewMsgCallback").await;
    assert_eq!(ev["json"][0]["message_elem_array"][0]["text_elem_content"], "hi alice");
    // bob reads; alice gets the receipt.
    let (_, cb) =
        b.request(6, "TIMMsgReportReaded", json!({"conv_id": "alice", "conv_type": 1, "json_msg_param": ""})).await;
    assert_eq!(cb.unwrap()["code"], 0);
    let ev = a.expect("receipt", |v| v["event"] == "TIMMsgReadedReceiptCallback").await;
    assert_eq!(ev["json"][0]["msg_receipt_conv_id"], "bob");
    // History through the CLI.
    let (_, cb) = a
        .request(
            7,
            "TIMMsgGetMsgList",
            json!({"conv_id": "bob", "conv_type": 1, "json_get_msg_param": {"msg_getmsglist_param_count": 10}}),
        )
        .await;
    let list = cb.unwrap()["json"].as_array().cloned().unwrap();
    assert_eq!(list.len(), 2);
    // Garbage and unknown APIs are answered, and the process keeps running.
    a.send_line("this is not json").await;
    let r = a.expect("-3 for non-JSON", |v| v["result"] == -3).await;
    assert!(r["id"].is_null());
    a.send_line(r#"{"id": 99, "api": "TIMNoSuchCall", "params": {}}"#).await;
    let r = a.expect("-4 for unknown API", |v| v["id"] == 99).await;
    assert_eq!(r["result"], -4);
    // EOF logs out and exits 0.
    drop(a.stdin);
    let status = tokio::time::timeout(Duration::from_secs(20), a.child.wait()).await.unwrap().unwrap();
    assert!(status.success());
    let _ = b.child.kill().await;
}

/// A script may send right after asking to log in: the send waits for the login's outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_calls_right_after_login_wait_for_it() {
    let srv = TestServer::start().await;
    let bob = srv.client("bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = Cli::spawn(&srv, dir.path());
    a.send_line(&json!({"id": 1, "api": "TIMInit", "params": {"sdk_app_id": srv.identity.sdk_app_id}}).to_string())
        .await;
    a.send_line(
        &json!({"id": 2, "api": "TIMLogin", "params": {"user_id": "alice", "user_sig": srv.usersig("alice")}})
            .to_string(),
    )
    .await;
    a.send_line(
        &json!({"id": 3, "api": "TIMMsgSendMessage", "params": {"conv_id": "bob", "conv_type": 1,
        "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "no waiting"}]}}})
        .to_string(),
    )
    .await;
    let cb = a.expect("send callback", |v| v["id"] == 3 && v.get("code").is_some()).await;
    assert_eq!(cb["code"], 0, "{cb}");
    assert_eq!(bob.recv_texts(1).await, vec!["no waiting"]);
    // A second login while one runs is refused with 7501, and the first still succeeds.
    let dir2 = tempfile::tempdir().unwrap();
    let mut c = Cli::spawn(&srv, dir2.path());
    c.send_line(&json!({"id": 1, "api": "TIMInit", "params": {"sdk_app_id": srv.identity.sdk_app_id}}).to_string())
        .await;
    c.send_line(
        &json!({"id": 2, "api": "TIMLogin", "params": {"user_id": "carol", "user_sig": srv.usersig("carol")}})
            .to_string(),
    )
    .await;
    c.send_line(
        &json!({"id": 3, "api": "TIMLogin", "params": {"user_id": "carol", "user_sig": srv.usersig("carol")}})
            .to_string(),
    )
    .await;
    let second = c.expect("second login", |v| v["id"] == 3 && v.get("code").is_some()).await;
    assert_eq!(second["code"], 7501);
    let first = c.expect("first login", |v| v["id"] == 2 && v.get("code").is_some()).await;
    assert_eq!(first["code"], 0);
}
