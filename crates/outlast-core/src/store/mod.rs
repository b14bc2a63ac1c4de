//! The account's local database (SQLite, one file per profile): chats, messages with full-text
//! search, the sync cursor, read watermarks, history gaps and the durable outbox.
//!
//! One writer: a `Store` owns its connection and is used from one place at a time. The file is
//! created owner-only; WAL journaling; foreign keys on. A database that is damaged is moved
//! aside (never deleted) and a fresh one is created, to be filled again from the server; one
//! written by a newer Outlast is refused untouched.

mod chat_outbox;
mod chats;
mod history;
mod integrity;
mod marks;
mod outbox;
mod renames;
mod schema;
mod search;
mod sync;

pub use self::chat_outbox::StartedChat;
pub use self::chats::ChatRow;
pub use self::integrity::check_in_background;
pub use self::marks::{ChatMembers, ReadMark, ReadMarkOf, ReadRecorded};
pub use self::outbox::{OutboxEntry, OutboxFile};
pub use self::renames::Rename;
pub use self::search::{SearchHit, INDEX_CHUNK};
pub use self::sync::{StoreWrite, WRITE_BATCH};
// Each part's helpers, for the others (`use super::*` in each part).
use self::{integrity::*, marks::*, outbox::*, search::*, sync::*};

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::domain::{Attachment, Cursor, Message};
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

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

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
}

#[cfg(test)]
mod tests;
