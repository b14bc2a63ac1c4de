//! Core events -> the `core-event` frontend event, unchanged; while locked, nothing that shows
//! chats or messages reaches the webview (it reloads them after unlocking).

use std::sync::Arc;

use outlast_core::CoreEvent;
use outlast_desktop::DesktopState;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::broadcast::{self, error::RecvError};

/// The single event name the UI listens to; its payload is a `CoreEvent`.
pub const CORE_EVENT: &str = "core-event";
/// `true` when the app locks, `false` when it unlocks.
pub const LOCK_CHANGED: &str = "lock-changed";
/// A chat to show (a notification was clicked); the payload is its id.
pub const OPEN_CHAT: &str = "open-chat";
/// Events were missed (a burst outran the UI): it reloads the chat list and the open chat.
pub const RESYNC: &str = "core-resync";

pub fn forward<R: Runtime>(
    app: AppHandle<R>,
    mut events: broadcast::Receiver<CoreEvent>,
    desktop: Arc<DesktopState>,
) {
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if event.carries_content() && desktop.lock().is_locked() {
                        continue;
                    }
                    if let Err(err) = app.emit(CORE_EVENT, &event) {
                        tracing::warn!(%err, "could not deliver an event to the UI");
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the UI fell behind the core's events; it reloads");
                    if let Err(err) = app.emit(RESYNC, missed) {
                        tracing::warn!(%err, "could not tell the UI to reload");
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}
