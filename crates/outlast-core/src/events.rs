//! The core's event stream: every state change a front end shows, announced once to every
//! subscriber. A subscriber that falls more than [`EVENT_BUFFER`] behind is told it lagged and
//! resyncs from the client's snapshots (see `Client::subscribe`).

use tokio::sync::broadcast;

use crate::model::CoreEvent;

/// Events buffered per subscriber before a slow one starts missing them.
const EVENT_BUFFER: usize = 4096;

/// Where state changes are announced; cheap to clone (every clone announces to the same
/// subscribers).
#[derive(Clone)]
pub(crate) struct EventBus(broadcast::Sender<CoreEvent>);

impl Default for EventBus {
    fn default() -> Self {
        EventBus(broadcast::channel(EVENT_BUFFER).0)
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.0.subscribe()
    }

    pub fn emit(&self, events: Vec<CoreEvent>) {
        for event in events {
            // No subscribers is fine: nobody is looking.
            let _ = self.0.send(event);
        }
    }
}
