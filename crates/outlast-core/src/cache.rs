//! The signed-in account's local cache at run time: the one open [`Store`], the writes that wait
//! for the next batch, and the session's two tasks that write them and index them for search.
//!
//! The connection's task only queues writes ([`Cache::write_behind`]): it never waits for
//! SQLite. Everything else reaches the store through [`Cache::with_store`], which writes what
//! waits first, so it sees everything learned before it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use crate::store::{Store, StoreError, StoreWrite, INDEX_CHUNK, WRITE_BATCH};

/// What the connection learns (messages, acks) is written behind, in batches: at most this
/// late, or as soon as [`WRITE_BATCH`] are waiting. A crash in between loses nothing: an
/// unwritten ack leaves the message in the outbox (re-sent under the same client id, stored once
/// by the server), an unwritten event leaves the cursor behind it (fetched again by catch-up).
const WRITE_BEHIND: Duration = Duration::from_millis(5);

/// How long the search indexer waits after a write before indexing, so bursts finish first.
const INDEX_PAUSE: Duration = Duration::from_millis(20);

#[derive(Default)]
pub(crate) struct Cache {
    /// The account's database and whose it is, when the client keeps one.
    open: Mutex<Option<Open>>,
    /// Whether `open` holds one, read without waiting for its lock (the connection's task
    /// queues writes only when there is somewhere to write them).
    has_store: AtomicBool,
    /// Writes waiting for the next batch.
    pending: Mutex<Pending>,
    /// Woken when writes wait for the next batch...
    write_wanted: Notify,
    /// ...and when they should not wait out the write-behind delay.
    write_now: Notify,
    /// Woken when stored messages wait for the search index.
    index_wanted: Notify,
}

struct Open {
    store: Store,
    user_id: String,
}

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

impl Cache {
    /// Use `store`, `user_id`'s database, from now on (`None`: keep nothing). What the previous
    /// account learned last goes into its own database first.
    pub fn replace(&self, store: Option<Store>, user_id: &str) {
        self.swap(store.map(|store| Open {
            store,
            user_id: user_id.to_owned(),
        }));
    }

    /// Keep nothing from now on (signed out); what waits is written first.
    pub fn close(&self) {
        self.swap(None);
    }

    fn swap(&self, next: Option<Open>) {
        let mut open = lock(&self.open);
        if let Some(current) = open.as_mut() {
            self.drain(current);
        }
        self.has_store.store(next.is_some(), Ordering::Release);
        *open = next;
    }

    /// Whether this session keeps a local database.
    pub fn has_store(&self) -> bool {
        self.has_store.load(Ordering::Acquire)
    }

    /// Queue `owner`'s write for the next batch, which the writer task writes at most
    /// `WRITE_BEHIND` later, or at once when it is full. Never writes here.
    pub fn write_behind(&self, owner: &str, write: StoreWrite) {
        let full = {
            let mut pending = lock(&self.pending);
            if pending.owner.as_deref() != Some(owner) {
                pending.writes.clear();
                pending.has_chat = false;
                pending.owner = Some(owner.to_owned());
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

    /// Ask the writer not to wait out the write-behind delay.
    pub fn write_soon(&self) {
        self.write_now.notify_one();
        self.write_wanted.notify_one();
    }

    /// Write every queued write now, on the caller's thread. Any use of the store does this
    /// first (see [`Cache::with_store`]); kept as a name for the places that only need it.
    pub fn write_pending(&self) {
        self.with_store(|_| Ok(()));
    }

    /// Run `f` on the store, if there is one. `None` without a store. What the connection
    /// queued for writing is written first, so `f` sees everything learned before it (an ack
    /// before a retry, a refusal before a deletion).
    pub fn with_store<R>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError>,
    ) -> Option<Result<R, StoreError>> {
        let mut open = lock(&self.open);
        let open = open.as_mut()?;
        self.drain(open);
        Some(f(&mut open.store))
    }

    /// Like [`Cache::with_store`] but without writing the waiting acks and events first: only
    /// for a new row that no other waiting row changes, such as a message the user just wrote.
    /// Writing the waiting acks on every keystroke of a burst of sends would turn the writer's
    /// batches into thousands of small transactions. A chat the server just announced is the
    /// exception: the new row may belong to it (the user writes in it at once), so then
    /// everything waiting is written first.
    pub fn with_store_alone<R>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError>,
    ) -> Option<Result<R, StoreError>> {
        let mut open = lock(&self.open);
        let open = open.as_mut()?;
        if lock(&self.pending).has_chat {
            self.drain(open);
        }
        Some(f(&mut open.store))
    }

    /// Write what waits in one transaction, into `open`. The caller holds its lock, so batches
    /// reach the database in the order they were queued (lock order: store, then pending).
    fn drain(&self, open: &mut Open) {
        let writes = {
            let mut pending = lock(&self.pending);
            pending.since = None;
            pending.has_chat = false;
            let writes = std::mem::take(&mut pending.writes);
            if pending.owner.as_deref() != Some(open.user_id.as_str()) {
                return;
            }
            writes
        };
        if writes.is_empty() {
            return;
        }
        if let Err(err) = open.store.apply_writes(&writes, &open.user_id) {
            tracing::error!(%err, "could not write what the connection received to the local database");
        }
        self.index_soon();
    }

    /// The session's writer: writes each batch off the connection's task, once the burst that
    /// started it has had `WRITE_BEHIND` to gather (or at once when asked to).
    pub async fn keep_writing(self: Arc<Self>) {
        loop {
            self.write_wanted.notified().await;
            let due = lock(&self.pending).since.map(|since| since + WRITE_BEHIND);
            if let Some(due) = due {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    _ = self.write_now.notified() => {}
                }
            }
            let cache = self.clone();
            if let Err(err) = tokio::task::spawn_blocking(move || cache.write_pending()).await {
                tracing::error!(%err, "the local database's writer stopped");
            }
        }
    }

    /// Stored messages wait for the search index: fill it once writing pauses.
    pub fn index_soon(&self) {
        self.index_wanted.notify_one();
    }

    /// The search indexer of a session: after each write it waits for a pause, then indexes in
    /// small transactions, so a catch-up's writes never queue behind it for long. (A search
    /// indexes whatever is left first, so it never misses a stored message.)
    pub async fn keep_search_index(self: Arc<Self>) {
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
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every change is a single call that leaves the data consistent, so a panic elsewhere
    // does not poison the cache.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
