//! The durable outbox: messages (and their files) written here and not yet on the server. The
//! operation queue (`ops`) is rebuilt from it at every start.

use super::*;

/// A message written here and not yet stored by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub client_msg_id: String,
    pub chat_id: String,
    pub body: String,
    pub created_at_ms: u64,
    pub attempts: u32,
    /// Files sent with it, in order.
    pub files: Vec<OutboxFile>,
}

impl OutboxEntry {
    /// Whether every file is uploaded, so the message itself may go.
    pub fn ready(&self) -> bool {
        self.files.iter().all(|f| f.media_id.is_some())
    }

    /// The files as the message references them (the uploaded ones).
    pub fn attachments(&self) -> Vec<Attachment> {
        self.files
            .iter()
            .filter_map(OutboxFile::attachment)
            .collect()
    }

    /// The files as the chat shows them.
    pub fn shown_files(&self) -> Vec<MessageAttachment> {
        self.files.iter().map(OutboxFile::shown).collect()
    }
}

/// A file written here with a message: a private copy, uploaded before the message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxFile {
    pub local_path: PathBuf,
    pub name: String,
    pub size: u64,
    pub mime: String,
    /// Set once the media service has it.
    pub media_id: Option<String>,
}

impl OutboxFile {
    /// How a message references it once uploaded; `None` before.
    pub fn attachment(&self) -> Option<Attachment> {
        Some(Attachment {
            media_id: self.media_id.clone()?,
            name: self.name.clone(),
            size: self.size,
            mime: self.mime.clone(),
        })
    }

    pub fn shown(&self) -> MessageAttachment {
        MessageAttachment {
            name: self.name.clone(),
            size: self.size,
            mime: self.mime.clone(),
            media_id: self.media_id.clone(),
            waiting_because: None,
        }
    }
}

/// Mark an unsent message failed with `reason`; `false` if it is not in the outbox.
pub(super) fn failed_in(
    tx: &rusqlite::Transaction<'_>,
    client_msg_id: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    let n = tx.execute(
        "UPDATE outbox SET state = 'failed', failure = ?2 WHERE client_msg_id = ?1",
        params![client_msg_id, reason],
    )?;
    if n == 0 {
        return Ok(false);
    }
    tx.execute(
        "UPDATE messages SET state = 'failed', failure = ?2 WHERE client_msg_id = ?1",
        params![client_msg_id, reason],
    )?;
    Ok(true)
}

/// Columns: client_msg_id, chat_id, body, created_at_ms, attempts, state, failure.
pub(super) fn outbox_row(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<(OutboxEntry, Option<String>)> {
    let state: String = row.get(5)?;
    let failure: Option<String> = row.get(6)?;
    Ok((
        OutboxEntry {
            client_msg_id: row.get(0)?,
            chat_id: row.get(1)?,
            body: row.get(2)?,
            created_at_ms: row.get::<_, i64>(3)? as u64,
            attempts: row.get::<_, i64>(4)? as u32,
            files: Vec::new(),
        },
        (state == "failed").then(|| failure.unwrap_or_default()),
    ))
}

impl Store {
    /// Write a new message durably before any attempt to send it: it is in the outbox and shown
    /// as pending in its chat, in one transaction.
    pub fn enqueue(
        &mut self,
        entry: &OutboxEntry,
        me: &str,
        my_name: &str,
    ) -> Result<ChatMessage, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO outbox (client_msg_id, chat_id, body, created_at_ms, state)
             VALUES (?1, ?2, ?3, ?4, 'pending')",
            params![
                entry.client_msg_id,
                entry.chat_id,
                entry.body,
                entry.created_at_ms as i64
            ],
        )?;
        let shown = (!entry.files.is_empty())
            .then(|| serde_json::to_string(&entry.shown_files()).ok())
            .flatten();
        tx.execute(
            "INSERT INTO messages (client_msg_id, chat_id, sender_id, sender_name, body, sent_at_ms, state, own, attachments)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 1, ?7)",
            params![entry.client_msg_id, entry.chat_id, me, my_name, entry.body, entry.created_at_ms as i64, shown],
        )?;
        // The message's row, taken before the file rows (their table has row ids of its own).
        let message_row = tx.last_insert_rowid();
        {
            let mut file = tx.prepare_cached(
                "INSERT INTO outbox_files (client_msg_id, position, local_path, name, size, mime, media_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (position, f) in entry.files.iter().enumerate() {
                file.execute(params![
                    entry.client_msg_id,
                    position as i64,
                    f.local_path.to_string_lossy(),
                    f.name,
                    f.size as i64,
                    f.mime,
                    f.media_id
                ])?;
            }
        }
        index_new_messages(&tx, message_row)?;
        tx.execute(
            "UPDATE chats SET last_activity_ms = max(last_activity_ms, ?2) WHERE chat_id = ?1",
            params![entry.chat_id, entry.created_at_ms as i64],
        )?;
        tx.commit()?;
        self.message_by_client_id(&entry.client_msg_id)?
            .ok_or_else(|| StoreError::NotInOutbox(entry.client_msg_id.clone()))
    }

    /// What may be sent now, in the order written. A chat whose earliest unsent message failed
    /// for good is held: nothing of it may overtake the failed message.
    pub fn sendable(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT client_msg_id, chat_id, body, created_at_ms, attempts FROM outbox o
             WHERE state = 'pending'
               AND NOT EXISTS (SELECT 1 FROM outbox f
                               WHERE f.chat_id = o.chat_id AND f.state = 'failed'
                                 AND f.position < o.position)
             ORDER BY position",
        )?;
        let rows = query.query_map([], |row| {
            Ok(OutboxEntry {
                client_msg_id: row.get(0)?,
                chat_id: row.get(1)?,
                body: row.get(2)?,
                created_at_ms: row.get::<_, i64>(3)? as u64,
                attempts: row.get::<_, i64>(4)? as u32,
                files: Vec::new(),
            })
        })?;
        let mut entries: Vec<OutboxEntry> = rows.collect::<Result<_, _>>()?;
        self.attach_files(entries.iter_mut())?;
        Ok(entries)
    }

    /// Fill in each entry's files (one query for the whole outbox; nearly always none).
    pub(super) fn attach_files<'a>(
        &self,
        entries: impl Iterator<Item = &'a mut OutboxEntry>,
    ) -> Result<(), StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT client_msg_id, local_path, name, size, mime, media_id FROM outbox_files
             ORDER BY client_msg_id, position",
        )?;
        let mut files: std::collections::HashMap<String, Vec<OutboxFile>> =
            std::collections::HashMap::new();
        let rows = query.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                OutboxFile {
                    local_path: PathBuf::from(row.get::<_, String>(1)?),
                    name: row.get(2)?,
                    size: row.get::<_, i64>(3)?.max(0) as u64,
                    mime: row.get(4)?,
                    media_id: row.get(5)?,
                },
            ))
        })?;
        for row in rows {
            let (id, file) = row?;
            files.entry(id).or_default().push(file);
        }
        if files.is_empty() {
            return Ok(());
        }
        for entry in entries {
            if let Some(found) = files.remove(&entry.client_msg_id) {
                entry.files = found;
            }
        }
        Ok(())
    }

    /// File `position` of unsent message `client_msg_id` is uploaded as `media_id`: kept on the
    /// file and on the message as shown.
    pub fn file_uploaded(
        &mut self,
        client_msg_id: &str,
        position: usize,
        media_id: &str,
    ) -> Result<OutboxEntry, StoreError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE outbox_files SET media_id = ?3 WHERE client_msg_id = ?1 AND position = ?2",
            params![client_msg_id, position as i64, media_id],
        )?;
        if n == 0 {
            return Err(StoreError::NotInOutbox(client_msg_id.to_owned()));
        }
        tx.commit()?;
        let entry = self
            .unsent()?
            .into_iter()
            .map(|(entry, _)| entry)
            .find(|e| e.client_msg_id == client_msg_id)
            .ok_or_else(|| StoreError::NotInOutbox(client_msg_id.to_owned()))?;
        self.conn.execute(
            "UPDATE messages SET attachments = ?2 WHERE client_msg_id = ?1",
            params![
                client_msg_id,
                serde_json::to_string(&entry.shown_files()).ok()
            ],
        )?;
        Ok(entry)
    }

    /// Every unsent message in the order written, with the reason for those that failed for good.
    pub fn unsent(&self) -> Result<Vec<(OutboxEntry, Option<String>)>, StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT client_msg_id, chat_id, body, created_at_ms, attempts, state, failure
             FROM outbox ORDER BY position",
        )?;
        let rows = query.query_map([], outbox_row)?;
        let mut entries: Vec<(OutboxEntry, Option<String>)> = rows.collect::<Result<_, _>>()?;
        self.attach_files(entries.iter_mut().map(|(e, _)| e))?;
        Ok(entries)
    }

    /// The unsent messages of one chat in the order written, with the reason for failed ones.
    pub fn unsent_in(
        &self,
        chat_id: &str,
    ) -> Result<Vec<(OutboxEntry, Option<String>)>, StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT client_msg_id, chat_id, body, created_at_ms, attempts, state, failure
             FROM outbox WHERE chat_id = ?1 ORDER BY position",
        )?;
        let rows = query.query_map([chat_id], outbox_row)?;
        let mut entries: Vec<(OutboxEntry, Option<String>)> = rows.collect::<Result<_, _>>()?;
        self.attach_files(entries.iter_mut().map(|(e, _)| e))?;
        Ok(entries)
    }

    /// Whether `chat_id` has a message that failed for good (later ones wait behind it).
    pub fn has_failed(&self, chat_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM outbox WHERE chat_id = ?1 AND state = 'failed' LIMIT 1",
                [chat_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Every unsent message, failed ones included, in the order written.
    pub fn outbox_len(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// A retryable failure: count the attempt.
    pub fn attempt_failed(&mut self, client_msg_id: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1 WHERE client_msg_id = ?1",
            [client_msg_id],
        )?;
        Ok(())
    }

    /// The server refused the message for good: it stays, visibly failed with the reason, and
    /// holds its chat's later messages until retried or cancelled.
    pub fn failed(&mut self, client_msg_id: &str, reason: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        if !failed_in(&tx, client_msg_id, reason)? {
            return Err(StoreError::NotInOutbox(client_msg_id.to_owned()));
        }
        tx.commit()?;
        Ok(())
    }

    /// Try a failed message again (same client id).
    pub fn retry(&mut self, client_msg_id: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE outbox SET state = 'pending', failure = NULL, attempts = 0 WHERE client_msg_id = ?1",
            [client_msg_id],
        )?;
        if n == 0 {
            return Err(StoreError::NotInOutbox(client_msg_id.to_owned()));
        }
        tx.execute(
            "UPDATE messages SET state = 'pending', failure = NULL WHERE client_msg_id = ?1",
            [client_msg_id],
        )?;
        // Its files go up again: a refusal may have been for an upload the server no longer has.
        tx.execute(
            "UPDATE outbox_files SET media_id = NULL WHERE client_msg_id = ?1",
            [client_msg_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Change the text of an unsent message (the user edits one the server refused), keeping its
    /// client id and place; the search index follows by trigger.
    pub fn edit_unsent(&mut self, client_msg_id: &str, body: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE outbox SET body = ?2 WHERE client_msg_id = ?1",
            params![client_msg_id, body],
        )?;
        if n == 0 {
            return Err(StoreError::NotInOutbox(client_msg_id.to_owned()));
        }
        tx.execute(
            "UPDATE messages SET body = ?2 WHERE client_msg_id = ?1 AND msg_id IS NULL",
            params![client_msg_id, body],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Delete an unsent message (pending or failed) everywhere.
    pub fn cancel(&mut self, client_msg_id: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "DELETE FROM outbox WHERE client_msg_id = ?1",
            [client_msg_id],
        )?;
        if n == 0 {
            return Err(StoreError::NotInOutbox(client_msg_id.to_owned()));
        }
        tx.execute(
            "DELETE FROM messages WHERE client_msg_id = ?1 AND msg_id IS NULL",
            [client_msg_id],
        )?;
        tx.commit()?;
        Ok(())
    }
}
