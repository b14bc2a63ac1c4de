//! The Outlast wire protocol, shared by the client core and the mock backend.
//!
//! This crate is the single source of truth for what crosses the network: gateway frames
//! (JSON text frames over WebSocket), REST payloads, limits and error codes. `docs/protocol.md`
//! describes the same thing for people; when the two disagree, this crate wins and the doc is
//! fixed.

mod discovery;
mod error_code;
mod frame;
mod limits;
mod rest;
mod secret;
mod types;

pub use discovery::{BackoffParams, DiscoveryConfig, Endpoint, Region};
pub use error_code::ErrorCode;
pub use frame::{
    decode_client_frame, decode_server_frame, encode_frame, ClientFrame, EventPayload, FrameError,
    Resume, SequencedEvent, ServerFrame,
};
pub use limits::{
    validate_body, validate_client_msg_id, ValidationError, MAX_BODY_CHARS, MAX_CHAT_MEMBERS,
    MAX_CLIENT_MSG_ID_LEN, MAX_EVENTS_PAGE, MAX_FILE_NAME_LEN, MAX_FRAME_BYTES, MAX_LONG_POLL_MS,
    MAX_PAGE_SIZE, MAX_TITLE_CHARS, MAX_UPLOAD_BYTES,
};
pub use rest::{
    ApiError, ChatInfo, ChatsResponse, CreateChatRequest, EventGap, EventsPage, LoginRequest,
    LoginResponse, MemberReadMark, MessagesPage, ReadRequest, RefreshRequest, RenameChatRequest,
    SendRequest, SendResponse, UploadResponse, HEADER_AUTHORIZATION,
};
pub use secret::{AccessToken, RefreshToken};
pub use types::{Attachment, MessageRecord, UserProfile};

/// Version of the protocol this crate speaks. The client sends it in `hello`; a server that
/// cannot speak it answers `error{code: unsupported_version}` and closes, so a mismatch is a
/// clear message instead of undefined behaviour.
///
/// Version 1: discovery, signed tokens with refresh, resume, nack retry-after, reconnect and
/// shed, REST send/sync/long-poll, read watermarks and media.
pub const PROTOCOL_VERSION: u32 = 1;

/// Heartbeat interval a server announces when it has no reason to choose another.
pub const DEFAULT_HEARTBEAT_INTERVAL_MS: u64 = 10_000;
