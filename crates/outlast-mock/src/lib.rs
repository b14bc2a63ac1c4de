//! Outlast's mock backend: a real server on loopback whose services fail on command.
//!
//! One process serves discovery, auth, a REST API per region, media, and gateways in two regions,
//! each on its own listener with its own fault mode, all over one in-memory store (a message sent
//! through any of them is seen through all). Simulated peers answer and chat. Faults are switched
//! through the control API, the `outlast-mock` command line, or scenario files played on a
//! timeline. Used by tests, by `outlast --mock` and by testers; see `docs/mock-server.md`.

mod backend;
mod control;
mod demo;
mod fault;
mod gateway;
mod http;
mod net;
mod player;
mod scenario;
mod store;
mod token;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use outlast_protocol::{
    BackoffParams, DiscoveryConfig, Endpoint, Region, DEFAULT_HEARTBEAT_INTERVAL_MS,
};
use tokio::task::JoinSet;

pub use control::{FaultRequest, ScenarioRequest, Status};
pub use demo::{SeedSize, DEMO_PASSWORD, DEMO_USERNAME};
pub use fault::{
    FaultMode, FaultParseError, ListenerStatus, Service, Switchboard, Target, FAULT_SYNTAX,
};
pub use player::ScenarioPlayer;
pub use scenario::{
    load as scenario_text, parse_duration, Scenario, ScenarioError, Step,
    SHIPPED as SHIPPED_SCENARIOS,
};

/// The regions every mock serves; each has its own API listener and gateways.
pub const REGIONS: [&str; 2] = ["a", "b"];

/// How to start a mock backend.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Interface to listen on. Keep it on loopback: the mock has no real security.
    pub host: IpAddr,
    /// First port; the listeners take consecutive ports from here in the order of
    /// [`MockServer::listeners`] (discovery first, control last). 0 picks free ports.
    pub base_port: u16,
    pub gateways_per_region: usize,
    /// Seeds the simulated peers' choices and the flaky faults, so a run can be replayed.
    pub seed: u64,
    /// How long a simulated peer "types" before answering.
    pub reply_delay: Duration,
    /// Simulated messages per minute across the demo chats (0 = only replies).
    pub traffic_per_minute: f64,
    pub heartbeat_interval: Duration,
    /// Reconnect backoff the discovery document tells clients to use.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Lifetime of access tokens.
    pub access_ttl: Duration,
    /// Events kept per user for resume and REST sync.
    pub replay_limit: usize,
    pub seed_size: SeedSize,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 0,
            gateways_per_region: 2,
            seed: 1,
            reply_delay: Duration::from_millis(700),
            traffic_per_minute: 0.0,
            heartbeat_interval: Duration::from_millis(DEFAULT_HEARTBEAT_INTERVAL_MS),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            access_ttl: Duration::from_secs(15 * 60),
            replay_limit: 1_000,
            seed_size: SeedSize::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running mock backend. Dropping it stops every listener.
pub struct MockServer {
    discovery_url: String,
    control_url: String,
    switchboard: Switchboard,
    backend: backend::Backend,
    scenario: ScenarioPlayer,
    tasks: JoinSet<()>,
}

struct Planned {
    id: String,
    service: Service,
    region: Option<&'static str>,
}

impl MockServer {
    /// Bind every listener and start serving in the background of the current tokio runtime.
    pub async fn start(config: MockConfig) -> Result<MockServer, MockError> {
        let mut store = store::Store::new(config.replay_limit);
        demo::seed_sized(&mut store, backend::now_ms(), config.seed_size);
        let backend = backend::Backend::new(
            backend::BackendSettings {
                seed: config.seed,
                reply_delay: config.reply_delay,
                access_ttl: config.access_ttl,
            },
            store,
        );

        let mut plan = vec![
            Planned {
                id: "discovery".into(),
                service: Service::Discovery,
                region: None,
            },
            Planned {
                id: "auth".into(),
                service: Service::Auth,
                region: None,
            },
        ];
        for region in REGIONS {
            plan.push(Planned {
                id: format!("api-{region}"),
                service: Service::Api,
                region: Some(region),
            });
        }
        plan.push(Planned {
            id: "media".into(),
            service: Service::Media,
            region: None,
        });
        for region in REGIONS {
            for n in 1..=config.gateways_per_region.max(1) {
                plan.push(Planned {
                    id: format!("gw-{region}{n}"),
                    service: Service::Gateway,
                    region: Some(region),
                });
            }
        }

        // Bind everything first, so the discovery document can list real addresses.
        let switchboard = Switchboard::default();
        let mut bound = Vec::new();
        for (i, planned) in plan.into_iter().enumerate() {
            let addr = SocketAddr::new(config.host, port(config.base_port, i));
            let (socket, local) = net::FaultyListener::bind(addr)
                .map_err(|source| MockError::Bind { addr, source })?;
            let url = match planned.service {
                Service::Gateway => format!("ws://{local}/gateway"),
                _ => format!("http://{local}"),
            };
            let watch = switchboard.register(&planned.id, planned.service, planned.region, &url);
            let listener = net::FaultyListener::new(socket, local, watch.clone());
            bound.push((planned, listener, url, watch));
        }
        let control_addr = SocketAddr::new(config.host, port(config.base_port, bound.len()));
        let control_listener =
            tokio::net::TcpListener::bind(control_addr)
                .await
                .map_err(|source| MockError::Bind {
                    addr: control_addr,
                    source,
                })?;
        let control_url = format!(
            "http://{}",
            control_listener.local_addr().unwrap_or(control_addr)
        );

        let endpoint = |id: &str, url: &str, priority: u32| Endpoint {
            id: id.to_owned(),
            url: url.to_owned(),
            priority,
        };
        let global: Vec<(&Planned, &String)> = bound
            .iter()
            .filter(|(p, ..)| p.region.is_none())
            .map(|(p, _, u, _)| (p, u))
            .collect();
        let regions = REGIONS
            .iter()
            .map(|region| {
                let mut r = Region {
                    name: (*region).to_owned(),
                    gateways: vec![],
                    auth: vec![],
                    api: vec![],
                    media: vec![],
                };
                for (planned, _, url, _) in &bound {
                    let here = planned.region == Some(*region);
                    let priority = r.gateways.len() as u32;
                    match planned.service {
                        Service::Gateway if here => {
                            r.gateways.push(endpoint(&planned.id, url, priority))
                        }
                        Service::Api if here => r.api.push(endpoint(&planned.id, url, 0)),
                        _ => {}
                    }
                }
                for (planned, url) in &global {
                    match planned.service {
                        Service::Auth => r.auth.push(endpoint(&planned.id, url, 0)),
                        Service::Media => r.media.push(endpoint(&planned.id, url, 0)),
                        _ => {}
                    }
                }
                r
            })
            .collect();
        let discovery = DiscoveryConfig {
            regions,
            heartbeat_interval_ms: config.heartbeat_interval.as_millis() as u64,
            backoff: BackoffParams {
                base_ms: config.backoff_base.as_millis() as u64,
                cap_ms: config.backoff_cap.as_millis() as u64,
            },
            ttl_s: 300,
        };

        let mut tasks = JoinSet::new();
        let mut discovery_url = String::new();
        for (planned, listener, url, watch) in bound {
            let mode = watch.mode.clone();
            let router = match planned.service {
                Service::Discovery => {
                    discovery_url = url.clone();
                    http::discovery_router(discovery.clone())
                }
                Service::Auth => http::auth_router(backend.clone()),
                Service::Api => http::api_router(backend.clone()),
                Service::Media => http::media_router(backend.clone()),
                Service::Gateway => {
                    let settings = gateway::GatewaySettings {
                        id: planned.id.clone(),
                        heartbeat_interval_ms: discovery.heartbeat_interval_ms,
                    };
                    tasks.spawn(gateway::serve(listener, backend.clone(), settings, mode));
                    continue;
                }
            };
            let router = http::with_faults(router, mode, backend.clone());
            let id = planned.id.clone();
            tasks.spawn(async move {
                if let Err(err) = axum::serve(listener, router).await {
                    tracing::error!(listener = %id, %err, "HTTP listener stopped");
                }
            });
        }
        let scenario = ScenarioPlayer::default();
        let control = control::router(control::ControlState {
            switchboard: switchboard.clone(),
            backend: backend.clone(),
            scenario: scenario.clone(),
        });
        tasks.spawn(async move {
            if let Err(err) = axum::serve(control_listener, control).await {
                tracing::error!(%err, "control listener stopped");
            }
        });
        if config.traffic_per_minute > 0.0 {
            tasks.spawn(backend.clone().generate_traffic(config.traffic_per_minute));
        }
        tracing::info!(%discovery_url, %control_url, "mock backend listening");
        Ok(MockServer {
            discovery_url,
            control_url,
            switchboard,
            backend,
            scenario,
            tasks,
        })
    }

    /// What a user types as the server address: the discovery service, e.g. `http://127.0.0.1:7710`.
    pub fn discovery_url(&self) -> &str {
        &self.discovery_url
    }

    /// Base URL of the control API.
    pub fn control_url(&self) -> &str {
        &self.control_url
    }

    /// Every listener with its service, region, URL and current fault.
    pub fn listeners(&self) -> Vec<ListenerStatus> {
        self.switchboard.status()
    }

    /// URL of one listener by id (e.g. `gw-a1`).
    pub fn url_of(&self, id: &str) -> Option<String> {
        self.listeners()
            .into_iter()
            .find(|l| l.id == id)
            .map(|l| l.url)
    }

    /// Switch listeners into a fault mode (what the control API does).
    pub fn set_fault(&self, target: &str, fault: &str) -> Result<Vec<String>, FaultParseError> {
        let target: Target = target.parse()?;
        let mode: FaultMode = fault.parse()?;
        self.switchboard.apply(&target, &mode)
    }

    /// The switchboard, for playing scenarios in process.
    pub fn switchboard(&self) -> &Switchboard {
        &self.switchboard
    }

    /// Play a shipped scenario (by name) or a scenario file's TOML text, `time_scale` scenario
    /// seconds per real second; it replaces any scenario playing. Returns its name.
    pub fn play_scenario(
        &self,
        name_or_toml: &str,
        time_scale: f64,
    ) -> Result<String, ScenarioError> {
        let text = match SHIPPED_SCENARIOS
            .iter()
            .find(|(name, _)| *name == name_or_toml)
        {
            Some((_, text)) => (*text).to_owned(),
            None => name_or_toml.to_owned(),
        };
        let scenario = Scenario::parse(&text)?;
        self.scenario
            .play(scenario, &self.switchboard, time_scale)
            .map(|(name, _)| name)
    }

    /// Stop the scenario playing (the faults stay as they are).
    pub fn stop_scenario(&self) {
        self.scenario.stop();
    }

    /// The scenario still playing, by name.
    pub fn scenario_playing(&self) -> Option<String> {
        self.scenario.playing()
    }

    /// Expire every access token issued so far (clients must refresh them at the auth service).
    pub fn expire_access_tokens(&self) {
        self.backend.expire_access_tokens();
    }

    /// The server's copy of a chat: every message body in the order stored (for tests and
    /// benchmarks that check delivery).
    pub fn chat_bodies(&self, chat_id: &str) -> Vec<String> {
        self.backend.store().bodies_of(chat_id)
    }

    /// Where `user_id` has read `chat_id` up to (a message id), as the server knows it.
    pub fn read_mark(&self, user_id: &str, chat_id: &str) -> Option<String> {
        self.backend.store().read_mark(user_id, chat_id)
    }

    /// How many read-mark requests `user_id` has made (to check they are coalesced).
    pub fn read_requests(&self, user_id: &str) -> usize {
        self.backend.store().read_requests(user_id)
    }

    /// The server's message ids of a chat, in the order stored.
    pub fn chat_message_ids(&self, chat_id: &str) -> Vec<String> {
        self.backend.store().message_ids_of(chat_id)
    }

    /// From now on refuse, for good, every message containing `word` (a server content policy:
    /// how testers make a message fail permanently).
    pub fn refuse_content(&self, word: &str) {
        self.backend.store().refuse_content(word);
    }

    /// Forget every resumable session (the "session expired on the server" fault).
    pub fn expire_sessions(&self) -> usize {
        self.backend.store().expire_sessions()
    }

    /// Number of live gateway sessions.
    pub fn session_count(&self) -> usize {
        self.backend.store().session_count()
    }

    /// Stop every listener and drop every connection.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

fn port(base: u16, offset: usize) -> u16 {
    if base == 0 {
        0
    } else {
        base.saturating_add(offset as u16)
    }
}
