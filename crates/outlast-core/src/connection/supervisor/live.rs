//! Serving one welcomed gateway link: what the supervisor keeps about it ([`Live`]) and one
//! handler per thing that can happen to it (a heartbeat falls due, an ack is late, a frame
//! arrives, the user sends...). The loop in [`Supervisor::live`] only waits for the next of them.
//! Their timing is tested exactly, under paused time, through a scripted `Connector`
//! (`tests/supervisor_timing.rs`).

use std::collections::HashMap;

use outlast_protocol::{ClientFrame, ErrorCode, ServerFrame};
use tokio::time::{sleep_until, Duration, Instant};

use super::{changed, AbortOnDrop, BoxFuture, Command, Ended, Outgoing, Supervisor};
use crate::connection::health::{Candidate, HealthTable};
use crate::connection::link::{Broken, Link, OpenError};
use crate::connection::settings::ConnectionSettings;
use crate::domain::Cursor;
use crate::model::Transport;
use crate::CoreError;

/// Everything unanswered, when a new link asks the queue for it.
const ALL: usize = usize::MAX;

/// One live link and what is known about it between the events that change it.
pub(super) struct Live {
    link: Link,
    endpoint: Candidate,
    heartbeat: Duration,
    pinger: Pinger,
    next_ping: Instant,
    /// Since when the oldest unacknowledged message has waited.
    waiting_since: Option<Instant>,
    /// The link is judged by whether the server says anything at all: a slow link that keeps
    /// talking is alive, a black hole says nothing.
    last_heard: Instant,
    /// A probe is out and unanswered.
    probed: bool,
    /// The messages sent on this link and not yet answered, and when each went out (for
    /// round-trip samples from its ack). Only keys and times: the messages themselves are the
    /// operation queue's, asked for again by the next link.
    sent_at: HashMap<String, Sent>,
    /// Chats whose message the server answered "busy", until its floor: the queue took their
    /// later messages back to go after it, so a hand-over of one of them that was already on
    /// its way is not sent before then.
    held: HashMap<String, Instant>,
    /// Events missed while away, fetched over REST beside the link.
    catching_up: Option<AbortOnDrop<Result<(), CoreError>>>,
    /// A catch-up failed: tried again after the next heartbeat.
    catch_up_pending: bool,
    /// A replacement link being opened (make-before-break), and where to.
    moving: Option<BoxFuture<Result<Link, OpenError>>>,
    moving_to: Option<Candidate>,
    failback: Failback,
    failback_probe: Option<BoxFuture<Result<(), String>>>,
    /// Reading from the link failed: there is nobody left to say goodbye to.
    broken: bool,
}

/// A message sent on a link and not yet answered there.
struct Sent {
    chat_id: String,
    at: Instant,
}

/// What a handler decided: keep serving the link (`Ok`), or how it ended.
type Flow = Result<(), Ended>;

impl Supervisor {
    /// Serve a welcomed gateway link until it fails, is replaced, or the client goes away.
    pub(super) async fn live(&mut self, link: Link) -> Ended {
        let mut live = self.go_live(link);
        if let Err(ended) = self.send_all(&mut live).await {
            return ended;
        }
        loop {
            let far = Instant::now() + Duration::from_secs(86_400);
            let probe_at = live.probe_at(&self.settings);
            let failback_at = (live.moving.is_none() && live.failback_probe.is_none())
                .then(|| live.failback.next_probe(&self.table))
                .flatten();
            let flow = tokio::select! {
                result = async { (&mut live.catching_up.as_mut().expect("guarded").0).await }, if live.catching_up.is_some() => {
                    self.on_caught_up(&mut live, result)
                }
                _ = sleep_until(live.pinger.due.unwrap_or(live.next_ping)) => self.on_heartbeat_due(&mut live).await,
                _ = sleep_until(probe_at.unwrap_or(far)), if probe_at.is_some() => self.on_ack_late(&mut live).await,
                _ = sleep_until(failback_at.unwrap_or(far)), if failback_at.is_some() => self.on_failback_due(&mut live),
                result = async { live.failback_probe.as_mut().expect("guarded").await }, if live.failback_probe.is_some() => {
                    self.on_failback_probed(&mut live, result.is_ok())
                }
                result = async { live.moving.as_mut().expect("guarded").await }, if live.moving.is_some() => {
                    self.on_replacement(&mut live, result)
                }
                _ = self.ticker.tick() => self.on_tick(&mut live).await,
                _ = changed(&mut self.network), if live.pinger.due.is_none() => {
                    tracing::info!("the network changed; checking the connection now");
                    live.ping(self.settings.probe_timeout).await
                }
                command = self.commands.recv() => self.on_command(&mut live, command).await,
                frame = live.link.read() => match frame {
                    Ok(frame) => self.on_frame(&mut live, frame),
                    Err(broken) => Err(Self::on_broken(&mut live, broken).await),
                },
            };
            if let Err(ended) = flow {
                // Leaving a link that still works (moved elsewhere, or the client is gone): say
                // goodbye. A broken or refused one is simply dropped.
                if matches!(ended, Ended::Gone | Ended::Moved(_)) && !live.broken {
                    live.link.close().await;
                }
                return ended;
            }
        }
    }

    /// The link is welcomed: record and announce it, and start catching up if the server could
    /// not resume the session.
    fn go_live(&mut self, link: Link) -> Live {
        let endpoint = link.endpoint.clone();
        self.table.succeeded(&endpoint.url);
        self.session_id = Some(link.session_id.clone());
        // Health first: whoever reacts to "connected" then reads a matching service picture.
        self.publish_gateway_health(&endpoint);
        self.publish_connected(
            &endpoint.url,
            &endpoint.region,
            Transport::Gateway,
            Some(link.session_id.clone()),
        );
        tracing::info!(endpoint = %endpoint.url, region = %endpoint.region, resumed = link.resumed, "connected");
        let catching_up = (!link.resumed && self.sink.cursor().is_some())
            .then(|| self.spawn_catch_up(&endpoint.region));
        let heartbeat = self.settings.heartbeat_interval.unwrap_or(link.heartbeat);
        Live {
            pinger: Pinger::new(link.handshake_rtt),
            next_ping: Instant::now() + heartbeat,
            heartbeat,
            waiting_since: None,
            last_heard: Instant::now(),
            probed: false,
            sent_at: HashMap::new(),
            held: HashMap::new(),
            catching_up,
            catch_up_pending: false,
            moving: None,
            moving_to: None,
            failback: Failback::new(&self.settings),
            failback_probe: None,
            broken: false,
            endpoint,
            link,
        }
    }

    /// (Re-)send every message handed over and not yet answered, in the order written, under
    /// its id. They come from the operation queue (through the sink): handed over while no link
    /// was up, or sent on a link that failed before the answer came.
    async fn send_all(&mut self, live: &mut Live) -> Flow {
        // Whatever was handed over before now is in the queue's answer, and a "reconnect now"
        // is done (this is the new link): the commands waiting need no look. (One for a message
        // handed meanwhile and already sent here is skipped by its key.)
        while self.commands.try_recv().is_ok() {}
        for message in self.sink.unanswered(ALL) {
            self.write_message(live, &message).await?;
        }
        Ok(())
    }

    /// Send `message` on the link; its answer is awaited from now (a late one is probed).
    async fn write_message(&mut self, live: &mut Live, message: &Outgoing) -> Flow {
        live.sent_at.insert(
            message.client_msg_id.clone(),
            Sent {
                chat_id: message.chat_id.clone(),
                at: Instant::now(),
            },
        );
        live.waiting_since.get_or_insert_with(Instant::now);
        live.link
            .write(&send_frame(message))
            .await
            .map_err(|broken| Ended::Lost(broken.0))
    }

    fn on_caught_up(
        &mut self,
        live: &mut Live,
        result: Result<Result<(), CoreError>, tokio::task::JoinError>,
    ) -> Flow {
        live.catching_up = None;
        if !matches!(result, Ok(Ok(()))) {
            tracing::warn!(
                ?result,
                "catch-up failed; retrying after the next heartbeat"
            );
            live.catch_up_pending = true;
        }
        Ok(())
    }

    /// A heartbeat is due, or the last one went unanswered for too long.
    async fn on_heartbeat_due(&mut self, live: &mut Live) -> Flow {
        if live.pinger.due.is_some() {
            return Err(Ended::Lost(format!(
                "{}: no answer to a heartbeat within {:.1} s",
                live.endpoint.id,
                live.pinger.sent_at.elapsed().as_secs_f32()
            )));
        }
        live.ping(self.settings.pong_timeout).await
    }

    /// A message has waited for its ack, and the server has been silent, for the probe delay.
    async fn on_ack_late(&mut self, live: &mut Live) -> Flow {
        tracing::debug!("a message is waiting for its ack; probing the link");
        live.probed = true;
        live.ping(self.settings.probe_timeout).await
    }

    /// Time to check whether the preferred region answers again.
    fn on_failback_due(&mut self, live: &mut Live) -> Flow {
        if let Some(target) = self.table.failback_target() {
            let timeout = self.settings.connect_timeout;
            live.failback_probe = Some(self.connector.probe(target.url.clone(), timeout));
        }
        Ok(())
    }

    fn on_failback_probed(&mut self, live: &mut Live, healthy: bool) -> Flow {
        live.failback_probe = None;
        if live.failback.record(healthy) {
            if let Some(target) = self.table.failback_target() {
                tracing::info!(endpoint = %target.url, "the preferred region is healthy again; moving back");
                self.move_to(live, target);
            }
        }
        Ok(())
    }

    /// Open a replacement link to `target`; the current one stays until it is welcomed.
    fn move_to(&mut self, live: &mut Live, target: Candidate) {
        live.moving = Some(self.connector.open(
            target.clone(),
            self.tokens.current(),
            None,
            self.settings.connect_timeout,
        ));
        live.moving_to = Some(target);
    }

    /// The replacement link was opened, or could not be.
    fn on_replacement(&mut self, live: &mut Live, result: Result<Link, OpenError>) -> Flow {
        live.moving = None;
        let target = live.moving_to.take();
        match result {
            // The new link is welcomed: only now let go of the old one (the loop closes it).
            Ok(next) => Err(Ended::Moved(Box::new(next))),
            Err(error) => {
                if let Some(target) = target {
                    self.table
                        .failed(&target.url, Instant::now(), &error.describe());
                }
                tracing::warn!(error = %error.describe(), "could not open the replacement connection; staying");
                Ok(())
            }
        }
    }

    /// The wake detector's tick: after a sleep, check the link at once.
    async fn on_tick(&mut self, live: &mut Live) -> Flow {
        if let Some(away) = self.wake.tick(self.settings.wake_tick) {
            tracing::info!(?away, "the machine woke up; checking the connection now");
            if live.pinger.due.is_none() {
                return live.ping(self.settings.probe_timeout).await;
            }
        }
        Ok(())
    }

    async fn on_command(&mut self, live: &mut Live, command: Option<Command>) -> Flow {
        match command {
            // The client is gone (the loop closes the link).
            None => Err(Ended::Gone),
            // Connected already: check that the link really works.
            Some(Command::ReconnectNow) if live.pinger.due.is_none() => {
                live.ping(self.settings.probe_timeout).await
            }
            Some(Command::ReconnectNow) => Ok(()),
            // Sent on this link already (it was unanswered when the link came up), or handed
            // over before its chat was held: the queue hands it over again after the floor.
            Some(Command::Send(message))
                if live.sent_at.contains_key(&message.client_msg_id)
                    || live
                        .held
                        .get(&message.chat_id)
                        .is_some_and(|until| Instant::now() < *until) =>
            {
                Ok(())
            }
            Some(Command::Send(message)) => self.write_message(live, &message).await,
        }
    }

    /// The link broke. If a replacement was being opened (the server drained this link before
    /// it was ready), wait for it.
    async fn on_broken(live: &mut Live, broken: Broken) -> Ended {
        live.broken = true;
        if let Some(pending) = live.moving.take() {
            return match pending.await {
                Ok(next) => Ended::Moved(Box::new(next)),
                Err(error) => Ended::Lost(format!(
                    "{}; and the replacement failed: {}",
                    broken.0,
                    error.describe()
                )),
            };
        }
        Ended::Lost(format!("{}: {}", live.endpoint.id, broken.0))
    }

    fn on_frame(&mut self, live: &mut Live, frame: ServerFrame) -> Flow {
        // Anything from the server proves the link alive, however slow: a late ack or an old
        // pong must not lose the race against a probe asking the same question.
        live.last_heard = Instant::now();
        if live.pinger.due.take().is_some() {
            live.next_ping = live.last_heard + live.heartbeat;
            live.probed = false;
        }
        match frame {
            ServerFrame::Pong { nonce } => self.on_pong(live, nonce),
            ServerFrame::Ack {
                client_msg_id,
                msg_id,
                seq,
            } => self.on_ack(live, client_msg_id, msg_id, seq),
            ServerFrame::Nack {
                client_msg_id,
                code,
                message,
                retryable,
                retry_after_ms,
            } => {
                tracing::warn!(%client_msg_id, code = code.as_str(), %message, retryable, "message refused");
                let sent = live.sent_at.remove(&client_msg_id);
                if retryable {
                    // Not an outcome: the queue hands it over again after the floor (this
                    // client's own pause at least), with the chat's later messages after it, and
                    // no link sends them before then. Those already sent here go again then too
                    // (an answer to their first sending is still taken).
                    let floor = self
                        .settings
                        .resend_after_nack
                        .max(Duration::from_millis(retry_after_ms.unwrap_or(0)));
                    if let Some(Sent { chat_id, .. }) = sent {
                        live.sent_at.retain(|_, s| s.chat_id != chat_id);
                        live.held.retain(|_, until| Instant::now() < *until);
                        live.held.insert(chat_id, Instant::now() + floor);
                    }
                    self.sink.retry_later(&client_msg_id, floor);
                } else {
                    self.sink.refused(&client_msg_id, message);
                }
                live.waiting_since = (!live.sent_at.is_empty()).then(Instant::now);
            }
            ServerFrame::Event { seq, event } => {
                self.sink
                    .apply_event(Cursor::from_backend(seq), event.into());
                self.received_event(seq);
            }
            ServerFrame::Reconnect {
                endpoint_hint,
                reason,
            } => self.on_reconnect_asked(live, endpoint_hint, reason),
            ServerFrame::Shed { retry_after_ms } => {
                return Err(Ended::Shed(Duration::from_millis(retry_after_ms)));
            }
            ServerFrame::Error { code, message } => {
                if matches!(code, ErrorCode::Unauthorized | ErrorCode::TokenExpired) {
                    return Err(Ended::Unauthorized(message));
                }
                return Err(Ended::Lost(format!(
                    "{}: the gateway closed the session ({}): {message}",
                    live.endpoint.id,
                    code.as_str()
                )));
            }
            ServerFrame::Welcome { .. } => tracing::warn!("ignoring a second welcome"),
        }
        Ok(())
    }

    fn on_pong(&mut self, live: &mut Live, nonce: u64) {
        if nonce == live.pinger.nonce {
            live.pinger.rtt.sample(live.pinger.sent_at.elapsed());
            if live.catch_up_pending && live.catching_up.is_none() {
                live.catch_up_pending = false;
                live.catching_up = Some(self.spawn_catch_up(&live.endpoint.region));
            }
        }
    }

    fn on_ack(&mut self, live: &mut Live, client_msg_id: String, msg_id: String, seq: u64) {
        if let Some(sent) = live.sent_at.remove(&client_msg_id) {
            live.pinger.rtt.sample(sent.at.elapsed());
        }
        self.sink
            .acked(&client_msg_id, msg_id, Cursor::from_backend(seq));
        live.waiting_since = (!live.sent_at.is_empty()).then(Instant::now);
        live.probed = false;
    }

    /// The gateway asked us to move (it is draining): to its hint, or the best other endpoint.
    fn on_reconnect_asked(
        &mut self,
        live: &mut Live,
        endpoint_hint: Option<String>,
        reason: String,
    ) {
        if live.moving.is_some() {
            return;
        }
        let target = endpoint_hint
            .as_deref()
            .and_then(|hint| self.table.find(hint))
            .or_else(|| {
                self.table
                    .order(Instant::now())
                    .into_iter()
                    .find(|c| c.url != live.endpoint.url)
            });
        tracing::info!(%reason, target = ?target.as_ref().map(|c| &c.url), "the gateway asked us to move");
        if let Some(target) = target {
            self.move_to(live, target);
        }
    }
}

impl Live {
    /// When to probe: a message has waited, and the server has been silent, for the probe
    /// delay; even if a heartbeat is already out, since that ping may be old and its deadline
    /// too late.
    fn probe_at(&self, settings: &ConnectionSettings) -> Option<Instant> {
        match (self.probed, self.waiting_since, settings.ack_probe_after) {
            (false, Some(since), Some(after)) => {
                Some(since.max(self.last_heard) + after.max(self.pinger.rtt.times(3)))
            }
            _ => None,
        }
    }

    async fn ping(&mut self, timeout: Duration) -> Flow {
        self.pinger
            .ping(&mut self.link, timeout)
            .await
            .map_err(|broken| Ended::Lost(broken.0))
    }
}

fn send_frame(message: &Outgoing) -> ClientFrame {
    ClientFrame::Send {
        client_msg_id: message.client_msg_id.clone(),
        chat_id: message.chat_id.clone(),
        body: message.body.clone(),
        attachments: message.attachments.iter().map(Into::into).collect(),
    }
}

/// The pings of one link: what was asked when, and by when the server must have said anything.
struct Pinger {
    nonce: u64,
    sent_at: Instant,
    due: Option<Instant>,
    rtt: Rtt,
}

impl Pinger {
    fn new(handshake_rtt: Duration) -> Self {
        Pinger {
            nonce: 0,
            sent_at: Instant::now(),
            due: None,
            rtt: Rtt::new(handshake_rtt),
        }
    }

    /// Ping; the server must answer within `timeout` (or 3 round trips, if longer). A deadline
    /// already running that is earlier stays.
    async fn ping(&mut self, link: &mut Link, timeout: Duration) -> Result<(), Broken> {
        self.nonce += 1;
        self.sent_at = Instant::now();
        link.write(&ClientFrame::Ping { nonce: self.nonce }).await?;
        let deadline = self.sent_at + timeout.max(self.rtt.times(3));
        self.due = Some(self.due.map_or(deadline, |due| due.min(deadline)));
        Ok(())
    }
}

/// Smoothed round-trip time (RFC 6298 style), so timeouts stretch on a slow but working link
/// instead of declaring it dead. The handshake time is only a first guess (it includes TCP, the
/// WebSocket upgrade and the server's session set-up): the first real sample replaces it.
struct Rtt {
    smoothed: Duration,
    measured: bool,
}

impl Rtt {
    fn new(handshake: Duration) -> Self {
        Rtt {
            smoothed: handshake,
            measured: false,
        }
    }

    fn sample(&mut self, rtt: Duration) {
        self.smoothed = if self.measured {
            (self.smoothed * 7 + rtt) / 8
        } else {
            rtt
        };
        self.measured = true;
    }

    fn times(&self, n: u32) -> Duration {
        self.smoothed * n
    }
}

/// Probes of the preferred region while running on a backup: it wins traffic back only after
/// answering every probe for `failback_after`.
struct Failback {
    after: Option<Duration>,
    every: Duration,
    next: Instant,
    healthy_since: Option<Instant>,
}

impl Failback {
    fn new(settings: &ConnectionSettings) -> Self {
        Failback {
            after: settings.failback_after,
            every: settings.failback_probe_every,
            next: Instant::now() + settings.failback_probe_every,
            healthy_since: None,
        }
    }

    fn next_probe(&self, table: &HealthTable) -> Option<Instant> {
        self.after?;
        table.failback_target()?;
        Some(self.next)
    }

    /// Record a probe; `true` when it is time to move back.
    fn record(&mut self, healthy: bool) -> bool {
        let now = Instant::now();
        self.next = now + self.every;
        if !healthy {
            self.healthy_since = None;
            return false;
        }
        let since = *self.healthy_since.get_or_insert(now);
        self.after
            .is_some_and(|after| now.duration_since(since) >= after)
    }
}
