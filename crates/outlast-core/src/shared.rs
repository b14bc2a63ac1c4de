//! What the `Client` handle, the connection and the session's tasks share: the timeline, and
//! the parts that own the rest (the connection's status, the local cache, the operation queue,
//! the event stream). It is also the connection's sink: what a backend reports is applied here,
//! each in one step, to the parts it concerns.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use crate::cache::Cache;
use crate::connection::ConnectionSink;
use crate::domain::{Cursor, RemoteEvent};
use crate::events::EventBus;
use crate::model::{ConnectionState, CoreEvent, ServiceState};
use crate::ops::Outbox;
use crate::status::Status;
use crate::store::StoreWrite;
use crate::timeline::Timeline;

pub(crate) struct Shared {
    /// `None` while signed out.
    timeline: Mutex<Option<Timeline>>,
    /// The connection's state and the services' health.
    status: Status,
    /// The account's local database and the writes waiting for it.
    cache: Arc<Cache>,
    events: EventBus,
    /// Woken when files wait to be uploaded.
    upload_wanted: tokio::sync::Notify,
    /// Every outgoing action not yet on the server.
    outbox: Outbox,
}

impl Shared {
    pub fn new() -> Self {
        let events = EventBus::default();
        Shared {
            timeline: Mutex::new(None),
            status: Status::new(events.clone()),
            cache: Arc::default(),
            events,
            upload_wanted: tokio::sync::Notify::new(),
            outbox: Outbox::default(),
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

    /// The connection's state and the services' health.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The account's local database.
    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    /// Queue a write of what the connection learned for the cache's next batch. Never writes
    /// here: the connection's task calls this, and must not wait for SQLite.
    fn write_behind(&self, write: StoreWrite) {
        if !self.cache.has_store() {
            return;
        }
        if let Some(me) = self.read(|t| t.me().user_id.clone()) {
            self.cache.write_behind(&me, write);
        }
    }

    /// Files wait to be uploaded: wake the uploader.
    pub fn uploads_wanted(&self) {
        self.upload_wanted.notify_one();
    }

    pub async fn upload_requested(&self) {
        self.upload_wanted.notified().await;
    }

    /// The operation queue.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    pub fn emit(&self, events: Vec<CoreEvent>) {
        self.events.emit(events);
    }

    /// Where state changes are announced (for parts that only announce).
    pub fn events(&self) -> &EventBus {
        &self.events
    }
}

impl ConnectionSink for Shared {
    fn cursor(&self) -> Option<Cursor> {
        self.read(Timeline::cursor)
    }

    fn apply_event(&self, at: Cursor, event: RemoteEvent) {
        match &event {
            RemoteEvent::MessageCreated(message) => {
                if let Some(sender_name) = self.read(|t| t.name_of(&message.sender_id)) {
                    self.write_behind(StoreWrite::Received {
                        at,
                        message: message.clone(),
                        sender_name,
                    });
                }
            }
            RemoteEvent::ReadWatermark {
                chat_id,
                user_id,
                msg_id,
            } => self.write_behind(StoreWrite::Read {
                at,
                chat_id: chat_id.clone(),
                user_id: user_id.clone(),
                msg_id: msg_id.clone(),
            }),
            RemoteEvent::ChatUpdated(chat) => self.write_behind(StoreWrite::Chat {
                at,
                row: crate::store::ChatRow::from(chat),
            }),
        }
        self.update(|t| {
            let events = match &event {
                RemoteEvent::MessageCreated(message) => t.apply_remote(at, message),
                RemoteEvent::ReadWatermark {
                    chat_id,
                    user_id,
                    msg_id,
                } => t.read_by(at, chat_id, user_id, msg_id),
                RemoteEvent::ChatUpdated(chat) => t.chat_announced(at, chat.clone()),
            };
            ((), events)
        });
    }

    fn acked(&self, client_msg_id: &str, msg_id: String, at: Cursor) {
        self.outbox.apply(|q| (q.acked(client_msg_id), Vec::new()));
        self.write_behind(StoreWrite::Acked {
            client_msg_id: client_msg_id.to_owned(),
            msg_id: msg_id.clone(),
            at,
        });
        self.update(|t| ((), t.mark_sent(client_msg_id, msg_id, at)));
    }

    fn progress(&self, done: u64, total: u64) {
        self.emit(vec![CoreEvent::SyncProgress { done, total }]);
    }

    fn flush(&self) {
        // Asked by the connection when it pauses or a catch-up ends: the writer writes now.
        self.cache.write_soon();
    }

    fn refused(&self, client_msg_id: &str, reason: String) {
        // Written in order after anything still queued (its ack cannot be among them).
        self.write_behind(StoreWrite::Refused {
            client_msg_id: client_msg_id.to_owned(),
            reason: reason.clone(),
        });
        self.outbox
            .apply(|q| (q.refused(client_msg_id, reason.clone()), Vec::new()));
        self.update(|t| ((), t.mark_failed(client_msg_id, reason)));
    }

    fn retry_later(&self, client_msg_id: &str, floor: std::time::Duration) {
        // The message waits in the queue, holding its chat, until the floor has passed (a
        // reconnection does not lift it); then the queue hands it over again, in order.
        let now = tokio::time::Instant::now();
        let until = now + floor;
        self.outbox
            .apply(|q| (q.retry_at(client_msg_id, until, Some(until)), Vec::new()));
    }

    fn unanswered(&self, limit: usize) -> Vec<crate::ops::Outgoing> {
        self.outbox.read(|q| q.unanswered(limit))
    }

    fn gap(&self, after: Cursor, resumes_at: Cursor) {
        // Every chat may miss messages after its newest cached one: scrolling there asks the
        // server.
        self.write_behind(StoreWrite::HistorySkipped);
        self.update(|t| {
            t.history_skipped(resumes_at);
            (
                (),
                vec![CoreEvent::HistoryGap {
                    after_seq: after.position(),
                    resumes_at_seq: resumes_at.position(),
                }],
            )
        });
    }

    fn connection(&self, state: ConnectionState) {
        self.status.set_connection(state);
    }

    fn service(&self, service: &str, state: ServiceState, detail: Option<String>) {
        self.status.set_service(service, state, detail);
    }

    fn sign_in_ended(&self, reason: String) {
        self.emit(vec![CoreEvent::SignInRequired { reason }]);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data stays consistent even if a holder panicked (every change is a single call), so
    // keep serving it rather than poisoning the whole client.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
