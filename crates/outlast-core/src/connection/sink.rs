//! Where the connection manager puts what it learns, in the core's terms (protocol v1's frames
//! are converted before they reach it). The client's timeline implements this; the benchmarks
//! plug in counters so thousands of supervisors can run in one process.

use std::time::Duration;

use super::health::Candidate;
use crate::domain::{Cursor, RemoteEvent};
use crate::model::{ConnectionState, ServiceState};
use crate::ops::Outgoing;

pub trait ConnectionSink: Send + Sync + 'static {
    /// The newest event applied: the resume and catch-up cursor. `None`: this sink keeps no
    /// history, so nothing is caught up after a session could not be resumed.
    fn cursor(&self) -> Option<Cursor>;
    /// An event from the server, possibly one already applied (duplicates must be harmless).
    fn apply_event(&self, at: Cursor, event: RemoteEvent);
    /// The server stored our message `client_msg_id` as `msg_id`; its event is at `at`.
    fn acked(&self, client_msg_id: &str, msg_id: String, at: Cursor);
    /// The server refused our message for good.
    fn refused(&self, client_msg_id: &str, reason: String);
    /// The server could not take our message now ("busy, retry after"): the core hands it over
    /// again, no sooner than `floor` from now, and a new link does not send it before then.
    fn retry_later(&self, _client_msg_id: &str, _floor: Duration) {}
    /// Messages handed over and not yet answered, oldest first, at most `limit`: what a new link
    /// sends (again) under their keys. The core's operation queue is their only keeper; a
    /// connection asks here instead of keeping copies. (A sink that never hands over messages
    /// has none.)
    fn unanswered(&self, _limit: usize) -> Vec<Outgoing> {
        Vec::new()
    }
    /// Events after `after` and before `resumes_at` (the first one still kept) are gone from the
    /// server's log.
    fn gap(&self, after: Cursor, resumes_at: Cursor);
    fn connection(&self, state: ConnectionState);
    fn service(&self, service: &str, state: ServiceState, detail: Option<String>);
    /// The server ended the sign-in for good (revoked, expired): only signing in again helps.
    /// Nothing local is deleted for it.
    fn sign_in_ended(&self, _reason: String) {}
    /// Write what was applied to durable storage soon, without waiting for it (the connection
    /// calls this when it pauses and when a catch-up ends; the sink writes on a task of its own).
    fn flush(&self) {}
    /// A catch-up has applied `done` of the `total` events it is fetching.
    fn progress(&self, _done: u64, _total: u64) {}
    /// A gateway connection attempt is starting (benchmarks count them).
    fn attempt(&self, _endpoint: &Candidate) {}
    /// A REST request is checking whether the API can carry traffic (benchmarks count them).
    fn rest_attempt(&self, _api: &str) {}
}
