//! State shared between the `Client` handle and the connection task: the timeline, the current
//! connection state, and the event stream both announce changes on.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::broadcast;

use crate::events::EventBus;
use tokio::time::{Duration, Instant};

use crate::connection::ConnectionSink;
use crate::domain::{Cursor, RemoteEvent};
use crate::model::{ConnectionState, CoreEvent, ServiceHealth, ServiceState};
use crate::ops::Outbox;
use crate::store::{Store, StoreError, StoreWrite};
use crate::timeline::Timeline;

/// What the connection learns (messages, acks) is written behind, in batches: at most this
/// late...
const WRITE_BEHIND: Duration = Duration::from_millis(5);
use crate::store::INDEX_CHUNK;
/// ...or as soon as this many are waiting. A crash in between loses nothing: an unwritten ack
/// leaves the message in the outbox (re-sent under the same client id, stored once by the
/// server), an unwritten event leaves the cursor behind it (fetched again by catch-up).
use crate::store::WRITE_BATCH;

/// How long the search indexer waits after a write before indexing, so bursts finish first.
const INDEX_PAUSE: Duration = Duration::from_millis(20);

#[derive(Default)]
struct Pending {
    /// The account the writes belong to: a connection stopping as the next account starts must
    /// not write into the next account's database.
    owner: Option<String>,
    writes: Vec<StoreWrite>,
    since: Option<Instant>,
    /// A chat the server announced waits among `writes`: a row that belongs to it (a message
    /// written in it at once) needs it written first.
    has_chat: bool,
}

pub(crate) struct Shared {
    /// `None` while signed out.
    timeline: Mutex<Option<Timeline>>,
    connection: Mutex<ConnectionState>,
    /// Counts the times the connection came up (see `connected_again`).
    connected: tokio::sync::watch::Sender<u64>,
    services: Mutex<ServiceHealth>,
    /// The account's local database, when the client keeps one.
    store: Mutex<Option<Store>>,
    /// Whether `store` holds one, read without waiting for its lock (the connection's task
    /// queues writes only when there is somewhere to write them).
    has_store: std::sync::atomic::AtomicBool,
    /// Writes waiting for the next batch.
    pending: Mutex<Pending>,
    events: EventBus,
    /// Woken when writes wait for the next batch...
    write_wanted: tokio::sync::Notify,
    /// ...and when they should not wait out the write-behind delay.
    write_now: tokio::sync::Notify,
    /// Woken when stored messages wait for the search index.
    index_wanted: tokio::sync::Notify,
    /// Woken when files wait to be uploaded.
    upload_wanted: tokio::sync::Notify,
    /// Every outgoing action not yet on the server.
    outbox: Outbox,
}

impl Shared {
    pub fn new() -> Self {
        Shared {
            timeline: Mutex::new(None),
            connection: Mutex::new(ConnectionState::SignedOut),
            connected: tokio::sync::watch::Sender::new(0),
            services: Mutex::new(ServiceHealth::protocol_v1()),
            store: Mutex::new(None),
            has_store: std::sync::atomic::AtomicBool::new(false),
            pending: Mutex::new(Pending::default()),
            events: EventBus::default(),
            write_wanted: tokio::sync::Notify::new(),
            write_now: tokio::sync::Notify::new(),
            index_wanted: tokio::sync::Notify::new(),
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
        if matches!(state, ConnectionState::Connected { .. }) {
            self.connected.send_modify(|n| *n = n.wrapping_add(1));
        }
        tracing::info!(?state, "connection state");
        self.emit(vec![CoreEvent::ConnectionChanged { state }]);
    }

    /// Changes each time the connection comes (back) up: a part that waits for that watches
    /// this rather than reading every event.
    pub fn connected_again(&self) -> tokio::sync::watch::Receiver<u64> {
        self.connected.subscribe()
    }

    pub fn replace_store(&self, store: Option<Store>) {
        // What the old account learned last goes into its own database.
        self.write_pending();
        let mut current = lock(&self.store);
        self.has_store
            .store(store.is_some(), std::sync::atomic::Ordering::Release);
        *current = store;
    }

    /// Whether this session keeps a local database.
    pub fn has_store(&self) -> bool {
        self.has_store.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Queue a write for the next batch, which the session's writer task writes at most
    /// `WRITE_BEHIND` later, or at once when it is full. Never writes here: the connection's
    /// task calls this, and must not wait for SQLite.
    fn write_behind(&self, write: StoreWrite) {
        if !self.has_store() {
            return;
        }
        let Some(me) = self.read(|t| t.me().user_id.clone()) else {
            return;
        };
        let full = {
            let mut pending = lock(&self.pending);
            if pending.owner.as_ref() != Some(&me) {
                pending.writes.clear();
                pending.has_chat = false;
                pending.owner = Some(me);
            }
            pending.has_chat |= matches!(write, StoreWrite::Chat { .. });
            pending.writes.push(write);
            pending.since.get_or_insert_with(Instant::now);
            pending.writes.len() >= WRITE_BATCH
        };
        if full {
            self.write_now.notify_one();
        }
        self.write_wanted.notify_one();
    }

    /// Write every queued write now, on the caller's thread. Any use of the store does this
    /// first (see [`Shared::with_store`]); kept as a name for the places that only need it.
    pub fn write_pending(&self) {
        self.with_store(|_| Ok(()));
    }

    /// Write what waits in one transaction, into `store`. The caller holds the store's lock, so
    /// batches reach the database in the order they were queued (lock order: store, then
    /// pending).
    fn drain_pending(&self, store: &mut Store) {
        let me = self.read(|t| t.me().user_id.clone());
        let writes = {
            let mut pending = lock(&self.pending);
            pending.since = None;
            pending.has_chat = false;
            let writes = std::mem::take(&mut pending.writes);
            if pending.owner != me {
                return;
            }
            writes
        };
        let Some(me) = me.filter(|_| !writes.is_empty()) else {
            return;
        };
        if let Err(err) = store.apply_writes(&writes, &me) {
            tracing::error!(%err, "could not write what the connection received to the local database");
        }
        self.index_soon();
    }

    /// The session's writer: writes each batch off the connection's task, once the burst that
    /// started it has had `WRITE_BEHIND` to gather (or at once when asked to).
    pub async fn keep_writing(self: std::sync::Arc<Self>) {
        loop {
            self.write_wanted.notified().await;
            let due = lock(&self.pending).since.map(|since| since + WRITE_BEHIND);
            if let Some(due) = due {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    _ = self.write_now.notified() => {}
                }
            }
            let shared = self.clone();
            if let Err(err) = tokio::task::spawn_blocking(move || shared.write_pending()).await {
                tracing::error!(%err, "the local database's writer stopped");
            }
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

    /// Stored messages wait for the search index: fill it once writing pauses.
    pub fn index_soon(&self) {
        self.index_wanted.notify_one();
    }

    /// The search indexer of a session: after each write it waits for a pause, then indexes in
    /// small transactions, so a catch-up's writes never queue behind it for long. (A search
    /// indexes whatever is left first, so it never misses a stored message.)
    pub async fn keep_search_index(self: std::sync::Arc<Self>) {
        loop {
            self.index_wanted.notified().await;
            loop {
                tokio::time::sleep(INDEX_PAUSE).await;
                if lock(&self.pending).since.is_some() {
                    continue;
                }
                match self.with_store(|s| s.index_pending(INDEX_CHUNK)) {
                    Some(Ok(n)) if n == INDEX_CHUNK => continue,
                    Some(Err(err)) => tracing::error!(%err, "could not fill the search index"),
                    _ => {}
                }
                break;
            }
        }
    }

    /// Run `f` on the store, if there is one. `None` without a store. What the connection
    /// queued for writing is written first, so `f` sees everything learned before it (an ack
    /// before a retry, a refusal before a deletion).
    pub fn with_store<R>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError>,
    ) -> Option<Result<R, StoreError>> {
        let mut guard = lock(&self.store);
        let store = guard.as_mut()?;
        self.drain_pending(store);
        Some(f(store))
    }

    /// Like [`Shared::with_store`] but without writing the waiting acks and events first: only
    /// for a new row that no other waiting row changes, such as a message the user just wrote.
    /// Writing the waiting acks on every keystroke of a burst of sends would turn the writer's
    /// batches into thousands of small transactions. A chat the server just announced is the
    /// exception: the new row may belong to it (the user writes in it at once), so then
    /// everything waiting is written first.
    pub fn with_store_alone<R>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError>,
    ) -> Option<Result<R, StoreError>> {
        let mut guard = lock(&self.store);
        let store = guard.as_mut()?;
        if lock(&self.pending).has_chat {
            self.drain_pending(store);
        }
        Some(f(store))
    }

    pub fn services(&self) -> ServiceHealth {
        lock(&self.services).clone()
    }

    /// Forget every service's state (signed out): protocol v1's services, none checked yet.
    pub fn reset_services(&self) {
        *lock(&self.services) = ServiceHealth::protocol_v1();
    }

    /// The backend about to be used has these services: the list becomes theirs, keeping what is
    /// known of a service with the same id (a sign-in on the same kind of backend has just
    /// measured it).
    pub fn declare_services(&self, declared: Vec<crate::model::NamedService>) {
        let services = {
            let mut all = lock(&self.services);
            let mut next = ServiceHealth::declared(declared);
            for service in &mut next.0 {
                if let Some(known) = all.get(&service.id) {
                    service.status = known.status.clone();
                }
            }
            if *all == next {
                return;
            }
            *all = next.clone();
            next
        };
        self.emit(vec![CoreEvent::ServicesChanged { services }]);
    }

    /// Record service `id`'s state; announced only when it changes.
    pub fn set_service(&self, id: &str, state: ServiceState, detail: Option<String>) {
        let services = {
            let mut all = lock(&self.services);
            if !all.set(id, state, detail, crate::clock::now_ms()) {
                return;
            }
            all.clone()
        };
        tracing::info!(service = id, ?state, "service health");
        self.emit(vec![CoreEvent::ServicesChanged { services }]);
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
        self.write_now.notify_one();
        self.write_wanted.notify_one();
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
        self.set_connection(state);
    }

    fn service(&self, service: &str, state: ServiceState, detail: Option<String>) {
        self.set_service(service, state, detail);
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
