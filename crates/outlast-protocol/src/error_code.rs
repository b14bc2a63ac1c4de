use serde::{Deserialize, Serialize};

/// Machine-readable error codes used in `nack`, `error` frames and REST error bodies.
///
/// Codes are stable strings on the wire (`snake_case`); clients branch on them, people read the
/// accompanying message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The client's protocol version is not spoken by this server.
    UnsupportedVersion,
    /// Missing, unknown or expired credentials.
    Unauthorized,
    /// Username/password pair not accepted at login.
    BadCredentials,
    /// A frame exceeded [`crate::MAX_FRAME_BYTES`].
    FrameTooLarge,
    /// A frame was not valid JSON or did not match its declared type.
    MalformedFrame,
    /// A frame declared a `type` this side does not know.
    UnknownFrameType,
    /// A frame arrived that is not allowed in the current state (e.g. `send` before `hello`).
    UnexpectedFrame,
    /// A message failed validation (empty, too long, bad id).
    InvalidMessage,
    /// The chat does not exist or the user is not a member of it.
    UnknownChat,
    /// The access token's time is up: refresh it (the session itself is fine).
    TokenExpired,
    /// The server is temporarily unable to serve; retry later.
    Unavailable,
    /// The server is shedding load; retry no sooner than its retry-after.
    Overloaded,
    /// No such attachment on the media service.
    UnknownMedia,
    /// An upload or request body exceeds the stated limit.
    PayloadTooLarge,
    /// A bug on the server side.
    Internal,
}

impl ErrorCode {
    /// Whether repeating the same request later can succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::Unavailable | ErrorCode::Overloaded | ErrorCode::Internal
        )
    }

    /// The wire spelling, for logs and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::MalformedFrame => "malformed_frame",
            ErrorCode::UnknownFrameType => "unknown_frame_type",
            ErrorCode::UnexpectedFrame => "unexpected_frame",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::UnknownChat => "unknown_chat",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::UnknownMedia => "unknown_media",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spelling_matches_as_str() {
        for code in [
            ErrorCode::UnsupportedVersion,
            ErrorCode::Unauthorized,
            ErrorCode::BadCredentials,
            ErrorCode::FrameTooLarge,
            ErrorCode::MalformedFrame,
            ErrorCode::UnknownFrameType,
            ErrorCode::UnexpectedFrame,
            ErrorCode::InvalidMessage,
            ErrorCode::UnknownChat,
            ErrorCode::TokenExpired,
            ErrorCode::Unavailable,
            ErrorCode::Overloaded,
            ErrorCode::UnknownMedia,
            ErrorCode::PayloadTooLarge,
            ErrorCode::Internal,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
