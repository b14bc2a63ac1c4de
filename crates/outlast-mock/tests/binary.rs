//! The `outlast-mock` binary as a tester starts it: it prints where it listens, and those
//! addresses serve.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

#[test]
fn prints_where_it_listens_and_serves_there() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_outlast-mock"))
        .args(["--http-port", "0", "--gateway-port", "0", "--seed", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("outlast-mock starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_line = || lines.next().expect("a line").expect("readable");
    let api = next_line();
    let gateway = next_line();
    let api_url = api
        .strip_prefix("outlast-mock api ")
        .unwrap_or_else(|| panic!("{api}"))
        .to_owned();
    assert!(api_url.starts_with("http://127.0.0.1:"), "{api_url}");
    assert!(
        gateway.starts_with("outlast-mock gateway ws://127.0.0.1:"),
        "{gateway}"
    );

    let addr = api_url.trim_start_matches("http://");
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
        .args(["--http-port", &port, "--gateway-port", "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
}
