//! The server's endpoints as this session uses them, for Settings: every service per region, in
//! the order they are tried, and where the list came from (a discovery outage means an older
//! list is in use, and the user may want to know how old).

use outlast_protocol::{DiscoveryConfig, Endpoint};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::Service;

/// Where the endpoint list in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum EndpointSource {
    /// The discovery service answered at sign-in.
    Fresh,
    /// Discovery was down: the last list it gave, saved at `saved_at_ms`.
    Cached {
        #[ts(type = "number")]
        saved_at_ms: u64,
    },
    /// Discovery was down and nothing was saved: the list built into this app.
    BuiltIn,
}

/// One endpoint of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ServiceEndpoint {
    pub service: Service,
    /// The server's name for it (`gw-a1`), as logs and the connection timeline show it.
    pub id: String,
    pub url: String,
}

/// The endpoints of one region, each service's in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RegionEndpoints {
    pub name: String,
    pub endpoints: Vec<ServiceEndpoint>,
}

/// The signed-in server and every endpoint this session may use, preferred region first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ServerEndpoints {
    /// The address signed in with (the discovery service).
    pub server: String,
    pub source: EndpointSource,
    pub regions: Vec<RegionEndpoints>,
}

impl ServerEndpoints {
    pub(crate) fn new(server: &str, config: &DiscoveryConfig, source: EndpointSource) -> Self {
        ServerEndpoints {
            server: server.to_owned(),
            source,
            regions: config
                .regions
                .iter()
                .map(|region| {
                    let mut endpoints = Vec::new();
                    for (service, list) in [
                        (Service::Gateway, &region.gateways),
                        (Service::Api, &region.api),
                        (Service::Auth, &region.auth),
                        (Service::Media, &region.media),
                    ] {
                        let mut list: Vec<&Endpoint> = list.iter().collect();
                        list.sort_by_key(|e| e.priority);
                        endpoints.extend(list.into_iter().map(|e| ServiceEndpoint {
                            service,
                            id: e.id.clone(),
                            url: e.url.clone(),
                        }));
                    }
                    RegionEndpoints {
                        name: region.name.clone(),
                        endpoints,
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use outlast_protocol::{BackoffParams, Region};

    use super::*;

    fn endpoint(id: &str, priority: u32) -> Endpoint {
        Endpoint {
            id: id.into(),
            url: format!("wss://{id}.example"),
            priority,
        }
    }

    #[test]
    fn regions_keep_the_servers_order_and_endpoints_are_listed_as_tried() {
        let config = DiscoveryConfig {
            regions: vec![
                Region {
                    name: "b".into(),
                    gateways: vec![endpoint("gw-b2", 2), endpoint("gw-b1", 1)],
                    auth: vec![],
                    api: vec![endpoint("api-b1", 1)],
                    media: vec![],
                },
                Region {
                    name: "a".into(),
                    gateways: vec![endpoint("gw-a1", 1)],
                    auth: vec![endpoint("auth-a1", 1)],
                    api: vec![],
                    media: vec![endpoint("media-a1", 1)],
                },
            ],
            heartbeat_interval_ms: 15_000,
            backoff: BackoffParams {
                base_ms: 500,
                cap_ms: 30_000,
            },
            ttl_s: 300,
        };
        let list = ServerEndpoints::new("https://chat.example", &config, EndpointSource::Fresh);
        let ids =
            |r: &RegionEndpoints| r.endpoints.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(list.regions[0].name, "b");
        assert_eq!(ids(&list.regions[0]), ["gw-b1", "gw-b2", "api-b1"]);
        assert_eq!(ids(&list.regions[1]), ["gw-a1", "auth-a1", "media-a1"]);
        assert_eq!(list.regions[1].endpoints[2].service, Service::Media);
    }
}
