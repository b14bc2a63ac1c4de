//! Read marks in the queue: "read up to here", one lane per chat.
//!
//! A mark differs from a message in two ways, so its lane has its own rule:
//! - a newer mark makes an older one pointless: each chat keeps at most one mark submitted and
//!   one waiting, and a newer mark replaces the waiting one;
//! - it goes by request and answer (not over the live connection), so the queue decides when it
//!   may go. A mark waits [`COALESCE`] after the first of a burst (a burst costs one request per
//!   chat); after a failure the API's marks wait until the retry time (backoff, at least the
//!   server's floor) or until the backend is seen back, floor still kept.
//!
//! Marks order nothing else: a chat's messages never wait for its mark, nor the other way round.

use std::collections::HashMap;

use tokio::time::{Duration, Instant};

use super::operation::{Action, Lifecycle, Operation, Request};

/// Marks made within this long of each other go as one request per chat.
pub(crate) const COALESCE: Duration = Duration::from_millis(300);

/// Every chat's read-mark lane, and when the API takes marks again.
#[derive(Debug, Default)]
pub(super) struct MarkLanes {
    lanes: HashMap<String, Lane>,
    /// The newest mark taken per chat (message id), so the same mark is not sent twice.
    newest: HashMap<String, String>,
    /// After a failure: no mark goes before this (backoff; at least the floor).
    paused_until: Option<Instant>,
    /// The server's own "not before", which a reconnection does not lift.
    floor: Option<Instant>,
}

#[derive(Debug, Default)]
struct Lane {
    submitted: Option<Operation>,
    /// The newest mark not yet submitted, and when it may go.
    waiting: Option<(Operation, Instant)>,
}

impl MarkLanes {
    /// Take a new mark; `false` if it is the chat's newest already (nothing to send).
    pub fn take(&mut self, op: Operation, now: Instant) -> bool {
        let Action::MarkRead { msg_id } = &op.action else {
            return false;
        };
        if self.newest.get(&op.chat_id) == Some(msg_id) {
            return false;
        }
        self.newest.insert(op.chat_id.clone(), msg_id.clone());
        let lane = self.lanes.entry(op.chat_id.clone()).or_default();
        // A burst keeps the first mark's time, so marks made without pause still go every
        // COALESCE rather than never.
        let due = match lane.waiting.take() {
            Some((_, due)) => due,
            None => now + COALESCE,
        };
        lane.waiting = Some((op, due));
        true
    }

    /// A mark kept by an earlier run: it may go at once.
    pub fn restore(&mut self, op: Operation, now: Instant) {
        if let Action::MarkRead { msg_id } = &op.action {
            self.newest.insert(op.chat_id.clone(), msg_id.clone());
            let chat_id = op.chat_id.clone();
            self.lanes.entry(chat_id).or_default().waiting = Some((op, now));
        }
    }

    /// Submit every mark whose time has come, in no lane with one already submitted.
    pub fn due(&mut self, now: Instant) -> Vec<Request> {
        if self.paused_until.is_some_and(|until| until > now) {
            return Vec::new();
        }
        self.paused_until = None;
        let mut requests = Vec::new();
        for lane in self.lanes.values_mut() {
            if lane.submitted.is_some() || lane.waiting.as_ref().is_none_or(|(_, due)| *due > now) {
                continue;
            }
            if let Some((mut op, _)) = lane.waiting.take() {
                op.state = Lifecycle::Submitted;
                requests.push(Request::Submit(op.clone()));
                lane.submitted = Some(op);
            }
        }
        requests
    }

    /// When the next mark may go, if one waits.
    pub fn next_due(&self) -> Option<Instant> {
        let next = self
            .lanes
            .values()
            .filter(|lane| lane.submitted.is_none())
            .filter_map(|lane| lane.waiting.as_ref().map(|(_, due)| *due))
            .min()?;
        Some(self.paused_until.map_or(next, |until| next.max(until)))
    }

    /// The mark `id` has its answer (taken, or refused for good: either way it is done).
    pub fn answered(&mut self, chat_id: &str, id: &str) -> Option<Operation> {
        let lane = self.lanes.get_mut(chat_id)?;
        if lane.submitted.as_ref().is_none_or(|op| op.id != id) {
            return None;
        }
        let done = lane.submitted.take();
        if lane.waiting.is_none() {
            self.lanes.remove(chat_id);
        }
        done
    }

    /// The API could not take mark `id` now: it waits (unless a newer one replaced it
    /// meanwhile) and no mark goes before `until`, nor before the server's `floor` if it gave
    /// one.
    pub fn retry_at(&mut self, chat_id: &str, id: &str, until: Instant, floor: Option<Instant>) {
        self.floor = floor.max(self.floor);
        self.paused_until = Some(until.max(self.paused_until.unwrap_or(until)));
        let Some(lane) = self.lanes.get_mut(chat_id) else {
            return;
        };
        if lane.submitted.as_ref().is_none_or(|op| op.id != id) {
            return;
        }
        let Some(mut op) = lane.submitted.take() else {
            return;
        };
        if lane.waiting.is_none() {
            op.state = Lifecycle::Queued;
            lane.waiting = Some((op, until));
        }
    }

    /// The backend is back: waiting marks go now, though never before the server's floor.
    pub fn backend_back(&mut self, now: Instant) {
        self.paused_until = self.floor.filter(|floor| *floor > now);
        for lane in self.lanes.values_mut() {
            if let Some((_, due)) = lane.waiting.as_mut() {
                *due = (*due).min(now);
            }
        }
    }

    /// Every mark not yet answered, submitted ones first per chat.
    #[cfg(test)]
    pub fn all(&self) -> Vec<&Operation> {
        let mut all: Vec<&Operation> = self
            .lanes
            .values()
            .flat_map(|lane| {
                lane.submitted
                    .iter()
                    .chain(lane.waiting.iter().map(|(op, _)| op))
            })
            .collect();
        all.sort_by(|a, b| a.chat_id.cmp(&b.chat_id));
        all
    }
}
