//! How far a file's upload or download has come, announced as `CoreEvent::TransferProgress` so
//! file cards can draw a bar.
//!
//! A 25 MB file moves in hundreds of chunks; announcing each would flood the event channel that
//! also carries messages. The meter speaks at the start (so the bar appears at once), at most
//! every [`EVERY`] after that, and always at the end.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::events::EventBus;
use crate::model::{CoreEvent, TransferFile};

/// The least time between two announcements of one file: smooth enough for a bar.
pub(crate) const EVERY: Duration = Duration::from_millis(100);

/// Counts one file's bytes as they move and announces the count now and then.
#[derive(Clone)]
pub struct ProgressMeter {
    inner: Arc<Mutex<Meter>>,
    events: EventBus,
}

struct Meter {
    file: TransferFile,
    done: u64,
    total: u64,
    last_said: Option<Instant>,
}

impl ProgressMeter {
    /// Starts at 0 of `total` and says so.
    pub(crate) fn start(events: EventBus, file: TransferFile, total: u64) -> Self {
        let meter = Self {
            inner: Arc::new(Mutex::new(Meter {
                file,
                done: 0,
                total,
                last_said: None,
            })),
            events,
        };
        meter.announce(|_| true);
        meter
    }

    /// `bytes` more have moved.
    pub fn advance(&self, bytes: u64) {
        {
            let mut meter = self.lock();
            // A server may send more than it announced; the bar never passes its end.
            meter.total = meter.total.max(meter.done.saturating_add(bytes));
            meter.done = meter.done.saturating_add(bytes);
        }
        self.announce(|m| {
            m.done == m.total || m.last_said.is_none_or(|said| said.elapsed() >= EVERY)
        });
    }

    /// The total turned out different from what was expected (a download's announced length).
    pub fn set_total(&self, total: u64) {
        let mut meter = self.lock();
        meter.total = total.max(meter.done);
    }

    /// The attempt ended (a failure, or another endpoint will try again): start over at 0.
    pub fn restart(&self) {
        self.lock().done = 0;
        self.announce(|_| true);
    }

    fn announce(&self, when: impl FnOnce(&Meter) -> bool) {
        let event = {
            let mut meter = self.lock();
            if !when(&meter) {
                return;
            }
            meter.last_said = Some(Instant::now());
            CoreEvent::TransferProgress {
                file: meter.file.clone(),
                done: meter.done,
                total: meter.total,
            }
        };
        self.events.emit(vec![event]);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Meter> {
        // The meter holds plain counters: a panic elsewhere cannot leave them half-written.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(events: &mut tokio::sync::broadcast::Receiver<CoreEvent>) -> Vec<(u64, u64)> {
        let mut seen = Vec::new();
        while let Ok(event) = events.try_recv() {
            if let CoreEvent::TransferProgress { done, total, .. } = event {
                seen.push((done, total));
            }
        }
        seen
    }

    /// A meter for a download of `total` bytes, and the events it says.
    fn download_of(total: u64) -> (ProgressMeter, tokio::sync::broadcast::Receiver<CoreEvent>) {
        let bus = EventBus::default();
        let events = bus.subscribe();
        let file = TransferFile::Download {
            media_id: "m1".into(),
        };
        (ProgressMeter::start(bus, file, total), events)
    }

    #[tokio::test(start_paused = true)]
    async fn speaks_at_the_start_now_and_then_and_always_at_the_end() {
        let (meter, mut events) = download_of(1000);
        for _ in 0..9 {
            meter.advance(100); // all within the same instant: only the start is said
        }
        assert_eq!(progress(&mut events), vec![(0, 1000)]);
        tokio::time::advance(EVERY).await;
        meter.advance(50);
        assert_eq!(progress(&mut events), vec![(950, 1000)]);
        meter.advance(50);
        assert_eq!(
            progress(&mut events),
            vec![(1000, 1000)],
            "the end is always said"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn more_bytes_than_announced_move_the_end_not_past_it() {
        let (meter, mut events) = download_of(10);
        meter.advance(25);
        assert_eq!(progress(&mut events), vec![(0, 10), (25, 25)]);
        meter.restart();
        assert_eq!(progress(&mut events), vec![(0, 25)]);
    }
}
