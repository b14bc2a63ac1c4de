//! The queue's state machine: per-chat order, holding, readiness, and the time read marks go.
//! Pure: every input returns the requests it causes; time comes in as a value.

use std::collections::{HashMap, VecDeque};

use tokio::time::Instant;

use super::marks::MarkLanes;
use super::operation::{Action, Lifecycle, OpError, Operation, Request};
use super::Outgoing;
use crate::store::{OutboxEntry, ReadMark, StartedChat};

/// Every outgoing operation not yet completed: messages per chat in the order the user wrote
/// them, read marks in a lane of their own per chat.
#[derive(Debug, Default)]
pub(crate) struct OpQueue {
    /// Messages (and a chat's creation before them), per chat.
    chats: HashMap<String, ChatOps>,
    /// Chats with an operation waiting for a time ([`Queued::due`]).
    timed: std::collections::HashSet<String>,
    marks: MarkLanes,
    /// Which chat each operation is in.
    chat_of: HashMap<String, String>,
    /// The next operation's place in the order written across all chats.
    next_order: u64,
}

/// One chat's operations, in the order written.
#[derive(Debug, Default)]
struct ChatOps {
    ops: VecDeque<Queued>,
    /// How many at the front are submitted: deciding what may go starts after them, so a burst
    /// of thousands in one chat costs one step per operation, not a walk of all before it.
    submitted: usize,
}

#[derive(Debug)]
struct Queued {
    /// Its place in the order written across all chats (uploads go in this order).
    order: u64,
    op: Operation,
    /// Not before this (after a failure: backoff, at least `floor`); it holds its chat's later
    /// operations meanwhile. Released by [`OpQueue::tick`] or [`OpQueue::backend_back`].
    due: Option<Instant>,
    /// The server's own "not before", which the backend coming back does not lift.
    floor: Option<Instant>,
}

impl OpQueue {
    /// The queue an earlier run left, from the store's outbox (in the order written) and its
    /// unsent read marks, with nothing submitted yet: a new session submits everything again
    /// under the same keys.
    pub fn restore(
        unsent: Vec<(OutboxEntry, Option<String>)>,
        marks: Vec<ReadMark>,
        started: Vec<(StartedChat, Option<String>)>,
        now: Instant,
    ) -> (OpQueue, Vec<Request>) {
        let mut queue = OpQueue::default();
        let mut chats = Vec::new();
        // A chat's creation goes before anything written in it.
        for (chat, failure) in started {
            chats.push(chat.chat_id.clone());
            queue.push(Operation::create_chat(chat, failure));
        }
        for mark in marks {
            let op = Operation::mark_read(&mark.chat_id, &mark.msg_id, mark.sent_at_ms);
            queue.marks.restore(op, now);
        }
        for (entry, failure) in unsent {
            if !chats.contains(&entry.chat_id) {
                chats.push(entry.chat_id.clone());
            }
            queue.push(Operation::restored(entry, failure));
        }
        let mut requests: Vec<Request> = chats.iter().flat_map(|c| queue.dispatch(c)).collect();
        requests.extend(queue.marks.due(now));
        (queue, requests)
    }

    /// Renames an earlier run kept (see [`OpQueue::restore`]); what may go now.
    pub fn restore_renames(&mut self, renames: Vec<Operation>, now: Instant) -> Vec<Request> {
        for op in renames {
            self.marks.restore(op, now);
        }
        self.marks.due(now)
    }

    /// A new operation, after the caller has kept it durably. A message is submitted at once
    /// unless something earlier in its chat, or its own files, hold it; a read mark replaces the
    /// chat's waiting one and goes when its time comes ([`OpQueue::tick`]).
    pub fn submit(&mut self, op: Operation, now: Instant) -> Vec<Request> {
        if let Action::MarkRead { .. } | Action::RenameChat { .. } = op.action {
            self.marks.take(op, now);
            return self.marks.due(now);
        }
        let chat_id = op.chat_id.clone();
        self.push(op);
        self.dispatch(&chat_id)
    }

    /// Time has passed: what was waiting for `now` goes.
    pub fn tick(&mut self, now: Instant) -> Vec<Request> {
        let mut requests = self.release(|due, _| due <= now, |_| None);
        requests.extend(self.marks.due(now));
        requests
    }

    /// When something waits for time to pass ([`OpQueue::tick`] then).
    pub fn next_due(&self) -> Option<Instant> {
        let ops = self
            .timed
            .iter()
            .filter_map(|chat| self.chats.get(chat))
            // A chat goes no further than its first operation waiting for a time, so that one's
            // time is the chat's (and a burst of busy answers costs no walk of the whole chat).
            .filter_map(|chat| chat.ops.iter().find_map(|q| q.due))
            .min();
        match (ops, self.marks.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The backend could not take operation `id` now (a chat's creation, or a message the
    /// server answered "busy"): it goes again at `until`, never before the server's `floor`,
    /// and holds its chat meanwhile. The chat's later operations still out without an answer
    /// are taken back too, to go after it in order (one the server takes meanwhile is simply
    /// done).
    pub fn retry_at(&mut self, id: &str, until: Instant, floor: Option<Instant>) {
        let Some((chat, at)) = self.locate(id) else {
            return;
        };
        // One already taken back with an earlier one (a busy answer for each of a burst) only
        // gets its own time: the ones after it were taken back with it.
        let taken_back = chat.ops[at].op.state == Lifecycle::Queued;
        for later in chat.ops.iter_mut().skip(at + 1).take_while(|_| !taken_back) {
            if later.op.state == Lifecycle::Submitted {
                later.op.state = Lifecycle::Queued;
            }
        }
        let queued = &mut chat.ops[at];
        queued.op.state = Lifecycle::Queued;
        queued.due = Some(until.max(floor.unwrap_or(until)));
        queued.floor = floor;
        chat.submitted = chat.submitted.min(at);
        let chat_id = queued.op.chat_id.clone();
        self.timed.insert(chat_id);
    }

    /// The server made chat `chat_id` (its creation is acknowledged): what was written in it
    /// goes, in order.
    pub fn chat_made(&mut self, chat_id: &str) -> Vec<Request> {
        self.acked(&Operation::creation_of(chat_id));
        self.dispatch(chat_id)
    }

    /// The user deleted chat `chat_id` before the server made it: it and everything written
    /// in it leave the queue. Returns what left.
    pub fn cancel_chat(&mut self, chat_id: &str) -> Vec<Operation> {
        let Some(chat) = self.chats.remove(chat_id) else {
            return Vec::new();
        };
        self.timed.remove(chat_id);
        let ops: Vec<Operation> = chat.ops.into_iter().map(|q| q.op).collect();
        for op in &ops {
            self.chat_of.remove(&op.id);
        }
        ops
    }

    /// Operations waiting for a time that `ready` releases: their wait is lifted (or moved to
    /// `keep(floor)`), and their chats go as far as they may.
    fn release(
        &mut self,
        ready: impl Fn(Instant, Option<Instant>) -> bool,
        keep: impl Fn(Option<Instant>) -> Option<Instant>,
    ) -> Vec<Request> {
        let timed: Vec<String> = self.timed.iter().cloned().collect();
        let mut requests = Vec::new();
        for chat_id in timed {
            let mut still_timed = false;
            if let Some(chat) = self.chats.get_mut(&chat_id) {
                for queued in chat.ops.iter_mut() {
                    if let Some(due) = queued.due {
                        if ready(due, queued.floor) {
                            queued.due = keep(queued.floor);
                        }
                        still_timed |= queued.due.is_some();
                    }
                }
            }
            if !still_timed {
                self.timed.remove(&chat_id);
            }
            requests.extend(self.dispatch(&chat_id));
        }
        requests
    }

    /// The backend answered read mark or rename `id` of `chat_id`: the server has it, or refused
    /// it for good (it will never take it). Either way it is done; the lane's next one may go.
    pub fn mark_answered(&mut self, chat_id: &str, id: &str, now: Instant) -> Vec<Request> {
        self.marks.answered(chat_id, id);
        self.marks.due(now)
    }

    /// The backend could not take read mark or rename `id` now: marks and renames wait until
    /// `until` (and never go before the server's `floor`).
    pub fn mark_failed(&mut self, chat_id: &str, id: &str, until: Instant, floor: Option<Instant>) {
        self.marks.retry_at(chat_id, id, until, floor);
    }

    /// The backend is seen back: what waited for it goes now (never before a server's floor).
    pub fn backend_back(&mut self, now: Instant) -> Vec<Request> {
        let mut requests = self.release(|_, _| true, |floor| floor.filter(|floor| *floor > now));
        self.marks.backend_back(now);
        requests.extend(self.marks.due(now));
        requests
    }

    /// Read marks not yet answered.
    #[cfg(test)]
    pub fn marks(&self) -> Vec<&Operation> {
        self.marks.all()
    }

    /// One of an operation's files is on the media service as `media_id`. Once all are, it may
    /// go, in its place.
    pub fn file_uploaded(&mut self, id: &str, position: usize, media_id: &str) -> Vec<Request> {
        let Some((chat, at)) = self.locate(id) else {
            return Vec::new();
        };
        let op = &mut chat.ops[at].op;
        if let Action::SendMessage { files, .. } = &mut op.action {
            if let Some(file) = files.get_mut(position) {
                file.media_id = Some(media_id.to_owned());
            }
        }
        let chat_id = op.chat_id.clone();
        self.dispatch(&chat_id)
    }

    /// The server has it: the operation is complete and leaves the queue. Returns it, or `None`
    /// if it was not here (an ack for an earlier run's message, or a duplicate ack).
    pub fn acked(&mut self, id: &str) -> Option<Operation> {
        let (chat, at) = self.locate(id)?;
        let done = chat.remove(at)?;
        self.forget(id);
        Some(done)
    }

    /// The server (or the media service, for a file) refused it for good: it holds its chat.
    /// `false` if it was not here.
    pub fn refused(&mut self, id: &str, reason: String) -> bool {
        let Some((chat, at)) = self.locate(id) else {
            return false;
        };
        chat.ops[at].op.state = Lifecycle::Refused { reason };
        chat.submitted = chat.submitted.min(at);
        true
    }

    /// Try it again under the same key, with the chat's operations held behind it following in
    /// order. Also re-submits one that is merely waiting for an answer.
    pub fn retry(&mut self, id: &str) -> Result<Vec<Request>, OpError> {
        let (chat, at) = self.locate(id).ok_or(OpError::NotQueued)?;
        chat.ops[at].op.state = Lifecycle::Queued;
        chat.submitted = chat.submitted.min(at);
        let chat_id = chat.ops[at].op.chat_id.clone();
        Ok(self.dispatch(&chat_id))
    }

    /// Change the text of a message the server refused (before it is tried again).
    pub fn edit(&mut self, id: &str, new_body: &str) -> Result<(), OpError> {
        let (chat, at) = self.locate(id).ok_or(OpError::NotQueued)?;
        let op = &mut chat.ops[at].op;
        if !op.is_refused() {
            return Err(OpError::NotRefused);
        }
        if let Action::SendMessage { body, .. } = &mut op.action {
            *body = new_body.to_owned();
        }
        Ok(())
    }

    /// The user dropped it before the server had it. Its chat's later operations go once
    /// nothing refused is left before them.
    pub fn cancel(&mut self, id: &str) -> Result<(Operation, Vec<Request>), OpError> {
        let (chat, at) = self.locate(id).ok_or(OpError::NotQueued)?;
        let op = chat.remove(at).ok_or(OpError::NotQueued)?;
        self.forget(id);
        let requests = self.dispatch(&op.chat_id);
        Ok((op, requests))
    }

    pub fn get(&self, id: &str) -> Option<&Operation> {
        let chat_id = self.chat_of.get(id)?;
        self.chats
            .get(chat_id)?
            .ops
            .iter()
            .find(|q| q.op.id == id)
            .map(|q| &q.op)
    }

    /// Messages handed to the live connection and not yet answered, oldest first, at most
    /// `limit`: what a new link sends again under their keys. The connection keeps no copy of
    /// them; it asks here.
    pub fn unanswered(&self, limit: usize) -> Vec<Outgoing> {
        // Within a chat the order written is increasing, so each chat gives at most `limit`.
        let mut out: Vec<&Queued> = self
            .chats
            .values()
            .flat_map(|chat| {
                chat.ops
                    .iter()
                    .filter(|q| {
                        q.op.state == Lifecycle::Submitted
                            && matches!(q.op.action, Action::SendMessage { .. })
                    })
                    .take(limit)
            })
            .collect();
        out.sort_by_key(|q| q.order);
        out.into_iter()
            .take(limit)
            .filter_map(|q| q.op.outgoing())
            .collect()
    }

    /// Every message not complete, in the order written.
    pub fn all(&self) -> Vec<&Operation> {
        let mut all: Vec<&Queued> = self.chats.values().flat_map(|c| &c.ops).collect();
        all.sort_by_key(|q| q.order);
        all.into_iter().map(|q| &q.op).collect()
    }

    /// The refused messages, of one chat or of all, in the order written (a refused chat
    /// creation is retried as the chat's, not as a message).
    pub fn refused_ids(&self, chat_id: Option<&str>) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|op| matches!(op.action, Action::SendMessage { .. }))
            .filter(|op| op.is_refused() && chat_id.is_none_or(|c| c == op.chat_id))
            .map(|op| op.id.clone())
            .collect()
    }

    /// Operations that wait for files to be uploaded (refused ones aside), in the order written.
    pub fn waiting_for_files(&self) -> Vec<Operation> {
        self.all()
            .into_iter()
            .filter(|op| !op.is_refused() && !op.ready())
            .cloned()
            .collect()
    }

    fn push(&mut self, op: Operation) {
        let order = self.next_order;
        self.next_order += 1;
        self.chat_of.insert(op.id.clone(), op.chat_id.clone());
        self.chats
            .entry(op.chat_id.clone())
            .or_default()
            .ops
            .push_back(Queued {
                order,
                op,
                due: None,
                floor: None,
            });
    }

    /// The chat holding operation `id`, and its place there.
    fn locate(&mut self, id: &str) -> Option<(&mut ChatOps, usize)> {
        let chat = self.chats.get_mut(self.chat_of.get(id)?)?;
        // Acks come in the order operations were submitted: almost always the first, so a
        // flush of thousands stays linear.
        let at = if chat.ops.front().is_some_and(|q| q.op.id == id) {
            0
        } else {
            chat.ops.iter().position(|q| q.op.id == id)?
        };
        Some((chat, at))
    }

    /// Operation `id` has left the queue: drop its chat's entry if nothing else is there.
    fn forget(&mut self, id: &str) {
        if let Some(chat_id) = self.chat_of.remove(id) {
            if self.chats.get(&chat_id).is_some_and(|c| c.ops.is_empty()) {
                self.chats.remove(&chat_id);
                self.timed.remove(&chat_id);
            }
        }
    }

    /// The one rule for what may go: in the chat's order, every queued operation up to the
    /// first that was refused, is not ready (its files), waits for a time, or holds its chat
    /// (a chat's creation, until the server has made it), each submitted once until an outcome
    /// or a retry puts it back.
    fn dispatch(&mut self, chat_id: &str) -> Vec<Request> {
        let mut requests = Vec::new();
        let Some(chat) = self.chats.get_mut(chat_id) else {
            return requests;
        };
        // A chat's creation is its first operation; while it is out, nothing else goes.
        if chat
            .ops
            .front()
            .is_some_and(|q| q.op.holds_its_chat() && q.op.state == Lifecycle::Submitted)
        {
            return requests;
        }
        // Everything before `submitted` is submitted; past it, the walk may still meet submitted
        // operations (after a retry of an earlier one), which stay as they are. Every operation
        // the walk passes is submitted, so the prefix grows with it.
        for queued in chat.ops.iter_mut().skip(chat.submitted) {
            let op = &mut queued.op;
            match op.state {
                Lifecycle::Refused { .. } => break,
                Lifecycle::Submitted => {}
                Lifecycle::Queued if !op.ready() || queued.due.is_some() => break,
                Lifecycle::Queued => {
                    op.state = Lifecycle::Submitted;
                    requests.push(Request::Submit(op.clone()));
                    if op.holds_its_chat() {
                        chat.submitted += 1;
                        break;
                    }
                }
            }
            chat.submitted += 1;
        }
        requests
    }
}

impl ChatOps {
    fn remove(&mut self, at: usize) -> Option<Operation> {
        let removed = self.ops.remove(at)?;
        if at < self.submitted {
            self.submitted -= 1;
        }
        Some(removed.op)
    }
}
