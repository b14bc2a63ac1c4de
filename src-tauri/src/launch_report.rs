//! How long start-up took until the chat list was on screen: the UI says when it painted it,
//! the shell logs the time since launch, and `outlast-bench-launch` reads it from the file named
//! by `OUTLAST_PAINT_REPORT` (set only by that benchmark).

use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();
static REPORTED: OnceLock<()> = OnceLock::new();

/// Called first thing in `run`.
pub fn mark_start() {
    STARTED.get_or_init(Instant::now);
}

/// The UI painted the chat list with `chats` chats. Only the first paint counts.
pub fn chat_list_painted(chats: usize) {
    if REPORTED.set(()).is_err() {
        return;
    }
    let elapsed_ms = STARTED
        .get()
        .map(|t| t.elapsed().as_secs_f64() * 1000.0)
        .unwrap_or_default();
    tracing::info!(elapsed_ms, chats, "chat list painted");
    if let Some(path) = std::env::var_os("OUTLAST_PAINT_REPORT") {
        let line = format!("{elapsed_ms:.1} {chats}\n");
        if let Err(err) = std::fs::write(&path, line) {
            tracing::warn!(%err, "could not write the paint report");
        }
    }
}
