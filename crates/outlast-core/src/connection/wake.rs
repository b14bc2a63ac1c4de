//! Sleep/wake detection. After a laptop wakes, every socket it had is probably dead, but the OS
//! will not say so for minutes. A periodic tick notices the jump: on Linux and macOS the
//! monotonic clock stops while suspended and the wall clock does not; on Windows the tick itself
//! fires late. Either gap means "reconnect now" instead of waiting for a heartbeat to miss.

use std::sync::Arc;

use tokio::time::{Duration, Instant};

/// The wall clock, injectable so tests can simulate a suspend.
pub trait WallClock: Send + Sync + 'static {
    fn now_ms(&self) -> u64;
}

/// The system's real-time clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now_ms(&self) -> u64 {
        crate::clock::now_ms()
    }
}

pub struct WakeDetector {
    clock: Arc<dyn WallClock>,
    /// A tick later than expected by more than this is a wake-up.
    threshold: Duration,
    last_wall_ms: u64,
    last_tick: Instant,
}

impl WakeDetector {
    pub fn new(clock: Arc<dyn WallClock>, threshold: Duration) -> Self {
        WakeDetector {
            last_wall_ms: clock.now_ms(),
            clock,
            threshold,
            last_tick: Instant::now(),
        }
    }

    /// Call on every tick; returns how long the machine seems to have been away, if it was.
    pub fn tick(&mut self, expected: Duration) -> Option<Duration> {
        let now = Instant::now();
        let wall = self.clock.now_ms();
        let mono_gap = now.saturating_duration_since(self.last_tick);
        let wall_gap = Duration::from_millis(wall.saturating_sub(self.last_wall_ms));
        self.last_tick = now;
        self.last_wall_ms = wall;
        let away = mono_gap.max(wall_gap).saturating_sub(expected);
        (away > self.threshold).then_some(away)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// Follows tokio's (paused) clock, plus any simulated suspend.
    struct TestClock {
        start: Instant,
        suspended_ms: AtomicU64,
    }

    impl WallClock for TestClock {
        fn now_ms(&self) -> u64 {
            1_700_000_000_000
                + self.start.elapsed().as_millis() as u64
                + self.suspended_ms.load(Ordering::SeqCst)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn regular_ticks_are_not_a_wake_but_a_suspend_is() {
        let clock = Arc::new(TestClock {
            start: Instant::now(),
            suspended_ms: AtomicU64::new(0),
        });
        let tick = Duration::from_secs(5);
        let mut detector = WakeDetector::new(clock.clone(), Duration::from_secs(10));
        for _ in 0..10 {
            tokio::time::advance(tick).await;
            assert_eq!(detector.tick(tick), None);
        }
        // Suspended for ten minutes: the monotonic clock did not move, the wall clock did.
        clock.suspended_ms.store(600_000, Ordering::SeqCst);
        tokio::time::advance(tick).await;
        let away = detector.tick(tick).expect("a wake-up");
        assert!(away >= Duration::from_secs(599), "{away:?}");
        tokio::time::advance(tick).await;
        assert_eq!(detector.tick(tick), None, "only once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_tick_that_fires_very_late_is_a_wake() {
        let clock = Arc::new(TestClock {
            start: Instant::now(),
            suspended_ms: AtomicU64::new(0),
        });
        let tick = Duration::from_secs(5);
        let mut detector = WakeDetector::new(clock, Duration::from_secs(10));
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(detector.tick(tick).is_some());
    }
}
