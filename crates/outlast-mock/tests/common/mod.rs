//! Helpers shared by the mock backend's integration tests: a fresh server, raw WebSocket and
//! HTTP clients, and deadline-bounded waits (no fixed sleeps).

#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD};
use outlast_protocol::{
    decode_server_frame, encode_frame, AccessToken, ClientFrame, LoginRequest, LoginResponse,
    Resume, ServerFrame, PROTOCOL_VERSION,
};
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::{self, Message};

/// Upper bound for anything that should happen on loopback.
pub const DEADLINE: Duration = Duration::from_secs(10);
/// How long "nothing happens" is watched for (black hole, dropped frames).
pub const SILENCE: Duration = Duration::from_millis(600);

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn server() -> MockServer {
    server_with(MockConfig {
        reply_delay: Duration::from_millis(20),
        ..MockConfig::default()
    })
    .await
}

pub async fn server_with(config: MockConfig) -> MockServer {
    MockServer::start(config).await.expect("mock starts")
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .unwrap()
}

pub async fn login(server: &MockServer, username: &str) -> LoginResponse {
    let response = http()
        .post(format!("{}/v1/login", server.url_of("auth").unwrap()))
        .json(&LoginRequest {
            username: username.into(),
            password: DEMO_PASSWORD.into(),
        })
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{response:?}");
    response.json().await.unwrap()
}

pub fn addr_of(url: &str) -> String {
    url.trim_start_matches("ws://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}

pub async fn connect(server: &MockServer, gateway: &str) -> Result<Ws, tungstenite::Error> {
    let url = server.url_of(gateway).unwrap();
    timeout(DEADLINE, tokio_tungstenite::connect_async(url))
        .await
        .expect("the handshake ends one way or another")
        .map(|(ws, _)| ws)
}

pub async fn hello(ws: &mut Ws, token: &AccessToken, resume: Option<Resume>) -> ServerFrame {
    let frame = ClientFrame::Hello {
        protocol_version: PROTOCOL_VERSION,
        token: token.clone(),
        resume,
    };
    ws.send(Message::text(encode_frame(&frame))).await.unwrap();
    next(ws).await.expect("an answer to hello")
}

pub async fn session(server: &MockServer, gateway: &str, token: &AccessToken) -> (Ws, String) {
    let mut ws = connect(server, gateway).await.expect("gateway up");
    match hello(&mut ws, token, None).await {
        ServerFrame::Welcome { session_id, .. } => (ws, session_id),
        other => panic!("expected welcome, got {other:?}"),
    }
}

/// The next frame, or `None` when the connection ended.
pub async fn next(ws: &mut Ws) -> Option<ServerFrame> {
    loop {
        match timeout(DEADLINE, ws.next())
            .await
            .expect("a frame or the end in time")
        {
            Some(Ok(Message::Text(text))) => {
                return Some(decode_server_frame(text.as_str()).unwrap())
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// Whether nothing at all arrives for `SILENCE`.
pub async fn silent(ws: &mut Ws) -> bool {
    timeout(SILENCE, ws.next()).await.is_err()
}

pub async fn send_text(ws: &mut Ws, frame: &ClientFrame) {
    ws.send(Message::text(encode_frame(frame))).await.unwrap();
}

pub fn send_frame(id: &str, chat: &str, body: &str) -> ClientFrame {
    ClientFrame::Send {
        client_msg_id: id.into(),
        chat_id: chat.into(),
        body: body.into(),
        attachments: vec![],
    }
}

/// Send a raw text frame, well-formed or not.
pub async fn send_raw(ws: &mut Ws, text: impl Into<String>) {
    ws.send(Message::text(text.into())).await.unwrap();
}

/// GET `url` with a bearer token and decode the JSON answer.
pub async fn get_json<T: serde::de::DeserializeOwned>(url: String, token: &str) -> T {
    http()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// POST `body` as JSON with a bearer token and decode the JSON answer.
pub async fn post_json<T: serde::de::DeserializeOwned>(
    url: String,
    token: &str,
    body: &impl serde::Serialize,
) -> T {
    http()
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Poll `condition` until it holds or the deadline passes.
pub async fn wait_until<F, Fut>(mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while Instant::now() < deadline {
        if condition().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
