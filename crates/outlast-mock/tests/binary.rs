//! The `outlast-mock` binary as a tester starts it: it prints where it listens, and those
//! addresses serve.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

#[test]
fn prints_where_it_listens_and_serves_there() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_outlast-mock"))
        .args(["--port", "0", "--seed", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("outlast-mock starts");
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| l.expect("readable"))
        .take_while(|l| !l.starts_with("outlast-mock sign in"))
        .collect();
    let server = lines[0]
        .strip_prefix("outlast-mock server ")
        .unwrap_or_else(|| panic!("{lines:?}"))
        .to_owned();
    assert!(server.starts_with("http://127.0.0.1:"), "{server}");
    let listeners: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("outlast-mock listener "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        listeners,
        [
            "api-a",
            "api-b",
            "auth",
            "discovery",
            "gw-a1",
            "gw-a2",
            "gw-b1",
            "gw-b2",
            "media"
        ]
    );
    assert!(lines
        .last()
        .unwrap()
        .starts_with("outlast-mock control http://127.0.0.1:"));

    let addr = server.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("API port accepts");
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok"), "{response}");

    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn refuses_a_port_in_use_with_a_clear_message() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_outlast-mock"))
        .args(["--port", &port])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
}

/// A running `outlast-mock` and its control URL.
struct Running {
    child: std::process::Child,
    control: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_outlast-mock"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("outlast-mock starts");
    let control = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| l.expect("readable"))
        .find_map(|l| l.strip_prefix("outlast-mock control ").map(str::to_owned))
        .expect("a control line");
    Running { child, control }
}

fn cli(args: &[&str], control: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_outlast-mock"))
        .args(args)
        .args(["--control", control])
        .output()
        .unwrap()
}

#[test]
fn fault_and_status_commands_drive_a_running_backend() {
    let running = start();
    let out = cli(&["fault", "gw-a1", "blackhole"], &running.control);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "blackhole: gw-a1"
    );

    let out = cli(&["status"], &running.control);
    let status = String::from_utf8_lossy(&out.stdout);
    let row = status
        .lines()
        .find(|l| l.starts_with("gw-a1"))
        .expect("a row for gw-a1");
    assert!(row.contains("blackhole"), "{status}");

    let out = cli(&["fault", "gw-a1", "explode"], &running.control);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown mode"));

    let out = cli(&["fault", "gw-zz", "up"], &running.control);
    assert_eq!(out.status.code(), Some(2), "unknown listener");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no listener matches"));

    let out = cli(
        &["scenario", "flapping-gateway", "--time-scale", "100"],
        &running.control,
    );
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Flapping gateway"));
}

#[test]
fn unreachable_control_and_bad_scenarios_exit_with_clear_codes() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = cli(&["status"], &url);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the control API"));

    let dir = std::env::temp_dir().join(format!("outlast-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "name = \"bad\"\n[[step]]\nat = \"5 minutes\"\ntarget = \"all\"\nfault = \"up\"\n",
    )
    .unwrap();
    let out = cli(&["scenario", file.to_str().unwrap(), "--check"], &url);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3: bad `at`"), "{stderr}");

    let out = cli(&["scenario", "everything-down-1h", "--check"], &url);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 steps over 3600s"));
    std::fs::remove_dir_all(dir).unwrap();
}
