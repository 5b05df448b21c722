//! Login rules: UserSig checks, one session per user and platform, kicks online and offline.
use confab_core::SdkEvent;
use confab_protocol::enums::network_status;
use confab_tests::{TestClient, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_expired_usersig_fails_with_70001_and_fires_the_event() {
    let srv = TestServer::start().await;
    let c = TestClient::new(&srv, tempfile::tempdir().unwrap());
    let sig = srv.usersig_expiring("alice", -10);
    let r = c.try_login("alice", &sig).await;
    assert_eq!(r.code, 70001, "{}", r.desc);
    c.wait_for("sig expired", |e| matches!(e, SdkEvent::UserSigExpired)).await;
    // Nothing works afterwards without a login.
    let r = c.call("TIMConvGetConvList", json!({})).await;
    assert_eq!(r.code, 6014);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_forged_and_mismatched_usersigs_are_refused() {
    let srv = TestServer::start().await;
    let c = TestClient::new(&srv, tempfile::tempdir().unwrap());
    // Issued for bob, used by alice.
    assert_eq!(c.try_login("alice", &srv.usersig("bob")).await.code, 70013);
    // Signed with another key.
    let forged = confab_server::usersig::generate(
        srv.identity.sdk_app_id,
        "not-the-key",
        "alice",
        3600,
        confab_server::config::now_secs() as i64,
    );
    assert_eq!(c.try_login("alice", &forged).await.code, 70003);
    // Issued for another app.
    let other_app = confab_server::usersig::generate(
        srv.identity.sdk_app_id + 1,
        &srv.identity.secret_key,
        "alice",
        3600,
        confab_server::config::now_secs() as i64,
    );
    assert_eq!(c.try_login("alice", &other_app).await.code, 70014);
    // Garbage.
    assert_eq!(c.try_login("alice", "eJw*garbage").await.code, 70003);
    // And the right one works.
    c.login("alice", &srv.usersig("alice")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_usersig_expiring_during_a_session_ends_it() {
    let srv = TestServer::start().await;
    let c = TestClient::new(&srv, tempfile::tempdir().unwrap());
    c.login("alice", &srv.usersig_expiring("alice", 2)).await;
    c.wait_for("sig expired", |e| matches!(e, SdkEvent::UserSigExpired)).await;
    assert_eq!(c.call("TIMConvGetConvList", json!({})).await.code, 6014);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_kick_online_then_take_back() {
    let srv = TestServer::start().await;
    let dev1 = srv.client("alice").await;
    let dev2 = srv.client("alice").await;
    // dev2 logging in kicked dev1, which is told.
    dev1.wait_for("kicked", |e| matches!(e, SdkEvent::KickedOffline)).await;
    assert_eq!(dev1.call("TIMConvGetConvList", json!({})).await.code, 6014);
    // dev1 logs in again and forces dev2 off.
    dev1.login("alice", &srv.usersig("alice")).await;
    dev2.wait_for("kicked", |e| matches!(e, SdkEvent::KickedOffline)).await;
    // Messages reach the device that is logged in.
    let bob = srv.client("bob").await;
    bob.send_text("alice", 1, "which one?").await;
    assert_eq!(dev1.recv_texts(1).await, vec!["which one?"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_kick_offline_makes_next_login_fail_once_with_6208() {
    let srv = TestServer::start().await;
    let dir1 = tempfile::tempdir().unwrap();
    {
        // Device 1 logs in, then its process "exits" without logging out.
        let dev1 = TestClient::at(&srv, dir1.path());
        dev1.login("alice", &srv.usersig("alice")).await;
    }
    confab_tests::eventually("device 1's connection is gone", || async { srv.running().online_sessions() == 0 }).await;
    // Device 2 logs in while device 1 is offline.
    let dev2 = srv.client("alice").await;
    // Device 1 comes back (same data dir, so the same device): told once that it was displaced.
    let dev1 = TestClient::at(&srv, dir1.path());
    let r = dev1.try_login("alice", &srv.usersig("alice")).await;
    assert_eq!(r.code, 6208, "{}", r.desc);
    // Logging in again forces device 2 off.
    dev1.login("alice", &srv.usersig("alice")).await;
    dev2.wait_for("kicked", |e| matches!(e, SdkEvent::KickedOffline)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_network_status_events_and_logout() {
    let srv = TestServer::start().await;
    let c = TestClient::new(&srv, tempfile::tempdir().unwrap());
    c.login("alice", &srv.usersig("alice")).await;
    c.wait_for(
        "connecting",
        |e| matches!(e, SdkEvent::NetworkStatus { status, .. } if *status == network_status::CONNECTING),
    )
    .await;
    c.wait_for(
        "connected",
        |e| matches!(e, SdkEvent::NetworkStatus { status, .. } if *status == network_status::CONNECTED),
    )
    .await;
    assert_eq!(c.ok("TIMGetLoginUserID", json!({})).await["json"], "alice");
    assert_eq!(c.ok("TIMGetLoginStatus", json!({})).await["json"], 1);
    c.ok("TIMLogout", json!({})).await;
    assert_eq!(c.ok("TIMGetLoginStatus", json!({})).await["json"], 3);
    confab_tests::eventually("the server sees the logout", || async { srv.running().online_sessions() == 0 }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_password_accounts() {
    let srv = TestServer::start().await;
    let c = TestClient::new(&srv, tempfile::tempdir().unwrap());
    let r =
        c.call("ConfabRegister", json!({"user_id": "erin", "password": "correct horse", "nick_name": "Erin"})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let sig = r.json["user_sig"].as_str().unwrap().to_string();
    assert_eq!(r.json["sdk_app_id"], srv.identity.sdk_app_id);
    // The same id cannot be taken twice.
    assert_ne!(c.call("ConfabRegister", json!({"user_id": "erin", "password": "another one"})).await.code, 0);
    // Short passwords are refused.
    assert_eq!(c.call("ConfabRegister", json!({"user_id": "fred", "password": "abc"})).await.code, 70402);
    // Signing in with the password yields a working UserSig; a wrong password does not.
    assert_eq!(c.call("ConfabSignIn", json!({"user_id": "erin", "password": "wrong"})).await.code, 70402);
    let r = c.call("ConfabSignIn", json!({"user_id": "erin", "password": "correct horse"})).await;
    assert_eq!(r.code, 0);
    c.login("erin", &sig).await;
    // The nickname travels as the sender profile.
    let bob = srv.client("bob").await;
    c.send_text("bob", 1, "hi").await;
    let e = bob.wait_for("message", |e| matches!(e, SdkEvent::RecvNewMsg(_))).await;
    let SdkEvent::RecvNewMsg(m) = e else { unreachable!() };
    assert_eq!(m[0].message_sender_profile.as_ref().unwrap().user_profile_nick_name, "Erin");
    // Repeated failures are throttled.
    for _ in 0..5 {
        c.call("ConfabSignIn", json!({"user_id": "erin", "password": "nope"})).await;
    }
    assert_eq!(c.call("ConfabSignIn", json!({"user_id": "erin", "password": "correct horse"})).await.code, 70050);
}

/// UserSigs made by Tencent's published generator (PyPI `tls-sig-api-v2`, installed by
/// scripts/test.sh) log in, with and without a user buffer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_usersig_from_tencents_generator_is_accepted() {
    let srv = TestServer::start().await;
    let script = format!(
        "import TLSSigAPIv2\napi = TLSSigAPIv2.TLSSigAPIv2({}, '{}')\nprint(api.gen_sig('alice', 3600))\nprint(api.gen_sig_with_userbuf('bob', 3600, b'room-7'))\n",
        srv.identity.sdk_app_id, srv.identity.secret_key
    );
    let out = std::process::Command::new("python3").args(["-c", &script]).output().expect("python3 runs");
    assert!(out.status.success(), "the tls-sig-api-v2 package is installed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let sigs: Vec<&str> = text.lines().collect();
    let alice = TestClient::new(&srv, tempfile::tempdir().unwrap());
    alice.login("alice", sigs[0]).await;
    let bob = TestClient::new(&srv, tempfile::tempdir().unwrap());
    bob.login("bob", sigs[1]).await;
    // The same ticket for another identifier is refused.
    let eve = TestClient::new(&srv, tempfile::tempdir().unwrap());
    assert_eq!(eve.try_login("eve", sigs[0]).await.code, 70013);
}

/// A raw login with `sig` on `platform`; the answer's code.
async fn raw_login_code(srv: &TestServer, user: &str, sig: &str, platform: u32) -> serde_json::Value {
    let c = confab_tests::RawClient::connect(srv).await;
    let r = c
        .call(json!({"type": "login", "sdk_app_id": srv.identity.sdk_app_id, "user_id": user, "user_sig": sig,
                     "platform": platform, "instance_id": "probe"}))
        .await;
    r["code"].clone()
}

/// An upload attempt authenticated by `sig`: (HTTP status, TIM code).
async fn upload_code(srv: &TestServer, user: &str, sig: &str) -> (u16, serde_json::Value) {
    let data = b"revoked?";
    let path = format!("/media/upload/file/{}?offset=0&total={}", confab_core::content_id(data), data.len());
    let headers = [("x-confab-user", user), ("x-confab-usersig", sig)];
    let r =
        confab_core::http::request(&srv.url(), "PUT", &path, &headers, Some((&data[..], data.len() as u64)), |_| {})
            .await
            .unwrap();
    (r.status, r.json().await.unwrap()["code"].clone())
}

/// S-10: changing the password or signing out everywhere revokes every older UserSig (70001 on
/// login and upload) and ends the other sessions at once; the device that changed the password
/// goes on, reconnects included, with its fresh UserSig. Platform numbers are TIM's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_password_change_and_sign_out_everywhere_revoke_old_usersigs() {
    let srv = TestServer::start().await;
    let desk = TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| o.platform = Some(1));
    let r = desk.call("ConfabRegister", json!({"user_id": "erin", "password": "correct horse"})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let sig1 = r.json["user_sig"].as_str().unwrap().to_string();
    desk.login("erin", &sig1).await;
    let laptop = TestClient::with_options(&srv, tempfile::tempdir().unwrap(), |o| o.platform = Some(4));
    laptop.login("erin", &sig1).await;
    // The old password must be right.
    let r = desk.call("ConfabChangePassword", json!({"old_password": "wrong", "new_password": "battery staple"})).await;
    assert_eq!(r.code, 70402, "{}", r.desc);
    let r = desk
        .call("ConfabChangePassword", json!({"old_password": "correct horse", "new_password": "battery staple"}))
        .await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let sig2 = r.json["user_sig"].as_str().unwrap().to_string();
    assert_ne!(sig1, sig2);
    // The other device is ended at once and told its UserSig is no good.
    laptop.wait_for("the laptop's UserSig expires", |e| matches!(e, SdkEvent::UserSigExpired)).await;
    assert_eq!(laptop.call("TIMConvGetConvList", json!({})).await.code, 6014);
    // The old UserSig opens nothing; the new one does.
    assert_eq!(raw_login_code(&srv, "erin", &sig1, 3).await, 70001);
    assert_eq!(upload_code(&srv, "erin", &sig1).await, (401, json!(70001)));
    assert_eq!(upload_code(&srv, "erin", &sig2).await.0, 200);
    // The device that changed it goes on, also after its connection drops.
    let bob = srv.client("bob").await;
    desk.send_text("bob", 1, "before the drop").await;
    srv.running().drop_all_connections();
    confab_tests::eventually("the desk is back", || async {
        desk.call(
            "TIMMsgSendMessage",
            json!({"conv_id": "bob", "conv_type": 1,
            "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "after the drop"}]}}),
        )
        .await
        .code
            == 0
    })
    .await;
    assert_eq!(bob.recv_texts(2).await, vec!["before the drop".to_string(), "after the drop".to_string()]);
    // Passwords: the old one is gone, the new one signs in.
    assert_eq!(desk.call("ConfabSignIn", json!({"user_id": "erin", "password": "correct horse"})).await.code, 70402);
    let r = desk.call("ConfabSignIn", json!({"user_id": "erin", "password": "battery staple"})).await;
    assert_eq!(r.code, 0, "{}", r.desc);
    let sig3 = r.json["user_sig"].as_str().unwrap().to_string();
    laptop.login("erin", &sig3).await;
    // Sign out everywhere: every session ends, this one too, and no UserSig issued so far works.
    desk.ok("ConfabSignOutEverywhere", json!({})).await;
    assert_eq!(desk.ok("TIMGetLoginStatus", json!({})).await["json"], 3, "the caller is logged out");
    laptop.wait_for("the laptop is ended again", |e| matches!(e, SdkEvent::UserSigExpired)).await;
    for sig in [&sig2, &sig3] {
        assert_eq!(raw_login_code(&srv, "erin", sig, 2).await, 70001);
    }
    // Signing in again gives a UserSig that works.
    let r = desk.call("ConfabSignIn", json!({"user_id": "erin", "password": "battery staple"})).await;
    desk.login("erin", r.json["user_sig"].as_str().unwrap()).await;
    // A platform TIM does not define is refused (it would be a device slot no one displaces).
    let sig = srv.usersig("frank");
    assert_eq!(raw_login_code(&srv, "frank", &sig, 9).await, 70402);
    assert_eq!(raw_login_code(&srv, "frank", &sig, 5).await, 0);
}
