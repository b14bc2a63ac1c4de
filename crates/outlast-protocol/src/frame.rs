//! Gateway frames: one JSON object per WebSocket text message, discriminated by `type`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{AccessToken, ChatInfo, ErrorCode, MessageRecord, MAX_FRAME_BYTES};

/// Frames a client sends to the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// First frame of every connection.
    Hello {
        protocol_version: u32,
        /// Access token from login; its `Debug` is redacted. Gateways verify its signature
        /// themselves, so an auth-service outage does not end sessions.
        token: AccessToken,
        /// Continue an earlier session: the server replays the events after `last_seq` if its
        /// bounded replay buffer still holds them, else answers `resumed: false`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume: Option<Resume>,
    },
    /// App-level liveness probe. TCP keepalive is far too slow to notice a black-holed link.
    Ping { nonce: u64 },
    /// A new message. `client_msg_id` is the idempotency key: the server stores a message once
    /// per (user, client_msg_id) however often it is sent.
    Send {
        client_msg_id: String,
        chat_id: String,
        body: String,
        /// Files uploaded to the media service first; the message references them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<crate::Attachment>,
    },
}

impl ClientFrame {
    const TYPES: &'static [&'static str] = &["hello", "ping", "send"];
}

/// Frames the gateway sends to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ServerFrame {
    /// Answer to `hello`: the connection is live.
    Welcome {
        protocol_version: u32,
        session_id: String,
        user_id: String,
        /// The client pings at this interval and treats a missing pong as a dead link.
        heartbeat_interval_ms: u64,
        /// True when the requested resume succeeded and the missed events follow. False after a
        /// refused resume: the client must catch up over REST from its stored cursor.
        #[serde(default)]
        resumed: bool,
    },
    Pong {
        nonce: u64,
    },
    /// The message with this client id is stored: `msg_id` is its server id and `seq` the
    /// position of its event in the sender's per-user sequence.
    Ack {
        client_msg_id: String,
        msg_id: String,
        seq: u64,
    },
    /// The message with this client id was not stored.
    Nack {
        client_msg_id: String,
        code: ErrorCode,
        message: String,
        retryable: bool,
        /// Do not resend before this many milliseconds (a floor, not a schedule).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// Something happened that this user should know; `seq` increases by one per event per user.
    Event {
        seq: u64,
        event: EventPayload,
    },
    /// A connection-level error; the server closes the connection after sending it.
    Error {
        code: ErrorCode,
        message: String,
    },
    /// The server wants this client elsewhere (drain, rebalancing): open a new connection, to
    /// `endpoint_hint` if given, then close this one. This connection keeps working meanwhile.
    Reconnect {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint_hint: Option<String>,
        reason: String,
    },
    /// The server is overloaded: it closes this connection; connect again no sooner than
    /// `retry_after_ms` (plus jitter).
    Shed {
        retry_after_ms: u64,
    },
}

impl ServerFrame {
    const TYPES: &'static [&'static str] = &[
        "welcome",
        "pong",
        "ack",
        "nack",
        "event",
        "error",
        "reconnect",
        "shed",
    ];
}

/// What an `event` frame carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventPayload {
    /// A message was stored in a chat the user belongs to (including the user's own messages sent
    /// from another session).
    MessageCreated { message: MessageRecord },
    /// `user_id` has read `chat_id` up to and including `msg_id`.
    ReadWatermark {
        chat_id: String,
        user_id: String,
        msg_id: String,
    },
    /// A chat's metadata changed, or the user joined a chat.
    ChatUpdated { chat: ChatInfo },
}

/// Where a resumed session left off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resume {
    pub session_id: String,
    /// Highest event sequence the client has applied.
    pub last_seq: u64,
}

/// An event with its place in the user's sequence, as REST sync pages carry them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequencedEvent {
    pub seq: u64,
    pub event: EventPayload,
}

/// Why a frame could not be decoded. Each case names what was wrong so the peer (and the log)
/// gets a clear reason rather than a serde dump.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    #[error("frame of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("frame is not a JSON object with a string \"type\" field")]
    MissingType,
    #[error("unknown frame type {0:?}")]
    UnknownType(String),
    #[error("malformed {frame_type:?} frame: {reason}")]
    Malformed { frame_type: String, reason: String },
}

impl FrameError {
    /// The code to report to the peer for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            FrameError::TooLarge { .. } => ErrorCode::FrameTooLarge,
            FrameError::UnknownType(_) => ErrorCode::UnknownFrameType,
            FrameError::MissingType | FrameError::Malformed { .. } => ErrorCode::MalformedFrame,
        }
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    frame_type: std::borrow::Cow<'a, str>,
}

fn decode<T: for<'de> Deserialize<'de>>(text: &str, known: &[&str]) -> Result<T, FrameError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge {
            size: text.len(),
            limit: MAX_FRAME_BYTES,
        });
    }
    let envelope: Envelope<'_> = serde_json::from_str(text).map_err(|_| FrameError::MissingType)?;
    if !known.contains(&envelope.frame_type.as_ref()) {
        return Err(FrameError::UnknownType(truncate(&envelope.frame_type, 40)));
    }
    serde_json::from_str(text).map_err(|e| FrameError::Malformed {
        frame_type: envelope.frame_type.into_owned(),
        reason: e.to_string(),
    })
}

/// Decode a frame received by the server.
pub fn decode_client_frame(text: &str) -> Result<ClientFrame, FrameError> {
    decode(text, ClientFrame::TYPES)
}

/// Decode a frame received by the client.
pub fn decode_server_frame(text: &str) -> Result<ServerFrame, FrameError> {
    decode(text, ServerFrame::TYPES)
}

/// Encode any frame as the JSON text that goes on the wire.
pub fn encode_frame<T: Serialize>(frame: &T) -> String {
    // Frames are plain data (strings, integers, enums): serialisation cannot fail.
    serde_json::to_string(frame).expect("frames always serialise")
}

fn truncate(s: &str, max_chars: usize) -> String {
    let mut out: String = s.chars().take(max_chars).collect();
    if s.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> MessageRecord {
        MessageRecord {
            msg_id: "m-1".into(),
            chat_id: "c-1".into(),
            sender_id: "u-bob".into(),
            client_msg_id: Some("cm-1".into()),
            body: "안녕하세요 <b>hi</b>".into(),
            sent_at_ms: 1_700_000_000_000,
            attachments: vec![],
        }
    }

    #[test]
    fn every_client_frame_round_trips() {
        let frames = [
            ClientFrame::Hello {
                protocol_version: crate::PROTOCOL_VERSION,
                token: AccessToken::new("t"),
                resume: None,
            },
            ClientFrame::Hello {
                protocol_version: crate::PROTOCOL_VERSION,
                token: AccessToken::new("t"),
                resume: Some(Resume {
                    session_id: "s-1".into(),
                    last_seq: 41,
                }),
            },
            ClientFrame::Ping { nonce: 42 },
            ClientFrame::Send {
                client_msg_id: "cm-1".into(),
                chat_id: "c-1".into(),
                body: "hello\nworld".into(),
                attachments: vec![],
            },
        ];
        assert_eq!(frames.len(), ClientFrame::TYPES.len() + 1);
        for frame in frames {
            let text = encode_frame(&frame);
            assert_eq!(decode_client_frame(&text).unwrap(), frame, "{text}");
        }
    }

    #[test]
    fn every_server_frame_round_trips() {
        let frames = [
            ServerFrame::Welcome {
                protocol_version: 0,
                session_id: "s".into(),
                user_id: "u".into(),
                heartbeat_interval_ms: 15_000,
                resumed: true,
            },
            ServerFrame::Pong { nonce: 7 },
            ServerFrame::Ack {
                client_msg_id: "cm".into(),
                msg_id: "m".into(),
                seq: 3,
            },
            ServerFrame::Nack {
                client_msg_id: "cm".into(),
                code: ErrorCode::InvalidMessage,
                message: "empty".into(),
                retryable: false,
                retry_after_ms: None,
            },
            ServerFrame::Nack {
                client_msg_id: "cm".into(),
                code: ErrorCode::Unavailable,
                message: "busy".into(),
                retryable: true,
                retry_after_ms: Some(2_000),
            },
            ServerFrame::Event {
                seq: 4,
                event: EventPayload::MessageCreated { message: message() },
            },
            ServerFrame::Event {
                seq: 5,
                event: EventPayload::ReadWatermark {
                    chat_id: "c-1".into(),
                    user_id: "u-bob".into(),
                    msg_id: "m-1".into(),
                },
            },
            ServerFrame::Event {
                seq: 6,
                event: EventPayload::ChatUpdated {
                    chat: ChatInfo {
                        chat_id: "c-1".into(),
                        title: "Team".into(),
                        members: vec![],
                        last_message: None,
                        read_marks: vec![],
                    },
                },
            },
            ServerFrame::Error {
                code: ErrorCode::Unauthorized,
                message: "bad token".into(),
            },
            ServerFrame::Reconnect {
                endpoint_hint: Some("gw-b1".into()),
                reason: "draining".into(),
            },
            ServerFrame::Reconnect {
                endpoint_hint: None,
                reason: "rebalancing".into(),
            },
            ServerFrame::Shed {
                retry_after_ms: 5_000,
            },
        ];
        // Every type at least once (some twice, to cover optional fields).
        assert_eq!(frames.len(), ServerFrame::TYPES.len() + 4);
        for frame in frames {
            let text = encode_frame(&frame);
            assert_eq!(decode_server_frame(&text).unwrap(), frame, "{text}");
        }
    }

    #[test]
    fn wire_shape_is_tagged_by_type() {
        let text = encode_frame(&ClientFrame::Ping { nonce: 1 });
        assert_eq!(text, r#"{"type":"ping","nonce":1}"#);
    }

    #[test]
    fn oversized_frame_is_rejected_before_parsing() {
        let body = "x".repeat(MAX_FRAME_BYTES);
        let text =
            format!(r#"{{"type":"send","client_msg_id":"a","chat_id":"c","body":"{body}"}}"#);
        let err = decode_client_frame(&text).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge { .. }), "{err}");
        assert_eq!(err.code(), ErrorCode::FrameTooLarge);
        // Ten mebibytes, as a hostile peer might send, is rejected the same way.
        let huge = "[".repeat(10 * 1024 * 1024);
        assert!(matches!(
            decode_server_frame(&huge),
            Err(FrameError::TooLarge { .. })
        ));
    }

    #[test]
    fn unknown_frame_type_is_named() {
        let err = decode_client_frame(r#"{"type":"teleport","to":"mars"}"#).unwrap_err();
        assert_eq!(err, FrameError::UnknownType("teleport".into()));
        assert_eq!(err.code(), ErrorCode::UnknownFrameType);
        assert_eq!(err.to_string(), "unknown frame type \"teleport\"");
        // A server frame type is unknown to the server and vice versa.
        assert!(matches!(
            decode_client_frame(r#"{"type":"welcome"}"#),
            Err(FrameError::UnknownType(_))
        ));
    }

    #[test]
    fn malformed_frames_get_clear_errors() {
        for text in ["", "not json", "[]", "{}", r#"{"type":5}"#, "\u{feff}{"] {
            assert_eq!(
                decode_client_frame(text),
                Err(FrameError::MissingType),
                "{text:?}"
            );
        }
        let err = decode_client_frame(r#"{"type":"ping","nonce":"soon"}"#).unwrap_err();
        assert!(matches!(&err, FrameError::Malformed { frame_type, .. } if frame_type == "ping"));
        assert_eq!(err.code(), ErrorCode::MalformedFrame);
        // Extra fields are refused so typos do not pass silently.
        assert!(matches!(
            decode_client_frame(r#"{"type":"ping","nonce":1,"extra":true}"#),
            Err(FrameError::Malformed { .. })
        ));
    }

    #[test]
    fn debug_of_hello_never_contains_the_token() {
        let hello = ClientFrame::Hello {
            protocol_version: 0,
            token: AccessToken::new("super-secret-token"),
            resume: None,
        };
        assert!(!format!("{hello:?}").contains("super-secret"));
    }
}
