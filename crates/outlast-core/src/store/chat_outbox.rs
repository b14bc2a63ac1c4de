//! Chats the user started that the server has not made yet. The chat is listed (`chats`) from
//! the moment it is started, so it survives a restart and can be written in offline; this table
//! says it still has to be made, and why not if the server refused.

use super::*;

/// A chat started here, as the operation queue needs it to ask the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedChat {
    /// Chosen here; also the request's idempotency key.
    pub chat_id: String,
    pub title: String,
    /// The other members (the user is always one).
    pub member_ids: Vec<String>,
    pub created_at_ms: u64,
}

impl Store {
    /// Keep a chat the user just started: listed at once (titled as the user named it, members
    /// as `row` names them) and waiting to be made.
    pub fn start_chat(&mut self, chat: &StartedChat, row: &ChatRow) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let names = serde_json::to_string(&row.member_names).unwrap_or_default();
        let ids = serde_json::to_string(&row.member_ids).unwrap_or_default();
        tx.execute(
            "INSERT INTO chats (chat_id, title, member_names, member_ids) VALUES (?1, ?2, ?3, ?4)",
            params![row.chat_id, row.title, names, ids],
        )?;
        let others = serde_json::to_string(&chat.member_ids).unwrap_or_default();
        tx.execute(
            "INSERT INTO chat_outbox (chat_id, title, member_ids, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![chat.chat_id, chat.title, others, chat.created_at_ms as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every chat started here and not yet made, oldest first, with the server's reason for
    /// those it refused.
    pub fn unmade_chats(&self) -> Result<Vec<(StartedChat, Option<String>)>, StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT chat_id, title, member_ids, created_at_ms, failure FROM chat_outbox
             ORDER BY created_at_ms, chat_id",
        )?;
        let rows = query.query_map([], |r| {
            let ids: String = r.get(2)?;
            Ok((
                StartedChat {
                    chat_id: r.get(0)?,
                    title: r.get(1)?,
                    member_ids: serde_json::from_str(&ids).unwrap_or_default(),
                    created_at_ms: r.get::<_, i64>(3)?.max(0) as u64,
                },
                r.get(4)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The server made the chat: it is no longer waiting, and is listed as the server describes
    /// it.
    pub fn chat_made(&mut self, row: &ChatRow) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM chat_outbox WHERE chat_id = ?1", [&row.chat_id])?;
        self.upsert_chats(std::slice::from_ref(row))
    }

    /// The server refused to make the chat (`Some(reason)`), or the user tries again (`None`).
    pub fn set_chat_failure(
        &mut self,
        chat_id: &str,
        failure: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE chat_outbox SET failure = ?2 WHERE chat_id = ?1",
            params![chat_id, failure],
        )?;
        Ok(())
    }

    /// The user deleted a chat the server never made: it goes, with the messages written in it
    /// (their files' rows follow by cascade), its draft and everything else kept for it.
    pub fn delete_unmade_chat(&mut self, chat_id: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute("DELETE FROM chat_outbox WHERE chat_id = ?1", [chat_id])?;
        if n == 0 {
            return Err(StoreError::NotInOutbox(chat_id.to_owned()));
        }
        tx.execute("DELETE FROM outbox WHERE chat_id = ?1", [chat_id])?;
        tx.execute("DELETE FROM messages WHERE chat_id = ?1", [chat_id])?;
        tx.execute("DELETE FROM drafts WHERE chat_id = ?1", [chat_id])?;
        tx.execute("DELETE FROM chats WHERE chat_id = ?1", [chat_id])?;
        tx.commit()?;
        Ok(())
    }
}
