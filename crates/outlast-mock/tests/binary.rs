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
