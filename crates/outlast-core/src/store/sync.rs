//! Messages from the event stream and the sync cursor: written in batches (`StoreWrite`), each
//! batch in one transaction with the cursor it reaches.

use super::*;

pub(super) const CURSOR_KEY: &str = "cursor";

/// Most writes the client puts in one transaction when the connection learns faster than it can
/// write one by one (a catch-up, an outbox flush): bigger batches amortise the commit and the
/// full-text index's segment work; a crash can only cost a re-fetch of what was not written.
pub const WRITE_BATCH: usize = 5_000;

/// What the connection learned, waiting to be written in one transaction with its neighbours.
#[derive(Debug, Clone)]
pub enum StoreWrite {
    Received {
        at: Cursor,
        message: Message,
        sender_name: String,
    },
    Acked {
        client_msg_id: String,
        msg_id: String,
        at: Cursor,
    },
    /// `user_id` has read `chat_id` up to `msg_id` (an event: another member, or this user on
    /// another device).
    Read {
        at: Cursor,
        chat_id: String,
        user_id: String,
        msg_id: String,
    },
    /// The server refused our message for good (see [`Store::failed`]).
    Refused {
        client_msg_id: String,
        reason: String,
    },
    /// The server skipped events (see [`Store::history_skipped`]).
    HistorySkipped,
    /// The server announced a chat (new, renamed, members changed): kept as it says.
    Chat { at: Cursor, row: super::ChatRow },
}

/// Record a possible gap above every chat's newest cached message; how many were new.
pub(super) fn history_skipped_in(tx: &rusqlite::Transaction<'_>) -> Result<usize, StoreError> {
    Ok(tx.execute(
        "INSERT OR IGNORE INTO history_gaps (chat_id, msg_id)
         SELECT c.chat_id, (SELECT msg_id FROM messages
                            WHERE chat_id = c.chat_id AND msg_id IS NOT NULL
                            ORDER BY sent_at_ms DESC, msg_id DESC LIMIT 1)
         FROM chats c WHERE EXISTS (
             SELECT 1 FROM messages WHERE chat_id = c.chat_id AND msg_id IS NOT NULL)",
        [],
    )?)
}

pub(super) fn apply_messages_in(
    tx: &rusqlite::Transaction<'_>,
    events: &[(u64, &Message, &str)],
    me: &str,
    open_chat: Option<&str>,
) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let first_new_id: i64 =
        tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM messages", [], |r| {
            r.get(0)
        })?;
    let mut added = 0;
    let mut highest = 0u64;
    // Per chat in this batch: (latest activity, new unread). Applied once per chat, not per
    // message: a catch-up page of 500 touches a handful of chats.
    let mut touched: std::collections::HashMap<&str, (u64, i64)> = std::collections::HashMap::new();
    {
        // The server's copy of an own message confirms the row written here, whether or not
        // its ack came first, and brings the server's time: the time the message was written
        // here would otherwise place it (and read marks on it) before messages the server
        // stored earlier.
        let mut confirm_own = tx.prepare_cached(
            "UPDATE messages SET msg_id = ?2, seq = ?3, state = 'sent', failure = NULL, sent_at_ms = ?4
             WHERE client_msg_id = ?1 AND (msg_id IS NULL OR msg_id = ?2)",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO messages
               (msg_id, client_msg_id, chat_id, sender_id, sender_name, body, sent_at_ms, seq, state, own,
                attachments)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'sent', ?9, ?10)",
        )?;
        let mut ensure_chat = tx.prepare_cached(
            "INSERT OR IGNORE INTO chats (chat_id, title, member_names) VALUES (?1, ?2, '[]')",
        )?;
        let mut drop_outbox = tx.prepare_cached("DELETE FROM outbox WHERE client_msg_id = ?1")?;
        for (seq, record, sender_name) in events {
            highest = highest.max(*seq);
            let own = record.sender_id == me;
            if own {
                if let Some(client_id) = &record.client_msg_id {
                    let confirmed = confirm_own.execute(params![
                        client_id,
                        record.msg_id,
                        *seq as i64,
                        record.sent_at_ms as i64
                    ])?;
                    if confirmed > 0 {
                        drop_outbox.execute([client_id])?;
                        continue;
                    }
                }
            }
            if !touched.contains_key(record.chat_id.as_str()) {
                ensure_chat.execute(params![record.chat_id, sender_name])?;
            }
            let inserted = insert.execute(params![
                record.msg_id,
                record.client_msg_id.as_deref().filter(|_| own),
                record.chat_id,
                record.sender_id,
                sender_name,
                record.body,
                record.sent_at_ms as i64,
                *seq as i64,
                own,
                attachments_json(&record.attachments)
            ])?;
            let entry = touched.entry(record.chat_id.as_str()).or_insert((0, 0));
            if inserted > 0 {
                added += 1;
                entry.0 = entry.0.max(record.sent_at_ms);
                entry.1 += i64::from(!own && open_chat != Some(record.chat_id.as_str()));
            }
        }
        let mut touch_chat = tx.prepare_cached(
            "UPDATE chats SET last_activity_ms = max(last_activity_ms, ?2),
                              unread_count = unread_count + ?3
             WHERE chat_id = ?1",
        )?;
        for (chat_id, (latest, unread)) in &touched {
            if *latest > 0 || *unread > 0 {
                touch_chat.execute(params![chat_id, *latest as i64, unread])?;
            }
        }
        if highest > 0 {
            tx.execute(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = max(value, ?2)",
                params![CURSOR_KEY, highest as i64],
            )?;
        }
        if added > 0 {
            tx.execute(
                "INSERT INTO fts_pending (id) SELECT id FROM messages WHERE id >= ?1",
                [first_new_id],
            )?;
        }
    }
    Ok(added)
}

/// The server stored `client_msg_id` as `msg_id` at `seq` (written in a `StoreWrite` batch).
pub(super) fn acked_in(
    tx: &rusqlite::Transaction<'_>,
    client_msg_id: &str,
    msg_id: &str,
    seq: u64,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM outbox WHERE client_msg_id = ?1",
        [client_msg_id],
    )?;
    // The same server message may already be here (its event arrived first): keep one row.
    let duplicate: Option<i64> = tx
        .query_row(
            "SELECT id FROM messages WHERE msg_id = ?1 AND client_msg_id IS NOT ?2",
            params![msg_id, client_msg_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = duplicate {
        tx.execute("DELETE FROM messages WHERE id = ?1", [id])?;
    }
    tx.execute(
        "UPDATE messages SET msg_id = ?2, seq = ?3, state = 'sent', failure = NULL
         WHERE client_msg_id = ?1",
        params![client_msg_id, msg_id, seq as i64],
    )?;
    advance_cursor(tx, seq)
}

pub(super) fn advance_cursor(tx: &rusqlite::Transaction<'_>, seq: u64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = max(value, ?2)",
        params![CURSOR_KEY, seq as i64],
    )?;
    Ok(())
}

/// A received message's files as stored with it (`NULL` when there are none, nearly always).
pub(super) fn attachments_json(attachments: &[Attachment]) -> Option<String> {
    if attachments.is_empty() {
        return None;
    }
    let files: Vec<MessageAttachment> = attachments
        .iter()
        .map(crate::domain::Attachment::shown)
        .collect();
    serde_json::to_string(&files).ok()
}

pub(super) fn message_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ChatMessage> {
    message_from_offset(row, 0)
}

/// Columns `at..at+12`: id, msg_id, client_msg_id, chat_id, sender_id, sender_name, body,
/// sent_at_ms, seq, state, failure, own, attachments (JSON).
pub(super) fn message_from_offset(
    row: &rusqlite::Row<'_>,
    at: usize,
) -> rusqlite::Result<ChatMessage> {
    let state: String = row.get(at + 9)?;
    Ok(ChatMessage {
        msg_id: row.get(at + 1)?,
        client_msg_id: row.get(at + 2)?,
        chat_id: row.get(at + 3)?,
        sender_id: row.get(at + 4)?,
        sender_name: row.get(at + 5)?,
        body: row.get(at + 6)?,
        sent_at_ms: row.get::<_, i64>(at + 7)? as u64,
        seq: row.get::<_, Option<i64>>(at + 8)?.map(|s| s as u64),
        state: match state.as_str() {
            "pending" => MessageState::Pending,
            "failed" => MessageState::Failed,
            _ => MessageState::Sent,
        },
        failure: row.get(at + 10)?,
        own: row.get(at + 11)?,
        attachments: row
            .get::<_, Option<String>>(at + 12)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default(),
    })
}

impl Store {
    /// Where the event stream starts for this account: set at sign-in from the server's head (a
    /// fresh cache, or a server whose history was reset), so a later start catches up from here.
    pub fn set_cursor(&mut self, at: Cursor) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = ?2",
            params![CURSOR_KEY, at.position() as i64],
        )?;
        Ok(())
    }

    /// The highest event sequence applied.
    pub fn cursor(&self) -> Result<Cursor, StoreError> {
        Ok(self.saved_cursor()?.unwrap_or(Cursor::START))
    }

    /// The cursor, or `None` if this cache never had one (a new account here).
    pub fn saved_cursor(&self) -> Result<Option<Cursor>, StoreError> {
        let value: Option<i64> = self
            .conn
            .query_row(
                "SELECT value FROM sync_state WHERE key = ?1",
                [CURSOR_KEY],
                |r| r.get(0),
            )
            .optional()?;
        Ok(value.map(|v| Cursor::from_backend(v.max(0) as u64)))
    }

    /// Apply received messages, each once (by server id), and move the cursor to the highest
    /// sequence, all in one transaction: a crash leaves either all of it or none.
    /// `me` is the signed-in user; `open_chat` the chat being looked at (no unread for it).
    /// Returns how many messages were new.
    pub fn apply_messages(
        &mut self,
        events: &[(u64, &Message, &str)],
        me: &str,
        open_chat: Option<&str>,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let added = apply_messages_in(&tx, events, me, open_chat)?;
        tx.commit()?;
        Ok(added)
    }

    /// Several received messages and acknowledgements, in the order they happened, as one
    /// transaction: what the connection learns in a burst costs one commit, not one per item.
    pub fn apply_writes(&mut self, writes: &[StoreWrite], me: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let mut received: Vec<(u64, &Message, &str)> = Vec::new();
        for write in writes {
            match write {
                StoreWrite::Received {
                    at,
                    message,
                    sender_name,
                } => received.push((at.position(), message, sender_name.as_str())),
                StoreWrite::Acked {
                    client_msg_id,
                    msg_id,
                    at,
                } => {
                    // An ack may confirm a message received just before it: keep the order.
                    apply_messages_in(&tx, &received, me, None)?;
                    received.clear();
                    acked_in(&tx, client_msg_id, msg_id, at.position())?;
                }
                StoreWrite::Read {
                    at,
                    chat_id,
                    user_id,
                    msg_id,
                } => {
                    apply_messages_in(&tx, &received, me, None)?;
                    received.clear();
                    // A mark on a message this cache never saw cannot be placed; it is passed
                    // by the next one.
                    if let Some(mark) = mark_at(&tx, chat_id, msg_id)? {
                        read_in(&tx, &mark, user_id, me)?;
                    }
                    advance_cursor(&tx, at.position())?;
                }
                StoreWrite::Refused {
                    client_msg_id,
                    reason,
                } => {
                    // Its ack cannot be among the writes before it; received ones keep order.
                    apply_messages_in(&tx, &received, me, None)?;
                    received.clear();
                    if !failed_in(&tx, client_msg_id, reason)? {
                        // Deleted by the user meanwhile, or a client without an outbox.
                        tracing::debug!(%client_msg_id, "a refusal for a message not in the outbox");
                    }
                }
                StoreWrite::HistorySkipped => {
                    apply_messages_in(&tx, &received, me, None)?;
                    received.clear();
                    history_skipped_in(&tx)?;
                }
                StoreWrite::Chat { at, row } => {
                    apply_messages_in(&tx, &received, me, None)?;
                    received.clear();
                    super::chats::upsert_chat_in(&tx, row)?;
                    advance_cursor(&tx, at.position())?;
                }
            }
        }
        apply_messages_in(&tx, &received, me, None)?;
        tx.commit()?;
        Ok(())
    }

    /// The newest `limit` messages of a chat, oldest first.
    pub fn latest_messages(
        &self,
        chat_id: &str,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT * FROM (
                 SELECT id, msg_id, client_msg_id, chat_id, sender_id, sender_name, body,
                        sent_at_ms, seq, state, failure, own, attachments
                 FROM messages WHERE chat_id = ?1
                 ORDER BY sent_at_ms DESC, msg_id DESC, id DESC LIMIT ?2
             -- Unsent own messages (no server id yet) after the stored ones of the same moment.
             ) ORDER BY sent_at_ms, msg_id IS NULL, msg_id, id",
        )?;
        let rows = query.query_map(params![chat_id, limit as i64], message_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub(super) fn message_by_client_id(
        &self,
        client_msg_id: &str,
    ) -> Result<Option<ChatMessage>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, msg_id, client_msg_id, chat_id, sender_id, sender_name, body,
                        sent_at_ms, seq, state, failure, own, attachments
                 FROM messages WHERE client_msg_id = ?1",
                [client_msg_id],
                message_from_row,
            )
            .optional()?)
    }
}
