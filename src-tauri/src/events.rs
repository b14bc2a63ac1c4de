//! Core events -> the `core-event` frontend event, unchanged.

use outlast_core::CoreEvent;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::broadcast::{self, error::RecvError};

/// The single event name the UI listens to; its payload is a `CoreEvent`.
pub const CORE_EVENT: &str = "core-event";

pub fn forward<R: Runtime>(app: AppHandle<R>, mut events: broadcast::Receiver<CoreEvent>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(err) = app.emit(CORE_EVENT, &event) {
                        tracing::warn!(%err, "could not deliver an event to the UI");
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the UI fell behind the core's events");
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}
