//! The search part: full-text search over the messages cached here, which works offline.

use std::sync::Arc;

use crate::shared::Shared;
use crate::store::SearchHit;
use crate::CoreError;

use super::check_chat;

/// Longest accepted search, and how many hits it returns.
const MAX_QUERY_CHARS: usize = 200;
const SEARCH_LIMIT: usize = 50;

/// A session's search over its local cache.
pub(super) struct Search {
    pub shared: Arc<Shared>,
}

impl Search {
    /// Hits for `query`, newest first, in one chat when `chat_id` is given (see
    /// [`super::Client::search_in`]).
    pub fn find(&self, query: &str, chat_id: Option<&str>) -> Result<Vec<SearchHit>, CoreError> {
        if let Some(chat_id) = chat_id {
            check_chat(&self.shared, chat_id)?;
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(CoreError::InvalidInput(format!(
                "a search is at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let cache = self.shared.cache();
        // Index what waits for the search index in small transactions first (the store writes
        // what arrived in the last few milliseconds before each): the store is released between
        // them, so a long backlog (after a big catch-up) never holds up the connection's writes.
        while let Some(indexed) = cache.with_store(|s| s.index_pending(crate::store::INDEX_CHUNK)) {
            if indexed? < crate::store::INDEX_CHUNK {
                break;
            }
        }
        match cache.with_store(|s| s.search_in(query, chat_id, SEARCH_LIMIT)) {
            Some(hits) => Ok(hits?),
            None => Err(CoreError::InvalidInput(
                "search needs the local cache, and this client keeps none (no data folder)".into(),
            )),
        }
    }
}
