//! Read marks and chat renames in the queue: operations that set a value ("read up to here",
//! "call the chat this"), one lane per chat and kind.
//!
//! Such an operation differs from a message in two ways, so its lane has its own rule:
//! - a newer value makes an older one pointless: each lane keeps at most one submitted and one
//!   waiting, and a newer one replaces the waiting one (renames made offline send one final
//!   title);
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

/// What a lane sets for its chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Read,
    Title,
}

/// A lane: one chat, one kind of value.
type LaneKey = (String, Kind);

/// The lane an operation goes in and the value it sets; `None` for operations of no lane.
fn lane_of(op: &Operation) -> Option<(LaneKey, &str)> {
    match &op.action {
        Action::MarkRead { msg_id } => Some(((op.chat_id.clone(), Kind::Read), msg_id)),
        Action::RenameChat { title, .. } => Some(((op.chat_id.clone(), Kind::Title), title)),
        Action::SendMessage { .. } | Action::CreateChat { .. } => None,
    }
}

/// Every chat's read-mark and rename lanes, and when the API takes them again.
#[derive(Debug, Default)]
pub(super) struct MarkLanes {
    lanes: HashMap<LaneKey, Lane>,
    /// The newest mark taken per chat (a message id), so the same mark is not sent twice. Only
    /// marks: a mark only moves forward, but a title someone else changed since may be set back
    /// (the client skips a rename to the name the chat has).
    newest: HashMap<LaneKey, String>,
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
    /// Take a new mark or rename; `false` for a mark that is its chat's newest already (nothing
    /// to send).
    pub fn take(&mut self, mut op: Operation, now: Instant) -> bool {
        let Some((key, value)) = lane_of(&op) else {
            return false;
        };
        if key.1 == Kind::Read {
            if self.newest.get(&key).map(String::as_str) == Some(value) {
                return false;
            }
            self.newest.insert(key.clone(), value.to_owned());
        }
        let lane = self.lanes.entry(key).or_default();
        // A burst keeps the first one's time, so values set without pause still go every
        // COALESCE rather than never.
        let due = match lane.waiting.take() {
            Some((replaced, due)) => {
                // A rename that replaces a waiting one keeps the title from before both.
                if let (
                    Action::RenameChat { previous, .. },
                    Action::RenameChat {
                        previous: before, ..
                    },
                ) = (&mut op.action, replaced.action)
                {
                    *previous = before;
                }
                due
            }
            None => now + COALESCE,
        };
        lane.waiting = Some((op, due));
        true
    }

    /// A mark or rename kept by an earlier run: it may go at once.
    pub fn restore(&mut self, op: Operation, now: Instant) {
        if let Some((key, value)) = lane_of(&op) {
            if key.1 == Kind::Read {
                self.newest.insert(key.clone(), value.to_owned());
            }
            self.lanes.entry(key).or_default().waiting = Some((op, now));
        }
    }

    /// The lane of `chat_id` whose submitted operation is `id`.
    fn submitted_lane(&mut self, chat_id: &str, id: &str) -> Option<(LaneKey, &mut Lane)> {
        self.lanes
            .iter_mut()
            .find(|((chat, _), lane)| {
                chat == chat_id && lane.submitted.as_ref().is_some_and(|op| op.id == id)
            })
            .map(|(key, lane)| (key.clone(), lane))
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

    /// The mark or rename `id` has its answer (taken, or refused for good: either way it is
    /// done).
    pub fn answered(&mut self, chat_id: &str, id: &str) -> Option<Operation> {
        let (key, lane) = self.submitted_lane(chat_id, id)?;
        let done = lane.submitted.take();
        if lane.waiting.is_none() {
            self.lanes.remove(&key);
        }
        done
    }

    /// The API could not take mark `id` now: it waits (unless a newer one replaced it
    /// meanwhile) and no mark goes before `until`, nor before the server's `floor` if it gave
    /// one.
    pub fn retry_at(&mut self, chat_id: &str, id: &str, until: Instant, floor: Option<Instant>) {
        self.floor = floor.max(self.floor);
        self.paused_until = Some(until.max(self.paused_until.unwrap_or(until)));
        let Some((_, lane)) = self.submitted_lane(chat_id, id) else {
            return;
        };
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
        all.sort_by(|a, b| a.chat_id.cmp(&b.chat_id).then(a.id.cmp(&b.id)));
        all
    }
}
