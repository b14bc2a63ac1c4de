//! The chat list and what the user does with a chat that needs no outgoing operation: read
//! marks, new chats, drafts, mute and pin, search.

use crate::model::{ChatSummary, MemberRead, Person};
use crate::ops::Operation;
use crate::store::SearchHit;
use crate::timeline::{LocalFlag, Timeline};
use crate::CoreError;

use super::Client;

/// Longest accepted search, and how many hits it returns.
const MAX_QUERY_CHARS: usize = 200;
const SEARCH_LIMIT: usize = 50;

impl Client {
    /// The user has seen everything in `chat_id` (the app calls this when the chat is on
    /// screen, and again as messages arrive there). The unread count clears here at once; the
    /// server hears "read up to the newest message" after a short pause, once per burst, and
    /// again after an outage if it could not be told.
    pub fn mark_read(&self, chat_id: &str) -> Result<ChatSummary, CoreError> {
        let session = self.session()?;
        self.check_chat(chat_id)?;
        let shared = &self.inner.shared;
        let newest = shared.read(|t| t.newest_stored(chat_id)).flatten();
        let mut unread = 0;
        if let Some(msg_id) = newest {
            // (The store writes what waits behind the connection first: the newest message
            // may be among it.)
            let send = match shared
                .cache()
                .with_store(|s| s.record_read(chat_id, &msg_id, &session.user.user_id))
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
        self.chat(chat_id)
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))
    }

    /// People the user can start a chat with: the members of their chats.
    pub fn people(&self) -> Result<Vec<Person>, CoreError> {
        self.session()?;
        self.inner
            .shared
            .read(Timeline::people)
            .ok_or(CoreError::NotSignedIn)
    }

    /// Keep what the user is typing in `chat_id` (empty: none), so it is there after switching
    /// chats or restarting. Local only; works offline. Without a local cache it lasts the run.
    pub fn save_draft(&self, chat_id: &str, body: &str) -> Result<(), CoreError> {
        let limit = self.session()?.backend.limits().max_body_chars;
        self.check_chat(chat_id)?;
        if body.chars().count() > limit {
            return Err(CoreError::InvalidInput(format!(
                "a draft is at most {limit} characters"
            )));
        }
        let mut memory = self.inner.drafts.lock().unwrap_or_else(|e| e.into_inner());
        if body.trim().is_empty() {
            memory.remove(chat_id);
        } else {
            memory.insert(chat_id.to_owned(), body.to_owned());
        }
        drop(memory);
        if let Some(saved) = self
            .inner
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
        self.session()?;
        if let Some(stored) = self.inner.shared.cache().with_store(|s| s.drafts()) {
            return Ok(stored?);
        }
        let memory = self.inner.drafts.lock().unwrap_or_else(|e| e.into_inner());
        let mut drafts: Vec<(String, String)> =
            memory.iter().map(|(c, b)| (c.clone(), b.clone())).collect();
        drafts.sort();
        Ok(drafts)
    }

    /// The chat's other members and how far each has read it, for per-message read counts
    /// (kept current by [`CoreEvent::ReadMarkMoved`]). Known from the cache during an outage.
    pub fn read_marks(&self, chat_id: &str) -> Result<Vec<MemberRead>, CoreError> {
        self.session()?;
        self.check_chat(chat_id)?;
        self.inner
            .shared
            .read(|t| t.reads(chat_id))
            .flatten()
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))
    }

    /// Silence a chat (no notifications) or not; kept across restarts.
    pub fn set_muted(&self, chat_id: &str, muted: bool) -> Result<ChatSummary, CoreError> {
        self.set_local_flag(chat_id, LocalFlag::Muted, muted)
    }

    /// Keep a chat at the top of the chat list or not; kept across restarts.
    pub fn set_pinned(&self, chat_id: &str, pinned: bool) -> Result<ChatSummary, CoreError> {
        self.set_local_flag(chat_id, LocalFlag::Pinned, pinned)
    }

    /// A choice kept on this computer only: written to the cache first, then shown.
    fn set_local_flag(
        &self,
        chat_id: &str,
        flag: LocalFlag,
        on: bool,
    ) -> Result<ChatSummary, CoreError> {
        self.session()?;
        self.check_chat(chat_id)?;
        if let Some(written) = self.inner.shared.cache().with_store(|s| match flag {
            LocalFlag::Muted => s.set_muted(chat_id, on),
            LocalFlag::Pinned => s.set_pinned(chat_id, on),
        }) {
            written?;
        }
        self.inner
            .shared
            .update(|t| ((), t.set_local_flag(chat_id, flag, on)));
        self.chat(chat_id)
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))
    }

    /// Search the messages cached here (works offline), newest first. Every word must match,
    /// as a word or the start of one.
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>, CoreError> {
        self.search_in(query, None)
    }

    /// Like [`Client::search`], within one chat when `chat_id` is given.
    pub fn search_in(
        &self,
        query: &str,
        chat_id: Option<&str>,
    ) -> Result<Vec<SearchHit>, CoreError> {
        self.session()?;
        if let Some(chat_id) = chat_id {
            self.check_chat(chat_id)?;
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(CoreError::InvalidInput(format!(
                "a search is at most {MAX_QUERY_CHARS} characters"
            )));
        }
        // Index what waits for the search index in small transactions first (the store writes
        // what arrived in the last few milliseconds before each): the store is released between
        // them, so a long backlog (after a big catch-up) never holds up the connection's writes.
        let shared = &self.inner.shared;
        while let Some(indexed) = shared
            .cache()
            .with_store(|s| s.index_pending(crate::store::INDEX_CHUNK))
        {
            if indexed? < crate::store::INDEX_CHUNK {
                break;
            }
        }
        match self
            .inner
            .shared
            .cache()
            .with_store(|s| s.search_in(query, chat_id, SEARCH_LIMIT))
        {
            Some(hits) => Ok(hits?),
            None => Err(CoreError::InvalidInput(
                "search needs the local cache, and this client keeps none (no data folder)".into(),
            )),
        }
    }
}
