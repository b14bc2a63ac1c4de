//! Saving a chat as a text file (see [`crate::export`]): read from the local cache a page at a
//! time on a blocking thread, so it works offline, never holds the cache for long, and takes
//! bounded memory whatever the chat's length.

use std::fs::{File, OpenOptions};
use std::io::BufWriter;
use std::path::Path;

use crate::cache::Cache;
use crate::export::{ChatText, ExportLanguage, ExportedChat};
use crate::CoreError;

use super::check_chat;
use super::history::History;

/// Messages read from the cache at a time.
const EXPORT_PAGE: usize = 500;

impl History {
    /// Save `chat_id` as text into `folder` (see [`super::Client::export_chat`]).
    pub async fn export(
        &self,
        chat_id: &str,
        folder: &Path,
        language: ExportLanguage,
    ) -> Result<ExportedChat, CoreError> {
        check_chat(&self.shared, chat_id)?;
        let cache = self.shared.cache().clone();
        if !cache.has_store() {
            return Err(CoreError::InvalidInput(
                "saving a chat reads the local cache, and this client keeps none (no data folder)"
                    .into(),
            ));
        }
        let title = self
            .shared
            .read(|t| t.summary_of(chat_id))
            .flatten()
            .map_or_else(|| chat_id.to_owned(), |c| c.title);
        let chat_id = chat_id.to_owned();
        let folder = folder.to_path_buf();
        tokio::task::spawn_blocking(move || write_chat(&cache, &chat_id, &title, &folder, language))
            .await
            .map_err(|e| CoreError::InvalidInput(format!("saving the chat stopped: {e}")))?
    }
}

/// Write the file: a new one, never over another; a file left half-written by an error is
/// removed.
fn write_chat(
    cache: &Cache,
    chat_id: &str,
    title: &str,
    folder: &Path,
    language: ExportLanguage,
) -> Result<ExportedChat, CoreError> {
    let cannot = |e: std::io::Error| {
        CoreError::InvalidInput(format!("cannot save into {}: {e}", folder.display()))
    };
    let saved_at_ms = crate::clock::now_ms();
    std::fs::create_dir_all(folder).map_err(cannot)?;
    let stamp = chrono::Local::now().format("%Y%m%d_%H%M%S");
    let path = crate::file_names::download_path(folder, &format!("Outlast_{title}_{stamp}.txt"));
    // `create_new`: never overwrite a file that appeared meanwhile.
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(cannot)?;
    match write_pages(cache, chat_id, title, file, language, saved_at_ms) {
        Ok((messages, incomplete)) => Ok(ExportedChat {
            path: path.display().to_string(),
            messages,
            incomplete,
        }),
        Err(err) => {
            let _ = std::fs::remove_file(&path);
            Err(match err {
                Written::Io(e) => cannot(e),
                Written::Cache(e) => e,
            })
        }
    }
}

/// Why writing stopped.
enum Written {
    Io(std::io::Error),
    Cache(CoreError),
}

impl From<std::io::Error> for Written {
    fn from(e: std::io::Error) -> Self {
        Written::Io(e)
    }
}

/// The chat's stored messages into `file`, oldest first; how many, and whether any history is
/// missing from the cache.
fn write_pages(
    cache: &Cache,
    chat_id: &str,
    title: &str,
    file: File,
    language: ExportLanguage,
    saved_at_ms: u64,
) -> Result<(u64, bool), Written> {
    let page = |after: Option<(u64, String)>| {
        cache
            .with_store(|s| {
                s.messages_after(
                    chat_id,
                    after.as_ref().map(|(at, id)| (*at, id.as_str())),
                    EXPORT_PAGE,
                )
            })
            .transpose()
            .map(Option::unwrap_or_default)
            .map_err(|e| Written::Cache(e.into()))
    };
    let complete = cache
        .with_store(|s| s.history_complete(chat_id))
        .transpose()
        .map_err(|e| Written::Cache(e.into()))?
        .unwrap_or(false);
    let mut messages = page(None)?;
    // The server never said the oldest cached message is the chat's first.
    let earlier_missing = !complete;
    let mut incomplete = earlier_missing;
    let mut text = ChatText::start(
        BufWriter::new(file),
        language,
        chrono::Local,
        title,
        saved_at_ms,
        earlier_missing,
    )?;
    loop {
        for (message, gap_above) in &messages {
            text.message(message)?;
            // (The store's "gap above" a message: messages written after it may be missing.)
            if *gap_above {
                text.gap()?;
                incomplete = true;
            }
        }
        let next = match messages.last() {
            Some((last, _)) if messages.len() == EXPORT_PAGE => {
                last.msg_id.clone().map(|id| (last.sent_at_ms, id))
            }
            _ => None,
        };
        let Some(after) = next else { break };
        messages = page(Some(after))?;
    }
    let (out, count) = text.finish()?;
    out.into_inner()
        .map_err(|e| Written::Io(e.into_error()))?
        .sync_all()?;
    Ok((count, incomplete))
}
