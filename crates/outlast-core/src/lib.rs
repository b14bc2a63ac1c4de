//! Outlast's client engine, with no UI dependency.
//!
//! Front ends hold a [`Client`], call its methods and render from the [`CoreEvent`]s of
//! [`Client::subscribe`]. Inside, the connection task owns the gateway socket and a timeline holds
//! the account's chats and messages; see `docs/architecture.md`.

mod api;
mod backoff;
mod client;
mod endpoints;
mod error;
mod gateway;
pub mod model;
mod shared;
mod timeline;

pub use client::Client;
pub use error::CoreError;
pub use gateway::ConnectionSettings;
pub use model::{
    ChatMessage, ChatSummary, ConnectionState, CoreEvent, MessageState, Profile, SessionInfo,
};
