//! Reconnect delays: capped exponential backoff with full jitter, so clients that lost the same
//! server spread their retries out instead of arriving together when it comes back.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff {
            base,
            cap,
            attempt: 0,
        }
    }

    /// Delay before the next attempt: uniform in [0, min(cap, base * 2^attempt)].
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let ms = ceiling.as_millis() as u64;
        Duration::from_millis(rng.random_range(0..=ms))
    }

    /// Forget past failures (after a connection has worked).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn delays_stay_under_a_growing_capped_ceiling() {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        let mut rng = StdRng::seed_from_u64(7);
        let ceilings: Vec<u64> = (0..10)
            .map(|_| {
                let ceiling = backoff.ceiling();
                let delay = backoff.next_delay(&mut rng);
                assert!(delay <= ceiling);
                ceiling.as_millis() as u64
            })
            .collect();
        assert_eq!(
            ceilings,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]
        );
        backoff.reset();
        assert_eq!(backoff.ceiling(), Duration::from_millis(500));
    }

    #[test]
    fn full_jitter_spreads_clients_out() {
        // 1,000 clients failing at the same moment at attempt 5 (ceiling 16 s) must not retry in a
        // clump: no 1-second bucket may hold more than a few percent of them.
        let mut rng = StdRng::seed_from_u64(42);
        let mut buckets = [0u32; 17];
        for _ in 0..1000 {
            let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
            for _ in 0..5 {
                backoff.next_delay(&mut rng);
            }
            let delay = backoff.next_delay(&mut rng);
            buckets[delay.as_secs() as usize] += 1;
        }
        assert!(buckets.iter().all(|&n| n < 100), "{buckets:?}");
    }
}
