//! REST payloads (JSON over HTTP). Paths are listed in `docs/protocol.md`.

use serde::{Deserialize, Serialize};

use crate::{
    AccessToken, Attachment, ErrorCode, MessageRecord, RefreshToken, SequencedEvent, UserProfile,
};

/// Requests carry `Authorization: Bearer <access_token>`.
pub const HEADER_AUTHORIZATION: &str = "authorization";

/// `POST /v1/login` (auth service)
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

// A hand-written Debug keeps the password out of any log line that prints a request.
impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Answer to a successful login or token refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Short-lived, signed: gateways and the API verify it without the auth service.
    pub access_token: AccessToken,
    /// When the access token stops being accepted (ms since the Unix epoch).
    pub access_expires_at_ms: u64,
    /// Long-lived; exchanged at `POST /v1/refresh` for a new access token. Keep it in the OS
    /// keyring only.
    pub refresh_token: RefreshToken,
    pub user: UserProfile,
}

/// `POST /v1/refresh` (auth service)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRequest {
    pub refresh_token: RefreshToken,
}

/// One chat the user is a member of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatInfo {
    pub chat_id: String,
    pub title: String,
    pub members: Vec<UserProfile>,
    pub last_message: Option<MessageRecord>,
    /// How far each member has read (members who have read nothing are left out): clients show
    /// per-message read counts from these, and keep them current with `read` events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_marks: Vec<MemberReadMark>,
}

/// `user_id` has read the chat up to `msg_id`, a message stored at `sent_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberReadMark {
    pub user_id: String,
    pub msg_id: String,
    pub sent_at_ms: u64,
}

/// `GET /v1/chats`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatsResponse {
    pub chats: Vec<ChatInfo>,
}

/// `GET /v1/chats/{chat_id}/messages?before=<msg_id>&limit=<n>`: oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagesPage {
    pub messages: Vec<MessageRecord>,
    /// True when older messages exist before the first one in this page.
    pub has_more: bool,
}

/// `POST /v1/messages`: send over REST (when no gateway is reachable). Idempotent by
/// `client_msg_id`, exactly like the gateway's `send`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    pub client_msg_id: String,
    pub chat_id: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// Answer to `POST /v1/messages`: the same facts as a gateway `ack`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResponse {
    pub msg_id: String,
    pub seq: u64,
}

/// `GET /v1/events?after=<seq>&limit=<n>&wait_ms=<ms>`: the user's events after `after`, in
/// order. With `wait_ms` it is a long-poll: the answer waits up to that long for a first event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsPage {
    pub events: Vec<SequencedEvent>,
    /// The user's latest sequence number: `has_more` pages remain while `last_seq` is ahead of
    /// the last event returned, which lets clients show "updating n of m".
    pub last_seq: u64,
    pub has_more: bool,
    /// Set when events after `after` are no longer kept: the client records a history gap and
    /// fills it from the chats' history pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<EventGap>,
}

/// Events the server no longer has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventGap {
    /// The first sequence number still available.
    pub first_available_seq: u64,
}

/// `POST /v1/chats`: start a group chat. Every member gets a `chat_updated` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateChatRequest {
    pub title: String,
    /// Other members; the creator is always a member.
    pub member_ids: Vec<String>,
    /// The id the creator chose for the chat (printable, at most
    /// [`crate::MAX_CLIENT_MSG_ID_LEN`] bytes; clients use `c-` and a random UUID). It is also the
    /// request's idempotency key: the same creator asking again with the same id gets the chat
    /// made the first time, announced once. Without it the server picks the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
}

/// `PUT /v1/chats/{chat_id}/title`: rename a chat. Every member gets a `chat_updated` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenameChatRequest {
    pub title: String,
}

/// `POST /v1/chats/{chat_id}/read`: the user has read up to `msg_id`. Watermarks only move
/// forward; an older one is accepted and ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadRequest {
    pub msg_id: String,
}

/// Answer to `POST /v1/media` (the file is the request body; `x-file-name` and `content-type`
/// headers name it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    pub attachment: Attachment,
}

/// Body of every non-2xx REST answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub retryable: bool,
    /// Mirrors the `Retry-After` header in milliseconds, when the server set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            retryable: code.is_retryable(),
            retry_after_ms: None,
        }
    }
}
