//! A gateway listener: WebSocket connections speaking the frames of `outlast-protocol`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use outlast_protocol::{
    decode_client_frame, encode_frame, ClientFrame, ErrorCode, ServerFrame,
    DEFAULT_HEARTBEAT_INTERVAL_MS, MAX_FRAME_BYTES, PROTOCOL_VERSION,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::backend::Backend;

/// How long a new connection may take to say `hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Events queued for one session before it is considered stuck and dropped.
const OUTBOUND_QUEUE: usize = 1024;
/// WebSocket messages above this size are refused by the WebSocket layer itself; between
/// [`MAX_FRAME_BYTES`] and this, the protocol layer answers with a clear `frame_too_large`.
const WS_MESSAGE_LIMIT: usize = 1024 * 1024;

pub(crate) async fn serve(listener: TcpListener, backend: Backend) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Usually fd exhaustion; back off briefly instead of spinning.
                tracing::warn!(%err, "gateway accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let backend = backend.clone();
        tokio::spawn(async move {
            if let Err(reason) = handle(stream, backend).await {
                tracing::info!(%peer, %reason, "gateway connection closed");
            }
        });
    }
}

type Ws = WebSocketStream<TcpStream>;

async fn handle(stream: TcpStream, backend: Backend) -> Result<(), String> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(WS_MESSAGE_LIMIT))
        .max_frame_size(Some(WS_MESSAGE_LIMIT));
    let mut ws = tokio_tungstenite::accept_async_with_config(stream, Some(config))
        .await
        .map_err(|e| format!("websocket handshake failed: {e}"))?;

    let user_id = match tokio::time::timeout(HELLO_TIMEOUT, next_frame(&mut ws)).await {
        Err(_) => {
            return close_with(&mut ws, ErrorCode::UnexpectedFrame, "no hello within 10 s").await
        }
        Ok(Err(reason)) => return Err(reason),
        Ok(Ok(Err((code, message)))) => return close_with(&mut ws, code, &message).await,
        Ok(Ok(Ok(ClientFrame::Hello {
            protocol_version,
            token,
        }))) => {
            if protocol_version != PROTOCOL_VERSION {
                let message = format!(
                    "protocol version {protocol_version} is not supported; this server speaks {PROTOCOL_VERSION}"
                );
                return close_with(&mut ws, ErrorCode::UnsupportedVersion, &message).await;
            }
            let verified = backend.store().user_for_token(token.expose());
            match verified {
                Ok(user_id) => user_id,
                Err(e) => return close_with(&mut ws, e.code, &e.message).await,
            }
        }
        Ok(Ok(Ok(other))) => {
            let message = format!("expected hello, got {}", frame_name(&other));
            return close_with(&mut ws, ErrorCode::UnexpectedFrame, &message).await;
        }
    };

    let session_id = format!("s-{}", uuid::Uuid::new_v4().simple());
    let (outbound_tx, mut outbound_rx) = mpsc::channel(OUTBOUND_QUEUE);
    backend
        .store()
        .register_session(&session_id, &user_id, outbound_tx);
    tracing::info!(%session_id, %user_id, "session started");
    let welcome = ServerFrame::Welcome {
        protocol_version: PROTOCOL_VERSION,
        session_id: session_id.clone(),
        user_id: user_id.clone(),
        heartbeat_interval_ms: DEFAULT_HEARTBEAT_INTERVAL_MS,
    };
    let result = match send(&mut ws, &welcome).await {
        Ok(()) => run_session(&mut ws, &backend, &session_id, &user_id, &mut outbound_rx).await,
        Err(e) => Err(e),
    };
    backend.store().remove_session(&session_id);
    result
}

async fn run_session(
    ws: &mut Ws,
    backend: &Backend,
    session_id: &str,
    user_id: &str,
    outbound: &mut mpsc::Receiver<ServerFrame>,
) -> Result<(), String> {
    loop {
        tokio::select! {
            frame = outbound.recv() => match frame {
                Some(frame) => send(ws, &frame).await?,
                None => return Err("session dropped by the server (outbound queue full)".into()),
            },
            incoming = next_frame(ws) => match incoming? {
                Err((code, message)) => return close_with(ws, code, &message).await,
                Ok(ClientFrame::Ping { nonce }) => send(ws, &ServerFrame::Pong { nonce }).await?,
                Ok(ClientFrame::Send { client_msg_id, chat_id, body }) => {
                    let reply = match backend.post(user_id, &chat_id, Some(&client_msg_id), &body, Some(session_id)) {
                        Ok(posted) => ServerFrame::Ack {
                            client_msg_id,
                            msg_id: posted.record.msg_id,
                            seq: posted.sender_seq,
                        },
                        Err(e) => ServerFrame::Nack {
                            client_msg_id,
                            code: e.code,
                            message: e.message,
                            retryable: e.retryable,
                        },
                    };
                    send(ws, &reply).await?;
                }
                Ok(ClientFrame::Hello { .. }) => {
                    return close_with(ws, ErrorCode::UnexpectedFrame, "hello sent twice").await;
                }
            },
        }
    }
}

/// The next protocol frame: `Err` when the connection is over, `Ok(Err)` when the peer sent
/// something the protocol refuses (answered with an `error` frame by the caller).
async fn next_frame(ws: &mut Ws) -> Result<Result<ClientFrame, (ErrorCode, String)>, String> {
    loop {
        let message = match ws.next().await {
            None => return Err("client closed the connection".into()),
            Some(Err(e)) => return Err(format!("websocket error: {e}")),
            Some(Ok(message)) => message,
        };
        match message {
            Message::Text(text) => {
                return Ok(
                    decode_client_frame(text.as_str()).map_err(|e| (e.code(), e.to_string()))
                );
            }
            Message::Binary(_) => {
                return Ok(Err((
                    ErrorCode::MalformedFrame,
                    "binary frames are not part of the protocol".into(),
                )));
            }
            Message::Close(_) => return Err("client closed the connection".into()),
            // WebSocket-level pings are answered by tungstenite itself.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
        }
    }
}

async fn send(ws: &mut Ws, frame: &ServerFrame) -> Result<(), String> {
    let text = encode_frame(frame);
    debug_assert!(text.len() <= MAX_FRAME_BYTES);
    ws.send(Message::text(text))
        .await
        .map_err(|e| format!("write failed: {e}"))
}

async fn close_with(ws: &mut Ws, code: ErrorCode, message: &str) -> Result<(), String> {
    let _ = send(
        ws,
        &ServerFrame::Error {
            code,
            message: message.to_owned(),
        },
    )
    .await;
    let _ = ws.close(None).await;
    Err(format!("{code}: {message}"))
}

fn frame_name(frame: &ClientFrame) -> &'static str {
    match frame {
        ClientFrame::Hello { .. } => "hello",
        ClientFrame::Ping { .. } => "ping",
        ClientFrame::Send { .. } => "send",
    }
}
