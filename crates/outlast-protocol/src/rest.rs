//! REST payloads (JSON over HTTP). Paths are listed in `docs/protocol.md`.

use serde::{Deserialize, Serialize};

use crate::{AccessToken, ErrorCode, MessageRecord, UserProfile};

/// Requests carry `Authorization: Bearer <access_token>`.
pub const HEADER_AUTHORIZATION: &str = "authorization";

/// `POST /v0/login`
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

/// Answer to a successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub access_token: AccessToken,
    pub user: UserProfile,
    /// WebSocket URL of the gateway this user should connect to.
    pub gateway_url: String,
}

/// One chat the user is a member of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatInfo {
    pub chat_id: String,
    pub title: String,
    pub members: Vec<UserProfile>,
    pub last_message: Option<MessageRecord>,
}

/// `GET /v0/chats`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatsResponse {
    pub chats: Vec<ChatInfo>,
}

/// `GET /v0/chats/{chat_id}/messages?before=<msg_id>&limit=<n>`: oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagesPage {
    pub messages: Vec<MessageRecord>,
    /// True when older messages exist before the first one in this page.
    pub has_more: bool,
}

/// Body of every non-2xx REST answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub retryable: bool,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            retryable: code.is_retryable(),
        }
    }
}
