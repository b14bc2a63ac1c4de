//! Reconnect delays. Outlast's own policy is capped exponential backoff with full jitter, so
//! clients that lost the same server spread their retries out instead of arriving together when it
//! comes back. The other policies are the published defaults of other clients, kept so benchmarks
//! can run the same connection code with their timing side by side.

use std::time::Duration;

use rand::Rng;

/// How long to wait before the next connection attempt, given how many attempts in a row failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryPolicy {
    /// Outlast: uniform in `[0, min(cap, base * 2^failures)]`.
    FullJitter { base: Duration, cap: Duration },
    /// Signal Desktop: `unit * fib(failures)` (1, 1, 2, 3, 5 … units) plus `[0, jitter]`,
    /// capped.
    Fibonacci {
        unit: Duration,
        jitter: Duration,
        cap: Duration,
    },
    /// Mattermost: `first` for the first retry, then `base * n²` for the n-th retry after that,
    /// plus `[0, jitter]`, capped.
    Quadratic {
        first: Duration,
        base: Duration,
        jitter: Duration,
        cap: Duration,
    },
    /// A fixed delay plus `[0, jitter]` (a common naive client).
    Fixed { delay: Duration, jitter: Duration },
    /// `base * 2^(failures - 1)`, capped, with no jitter at all: every client retries in
    /// lockstep.
    Exponential { base: Duration, cap: Duration },
}

impl RetryPolicy {
    /// Outlast's defaults when the server's configuration names none.
    pub const DEFAULT_BASE: Duration = Duration::from_secs(1);
    /// A swarm retrying uniformly in `[0, cap]` makes about `2/cap` of its members try each
    /// second: 30 s keeps a down or recovering backend under 10 % of its clients per second even
    /// where successive retry windows overlap, and brings every client back within 30 s of its
    /// return. Servers announce their own cap.
    pub const DEFAULT_CAP: Duration = Duration::from_secs(30);

    pub fn outlast(base: Duration, cap: Duration) -> Self {
        RetryPolicy::FullJitter {
            base: base.max(Duration::from_millis(1)),
            cap: cap.max(base),
        }
    }

    /// Signal Desktop's public reconnect schedule: Fibonacci seconds plus up to 5 s of jitter.
    pub fn signal_desktop() -> Self {
        RetryPolicy::Fibonacci {
            unit: Duration::from_secs(1),
            jitter: Duration::from_secs(5),
            cap: Duration::from_secs(60),
        }
    }

    /// Mattermost's public reconnect schedule: 3 s, then 3 s·n² plus up to 2 s of jitter.
    pub fn mattermost() -> Self {
        RetryPolicy::Quadratic {
            first: Duration::from_secs(3),
            base: Duration::from_secs(3),
            jitter: Duration::from_secs(2),
            cap: Duration::from_secs(300),
        }
    }

    /// The delay after `failures` failed attempts in a row (1 = after the first failure).
    pub fn delay(&self, failures: u32, rng: &mut impl Rng) -> Duration {
        let (steady, jitter, cap) = self.parts(failures);
        (steady + uniform(rng, jitter)).min(cap)
    }

    /// The longest delay this policy can choose after `failures` failures.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let (steady, jitter, cap) = self.parts(failures);
        (steady + jitter).min(cap)
    }

    /// Every policy is a steady part plus uniform jitter, capped: `(steady, jitter, cap)`.
    fn parts(&self, failures: u32) -> (Duration, Duration, Duration) {
        let failures = failures.max(1);
        match *self {
            // Full jitter: nothing steady, the whole exponential ceiling is jitter.
            RetryPolicy::FullJitter { base, cap } => {
                (Duration::ZERO, exponential(base, cap, failures), cap)
            }
            RetryPolicy::Exponential { base, cap } => {
                (exponential(base, cap, failures - 1), Duration::ZERO, cap)
            }
            RetryPolicy::Fibonacci { unit, jitter, cap } => {
                (unit.saturating_mul(fibonacci(failures)), jitter, cap)
            }
            RetryPolicy::Quadratic {
                first,
                base,
                jitter,
                cap,
            } => (quadratic(first, base, failures), jitter, cap),
            RetryPolicy::Fixed { delay, jitter } => (delay, jitter, Duration::MAX),
        }
    }
}

/// Mattermost's steady part: `first`, then `base * n²` for the n-th retry after the first.
fn quadratic(first: Duration, base: Duration, failures: u32) -> Duration {
    if failures <= 1 {
        first
    } else {
        let n = failures - 1;
        base.saturating_mul(n.saturating_mul(n))
    }
}

fn exponential(base: Duration, cap: Duration, failures: u32) -> Duration {
    let factor = 1u32.checked_shl(failures.min(20)).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(cap)
}

fn fibonacci(n: u32) -> u32 {
    let (mut a, mut b) = (0u32, 1u32);
    for _ in 0..n.min(40) {
        (a, b) = (b, a.saturating_add(b));
    }
    a
}

fn uniform(rng: &mut impl Rng, ceiling: Duration) -> Duration {
    Duration::from_millis(rng.random_range(0..=ceiling.as_millis() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn full_jitter_stays_under_a_growing_capped_ceiling() {
        let policy = RetryPolicy::outlast(Duration::from_millis(500), secs(30));
        let mut rng = StdRng::seed_from_u64(7);
        let ceilings: Vec<u64> = (0..10)
            .map(|n| {
                let n = n + 1;
                let delay = policy.delay(n, &mut rng);
                assert!(delay <= policy.ceiling(n));
                policy.ceiling(n).as_millis() as u64
            })
            .collect();
        assert_eq!(
            ceilings,
            [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000]
        );
    }

    #[test]
    fn full_jitter_spreads_clients_out() {
        // 1,000 clients failing at the same moment at the 5th failure (ceiling 16 s) must not retry
        // in a clump: no 1-second bucket may hold more than a few percent of them.
        // (0.5 s · 2^5 = 16 s.)
        let policy = RetryPolicy::outlast(Duration::from_millis(500), secs(30));
        let mut rng = StdRng::seed_from_u64(42);
        let mut buckets = [0u32; 17];
        for _ in 0..1000 {
            buckets[policy.delay(5, &mut rng).as_secs() as usize] += 1;
        }
        assert!(buckets.iter().all(|&n| n < 100), "{buckets:?}");
    }

    #[test]
    fn the_comparison_policies_follow_their_published_schedules() {
        let mut rng = StdRng::seed_from_u64(1);
        let signal = RetryPolicy::signal_desktop();
        let steady: Vec<u64> = (1..7).map(|n| signal.ceiling(n).as_secs() - 5).collect();
        assert_eq!(steady, [1, 1, 2, 3, 5, 8]);
        for n in 1..7 {
            let d = signal.delay(n, &mut rng);
            assert!(d >= signal.ceiling(n) - secs(5) && d <= signal.ceiling(n));
        }

        let mattermost = RetryPolicy::mattermost();
        let steady: Vec<u64> = (1..5)
            .map(|n| mattermost.ceiling(n).as_secs() - 2)
            .collect();
        assert_eq!(steady, [3, 3, 12, 27]);

        let lockstep = RetryPolicy::Exponential {
            base: secs(1),
            cap: secs(30),
        };
        assert_eq!(lockstep.delay(1, &mut rng), secs(1));
        assert_eq!(lockstep.delay(4, &mut rng), secs(8));
        assert_eq!(lockstep.delay(4, &mut rng), secs(8), "no jitter at all");

        let fixed = RetryPolicy::Fixed {
            delay: secs(3),
            jitter: secs(2),
        };
        let d = fixed.delay(9, &mut rng);
        assert!(d >= secs(3) && d <= secs(5));
    }
}
