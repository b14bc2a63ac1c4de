//! Chat renames the server has not confirmed: the chat's row shows the new title at once (so it
//! holds offline and across restarts) and this table keeps the rename to send, one per chat: a
//! newer title replaces a waiting one, and the title before the first unconfirmed rename is kept
//! to show again if the server refuses.

use super::*;

/// A rename waiting for the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// The operation's key.
    pub op_id: String,
    pub chat_id: String,
    pub title: String,
    /// What the chat was called before (shown again if the server refuses).
    pub previous: String,
    pub created_at_ms: u64,
}

impl Store {
    /// Keep a rename: the chat shows `rename.title` from now on, and the rename waits to be sent
    /// (replacing the chat's waiting one, whose earlier `previous` stays).
    pub fn queue_rename(&mut self, rename: &Rename) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE chats SET title = ?2 WHERE chat_id = ?1",
            params![rename.chat_id, rename.title],
        )?;
        tx.execute(
            "INSERT INTO rename_outbox (chat_id, op_id, title, previous, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (chat_id) DO UPDATE
                 SET op_id = excluded.op_id, title = excluded.title,
                     created_at_ms = excluded.created_at_ms",
            params![
                rename.chat_id,
                rename.op_id,
                rename.title,
                rename.previous,
                rename.created_at_ms as i64
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The server took rename `op_id` (a newer rename of the chat, if any, still waits).
    pub fn rename_done(&mut self, op_id: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM rename_outbox WHERE op_id = ?1", [op_id])?;
        Ok(())
    }

    /// The server refused rename `op_id` for good: it is dropped and the chat shows `previous`
    /// again (unless it has been renamed since).
    pub fn rename_refused(
        &mut self,
        op_id: &str,
        title: &str,
        previous: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let chat: Option<String> = tx
            .query_row(
                "SELECT chat_id FROM rename_outbox WHERE op_id = ?1",
                [op_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(chat_id) = chat {
            tx.execute("DELETE FROM rename_outbox WHERE op_id = ?1", [op_id])?;
            tx.execute(
                "UPDATE chats SET title = ?3 WHERE chat_id = ?1 AND title = ?2",
                params![chat_id, title, previous],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every rename waiting for the server, oldest first.
    pub fn unsent_renames(&self) -> Result<Vec<Rename>, StoreError> {
        let mut query = self.conn.prepare(
            "SELECT op_id, chat_id, title, previous, created_at_ms FROM rename_outbox
             ORDER BY created_at_ms, chat_id",
        )?;
        let rows = query.query_map([], |r| {
            Ok(Rename {
                op_id: r.get(0)?,
                chat_id: r.get(1)?,
                title: r.get(2)?,
                previous: r.get(3)?,
                created_at_ms: r.get::<_, i64>(4)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
