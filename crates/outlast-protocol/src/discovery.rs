//! Discovery: where every service lives, per region, and the timing the client should use.
//! Served at `GET /v1/config` by the discovery service; clients cache the last good answer.

use serde::{Deserialize, Serialize};

/// One network endpoint of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Stable name, e.g. `gw-a1`; what fault injection, logs and `reconnect` hints refer to.
    pub id: String,
    pub url: String,
    /// Lower is tried first within a region.
    pub priority: u32,
}

/// The endpoints of one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub name: String,
    pub gateways: Vec<Endpoint>,
    pub auth: Vec<Endpoint>,
    pub api: Vec<Endpoint>,
    pub media: Vec<Endpoint>,
}

/// Reconnect backoff parameters (capped exponential with full jitter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackoffParams {
    pub base_ms: u64,
    pub cap_ms: u64,
}

/// `GET /v1/config`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryConfig {
    /// Regions in the order the server prefers for this client.
    pub regions: Vec<Region>,
    pub heartbeat_interval_ms: u64,
    pub backoff: BackoffParams,
    /// How long this answer may be used before asking again.
    pub ttl_s: u64,
}
