//! The outgoing part: what the user writes. Messages (with files) are kept durably, shown, and
//! submitted to the operation queue; a message the server has not taken yet can be retried,
//! edited or deleted.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::backend::Backend;
use crate::clock::now_ms;
use crate::model::{ChatMessage, Profile};
use crate::ops::{OpError, Operation};
use crate::shared::Shared;
use crate::store::{OutboxEntry, OutboxFile};
use crate::CoreError;

use super::{check_chat, OUTBOX_FILES};

/// Most files one message carries.
const MAX_FILES_PER_MESSAGE: usize = 10;

fn no_cache() -> CoreError {
    CoreError::InvalidInput(
        "unsent messages are kept in the local cache, and this client keeps none (no data folder)"
            .into(),
    )
}

/// A session's outgoing messages.
pub(super) struct Outgoing {
    pub shared: Arc<Shared>,
    pub backend: Arc<dyn Backend>,
    pub user: Profile,
}

impl Outgoing {
    /// Write a text message (see [`super::Client::send`]).
    pub fn send(&self, chat_id: &str, body: &str) -> Result<ChatMessage, CoreError> {
        check_chat(&self.shared, chat_id)?;
        self.backend.limits().check_body(body)?;
        self.write(chat_id, body, uuid::Uuid::new_v4().to_string(), Vec::new())
    }

    /// Write a message with files, copied into the profile first (see
    /// [`super::Client::send_files`]).
    pub async fn send_files(
        &self,
        chat_id: &str,
        body: &str,
        paths: &[PathBuf],
    ) -> Result<ChatMessage, CoreError> {
        check_chat(&self.shared, chat_id)?;
        if paths.is_empty() || paths.len() > MAX_FILES_PER_MESSAGE {
            return Err(CoreError::InvalidInput(format!(
                "a message carries 1 to {MAX_FILES_PER_MESSAGE} files"
            )));
        }
        let client_msg_id = uuid::Uuid::new_v4().to_string();
        let folder = self.files_dir()?.join(&client_msg_id);
        let sources = paths.to_vec();
        let copy_to = folder.clone();
        let limits = self.backend.limits();
        let files = tokio::task::spawn_blocking(move || {
            crate::uploads::keep_copies(&sources, &copy_to, limits)
        })
        .await
        .map_err(|e| CoreError::InvalidInput(format!("copying the files stopped: {e}")))??;
        let body = if body.trim().is_empty() {
            files
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            body.to_owned()
        };
        let written = limits
            .check_body(&body)
            .and_then(|()| self.write(chat_id, &body, client_msg_id, files));
        if written.is_err() {
            let _ = std::fs::remove_dir_all(&folder);
        }
        let message = written?;
        self.shared.uploads_wanted();
        Ok(message)
    }

    /// Keep a new message durably, show it, and submit it to the operation queue, which hands it
    /// to the connection unless something earlier in its chat (a failed message, files still
    /// uploading) or its own files hold it.
    fn write(
        &self,
        chat_id: &str,
        body: &str,
        client_msg_id: String,
        files: Vec<OutboxFile>,
    ) -> Result<ChatMessage, CoreError> {
        let created_at_ms = now_ms();
        let entry = OutboxEntry {
            client_msg_id: client_msg_id.clone(),
            chat_id: chat_id.to_owned(),
            body: body.to_owned(),
            created_at_ms,
            attempts: 0,
            files,
        };
        let shared = &self.shared;
        // Durable first: once this returns, the message survives a crash or restart.
        let user = &self.user;
        if let Some(written) = shared
            .cache()
            .with_store_alone(|s| s.enqueue(&entry, &user.user_id, &user.display_name))
        {
            written?;
        }
        let message = shared
            .update(|t| {
                t.add_pending(
                    chat_id,
                    client_msg_id.clone(),
                    body.to_owned(),
                    created_at_ms,
                    entry.shown_files(),
                )
                .map_or((None, Vec::new()), |(message, events)| {
                    (Some(message), events)
                })
            })
            .flatten()
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))?;
        let op = Operation::send_message(entry);
        shared
            .outbox()
            .apply(|q| ((), q.submit(op, tokio::time::Instant::now())));
        Ok(message)
    }

    /// Send a refused message again under its client id (see [`super::Client::retry`]).
    pub fn retry(&self, client_msg_id: &str) -> Result<(), CoreError> {
        let shared = &self.shared;
        self.check_queued(client_msg_id)?;
        shared
            .cache()
            .with_store(|s| s.retry(client_msg_id))
            .ok_or_else(no_cache)??;
        shared.update(|t| ((), t.mark_pending(client_msg_id)));
        shared
            .outbox()
            .try_apply(|q| q.retry(client_msg_id).map(|requests| ((), requests)))?;
        // Its files may still need uploading (a file refusal failed it).
        shared.uploads_wanted();
        Ok(())
    }

    /// Change the text of a refused message and send it again.
    pub fn edit_and_retry(&self, client_msg_id: &str, body: &str) -> Result<(), CoreError> {
        self.backend.limits().check_body(body)?;
        self.require_cache()?;
        let shared = &self.shared;
        let refused = shared
            .outbox()
            .read(|q| q.get(client_msg_id).is_some_and(Operation::is_refused));
        if !refused {
            return Err(OpError::NotRefused.into());
        }
        shared
            .cache()
            .with_store(|s| s.edit_unsent(client_msg_id, body))
            .ok_or_else(no_cache)??;
        shared
            .outbox()
            .apply(|q| (q.edit(client_msg_id, body), Vec::new()))?;
        shared.update(|t| ((), t.edit_own(client_msg_id, body.to_owned())));
        self.retry(client_msg_id)
    }

    /// Retry every refused message, of one chat or of all.
    pub fn retry_all(&self, chat_id: Option<&str>) -> Result<usize, CoreError> {
        self.require_cache()?;
        let failed = self.shared.outbox().read(|q| q.refused_ids(chat_id));
        for id in &failed {
            self.retry(id)?;
        }
        Ok(failed.len())
    }

    /// Delete a message that was never sent, with its private file copies.
    pub fn delete_unsent(&self, client_msg_id: &str) -> Result<(), CoreError> {
        let shared = &self.shared;
        self.check_queued(client_msg_id)?;
        let account_dir = shared
            .cache()
            .with_store(|s| {
                s.cancel(client_msg_id)
                    .map(|()| s.path().parent().map(Path::to_path_buf))
            })
            .ok_or_else(no_cache)??;
        if let Some(dir) = account_dir {
            // Its private file copies, if it had files.
            let _ = std::fs::remove_dir_all(dir.join(OUTBOX_FILES).join(client_msg_id));
        }
        shared.update(|t| ((), t.remove_own(client_msg_id)));
        shared.outbox().try_apply(|q| q.cancel(client_msg_id))?;
        Ok(())
    }

    /// Every message written here and not yet stored by the server, in the order written.
    pub fn unsent(&self) -> Vec<ChatMessage> {
        let user = &self.user;
        self.shared.outbox().read(|q| {
            q.all()
                .into_iter()
                .filter_map(|op| op.shown(&user.user_id, &user.display_name))
                .collect()
        })
    }

    /// `client_msg_id` is an operation in the queue (unsent messages are kept in the local cache,
    /// so a client without one has none to act on).
    fn check_queued(&self, client_msg_id: &str) -> Result<(), CoreError> {
        self.require_cache()?;
        let queued = self
            .shared
            .outbox()
            .read(|q| q.get(client_msg_id).is_some());
        if queued {
            Ok(())
        } else {
            Err(OpError::NotQueued.into())
        }
    }

    /// Where files written with messages wait for upload, in the account's folder.
    pub(super) fn files_dir(&self) -> Result<PathBuf, CoreError> {
        let account_dir = self
            .shared
            .cache()
            .with_store(|s| Ok(s.path().parent().map(Path::to_path_buf)))
            .transpose()?
            .flatten()
            .ok_or_else(no_cache)?;
        Ok(account_dir.join(OUTBOX_FILES))
    }

    fn require_cache(&self) -> Result<(), CoreError> {
        if self.shared.cache().has_store() {
            Ok(())
        } else {
            Err(no_cache())
        }
    }
}
