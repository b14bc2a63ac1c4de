//! The seam between the core and a server: what the client needs from a backend once signed in,
//! in the core's own types ([`crate::domain`]).
//!
//! Protocol v1 ([`v1`]: discovery, auth, REST, gateways, regions, failover, REST fallback) is one
//! implementation; [`memory`] is another, in this process and scriptable (fail, delay, drop
//! acknowledgements, duplicate and reorder events) for fast tests. Both pass the same contract
//! suite (`backend::contract`); `docs/backend.md` states the contract for backend teams.
//!
//! A backend owns its credentials (access tokens and when to renew them), its endpoints and its
//! retries within one request. It reports what it learns (events, outcomes, gaps, the health of
//! its services) to a [`ConnectionSink`]; the core decides what the user sees and what is kept.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::connection::ConnectionSink;
use crate::domain::{Attachment, Chat, Cursor, HistoryPage};
use crate::model::NamedService;
pub use crate::ops::{Outgoing, Submitter};
pub use crate::transfer_progress::ProgressMeter;
use crate::CoreError;

#[cfg(test)]
pub(crate) mod contract;
pub mod memory;
pub(crate) mod v1;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the client needs from a server for a signed-in account.
///
/// Errors: a retryable [`CoreError`] (`retryable()`) means "try again later, nothing happened
/// for good"; [`CoreError::Server`] with a non-retryable code is a final refusal. A backend never
/// panics on what a server sends.
pub trait Backend: Send + Sync + 'static {
    /// The backend's services, each of which can be down on its own, in the order the user
    /// should see them. Health reports to the sink ([`ConnectionSink::service`]) name them by id.
    fn services(&self) -> Vec<NamedService>;

    /// The server's picture now: where the account's event log ends and its chats. Events after
    /// `head` are delivered by [`Backend::connect`].
    fn first_view(&self) -> BoxFuture<'_, Result<FirstView, CoreError>>;

    /// Up to `limit` messages of `chat_id` just older than `before` (the newest without it),
    /// oldest first.
    fn history<'a>(
        &'a self,
        chat_id: &'a str,
        before: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<HistoryPage, CoreError>>;

    /// Start a chat with `member_ids` (the account is always a member), under the id the client
    /// chose: `chat_id` is also the idempotency key, so asking again (after an answer was lost)
    /// returns the chat made the first time, and its members hear of it once. The chat returned
    /// has that id.
    fn create_chat<'a>(
        &'a self,
        chat_id: &'a str,
        title: &'a str,
        member_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Chat, CoreError>>;

    /// The account has read `chat_id` up to `msg_id`. Marks only move forward: an older one is
    /// accepted and ignored.
    fn mark_read<'a>(
        &'a self,
        chat_id: &'a str,
        msg_id: &'a str,
    ) -> BoxFuture<'a, Result<(), CoreError>>;

    /// Store a file for a message; `meter` counts the bytes as they go.
    fn upload<'a>(
        &'a self,
        file: Upload<'a>,
        meter: &'a ProgressMeter,
    ) -> BoxFuture<'a, Result<Attachment, CoreError>>;

    /// A stored file's bytes, at most `max_bytes`; `meter` counts them as they come.
    fn download<'a>(
        &'a self,
        media_id: &'a str,
        max_bytes: u64,
        meter: &'a ProgressMeter,
    ) -> BoxFuture<'a, Result<Vec<u8>, CoreError>>;

    /// Go live: deliver every event after `sink.cursor()` to `sink`, in order, for as long as
    /// the returned handle lives, reconnecting on its own; report a gap when events are gone;
    /// submit what is handed to [`Live::submitter`] under its idempotency key until the backend
    /// answers with an outcome (`sink.acked` or `sink.refused`).
    fn connect(&self, sink: Arc<dyn ConnectionSink>) -> Result<Box<dyn Live>, CoreError>;
}

/// A running live connection; dropping it stops it.
pub trait Live: Send + Sync {
    /// Where operations go: delivered in the order handed, each until it has an outcome.
    fn submitter(&self) -> Submitter;
    /// Skip the current wait and try to connect now (the user asked).
    fn reconnect_now(&self);
}

/// The server's picture at the start of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstView {
    /// The newest event in the account's log.
    pub head: Cursor,
    pub chats: Vec<Chat>,
}

/// A file to store.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    pub name: &'a str,
    pub mime: &'a str,
    pub bytes: bytes::Bytes,
}
