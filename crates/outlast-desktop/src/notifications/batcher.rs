//! Turns a stream of notifying messages into few pop-ups: messages that arrive close together
//! (a busy chat, a catch-up after an outage) become one notice, and pop-ups are spaced so a
//! recovering backend's backlog never machine-guns the desktop.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::{sleep_until, Duration, Instant};

use super::{compose, Incoming, Notifier};

/// Wait this long after the first message for others to join it.
const WINDOW: Duration = Duration::from_millis(500);
/// While messages keep coming, keep collecting until this long after the first.
const MAX_HOLD: Duration = Duration::from_secs(3);
/// At least this long between two pop-ups.
const MIN_GAP: Duration = Duration::from_secs(3);
/// Messages remembered per notice (the notice only counts them); a flood beyond is counted once.
const MAX_BATCH: usize = 10_000;

#[derive(Clone)]
pub struct BatcherHandle {
    tx: mpsc::UnboundedSender<Incoming>,
}

impl BatcherHandle {
    /// A message that passed the rules; shown with the next notice.
    pub fn push(&self, message: Incoming) {
        // Gone only when the app is shutting down: nothing to show then.
        let _ = self.tx.send(message);
    }
}

pub struct Batcher;

impl Batcher {
    /// Start batching on the current tokio runtime. `previews` is read when a notice is composed,
    /// so hiding previews (or locking) applies to notices still waiting.
    pub fn spawn(
        notifier: Arc<dyn Notifier>,
        previews: impl Fn() -> bool + Send + Sync + 'static,
    ) -> BatcherHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(rx, notifier, previews));
        BatcherHandle { tx }
    }
}

async fn run(
    mut rx: mpsc::UnboundedReceiver<Incoming>,
    notifier: Arc<dyn Notifier>,
    previews: impl Fn() -> bool,
) {
    let mut last_shown: Option<Instant> = None;
    while let Some(first) = rx.recv().await {
        let started = Instant::now();
        let mut batch = vec![first];
        let earliest = last_shown.map_or(started, |shown| shown + MIN_GAP);
        let mut deadline = (started + WINDOW).max(earliest);
        let mut open = true;
        while open {
            tokio::select! {
                _ = sleep_until(deadline) => break,
                next = rx.recv() => match next {
                    Some(message) => {
                        if batch.len() < MAX_BATCH {
                            batch.push(message);
                        }
                        let quiet_until = (Instant::now() + WINDOW).min(started + MAX_HOLD);
                        deadline = deadline.max(quiet_until);
                    }
                    None => open = false,
                },
            }
        }
        if let Some(notice) = compose(&batch, previews()) {
            notifier.show(notice);
        }
        last_shown = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::super::Notice;
    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<(Instant, Notice)>>);

    impl Notifier for Recorder {
        fn show(&self, notice: Notice) {
            self.0.lock().unwrap().push((Instant::now(), notice));
        }
    }

    impl Recorder {
        fn shown(&self) -> Vec<(Instant, Notice)> {
            self.0.lock().unwrap().clone()
        }
    }

    fn msg(chat: &str, n: usize) -> Incoming {
        Incoming {
            chat_id: chat.into(),
            chat_title: chat.into(),
            direct: false,
            sender_name: "Bob".into(),
            body: format!("m{n}"),
            muted: false,
            mentions_me: false,
        }
    }

    async fn settle() {
        // Let the batcher task run up to its next timer.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_single_message_shows_after_the_window() {
        let recorder = Arc::new(Recorder::default());
        let handle = Batcher::spawn(recorder.clone(), || true);
        let start = Instant::now();
        handle.push(msg("c1", 0));
        settle().await;
        tokio::time::sleep(WINDOW).await;
        settle().await;
        let shown = recorder.shown();
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].0 - start, WINDOW);
        assert_eq!(shown[0].1.body, "m0");
    }

    #[tokio::test(start_paused = true)]
    async fn a_catch_up_burst_is_one_notice_and_later_ones_are_spaced() {
        let recorder = Arc::new(Recorder::default());
        let handle = Batcher::spawn(recorder.clone(), || true);
        // 12 messages in 3 chats within 200 ms, as a catch-up delivers them.
        for i in 0..12 {
            handle.push(msg(["c1", "c2", "c3"][i % 3], i));
            tokio::time::sleep(Duration::from_millis(16)).await;
        }
        tokio::time::sleep(MAX_HOLD).await;
        settle().await;
        let shown = recorder.shown();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!(shown[0].1.body, "12 new messages in 3 chats");

        // The next message right after waits for the gap; others join it.
        handle.push(msg("c1", 100));
        handle.push(msg("c1", 101));
        tokio::time::sleep(MIN_GAP * 2).await;
        settle().await;
        let shown = recorder.shown();
        assert_eq!(shown.len(), 2);
        assert!(shown[1].0 - shown[0].0 >= MIN_GAP);
        assert_eq!(shown[1].1.body, "2 new messages\nBob: m101");
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_stream_never_holds_a_notice_longer_than_max_hold() {
        let recorder = Arc::new(Recorder::default());
        let handle = Batcher::spawn(recorder.clone(), || false);
        let start = Instant::now();
        for i in 0..100 {
            handle.push(msg("c1", i));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        settle().await;
        let shown = recorder.shown();
        assert_eq!(shown[0].0 - start, MAX_HOLD);
        // Ten seconds of messages: a handful of notices, not a hundred.
        assert!(shown.len() <= 4, "{}", shown.len());
        assert!(shown.iter().all(|(_, n)| n.title == "Outlast"));
    }
}
