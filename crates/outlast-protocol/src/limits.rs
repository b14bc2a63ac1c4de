//! Limits both sides enforce, so a bad peer gets a clear error instead of an unbounded buffer.

use thiserror::Error;

/// Largest gateway frame (bytes of UTF-8 JSON) either side accepts.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest message body, in Unicode scalar values.
pub const MAX_BODY_CHARS: usize = 4_000;
/// Longest client message id, in bytes. UUIDs are 36.
pub const MAX_CLIENT_MSG_ID_LEN: usize = 64;
/// Largest page a history request may ask for.
pub const MAX_PAGE_SIZE: usize = 200;
/// Largest page of events a sync request may ask for.
pub const MAX_EVENTS_PAGE: usize = 500;
/// Longest a long-poll may be asked to wait.
pub const MAX_LONG_POLL_MS: u64 = 30_000;
/// Longest chat title, in Unicode scalar values.
pub const MAX_TITLE_CHARS: usize = 100;
/// Most members of one chat.
pub const MAX_CHAT_MEMBERS: usize = 500;
/// Largest attachment the media service accepts.
pub const MAX_UPLOAD_BYTES: usize = 25 * 1024 * 1024;
/// Longest attachment file name, in bytes.
pub const MAX_FILE_NAME_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidationError {
    #[error("the message is empty")]
    EmptyBody,
    #[error("the message is {chars} characters long; the limit is {limit}")]
    BodyTooLong { chars: usize, limit: usize },
    #[error("the client message id must be 1 to {limit} printable ASCII characters")]
    BadClientMsgId { limit: usize },
}

/// A body must contain something besides whitespace and stay within [`MAX_BODY_CHARS`].
pub fn validate_body(body: &str) -> Result<(), ValidationError> {
    if body.trim().is_empty() {
        return Err(ValidationError::EmptyBody);
    }
    // Counting stops one past the limit so a hostile 10 MB body costs no more than a legal one.
    let chars = body.chars().take(MAX_BODY_CHARS + 1).count();
    if chars > MAX_BODY_CHARS {
        return Err(ValidationError::BodyTooLong {
            chars: body.chars().count(),
            limit: MAX_BODY_CHARS,
        });
    }
    Ok(())
}

/// Client message ids are opaque to the server but end up in logs and keys, so they are kept
/// short and printable.
pub fn validate_client_msg_id(id: &str) -> Result<(), ValidationError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_CLIENT_MSG_ID_LEN
        && id.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(ValidationError::BadClientMsgId {
            limit: MAX_CLIENT_MSG_ID_LEN,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_rules() {
        assert_eq!(validate_body(""), Err(ValidationError::EmptyBody));
        assert_eq!(validate_body(" \n\t "), Err(ValidationError::EmptyBody));
        assert!(validate_body("안녕하세요").is_ok());
        assert!(validate_body(&"가".repeat(MAX_BODY_CHARS)).is_ok());
        assert_eq!(
            validate_body(&"a".repeat(MAX_BODY_CHARS + 5)),
            Err(ValidationError::BodyTooLong {
                chars: MAX_BODY_CHARS + 5,
                limit: MAX_BODY_CHARS
            })
        );
    }

    #[test]
    fn client_msg_id_rules() {
        assert!(validate_client_msg_id("3f1c2a8e-0000-4000-8000-000000000000").is_ok());
        assert!(validate_client_msg_id("").is_err());
        assert!(validate_client_msg_id("has space").is_err());
        assert!(validate_client_msg_id(&"x".repeat(MAX_CLIENT_MSG_ID_LEN + 1)).is_err());
    }
}
