//! Bench: durable message throughput with group commit.
//!
//! Every acknowledged send is committed with `synchronous=FULL` before the ack. The baseline,
//! measured in the same run, is one client sending one message at a time (each ack waits for
//! its own fsync). The figure that matters is the ratio: many concurrent senders share fsyncs,
//! so throughput grows with concurrency instead of staying at one fsync per message.
//!
//! Run: `cargo bench -p confab-tests --bench commit_throughput`
use std::time::Instant;

use confab_tests::TestServer;
use serde_json::json;

async fn burst(srv: &TestServer, clients: usize, per_client: usize) -> f64 {
    let sink = srv.client("sink").await;
    let mut senders = Vec::new();
    for i in 0..clients {
        senders.push(srv.client(&format!("sender{i}")).await);
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in senders.iter() {
        let sdk = c.sdk.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_client {
                let inv = sdk
                    .call(
                        "TIMMsgSendMessage",
                        &json!({"conv_id": "sink", "conv_type": 1, "json_msg_param": {"message_elem_array": [{"elem_type": 0, "text_elem_content": format!("m{i}")}]}}),
                    )
                    .await;
                // Wait for each ack before the next send: one client, one message in flight.
                assert_eq!(inv.callback.unwrap().await.code, 0);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    drop(sink);
    (clients * per_client) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let per = 100;
        let srv = TestServer::start().await;
        let base = burst(&srv, 1, per).await;
        println!("baseline: 1 sender, 1 in flight      {base:>8.0} msgs/s (each ack waits for its own commit)");
        for clients in [4, 16] {
            let srv = TestServer::start().await;
            let r = burst(&srv, clients, per).await;
            println!("{clients:>2} concurrent senders               {r:>8.0} msgs/s  ratio {:.2}x baseline", r / base);
        }
    });
}
