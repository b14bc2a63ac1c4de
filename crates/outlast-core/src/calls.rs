//! The runner of the operations that go by request and answer (not over the live connection):
//! read marks and new chats.
//!
//! What goes when is the operation queue's decision (`ops/`: one mark per chat with bursts
//! coalesced; a chat's creation before anything written in it; backoff and the server's floor
//! after a failure). This task only does the I/O: it asks the backend, keeps and shows the
//! outcome, tells the queue, and wakes the queue when its next due time comes or the connection
//! is back. What the server has not confirmed stays in the database (`read_outbox`,
//! `chat_outbox`) for the next start.

use std::sync::Arc;

use rand::SeedableRng;
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

use crate::backend::Backend;
use crate::ops::{Action, Operation};
use crate::shared::Shared;
use crate::store::ChatRow;
use crate::{CoreError, RetryPolicy};

/// Backoff between attempts while the API cannot take requests.
const RETRY_BASE: Duration = Duration::from_secs(1);
const RETRY_CAP: Duration = Duration::from_secs(60);

/// What running requests needs; runs for one session.
pub(crate) struct CallRunner {
    pub shared: Arc<Shared>,
    pub backend: Arc<dyn Backend>,
    pub retry: RetryPolicy,
    /// The queue's requests, in the order it made them.
    pub requests: mpsc::UnboundedReceiver<Operation>,
}

/// How one attempt went, for the backoff.
enum Attempt {
    Answered,
    Failed(CoreError),
}

impl CallRunner {
    pub async fn run(mut self) {
        // Not the event stream: reading every event of a 10,000-message flush would cost this
        // task a wake-up and a copy per event.
        let mut connected = self.shared.status().connected_again();
        connected.mark_unchanged();
        let mut rng = rand::rngs::StdRng::from_os_rng();
        let mut failures: u32 = 0;
        loop {
            let due = self.shared.outbox().read(|q| q.next_due());
            tokio::select! {
                biased;
                request = self.requests.recv() => {
                    let Some(op) = request else { return };
                    match self.run_one(&op).await {
                        Attempt::Answered => failures = 0,
                        Attempt::Failed(err) => {
                            failures = failures.saturating_add(1);
                            let floor = err.retry_after();
                            let wait = self.retry.delay(failures, &mut rng).max(floor.unwrap_or_default());
                            let now = Instant::now();
                            let (until, floor) = (now + wait, floor.map(|f| now + f));
                            tracing::info!(%err, ?wait, id = %op.id, "waits for the API");
                            self.shared.outbox().apply(|q| {
                                match op.action {
                                    Action::MarkRead { .. } | Action::RenameChat { .. } => {
                                        q.mark_failed(&op.chat_id, &op.id, until, floor)
                                    }
                                    _ => q.retry_at(&op.id, until, floor),
                                }
                                ((), Vec::new())
                            });
                        }
                    }
                }
                _ = sleep_until(due) => {
                    self.shared.outbox().apply(|q| ((), q.tick(Instant::now())));
                }
                changed = connected.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    failures = 0;
                    self.shared.outbox().apply(|q| ((), q.backend_back(Instant::now())));
                }
                // Something new may be due sooner than what this loop waits for.
                _ = self.shared.outbox().changed() => {}
            }
        }
    }

    /// Ask the backend for `op`; an answer (taken or refused for good) is kept and applied
    /// here, a failure that may pass is returned for the backoff.
    async fn run_one(&self, op: &Operation) -> Attempt {
        match &op.action {
            Action::MarkRead { msg_id } => self.mark_read(op, msg_id).await,
            // Deleted by the user while it waited its turn here: nothing to make.
            Action::CreateChat { .. } if self.shared.outbox().read(|q| q.get(&op.id).is_none()) => {
                Attempt::Answered
            }
            Action::CreateChat { title, member_ids } => {
                self.create_chat(op, title, member_ids).await
            }
            Action::RenameChat { title, previous } => self.rename_chat(op, title, previous).await,
            // Messages go over the live connection, never here.
            Action::SendMessage { .. } => Attempt::Answered,
        }
    }

    async fn mark_read(&self, op: &Operation, msg_id: &str) -> Attempt {
        let chat_id = &op.chat_id;
        tracing::debug!(%chat_id, %msg_id, "sending a read mark");
        match self.backend.mark_read(chat_id, msg_id).await {
            // The backend renews an expired token and reports the API's health; the mark waits.
            Err(err) if may_pass(&err) => return Attempt::Failed(err),
            Ok(()) => {}
            Err(err) => {
                // It will never take it: nothing to wait for.
                tracing::warn!(%chat_id, %err, "the server refused a read mark; dropped");
            }
        }
        if let Some(Err(err)) = self
            .shared
            .cache()
            .with_store(|s| s.read_mark_sent(chat_id, msg_id))
        {
            tracing::error!(%err, "could not record a delivered read mark");
        }
        self.shared
            .outbox()
            .apply(|q| ((), q.mark_answered(chat_id, &op.id, Instant::now())));
        Attempt::Answered
    }

    async fn rename_chat(&self, op: &Operation, title: &str, previous: &str) -> Attempt {
        let chat_id = &op.chat_id;
        match self.backend.rename_chat(chat_id, title).await {
            Err(err) if may_pass(&err) => return Attempt::Failed(err),
            // Every member (this user's other devices too) hears the new title as a chat update.
            Ok(()) => {
                if let Some(Err(err)) = self.shared.cache().with_store(|s| s.rename_done(&op.id)) {
                    tracing::error!(%err, "could not record a rename as done");
                }
            }
            Err(err) => {
                tracing::warn!(%chat_id, %err, "the server refused a rename; the chat keeps its title");
                if let Some(Err(err)) = self
                    .shared
                    .cache()
                    .with_store(|s| s.rename_refused(&op.id, title, previous))
                {
                    tracing::error!(%err, "could not record a refused rename");
                }
                self.shared
                    .update(|t| ((), t.rename_refused(chat_id, title, previous)));
            }
        }
        self.shared
            .outbox()
            .apply(|q| ((), q.mark_answered(chat_id, &op.id, Instant::now())));
        Attempt::Answered
    }

    async fn create_chat(&self, op: &Operation, title: &str, member_ids: &[String]) -> Attempt {
        let chat_id = &op.chat_id;
        match self.backend.create_chat(chat_id, title, member_ids).await {
            Err(err) if may_pass(&err) => Attempt::Failed(err),
            Ok(chat) if chat.chat_id == *chat_id => {
                // Kept first; then shown; then what was written in it goes.
                if let Some(Err(err)) = self
                    .shared
                    .cache()
                    .with_store(|s| s.chat_made(&ChatRow::from(&chat)))
                {
                    tracing::error!(%err, "could not record a new chat as made");
                }
                self.shared.update(|t| ((), t.chat_made(chat)));
                self.shared.outbox().apply(|q| ((), q.chat_made(chat_id)));
                Attempt::Answered
            }
            answer => {
                let reason = match answer {
                    Ok(other) => format!(
                        "the server made the chat under another id ({}), which this app cannot follow",
                        other.chat_id
                    ),
                    Err(err) => err.to_string(),
                };
                tracing::warn!(%chat_id, %reason, "the server refused a new chat");
                if let Some(Err(err)) = self
                    .shared
                    .cache()
                    .with_store(|s| s.set_chat_failure(chat_id, Some(&reason)))
                {
                    tracing::error!(%err, "could not record a refused new chat");
                }
                self.shared
                    .update(|t| ((), t.set_chat_failure(chat_id, Some(reason.clone()))));
                self.shared
                    .outbox()
                    .apply(|q| (q.refused(&op.id, reason), Vec::new()));
                Attempt::Answered
            }
        }
    }
}

/// A failure that trying again later can fix (the backend renews an expired token itself).
fn may_pass(err: &CoreError) -> bool {
    err.is_expired_session() || err.retryable()
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
