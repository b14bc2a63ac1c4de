//! `outlast-bench-outbox`: how long a big offline outbox takes to deliver when the path returns.
//!
//! Per run: a fresh mock backend and profile; 100 chats; every gateway and the API refused;
//! 10,000 messages written (100 per chat, each durably queued); then the backend returns and
//! the clock runs from "up" until the last message is acknowledged. Afterwards the server's copy
//! of every chat is checked: each message once, in the order written. Prints the median.

use std::time::{Duration, Instant};

use clap::Parser;
use outlast_bench::{fmt_duration, summarize};
use outlast_core::{
    Client, ClientOptions, ConnectionSettings, CoreEvent, MessageState, RetryPolicy,
};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use tokio::sync::broadcast::error::RecvError;

#[derive(Parser, Debug)]
#[command(
    name = "outlast-bench-outbox",
    about = "Delivery time of an offline outbox after the backend returns"
)]
struct Args {
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
    #[arg(long, default_value_t = 100)]
    chats: usize,
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// For comparison only: no local database (the outbox in memory, nothing durable).
    #[arg(long)]
    memory_only: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut samples = Vec::new();
    for run in 0..args.runs {
        let took = one_run(&args, run).await;
        println!(
            "  run {}: {} delivered in {}",
            run + 1,
            args.messages,
            fmt_duration(took)
        );
        samples.push(took);
    }
    let summary = summarize(&samples).expect("at least one run");
    println!("outlast-bench-outbox");
    println!(
        "  {} messages in {} chats, queued offline, delivered after the backend returned",
        args.messages, args.chats
    );
    println!(
        "  median {}  max {}  ({} runs; every message once, in per-chat order)",
        fmt_duration(summary.median),
        fmt_duration(summary.max),
        summary.n
    );
}

async fn one_run(args: &Args, run: usize) -> Duration {
    let server = MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        replay_limit: args.messages * 2,
        ..MockConfig::default()
    })
    .await
    .expect("mock backend");
    let chat_ids = create_chats(&server, args.chats).await;
    let dir =
        std::env::temp_dir().join(format!("outlast-bench-outbox-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let client = Client::with_options(ClientOptions {
        connection: ConnectionSettings {
            retry: Some(RetryPolicy::outlast(
                Duration::from_millis(50),
                Duration::from_millis(200),
            )),
            ..ConnectionSettings::default()
        },
        data_dir: (!args.memory_only).then(|| dir.clone()),
        ..ClientOptions::default()
    });
    client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .expect("sign-in");
    server.set_fault("service:gateway", "refuse").unwrap();
    server.set_fault("service:api", "refuse").unwrap();
    let mut events = client.subscribe();
    let per_chat = args.messages / args.chats;
    for n in 0..per_chat {
        for chat in &chat_ids {
            client.send(chat, &format!("{chat} #{n}")).expect("queued");
        }
    }
    // Drain what queuing announced, so the count below is of acknowledgements only.
    while events.try_recv().is_ok() {}

    let started = Instant::now();
    server.set_fault("all", "up").unwrap();
    client.reconnect_now().unwrap();
    let mut delivered = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while delivered < per_chat * chat_ids.len() {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(CoreEvent::MessageUpdated { message }))
                if message.state == MessageState::Sent =>
            {
                delivered += 1
            }
            Ok(Ok(CoreEvent::MessageUpdated { message }))
                if message.state == MessageState::Failed =>
            {
                panic!("a message failed: {:?}", message.failure)
            }
            Ok(Ok(_)) => {}
            // This reader fell behind the client's announcements (both share two cores): the
            // count is lost, so the server's copy decides when everything has arrived.
            Ok(Err(RecvError::Lagged(_))) => {
                let total = per_chat * chat_ids.len();
                while stored_on_server(&server, &chat_ids) < total {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "not every message reached the server within 120 s"
                    );
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                break;
            }
            Ok(Err(RecvError::Closed)) => panic!("the client went away"),
            Err(_) => panic!("only {delivered} messages delivered within 120 s"),
        }
    }
    let took = started.elapsed();
    check_server_copy(&server, &chat_ids, per_chat);
    client.logout();
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    took
}

/// `count` new chats of the demo user with the tester, created over the mock's REST API.
async fn create_chats(server: &MockServer, count: usize) -> Vec<String> {
    let http = reqwest::Client::new();
    let api = server.url_of("api-a").unwrap();
    let token = access_token(&http, server, DEMO_USERNAME).await;
    let mut ids = Vec::new();
    for i in 0..count {
        let chat: serde_json::Value = http
            .post(format!("{}/v1/chats", api.trim_end_matches('/')))
            .bearer_auth(&token)
            .json(&serde_json::json!({"title": format!("Bench {i}"), "member_ids": ["u-tester"]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(chat["chat_id"].as_str().expect("a chat id").to_owned());
    }
    ids
}

/// The server holds each message once, in the order it was written.
fn stored_on_server(server: &MockServer, chat_ids: &[String]) -> usize {
    chat_ids.iter().map(|c| server.chat_bodies(c).len()).sum()
}

fn check_server_copy(server: &MockServer, chat_ids: &[String], per_chat: usize) {
    for chat in chat_ids {
        let expected: Vec<String> = (0..per_chat).map(|n| format!("{chat} #{n}")).collect();
        assert_eq!(
            server.chat_bodies(chat),
            expected,
            "the server's copy of {chat} is out of order, incomplete or has duplicates"
        );
    }
}

async fn access_token(http: &reqwest::Client, server: &MockServer, username: &str) -> String {
    let auth = server.url_of("auth").unwrap();
    let login: serde_json::Value = http
        .post(format!("{}/v1/login", auth.trim_end_matches('/')))
        .json(&serde_json::json!({"username": username, "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"].as_str().unwrap().to_owned()
}
