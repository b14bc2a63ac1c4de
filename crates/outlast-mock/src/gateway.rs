//! A gateway listener: WebSocket connections speaking the frames of `outlast-protocol`, with the
//! gateway-level faults (slow frames, dropped acks and events, drain, shedding, 503 on upgrade).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use outlast_protocol::{
    decode_client_frame, encode_frame, ClientFrame, ErrorCode, ServerFrame, MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{header, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::backend::Backend;
use crate::fault::FaultMode;
use crate::net::{FaultyListener, FaultyStream};

/// How long a new connection may take to say `hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Events queued for one session before it is considered stuck and dropped.
const OUTBOUND_QUEUE: usize = 1024;
/// WebSocket messages above this size are refused by the WebSocket layer itself; between
/// [`MAX_FRAME_BYTES`] and this, the protocol layer answers with a clear `frame_too_large`.
const WS_MESSAGE_LIMIT: usize = 1024 * 1024;
/// A reordered event waits at most this long for a frame to overtake it.
const REORDER_HOLD: Duration = Duration::from_millis(200);
/// Size of the oversized frame the hostile fault sends.
const HOSTILE_FRAME_BYTES: usize = 10 * 1024 * 1024;
/// Bodies a hostile peer writes: markup, a `javascript:` link, bidi overrides, a flood of
/// combining marks. Clients must show them as inert text.
const HOSTILE_BODY: &str = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script> <a href=\"javascript:alert(1)\">click</a> \u{202e}gnp.exe\u{202c} Z\u{0336}\u{0336}\u{0336}";

/// Read and write buffer of one session's WebSocket.
const SESSION_BUFFER: usize = 4 * 1024;
/// A drained session that has not moved is closed after this long.
const DRAIN_GRACE: Duration = Duration::from_secs(30);

/// What a gateway tells its clients.
#[derive(Clone)]
pub(crate) struct GatewaySettings {
    pub id: String,
    pub heartbeat_interval_ms: u64,
}

pub(crate) async fn serve(
    mut listener: FaultyListener,
    backend: Backend,
    settings: GatewaySettings,
    mode: watch::Receiver<FaultMode>,
) {
    loop {
        let (stream, peer) = listener.next().await;
        let backend = backend.clone();
        let settings = settings.clone();
        let mode = mode.clone();
        tokio::spawn(async move {
            if let Err(reason) = handle(stream, backend, &settings, mode).await {
                tracing::info!(gateway = %settings.id, %peer, %reason, "gateway connection closed");
            }
        });
    }
}

type Ws = WebSocketStream<FaultyStream>;

async fn handle(
    stream: FaultyStream,
    backend: Backend,
    settings: &GatewaySettings,
    mut mode: watch::Receiver<FaultMode>,
) -> Result<(), String> {
    // Small buffers: frames are small, and tungstenite's 128 KiB defaults would cost over 100 KiB
    // per idle session, which matters at tens of thousands of sessions.
    let config = WebSocketConfig::default()
        .read_buffer_size(SESSION_BUFFER)
        .write_buffer_size(SESSION_BUFFER)
        .max_message_size(Some(WS_MESSAGE_LIMIT))
        .max_frame_size(Some(WS_MESSAGE_LIMIT));
    let upgrade_mode = mode.clone();
    // The callback's signature is tungstenite's; its error type is an HTTP response.
    #[allow(clippy::result_large_err)]
    let check = move |_: &Request, response: Response| -> Result<Response, ErrorResponse> {
        match &*upgrade_mode.borrow() {
            FaultMode::Erroring { retry_after_s } => {
                Err(unavailable(*retry_after_s, "the gateway is unavailable"))
            }
            _ => Ok(response),
        }
    };
    let mut ws = tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(config))
        .await
        .map_err(|e| format!("websocket handshake failed: {e}"))?;

    let (user_id, resume) = match tokio::time::timeout(HELLO_TIMEOUT, next_frame(&mut ws)).await {
        Err(_) => {
            return close_with(&mut ws, ErrorCode::UnexpectedFrame, "no hello within 10 s").await
        }
        Ok(Err(reason)) => return Err(reason),
        Ok(Ok(Err((code, message)))) => return close_with(&mut ws, code, &message).await,
        Ok(Ok(Ok(ClientFrame::Hello {
            protocol_version,
            token,
            resume,
        }))) => {
            if protocol_version != PROTOCOL_VERSION {
                let message = format!(
                    "protocol version {protocol_version} is not supported; this server speaks {PROTOCOL_VERSION}"
                );
                return close_with(&mut ws, ErrorCode::UnsupportedVersion, &message).await;
            }
            // Verified by signature: the auth service is not asked, so its outage changes nothing.
            match backend.verify(token.expose()) {
                Ok(user_id) => (user_id, resume),
                Err(e) => return close_with(&mut ws, e.code, &e.message).await,
            }
        }
        Ok(Ok(Ok(other))) => {
            let message = format!("expected hello, got {}", frame_name(&other));
            return close_with(&mut ws, ErrorCode::UnexpectedFrame, &message).await;
        }
    };
    let shedding = match *mode.borrow() {
        FaultMode::Shedding { retry_after_ms } => Some(retry_after_ms),
        _ => None,
    };
    if let Some(retry_after_ms) = shedding {
        let _ = send(&mut ws, &ServerFrame::Shed { retry_after_ms }).await;
        let _ = ws.close(None).await;
        return Err("shed at hello".into());
    }

    let (outbound_tx, mut outbound_rx) = mpsc::channel(OUTBOUND_QUEUE);
    // Weak, so a resume elsewhere (which drops the registered sender) still ends this connection.
    let registration = outbound_tx.downgrade();
    let (session_id, replay) = backend.store().open_session(
        &user_id,
        resume.as_ref().map(|r| (r.session_id.as_str(), r.last_seq)),
        outbound_tx,
    );
    tracing::info!(gateway = %settings.id, %session_id, %user_id, resumed = replay.is_some(), "session started");
    let welcome = ServerFrame::Welcome {
        protocol_version: PROTOCOL_VERSION,
        session_id: session_id.clone(),
        user_id: user_id.clone(),
        heartbeat_interval_ms: settings.heartbeat_interval_ms,
        resumed: replay.is_some(),
    };
    let mut session = Session {
        ws,
        backend: &backend,
        session_id: &session_id,
        user_id: &user_id,
        drain_deadline: None,
        held: None,
    };
    let mut result = session.send(&welcome).await;
    for event in replay.into_iter().flatten() {
        if result.is_err() {
            break;
        }
        result = session
            .send(&ServerFrame::Event {
                seq: event.seq,
                event: event.event,
            })
            .await;
    }
    // A client arriving at a draining gateway is told to move on at once.
    let current = mode.borrow_and_update().clone();
    if result.is_ok() {
        result = session.on_mode(&current).await;
    }
    if result.is_ok() {
        result = session.run(&mut outbound_rx, &mut mode).await;
    }
    // Only this connection's registration: a resume may already have moved the session to a new
    // connection, which must keep it.
    if let Some(outbound) = registration.upgrade() {
        backend.store().remove_session(&session_id, &outbound);
    }
    result
}

struct Session<'a> {
    ws: Ws,
    backend: &'a Backend,
    session_id: &'a str,
    user_id: &'a str,
    drain_deadline: Option<tokio::time::Instant>,
    /// An event held back by the reorder fault.
    held: Option<ServerFrame>,
}

impl Session<'_> {
    async fn run(
        &mut self,
        outbound: &mut mpsc::Receiver<ServerFrame>,
        mode: &mut watch::Receiver<FaultMode>,
    ) -> Result<(), String> {
        loop {
            let drain_deadline = self.drain_deadline;
            tokio::select! {
                changed = mode.changed() => {
                    if changed.is_err() {
                        return Err("server shutting down".into());
                    }
                    let current = mode.borrow_and_update().clone();
                    self.on_mode(&current).await?;
                }
                _ = tokio::time::sleep(REORDER_HOLD), if self.held.is_some() => {
                    if let Some(frame) = self.held.take() {
                        self.send(&frame).await?;
                    }
                }
                _ = tokio::time::sleep_until(drain_deadline.unwrap_or_else(tokio::time::Instant::now)), if drain_deadline.is_some() => {
                    let _ = self.ws.close(None).await;
                    return Err("drained".into());
                }
                frame = outbound.recv() => match frame {
                    Some(frame) => {
                        let current = mode.borrow().clone();
                        self.deliver(&frame, &current).await?;
                    }
                    None => return Err("session dropped by the server (outbound queue full)".into()),
                },
                incoming = next_frame(&mut self.ws) => {
                    let current = mode.borrow().clone();
                    match incoming? {
                        Err((code, message)) => return close_with(&mut self.ws, code, &message).await,
                        Ok(ClientFrame::Ping { nonce }) => self.deliver(&ServerFrame::Pong { nonce }, &current).await?,
                        Ok(ClientFrame::Send { client_msg_id, chat_id, body, attachments }) => {
                            let reply = match self.backend.post(self.user_id, &chat_id, Some(&client_msg_id), &body, attachments, Some(self.session_id)) {
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
                                    retry_after_ms: e.retry_after_ms,
                                },
                            };
                            // Events queued for this session before the message was stored
                            // (another member wrote meanwhile) go first: an ack never passes an
                            // event the client has not been sent, or its cursor would skip it.
                            while let Ok(queued) = outbound.try_recv() {
                                self.deliver(&queued, &current).await?;
                            }
                            self.deliver(&reply, &current).await?;
                        }
                        Ok(ClientFrame::Hello { .. }) => {
                            return close_with(&mut self.ws, ErrorCode::UnexpectedFrame, "hello sent twice").await;
                        }
                    }
                }
            }
        }
    }

    /// React to the listener's mode changing under a live session.
    async fn on_mode(&mut self, mode: &FaultMode) -> Result<(), String> {
        match mode {
            FaultMode::Draining { hint } => {
                if self.drain_deadline.is_none() {
                    self.drain_deadline = Some(tokio::time::Instant::now() + DRAIN_GRACE);
                    let frame = ServerFrame::Reconnect {
                        endpoint_hint: hint.clone(),
                        reason: "this gateway is draining".into(),
                    };
                    self.send(&frame).await?;
                }
                Ok(())
            }
            FaultMode::Shedding { retry_after_ms } => {
                let _ = self
                    .send(&ServerFrame::Shed {
                        retry_after_ms: *retry_after_ms,
                    })
                    .await;
                let _ = self.ws.close(None).await;
                Err("shed".into())
            }
            FaultMode::Erroring { .. } => {
                close_with(
                    &mut self.ws,
                    ErrorCode::Unavailable,
                    "the gateway is unavailable",
                )
                .await
            }
            FaultMode::Hostile => self.hostile_volley().await,
            _ => {
                self.drain_deadline = None;
                Ok(())
            }
        }
    }

    /// Send a frame subject to the slow and flaky faults. Welcome, errors and control frames are
    /// never dropped: flakiness models lost acks and events.
    async fn deliver(&mut self, frame: &ServerFrame, mode: &FaultMode) -> Result<(), String> {
        let is_event = matches!(frame, ServerFrame::Event { .. });
        match mode {
            FaultMode::Slow { latency_ms } => {
                tokio::time::sleep(Duration::from_millis(*latency_ms)).await;
            }
            FaultMode::Flaky { drop_rate } => {
                let droppable =
                    is_event || matches!(frame, ServerFrame::Ack { .. } | ServerFrame::Pong { .. });
                if droppable && self.backend.chance(*drop_rate) {
                    tracing::debug!(session_id = %self.session_id, "flaky: dropping a frame");
                    return Ok(());
                }
            }
            FaultMode::Duplicating { rate } if is_event && self.backend.chance(*rate) => {
                self.send(frame).await?;
            }
            FaultMode::Reordering { rate }
                if is_event && self.held.is_none() && self.backend.chance(*rate) =>
            {
                self.held = Some(frame.clone());
                return Ok(());
            }
            _ => {}
        }
        self.send(frame).await?;
        // A held-back event goes out after the frame that overtook it.
        if let Some(held) = self.held.take() {
            self.send(&held).await?;
        }
        Ok(())
    }

    /// What a broken or hostile server might send. The message with a hostile body is stored and
    /// delivered like any other (to every member), so REST readers get it too.
    async fn hostile_volley(&mut self) -> Result<(), String> {
        let volley = [
            Message::text("{not json"),
            Message::text(r#"{"type":"teleport","to":"mars"}"#),
            Message::text(
                r#"{"type":"ack","client_msg_id":"never-sent","msg_id":"m-ghost","seq":18446744073709551615}"#,
            ),
            Message::binary(vec![0xff, 0xfe, 0xfd, 0x00]),
        ];
        for message in volley {
            self.ws
                .send(message)
                .await
                .map_err(|e| format!("write failed: {e}"))?;
        }
        self.backend.post_hostile(self.user_id, HOSTILE_BODY);
        let huge = format!(
            r#"{{"type":"event","pad":"{}"}}"#,
            "x".repeat(HOSTILE_FRAME_BYTES)
        );
        self.ws
            .send(Message::text(huge))
            .await
            .map_err(|e| format!("write failed: {e}"))
    }

    async fn send(&mut self, frame: &ServerFrame) -> Result<(), String> {
        send(&mut self.ws, frame).await
    }
}

fn unavailable(retry_after_s: u64, message: &str) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(message.to_owned()));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    if let Ok(value) = retry_after_s.to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
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
                let decoded =
                    decode_client_frame(text.as_str()).map_err(|e| (e.code(), e.to_string()));
                if let Err((_, reason)) = &decoded {
                    tracing::warn!(%reason, "refusing a bad frame from a client");
                }
                return Ok(decoded);
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
