//! Files written with messages: kept as private copies, uploaded to the media service in the
//! order written, and only then is the message itself handed to the connection.
//!
//! A media outage is not a messaging outage: the message with files waits (saying why) and holds
//! its own chat's later messages, because order within a chat is strict, while every other chat
//! keeps sending. Uploads retry with backoff and at once when the media service is seen up again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::SeedableRng;

use crate::backend::{Backend, Upload};
use crate::connection::ConnectionSink;
use crate::domain::Limits;
use crate::model::{CoreEvent, ServiceRole, ServiceState, TransferFile};
use crate::shared::Shared;
use crate::store::{OutboxEntry, OutboxFile};
use crate::transfer_progress::ProgressMeter;
use crate::{CoreError, RetryPolicy};

/// What uploading needs; runs for one session.
pub(crate) struct Uploader {
    pub shared: Arc<Shared>,
    pub backend: Arc<dyn Backend>,
    pub retry: RetryPolicy,
}

impl Uploader {
    pub async fn run(self) {
        let mut events = self.shared.subscribe();
        let mut rng = rand::rngs::StdRng::from_os_rng();
        let mut failures: u32 = 0;
        loop {
            if failures == 0 {
                self.shared.upload_requested().await;
            }
            match self.upload_waiting().await {
                Ok(()) => failures = 0,
                Err(err) => {
                    failures = failures.saturating_add(1);
                    let wait = self.retry.delay(failures, &mut rng);
                    tracing::info!(%err, ?wait, "files wait for the media service");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = media_back(&mut events) => {}
                        _ = self.shared.upload_requested() => {}
                    }
                }
            }
        }
    }

    /// Upload every waiting file, message by message in the order written. Stops at the first
    /// failure that may pass (the service, the token); a file refused for good fails its message.
    async fn upload_waiting(&self) -> Result<(), CoreError> {
        let waiting = self.shared.outbox().read(|q| q.waiting_for_files());
        for entry in waiting.iter().filter_map(|op| op.entry()) {
            if let Some(done) = self.upload_entry(&entry).await? {
                self.shared.update(|t| {
                    (
                        (),
                        t.set_attachments(&done.client_msg_id, done.shown_files()),
                    )
                });
            }
        }
        Ok(())
    }

    /// Upload `entry`'s waiting files. `Some(entry)` once all are uploaded; `None` when the
    /// message failed for good instead.
    async fn upload_entry(&self, entry: &OutboxEntry) -> Result<Option<OutboxEntry>, CoreError> {
        let mut current = entry.clone();
        for (position, file) in entry.files.iter().enumerate() {
            if file.media_id.is_some() {
                continue;
            }
            let path = file.local_path.clone();
            let read = tokio::task::spawn_blocking(move || std::fs::read(path))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            let bytes = match read {
                Ok(bytes) => bytes,
                Err(err) => {
                    let reason =
                        format!("the copy of {} kept for sending is gone: {err}", file.name);
                    self.shared.refused(&entry.client_msg_id, reason);
                    return Ok(None);
                }
            };
            let meter = ProgressMeter::start(
                self.shared.events().clone(),
                TransferFile::Upload {
                    client_msg_id: entry.client_msg_id.clone(),
                    position: position as u32,
                },
                bytes.len() as u64,
            );
            match self.upload(file, bytes.into(), &meter).await {
                Ok(media_id) => {
                    current = self
                        .shared
                        .cache()
                        .with_store(|s| s.file_uploaded(&entry.client_msg_id, position, &media_id))
                        .transpose()?
                        .unwrap_or(current);
                    // Kept first; then the queue learns it, and hands the message over once
                    // its last file is up.
                    self.shared.outbox().apply(|q| {
                        (
                            (),
                            q.file_uploaded(&entry.client_msg_id, position, &media_id),
                        )
                    });
                }
                // The backend renews an expired token; the file waits for it.
                Err(err) if err.is_expired_session() => return Err(err),
                Err(err) if err.retryable() => {
                    let mut shown = current.shown_files();
                    for file in shown.iter_mut().filter(|f| f.media_id.is_none()) {
                        file.waiting_because = Some(format!(
                            "Photos and files can't be sent right now ({err}); this message goes once they can"
                        ));
                    }
                    self.shared
                        .update(|t| ((), t.set_attachments(&entry.client_msg_id, shown)));
                    return Err(err);
                }
                Err(err) => {
                    let reason = format!("the server refused {}: {err}", file.name);
                    self.shared.refused(&entry.client_msg_id, reason);
                    return Ok(None);
                }
            }
        }
        Ok(Some(current))
    }

    /// Upload one file; the backend tries its media endpoints and reports the service's
    /// health.
    async fn upload(
        &self,
        file: &OutboxFile,
        bytes: bytes::Bytes,
        meter: &ProgressMeter,
    ) -> Result<String, CoreError> {
        let upload = Upload {
            name: &file.name,
            mime: &file.mime,
            bytes,
        };
        let stored = self.backend.upload(upload, meter).await?;
        Ok(stored.media_id)
    }
}

/// Returns once a service for files is seen up (its health monitor, or another upload).
async fn media_back(events: &mut tokio::sync::broadcast::Receiver<CoreEvent>) {
    loop {
        match events.recv().await {
            Ok(CoreEvent::ServicesChanged { services })
                if services
                    .with_role(ServiceRole::Files)
                    .any(|s| s.status.state == ServiceState::Up) =>
            {
                return
            }
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                std::future::pending::<()>().await
            }
        }
    }
}

/// Copy the files the user picked into `folder` (private to the profile), checking each: a
/// readable regular file, within the backend's upload limit. Nothing is kept if any file fails.
pub(crate) fn keep_copies(
    sources: &[PathBuf],
    folder: &Path,
    limits: Limits,
) -> Result<Vec<OutboxFile>, CoreError> {
    let copied = copy_all(sources, folder, limits);
    if copied.is_err() {
        let _ = std::fs::remove_dir_all(folder);
    }
    copied
}

fn copy_all(
    sources: &[PathBuf],
    folder: &Path,
    limits: Limits,
) -> Result<Vec<OutboxFile>, CoreError> {
    crate::private_files::create_dir(folder).map_err(|e| {
        CoreError::InvalidInput(format!("cannot prepare {}: {e}", folder.display()))
    })?;
    let mut files = Vec::new();
    for (position, source) in sources.iter().enumerate() {
        let unreadable = |e: std::io::Error| {
            CoreError::InvalidInput(format!("cannot read {}: {e}", source.display()))
        };
        let meta = std::fs::metadata(source).map_err(unreadable)?;
        if !meta.is_file() {
            return Err(CoreError::InvalidInput(format!(
                "{} is not a file",
                source.display()
            )));
        }
        if meta.len() > limits.max_upload_bytes {
            return Err(CoreError::InvalidInput(format!(
                "{} is {} MB; files can be at most {} MB",
                source.display(),
                meta.len().div_ceil(1024 * 1024),
                limits.max_upload_bytes / (1024 * 1024)
            )));
        }
        let name = display_name(source, limits.max_file_name_len);
        let local_path = folder.join(format!(
            "{position}-{}",
            crate::file_names::safe_file_name(&name)
        ));
        std::fs::copy(source, &local_path).map_err(unreadable)?;
        files.push(OutboxFile {
            local_path,
            mime: mime_of(&name).to_owned(),
            name,
            size: meta.len(),
            media_id: None,
        });
    }
    Ok(files)
}

/// Remove the private copies of files whose messages the server has (or that were deleted):
/// every folder in `outbox_files` not named by an unsent message in `keep`. Folders younger
/// than a few minutes stay: a copy may be in progress for a message not yet in the outbox.
pub(crate) fn forget_sent_copies(outbox_files: &Path, keep: &std::collections::HashSet<&str>) {
    const SETTLED: std::time::Duration = std::time::Duration::from_secs(600);
    let Ok(entries) = std::fs::read_dir(outbox_files) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let settled = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > SETTLED);
        if settled && !keep.contains(name.to_string_lossy().as_ref()) {
            if let Err(err) = std::fs::remove_dir_all(entry.path()) {
                tracing::warn!(%err, "could not remove the copy of a sent file");
            }
        }
    }
}

/// The name others see: the file's own name, within `max_len` bytes.
fn display_name(path: &Path, max_len: usize) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "file".to_owned());
    if name.len() <= max_len {
        return name;
    }
    let mut cut = max_len;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    name[..cut].to_owned()
}

/// The media type by extension: enough for the receiving side to choose how to show it.
fn mime_of(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "pdf" => "application/pdf",
        "txt" | "log" | "md" => "text/plain",
        "csv" => "text/csv",
        "zip" => "application/zip",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "mp3" => "audio/mpeg",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "hwp" => "application/x-hwp",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_follow_the_extension_and_unknown_ones_are_plain_bytes() {
        assert_eq!(mime_of("Photo.JPG"), "image/jpeg");
        assert_eq!(mime_of("보고서.hwp"), "application/x-hwp");
        assert_eq!(mime_of("notes"), "application/octet-stream");
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary() {
        let long = "가".repeat(200); // 600 bytes
        let cut = display_name(Path::new(&long), 255);
        assert!(cut.len() <= 255);
        assert!(cut.chars().all(|c| c == '가'));
    }
}
