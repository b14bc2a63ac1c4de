//! The seam between the core and a server: what the client needs from a backend once signed in,
//! in the core's own types ([`crate::domain`]).
//!
//! Protocol v1 ([`v1`]: discovery, auth, REST, gateways, regions, failover, REST fallback) is one
//! implementation; [`memory`] is another, in this process and scriptable (fail, delay, drop
//! acknowledgements, duplicate and reorder events) for fast tests. Both pass the same contract
//! suite (`backend::contract`); `docs/backend.md` states the contract for backend teams.
//!
//! Before a backend exists there is a [`Server`]: signing in to it (with a password, or with a
//! [`SignInSecret`] kept from an earlier run) yields the account's backend. A backend owns its
//! credentials (access tokens and when to renew them, the secret it hands the core to keep), its
//! endpoints and its retries within one request. It reports what it learns (events, outcomes, gaps, the health of
//! its services) to a [`ConnectionSink`]; the core decides what the user sees and what is kept.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::connection::ConnectionSink;
use crate::credentials::SignInSecret;
use crate::domain::{Attachment, Chat, Cursor, HistoryPage, Limits};
use crate::endpoint_list::ServerEndpoints;
use crate::model::{NamedService, Profile};
pub use crate::ops::{Outgoing, Submitter};
use crate::remembered_account::RememberedAccount;
pub use crate::transfer_progress::ProgressMeter;
use crate::CoreError;

#[cfg(test)]
pub(crate) mod contract;
pub mod memory;
#[cfg(test)]
pub(crate) mod sign_in_contract;
pub(crate) mod v1;

/// Protocol v1's kind of server ([`Server::protocol`]).
pub use v1::PROTOCOL as PROTOCOL_V1;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A server before anyone is signed in: where a sign-in starts.
///
/// Errors: [`CoreError::BadCredentials`] for a wrong password, [`CoreError::SignInAgain`] for a
/// kept secret the server no longer accepts (the core then deletes it), a retryable error when
/// the server cannot be reached.
pub trait Server: Send + Sync + 'static {
    /// The address the user typed: it names the account's local cache and keyring entry.
    fn address(&self) -> &str;

    /// Which kind of server this is (its protocol, e.g. [`PROTOCOL_V1`]). It is kept with the
    /// account, so that the next start restores a sign-in only on the same kind of server.
    fn protocol(&self) -> &'static str;

    /// The services a sign-in to this server reports on (see [`Backend::services`]).
    fn services(&self) -> Vec<NamedService>;

    /// Sign in with a password. `sink` hears the health of the services asked on the way, and
    /// later everything the backend reports.
    fn sign_in<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
        sink: Arc<dyn ConnectionSink>,
    ) -> BoxFuture<'a, Result<SignedIn, CoreError>>;

    /// Sign `account` in again with the secret kept from an earlier run, waiting for the server
    /// until `deadline` at most. A server that cannot be reached in time still gives a session
    /// ([`SignedIn::offline`]): it starts from the local cache and the backend completes the
    /// sign-in by itself once the server answers. An outage never signs anyone out.
    fn resume<'a>(
        &'a self,
        account: &'a RememberedAccount,
        secret: SignInSecret,
        deadline: Instant,
        sink: Arc<dyn ConnectionSink>,
    ) -> BoxFuture<'a, Result<SignedIn, CoreError>>;
}

/// A signed-in account, before its session starts.
pub struct SignedIn {
    pub user: Profile,
    pub backend: Arc<dyn Backend>,
    /// Why the server could not confirm a resumed sign-in now; the session starts from the
    /// local cache.
    pub offline: Option<String>,
    /// Work the sign-in needs for as long as it lasts (renewing credentials, watching services
    /// the session does not call all the time), not started yet: the session starts it once it
    /// is set up (so it does not compete with reading the cache) and stops it when it ends.
    pub work: Vec<Task>,
}

/// A piece of background work, not started yet.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Why a start went on without the server: it took calls and did not answer in time.
pub(crate) const NO_ANSWER_AT_START: &str = "no answer within the start's patience";

/// `request`'s answer if it comes by `deadline` (the start's patience); after that `server`
/// counts as unreachable.
pub(crate) async fn by_deadline<T>(
    deadline: Instant,
    server: &str,
    request: impl Future<Output = Result<T, CoreError>>,
) -> Result<T, CoreError> {
    tokio::time::timeout_at(deadline, request)
        .await
        .unwrap_or_else(|_| {
            Err(CoreError::Unreachable {
                server: server.to_owned(),
                reason: NO_ANSWER_AT_START.to_owned(),
            })
        })
}

/// Background tasks that stop when their owner drops them.
#[derive(Default)]
pub struct Tasks(Vec<JoinHandle<()>>);

impl Tasks {
    pub fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.push(tokio::spawn(task));
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// What the client needs from a server for a signed-in account.
///
/// Errors: a retryable [`CoreError`] (`retryable()`) means "try again later, nothing happened
/// for good"; [`CoreError::Server`] with a non-retryable code is a final refusal. A backend never
/// panics on what a server sends.
pub trait Backend: Send + Sync + 'static {
    /// The backend's services, each of which can be down on its own, in the order the user
    /// should see them. Health reports to the sink ([`ConnectionSink::service`]) name them by id.
    fn services(&self) -> Vec<NamedService>;

    /// What the server accepts (body length, file size, chat size, page size): the core refuses
    /// more before anything is kept or queued.
    fn limits(&self) -> Limits;

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

    /// Rename `chat_id` to `title` (setting, not toggling: asking again is harmless); every member
    /// hears of it as a chat update.
    fn rename_chat<'a>(
        &'a self,
        chat_id: &'a str,
        title: &'a str,
    ) -> BoxFuture<'a, Result<(), CoreError>>;

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

    /// The secret that restores this sign-in in a later run, now and each time the backend
    /// renews it (a server may rotate it); the core keeps the latest in the vault. `None`: this
    /// sign-in cannot be restored.
    fn kept_secret(&self) -> Option<watch::Receiver<SignInSecret>>;

    /// End the sign-in at the server, which forgets the secret. Brief and best effort: signing
    /// out must work during an outage too (the core forgets the secret either way).
    fn sign_out(&self) -> BoxFuture<'_, Result<(), CoreError>>;

    /// Every endpoint this session may use, for Settings; `None` for a backend without a list.
    fn endpoints(&self) -> Option<ServerEndpoints> {
        None
    }
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
