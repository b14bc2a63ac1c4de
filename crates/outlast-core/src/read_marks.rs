//! Delivering the user's read marks: the runner that executes the queue's read-mark requests.
//!
//! What goes when is the operation queue's decision (`ops/marks.rs`: one mark per chat, a burst
//! coalesced, backoff and the server's floor after a failure). This task only does the I/O: it
//! asks the backend, tells the queue the outcome, and wakes the queue when its next due time
//! comes or the connection is back. Marks the server has not confirmed stay in the database
//! (`read_outbox`) for the next start.

use std::sync::Arc;

use rand::SeedableRng;
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

use crate::backend::Backend;
use crate::model::{ConnectionState, CoreEvent};
use crate::ops::{Action, Operation};
use crate::shared::Shared;
use crate::RetryPolicy;

/// Backoff between attempts while the API cannot take marks.
const RETRY_BASE: Duration = Duration::from_secs(1);
const RETRY_CAP: Duration = Duration::from_secs(60);

/// What delivering marks needs; runs for one session.
pub(crate) struct ReadSender {
    pub shared: Arc<Shared>,
    pub backend: Arc<dyn Backend>,
    pub retry: RetryPolicy,
    /// The queue's read-mark requests, in the order it made them.
    pub requests: mpsc::UnboundedReceiver<Operation>,
}

impl ReadSender {
    pub async fn run(mut self) {
        let mut events = self.shared.subscribe();
        let mut rng = rand::rngs::StdRng::from_os_rng();
        let mut failures: u32 = 0;
        loop {
            let due = self.shared.outbox().read(|q| q.next_due());
            tokio::select! {
                biased;
                request = self.requests.recv() => {
                    let Some(op) = request else { return };
                    self.deliver(op, &mut failures, &mut rng).await;
                }
                _ = sleep_until(due) => {
                    self.shared.outbox().apply(|q| ((), q.tick(Instant::now())));
                }
                _ = reconnected(&mut events) => {
                    failures = 0;
                    self.shared.outbox().apply(|q| ((), q.backend_back(Instant::now())));
                }
                // A new mark may be due sooner than what this loop waits for.
                _ = self.shared.outbox().changed() => {}
            }
        }
    }

    /// Ask the backend to take mark `op`, and tell the queue how that went.
    async fn deliver(&self, op: Operation, failures: &mut u32, rng: &mut rand::rngs::StdRng) {
        let Action::MarkRead { msg_id } = &op.action else {
            return;
        };
        let chat_id = &op.chat_id;
        match self.backend.mark_read(chat_id, msg_id).await {
            // The backend renews an expired token and reports the API's health; the mark waits.
            Err(err) if err.is_expired_session() || err.retryable() => {
                *failures = failures.saturating_add(1);
                let floor = err.retry_after();
                let wait = self
                    .retry
                    .delay(*failures, rng)
                    .max(floor.unwrap_or_default());
                let now = Instant::now();
                let waiting = self.shared.outbox().apply(|q| {
                    q.mark_failed(chat_id, &op.id, now + wait, floor.map(|f| now + f));
                    (q.marks().len(), Vec::new())
                });
                tracing::info!(%err, ?wait, waiting, "read marks wait for the API");
                return;
            }
            Ok(()) => *failures = 0,
            Err(err) => {
                // It will never take it: nothing to wait for.
                tracing::warn!(%chat_id, %err, "the server refused a read mark; dropped");
            }
        }
        if let Some(Err(err)) = self
            .shared
            .with_store(|s| s.read_mark_sent(chat_id, msg_id))
        {
            tracing::error!(%err, "could not record a delivered read mark");
        }
        self.shared
            .outbox()
            .apply(|q| ((), q.mark_answered(chat_id, &op.id, Instant::now())));
    }
}

pub(crate) fn default_retry() -> RetryPolicy {
    RetryPolicy::outlast(RETRY_BASE, RETRY_CAP)
}

/// Sleeps until `due`, or forever when nothing waits for time.
async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
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
