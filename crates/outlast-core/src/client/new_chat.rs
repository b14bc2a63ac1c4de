//! Starting a chat: an operation like any other. The chat is listed and can be written in at
//! once, during an outage too; the server makes it (under the id chosen here, which is also the
//! idempotency key) when it can be asked, and what was written in it meanwhile follows in order.
//! A chat the server refuses waits, with its messages, for the user to try again or delete it.

use crate::model::{ChatCreation, ChatSummary};
use crate::ops::Operation;
use crate::store::{ChatRow, StartedChat};
use crate::CoreError;

use super::chats::Chats;
use super::{check_chat, OUTBOX_FILES};

/// Longest chat name accepted.
pub(super) const MAX_TITLE_CHARS: usize = 100;

impl Chats {
    /// Start a chat with `member_ids`: kept, listed, then queued (see
    /// [`super::Client::create_chat`]).
    pub fn create(&self, title: &str, member_ids: &[String]) -> Result<ChatSummary, CoreError> {
        let title = title.trim();
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(CoreError::InvalidInput(format!(
                "a chat's name is 1 to {MAX_TITLE_CHARS} characters"
            )));
        }
        let most = self.backend.limits().max_chat_members;
        if member_ids.is_empty() || member_ids.len() > most {
            return Err(CoreError::InvalidInput(format!(
                "a chat has 1 to {most} other members"
            )));
        }
        if member_ids.iter().any(|id| id.is_empty() || id.len() > 200) {
            return Err(CoreError::InvalidInput(
                "a member id is 1 to 200 bytes".into(),
            ));
        }
        let mut others: Vec<String> = Vec::new();
        for id in member_ids {
            if *id != self.user.user_id && !others.contains(id) {
                others.push(id.clone());
            }
        }
        let title = if title.is_empty() {
            // A chat with one person needs no name: it is titled after them (the server titles
            // it after the other person for each of the two). With them already, it is that one.
            let [other] = others.as_slice() else {
                return Err(CoreError::InvalidInput(format!(
                    "a group chat's name is 1 to {MAX_TITLE_CHARS} characters (only a chat with one person may have none)"
                )));
            };
            if let Some(existing) = self.shared.read(|t| t.direct_chat_with(other)).flatten() {
                return self.summary(&existing);
            }
            self.shared
                .read(|t| t.name_of(other))
                .ok_or(CoreError::NotSignedIn)?
        } else {
            title.to_owned()
        };
        let chat = StartedChat {
            chat_id: format!("c-{}", uuid::Uuid::new_v4().simple()),
            title,
            member_ids: others,
            created_at_ms: crate::clock::now_ms(),
        };
        let shared = &self.shared;
        // Kept first (listed, and waiting to be made), then shown, then queued.
        let listed = shared
            .read(|t| {
                let mut row = ChatRow {
                    chat_id: chat.chat_id.clone(),
                    title: chat.title.clone(),
                    member_names: vec![self.user.display_name.clone()],
                    member_ids: vec![self.user.user_id.clone()],
                };
                for id in &chat.member_ids {
                    row.member_names.push(t.name_of(id));
                    row.member_ids.push(id.clone());
                }
                row
            })
            .ok_or(CoreError::NotSignedIn)?;
        if let Some(kept) = shared.cache().with_store(|s| s.start_chat(&chat, &listed)) {
            kept?;
        }
        shared.update(|t| {
            let events = t.add_started_chat(&chat.chat_id, &chat.title, &chat.member_ids, None);
            ((), events)
        });
        let chat_id = chat.chat_id.clone();
        let op = Operation::create_chat(chat, None);
        shared
            .outbox()
            .apply(|q| ((), q.submit(op, tokio::time::Instant::now())));
        self.summary(&chat_id)
    }

    /// Ask the server again to make a chat it refused.
    pub fn retry_creation(&self, chat_id: &str) -> Result<ChatSummary, CoreError> {
        check_chat(&self.shared, chat_id)?;
        let failed = self
            .summary(chat_id)
            .is_ok_and(|c| matches!(c.creation, Some(ChatCreation::Failed { .. })));
        if !failed {
            return Err(CoreError::InvalidInput(
                "only a chat the server refused to make can be tried again".into(),
            ));
        }
        let shared = &self.shared;
        if let Some(kept) = shared
            .cache()
            .with_store(|s| s.set_chat_failure(chat_id, None))
        {
            kept?;
        }
        shared.update(|t| ((), t.set_chat_failure(chat_id, None)));
        shared.outbox().try_apply(|q| {
            q.retry(&Operation::creation_of(chat_id))
                .map(|requests| ((), requests))
        })?;
        self.summary(chat_id)
    }

    /// Delete a chat the server has not made, with everything written in it.
    pub fn delete_unmade(&self, chat_id: &str) -> Result<(), CoreError> {
        check_chat(&self.shared, chat_id)?;
        let shared = &self.shared;
        if !shared.read(|t| t.is_unmade(chat_id)).unwrap_or(false) {
            return Err(CoreError::InvalidInput(
                "only a chat the server has not made yet can be deleted here".into(),
            ));
        }
        // Out of the queue first: nothing of it is handed to the server from now on. (A request
        // already on its way may still make it; the server then lists the chat, empty.)
        let dropped = shared
            .outbox()
            .apply(|q| (q.cancel_chat(chat_id), Vec::new()));
        let account_dir = shared
            .cache()
            .with_store(|s| {
                s.delete_unmade_chat(chat_id)
                    .map(|()| s.path().parent().map(std::path::Path::to_path_buf))
            })
            .transpose()?
            .flatten();
        if let Some(dir) = account_dir {
            for op in &dropped {
                // The private file copies of its messages, if any had files.
                let _ = std::fs::remove_dir_all(dir.join(OUTBOX_FILES).join(&op.id));
            }
        }
        shared.update(|t| ((), t.remove_unmade_chat(chat_id)));
        Ok(())
    }
}
