//! The chat list (with the user's local choices: mute, pin) and drafts.

use super::*;

/// A chat as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRow {
    pub chat_id: String,
    pub title: String,
    pub member_names: Vec<String>,
    pub member_ids: Vec<String>,
}

impl From<&crate::domain::Chat> for ChatRow {
    fn from(chat: &crate::domain::Chat) -> Self {
        ChatRow {
            chat_id: chat.chat_id.clone(),
            title: chat.title.clone(),
            member_names: chat
                .members
                .iter()
                .map(|m| m.display_name.clone())
                .collect(),
            member_ids: chat.members.iter().map(|m| m.user_id.clone()).collect(),
        }
    }
}

/// Insert or update one chat (title and members; counters and flags are kept).
pub(super) fn upsert_chat_in(
    tx: &rusqlite::Transaction<'_>,
    chat: &ChatRow,
) -> Result<(), StoreError> {
    let names = serde_json::to_string(&chat.member_names).unwrap_or_default();
    let ids = serde_json::to_string(&chat.member_ids).unwrap_or_default();
    tx.prepare_cached(
        "INSERT INTO chats (chat_id, title, member_names, member_ids) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (chat_id) DO UPDATE SET title = ?2, member_names = ?3, member_ids = ?4",
    )?
    .execute(params![chat.chat_id, chat.title, names, ids])?;
    Ok(())
}

impl Store {
    /// Insert or update chats (title and members; counters and flags are kept).
    pub fn upsert_chats(&mut self, chats: &[ChatRow]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for chat in chats {
            upsert_chat_in(&tx, chat)?;
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
                // The session marks the chats still waiting to be made (`unsent_chats`).
                creation: None,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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
}
