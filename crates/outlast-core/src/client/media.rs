//! Saving files others sent.

use std::path::{Path, PathBuf};

use crate::model::{MessageAttachment, TransferFile};
use crate::transfer_progress::ProgressMeter;
use crate::CoreError;

use super::Client;

impl Client {
    /// Save a file someone sent into `folder` (the user's downloads). The name is the sender's,
    /// made safe (no paths, no device names, no disguised extensions) and made unique there.
    /// Returns where it was saved.
    pub async fn save_attachment(
        &self,
        attachment: &MessageAttachment,
        folder: &Path,
    ) -> Result<PathBuf, CoreError> {
        let session = self.session()?;
        let media_id = attachment
            .media_id
            .as_deref()
            .ok_or_else(|| CoreError::InvalidInput("this file has not been uploaded yet".into()))?;
        let meter = ProgressMeter::start(
            self.inner.shared.events().clone(),
            TransferFile::Download {
                media_id: media_id.to_owned(),
            },
            attachment.size,
        );
        let bytes = session
            .backend
            .download(
                media_id,
                attachment
                    .size
                    .min(session.backend.limits().max_upload_bytes),
                &meter,
            )
            .await?;
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
