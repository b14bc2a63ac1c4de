//! Crash safety, as a user would suffer it: the client process is killed with SIGKILL at random
//! points while it writes messages (and while it re-sends the last run's), over and over, with
//! the gateway up, refused (REST carries the messages) or dropping acks. After every kill the
//! database passes `integrity_check` and holds every message the client had reported as queued
//! (what the UI shows as pending). At the end everything is delivered: each queued message
//! exactly once on the server, in the order written.
//!
//! `OUTLAST_CRASH_ROUNDS` (default 12) and `OUTLAST_CRASH_SEED` make longer or replayed runs.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use outlast_core::store::Store;
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

const CHAT: &str = "c-team";

fn cli(server: &str, data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_outlast-cli"));
    command
        .arg("--server")
        .arg(server)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("OUTLAST_PASSWORD", DEMO_PASSWORD)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

/// The account database the client keeps under `data_dir`.
fn database(data_dir: &Path) -> PathBuf {
    let accounts = data_dir.join("accounts");
    let account = std::fs::read_dir(&accounts)
        .expect("the client created its account folder")
        .next()
        .expect("one account")
        .unwrap()
        .path();
    account.join("outlast.db")
}

/// Start a `write` run and SIGKILL it once it has reported `kill_after` messages queued (or let
/// it finish). Returns the bodies it reported as queued, in order.
fn write_and_kill(server: &str, data_dir: &Path, round: usize, kill_after: usize) -> Vec<String> {
    let prefix = format!("r{round}-");
    let mut child = cli(
        server,
        data_dir,
        &[
            "write", "--chat", CHAT, "--count", "60", "--prefix", &prefix, "--wait", "5",
        ],
    )
    .spawn()
    .expect("outlast-cli starts");
    let mut queued = Vec::new();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        let Ok(line) = line else { break };
        let Ok(value) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if value["type"] == "queued" {
            queued.push(value["body"].as_str().unwrap().to_owned());
            if queued.len() == kill_after {
                // SIGKILL: no destructor, no flush, no goodbye.
                unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
                break;
            }
        }
    }
    let _ = child.wait();
    queued
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_writing_loses_nothing_shown_and_delivers_each_message_once_in_order() {
    let rounds: usize = std::env::var("OUTLAST_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let seed: u64 = std::env::var("OUTLAST_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261125);
    println!("crash test: {rounds} rounds, seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let server = MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        replay_limit: 100_000,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let url = server.discovery_url().to_owned();
    let data_dir = std::env::temp_dir().join(format!("outlast-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);

    let mut shown: Vec<String> = Vec::new();
    for round in 0..rounds {
        let fault = ["up", "refuse", "flaky:0.5"][rng.random_range(0..3)];
        server.set_fault("service:gateway", fault).unwrap();
        let kill_after = rng.random_range(1..=60);
        let (dir, url) = (data_dir.clone(), url.clone());
        let queued =
            tokio::task::spawn_blocking(move || write_and_kill(&url, &dir, round, kill_after))
                .await
                .unwrap();
        assert!(
            !queued.is_empty(),
            "round {round} queued nothing (gateway {fault})"
        );
        shown.extend(queued);

        // After the kill: an intact database holding everything that was shown as queued.
        let (mut store, _) = Store::open(&database(&data_dir)).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok", "round {round}");
        let mut kept = HashMap::new();
        for body in &shown {
            let hits = store.search(body, 1_000).unwrap();
            let found = hits.iter().filter(|h| &h.message.body == body).count();
            kept.insert(body.clone(), found);
        }
        let lost: Vec<_> = kept.iter().filter(|(_, n)| **n != 1).collect();
        assert!(
            lost.is_empty(),
            "round {round} (gateway {fault}): not kept exactly once: {lost:?}"
        );
    }

    // Everything returns: one last run delivers what is left and waits for every ack.
    server.set_fault("all", "up").unwrap();
    let (dir, url2) = (data_dir.clone(), url.clone());
    let last = tokio::task::spawn_blocking(move || {
        let output = cli(
            &url2,
            &dir,
            &[
                "write", "--chat", CHAT, "--count", "1", "--prefix", "last-", "--wait", "60",
            ],
        )
        .output()
        .unwrap();
        assert!(output.status.success(), "{output:?}");
        "last-0".to_owned()
    })
    .await
    .unwrap();
    shown.push(last);

    let on_server = server.chat_bodies(CHAT);
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for body in &on_server {
        *copies.entry(body.as_str()).or_default() += 1;
    }
    let duplicated: Vec<_> = copies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "delivered more than once: {duplicated:?}"
    );
    let missing: Vec<_> = shown
        .iter()
        .filter(|b| !copies.contains_key(b.as_str()))
        .collect();
    assert!(missing.is_empty(), "never delivered: {missing:?}");
    let order: Vec<&String> = on_server.iter().filter(|b| shown.contains(b)).collect();
    let expected: Vec<&String> = shown.iter().collect();
    assert_eq!(order, expected, "delivered out of the order written");
    println!(
        "crash test: {} messages shown as queued across {rounds} SIGKILLs, each delivered once, in order",
        shown.len()
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}
