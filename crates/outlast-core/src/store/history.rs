//! History pages and the gaps an outage leaves: where the cache may be missing messages.

use super::*;

impl Store {
    /// Keep a page of a chat's history from the server: messages just older than `before` (the
    /// newest page when `None`), oldest first, with the server's word on whether older ones
    /// exist. The page is contiguous, so gaps inside it are filled; a page that does not reach
    /// back to what was cached leaves a gap below it; the chat's first page marks it complete.
    pub fn apply_history_page(
        &mut self,
        chat_id: &str,
        page: &[(&Message, &str)],
        has_more: bool,
        me: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let oldest_was_cached = match page.first() {
            Some((oldest, _)) => tx
                .query_row(
                    "SELECT 1 FROM messages WHERE msg_id = ?1",
                    [&oldest.msg_id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some(),
            None => false,
        };
        let events: Vec<(u64, &Message, &str)> =
            page.iter().map(|(r, name)| (0, *r, *name)).collect();
        // History is not news: it adds nothing unread.
        apply_messages_in(&tx, &events, me, Some(chat_id))?;
        {
            let mut filled =
                tx.prepare_cached("DELETE FROM history_gaps WHERE chat_id = ?1 AND msg_id = ?2")?;
            for (record, _) in page {
                filled.execute(params![chat_id, record.msg_id])?;
            }
        }
        match page.first() {
            // Nothing older on the server (an empty page too: the cache already reaches back to
            // the chat's first message).
            _ if !has_more => {
                tx.execute(
                    "UPDATE chats SET history_complete = 1 WHERE chat_id = ?1",
                    [chat_id],
                )?;
            }
            Some((oldest, _)) if !oldest_was_cached => {
                // The newest cached message older than the page: what lies between is unknown.
                tx.execute(
                    "INSERT OR IGNORE INTO history_gaps (chat_id, msg_id)
                     SELECT chat_id, msg_id FROM messages
                     WHERE chat_id = ?1 AND msg_id IS NOT NULL AND (sent_at_ms, msg_id) < (?3, ?2)
                     ORDER BY sent_at_ms DESC, msg_id DESC LIMIT 1",
                    params![chat_id, oldest.msg_id, oldest.sent_at_ms as i64],
                )?;
            }
            _ => {}
        }
        tx.commit()?;
        Ok(())
    }

    /// The server skipped events (it no longer had them): whatever was written in any chat
    /// after its newest cached message may be missing. Recorded as a gap above that message.
    pub fn history_skipped(&mut self) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let added = history_skipped_in(&tx)?;
        tx.commit()?;
        Ok(added)
    }

    /// Up to `limit` cached messages of `chat_id` older than message `before`, oldest first,
    /// each with whether history may be missing just above it.
    pub fn older_messages(
        &self,
        chat_id: &str,
        before: &str,
        limit: usize,
    ) -> Result<Vec<(ChatMessage, bool)>, StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT * FROM (
                 SELECT m.id, m.msg_id, m.client_msg_id, m.chat_id, m.sender_id, m.sender_name,
                        m.body, m.sent_at_ms, m.seq, m.state, m.failure, m.own, m.attachments,
                        EXISTS (SELECT 1 FROM history_gaps g
                                WHERE g.chat_id = m.chat_id AND g.msg_id = m.msg_id)
                 FROM messages m, (SELECT sent_at_ms AS at FROM messages
                                   WHERE msg_id = ?2 AND chat_id = ?1) b
                 WHERE m.chat_id = ?1 AND m.msg_id IS NOT NULL
                   AND (m.sent_at_ms, m.msg_id) < (b.at, ?2)
                 ORDER BY m.sent_at_ms DESC, m.msg_id DESC LIMIT ?3
             ) ORDER BY sent_at_ms, msg_id IS NULL, msg_id, id",
        )?;
        let rows = query.query_map(params![chat_id, before, limit as i64], |row| {
            Ok((message_from_row(row)?, row.get::<_, bool>(13)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` of the stored messages of `chat_id` that come after `after` (a message's
    /// time and server id; `None`: from the first), oldest first, each with whether history may
    /// be missing above it: for reading a whole chat a page at a time.
    pub fn messages_after(
        &self,
        chat_id: &str,
        after: Option<(u64, &str)>,
        limit: usize,
    ) -> Result<Vec<(ChatMessage, bool)>, StoreError> {
        let (at, id) = after.map_or((-1, ""), |(at, id)| {
            (i64::try_from(at).unwrap_or(i64::MAX), id)
        });
        let mut query = self.conn.prepare_cached(
            "SELECT m.id, m.msg_id, m.client_msg_id, m.chat_id, m.sender_id, m.sender_name,
                    m.body, m.sent_at_ms, m.seq, m.state, m.failure, m.own, m.attachments,
                    EXISTS (SELECT 1 FROM history_gaps g
                            WHERE g.chat_id = m.chat_id AND g.msg_id = m.msg_id)
             FROM messages m
             WHERE m.chat_id = ?1 AND m.msg_id IS NOT NULL
               AND (m.sent_at_ms, m.msg_id) > (?2, ?3)
             ORDER BY m.sent_at_ms, m.msg_id LIMIT ?4",
        )?;
        let rows = query.query_map(params![chat_id, at, id, limit as i64], |row| {
            Ok((message_from_row(row)?, row.get::<_, bool>(13)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The cached message of `chat_id` just newer than `msg_id` (a gap's upper edge).
    pub fn newer_neighbour(
        &self,
        chat_id: &str,
        msg_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT m.msg_id FROM messages m,
                     (SELECT sent_at_ms AS at FROM messages WHERE msg_id = ?2 AND chat_id = ?1) a
                 WHERE m.chat_id = ?1 AND m.msg_id IS NOT NULL
                   AND (m.sent_at_ms, m.msg_id) > (a.at, ?2)
                 ORDER BY m.sent_at_ms, m.msg_id LIMIT 1",
                params![chat_id, msg_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Whether the server said nothing is older than the oldest cached message of `chat_id`.
    pub fn history_complete(&self, chat_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT history_complete FROM chats WHERE chat_id = ?1",
                [chat_id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// The messages of `chat_id` above which history may be missing.
    pub fn gaps_of(&self, chat_id: &str) -> Result<Vec<String>, StoreError> {
        let mut query = self
            .conn
            .prepare_cached("SELECT msg_id FROM history_gaps WHERE chat_id = ?1")?;
        let rows = query.query_map([chat_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
