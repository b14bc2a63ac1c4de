//! Protocol v1's discovery document as Settings lists it ([`ServerEndpoints`]).

use outlast_protocol::{DiscoveryConfig, Endpoint};

use crate::endpoint_list::{EndpointSource, RegionEndpoints, ServerEndpoints, ServiceEndpoint};
use crate::model::Service;

/// Every endpoint of `config` per region, in the order they are tried.
pub(crate) fn server_endpoints(
    server: &str,
    config: &DiscoveryConfig,
    source: EndpointSource,
) -> ServerEndpoints {
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
        let list = server_endpoints("https://chat.example", &config, EndpointSource::Fresh);
        let ids =
            |r: &RegionEndpoints| r.endpoints.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(list.regions[0].name, "b");
        assert_eq!(ids(&list.regions[0]), ["gw-b1", "gw-b2", "api-b1"]);
        assert_eq!(ids(&list.regions[1]), ["gw-a1", "auth-a1", "media-a1"]);
        assert_eq!(list.regions[1].endpoints[2].service, Service::Media);
    }
}
