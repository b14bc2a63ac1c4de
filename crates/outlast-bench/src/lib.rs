//! Shared pieces of the connection benchmarks: statistics and the client profiles compared.

use std::time::Duration;

use outlast_core::ConnectionSettings;

/// A client configuration under test.
#[derive(Clone)]
pub struct Profile {
    pub name: &'static str,
    pub settings: ConnectionSettings,
}

/// Outlast's defaults, Signal Desktop's and Mattermost's public parameters, all on the same
/// connection code and the same endpoints, so only the timing policy differs.
pub fn profiles() -> Vec<Profile> {
    vec![
        Profile {
            name: "Outlast",
            settings: ConnectionSettings::default(),
        },
        Profile {
            name: "Signal Desktop",
            settings: ConnectionSettings::signal_desktop(),
        },
        Profile {
            name: "Mattermost",
            settings: ConnectionSettings::mattermost(),
        },
    ]
}

/// Median, 99th percentile and maximum of a sample (nearest-rank).
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub n: usize,
    pub median: Duration,
    pub p99: Duration,
    pub max: Duration,
}

pub fn summarize(samples: &[Duration]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = |q: f64| {
        let index = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    };
    Some(Summary {
        n: sorted.len(),
        median: rank(0.5),
        p99: rank(0.99),
        max: sorted[sorted.len() - 1],
    })
}

pub fn fmt_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = summarize(&samples).unwrap();
        assert_eq!(
            (s.n, s.median, s.p99, s.max),
            (
                100,
                Duration::from_millis(50),
                Duration::from_millis(99),
                Duration::from_millis(100)
            )
        );
        assert!(summarize(&[]).is_none());
    }
}
