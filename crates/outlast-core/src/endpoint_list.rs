//! The server's endpoints as this session uses them, for Settings: every service per region, in
//! the order they are tried, and where the list came from (a discovery outage means an older
//! list is in use, and the user may want to know how old).

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
