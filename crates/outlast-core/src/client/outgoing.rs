//! What the user writes: messages (with files), kept durably and submitted to the operation
//! queue, and what can be done with one the server has not taken yet.

use std::path::{Path, PathBuf};

use crate::clock::now_ms;
use crate::model::ChatMessage;
use crate::ops::{OpError, Operation};
use crate::store::{OutboxEntry, OutboxFile};
use crate::CoreError;

use super::{Client, Session, OUTBOX_FILES};

/// Most files one message carries.
const MAX_FILES_PER_MESSAGE: usize = 10;

fn no_cache() -> CoreError {
    CoreError::InvalidInput(
        "unsent messages are kept in the local cache, and this client keeps none (no data folder)"
            .into(),
    )
}

impl Client {
    /// Write a message: it is shown at once as pending and delivered when the gateway is up.
    pub fn send(&self, chat_id: &str, body: &str) -> Result<ChatMessage, CoreError> {
        let session = self.session()?;
        self.check_chat(chat_id)?;
        session.backend.limits().check_body(body)?;
        self.write(
            &session,
            chat_id,
            body,
            uuid::Uuid::new_v4().to_string(),
            Vec::new(),
        )
    }

    /// Write a message with files. Each file is copied into the profile first (moving or
    /// deleting the original cannot lose it), uploaded to the media service, and then the
    /// message goes, in its place in the chat. While the media service is down the message
    /// waits, saying why, and holds the chat's later messages (order is strict); other chats
    /// keep flowing. An empty `body` becomes the file names.
    pub async fn send_files(
        &self,
        chat_id: &str,
        body: &str,
        paths: &[PathBuf],
    ) -> Result<ChatMessage, CoreError> {
        let session = self.session()?;
        self.check_chat(chat_id)?;
        if paths.is_empty() || paths.len() > MAX_FILES_PER_MESSAGE {
            return Err(CoreError::InvalidInput(format!(
                "a message carries 1 to {MAX_FILES_PER_MESSAGE} files"
            )));
        }
        let account_dir = self
            .inner
            .shared
            .cache()
            .with_store(|s| Ok(s.path().parent().map(Path::to_path_buf)))
            .transpose()?
            .flatten()
            .ok_or_else(no_cache)?;
        let client_msg_id = uuid::Uuid::new_v4().to_string();
        let folder = account_dir.join(OUTBOX_FILES).join(&client_msg_id);
        let sources = paths.to_vec();
        let copy_to = folder.clone();
        let limits = session.backend.limits();
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
            .and_then(|()| self.write(&session, chat_id, &body, client_msg_id, files));
        if written.is_err() {
            let _ = std::fs::remove_dir_all(&folder);
        }
        let message = written?;
        self.inner.shared.uploads_wanted();
        Ok(message)
    }

    /// Keep a new message durably, show it, and submit it to the operation queue, which hands it
    /// to the connection unless something earlier in its chat (a failed message, files still
    /// uploading) or its own files hold it.
    fn write(
        &self,
        session: &Session,
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
        let shared = &self.inner.shared;
        // Durable first: once this returns, the message survives a crash or restart.
        let user = &session.user;
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

    /// Try a message that failed for good again (same client id, so never twice on the server);
    /// the chat's messages held behind it follow in order.
    pub fn retry(&self, client_msg_id: &str) -> Result<(), CoreError> {
        self.session()?;
        let shared = &self.inner.shared;
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

    /// Change the text of a message that failed for good and send it again (same client id: it
    /// can never arrive twice); the chat's held messages follow it in order.
    pub fn edit_and_retry(&self, client_msg_id: &str, body: &str) -> Result<(), CoreError> {
        self.session()?.backend.limits().check_body(body)?;
        self.require_cache()?;
        let shared = &self.inner.shared;
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

    /// Retry every failed message, of one chat or of all.
    pub fn retry_all(&self, chat_id: Option<&str>) -> Result<usize, CoreError> {
        self.session()?;
        self.require_cache()?;
        let failed = self.inner.shared.outbox().read(|q| q.refused_ids(chat_id));
        for id in &failed {
            self.retry(id)?;
        }
        Ok(failed.len())
    }

    /// Delete a message that was never sent (failed, or waiting); the chat's held messages go
    /// once no failed one is left before them.
    pub fn delete_unsent(&self, client_msg_id: &str) -> Result<(), CoreError> {
        self.session()?;
        let shared = &self.inner.shared;
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

    /// Every message written here and not yet stored by the server (waiting, or refused with its
    /// reason), in the order written. This is the snapshot an event reader resyncs from after it
    /// fell behind ([`Client::subscribe`]).
    pub fn unsent(&self) -> Result<Vec<ChatMessage>, CoreError> {
        let session = self.session()?;
        let user = &session.user;
        Ok(self.inner.shared.outbox().read(|q| {
            q.all()
                .into_iter()
                .filter_map(|op| op.shown(&user.user_id, &user.display_name))
                .collect()
        }))
    }

    /// A message written here, as its chat shows it now (sent, waiting or refused), by its client
    /// id; `None` if this session does not show it (deleted, or scrolled out of memory).
    pub fn own_message(&self, client_msg_id: &str) -> Option<ChatMessage> {
        self.inner
            .shared
            .read(|t| t.own_message(client_msg_id))
            .flatten()
    }

    /// `client_msg_id` is an operation in the queue (unsent messages are kept in the local cache,
    /// so a client without one has none to act on).
    fn check_queued(&self, client_msg_id: &str) -> Result<(), CoreError> {
        self.require_cache()?;
        let queued = self
            .inner
            .shared
            .outbox()
            .read(|q| q.get(client_msg_id).is_some());
        if queued {
            Ok(())
        } else {
            Err(OpError::NotQueued.into())
        }
    }

    fn require_cache(&self) -> Result<(), CoreError> {
        if self.inner.shared.cache().has_store() {
            Ok(())
        } else {
            Err(no_cache())
        }
    }
}
