//! Forwarding a message to other chats: its text is written in each, like a message typed there
//! (kept, queued, sent in order, offline too); its files are fetched from the media service and
//! sent again from private copies, since a file belongs to whoever uploaded it.

use std::path::Path;

use crate::model::ChatMessage;
use crate::CoreError;

use super::check_chat;
use super::media::Media;
use super::outgoing::Outgoing;

/// Most chats one forward goes to.
pub(super) const MAX_FORWARD_CHATS: usize = 10;

impl Outgoing {
    /// Forward `message` to the chats `to` (see [`super::Client::forward`]).
    pub async fn forward(
        &self,
        media: &Media,
        message: &ChatMessage,
        to: &[String],
    ) -> Result<Vec<ChatMessage>, CoreError> {
        let mut chats: Vec<&str> = Vec::new();
        for chat in to {
            if !chats.contains(&chat.as_str()) {
                chats.push(chat);
            }
        }
        if chats.is_empty() || chats.len() > MAX_FORWARD_CHATS {
            return Err(CoreError::InvalidInput(format!(
                "a message is forwarded to 1 to {MAX_FORWARD_CHATS} chats"
            )));
        }
        // Every chat is checked before anything is written: a forward goes everywhere or nowhere.
        for chat in &chats {
            check_chat(&self.shared, chat)?;
        }
        if message.attachments.is_empty() {
            self.backend.limits().check_body(&message.body)?;
            return chats
                .iter()
                .map(|chat| self.send(chat, &message.body))
                .collect();
        }
        // A message of files alone carries their names as its text: the copies get theirs.
        let names: Vec<&str> = message
            .attachments
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        let caption = if message.body == names.join(", ") {
            ""
        } else {
            message.body.as_str()
        };
        let folder = self
            .files_dir()?
            .join(format!("forward-{}", uuid::Uuid::new_v4().simple()));
        let forwarded = self
            .forward_files(media, message, caption, &chats, &folder)
            .await;
        // The messages keep copies of their own; these were only on their way.
        let _ = std::fs::remove_dir_all(&folder);
        forwarded
    }

    async fn forward_files(
        &self,
        media: &Media,
        message: &ChatMessage,
        caption: &str,
        chats: &[&str],
        folder: &Path,
    ) -> Result<Vec<ChatMessage>, CoreError> {
        let mut paths = Vec::new();
        for attachment in &message.attachments {
            paths.push(media.save(attachment, folder).await?);
        }
        let mut sent = Vec::new();
        for chat in chats {
            sent.push(self.send_files(chat, caption, &paths).await?);
        }
        Ok(sent)
    }
}
