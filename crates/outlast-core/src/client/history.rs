//! The history part: reading a chat, recent history, scrolling back, and the gaps an outage
//! leaves. It asks the backend for pages, keeps them in the local cache and shows them in the
//! timeline; while the backend cannot be asked it shows the cache.

use std::sync::Arc;

use crate::backend::Backend;
use crate::domain::{HistoryPage, Message};
use crate::model::{ChatMessage, OlderPage};
use crate::shared::Shared;
use crate::CoreError;

use super::check_chat;

/// How many recent messages opening a chat fetches.
const HISTORY_PAGE: usize = 50;
/// How many older messages one scroll back brings.
const OLDER_PAGE: usize = 100;
/// Most pages one request to fill a gap fetches (a bigger gap stays, smaller, for the next).
const MAX_FILL_PAGES: usize = 10;

/// A session's history: what it needs to fetch, keep and show pages.
pub(super) struct History {
    pub shared: Arc<Shared>,
    pub backend: Arc<dyn Backend>,
}

impl History {
    /// `chat_id`'s messages, oldest first, fetching recent history the first time (see
    /// [`super::Client::open_chat`]); the chat becomes the one on screen.
    pub async fn open(&self, chat_id: &str) -> Result<Vec<ChatMessage>, CoreError> {
        check_chat(&self.shared, chat_id)?;
        let shared = &self.shared;
        let needs_history = shared.read(|t| t.needs_history(chat_id)).unwrap_or(false);
        if needs_history {
            let limit = HISTORY_PAGE.min(self.backend.limits().max_page_size);
            match self.backend.history(chat_id, None, limit).await {
                Ok(page) => {
                    self.keep(chat_id, &page);
                    shared.update(|t| (t.load_history(chat_id, page.messages), Vec::new()));
                }
                Err(err) if err.retryable() => {
                    tracing::warn!(%chat_id, %err, "history unavailable; showing what is known");
                    self.show_cached(chat_id);
                }
                Err(err) if err.is_expired_session() => {
                    // Reading must not depend on the auth service: show what is known while the
                    // backend renews the token.
                    tracing::warn!(%chat_id, %err, "history needs a fresh token; showing what is known");
                    self.show_cached(chat_id);
                }
                Err(err) => return Err(err),
            }
        }
        shared
            .update(|t| (t.messages(chat_id), t.open(chat_id)))
            .ok_or(CoreError::NotSignedIn)
    }

    /// Keep a fetched page of history in the local cache (no cursor change: it is not the event
    /// stream), with what it says about gaps.
    fn keep(&self, chat_id: &str, page: &HistoryPage) {
        let shared = &self.shared;
        let Some((me, names)) = shared.read(|t| {
            let names: Vec<String> = page
                .messages
                .iter()
                .map(|r| t.name_of(&r.sender_id))
                .collect();
            (t.me().user_id.clone(), names)
        }) else {
            return;
        };
        let records: Vec<(&Message, &str)> = page
            .messages
            .iter()
            .zip(&names)
            .map(|(r, name)| (r, name.as_str()))
            .collect();
        if let Some(Err(err)) = shared
            .cache()
            .with_store(|s| s.apply_history_page(chat_id, &records, page.has_more, &me))
        {
            tracing::error!(%err, "could not cache history");
        }
        shared.cache().index_soon();
    }

    /// Older messages of `chat_id`, from the cache where it holds them without a gap, else from
    /// the backend (see [`super::Client::load_older`]).
    pub async fn older(&self, chat_id: &str) -> Result<OlderPage, CoreError> {
        check_chat(&self.shared, chat_id)?;
        let shared = &self.shared;
        let Some(before) = shared.read(|t| t.oldest_stored(chat_id)).flatten() else {
            return Ok(OlderPage::default());
        };
        let cached = shared
            .cache()
            .with_store(|s| s.older_messages(chat_id, &before, OLDER_PAGE))
            .transpose()?
            .unwrap_or_default();
        let complete = shared
            .cache()
            .with_store(|s| s.history_complete(chat_id))
            .transpose()?
            .unwrap_or(false);
        // What joins on to the screen: the cache down to its first gap.
        let mut joined: Vec<ChatMessage> = Vec::new();
        let mut gap_at = None;
        for (message, gap_above) in cached.iter().rev() {
            if *gap_above {
                gap_at = message.msg_id.clone();
                break;
            }
            joined.push(message.clone());
        }
        joined.reverse();
        let page = if joined.len() == OLDER_PAGE {
            OlderPage {
                messages: joined,
                has_more: true,
                missing_above: None,
            }
        } else if complete && gap_at.is_none() {
            OlderPage {
                messages: joined,
                has_more: false,
                missing_above: None,
            }
        } else {
            let from = joined
                .first()
                .and_then(|m| m.msg_id.clone())
                .unwrap_or(before);
            match self.backend.history(chat_id, Some(&from), OLDER_PAGE).await {
                Ok(server_page) => {
                    self.keep(chat_id, &server_page);
                    let mut messages = shared
                        .read(|t| t.messages_from(&server_page.messages))
                        .unwrap_or_default();
                    messages.extend(joined);
                    OlderPage {
                        messages,
                        has_more: server_page.has_more,
                        missing_above: None,
                    }
                }
                Err(err) if err.retryable() || err.is_expired_session() => {
                    tracing::warn!(%chat_id, %err, "older history unavailable; showing the cache");
                    OlderPage {
                        has_more: gap_at.is_some() || !complete || cached.len() == OLDER_PAGE,
                        messages: cached.into_iter().map(|(m, _)| m).collect(),
                        missing_above: gap_at,
                    }
                }
                Err(err) => return Err(err),
            }
        };
        shared.update(|t| ((), t.prepend_older(chat_id, &page.messages)));
        Ok(page)
    }

    /// Fetch the messages missing above message `above` of `chat_id`, page by page from the
    /// newer side until the gap closes, at most `MAX_FILL_PAGES` pages per call (see
    /// [`super::Client::fill_gap`]).
    pub async fn fill_gap(
        &self,
        chat_id: &str,
        above: &str,
    ) -> Result<Vec<ChatMessage>, CoreError> {
        check_chat(&self.shared, chat_id)?;
        let shared = &self.shared;
        let upper = shared
            .cache()
            .with_store(|s| s.newer_neighbour(chat_id, above))
            .transpose()?
            .flatten();
        let mut from = upper.clone();
        let mut filled: Vec<Message> = Vec::new();
        for _ in 0..MAX_FILL_PAGES {
            let page = self
                .backend
                .history(chat_id, from.as_deref(), OLDER_PAGE)
                .await?;
            self.keep(chat_id, &page);
            let reached = page.messages.iter().position(|m| m.msg_id == above);
            let closed = reached.is_some() || !page.has_more || page.messages.is_empty();
            let fresh = &page.messages[reached.map_or(0, |at| at + 1)..];
            filled.splice(0..0, fresh.iter().cloned());
            if closed {
                break;
            }
            from = page.messages.first().map(|m| m.msg_id.clone());
        }
        let messages = shared
            .read(|t| t.messages_from(&filled))
            .unwrap_or_default();
        shared.update(|t| ((), t.insert_before(chat_id, upper.as_deref(), &messages)));
        Ok(messages)
    }

    /// The messages of `chat_id` above which history may still be missing.
    pub fn gaps(&self, chat_id: &str) -> Result<Vec<String>, CoreError> {
        check_chat(&self.shared, chat_id)?;
        Ok(self
            .shared
            .cache()
            .with_store(|s| s.gaps_of(chat_id))
            .transpose()?
            .unwrap_or_default())
    }

    /// While the server cannot be asked: show the chat from the local cache.
    fn show_cached(&self, chat_id: &str) {
        let shared = &self.shared;
        match shared
            .cache()
            .with_store(|s| s.latest_messages(chat_id, HISTORY_PAGE))
        {
            Some(Ok(cached)) => {
                shared.update(|t| (t.load_cached(chat_id, cached), Vec::new()));
            }
            Some(Err(err)) => tracing::error!(%err, "could not read the local cache"),
            None => {}
        }
    }
}
