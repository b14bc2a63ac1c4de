use serde::{Deserialize, Serialize};

/// A user as other users see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub user_id: String,
    pub display_name: String,
}

/// A message as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// Server-assigned id, unique across the backend.
    pub msg_id: String,
    pub chat_id: String,
    pub sender_id: String,
    /// The sender's idempotency key; present so the sender's other devices (and the sender after
    /// a lost ack) can match the stored message to their local copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    pub body: String,
    /// Server receive time, milliseconds since the Unix epoch.
    pub sent_at_ms: u64,
    /// Files uploaded to the media service before the message was sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file attached to a message, stored by the media service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub media_id: String,
    /// The name the sender gave it; clients must sanitise it before using it as a file name.
    pub name: String,
    pub size: u64,
    pub mime: String,
}
