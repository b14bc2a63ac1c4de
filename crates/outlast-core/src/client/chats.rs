//! The chats part: the chat list and what the user does with a chat itself: read marks, drafts,
//! mute and pin, and starting a chat (`new_chat.rs`). It owns the drafts of a client without a
//! local cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::backend::Backend;
use crate::model::{ChatSummary, MemberRead, Person, Profile};
use crate::ops::Operation;
use crate::shared::Shared;
use crate::timeline::{LocalFlag, Timeline};
use crate::CoreError;

use super::check_chat;

/// A session's chats.
pub(super) struct Chats {
    pub shared: Arc<Shared>,
    pub backend: Arc<dyn Backend>,
    pub user: Profile,
    /// Drafts of a client without a local cache (with one, they live in the database); they
    /// last as long as the session.
    pub drafts: Mutex<HashMap<String, String>>,
}

impl Chats {
    /// The chat list, most recently active first.
    pub fn list(&self) -> Result<Vec<ChatSummary>, CoreError> {
        self.shared
            .read(Timeline::summaries)
            .ok_or(CoreError::NotSignedIn)
    }

    /// `chat_id`'s summary, or an error naming it.
    pub fn summary(&self, chat_id: &str) -> Result<ChatSummary, CoreError> {
        self.shared
            .read(|t| t.summary_of(chat_id))
            .flatten()
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))
    }

    /// Everything in `chat_id` is seen: the unread count clears now, and a read mark is queued
    /// when it moved (see [`super::Client::mark_read`]).
    pub fn mark_read(&self, chat_id: &str) -> Result<ChatSummary, CoreError> {
        check_chat(&self.shared, chat_id)?;
        let shared = &self.shared;
        let newest = shared.read(|t| t.newest_stored(chat_id)).flatten();
        let mut unread = 0;
        if let Some(msg_id) = newest {
            // (The store writes what waits behind the connection first: the newest message
            // may be among it.)
            let send = match shared
                .cache()
                .with_store(|s| s.record_read(chat_id, &msg_id, &self.user.user_id))
            {
                Some(Ok(Some(recorded))) => {
                    unread = recorded.unread;
                    recorded.moved
                }
                // Not cached (it came with the chat list): the server still takes it, and the
                // queue skips a mark it already has.
                Some(Ok(None)) | None => true,
                Some(Err(err)) => return Err(err.into()),
            };
            if send {
                let op = Operation::mark_read(chat_id, &msg_id, crate::clock::now_ms());
                shared
                    .outbox()
                    .apply(|q| ((), q.submit(op, tokio::time::Instant::now())));
            }
        }
        shared.update(|t| ((), t.set_unread(chat_id, unread)));
        self.summary(chat_id)
    }

    /// People the user can start a chat with: the members of their chats.
    pub fn people(&self) -> Result<Vec<Person>, CoreError> {
        self.shared
            .read(Timeline::people)
            .ok_or(CoreError::NotSignedIn)
    }

    /// Keep (or, when blank, drop) the draft of `chat_id`.
    pub fn save_draft(&self, chat_id: &str, body: &str) -> Result<(), CoreError> {
        let limit = self.backend.limits().max_body_chars;
        check_chat(&self.shared, chat_id)?;
        if body.chars().count() > limit {
            return Err(CoreError::InvalidInput(format!(
                "a draft is at most {limit} characters"
            )));
        }
        let mut memory = self.drafts.lock().unwrap_or_else(|e| e.into_inner());
        if body.trim().is_empty() {
            memory.remove(chat_id);
        } else {
            memory.insert(chat_id.to_owned(), body.to_owned());
        }
        drop(memory);
        if let Some(saved) = self
            .shared
            .cache()
            .with_store(|s| s.save_draft(chat_id, body))
        {
            saved?;
        }
        Ok(())
    }

    /// Every chat's draft (chat id, text).
    pub fn drafts(&self) -> Result<Vec<(String, String)>, CoreError> {
        if let Some(stored) = self.shared.cache().with_store(|s| s.drafts()) {
            return Ok(stored?);
        }
        let memory = self.drafts.lock().unwrap_or_else(|e| e.into_inner());
        let mut drafts: Vec<(String, String)> =
            memory.iter().map(|(c, b)| (c.clone(), b.clone())).collect();
        drafts.sort();
        Ok(drafts)
    }

    /// The chat's other members and how far each has read it.
    pub fn read_marks(&self, chat_id: &str) -> Result<Vec<MemberRead>, CoreError> {
        check_chat(&self.shared, chat_id)?;
        self.shared
            .read(|t| t.reads(chat_id))
            .flatten()
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))
    }

    /// Rename a group: kept, shown at once, and sent as an operation (offline too; renames made
    /// before it goes send only the last title). See [`super::Client::rename_chat`].
    pub fn rename(&self, chat_id: &str, title: &str) -> Result<ChatSummary, CoreError> {
        check_chat(&self.shared, chat_id)?;
        let most = super::new_chat::MAX_TITLE_CHARS;
        let title = title.trim();
        if title.is_empty() || title.chars().count() > most {
            return Err(CoreError::InvalidInput(format!(
                "a chat's name is 1 to {most} characters"
            )));
        }
        let current = self.summary(chat_id)?;
        if current.member_names.len() <= 2 {
            return Err(CoreError::InvalidInput(
                "a chat with one person is titled after them; only a group can be renamed".into(),
            ));
        }
        if current.creation.is_some() {
            return Err(CoreError::InvalidInput(
                "this chat is not on the server yet: it can be renamed once it is made".into(),
            ));
        }
        if current.title == title {
            return Ok(current);
        }
        let rename = crate::store::Rename {
            op_id: format!("rename:{chat_id}:{}", uuid::Uuid::new_v4().simple()),
            chat_id: chat_id.to_owned(),
            title: title.to_owned(),
            previous: current.title,
            created_at_ms: crate::clock::now_ms(),
        };
        // Kept first, then shown, then queued.
        if let Some(kept) = self.shared.cache().with_store(|s| s.queue_rename(&rename)) {
            kept?;
        }
        self.shared.update(|t| ((), t.rename(chat_id, title)));
        let op = Operation::from(rename);
        self.shared
            .outbox()
            .apply(|q| ((), q.submit(op, tokio::time::Instant::now())));
        self.summary(chat_id)
    }

    /// A choice kept on this computer only (mute, pin): written to the cache first, then shown.
    pub fn set_local_flag(
        &self,
        chat_id: &str,
        flag: LocalFlag,
        on: bool,
    ) -> Result<ChatSummary, CoreError> {
        check_chat(&self.shared, chat_id)?;
        if let Some(written) = self.shared.cache().with_store(|s| match flag {
            LocalFlag::Muted => s.set_muted(chat_id, on),
            LocalFlag::Pinned => s.set_pinned(chat_id, on),
        }) {
            written?;
        }
        self.shared
            .update(|t| ((), t.set_local_flag(chat_id, flag, on)));
        self.summary(chat_id)
    }
}
