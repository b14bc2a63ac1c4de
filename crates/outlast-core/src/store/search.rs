//! Full-text search (FTS5) and its index, filled behind the writes.

use super::*;

/// One full-text search hit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SearchHit {
    pub message: ChatMessage,
    /// The body with each match wrapped in `\u{2}` … `\u{3}` (the UI turns them into highlights;
    /// they cannot occur in message text, which is rendered as text anyway).
    pub highlighted: String,
}

/// Messages indexed for search per transaction by [`Store::index_pending`]: about 15 ms of work,
/// so a new write never waits long behind the indexer.
pub const INDEX_CHUNK: usize = 2_000;

/// Add messages from row id `first` on to the full-text index at once, in one statement (a
/// message written here is searchable as soon as it shows). Received messages are indexed later
/// instead ([`Store::index_pending`]); updates and deletes keep the index by trigger.
pub(super) fn index_new_messages(
    tx: &rusqlite::Transaction<'_>,
    first: i64,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages WHERE id >= ?1",
        [first],
    )?;
    Ok(())
}

/// Plain words to an FTS5 query: each word quoted (so nothing is syntax) and matched as a prefix.
pub(super) fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Store {
    /// Full-text search over message bodies, newest first. Every word of `query` must match, as a
    /// word or the start of one (Korean and English alike); the query is taken as plain words,
    /// never as FTS syntax.
    ///
    /// Messages still waiting for the index are indexed first, so a search always covers
    /// everything stored.
    pub fn search(&mut self, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        self.search_in(query, None, limit)
    }

    /// Like [`Store::search`], within one chat when `chat_id` is given.
    pub fn search_in(
        &mut self,
        query: &str,
        chat_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let Some(fts_query) = fts_query(query) else {
            return Ok(Vec::new());
        };
        while self.index_pending(INDEX_CHUNK)? == INDEX_CHUNK {}
        let mut statement = self.conn.prepare_cached(
            "SELECT m.id, m.msg_id, m.client_msg_id, m.chat_id, m.sender_id, m.sender_name, m.body,
                    m.sent_at_ms, m.seq, m.state, m.failure, m.own, m.attachments,
                    highlight(messages_fts, 0, char(2), char(3))
             FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
             WHERE messages_fts MATCH ?1 AND (?3 IS NULL OR m.chat_id = ?3)
             -- Row ids grow as messages arrive, and FTS5 walks them newest first without
             -- sorting every hit: newest-first stays fast when a word matches half the cache.
             ORDER BY messages_fts.rowid DESC LIMIT ?2",
        )?;
        let rows = statement.query_map(params![fts_query, limit as i64, chat_id], |row| {
            Ok(SearchHit {
                message: message_from_row(row)?,
                highlighted: row.get(13)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Add up to `limit` stored messages that are not yet in the search index, oldest first, in
    /// one transaction. Returns how many were indexed; fewer than `limit` means none are left.
    pub fn index_pending(&mut self, limit: usize) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let last: Option<i64> = tx.query_row(
            "SELECT max(id) FROM (SELECT id FROM fts_pending ORDER BY id LIMIT ?1)",
            [limit as i64],
            |r| r.get(0),
        )?;
        let Some(last) = last else {
            return Ok(0);
        };
        tx.execute(
            "INSERT INTO messages_fts (rowid, body)
             SELECT m.id, m.body FROM fts_pending p JOIN messages m ON m.id = p.id
             WHERE p.id <= ?1 ORDER BY p.id",
            [last],
        )?;
        let indexed = tx.execute("DELETE FROM fts_pending WHERE id <= ?1", [last])?;
        tx.commit()?;
        Ok(indexed)
    }

    /// How many stored messages wait for the search index.
    pub fn unindexed(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM fts_pending", [], |r| r.get(0))?;
        Ok(n.max(0) as usize)
    }
}
