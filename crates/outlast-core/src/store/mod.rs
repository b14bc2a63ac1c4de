//! The account's local database (SQLite, one file per profile): chats, messages with full-text
//! search, the sync cursor, read watermarks, history gaps and the durable outbox.
//!
//! One writer: a `Store` owns its connection and is used from one place at a time. The file is
//! created owner-only; WAL journaling; foreign keys on. A database that is damaged is moved
//! aside (never deleted) and a fresh one is created, to be filled again from the server; one
//! written by a newer Outlast is refused untouched.

mod schema;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use outlast_protocol::MessageRecord;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use thiserror::Error;

use crate::clock::now_ms;
use crate::model::{ChatMessage, ChatSummary, MessageAttachment, MessageState};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the local database {path} was written by a newer version of Outlast (schema {found}; this version knows up to {known}). Update Outlast, or move the file aside to start over.")]
    NewerSchema {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error("cannot prepare the data folder {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the local database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("there is no unsent message {0:?}")]
    NotInOutbox(String),
}

/// How opening went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    Created,
    Existing,
    /// The file was damaged: it was moved to `moved_to` and a fresh database created.
    Recovered {
        moved_to: PathBuf,
        reason: String,
    },
}

/// A chat as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRow {
    pub chat_id: String,
    pub title: String,
    pub member_names: Vec<String>,
    pub member_ids: Vec<String>,
}

/// How far a member has read a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMarkOf {
    pub user_id: String,
    pub mark: ReadMark,
}

/// A chat's members and their read marks (user id → message id), as cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMembers {
    pub chat_id: String,
    pub member_ids: Vec<String>,
    pub read: HashMap<String, String>,
}

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
    pub fn attachments(&self) -> Vec<outlast_protocol::Attachment> {
        self.files
            .iter()
            .filter_map(|f| {
                Some(outlast_protocol::Attachment {
                    media_id: f.media_id.clone()?,
                    name: f.name.clone(),
                    size: f.size,
                    mime: f.mime.clone(),
                })
            })
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

/// One full-text search hit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SearchHit {
    pub message: ChatMessage,
    /// The body with each match wrapped in `\u{2}` … `\u{3}` (the UI turns them into highlights;
    /// they cannot occur in message text, which is rendered as text anyway).
    pub highlighted: String,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const CURSOR_KEY: &str = "cursor";

impl Store {
    /// Open (or create) the database at `path`.
    pub fn open(path: &Path) -> Result<(Store, Opened), StoreError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        crate::private_files::create_dir(dir).map_err(|source| StoreError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let existed = path.exists();
        if !existed {
            create_private_file(path).map_err(|source| StoreError::Io {
                path: path.to_owned(),
                source,
            })?;
        }
        match Self::open_checked(path) {
            Ok(store) => Ok((
                store,
                if existed {
                    Opened::Existing
                } else {
                    Opened::Created
                },
            )),
            Err(StoreError::Sqlite(err)) if existed && is_damage(&err) => {
                let reason = err.to_string();
                let moved_to = move_aside(path).map_err(|source| StoreError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                tracing::error!(%reason, moved_to = %moved_to.display(), "the local database was damaged; starting a fresh one");
                create_private_file(path).map_err(|source| StoreError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                let store = Self::open_checked(path)?;
                Ok((store, Opened::Recovered { moved_to, reason }))
            }
            Err(err) => Err(err),
        }
    }

    fn open_checked(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // The full check reads the whole file (200 ms for 100,000 messages, seconds for
        // millions), so it runs after start-up (`check_in_background`) and leaves a note for
        // the next start when it finds damage. Here: that note, and the header (a file that is
        // not a database at all fails on this first read).
        if let Ok(found) = fs::read_to_string(damage_note(path)) {
            return Err(damaged(format!(
                "integrity check at an earlier start: {}",
                found.trim()
            )));
        }
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // An 8 MiB page cache (SQLite's default is 2 MiB) keeps the hot index pages of a large
        // cache in memory within the core's memory budget.
        conn.pragma_update(None, "cache_size", -8_000)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let found: u32 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = schema::latest();
        if found > known {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found,
                known,
            });
        }
        for (index, sql) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", index as u32 + 1)?;
            tx.commit()?;
            tracing::info!(version = index + 1, "database schema migrated");
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `PRAGMA integrity_check`: "ok" for a sound database.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Insert or update chats (title and members; counters and flags are kept).
    pub fn upsert_chats(&mut self, chats: &[ChatRow]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO chats (chat_id, title, member_names, member_ids) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (chat_id) DO UPDATE SET title = ?2, member_names = ?3, member_ids = ?4",
            )?;
            for chat in chats {
                let names = serde_json::to_string(&chat.member_names).unwrap_or_default();
                let ids = serde_json::to_string(&chat.member_ids).unwrap_or_default();
                upsert.execute(params![chat.chat_id, chat.title, names, ids])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Silence a chat or not (a local choice, kept across restarts).
    pub fn set_muted(&mut self, chat_id: &str, muted: bool) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE chats SET muted = ?2 WHERE chat_id = ?1",
            params![chat_id, muted],
        )?;
        Ok(())
    }

    /// Keep a chat at the top of the list or not (a local choice, kept across restarts).
    pub fn set_pinned(&mut self, chat_id: &str, pinned: bool) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE chats SET pinned = ?2 WHERE chat_id = ?1",
            params![chat_id, pinned],
        )?;
        Ok(())
    }

    /// The ids of the pinned chats.
    pub fn pinned_chats(&self) -> Result<Vec<String>, StoreError> {
        let mut query = self
            .conn
            .prepare_cached("SELECT chat_id FROM chats WHERE pinned = 1")?;
        let rows = query.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The ids of the muted chats.
    pub fn muted_chats(&self) -> Result<Vec<String>, StoreError> {
        let mut query = self
            .conn
            .prepare_cached("SELECT chat_id FROM chats WHERE muted = 1")?;
        let rows = query.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Where the event stream starts for this account: set at sign-in from the server's head (a
    /// fresh cache, or a server whose history was reset), so a later start catches up from here.
    pub fn set_cursor(&mut self, seq: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = ?2",
            params![CURSOR_KEY, seq as i64],
        )?;
        Ok(())
    }

    /// The highest event sequence applied.
    pub fn cursor(&self) -> Result<u64, StoreError> {
        Ok(self.saved_cursor()?.unwrap_or(0))
    }

    /// The cursor, or `None` if this cache never had one (a new account here).
    pub fn saved_cursor(&self) -> Result<Option<u64>, StoreError> {
        let value: Option<i64> = self
            .conn
            .query_row(
                "SELECT value FROM sync_state WHERE key = ?1",
                [CURSOR_KEY],
                |r| r.get(0),
            )
            .optional()?;
        Ok(value.map(|v| v.max(0) as u64))
    }

    /// Apply received messages, each once (by server id), and move the cursor to the highest
    /// sequence, all in one transaction: a crash leaves either all of it or none.
    /// `me` is the signed-in user; `open_chat` the chat being looked at (no unread for it).
    /// Returns how many messages were new.
    pub fn apply_messages(
        &mut self,
        events: &[(u64, &MessageRecord, &str)],
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
        let mut received: Vec<(u64, &MessageRecord, &str)> = Vec::new();
        for write in writes {
            match write {
                StoreWrite::Received {
                    seq,
                    record,
                    sender_name,
                } => received.push((*seq, record, sender_name.as_str())),
                StoreWrite::Acked {
                    client_msg_id,
                    msg_id,
                    seq,
                } => {
                    // An ack may confirm a message received just before it: keep the order.
                    apply_messages_in(&tx, &received, me, None)?;
                    received.clear();
                    acked_in(&tx, client_msg_id, msg_id, *seq)?;
                }
                StoreWrite::Read {
                    seq,
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
                    advance_cursor(&tx, *seq)?;
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

    /// Every chat with its last message and unread count, most recently active first.
    pub fn chat_list(&self) -> Result<Vec<ChatSummary>, StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT c.chat_id, c.title, c.member_names, c.unread_count, c.muted, c.pinned,
                    m.id, m.msg_id, m.client_msg_id, m.chat_id, m.sender_id, m.sender_name, m.body,
                    m.sent_at_ms, m.seq, m.state, m.failure, m.own, m.attachments
             FROM chats c
             LEFT JOIN messages m ON m.id = (
                 SELECT id FROM messages WHERE chat_id = c.chat_id
                 ORDER BY sent_at_ms DESC, msg_id DESC, id DESC LIMIT 1)
             ORDER BY c.pinned DESC, c.last_activity_ms DESC, c.chat_id",
        )?;
        let rows = query.query_map([], |row| {
            let members: String = row.get(2)?;
            let last = match row.get::<_, Option<i64>>(6)? {
                Some(_) => Some(message_from_offset(row, 6)?),
                None => None,
            };
            Ok(ChatSummary {
                chat_id: row.get(0)?,
                title: row.get(1)?,
                member_names: serde_json::from_str(&members).unwrap_or_default(),
                last_message: last,
                unread_count: row.get::<_, i64>(3)?.clamp(0, u32::MAX as i64) as u32,
                muted: row.get(4)?,
                pinned: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

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
    fn attach_files<'a>(
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

    /// Keep what the user typed in `chat_id` but did not send (empty: forget it).
    pub fn save_draft(&mut self, chat_id: &str, body: &str) -> Result<(), StoreError> {
        if body.trim().is_empty() {
            self.conn
                .execute("DELETE FROM drafts WHERE chat_id = ?1", [chat_id])?;
        } else {
            self.conn.execute(
                "INSERT INTO drafts (chat_id, body, updated_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (chat_id) DO UPDATE SET body = ?2, updated_ms = ?3",
                params![chat_id, body, now_ms() as i64],
            )?;
        }
        Ok(())
    }

    /// Every chat's unsent draft.
    pub fn drafts(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut query = self
            .conn
            .prepare_cached("SELECT chat_id, body FROM drafts ORDER BY chat_id")?;
        let rows = query.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
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

    /// The user has read `chat_id` up to `msg_id` here: the chat's unread count follows, and the
    /// mark waits for the server (replacing an older waiting one). `None` for a message this
    /// cache does not have.
    pub fn record_read(
        &mut self,
        chat_id: &str,
        msg_id: &str,
        me: &str,
    ) -> Result<Option<ReadRecorded>, StoreError> {
        let tx = self.conn.transaction()?;
        let Some(mark) = mark_at(&tx, chat_id, msg_id)? else {
            return Ok(None);
        };
        let moved = read_in(&tx, &mark, me, me)?;
        if moved {
            tx.execute(
                "INSERT INTO read_outbox (chat_id, msg_id, sent_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (chat_id) DO UPDATE SET msg_id = ?2, sent_at_ms = ?3
                 WHERE (?3, ?2) > (read_outbox.sent_at_ms, read_outbox.msg_id)",
                params![mark.chat_id, mark.msg_id, mark.sent_at_ms as i64],
            )?;
        }
        let unread = unread_of(&tx, &mark.chat_id)?;
        tx.commit()?;
        Ok(Some(ReadRecorded { moved, unread }))
    }

    /// The user's read marks the server does not have yet, one per chat.
    pub fn unsent_read_marks(&self) -> Result<Vec<ReadMark>, StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT chat_id, msg_id, sent_at_ms FROM read_outbox ORDER BY chat_id",
        )?;
        let rows = query.query_map([], |r| {
            Ok(ReadMark {
                chat_id: r.get(0)?,
                msg_id: r.get(1)?,
                sent_at_ms: r.get::<_, i64>(2)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The server has the mark `msg_id` of `chat_id`: stop sending it (unless a newer one
    /// replaced it meanwhile).
    pub fn read_mark_sent(&mut self, chat_id: &str, msg_id: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM read_outbox WHERE chat_id = ?1 AND msg_id = ?2",
            params![chat_id, msg_id],
        )?;
        Ok(())
    }

    /// Other members' read marks as the server listed them with the chats. Marks only move
    /// forward, so an older listing never undoes a newer `read` event; the user's own marks come
    /// from events and this device.
    pub fn record_member_marks(
        &mut self,
        marks: &[ReadMarkOf],
        me: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for mark in marks.iter().filter(|m| m.user_id != me) {
            read_in(&tx, &mark.mark, &mark.user_id, me)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every chat's members by id with how far each has read (the message id; `None`: nothing
    /// yet, as far as this cache knows), for a start from the cache.
    pub fn member_marks(&self) -> Result<Vec<ChatMembers>, StoreError> {
        // Two reads in all, not one per chat: this runs on a cold start from the cache.
        let mut read: HashMap<String, HashMap<String, String>> = HashMap::new();
        let mut marks = self
            .conn
            .prepare_cached("SELECT chat_id, user_id, msg_id FROM read_watermarks")?;
        for row in marks.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            let (chat_id, user_id, msg_id): (String, String, String) = row?;
            read.entry(chat_id).or_default().insert(user_id, msg_id);
        }
        let mut chats = self
            .conn
            .prepare_cached("SELECT chat_id, member_ids FROM chats ORDER BY chat_id")?;
        let listed =
            chats.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in listed {
            let (chat_id, ids) = row?;
            out.push(ChatMembers {
                member_ids: serde_json::from_str(&ids).unwrap_or_default(),
                read: read.remove(&chat_id).unwrap_or_default(),
                chat_id,
            });
        }
        Ok(out)
    }

    /// Where `user_id` has read `chat_id` up to, as far as this cache knows.
    pub fn read_mark(&self, chat_id: &str, user_id: &str) -> Result<Option<ReadMark>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT msg_id, sent_at_ms FROM read_watermarks WHERE chat_id = ?1 AND user_id = ?2",
                params![chat_id, user_id],
                |r| {
                    Ok(ReadMark {
                        chat_id: chat_id.to_owned(),
                        msg_id: r.get(0)?,
                        sent_at_ms: r.get::<_, i64>(1)?.max(0) as u64,
                    })
                },
            )
            .optional()?)
    }

    /// Keep a page of a chat's history from the server: messages just older than `before` (the
    /// newest page when `None`), oldest first, with the server's word on whether older ones
    /// exist. The page is contiguous, so gaps inside it are filled; a page that does not reach
    /// back to what was cached leaves a gap below it; the chat's first page marks it complete.
    pub fn apply_history_page(
        &mut self,
        chat_id: &str,
        page: &[(&MessageRecord, &str)],
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
        let events: Vec<(u64, &MessageRecord, &str)> =
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

    fn message_by_client_id(&self, client_msg_id: &str) -> Result<Option<ChatMessage>, StoreError> {
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

/// Most writes the client puts in one transaction when the connection learns faster than it can
/// write one by one (a catch-up, an outbox flush): bigger batches amortise the commit and the
/// full-text index's segment work; a crash can only cost a re-fetch of what was not written.
pub const WRITE_BATCH: usize = 5_000;

/// Messages indexed for search per transaction by [`Store::index_pending`]: about 15 ms of work,
/// so a new write never waits long behind the indexer.
pub const INDEX_CHUNK: usize = 2_000;

/// What the connection learned, waiting to be written in one transaction with its neighbours.
#[derive(Debug, Clone)]
pub enum StoreWrite {
    Received {
        seq: u64,
        record: MessageRecord,
        sender_name: String,
    },
    Acked {
        client_msg_id: String,
        msg_id: String,
        seq: u64,
    },
    /// `user_id` has read `chat_id` up to `msg_id` (an event: another member, or this user on
    /// another device).
    Read {
        seq: u64,
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
}

/// Mark an unsent message failed with `reason`; `false` if it is not in the outbox.
fn failed_in(
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

/// Record a possible gap above every chat's newest cached message; how many were new.
fn history_skipped_in(tx: &rusqlite::Transaction<'_>) -> Result<usize, StoreError> {
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

/// What recording a read mark did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRecorded {
    /// False when the chat was already read that far (nothing new to send).
    pub moved: bool,
    /// The chat's unread count now.
    pub unread: u32,
}

/// "Read up to this message" in one chat. The time orders marks: a mark never moves back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMark {
    pub chat_id: String,
    pub msg_id: String,
    pub sent_at_ms: u64,
}

fn apply_messages_in(
    tx: &rusqlite::Transaction<'_>,
    events: &[(u64, &MessageRecord, &str)],
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
        let mut confirm_own = tx.prepare_cached(
            "UPDATE messages SET msg_id = ?2, seq = ?3, state = 'sent', failure = NULL
             WHERE client_msg_id = ?1 AND msg_id IS NULL",
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
                    if confirm_own.execute(params![client_id, record.msg_id, *seq as i64])? > 0 {
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
fn acked_in(
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

fn advance_cursor(tx: &rusqlite::Transaction<'_>, seq: u64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = max(value, ?2)",
        params![CURSOR_KEY, seq as i64],
    )?;
    Ok(())
}

/// Move `user_id`'s read mark forward to `mark` (never back). For the signed-in user the chat's
/// unread count becomes the messages from others after the mark. Returns whether it moved.
fn read_in(
    tx: &rusqlite::Transaction<'_>,
    mark: &ReadMark,
    user_id: &str,
    me: &str,
) -> Result<bool, StoreError> {
    let moved = tx.execute(
        "INSERT INTO read_watermarks (chat_id, user_id, msg_id, sent_at_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (chat_id, user_id) DO UPDATE SET msg_id = ?3, sent_at_ms = ?4
         WHERE (?4, ?3) > (read_watermarks.sent_at_ms, read_watermarks.msg_id)",
        params![mark.chat_id, user_id, mark.msg_id, mark.sent_at_ms as i64],
    )? > 0;
    if moved && user_id == me {
        tx.execute(
            "UPDATE chats SET unread_count = (
                 SELECT count(*) FROM messages
                 WHERE chat_id = ?1 AND own = 0 AND (sent_at_ms, msg_id) > (?2, ?3))
             WHERE chat_id = ?1",
            params![mark.chat_id, mark.sent_at_ms as i64, mark.msg_id],
        )?;
        // A mark made on another device covers what this one still meant to send.
        tx.execute(
            "DELETE FROM read_outbox WHERE chat_id = ?1 AND (sent_at_ms, msg_id) < (?2, ?3)",
            params![mark.chat_id, mark.sent_at_ms as i64, mark.msg_id],
        )?;
    }
    Ok(moved)
}

/// The mark for message `msg_id` of `chat_id`, placed by the message's time.
fn mark_at(
    tx: &rusqlite::Transaction<'_>,
    chat_id: &str,
    msg_id: &str,
) -> Result<Option<ReadMark>, StoreError> {
    let at: Option<i64> = tx
        .query_row(
            "SELECT sent_at_ms FROM messages WHERE msg_id = ?1 AND chat_id = ?2",
            params![msg_id, chat_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(at.map(|at| ReadMark {
        chat_id: chat_id.to_owned(),
        msg_id: msg_id.to_owned(),
        sent_at_ms: at.max(0) as u64,
    }))
}

fn unread_of(tx: &rusqlite::Transaction<'_>, chat_id: &str) -> Result<u32, StoreError> {
    let n: Option<i64> = tx
        .query_row(
            "SELECT unread_count FROM chats WHERE chat_id = ?1",
            [chat_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(n.unwrap_or(0).clamp(0, u32::MAX as i64) as u32)
}

/// Add messages from row id `first` on to the full-text index at once, in one statement (a
/// message written here is searchable as soon as it shows). Received messages are indexed later
/// instead ([`Store::index_pending`]); updates and deletes keep the index by trigger.
fn index_new_messages(tx: &rusqlite::Transaction<'_>, first: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages WHERE id >= ?1",
        [first],
    )?;
    Ok(())
}

/// A received message's files as stored with it (`NULL` when there are none, nearly always).
fn attachments_json(attachments: &[outlast_protocol::Attachment]) -> Option<String> {
    if attachments.is_empty() {
        return None;
    }
    let files: Vec<MessageAttachment> = attachments
        .iter()
        .map(MessageAttachment::from_server)
        .collect();
    serde_json::to_string(&files).ok()
}

/// Columns: client_msg_id, chat_id, body, created_at_ms, attempts, state, failure.
fn outbox_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(OutboxEntry, Option<String>)> {
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

fn message_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ChatMessage> {
    message_from_offset(row, 0)
}

/// Columns `at..at+12`: id, msg_id, client_msg_id, chat_id, sender_id, sender_name, body,
/// sent_at_ms, seq, state, failure, own, attachments (JSON).
fn message_from_offset(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<ChatMessage> {
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

/// Plain words to an FTS5 query: each word quoted (so nothing is syntax) and matched as a prefix.
fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn is_damage(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// Checks every page of the database at `path` on a connection of its own (readers do not block
/// the app's writer under WAL). On damage it leaves a note beside the file, so the next start
/// sets the file aside and fills a fresh one from the server, and returns what was found.
pub fn check_in_background(path: &Path) -> Result<(), StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let found = match conn.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)) {
        Ok(check) if check == "ok" => return Ok(()),
        Ok(check) => check,
        Err(err) if is_damage(&err) => err.to_string(),
        Err(err) => return Err(err.into()),
    };
    crate::private_files::write_atomically(&damage_note(path), found.as_bytes()).map_err(
        |source| StoreError::Io {
            path: damage_note(path),
            source,
        },
    )?;
    Err(damaged(found))
}

/// Where a failed background check leaves its finding for the next start.
fn damage_note(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.damaged", path.display()))
}

fn damaged(reason: String) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
        Some(reason),
    ))
}

/// Move a damaged database (and its journal files) aside, keeping it for inspection.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let target = path.with_extension(format!("damaged-{}", now_ms()));
    fs::rename(path, &target)?;
    // The note has done its job: the fresh file must not be taken for damaged.
    let _ = fs::rename(
        damage_note(path),
        PathBuf::from(format!("{}.reason", target.display())),
    );
    for suffix in ["-wal", "-shm"] {
        let journal = PathBuf::from(format!("{}{suffix}", path.display()));
        if journal.exists() {
            let _ = fs::rename(
                &journal,
                PathBuf::from(format!("{}{suffix}", target.display())),
            );
        }
    }
    Ok(target)
}

/// An empty file only the user may read: SQLite keeps its journal files at the same mode.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    crate::private_files::open_options()
        .create_new(true)
        .open(path)
        .map(drop)
}

#[cfg(test)]
mod tests;
