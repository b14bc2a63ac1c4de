//! What the client means, whatever server it talks to: messages, chats, attachments, the events
//! a backend reports and the cursor that resumes them.
//!
//! The timeline, the store and the operation queue speak only these types. A backend converts its
//! own wire format at its edge (protocol v1: `backend::v1::convert`), so a second protocol is a
//! second converter, not a change through the core.

use serde::{Deserialize, Serialize};

use crate::model::{MessageAttachment, Profile};

/// A position in the account's event log, issued by the backend.
///
/// The core stores the newest one it applied and hands it back to resume; it compares cursors
/// (a later event has a greater cursor) and never computes one. Protocol v1 uses the per-user
/// event sequence number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor(u64);

impl Cursor {
    /// The start of the log: nothing applied yet.
    pub const START: Cursor = Cursor(0);

    /// The cursor a backend issued as this number.
    pub fn from_backend(position: u64) -> Cursor {
        Cursor(position)
    }

    /// The number to persist or hand back to the backend that issued it.
    pub fn position(self) -> u64 {
        self.0
    }
}

/// A message a server stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The server's id, unique across the backend; ids sort in the server's storage order.
    pub msg_id: String,
    pub chat_id: String,
    pub sender_id: String,
    /// The sender's idempotency key, when the server reports it: how this account recognises its
    /// own message after a lost acknowledgement or from another device.
    pub client_msg_id: Option<String>,
    pub body: String,
    /// When the server stored it, milliseconds since the Unix epoch.
    pub sent_at_ms: u64,
    pub attachments: Vec<Attachment>,
}

/// A file stored by the media service and referenced by a message.
///
/// Serialised as the local cache keeps it (the field names are the stored JSON's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub media_id: String,
    /// The sender's name for it: text to show, never a path until sanitised.
    pub name: String,
    pub size: u64,
    pub mime: String,
}

impl Attachment {
    /// The file as a chat shows it.
    pub fn shown(&self) -> MessageAttachment {
        MessageAttachment {
            name: self.name.clone(),
            size: self.size,
            mime: self.mime.clone(),
            media_id: Some(self.media_id.clone()),
            waiting_because: None,
        }
    }
}

/// A chat the account belongs to, as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    pub chat_id: String,
    pub title: String,
    pub members: Vec<Profile>,
    pub last_message: Option<Message>,
    /// How far each member has read (members who read nothing are left out).
    pub read_marks: Vec<MemberReadMark>,
}

/// `user_id` has read a chat up to `msg_id`, a message stored at `sent_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberReadMark {
    pub user_id: String,
    pub msg_id: String,
    pub sent_at_ms: u64,
}

/// Something the backend reports happened, at a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteEvent {
    /// A message was stored in one of the account's chats (its own from another device too).
    MessageCreated(Message),
    /// `user_id` has read `chat_id` up to and including `msg_id`.
    ReadWatermark {
        chat_id: String,
        user_id: String,
        msg_id: String,
    },
    /// A chat's details changed, or the account joined it.
    ChatUpdated(Chat),
}

/// One page of a chat's history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    pub messages: Vec<Message>,
    /// Older messages exist before the first one here.
    pub has_more: bool,
}

/// What a backend accepts. The core refuses more before anything is kept or queued, with a clear
/// error, so nothing the user writes is lost to a refusal it could have foreseen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest message body, in characters.
    pub max_body_chars: usize,
    /// Largest file, in bytes.
    pub max_upload_bytes: u64,
    /// Longest file name, in bytes (longer ones are cut).
    pub max_file_name_len: usize,
    /// Most other members a new chat may have.
    pub max_chat_members: usize,
    /// Most messages one history page may hold.
    pub max_page_size: usize,
}

impl Limits {
    /// A body must contain something besides whitespace and stay within the limit.
    pub fn check_body(&self, body: &str) -> Result<(), crate::CoreError> {
        if body.trim().is_empty() {
            return Err(crate::CoreError::InvalidInput(
                "the message is empty".into(),
            ));
        }
        // Counting stops one past the limit, so a hostile 10 MB body costs no more than a legal
        // one.
        if body.chars().take(self.max_body_chars + 1).count() > self.max_body_chars {
            return Err(crate::CoreError::InvalidInput(format!(
                "the message is {} characters long; the limit is {}",
                body.chars().count(),
                self.max_body_chars
            )));
        }
        Ok(())
    }
}
