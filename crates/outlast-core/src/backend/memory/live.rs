//! An account's live connection to a [`MemoryServer`]: events in order from the sink's cursor,
//! operations submitted in the order the queue keeps them until each has an outcome, and the
//! script's faults on the way (a gateway down, lost acknowledgements, duplicated or reordered
//! events, "busy"). Like protocol v1's connection it keeps no copy of an operation: it asks the
//! sink for what is unanswered.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant};

use super::state::{EventsAfter, Stored};
use super::MemoryServer;
use crate::backend::{Live, Submitter};
use crate::connection::ConnectionSink;
use crate::domain::Cursor;
use crate::model::{ConnectionState, Service, ServiceState, Transport};

/// How long a submitted operation waits for its acknowledgement before it is sent again.
pub(super) const ACK_WAIT: Duration = Duration::from_secs(2);
/// Most events delivered per batch.
const EVENTS_PAGE: usize = 500;
/// How the memory backend names its one endpoint.
const ENDPOINT: &str = "memory";

enum Command {
    /// Something was handed over: submit what is unanswered.
    Submit,
    ReconnectNow,
}

pub(super) struct MemoryLive {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl Drop for MemoryLive {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Live for MemoryLive {
    fn submitter(&self) -> Submitter {
        let commands = self.commands.clone();
        Submitter::new(move |_op| {
            let _ = commands.send(Command::Submit);
        })
    }

    fn reconnect_now(&self) {
        let _ = self.commands.send(Command::ReconnectNow);
    }
}

pub(super) fn spawn(
    server: MemoryServer,
    user_id: String,
    sink: Arc<dyn ConnectionSink>,
) -> MemoryLive {
    let (commands, receiver) = mpsc::unbounded_channel();
    let connection = Connection {
        delivered: sink
            .cursor()
            .unwrap_or_else(|| server.state().head(&user_id)),
        server,
        user_id,
        sink,
        awaiting: HashSet::new(),
        not_before: None,
        connected: None,
    };
    MemoryLive {
        commands,
        task: tokio::spawn(connection.run(receiver)),
    }
}

struct Connection {
    server: MemoryServer,
    user_id: String,
    sink: Arc<dyn ConnectionSink>,
    /// The newest event delivered, for a sink that keeps no cursor of its own.
    delivered: Cursor,
    /// Submitted on this connection and still unanswered (their acknowledgements were lost):
    /// not submitted again until the wait for them runs out or a new connection starts.
    awaiting: HashSet<String>,
    /// Nothing is submitted before this: the wait for a lost ack (a reconnect ends it).
    not_before: Option<Instant>,
    /// Whether the gateway was up at the last look (`None`: not looked yet).
    connected: Option<bool>,
}

impl Connection {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut changes = self.server.inner.changed.subscribe();
        loop {
            while let Ok(command) = commands.try_recv() {
                self.command(command);
            }
            self.step().await;
            let wait = self.not_before;
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                command = commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => return,
                },
                _ = sleep_until(wait), if wait.is_some() => {}
            }
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Submit => {}
            // Everything without an outcome goes again now, lost acknowledgements included.
            Command::ReconnectNow => {
                self.not_before = None;
                self.awaiting.clear();
            }
        }
    }

    /// Look at the gateway, deliver what is new, submit what waits.
    async fn step(&mut self) {
        let up = !self.server.script(|s| s.down.contains(&Service::Gateway));
        if self.connected != Some(up) {
            self.connected = Some(up);
            self.announce(up);
            // A new connection sends again everything without an outcome.
            self.not_before = None;
            self.awaiting.clear();
        }
        if !up {
            return;
        }
        let delay = self.server.script(|s| s.delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.deliver();
        let now = Instant::now();
        if self.not_before.is_some_and(|t| now >= t) {
            // The wait for lost acknowledgements ran out: those go again.
            self.not_before = None;
            self.awaiting.clear();
        }
        if self.not_before.is_none() {
            self.submit();
        }
        self.sink.flush();
    }

    fn announce(&self, up: bool) {
        if up {
            self.sink
                .service(Service::Gateway.id(), ServiceState::Up, None);
            self.sink.connection(ConnectionState::Connected {
                endpoint: ENDPOINT.into(),
                region: ENDPOINT.into(),
                transport: Transport::Gateway,
                session_id: None,
                preferred_region: true,
            });
        } else {
            let why = "the in-memory gateway is down".to_owned();
            self.sink
                .service(Service::Gateway.id(), ServiceState::Down, Some(why.clone()));
            self.sink.connection(ConnectionState::Waiting {
                retry_in_ms: 0,
                next_attempt_at_ms: crate::clock::now_ms(),
                endpoint: Some(ENDPOINT.into()),
                region: Some(ENDPOINT.into()),
                why,
            });
        }
    }

    /// Every event after the cursor, page by page, with the script's duplicates and swaps.
    fn deliver(&mut self) {
        let (duplicate, reorder) = self
            .server
            .script(|s| (s.duplicate_events, s.reorder_events));
        loop {
            let after = self
                .sink
                .cursor()
                .unwrap_or(self.delivered)
                .max(self.delivered);
            let EventsAfter { gap, mut events } =
                self.server
                    .state()
                    .events_after(&self.user_id, after, EVENTS_PAGE);
            if let Some(first_kept) = gap {
                self.sink.gap(after, first_kept);
                // Resume just before the first event kept (this backend's own numbering).
                let skipped_to = Cursor::from_backend(first_kept.position().saturating_sub(1));
                self.delivered = self.delivered.max(skipped_to);
            }
            if events.is_empty() {
                return;
            }
            if reorder {
                for pair in events.chunks_mut(2) {
                    pair.reverse();
                }
            }
            for (at, event) in events {
                self.delivered = self.delivered.max(at);
                if duplicate {
                    self.sink.apply_event(at, event.clone());
                }
                self.sink.apply_event(at, event);
            }
        }
    }

    /// Submit what is unanswered, in the queue's order: each gets an outcome, or "busy" (the
    /// queue hands it over again after the floor), or its acknowledgement is lost (it waits here
    /// to be sent again).
    fn submit(&mut self) {
        let mut lost = false;
        // Chats whose message was answered "busy" this round: the queue took back their later
        // messages, to go after it.
        let mut held = HashSet::new();
        for op in self.sink.unanswered(usize::MAX) {
            if self.awaiting.contains(&op.client_msg_id) || held.contains(&op.chat_id) {
                continue;
            }
            if let Some(floor) = self.server.script(|s| take_busy(&mut s.busy)) {
                self.sink.retry_later(&op.client_msg_id, floor);
                held.insert(op.chat_id);
                continue;
            }
            // A scripted refusal is for a key the server has not stored: one already stored
            // (its ack was lost) is acknowledged again, as a real server would.
            let stored_before = self
                .server
                .state()
                .was_stored(&self.user_id, &op.client_msg_id);
            if !stored_before {
                if let Some(reason) = self.server.script(|s| take_refusal(&mut s.refuse)) {
                    self.sink.refused(&op.client_msg_id, reason);
                    continue;
                }
            }
            let stored = self.server.change(|s| {
                s.submit(
                    &self.user_id,
                    &op.client_msg_id,
                    &op.chat_id,
                    &op.body,
                    &op.attachments,
                )
            });
            match stored {
                Stored::Ok { msg_id, at } => {
                    let lose = self.server.script(|s| {
                        let lose = s.drop_acks > 0;
                        s.drop_acks = s.drop_acks.saturating_sub(1);
                        lose
                    });
                    if lose {
                        self.awaiting.insert(op.client_msg_id);
                        lost = true;
                    } else {
                        // Every event up to the message's own is delivered before its ack, so
                        // the ack's cursor never passes an event the client has not seen
                        // (another member may have written in between).
                        self.deliver();
                        self.sink.acked(&op.client_msg_id, msg_id, at);
                    }
                }
                Stored::Refused(reason) => self.sink.refused(&op.client_msg_id, reason),
            }
        }
        if lost {
            // Sent again, with everything else still unanswered, when the wait runs out.
            let resend = Instant::now() + self.server.script(|s| s.ack_wait);
            self.not_before = Some(self.not_before.map_or(resend, |t| t.max(resend)));
        }
    }
}

pub(super) fn take_busy(busy: &mut Option<(u32, Duration)>) -> Option<Duration> {
    let (count, floor) = busy.as_mut()?;
    let floor = *floor;
    *count -= 1;
    if *count == 0 {
        *busy = None;
    }
    Some(floor)
}

pub(super) fn take_refusal(refuse: &mut Option<(u32, String)>) -> Option<String> {
    let (count, reason) = refuse.as_mut()?;
    let reason = reason.clone();
    *count -= 1;
    if *count == 0 {
        *refuse = None;
    }
    Some(reason)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
