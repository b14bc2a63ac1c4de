//! The operation queue: every outgoing user action, from the moment it is kept until the server
//! has it.
//!
//! - [`Operation`] is the one description of an action's lifecycle ([`Lifecycle`]); nothing else
//!   in the core keeps a copy of whether an action is queued, submitted or refused.
//! - [`OpQueue`] is a sans-I/O state machine: inputs are the user's actions (submit, retry,
//!   edit, cancel), the backend's outcomes (acknowledged, refused), and files uploaded; outputs
//!   are [`Request`]s for the backend. It keeps per-chat order (an operation waits behind every
//!   earlier one in its chat), holds a chat behind an operation the server refused until the user
//!   decides, and waits for an operation's files before submitting it. No sockets, no SQLite, no
//!   clock: its tests drive it directly.
//! - [`Outbox`] is the one place the queue lives at run time: a leaf lock (nothing else is taken
//!   while it is held) that applies an input and hands the resulting requests to the connection
//!   in the order they were made.
//!
//! Durability is the store's: the caller writes an action to the `outbox` table before
//! submitting it here, and the queue is rebuilt from that table at every start
//! ([`OpQueue::restore`]). The idempotency key (`client_msg_id`) is made once, kept in both, and
//! used for every attempt, so the server stores an action once however often it is re-sent.

mod marks;
mod operation;
mod outbox;
mod queue;
mod submit;
#[cfg(test)]
mod tests;

pub(crate) use operation::{Action, OpError, Operation};
pub(crate) use outbox::Outbox;
pub(crate) use queue::OpQueue;
pub use submit::{Outgoing, Submitter};
