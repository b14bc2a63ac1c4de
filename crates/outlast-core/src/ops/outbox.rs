//! The queue at run time: one leaf lock around the [`OpQueue`] and the session's ways to the
//! backend, so every input is applied and its requests handed over in one step.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::{mpsc, Notify};

use super::operation::{Action, OpError, Operation, Request};
use super::queue::OpQueue;
use super::Submitter;

#[derive(Default)]
pub(crate) struct Outbox {
    state: Mutex<State>,
    /// The queue's next due time moved: whoever waits for it looks again.
    changed: Notify,
}

#[derive(Default)]
struct State {
    queue: OpQueue,
    /// The signed-in session's live connection (messages); `None` between sessions.
    connection: Option<Submitter>,
    /// The session's runner of request-and-answer operations (read marks, new chats).
    calls: Option<mpsc::UnboundedSender<Operation>>,
}

impl Outbox {
    /// A session starts: its queue (restored from the store), its live connection for messages
    /// and its runner for request-and-answer operations. What may go is handed over at once.
    pub fn start(
        &self,
        (queue, requests): (OpQueue, Vec<Request>),
        connection: Submitter,
        calls: mpsc::UnboundedSender<Operation>,
    ) {
        let mut state = self.lock();
        state.queue = queue;
        state.connection = Some(connection);
        state.calls = Some(calls);
        state.hand_over(requests);
        drop(state);
        self.changed.notify_one();
    }

    /// Returns once the queue's next due time moved since the last call (for the runner that
    /// waits for it).
    pub async fn changed(&self) {
        self.changed.notified().await
    }

    /// The session ended: nothing more goes, and nothing is kept in memory (the store has it).
    pub fn stop(&self) {
        *self.lock() = State::default();
    }

    /// Apply one input. The lock is held while its requests are handed to the connection, so two
    /// inputs racing (a new message, an upload finishing) cannot hand their messages over out of
    /// the order the queue decided. Nothing else is locked meanwhile.
    pub fn apply<R>(&self, input: impl FnOnce(&mut OpQueue) -> (R, Vec<Request>)) -> R {
        self.run(|queue| Ok::<_, std::convert::Infallible>(input(queue)))
            .unwrap_or_else(|never| match never {})
    }

    /// Apply an input that the queue may refuse (a retry or cancel of something not queued):
    /// nothing is handed over then.
    pub fn try_apply<R>(
        &self,
        input: impl FnOnce(&mut OpQueue) -> Result<(R, Vec<Request>), OpError>,
    ) -> Result<R, OpError> {
        self.run(input)
    }

    /// Apply `input` and hand its requests over under the lock; then wake the runner if the
    /// queue's next due time moved.
    fn run<R, E>(
        &self,
        input: impl FnOnce(&mut OpQueue) -> Result<(R, Vec<Request>), E>,
    ) -> Result<R, E> {
        let mut state = self.lock();
        let due = state.queue.next_due();
        let (result, requests) = input(&mut state.queue)?;
        state.hand_over(requests);
        let moved = state.queue.next_due() != due;
        drop(state);
        if moved {
            self.changed.notify_one();
        }
        Ok(result)
    }

    /// Read the queue.
    pub fn read<R>(&self, read: impl FnOnce(&OpQueue) -> R) -> R {
        read(&self.lock().queue)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every input is one call that leaves the queue consistent, so a panic elsewhere does
        // not poison it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn hand_over(&self, requests: Vec<Request>) {
        for Request::Submit(op) in requests {
            match op.action {
                Action::SendMessage { .. } => {
                    if let (Some(connection), Some(outgoing)) = (&self.connection, op.outgoing()) {
                        connection.send(outgoing);
                    }
                }
                Action::MarkRead { .. } | Action::CreateChat { .. } | Action::RenameChat { .. } => {
                    if let Some(calls) = &self.calls {
                        // Closed only when the session ends; the store keeps the mark.
                        let _ = calls.send(op);
                    }
                }
            }
        }
    }
}
