//! Seeded random fault schedules against the real mock backend: while the client writes into
//! three chats, gateways, regions and the API refuse, reset, drop acks, duplicate and reorder
//! events, and the client restarts (a new process: only the profile folder and the vault carry
//! over; SIGKILL is `outlast-cli`'s crash test). After each schedule the backend returns and the
//! outbox drains; then every message written was delivered exactly once, in per-chat order,
//! nothing is left as sending, and the client's view of each chat agrees with the server's.
//!
//! `OUTLAST_CHAOS_SCHEDULES` (default 200, as CI runs it) and `OUTLAST_CHAOS_SEED` run more or other schedules;
//! the count is printed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use outlast_core::{
    Client, ClientOptions, ConnectionSettings, MemoryVault, MessageState, RetryPolicy, Vault,
};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const CHATS: [&str; 3] = ["c-team", "c-jun", "c-minji"];
const TARGETS: [&str; 5] = ["service:gateway", "gw-a1", "region:a", "service:api", "all"];
const FAULTS: [&str; 7] = [
    "up",
    "refuse",
    "reset",
    "flaky:0.5",
    "duplicate:0.5",
    "reorder:0.5",
    "up",
];
const SETTLE: Duration = Duration::from_secs(30);

fn settings() -> ConnectionSettings {
    ConnectionSettings {
        connect_timeout: Duration::from_millis(500),
        retry: Some(RetryPolicy::outlast(
            Duration::from_millis(20),
            Duration::from_millis(150),
        )),
        pong_timeout: Duration::from_millis(300),
        ack_probe_after: Some(Duration::from_millis(100)),
        probe_timeout: Duration::from_millis(200),
        stable_after: Duration::from_millis(200),
        failback_after: None,
        rest_poll_wait: Duration::from_millis(500),
        request_timeout: Duration::from_millis(500),
        auth_retry: Some(RetryPolicy::outlast(
            Duration::from_millis(20),
            Duration::from_millis(150),
        )),
        resend_after_nack: Duration::from_millis(100),
        ..ConnectionSettings::default()
    }
}

struct Profile {
    dir: PathBuf,
    vault: Vault,
}

impl Profile {
    fn client(&self) -> Client {
        Client::with_options(ClientOptions {
            connection: settings(),
            data_dir: Some(self.dir.clone()),
            vault: Some(self.vault.clone()),
            ..ClientOptions::default()
        })
    }
}

async fn run_schedule(server: &MockServer, seed: u64) -> usize {
    let mut rng = StdRng::seed_from_u64(seed);
    let profile = Profile {
        dir: std::env::temp_dir().join(format!("outlast-chaos-{}-{seed}", std::process::id())),
        vault: Vault::new(MemoryVault::default()),
    };
    let _ = std::fs::remove_dir_all(&profile.dir);
    server.set_fault("all", "up").unwrap();
    let mut client = profile.client();
    client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    let mut written: HashMap<&str, Vec<String>> = HashMap::new();
    let mut log = Vec::new();
    for step in 0..10 {
        match rng.random_range(0..5) {
            0 | 1 => {
                let chat = CHATS[rng.random_range(0..CHATS.len())];
                for _ in 0..=rng.random_range(0..4) {
                    let body = format!(
                        "s{seed}-{step}-{}",
                        written.values().map(Vec::len).sum::<usize>()
                    );
                    client.send(chat, &body).unwrap();
                    written.entry(chat).or_default().push(body);
                }
                log.push(format!("send to {chat}"));
            }
            2 | 3 => {
                let target = TARGETS[rng.random_range(0..TARGETS.len())];
                let fault = FAULTS[rng.random_range(0..FAULTS.len())];
                server.set_fault(target, fault).unwrap();
                log.push(format!("{target} {fault}"));
            }
            _ => {
                // A restart: the process is gone, only the folder and the vault remain.
                client.logout();
                client = profile.client();
                let info = client.resume().await.unwrap().expect("restored");
                log.push(format!("restart (from cache: {})", info.from_cache));
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..40u64))).await;
    }

    // Everything returns; the outbox drains.
    server.set_fault("all", "up").unwrap();
    client.reconnect_now().unwrap();
    let settle_started = std::time::Instant::now();
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let mut unsettled = Vec::new();
        for chat in CHATS {
            for message in client.open_chat(chat).await.unwrap() {
                if message.own
                    && message.state != MessageState::Sent
                    && message.body.starts_with(&format!("s{seed}-"))
                {
                    unsettled.push((message.body, message.state));
                }
            }
        }
        if unsettled.is_empty() {
            break;
        }
        if std::env::var("OUTLAST_CHAOS_VERBOSE").is_ok()
            && tokio::time::Instant::now() + Duration::from_millis(50) > deadline
        {
            for chat in CHATS {
                for m in client.open_chat(chat).await.unwrap() {
                    if m.body.starts_with(&format!("s{seed}-")) {
                        println!(
                            "{chat}: {} {:?} cid={:?} mid={:?} seq={:?}",
                            m.body, m.state, m.client_msg_id, m.msg_id, m.seq
                        );
                    }
                }
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "schedule {seed}: still unsent after {SETTLE:?}: {unsettled:?}\nconnection: {:?}\nschedule: {log:#?}",
            client.connection_state()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    if std::env::var("OUTLAST_CHAOS_VERBOSE").is_ok() {
        println!(
            "schedule {seed}: settled in {:?}: {log:?}",
            settle_started.elapsed()
        );
    }
    let mine = |bodies: Vec<String>| -> Vec<String> {
        bodies
            .into_iter()
            .filter(|b| b.starts_with(&format!("s{seed}-")))
            .collect()
    };
    let mut count = 0;
    for chat in CHATS {
        let expected = written.get(chat).cloned().unwrap_or_default();
        count += expected.len();
        let on_server = mine(server.chat_bodies(chat));
        assert_eq!(
            on_server, expected,
            "schedule {seed}, {chat}: the server's copy is not each message once in order\nschedule: {log:#?}"
        );
        let shown = mine(
            client
                .open_chat(chat)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.body)
                .collect(),
        );
        assert_eq!(
            shown, expected,
            "schedule {seed}, {chat}: the client and the server disagree\nschedule: {log:#?}"
        );
    }
    client.logout();
    let _ = std::fs::remove_dir_all(&profile.dir);
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_fault_schedules_deliver_every_message_once_in_order() {
    let schedules: u64 = std::env::var("OUTLAST_CHAOS_SCHEDULES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let first: u64 = std::env::var("OUTLAST_CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "off".into()),
        )
        .with_test_writer()
        .try_init();
    let server = MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        heartbeat_interval: Duration::from_millis(500),
        replay_limit: 100_000,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let mut messages = 0;
    for seed in first..first + schedules {
        messages += run_schedule(&server, seed).await;
    }
    println!(
        "chaos: {schedules} schedules (seeds {first}..{}), {messages} messages, each delivered once in order",
        first + schedules - 1
    );
}
