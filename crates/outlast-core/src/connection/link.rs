//! One link to one gateway: open it (handshake, `hello`, `welcome`), and read and write protocol
//! frames on it.
//!
//! The supervisor reaches gateways only through a [`Connector`] and the links' [`Wire`]s. The
//! WebSocket ([`WebSocketConnector`]) is the real one; tests plug in scripted ones to check the
//! supervisor's timing (heartbeats, probes, retry floors) under paused time, with no sockets.

use futures_util::{SinkExt, StreamExt};
use outlast_protocol::{
    decode_server_frame, encode_frame, AccessToken, ClientFrame, ErrorCode, Resume, ServerFrame,
    PROTOCOL_VERSION,
};
use tokio::net::TcpStream;
use tokio::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::health::Candidate;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A boxed future, so the traits below can be used as objects.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A welcomed link's frames, both ways.
pub trait Wire: Send {
    fn write<'a>(&'a mut self, frame: &'a ClientFrame) -> BoxFuture<'a, Result<(), Broken>>;
    /// The next frame. Must be cancel-safe: the supervisor drops an unfinished read whenever
    /// something else happens first, and the frame must not be lost.
    fn read(&mut self) -> BoxFuture<'_, Result<ServerFrame, Broken>>;
    /// Say goodbye politely; the peer may already be gone.
    fn close(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// How the supervisor opens links and checks whether an endpoint answers.
pub trait Connector: Send + Sync + 'static {
    /// Connect, say hello (resuming `resume` if given) and wait for the welcome, within
    /// `timeout`.
    fn open(
        &self,
        endpoint: Candidate,
        token: AccessToken,
        resume: Option<Resume>,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Link, OpenError>>;
    /// Open and close a connection without starting a session.
    fn probe(&self, url: String, timeout: Duration) -> BoxFuture<'static, Result<(), String>>;
}

/// Gateways over WebSocket: what the app uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebSocketConnector;

impl Connector for WebSocketConnector {
    fn open(
        &self,
        endpoint: Candidate,
        token: AccessToken,
        resume: Option<Resume>,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Link, OpenError>> {
        Box::pin(Link::open(endpoint, token, resume, timeout))
    }

    fn probe(&self, url: String, timeout: Duration) -> BoxFuture<'static, Result<(), String>> {
        Box::pin(async move { probe(&url, timeout).await })
    }
}

struct WebSocketWire(Ws);

impl Wire for WebSocketWire {
    fn write<'a>(&'a mut self, frame: &'a ClientFrame) -> BoxFuture<'a, Result<(), Broken>> {
        Box::pin(write(&mut self.0, frame))
    }

    fn read(&mut self) -> BoxFuture<'_, Result<ServerFrame, Broken>> {
        Box::pin(read(&mut self.0))
    }

    fn close(mut self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let _ = tokio::time::timeout(Duration::from_secs(1), self.0.close(None)).await;
        })
    }
}

/// Largest frame accepted from a server: far above any legal frame, far below a memory problem.
const MAX_INCOMING: usize = 1024 * 1024;

/// A welcomed gateway connection.
pub struct Link {
    wire: Box<dyn Wire>,
    pub endpoint: Candidate,
    pub session_id: String,
    pub heartbeat: Duration,
    /// The server continued the requested session and replays what was missed.
    pub resumed: bool,
    /// Time from sending `hello` to the `welcome`: the first round-trip sample.
    pub handshake_rtt: Duration,
}

/// Why a link could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// Refused, reset, timed out or spoke nonsense: try elsewhere.
    Unreachable(String),
    /// The gateway does not accept our credentials (expired or revoked token).
    Unauthorized { code: ErrorCode, message: String },
    /// The gateway is shedding load: not before this.
    Shed(Duration),
}

impl OpenError {
    pub fn describe(&self) -> String {
        match self {
            OpenError::Unreachable(reason) => reason.clone(),
            OpenError::Unauthorized { message, .. } => {
                format!("the gateway did not accept the session: {message}")
            }
            OpenError::Shed(after) => format!(
                "the gateway is overloaded and asked for {} s of quiet",
                after.as_secs_f32()
            ),
        }
    }
}

/// A link's failure while live.
#[derive(Debug, Clone)]
pub struct Broken(pub String);

impl Link {
    /// A link welcomed over `wire` (for connectors other than the WebSocket one).
    pub fn new(
        wire: Box<dyn Wire>,
        endpoint: Candidate,
        session_id: String,
        heartbeat: Duration,
        resumed: bool,
        handshake_rtt: Duration,
    ) -> Link {
        Link {
            wire,
            endpoint,
            session_id,
            heartbeat,
            resumed,
            handshake_rtt,
        }
    }

    /// Connect over WebSocket, say hello (resuming `resume` if given) and wait for the welcome, all within
    /// `timeout`.
    pub async fn open(
        endpoint: Candidate,
        token: AccessToken,
        resume: Option<Resume>,
        timeout: Duration,
    ) -> Result<Link, OpenError> {
        tokio::time::timeout(timeout, Self::open_inner(endpoint, token, resume))
            .await
            .map_err(|_| {
                OpenError::Unreachable(format!(
                    "the gateway did not answer within {} s",
                    timeout.as_secs_f32()
                ))
            })?
    }

    async fn open_inner(
        endpoint: Candidate,
        token: AccessToken,
        resume: Option<Resume>,
    ) -> Result<Link, OpenError> {
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(&endpoint.url, Some(ws_config()), false)
                .await
                .map_err(|e| {
                    OpenError::Unreachable(match crate::api::certificate_problem(&e) {
                        Some(problem) => format!(
                    "the gateway did not prove its identity (certificate not valid: {problem})"
                ),
                        None => format!("cannot connect: {e}"),
                    })
                })?;
        let hello = ClientFrame::Hello {
            protocol_version: PROTOCOL_VERSION,
            token,
            resume,
        };
        let sent = Instant::now();
        write(&mut ws, &hello)
            .await
            .map_err(|Broken(e)| OpenError::Unreachable(e))?;
        let welcome = read(&mut ws)
            .await
            .map_err(|Broken(e)| OpenError::Unreachable(e))?;
        match welcome {
            ServerFrame::Welcome {
                session_id,
                heartbeat_interval_ms,
                resumed,
                ..
            } => Ok(Link {
                wire: Box::new(WebSocketWire(ws)),
                endpoint,
                session_id,
                heartbeat: Duration::from_millis(heartbeat_interval_ms.max(1_000)),
                resumed,
                handshake_rtt: sent.elapsed(),
            }),
            ServerFrame::Shed { retry_after_ms } => {
                Err(OpenError::Shed(Duration::from_millis(retry_after_ms)))
            }
            ServerFrame::Error { code, message }
                if matches!(code, ErrorCode::Unauthorized | ErrorCode::TokenExpired) =>
            {
                Err(OpenError::Unauthorized { code, message })
            }
            ServerFrame::Error { code, message } => Err(OpenError::Unreachable(format!(
                "the gateway refused the session ({code}): {message}",
                code = code.as_str()
            ))),
            other => Err(OpenError::Unreachable(format!(
                "the gateway answered hello with an unexpected {} frame",
                frame_name(&other)
            ))),
        }
    }

    pub async fn write(&mut self, frame: &ClientFrame) -> Result<(), Broken> {
        self.wire.write(frame).await
    }

    /// The next protocol frame (cancel-safe: a partly read frame stays buffered).
    pub async fn read(&mut self) -> Result<ServerFrame, Broken> {
        self.wire.read().await
    }

    /// Say goodbye politely; the peer may already be gone, which is fine.
    pub async fn close(self) {
        self.wire.close().await;
    }
}

/// Open and close a WebSocket without starting a session: is this gateway answering?
pub async fn probe(url: &str, timeout: Duration) -> Result<(), String> {
    let handshake = tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), false);
    match tokio::time::timeout(timeout, handshake).await {
        Err(_) => Err("no answer in time".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok((mut ws, _))) => {
            let _ = tokio::time::timeout(timeout, ws.close(None)).await;
            Ok(())
        }
    }
}

/// Socket buffers: frames are small, and a swarm of thousands of links in one process (the
/// reconnect-storm benchmark) must not spend 128 KiB each on tungstenite's default read buffer.
const SOCKET_BUFFER: usize = 8 * 1024;

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_INCOMING))
        .max_frame_size(Some(MAX_INCOMING))
}

async fn write(ws: &mut Ws, frame: &ClientFrame) -> Result<(), Broken> {
    ws.send(Message::text(encode_frame(frame)))
        .await
        .map_err(|e| Broken(format!("the connection broke: {e}")))
}

/// Frames this client cannot decode are logged and skipped: one bad frame from a buggy or hostile
/// server must not take the whole connection down.
async fn read(ws: &mut Ws) -> Result<ServerFrame, Broken> {
    loop {
        let message = match ws.next().await {
            None => return Err(Broken("the gateway closed the connection".into())),
            Some(Err(e)) => return Err(Broken(format!("the connection broke: {e}"))),
            Some(Ok(message)) => message,
        };
        match message {
            Message::Text(text) => match decode_server_frame(text.as_str()) {
                Ok(frame) => return Ok(frame),
                Err(e) => {
                    tracing::warn!(reason = %e, "dropping an undecodable frame from the gateway")
                }
            },
            Message::Close(_) => return Err(Broken("the gateway closed the connection".into())),
            Message::Binary(_) => tracing::warn!("dropping a binary frame from the gateway"),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
}

fn frame_name(frame: &ServerFrame) -> &'static str {
    match frame {
        ServerFrame::Welcome { .. } => "welcome",
        ServerFrame::Pong { .. } => "pong",
        ServerFrame::Ack { .. } => "ack",
        ServerFrame::Nack { .. } => "nack",
        ServerFrame::Event { .. } => "event",
        ServerFrame::Error { .. } => "error",
        ServerFrame::Reconnect { .. } => "reconnect",
        ServerFrame::Shed { .. } => "shed",
    }
}
