//! The mock gateway speaks the protocol strictly: raw WebSocket clients sending good and bad
//! frames get the documented answers, and nothing they send brings the server down.

mod common;

use common::*;
use outlast_mock::DEMO_USERNAME;
use outlast_protocol::{
    AccessToken, ClientFrame, ErrorCode, ServerFrame, MAX_FRAME_BYTES, PROTOCOL_VERSION,
};

async fn open(server: &outlast_mock::MockServer) -> Ws {
    connect(server, "gw-a1").await.expect("gateway up")
}

/// The next frame; the connection must still be open.
async fn answer(ws: &mut Ws) -> ServerFrame {
    next(ws).await.expect("the connection is open")
}

fn error_code(frame: ServerFrame) -> ErrorCode {
    match frame {
        ServerFrame::Error { code, .. } => code,
        other => panic!("expected an error frame, got {other:?}"),
    }
}

#[tokio::test]
async fn hello_welcome_ping_pong() {
    let server = server().await;
    let login = login(&server, DEMO_USERNAME).await;
    let mut ws = open(&server).await;
    let ServerFrame::Welcome {
        session_id,
        user_id,
        heartbeat_interval_ms,
        protocol_version,
        resumed,
    } = hello(&mut ws, &login.access_token, None).await
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
    send_text(&mut ws, &ClientFrame::Ping { nonce: 99 }).await;
    assert_eq!(answer(&mut ws).await, ServerFrame::Pong { nonce: 99 });
}

#[tokio::test]
async fn resending_a_lost_ack_message_acks_the_same_message() {
    let server = server().await;
    let login = login(&server, DEMO_USERNAME).await;
    let mut ws = open(&server).await;
    hello(&mut ws, &login.access_token, None).await;
    let send = send_frame("cm-lost-ack", "c-team", "only once");
    send_text(&mut ws, &send).await;
    let first = answer(&mut ws).await;
    send_text(&mut ws, &send).await;
    // The simulated peer may answer in between; skip its event.
    let second = loop {
        match answer(&mut ws).await {
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
    let server = server().await;
    let login = login(&server, DEMO_USERNAME).await;

    let mut ws = open(&server).await;
    assert_eq!(
        error_code(hello(&mut ws, &AccessToken::new("forged"), None).await),
        ErrorCode::Unauthorized
    );

    let mut ws = open(&server).await;
    send_text(&mut ws, &ClientFrame::Ping { nonce: 1 }).await;
    assert_eq!(
        error_code(answer(&mut ws).await),
        ErrorCode::UnexpectedFrame
    );

    let mut ws = open(&server).await;
    send_raw(
        &mut ws,
        r#"{"type":"hello","protocol_version":999,"token":"x"}"#,
    )
    .await;
    assert_eq!(
        error_code(answer(&mut ws).await),
        ErrorCode::UnsupportedVersion
    );

    let mut ws = open(&server).await;
    hello(&mut ws, &login.access_token, None).await;
    send_raw(&mut ws, r#"{"type":"teleport"}"#).await;
    assert_eq!(
        error_code(answer(&mut ws).await),
        ErrorCode::UnknownFrameType
    );

    let mut ws = open(&server).await;
    hello(&mut ws, &login.access_token, None).await;
    let pad = "x".repeat(MAX_FRAME_BYTES);
    send_raw(&mut ws, format!(r#"{{"type":"ping","pad":"{pad}"}}"#)).await;
    assert_eq!(error_code(answer(&mut ws).await), ErrorCode::FrameTooLarge);

    let mut ws = open(&server).await;
    hello(&mut ws, &login.access_token, None).await;
    send_raw(&mut ws, "{not json").await;
    assert_eq!(error_code(answer(&mut ws).await), ErrorCode::MalformedFrame);

    let mut ws = open(&server).await;
    hello(&mut ws, &login.access_token, None).await;
    send_text(&mut ws, &send_frame("cm-x", "c-secret", "hi")).await;
    match answer(&mut ws).await {
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
        hello(&mut ws, &login.access_token, None).await,
        ServerFrame::Welcome { .. }
    ));
}
