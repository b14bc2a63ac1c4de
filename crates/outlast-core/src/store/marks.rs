//! Read marks: the user's own (and which are not yet on the server) and every member's.

use super::*;

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

/// Move `user_id`'s read mark forward to `mark` (never back). For the signed-in user the chat's
/// unread count becomes the messages from others after the mark. Returns whether it moved.
pub(super) fn read_in(
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
pub(super) fn mark_at(
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

pub(super) fn unread_of(tx: &rusqlite::Transaction<'_>, chat_id: &str) -> Result<u32, StoreError> {
    let n: Option<i64> = tx
        .query_row(
            "SELECT unread_count FROM chats WHERE chat_id = ?1",
            [chat_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(n.unwrap_or(0).clamp(0, u32::MAX as i64) as u32)
}

impl Store {
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
}
