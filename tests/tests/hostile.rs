//! Hostile clients: what a client that does not play by the rules can and cannot do to the
//! server or to other users (the High and Medium findings of the reliability and security
//! review). Each test fails on the build before its fix.
use confab_core::content_id;
use confab_tests::{media_put, RawClient, TestServer};
use serde_json::json;

/// S-1: a sender cannot make a receiver's SDK read a file of the receiver's disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_local_paths_never_reach_a_receiver() {
    let srv = TestServer::start().await;
    let mallory = RawClient::login(&srv, "mallory").await;
    let bob = srv.client("bob").await;
    // A media element without its content id, naming a file: refused.
    let steal = json!({"elem_type": 4, "file_elem_file_id": "", "file_elem_file_path": "/etc/passwd",
                       "file_elem_file_name": "report.pdf"});
    let r = mallory
        .call(json!({"type": "send_msg", "conv_type": 1, "conv_id": "bob",
                     "msg": {"message_msg_id": "s-1-a", "message_elem_array": [steal]}}))
        .await;
    assert_eq!(r["code"], confab_protocol::codes::ERR_SVR_MSG_INVALID_JSON_BODY_FORMAT, "{r}");
    // A real upload with paths beside its ids (in the element and in a merged record): the
    // paths are gone before anyone sees the message.
    let data = b"quarterly figures".to_vec();
    let cid = content_id(&data);
    assert_eq!(media_put(&srv, "mallory", "file", &cid, 0, data.len() as u64, &data).await.1["done"], true);
    let file = json!({"elem_type": 4, "file_elem_file_id": cid, "file_elem_file_name": "report.pdf",
                      "file_elem_file_size": data.len(), "file_elem_file_path": "/etc/passwd"});
    let merged = json!({"elem_type": 12, "merge_elem_title": "chat", "merge_elem_abstract_array": ["a"],
        "merge_elem_compatible_text": "x", "merge_elem_message_array": [{"message_msg_id": "in-1-a",
        "message_elem_array": [{"elem_type": 1, "image_elem_orig_path": "/home/bob/.ssh/id_ed25519"}]}]});
    let r = mallory
        .call(json!({"type": "send_msg", "conv_type": 1, "conv_id": "bob",
                     "msg": {"message_msg_id": "s-2-a", "message_elem_array": [file, merged]}}))
        .await;
    assert_eq!(r["code"], 0, "{r}");
    assert!(!r.to_string().contains("/etc/passwd") && !r.to_string().contains("id_ed25519"), "{r}");
    let got = bob.recv_texts(1).await;
    assert_eq!(got.len(), 1);
    let list = bob.messages("mallory", 1, json!({})).await;
    let text = serde_json::to_string(&list).unwrap();
    assert!(!text.contains("/etc/passwd") && !text.contains("id_ed25519"), "bob's copy carries no path: {text}");
}
