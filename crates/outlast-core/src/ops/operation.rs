//! One outgoing user action and its lifecycle.

use super::Outgoing;
use crate::model::{ChatMessage, MessageState};
use crate::store::{OutboxEntry, OutboxFile, StartedChat};

/// What the user asked for. Each kind of action that must survive an outage the same way (kept,
/// applied once, in order with its chat) is one variant here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Post a message; its files (private copies) are uploaded first.
    SendMessage {
        body: String,
        files: Vec<OutboxFile>,
    },
    /// "Read up to this message" in the operation's chat. A newer mark replaces a waiting one;
    /// marks go by request and answer, in their own lane per chat (see `marks.rs`).
    MarkRead { msg_id: String },
    /// Make the chat the user started (its id, chosen here, is the operation's chat and the
    /// request's idempotency key). It is the first operation of its chat, and everything after
    /// it in the chat waits until the server has made it.
    CreateChat {
        title: String,
        /// The other members.
        member_ids: Vec<String>,
    },
    /// Rename the operation's chat. Setting, not toggling: a newer rename of the chat replaces a
    /// waiting one, so renames made offline send one final title.
    RenameChat {
        title: String,
        /// The title before it, shown again if the server refuses the rename.
        previous: String,
    },
}

impl From<crate::store::Rename> for Operation {
    fn from(kept: crate::store::Rename) -> Self {
        Operation::rename_chat(
            kept.op_id,
            &kept.chat_id,
            &kept.title,
            &kept.previous,
            kept.created_at_ms,
        )
    }
}

/// Where an operation stands. Completed operations (acknowledged by the server, or cancelled by
/// the user) leave the queue, so there is no state for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// Kept; waits for its turn in its chat, or for its files.
    Queued,
    /// Handed to the backend in this session. A message is sent again under the same key on
    /// every new link until the server answers (the connection asks the queue for them:
    /// [`OpQueue::unanswered`](super::OpQueue::unanswered)).
    Submitted,
    /// Refused for good: it and every later operation in its chat wait until the user retries,
    /// edits or cancels it.
    Refused { reason: String },
}

/// One outgoing action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operation {
    /// The idempotency key, made when the action was taken and used for every attempt.
    pub id: String,
    pub chat_id: String,
    pub action: Action,
    /// When the user took the action (ms since the Unix epoch).
    pub created_at_ms: u64,
    pub state: Lifecycle,
}

impl Operation {
    /// A message the user just wrote.
    pub fn send_message(entry: OutboxEntry) -> Operation {
        Operation::restored(entry, None)
    }

    /// The user has read the operation's chat up to `msg_id` (at `created_at_ms`). Its key names
    /// the chat and the message: a mark is the same request however often it is sent.
    pub fn mark_read(chat_id: &str, msg_id: &str, created_at_ms: u64) -> Operation {
        Operation {
            id: format!("read:{chat_id}:{msg_id}"),
            chat_id: chat_id.to_owned(),
            action: Action::MarkRead {
                msg_id: msg_id.to_owned(),
            },
            created_at_ms,
            state: Lifecycle::Queued,
        }
    }

    /// A chat the user started (refused with `failure` if an earlier run was told so).
    pub fn create_chat(chat: StartedChat, failure: Option<String>) -> Operation {
        Operation {
            id: Operation::creation_of(&chat.chat_id),
            chat_id: chat.chat_id,
            action: Action::CreateChat {
                title: chat.title,
                member_ids: chat.member_ids,
            },
            created_at_ms: chat.created_at_ms,
            state: match failure {
                Some(reason) => Lifecycle::Refused { reason },
                None => Lifecycle::Queued,
            },
        }
    }

    /// The user renamed `chat_id` from `previous` to `title` (at `created_at_ms`).
    pub fn rename_chat(
        id: String,
        chat_id: &str,
        title: &str,
        previous: &str,
        created_at_ms: u64,
    ) -> Operation {
        Operation {
            id,
            chat_id: chat_id.to_owned(),
            action: Action::RenameChat {
                title: title.to_owned(),
                previous: previous.to_owned(),
            },
            created_at_ms,
            state: Lifecycle::Queued,
        }
    }

    /// The key of the operation that makes chat `chat_id`.
    pub fn creation_of(chat_id: &str) -> String {
        format!("create:{chat_id}")
    }

    /// Whether everything after it in its chat waits until the server has it (a chat's
    /// creation: nothing can go to a chat the server has not made).
    pub fn holds_its_chat(&self) -> bool {
        matches!(self.action, Action::CreateChat { .. })
    }

    /// An operation kept by an earlier run, refused with `failure` if it was.
    pub fn restored(entry: OutboxEntry, failure: Option<String>) -> Operation {
        Operation {
            id: entry.client_msg_id,
            chat_id: entry.chat_id,
            action: Action::SendMessage {
                body: entry.body,
                files: entry.files,
            },
            created_at_ms: entry.created_at_ms,
            state: match failure {
                Some(reason) => Lifecycle::Refused { reason },
                None => Lifecycle::Queued,
            },
        }
    }

    /// Whether everything it needs before it may go is done (its files are uploaded).
    pub fn ready(&self) -> bool {
        match &self.action {
            Action::SendMessage { files, .. } => files.iter().all(|f| f.media_id.is_some()),
            Action::MarkRead { .. } | Action::CreateChat { .. } | Action::RenameChat { .. } => true,
        }
    }

    pub fn is_refused(&self) -> bool {
        matches!(self.state, Lifecycle::Refused { .. })
    }

    /// A message's text and files; `None` for any other action.
    fn message(&self) -> Option<(&String, &Vec<OutboxFile>)> {
        match &self.action {
            Action::SendMessage { body, files } => Some((body, files)),
            Action::MarkRead { .. } | Action::CreateChat { .. } | Action::RenameChat { .. } => None,
        }
    }

    /// The outbox row a message mirrors (for the uploader, which works on files).
    pub fn entry(&self) -> Option<OutboxEntry> {
        let (body, files) = self.message()?;
        Some(OutboxEntry {
            client_msg_id: self.id.clone(),
            chat_id: self.chat_id.clone(),
            body: body.clone(),
            created_at_ms: self.created_at_ms,
            attempts: 0,
            files: files.clone(),
        })
    }

    /// What the live connection sends for a message.
    pub fn outgoing(&self) -> Option<Outgoing> {
        let (body, files) = self.message()?;
        Some(Outgoing {
            client_msg_id: self.id.clone(),
            chat_id: self.chat_id.clone(),
            body: body.clone(),
            // Only uploaded files are referenced; a message goes once all of them are.
            attachments: files.iter().filter_map(OutboxFile::attachment).collect(),
        })
    }

    /// How the chat shows a message while it is not yet on the server.
    pub fn shown(&self, sender_id: &str, sender_name: &str) -> Option<ChatMessage> {
        let (body, files) = self.message()?;
        Some(ChatMessage {
            client_msg_id: Some(self.id.clone()),
            msg_id: None,
            chat_id: self.chat_id.clone(),
            sender_id: sender_id.to_owned(),
            sender_name: sender_name.to_owned(),
            body: body.clone(),
            sent_at_ms: self.created_at_ms,
            seq: None,
            state: match self.state {
                Lifecycle::Refused { .. } => MessageState::Failed,
                _ => MessageState::Pending,
            },
            failure: match &self.state {
                Lifecycle::Refused { reason } => Some(reason.clone()),
                _ => None,
            },
            own: true,
            attachments: files.iter().map(OutboxFile::shown).collect(),
        })
    }
}

/// What the queue asks of the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    /// Send this operation (under its idempotency key).
    Submit(Operation),
}

/// Why the queue would not take a user's change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OpError {
    #[error("that message is not waiting to be sent")]
    NotQueued,
    #[error("only a message the server refused can be edited before it is sent")]
    NotRefused,
}

impl From<OpError> for crate::CoreError {
    fn from(err: OpError) -> Self {
        crate::CoreError::InvalidInput(err.to_string())
    }
}
