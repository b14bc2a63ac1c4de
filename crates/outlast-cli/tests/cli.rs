//! `outlast-cli` as a tester uses it: a real process against the real mock backend on loopback.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD};
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(20);

async fn mock() -> MockServer {
    MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        heartbeat_interval: Duration::from_secs(1),
        ..MockConfig::default()
    })
    .await
    .expect("mock backend starts")
}

fn cli(server: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_outlast-cli"));
    command
        .arg("--server")
        .arg(server)
        .args(args)
        .env("OUTLAST_PASSWORD", DEMO_PASSWORD)
        .env_remove("OUTLAST_DATA_DIR")
        .stdin(Stdio::null());
    command
}

/// Run to completion off the async runtime (the mock keeps serving meanwhile).
async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("outlast-cli runs"))
        .await
        .unwrap()
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_prints_the_stored_message_and_exits_zero() {
    let server = mock().await;
    let output = run(cli(
        server.discovery_url(),
        &["send", "--chat", "c-team", "hello from a script"],
    ))
    .await;
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output);
    let sent = lines.last().unwrap();
    assert_eq!(sent["type"], "sent");
    assert_eq!(sent["message"]["body"], "hello from a script");
    assert_eq!(sent["message"]["state"], "sent");
    assert!(sent["ts_ms"].as_u64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_connection_and_services() {
    let server = mock().await;
    let output = run(cli(server.discovery_url(), &["status"])).await;
    assert!(output.status.success(), "{output:?}");
    let status = json_lines(&output).pop().unwrap();
    assert_eq!(status["type"], "status");
    let connection = &status["session"]["connection"];
    assert_eq!(connection["state"], "connected");
    assert_eq!(connection["region"], "a");
    assert_eq!(connection["transport"], "gateway");
    let gateway = status["session"]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "gateway")
        .unwrap();
    assert_eq!(gateway["status"]["state"], "up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_outages_have_their_own_exit_codes() {
    let server = mock().await;
    let url = server.discovery_url();

    let mut no_password = cli(url, &["chats"]);
    no_password.env_remove("OUTLAST_PASSWORD");
    let output = run(no_password).await;
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("OUTLAST_PASSWORD"));

    let output = run(cli(url, &["send", "--chat", "no-such-chat", "x"])).await;
    assert_eq!(output.status.code(), Some(2), "{output:?}");

    let output = run(cli(url, &["send", "--chat", "c-team", ""])).await;
    assert_eq!(
        output.status.code(),
        Some(2),
        "an empty message: {output:?}"
    );

    let mut wrong = cli(url, &["chats"]);
    wrong.env("OUTLAST_PASSWORD", "wrong");
    let output = run(wrong).await;
    assert_eq!(output.status.code(), Some(4), "{output:?}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap().to_string();
    drop(closed);
    let output = run(cli(&address, &["chats"])).await;
    assert_eq!(output.status.code(), Some(3), "{output:?}");

    let output = run(cli(url, &["frobnicate"])).await;
    assert_eq!(
        output.status.code(),
        Some(2),
        "clap's usage error: {output:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_prints_connection_changes_through_a_failover() {
    let server = mock().await;
    let gw_a1 = server.url_of("gw-a1").unwrap();
    let mut child = cli(server.discovery_url(), &["tail", "--for", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tail starts");
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let value = serde_json::from_str(&line).expect("every line is JSON");
            if lines_tx.send(value).is_err() {
                break;
            }
        }
    });

    // Connected to gw-a1 first.
    loop {
        let line = next(&mut lines, "the first connection").await;
        if line["type"] == "connection_changed"
            && line["state"]["state"] == "connected"
            && line["state"]["endpoint"] == gw_a1.as_str()
        {
            break;
        }
    }
    server.set_fault("gw-a1", "reset").unwrap();
    loop {
        let line = next(&mut lines, "the failover").await;
        if line["type"] == "connection_changed"
            && line["state"]["state"] == "connected"
            && line["state"]["endpoint"] != gw_a1.as_str()
        {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

async fn next(lines: &mut tokio::sync::mpsc::UnboundedReceiver<Value>, what: &str) -> Value {
    tokio::time::timeout(DEADLINE, lines.recv())
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        .unwrap_or_else(|| panic!("tail ended before {what}"))
}

/// Thousands of acknowledgements outrun the reader of the core's events (its buffer holds 4,096
/// and 3,000 messages announce twice that while they are queued): the CLI is told it fell behind,
/// resyncs from the client's unsent messages, and still reports every message acknowledged,
/// each on the server once and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_of_thousands_resyncs_when_events_were_missed_and_exits_zero() {
    let server = mock().await;
    let dir = std::env::temp_dir().join(format!("outlast-cli-bulk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = run(cli(
        server.discovery_url(),
        &[
            "--data-dir",
            dir.to_str().unwrap(),
            "write",
            "--chat",
            "c-team",
            "--count",
            "3000",
            "--prefix",
            "bulk ",
            "--wait",
            "120",
        ],
    ))
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = json_lines(&output);
    assert!(
        lines.iter().any(|l| l["type"] == "lagged"),
        "the reader fell behind, so the resync was what counted the acks"
    );
    let written = lines.last().unwrap();
    assert_eq!(written["type"], "written");
    assert_eq!(written["acknowledged"], true);
    let bodies: Vec<String> = server
        .chat_bodies("c-team")
        .into_iter()
        .filter(|b| b.starts_with("bulk "))
        .collect();
    let expected: Vec<String> = (0..3000).map(|n| format!("bulk {n}")).collect();
    assert_eq!(bodies, expected, "each message once, in the order written");
}
