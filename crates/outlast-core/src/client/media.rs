//! The media part: saving files others sent. It downloads through the backend, reporting
//! progress on the event stream, and writes the file where the user keeps downloads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::backend::Backend;
use crate::events::EventBus;
use crate::model::{MessageAttachment, TransferFile};
use crate::transfer_progress::ProgressMeter;
use crate::CoreError;

/// A session's downloads.
pub(super) struct Media {
    pub events: EventBus,
    pub backend: Arc<dyn Backend>,
}

impl Media {
    /// Download `attachment` and save it into `folder` under a safe, unique name (see
    /// [`super::Client::save_attachment`]).
    pub async fn save(
        &self,
        attachment: &MessageAttachment,
        folder: &Path,
    ) -> Result<PathBuf, CoreError> {
        let media_id = attachment
            .media_id
            .as_deref()
            .ok_or_else(|| CoreError::InvalidInput("this file has not been uploaded yet".into()))?;
        let meter = ProgressMeter::start(
            self.events.clone(),
            TransferFile::Download {
                media_id: media_id.to_owned(),
            },
            attachment.size,
        );
        let most = attachment.size.min(self.backend.limits().max_upload_bytes);
        let bytes = self.backend.download(media_id, most, &meter).await?;
        let into = folder.to_path_buf();
        let name = attachment.name.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&into)?;
            let target = crate::file_names::download_path(&into, &name);
            // `create_new`: never overwrite a file that appeared meanwhile.
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&target)?;
            std::io::Write::write_all(&mut out, &bytes)?;
            out.sync_all()?;
            Ok::<_, std::io::Error>(target)
        })
        .await
        .map_err(|e| CoreError::InvalidInput(format!("saving stopped: {e}")))?
        .map_err(|e| CoreError::InvalidInput(format!("cannot save into {}: {e}", folder.display())))
    }
}
