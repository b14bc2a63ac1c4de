//! Which endpoints to use, from the discovery document. Today: the server's preferred region's
//! first endpoints; the connection manager's health table and failover build on this.

use outlast_protocol::{DiscoveryConfig, Endpoint};

use crate::CoreError;

/// The endpoints a session talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoints {
    pub region: String,
    pub auth: String,
    pub api: String,
    pub gateway: String,
}

impl Endpoints {
    /// The first region (in the server's order of preference) that has a gateway and an API;
    /// auth may come from any region.
    pub fn choose(config: &DiscoveryConfig) -> Result<Endpoints, CoreError> {
        let first = |list: &[Endpoint]| {
            list.iter()
                .min_by_key(|e| e.priority)
                .map(|e| e.url.clone())
        };
        let auth = config
            .regions
            .iter()
            .find_map(|r| first(&r.auth))
            .ok_or_else(|| {
                CoreError::Protocol("the server's configuration lists no login service".into())
            })?;
        for region in &config.regions {
            if let (Some(gateway), Some(api)) = (first(&region.gateways), first(&region.api)) {
                if !(gateway.starts_with("ws://") || gateway.starts_with("wss://")) {
                    return Err(CoreError::Protocol(format!(
                        "the server named a gateway that is not a WebSocket URL: {gateway:?}"
                    )));
                }
                return Ok(Endpoints {
                    region: region.name.clone(),
                    auth,
                    api,
                    gateway,
                });
            }
        }
        Err(CoreError::Protocol(
            "the server's configuration lists no region with both a gateway and an API".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use outlast_protocol::{BackoffParams, Region};

    use super::*;

    fn endpoint(id: &str, url: &str, priority: u32) -> Endpoint {
        Endpoint {
            id: id.into(),
            url: url.into(),
            priority,
        }
    }

    fn config(regions: Vec<Region>) -> DiscoveryConfig {
        DiscoveryConfig {
            regions,
            heartbeat_interval_ms: 15_000,
            backoff: BackoffParams {
                base_ms: 500,
                cap_ms: 30_000,
            },
            ttl_s: 300,
        }
    }

    #[test]
    fn takes_the_first_complete_region_and_its_best_gateway() {
        let empty = Region {
            name: "a".into(),
            gateways: vec![],
            auth: vec![endpoint("auth", "http://auth", 0)],
            api: vec![endpoint("api-a", "http://api-a", 0)],
            media: vec![],
        };
        let b = Region {
            name: "b".into(),
            gateways: vec![
                endpoint("gw-b2", "ws://b2", 1),
                endpoint("gw-b1", "ws://b1", 0),
            ],
            auth: vec![],
            api: vec![endpoint("api-b", "http://api-b", 0)],
            media: vec![],
        };
        let chosen = Endpoints::choose(&config(vec![empty, b])).unwrap();
        assert_eq!(
            chosen,
            Endpoints {
                region: "b".into(),
                auth: "http://auth".into(),
                api: "http://api-b".into(),
                gateway: "ws://b1".into()
            }
        );
    }

    #[test]
    fn incomplete_or_odd_configurations_are_clear_errors() {
        assert_eq!(
            Endpoints::choose(&config(vec![])).unwrap_err().code(),
            "protocol_error"
        );
        let odd = Region {
            name: "a".into(),
            gateways: vec![endpoint("gw", "http://not-ws", 0)],
            auth: vec![endpoint("auth", "http://auth", 0)],
            api: vec![endpoint("api", "http://api", 0)],
            media: vec![],
        };
        let err = Endpoints::choose(&config(vec![odd])).unwrap_err();
        assert!(err.to_string().contains("not a WebSocket URL"), "{err}");
    }
}
