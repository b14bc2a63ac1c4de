//! The queue at run time: one leaf lock around the [`OpQueue`] and the session's way to the
//! connection, so every input is applied and its requests handed over in one step.

use std::sync::{Mutex, MutexGuard};

use super::operation::{OpError, Request};
use super::queue::OpQueue;
use super::Submitter;

#[derive(Default)]
pub(crate) struct Outbox {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    queue: OpQueue,
    /// The signed-in session's connection; `None` between sessions.
    connection: Option<Submitter>,
}

impl Outbox {
    /// A session starts: its queue (restored from the store) and its connection. What may go is
    /// handed over at once.
    pub fn start(&self, (queue, requests): (OpQueue, Vec<Request>), connection: Submitter) {
        let mut state = self.lock();
        state.queue = queue;
        state.connection = Some(connection);
        state.hand_over(requests);
    }

    /// The session ended: nothing more goes, and nothing is kept in memory (the store has it).
    pub fn stop(&self) {
        *self.lock() = State::default();
    }

    /// Apply one input. The lock is held while its requests are handed to the connection, so two
    /// inputs racing (a new message, an upload finishing) cannot hand their messages over out of
    /// the order the queue decided. Nothing else is locked meanwhile.
    pub fn apply<R>(&self, input: impl FnOnce(&mut OpQueue) -> (R, Vec<Request>)) -> R {
        let mut state = self.lock();
        let (result, requests) = input(&mut state.queue);
        state.hand_over(requests);
        result
    }

    /// Apply an input that the queue may refuse (a retry or cancel of something not queued):
    /// nothing is handed over then.
    pub fn try_apply<R>(
        &self,
        input: impl FnOnce(&mut OpQueue) -> Result<(R, Vec<Request>), OpError>,
    ) -> Result<R, OpError> {
        let mut state = self.lock();
        let (result, requests) = input(&mut state.queue)?;
        state.hand_over(requests);
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
        let Some(connection) = &self.connection else {
            return;
        };
        for request in requests {
            match request {
                Request::Submit(op) => connection.send(op.outgoing()),
            }
        }
    }
}
