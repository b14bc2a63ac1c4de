//! Restoring the last session at start-up, from the refresh token in the keyring.

use std::sync::{Arc, Mutex};

use outlast_core::Client;
use tokio::sync::watch;

pub fn restore(client: Client, notice: Arc<Mutex<Option<String>>>, done: watch::Sender<bool>) {
    tauri::async_runtime::spawn(async move {
        match client.resume().await {
            Ok(Some(info)) => {
                tracing::info!(from_cache = info.from_cache, "restored the last session")
            }
            Ok(None) => tracing::info!("no session to restore"),
            Err(err) => {
                tracing::warn!(%err, "could not restore the last session");
                *notice.lock().unwrap_or_else(|e| e.into_inner()) = Some(err.to_string());
            }
        }
        let _ = done.send(true);
    });
}
