//! What the core tells its front ends. These types cross the Tauri IPC boundary as JSON; ts-rs
//! generates their TypeScript twins into `ui/src/lib/bindings/` when `cargo test` runs, so the
//! UI never keeps a hand-written copy.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A person as the UI shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Profile {
    pub user_id: String,
    pub display_name: String,
}

/// Where a message is on its way to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum MessageState {
    /// Kept locally, not yet acknowledged by the server.
    Pending,
    /// Stored by the server (or received from it).
    Sent,
    /// Refused by the server for good; `failure` says why.
    Failed,
}

/// One message in a chat, own or others'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChatMessage {
    /// Set for messages this account sent: the idempotency key that stays the same on every retry.
    pub client_msg_id: Option<String>,
    /// Server id; `None` until the server acknowledges the message.
    pub msg_id: Option<String>,
    pub chat_id: String,
    pub sender_id: String,
    pub sender_name: String,
    pub body: String,
    #[ts(type = "number")]
    pub sent_at_ms: u64,
    /// Position in this account's event sequence, once known.
    #[ts(type = "number | null")]
    pub seq: Option<u64>,
    pub state: MessageState,
    /// Why the message failed, in words for the user.
    pub failure: Option<String>,
    /// Written by the signed-in user.
    pub own: bool,
}

impl ChatMessage {
    /// Whether `other` is the same message (possibly in another state).
    pub fn same_as(&self, other: &ChatMessage) -> bool {
        match (&self.client_msg_id, &other.client_msg_id) {
            (Some(a), Some(b)) => a == b,
            _ => self.msg_id.is_some() && self.msg_id == other.msg_id,
        }
    }
}

/// One entry of the chat list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChatSummary {
    pub chat_id: String,
    pub title: String,
    pub member_names: Vec<String>,
    pub last_message: Option<ChatMessage>,
    pub unread_count: u32,
}

/// The state of the path to the backend, as one value the UI can render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum ConnectionState {
    /// No account is signed in; nothing connects.
    SignedOut,
    /// Opening a gateway connection to `endpoint`.
    Connecting { endpoint: String },
    /// Live on `endpoint`.
    Connected {
        endpoint: String,
        session_id: String,
    },
    /// Not connected; the next attempt starts in `retry_in_ms`.
    Waiting {
        #[ts(type = "number")]
        retry_in_ms: u64,
        reason: String,
    },
}

/// Who is signed in, where, and how the connection is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionInfo {
    pub user: Profile,
    pub server: String,
    pub connection: ConnectionState,
}

/// Everything the core announces. Front ends subscribe once and render from these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum CoreEvent {
    /// A message appeared in a chat (sent here, or received).
    MessageAdded {
        message: ChatMessage,
    },
    /// A known message changed state (e.g. pending -> sent); identified by `same_as`.
    MessageUpdated {
        message: ChatMessage,
    },
    /// A chat's summary changed (last message, unread count).
    ChatUpdated {
        chat: ChatSummary,
    },
    ConnectionChanged {
        state: ConnectionState,
    },
}
