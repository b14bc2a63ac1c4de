//! The queue's state machine: per-chat order, holding, readiness, and the time read marks go.
//! Pure: every input returns the requests it causes; time comes in as a value.

use std::collections::{HashMap, VecDeque};

use tokio::time::Instant;

use super::marks::MarkLanes;
use super::operation::{Action, Lifecycle, OpError, Operation, Request};
use crate::store::{OutboxEntry, ReadMark};

/// Every outgoing operation not yet completed: messages per chat in the order the user wrote
/// them, read marks in a lane of their own per chat.
#[derive(Debug, Default)]
pub(crate) struct OpQueue {
    /// Messages, per chat.
    chats: HashMap<String, ChatOps>,
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
}

impl OpQueue {
    /// The queue an earlier run left, from the store's outbox (in the order written) and its
    /// unsent read marks, with nothing submitted yet: a new session submits everything again
    /// under the same keys.
    pub fn restore(
        unsent: Vec<(OutboxEntry, Option<String>)>,
        marks: Vec<ReadMark>,
        now: Instant,
    ) -> (OpQueue, Vec<Request>) {
        let mut queue = OpQueue::default();
        for mark in marks {
            let op = Operation::mark_read(&mark.chat_id, &mark.msg_id, mark.sent_at_ms);
            queue.marks.restore(op, now);
        }
        let mut chats = Vec::new();
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

    /// A new operation, after the caller has kept it durably. A message is submitted at once
    /// unless something earlier in its chat, or its own files, hold it; a read mark replaces the
    /// chat's waiting one and goes when its time comes ([`OpQueue::tick`]).
    pub fn submit(&mut self, op: Operation, now: Instant) -> Vec<Request> {
        if let Action::MarkRead { .. } = op.action {
            self.marks.take(op, now);
            return self.marks.due(now);
        }
        let chat_id = op.chat_id.clone();
        self.push(op);
        self.dispatch(&chat_id)
    }

    /// Time has passed: what was waiting for `now` goes.
    pub fn tick(&mut self, now: Instant) -> Vec<Request> {
        self.marks.due(now)
    }

    /// When something waits for time to pass ([`OpQueue::tick`] then).
    pub fn next_due(&self) -> Option<Instant> {
        self.marks.next_due()
    }

    /// The backend answered read mark `id` of `chat_id`: the server has it, or refused it for
    /// good (it will never take it). Either way it is done; the chat's next mark may go.
    pub fn mark_answered(&mut self, chat_id: &str, id: &str, now: Instant) -> Vec<Request> {
        self.marks.answered(chat_id, id);
        self.marks.due(now)
    }

    /// The backend could not take read mark `id` now: marks wait until `until` (and never go
    /// before the server's `floor`).
    pub fn mark_failed(&mut self, chat_id: &str, id: &str, until: Instant, floor: Option<Instant>) {
        self.marks.retry_at(chat_id, id, until, floor);
    }

    /// The backend is seen back: what waited for it goes now (never before a server's floor).
    pub fn backend_back(&mut self, now: Instant) -> Vec<Request> {
        self.marks.backend_back(now);
        self.marks.due(now)
    }

    /// Read marks not yet answered.
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

    /// Every message not complete, in the order written.
    pub fn all(&self) -> Vec<&Operation> {
        let mut all: Vec<&Queued> = self.chats.values().flat_map(|c| &c.ops).collect();
        all.sort_by_key(|q| q.order);
        all.into_iter().map(|q| &q.op).collect()
    }

    /// The refused operations, of one chat or of all, in the order written.
    pub fn refused_ids(&self, chat_id: Option<&str>) -> Vec<String> {
        self.all()
            .into_iter()
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
            .push_back(Queued { order, op });
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
            }
        }
    }

    /// The one rule for what may go: in the chat's order, every queued operation up to the
    /// first that was refused or is not ready (its files), each submitted once until an
    /// outcome or a retry puts it back.
    fn dispatch(&mut self, chat_id: &str) -> Vec<Request> {
        let mut requests = Vec::new();
        let Some(chat) = self.chats.get_mut(chat_id) else {
            return requests;
        };
        // Everything before `submitted` is submitted; past it, the walk may still meet submitted
        // operations (after a retry of an earlier one), which stay as they are. Every operation
        // the walk passes is submitted, so the prefix grows with it.
        for queued in chat.ops.iter_mut().skip(chat.submitted) {
            let op = &mut queued.op;
            match op.state {
                Lifecycle::Refused { .. } => break,
                Lifecycle::Submitted => {}
                Lifecycle::Queued if !op.ready() => break,
                Lifecycle::Queued => {
                    op.state = Lifecycle::Submitted;
                    requests.push(Request::Submit(op.clone()));
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
