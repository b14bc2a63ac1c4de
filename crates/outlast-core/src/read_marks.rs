//! The user's read marks on their way to the server: "read up to here", one per chat.
//!
//! Reading a burst of messages moves the mark many times; only the newest per chat is kept, and
//! it goes after a short pause, so a burst costs one request per chat. Marks the server has not
//! confirmed stay queued (and in the database, for the next start) and go again when the
//! connection returns.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use tokio::sync::Notify;
use tokio::time::Duration;

use crate::backend::Backend;
use crate::model::{ConnectionState, CoreEvent};
use crate::shared::Shared;
use crate::store::ReadMark;
use crate::RetryPolicy;

/// Marks made within this long of each other go as one request per chat.
pub(crate) const COALESCE: Duration = Duration::from_millis(300);

/// Backoff between attempts while the API cannot take marks.
const RETRY_BASE: Duration = Duration::from_secs(1);
const RETRY_CAP: Duration = Duration::from_secs(60);

/// The newest unsent mark of each chat (chat id → message id).
#[derive(Default)]
pub(crate) struct ReadQueue {
    marks: Mutex<BTreeMap<String, String>>,
    /// The last mark queued per chat, for `put_if_new`.
    last: Mutex<BTreeMap<String, String>>,
    wanted: Notify,
}

impl ReadQueue {
    /// Queue `msg_id` as the chat's mark, replacing an older one. The caller has checked it is
    /// newer (the store orders marks by message time).
    pub fn put(&self, chat_id: &str, msg_id: &str) {
        lock(&self.marks).insert(chat_id.to_owned(), msg_id.to_owned());
        self.wanted.notify_one();
    }

    /// Queue `msg_id` unless it is the chat's last mark already (for marks no database orders).
    pub fn put_if_new(&self, chat_id: &str, msg_id: &str) {
        {
            let mut last = lock(&self.last);
            if last.get(chat_id).is_some_and(|m| m == msg_id) {
                return;
            }
            last.insert(chat_id.to_owned(), msg_id.to_owned());
        }
        self.put(chat_id, msg_id);
    }

    /// Replace everything queued (a new session, from the database).
    pub fn reset(&self, marks: Vec<ReadMark>) {
        lock(&self.last).clear();
        let mut queued = lock(&self.marks);
        queued.clear();
        for mark in marks {
            queued.insert(mark.chat_id, mark.msg_id);
        }
        if !queued.is_empty() {
            self.wanted.notify_one();
        }
    }

    fn snapshot(&self) -> Vec<(String, String)> {
        lock(&self.marks)
            .iter()
            .map(|(c, m)| (c.clone(), m.clone()))
            .collect()
    }

    /// `msg_id` reached the server: forget it, unless a newer mark replaced it meanwhile.
    fn delivered(&self, chat_id: &str, msg_id: &str) {
        let mut queued = lock(&self.marks);
        if queued.get(chat_id).is_some_and(|m| m == msg_id) {
            queued.remove(chat_id);
        }
    }

    pub fn len(&self) -> usize {
        lock(&self.marks).len()
    }
}

/// What delivering marks needs; runs for one session.
pub(crate) struct ReadSender {
    pub queue: Arc<ReadQueue>,
    pub shared: Arc<Shared>,
    pub backend: Arc<dyn Backend>,
    pub retry: RetryPolicy,
}

impl ReadSender {
    pub async fn run(self) {
        let queue = &*self.queue;
        let mut events = self.shared.subscribe();
        let mut rng = rand::rngs::StdRng::from_os_rng();
        let mut failures: u32 = 0;
        loop {
            if failures == 0 {
                queue.wanted.notified().await;
            }
            // Let the burst finish: only its last mark per chat goes.
            tokio::time::sleep(COALESCE).await;
            match self.deliver(queue).await {
                Ok(()) => failures = 0,
                Err(err) => {
                    failures = failures.saturating_add(1);
                    let wait = self.retry.delay(failures, &mut rng);
                    tracing::info!(%err, ?wait, queued = queue.len(), "read marks wait for the API");
                    // Go again after the backoff, or as soon as a connection is back.
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = reconnected(&mut events) => {}
                        _ = queue.wanted.notified() => {}
                    }
                }
            }
        }
    }

    /// Send every queued mark. Stops at the first failure that may pass (the API or the token);
    /// a mark the server refuses for good is dropped (it will never take it).
    async fn deliver(&self, queue: &ReadQueue) -> Result<(), crate::CoreError> {
        for (chat_id, msg_id) in queue.snapshot() {
            match self.backend.mark_read(&chat_id, &msg_id).await {
                Ok(()) => {}
                // The backend renews an expired token and reports the API's health.
                Err(err) if err.is_expired_session() || err.retryable() => return Err(err),
                Err(err) => {
                    tracing::warn!(%chat_id, %err, "the server refused a read mark; dropped");
                }
            }
            queue.delivered(&chat_id, &msg_id);
            if let Some(Err(err)) = self
                .shared
                .with_store(|s| s.read_mark_sent(&chat_id, &msg_id))
            {
                tracing::error!(%err, "could not record a delivered read mark");
            }
        }
        Ok(())
    }
}

pub(crate) fn default_retry() -> RetryPolicy {
    RetryPolicy::outlast(RETRY_BASE, RETRY_CAP)
}

/// Returns once the connection is (back) up.
async fn reconnected(events: &mut tokio::sync::broadcast::Receiver<CoreEvent>) {
    loop {
        match events.recv().await {
            Ok(CoreEvent::ConnectionChanged {
                state: ConnectionState::Connected { .. },
            }) => return,
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                std::future::pending::<()>().await
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
