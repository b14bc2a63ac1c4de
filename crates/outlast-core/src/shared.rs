//! State shared between the `Client` handle and the connection task: the timeline, the current
//! connection state, and the event stream both announce changes on.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::broadcast;

use crate::model::{ConnectionState, CoreEvent};
use crate::timeline::Timeline;

/// Events buffered per subscriber before a slow one starts missing them.
const EVENT_BUFFER: usize = 4096;

pub(crate) struct Shared {
    /// `None` while signed out.
    timeline: Mutex<Option<Timeline>>,
    connection: Mutex<ConnectionState>,
    events: broadcast::Sender<CoreEvent>,
}

impl Shared {
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Shared {
            timeline: Mutex::new(None),
            connection: Mutex::new(ConnectionState::SignedOut),
            events,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.events.subscribe()
    }

    /// Run `change` on the timeline (if signed in) and announce the events it returns. The lock
    /// is held only for the change itself, never across an `.await`.
    pub fn update<R>(
        &self,
        change: impl FnOnce(&mut Timeline) -> (R, Vec<CoreEvent>),
    ) -> Option<R> {
        let (result, events) = {
            let mut guard = lock(&self.timeline);
            let timeline = guard.as_mut()?;
            change(timeline)
        };
        self.emit(events);
        Some(result)
    }

    /// Read from the timeline (if signed in).
    pub fn read<R>(&self, read: impl FnOnce(&Timeline) -> R) -> Option<R> {
        lock(&self.timeline).as_ref().map(read)
    }

    pub fn replace_timeline(&self, timeline: Option<Timeline>) {
        *lock(&self.timeline) = timeline;
    }

    pub fn connection(&self) -> ConnectionState {
        lock(&self.connection).clone()
    }

    pub fn set_connection(&self, state: ConnectionState) {
        {
            let mut current = lock(&self.connection);
            if *current == state {
                return;
            }
            *current = state.clone();
        }
        tracing::info!(?state, "connection state");
        self.emit(vec![CoreEvent::ConnectionChanged { state }]);
    }

    fn emit(&self, events: Vec<CoreEvent>) {
        for event in events {
            // No subscribers is fine: nobody is looking.
            let _ = self.events.send(event);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data stays consistent even if a holder panicked (every change is a single call), so
    // keep serving it rather than poisoning the whole client.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
