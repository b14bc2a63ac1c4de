//! The endpoint health table: which gateway to try next.
//!
//! Known-good endpoints come first, the home region before the others, and an endpoint that just
//! failed only after its cool-down. The home region starts as the server's preferred one and moves
//! to wherever a connection last worked, so a client that failed over stays put (no flapping);
//! it moves back only after the preferred region has answered probes for a while.

use std::collections::HashMap;

use outlast_protocol::DiscoveryConfig;
use tokio::time::{Duration, Instant};

/// One gateway the client may connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub url: String,
    pub region: String,
    /// Lower is preferred within a region.
    pub priority: u32,
    /// Position of the region in the server's order of preference.
    pub region_rank: usize,
}

/// What is known about one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Never tried.
    Unknown,
    /// Being connected to right now.
    Checking,
    /// Its last connection worked.
    Ok,
    /// Its last attempt failed at this time.
    Failed { at: Instant },
}

#[derive(Debug, Clone)]
pub struct HealthTable {
    candidates: Vec<Candidate>,
    health: HashMap<String, Health>,
    last_error: HashMap<String, String>,
    home_region: String,
    cooldown: Duration,
}

impl HealthTable {
    /// Every gateway of every region, from the discovery document.
    pub fn from_config(config: &DiscoveryConfig, cooldown: Duration) -> HealthTable {
        let mut candidates = Vec::new();
        for (rank, region) in config.regions.iter().enumerate() {
            for endpoint in &region.gateways {
                candidates.push(Candidate {
                    id: endpoint.id.clone(),
                    url: endpoint.url.clone(),
                    region: region.name.clone(),
                    priority: endpoint.priority,
                    region_rank: rank,
                });
            }
        }
        HealthTable::new(candidates, cooldown)
    }

    pub fn new(candidates: Vec<Candidate>, cooldown: Duration) -> HealthTable {
        let home_region = candidates
            .iter()
            .min_by_key(|c| c.region_rank)
            .map(|c| c.region.clone())
            .unwrap_or_default();
        HealthTable {
            health: candidates
                .iter()
                .map(|c| (c.url.clone(), Health::Unknown))
                .collect(),
            last_error: HashMap::new(),
            candidates,
            home_region,
            cooldown,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }

    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    /// The server's preferred region.
    pub fn preferred_region(&self) -> &str {
        self.candidates
            .iter()
            .min_by_key(|c| c.region_rank)
            .map(|c| c.region.as_str())
            .unwrap_or("")
    }

    pub fn home_region(&self) -> &str {
        &self.home_region
    }

    pub fn health(&self, url: &str) -> Health {
        self.health.get(url).copied().unwrap_or(Health::Unknown)
    }

    pub fn last_error(&self, url: &str) -> Option<&str> {
        self.last_error.get(url).map(String::as_str)
    }

    /// Every endpoint in the order to try them now.
    pub fn order(&self, now: Instant) -> Vec<Candidate> {
        let mut ordered = self.candidates.clone();
        ordered.sort_by_key(|c| {
            let (cooling, standing, failed_at) = match self.health(&c.url) {
                Health::Ok => (false, 0, None),
                Health::Unknown | Health::Checking => (false, 1, None),
                Health::Failed { at } => (now < at + self.cooldown, 2, Some(at)),
            };
            (
                cooling,
                // Among endpoints cooling down, the one that failed longest ago first.
                failed_at.filter(|_| cooling),
                c.region != self.home_region,
                standing,
                c.region_rank,
                c.priority,
            )
        });
        ordered
    }

    /// The best endpoint of the preferred region, when the client lives elsewhere.
    pub fn failback_target(&self) -> Option<Candidate> {
        let preferred = self.preferred_region().to_owned();
        if self.home_region == preferred {
            return None;
        }
        self.candidates
            .iter()
            .filter(|c| c.region == preferred)
            .min_by_key(|c| c.priority)
            .cloned()
    }

    /// An endpoint by URL or id (servers may hint either).
    pub fn find(&self, url_or_id: &str) -> Option<Candidate> {
        self.candidates
            .iter()
            .find(|c| c.url == url_or_id || c.id == url_or_id)
            .cloned()
    }

    pub fn checking(&mut self, url: &str) {
        self.health.insert(url.to_owned(), Health::Checking);
    }

    /// A connection to `url` worked: its region becomes home.
    pub fn succeeded(&mut self, url: &str) {
        self.health.insert(url.to_owned(), Health::Ok);
        self.last_error.remove(url);
        if let Some(candidate) = self.candidates.iter().find(|c| c.url == url) {
            self.home_region = candidate.region.clone();
        }
    }

    pub fn failed(&mut self, url: &str, now: Instant, reason: &str) {
        self.health
            .insert(url.to_owned(), Health::Failed { at: now });
        self.last_error.insert(url.to_owned(), reason.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, region: &str, rank: usize, priority: u32) -> Candidate {
        Candidate {
            id: id.into(),
            url: format!("ws://{id}"),
            region: region.into(),
            priority,
            region_rank: rank,
        }
    }

    fn table() -> HealthTable {
        HealthTable::new(
            vec![
                candidate("b1", "b", 1, 0),
                candidate("a2", "a", 0, 1),
                candidate("a1", "a", 0, 0),
                candidate("b2", "b", 1, 1),
            ],
            Duration::from_secs(30),
        )
    }

    fn ids(order: Vec<Candidate>) -> Vec<String> {
        order.into_iter().map(|c| c.id).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn preferred_region_first_then_by_priority() {
        let t = table();
        assert_eq!(ids(t.order(Instant::now())), ["a1", "a2", "b1", "b2"]);
        assert_eq!(t.failback_target(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_endpoint_waits_out_its_cooldown() {
        let mut t = table();
        let now = Instant::now();
        t.failed("ws://a1", now, "refused");
        assert_eq!(ids(t.order(now)), ["a2", "b1", "b2", "a1"]);
        assert_eq!(t.last_error("ws://a1"), Some("refused"));
        tokio::time::advance(Duration::from_secs(31)).await;
        // Cooled down: back in its region, but after the one never tried.
        assert_eq!(ids(t.order(Instant::now())), ["a2", "a1", "b1", "b2"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_whole_region_down_moves_home_and_stays_there() {
        let mut t = table();
        let now = Instant::now();
        t.failed("ws://a1", now, "refused");
        t.failed("ws://a2", now, "refused");
        assert_eq!(ids(t.order(now)), ["b1", "b2", "a1", "a2"]);
        t.succeeded("ws://b1");
        assert_eq!(t.home_region(), "b");
        tokio::time::advance(Duration::from_secs(120)).await;
        // Region A has cooled down, yet B stays first: no flapping back on its own.
        assert_eq!(ids(t.order(Instant::now())), ["b1", "b2", "a1", "a2"]);
        assert_eq!(t.failback_target().map(|c| c.id), Some("a1".to_owned()));
        t.succeeded("ws://a1");
        assert_eq!(ids(t.order(Instant::now())), ["a1", "a2", "b1", "b2"]);
    }

    #[tokio::test(start_paused = true)]
    async fn when_everything_is_cooling_the_oldest_failure_goes_first() {
        let mut t = table();
        let start = Instant::now();
        for (i, url) in ["ws://b2", "ws://a1", "ws://b1", "ws://a2"]
            .iter()
            .enumerate()
        {
            t.failed(url, start + Duration::from_secs(i as u64), "down");
        }
        let order = ids(t.order(start + Duration::from_secs(5)));
        assert_eq!(order, ["b2", "a1", "b1", "a2"]);
    }
}
