//! Seeded random fault schedules against the in-memory backend, through the whole client (its
//! SQLite profile folder, the operation queue, the writer task, restarts): while the client
//! writes into three chats, starts new chats and writes in them, and marks chats read, the
//! backend's gateway and API go down and come back, acknowledgements and request answers are
//! lost, events arrive twice and out of order, submissions are answered "busy", answers are slow,
//! others write, and the client restarts (a new `Client` on the same folder). After each schedule
//! the backend heals and the queue drains; then every chat started is made once, every message
//! written is on the server exactly once, in per-chat order, none is left sending, and the client
//! shows each chat as the server has it. Every tenth schedule also checks that the server ends
//! up with the user's newest read mark of each chat.
//!
//! The same properties as `chaos.rs` asserts against protocol v1 on the mock server, at memory
//! speed: `OUTLAST_MEMORY_CHAOS_SCHEDULES` (default 300, as CI runs it) and
//! `OUTLAST_MEMORY_CHAOS_SEED` run more or other schedules; the count is printed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use outlast_core::backend::memory::MemoryServer;
use outlast_core::backend::Backend;
use outlast_core::{
    Client, ClientOptions, ConnectionSettings, MessageState, Profile as Person, RetryPolicy,
    Service,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ME: &str = "u-me";
const SETTLE: Duration = Duration::from_secs(30);

struct World {
    server: MemoryServer,
    me: Person,
    chats: Vec<String>,
}

fn world() -> World {
    let server = MemoryServer::new();
    let me = server.add_user(ME, "Me");
    server.add_user("u-jun", "Jun");
    server.add_user("u-sora", "Sora");
    let chats = [
        vec![ME, "u-jun"],
        vec![ME, "u-sora"],
        vec![ME, "u-jun", "u-sora"],
    ]
    .iter()
    .map(|members| server.add_chat("Chat", members).unwrap().chat_id)
    .collect();
    // Lost acknowledgements are sent again quickly, so a schedule takes milliseconds.
    server.set_ack_wait(Duration::from_millis(30));
    World { server, me, chats }
}

fn client(dir: &Path) -> Client {
    Client::with_options(ClientOptions {
        connection: ConnectionSettings {
            background_retry: Some(RetryPolicy::outlast(
                Duration::from_millis(10),
                Duration::from_millis(50),
            )),
            ..ConnectionSettings::default()
        },
        data_dir: Some(dir.to_path_buf()),
        ..ClientOptions::default()
    })
}

async fn sign_in(client: &Client, world: &World) {
    let server = world.server.clone();
    client
        .sign_in_with("memory", world.me.clone(), move |sink| {
            Ok(Arc::new(server.backend_for(ME)?.reporting_to(sink)) as Arc<dyn Backend>)
        })
        .await
        .unwrap();
}

async fn run_schedule(seed: u64) -> usize {
    let world = world();
    let server = &world.server;
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = std::env::temp_dir().join(format!(
        "outlast-memory-chaos-{}-{seed}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut client = client(&dir);
    sign_in(&client, &world).await;
    let mut written: HashMap<String, Vec<String>> = HashMap::new();
    let mut log = Vec::new();
    // The chats written in: the world's, then those started during the schedule.
    let mut chats = world.chats.clone();
    for step in 0..12 {
        match rng.random_range(0..10) {
            0..=2 => {
                let chat = &chats[rng.random_range(0..chats.len())];
                for _ in 0..=rng.random_range(0..4) {
                    let body = format!(
                        "s{seed}-{step}-{}",
                        written.values().map(Vec::len).sum::<usize>()
                    );
                    client.send(chat, &body).unwrap();
                    written.entry(chat.clone()).or_default().push(body);
                }
                log.push(format!("send to {chat}"));
            }
            3 => {
                let service = [Service::Gateway, Service::Api][rng.random_range(0..2)];
                let down = rng.random_bool(0.6);
                server.set_down(service, down);
                log.push(format!("{service:?} down: {down}"));
            }
            4 => {
                let fault = rng.random_range(0..5);
                match fault {
                    0 => server.drop_acks(rng.random_range(1..4)),
                    1 => server.duplicate_events(rng.random_bool(0.5)),
                    2 => server.reorder_events(rng.random_bool(0.5)),
                    3 => server.busy(rng.random_range(1..3), Duration::from_millis(20)),
                    4 => server.lose_answers(rng.random_range(1..3)),
                    _ => server.set_delay(Duration::from_millis(rng.random_range(0..5))),
                }
                log.push(format!("fault {fault}"));
            }
            5 => {
                server.heal();
                log.push("heal".into());
            }
            6 => {
                let other = ["u-jun", "u-sora"][rng.random_range(0..2)];
                let chat = client
                    .create_chat(&format!("New {step}"), &[other.to_owned()])
                    .await
                    .unwrap();
                log.push(format!("start {} with {other}", chat.chat_id));
                chats.push(chat.chat_id);
            }
            7 => {
                // Someone writes, and the user reads a chat (its mark goes when it can).
                let chat = &world.chats[rng.random_range(0..world.chats.len())];
                let _ = server.post("u-jun", chat, &format!("s{seed}-{step}-from-jun"));
                client.mark_read(chat).unwrap();
                log.push(format!("read {chat}"));
            }
            _ => {
                // A restart: the process is gone, only the folder remains.
                client.logout();
                client = self::client(&dir);
                sign_in(&client, &world).await;
                log.push("restart".into());
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..5u64))).await;
    }

    // Everything returns; the queue drains.
    server.heal();
    client.reconnect_now().unwrap();
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let mut unsettled = Vec::new();
        for chat in &chats {
            for message in client.open_chat(chat).await.unwrap() {
                if message.own && message.state != MessageState::Sent {
                    unsettled.push((message.body, format!("{:?}", message.state)));
                }
            }
        }
        for chat in client.chats().unwrap() {
            if let Some(creation) = chat.creation {
                unsettled.push((chat.chat_id, format!("{creation:?}")));
            }
        }
        if unsettled.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "schedule {seed}: still unsent after {SETTLE:?}: {unsettled:?}\nschedule: {log:#?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let mut count = 0;
    for chat in &chats {
        let expected = written.get(chat).cloned().unwrap_or_default();
        count += expected.len();
        // (Others' messages aside: only the user's are checked for order and count.)
        let on_server: Vec<String> = server
            .messages(chat, ME)
            .into_iter()
            .filter(|m| m.sender_id == ME)
            .map(|m| m.body)
            .collect();
        assert_eq!(
            on_server, expected,
            "schedule {seed}, {chat}: the server's copy is not each message once in order\nschedule: {log:#?}"
        );
        let shown: Vec<String> = client
            .open_chat(chat)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.own)
            .map(|m| m.body)
            .collect();
        assert_eq!(
            shown, expected,
            "schedule {seed}, {chat}: the client and the server disagree\nschedule: {log:#?}"
        );
    }
    if seed.is_multiple_of(10) {
        // Read everything: the server ends up with each chat's newest message as the mark.
        for chat in &world.chats {
            let newest = server.messages(chat, ME).last().map(|m| m.msg_id.clone());
            let deadline = tokio::time::Instant::now() + SETTLE;
            // Marked again until the client has the newest message too (others' last messages
            // may still be on their way to it).
            while {
                client.mark_read(chat).unwrap();
                server.read_mark(ME, chat) != newest
            } {
                if tokio::time::Instant::now() >= deadline {
                    let shown: Vec<(Option<String>, String, MessageState)> = client
                        .open_chat(chat)
                        .await
                        .unwrap()
                        .into_iter()
                        .rev()
                        .take(3)
                        .map(|m| (m.msg_id, m.sender_id, m.state))
                        .collect();
                    panic!(
                        "schedule {seed}, {chat}: the server's mark is {:?}, not {newest:?}; the client's newest: {shown:?}\nschedule: {log:#?}",
                        server.read_mark(ME, chat)
                    );
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    client.logout();
    let _ = std::fs::remove_dir_all(&dir);
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_fault_schedules_against_the_memory_backend_deliver_every_message_once_in_order() {
    let schedules: u64 = std::env::var("OUTLAST_MEMORY_CHAOS_SCHEDULES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let first: u64 = std::env::var("OUTLAST_MEMORY_CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let started = std::time::Instant::now();
    let mut messages = 0;
    for seed in first..first + schedules {
        messages += run_schedule(seed).await;
    }
    println!(
        "memory chaos: {schedules} schedules (seeds {first}..{}), {messages} messages, each delivered once in order, in {:.1} s",
        first + schedules - 1,
        started.elapsed().as_secs_f64()
    );
}
