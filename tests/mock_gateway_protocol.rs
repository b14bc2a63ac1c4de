//! The mock gateway speaks the protocol strictly: raw WebSocket clients sending good and bad
//! frames get the documented answers, and nothing they send brings the server down.

mod support;

use futures_util::{SinkExt, StreamExt};
use outlast_mock::{MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use outlast_protocol::{
    decode_server_frame, encode_frame, AccessToken, ClientFrame, ErrorCode, LoginRequest,
    LoginResponse, ServerFrame, MAX_FRAME_BYTES, PROTOCOL_VERSION,
};
use support::{mock_backend, DEADLINE};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn login(server: &MockServer, username: &str) -> LoginResponse {
    let body = serde_json::to_string(&LoginRequest {
        username: username.into(),
        password: DEMO_PASSWORD.into(),
    })
    .unwrap();
    // A minimal HTTP/1.1 exchange, so this test exercises the server and not a client library.
    let auth = server.url_of("auth").unwrap();
    let addr = auth.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "POST /v1/login HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let json = response.split("\r\n\r\n").nth(1).expect("HTTP body");
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {response}"))
}

async fn open(server: &MockServer) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(server.url_of("gw-a1").unwrap())
        .await
        .unwrap();
    ws
}

async fn send_text(ws: &mut Ws, text: String) {
    ws.send(Message::text(text)).await.unwrap();
}

async fn next(ws: &mut Ws) -> ServerFrame {
    let message = tokio::time::timeout(DEADLINE, ws.next())
        .await
        .expect("the gateway answers in time")
        .expect("connection open")
        .expect("readable");
    decode_server_frame(message.to_text().unwrap()).unwrap()
}

async fn hello(ws: &mut Ws, token: &AccessToken) -> ServerFrame {
    let frame = ClientFrame::Hello {
        protocol_version: PROTOCOL_VERSION,
        token: token.clone(),
        resume: None,
    };
    send_text(ws, encode_frame(&frame)).await;
    next(ws).await
}

fn error_code(frame: ServerFrame) -> ErrorCode {
    match frame {
        ServerFrame::Error { code, .. } => code,
        other => panic!("expected an error frame, got {other:?}"),
    }
}

#[tokio::test]
async fn hello_welcome_ping_pong() {
    let server = mock_backend().await;
    let login = login(&server, DEMO_USERNAME).await;
    let mut ws = open(&server).await;
    let ServerFrame::Welcome {
        session_id,
        user_id,
        heartbeat_interval_ms,
        protocol_version,
        resumed,
    } = hello(&mut ws, &login.access_token).await
    else {
        panic!("expected welcome")
    };
    assert!(session_id.starts_with("s-"));
    assert_eq!(
        (user_id.as_str(), protocol_version),
        ("u-demo", PROTOCOL_VERSION)
    );
    assert!(heartbeat_interval_ms >= 1000);
    assert!(!resumed);
    send_text(&mut ws, encode_frame(&ClientFrame::Ping { nonce: 99 })).await;
    assert_eq!(next(&mut ws).await, ServerFrame::Pong { nonce: 99 });
}

#[tokio::test]
async fn resending_a_lost_ack_message_acks_the_same_message() {
    let server = mock_backend().await;
    let login = login(&server, DEMO_USERNAME).await;
    let mut ws = open(&server).await;
    hello(&mut ws, &login.access_token).await;
    let send = ClientFrame::Send {
        client_msg_id: "cm-lost-ack".into(),
        chat_id: "c-team".into(),
        body: "only once".into(),
    };
    send_text(&mut ws, encode_frame(&send)).await;
    let first = next(&mut ws).await;
    send_text(&mut ws, encode_frame(&send)).await;
    // The simulated peer may answer in between; skip its event.
    let second = loop {
        match next(&mut ws).await {
            ServerFrame::Event { .. } => continue,
            frame => break frame,
        }
    };
    assert!(matches!(first, ServerFrame::Ack { .. }), "{first:?}");
    assert_eq!(
        first, second,
        "the same id must be acknowledged as the same message"
    );
}

#[tokio::test]
async fn refusals_are_explicit() {
    let server = mock_backend().await;
    let login = login(&server, DEMO_USERNAME).await;

    let mut ws = open(&server).await;
    assert_eq!(
        error_code(hello(&mut ws, &AccessToken::new("forged")).await),
        ErrorCode::Unauthorized
    );

    let mut ws = open(&server).await;
    send_text(&mut ws, encode_frame(&ClientFrame::Ping { nonce: 1 })).await;
    assert_eq!(error_code(next(&mut ws).await), ErrorCode::UnexpectedFrame);

    let mut ws = open(&server).await;
    let old = r#"{"type":"hello","protocol_version":999,"token":"x"}"#.to_owned();
    send_text(&mut ws, old).await;
    assert_eq!(
        error_code(next(&mut ws).await),
        ErrorCode::UnsupportedVersion
    );

    let mut ws = open(&server).await;
    hello(&mut ws, &login.access_token).await;
    send_text(&mut ws, r#"{"type":"teleport"}"#.to_owned()).await;
    assert_eq!(error_code(next(&mut ws).await), ErrorCode::UnknownFrameType);

    let mut ws = open(&server).await;
    hello(&mut ws, &login.access_token).await;
    send_text(
        &mut ws,
        format!(
            r#"{{"type":"ping","pad":"{}"}}"#,
            "x".repeat(MAX_FRAME_BYTES)
        ),
    )
    .await;
    assert_eq!(error_code(next(&mut ws).await), ErrorCode::FrameTooLarge);

    let mut ws = open(&server).await;
    hello(&mut ws, &login.access_token).await;
    send_text(&mut ws, "{not json".to_owned()).await;
    assert_eq!(error_code(next(&mut ws).await), ErrorCode::MalformedFrame);

    let mut ws = open(&server).await;
    hello(&mut ws, &login.access_token).await;
    let send = ClientFrame::Send {
        client_msg_id: "cm-x".into(),
        chat_id: "c-secret".into(),
        body: "hi".into(),
    };
    send_text(&mut ws, encode_frame(&send)).await;
    match next(&mut ws).await {
        ServerFrame::Nack {
            code, retryable, ..
        } => {
            assert_eq!(code, ErrorCode::UnknownChat);
            assert!(!retryable);
        }
        other => panic!("expected nack, got {other:?}"),
    }

    // After all that abuse the server still serves.
    let mut ws = open(&server).await;
    assert!(matches!(
        hello(&mut ws, &login.access_token).await,
        ServerFrame::Welcome { .. }
    ));
}
