//! The connection task: owns the WebSocket to the gateway, keeps it alive with app-level
//! heartbeats, reconnects with jittered backoff, and delivers queued messages in order,
//! re-sending unacknowledged ones with the same client id after every reconnect.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use outlast_protocol::{
    decode_server_frame, encode_frame, AccessToken, ClientFrame, EventPayload, ServerFrame,
    PROTOCOL_VERSION,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::backoff::Backoff;
use crate::model::ConnectionState;
use crate::shared::Shared;

/// Timing of the connection task. Defaults suit real use; tests shrink them.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Longest wait for the TCP + WebSocket handshake and the `welcome`.
    pub connect_timeout: Duration,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A connection that lived this long counts as having worked: backoff starts over.
    pub stable_after: Duration,
    /// How long a resend waits after a retryable refusal.
    pub resend_after_nack: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            connect_timeout: Duration::from_secs(10),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            stable_after: Duration::from_secs(10),
            resend_after_nack: Duration::from_secs(2),
        }
    }
}

/// A message waiting for its `ack`.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub client_msg_id: String,
    pub chat_id: String,
    pub body: String,
}

pub(crate) enum Command {
    Send(Outgoing),
    /// Skip the current backoff wait.
    ReconnectNow,
}

/// Handle to the running connection task; dropping it stops the task.
pub(crate) struct GatewayHandle {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl GatewayHandle {
    pub fn spawn(
        url: String,
        token: AccessToken,
        shared: Arc<Shared>,
        settings: ConnectionSettings,
    ) -> GatewayHandle {
        let (commands, receiver) = mpsc::unbounded_channel();
        let task = tokio::spawn(
            Connection {
                url,
                token,
                shared,
                backoff: Backoff::new(settings.backoff_base, settings.backoff_cap),
                settings,
                commands: receiver,
                queue: VecDeque::new(),
                rng: StdRng::from_os_rng(),
            }
            .run(),
        );
        GatewayHandle { commands, task }
    }

    pub fn send(&self, message: Outgoing) {
        // The task only ends when this handle is dropped, so the channel is open.
        let _ = self.commands.send(Command::Send(message));
    }

    pub fn reconnect_now(&self) {
        let _ = self.commands.send(Command::ReconnectNow);
    }
}

impl Drop for GatewayHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a connection ended, in words for the status line.
type Reason = String;

struct Connection {
    url: String,
    token: AccessToken,
    shared: Arc<Shared>,
    settings: ConnectionSettings,
    backoff: Backoff,
    commands: mpsc::UnboundedReceiver<Command>,
    /// Unacknowledged messages in the order the user wrote them.
    queue: VecDeque<Outgoing>,
    rng: StdRng,
}

impl Connection {
    async fn run(mut self) {
        loop {
            self.shared.set_connection(ConnectionState::Connecting {
                endpoint: self.url.clone(),
            });
            let started = Instant::now();
            let reason = match self.connect().await {
                Ok(ws) => self.live(ws).await,
                Err(reason) => reason,
            };
            if started.elapsed() >= self.settings.stable_after {
                self.backoff.reset();
            }
            let (reason, delay) = match reason {
                Ended::ClientGone => return,
                Ended::Lost(reason) => (reason, self.backoff.next_delay(&mut self.rng)),
                // The server asked us to move: go at once, it is not a failure.
                Ended::Moved(reason) => (reason, Duration::ZERO),
                // Never sooner than the server's retry-after; jitter on top spreads the herd.
                Ended::Shed(floor) => (
                    format!(
                        "the server is overloaded; retrying in no less than {} s",
                        floor.as_secs()
                    ),
                    floor + self.backoff.next_delay(&mut self.rng),
                ),
            };
            tracing::info!(%reason, ?delay, "gateway connection lost");
            self.shared.set_connection(ConnectionState::Waiting {
                retry_in_ms: delay.as_millis() as u64,
                reason,
            });
            if !self.wait(delay).await {
                return;
            }
        }
    }

    /// Sleep until the next attempt, still accepting messages; `false` when the client is gone.
    async fn wait(&mut self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = sleep_until(deadline) => return true,
                command = self.commands.recv() => match command {
                    None => return false,
                    Some(Command::Send(message)) => self.queue.push_back(message),
                    Some(Command::ReconnectNow) => {
                        self.backoff.reset();
                        return true;
                    }
                },
            }
        }
    }

    async fn connect(&mut self) -> Result<(Ws, u64, String), Ended> {
        let config = WebSocketConfig::default()
            .max_message_size(Some(1024 * 1024))
            .max_frame_size(Some(1024 * 1024));
        let timeout = self.settings.connect_timeout;
        let handshake =
            tokio_tungstenite::connect_async_with_config(&self.url, Some(config), false);
        let (mut ws, _) = tokio::time::timeout(timeout, handshake)
            .await
            .map_err(|_| Ended::Lost("the gateway did not answer in time".into()))?
            .map_err(|e| Ended::Lost(format!("cannot connect to the gateway: {e}")))?;
        // Resume (session id + cursor) arrives with the durable sync cursor of the store.
        let hello = ClientFrame::Hello {
            protocol_version: PROTOCOL_VERSION,
            token: self.token.clone(),
            resume: None,
        };
        write(&mut ws, &hello).await?;
        let welcome = tokio::time::timeout(timeout, read(&mut ws))
            .await
            .map_err(|_| Ended::Lost("the gateway did not welcome us in time".into()))??;
        match welcome {
            ServerFrame::Welcome {
                session_id,
                heartbeat_interval_ms,
                ..
            } => Ok((ws, heartbeat_interval_ms.max(1_000), session_id)),
            ServerFrame::Error { code, message } => Err(Ended::Lost(format!(
                "the gateway refused us ({code}): {message}"
            ))),
            other => Err(Ended::Lost(format!(
                "the gateway answered hello with an unexpected frame: {other:?}"
            ))),
        }
    }

    /// Serve a welcomed connection until it fails or the client goes away.
    async fn live(&mut self, (mut ws, heartbeat_ms, session_id): (Ws, u64, String)) -> Ended {
        self.shared.set_connection(ConnectionState::Connected {
            endpoint: self.url.clone(),
            session_id,
        });
        let heartbeat = Duration::from_millis(heartbeat_ms);
        let mut next_ping = Instant::now() + heartbeat;
        // A ping unanswered for a whole interval means the link is dead, however quiet TCP is.
        let mut pong_due: Option<Instant> = None;
        let mut nonce: u64 = 0;
        let mut resend_at: Option<Instant> = None;

        if let Err(ended) = resend_all(&self.queue, &mut ws).await {
            return ended;
        }

        loop {
            let ping_deadline = pong_due.unwrap_or(next_ping);
            tokio::select! {
                _ = sleep_until(ping_deadline) => {
                    if pong_due.is_some() {
                        return Ended::Lost("the gateway stopped answering heartbeats".into());
                    }
                    nonce += 1;
                    if let Err(ended) = write(&mut ws, &ClientFrame::Ping { nonce }).await {
                        return ended;
                    }
                    pong_due = Some(Instant::now() + heartbeat);
                }
                _ = sleep_until(resend_at.unwrap_or(ping_deadline)), if resend_at.is_some() => {
                    resend_at = None;
                    if let Err(ended) = resend_all(&self.queue, &mut ws).await {
                        return ended;
                    }
                }
                command = self.commands.recv() => match command {
                    None => return Ended::ClientGone,
                    Some(Command::ReconnectNow) => {}
                    Some(Command::Send(message)) => {
                        let frame = send_frame(&message);
                        self.queue.push_back(message);
                        if let Err(ended) = write(&mut ws, &frame).await {
                            return ended;
                        }
                    }
                },
                frame = read(&mut ws) => match frame {
                    Err(ended) => return ended,
                    Ok(ServerFrame::Pong { nonce: answered }) => {
                        if answered == nonce {
                            pong_due = None;
                            next_ping = Instant::now() + heartbeat;
                        }
                    }
                    Ok(ServerFrame::Ack { client_msg_id, msg_id, seq }) => {
                        self.queue.retain(|m| m.client_msg_id != client_msg_id);
                        self.shared.update(|t| ((), t.mark_sent(&client_msg_id, msg_id, seq)));
                    }
                    Ok(ServerFrame::Nack { client_msg_id, code, message, retryable, retry_after_ms }) => {
                        tracing::warn!(%client_msg_id, %code, %message, retryable, "message refused");
                        if retryable {
                            let floor = Duration::from_millis(retry_after_ms.unwrap_or(0));
                            resend_at.get_or_insert(Instant::now() + self.settings.resend_after_nack.max(floor));
                        } else {
                            self.queue.retain(|m| m.client_msg_id != client_msg_id);
                            self.shared.update(|t| ((), t.mark_failed(&client_msg_id, message)));
                        }
                    }
                    Ok(ServerFrame::Event { seq, event: EventPayload::MessageCreated { message } }) => {
                        self.shared.update(|t| ((), t.apply_remote(seq, &message)));
                    }
                    Ok(ServerFrame::Event { seq, event }) => {
                        // Read watermarks and chat updates reach the UI with the store and sync
                        // work; until then they only advance the cursor.
                        tracing::debug!(seq, ?event, "event not applied by this client yet");
                        self.shared.update(|t| ((), t.skip_event(seq)));
                    }
                    Ok(ServerFrame::Reconnect { endpoint_hint, reason }) => {
                        return Ended::Moved(format!("the gateway asked us to move ({reason}); hint {endpoint_hint:?}"));
                    }
                    Ok(ServerFrame::Shed { retry_after_ms }) => {
                        return Ended::Shed(Duration::from_millis(retry_after_ms));
                    }
                    Ok(ServerFrame::Error { code, message }) => {
                        return Ended::Lost(format!("the gateway closed the session ({code}): {message}"));
                    }
                    Ok(ServerFrame::Welcome { .. }) => {
                        tracing::warn!("ignoring a second welcome");
                    }
                },
            }
        }
    }
}

/// How a connection attempt or a live connection ended.
enum Ended {
    /// Try again after a backoff; the reason is shown to the user.
    Lost(Reason),
    /// The server asked us to reconnect (drain): at once, without counting it as a failure.
    Moved(Reason),
    /// The server is shedding load: wait at least this long.
    Shed(Duration),
    /// The `Client` was dropped or signed out: stop.
    ClientGone,
}

/// Everything unacknowledged goes out again, in order, with the same client ids: the server keeps
/// one message per id, so a lost ack cannot turn into a duplicate.
async fn resend_all(queue: &VecDeque<Outgoing>, ws: &mut Ws) -> Result<(), Ended> {
    for message in queue {
        write(ws, &send_frame(message)).await?;
    }
    Ok(())
}

fn send_frame(message: &Outgoing) -> ClientFrame {
    ClientFrame::Send {
        client_msg_id: message.client_msg_id.clone(),
        chat_id: message.chat_id.clone(),
        body: message.body.clone(),
    }
}

async fn write(ws: &mut Ws, frame: &ClientFrame) -> Result<(), Ended> {
    ws.send(Message::text(encode_frame(frame)))
        .await
        .map_err(|e| Ended::Lost(format!("the connection to the gateway broke: {e}")))
}

/// The next protocol frame. Frames this client cannot decode are logged and skipped: one bad
/// frame from a buggy or hostile server must not take the whole connection down.
async fn read(ws: &mut Ws) -> Result<ServerFrame, Ended> {
    loop {
        let message = match ws.next().await {
            None => return Err(Ended::Lost("the gateway closed the connection".into())),
            Some(Err(e)) => {
                return Err(Ended::Lost(format!(
                    "the connection to the gateway broke: {e}"
                )))
            }
            Some(Ok(message)) => message,
        };
        match message {
            Message::Text(text) => match decode_server_frame(text.as_str()) {
                Ok(frame) => return Ok(frame),
                Err(e) => {
                    tracing::warn!(reason = %e, "dropping an undecodable frame from the gateway")
                }
            },
            Message::Close(_) => {
                return Err(Ended::Lost("the gateway closed the connection".into()))
            }
            Message::Binary(_) => tracing::warn!("dropping a binary frame from the gateway"),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
}
