//! Locks after the idle time the user chose, and tells every window when the lock changes.

use std::sync::Arc;

use outlast_desktop::DesktopState;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::time::Duration;

use crate::events::LOCK_CHANGED;

/// How often idleness is checked; the lock comes at most this late.
const IDLE_CHECK: Duration = Duration::from_secs(10);

pub fn start<R: Runtime>(app: AppHandle<R>, desktop: Arc<DesktopState>) {
    let mut changes = desktop.lock().subscribe();
    let emitter = app.clone();
    tauri::async_runtime::spawn(async move {
        while changes.changed().await.is_ok() {
            let locked = *changes.borrow_and_update();
            tracing::info!(locked, "lock changed");
            let _ = emitter.emit(LOCK_CHANGED, locked);
        }
    });
    tauri::async_runtime::spawn(async move {
        let mut ticker = tokio::time::interval(IDLE_CHECK);
        loop {
            ticker.tick().await;
            desktop.lock_if_idle();
        }
    });
}
