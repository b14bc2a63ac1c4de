//! Logs go to stderr and to `outlast.log` in the app's log folder; `RUST_LOG` sets the level.
//! Secrets never reach them: tokens and passwords have redacting `Debug` impls in the protocol
//! crate and are never passed to a log macro.

use std::path::Path;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Lines waiting for the log file's writer thread. The library's default, 128,000, is a
/// channel of 4 MiB that is written through when created, so it stays resident: about a tenth of
/// the window process. The writer keeps up with a desktop app's info logs by far; in a burst
/// beyond this, lines are dropped rather than the app blocked (stderr still has them).
const LOG_BUFFER_LINES: usize = 4_096;

/// Keeps the file writer flushing; dropped when the app exits.
pub struct LogGuard(#[allow(dead_code)] Option<WorkerGuard>);

pub fn init(log_dir: &Path) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,outlast_app=info,outlast_core=info,outlast_mock=info")
    });
    let (file_layer, guard) = match outlast_core::private_files::create_dir(log_dir) {
        Ok(()) => {
            let appender = tracing_appender::rolling::never(log_dir, "outlast.log");
            let (writer, guard) = NonBlockingBuilder::default()
                .buffered_lines_limit(LOG_BUFFER_LINES)
                .finish(appender);
            (
                Some(fmt::layer().with_ansi(false).with_writer(writer)),
                Some(guard),
            )
        }
        Err(err) => {
            eprintln!("outlast: cannot write logs to {}: {err}", log_dir.display());
            (None, None)
        }
    };
    // An error means a subscriber is already set (a second app in one process, as in tests):
    // that one keeps logging.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file_layer)
        .try_init();
    LogGuard(guard)
}
