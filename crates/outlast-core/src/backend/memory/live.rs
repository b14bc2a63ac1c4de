//! An account's live connection to a [`MemoryServer`]: events in order from the sink's cursor,
//! operations submitted in the order handed until each has an outcome, and the script's faults
//! on the way (a gateway down, lost acknowledgements, duplicated or reordered events, "busy").

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant};

use super::state::{EventsAfter, Stored};
use super::MemoryServer;
use crate::backend::{Live, Outgoing, Submitter};
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
    Submit(Outgoing),
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
        Submitter::new(move |op| {
            let _ = commands.send(Command::Submit(op));
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
        pending: VecDeque::new(),
        not_before: None,
        busy_until: None,
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
    /// Handed and without an outcome yet, in the order handed.
    pending: VecDeque<Outgoing>,
    /// Nothing is submitted before this: the wait for a lost ack (a reconnect ends it).
    not_before: Option<Instant>,
    /// Nothing is submitted before the server's "busy, retry after" floor, reconnect or not.
    busy_until: Option<Instant>,
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
            let wait = match (self.not_before, self.busy_until) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
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
            Command::Submit(op) => self.pending.push_back(op),
            Command::ReconnectNow => self.not_before = None,
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
        if self.not_before.is_none_or(|t| now >= t) && self.busy_until.is_none_or(|t| now >= t) {
            self.not_before = None;
            self.busy_until = None;
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

    /// Submit what waits, in order, until the script says "busy" or everything has an outcome.
    fn submit(&mut self) {
        let mut lost = Vec::new();
        while let Some(op) = self.pending.pop_front() {
            if let Some(floor) = self.server.script(|s| take_busy(&mut s.busy)) {
                self.pending.push_front(op);
                self.busy_until = Some(Instant::now() + floor);
                break;
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
                        lost.push(op);
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
        if !lost.is_empty() {
            // Sent again (in their order, before anything newer) when the wait runs out.
            for op in lost.into_iter().rev() {
                self.pending.push_front(op);
            }
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
