//! The connection manager against the real mock backend over loopback sockets: one test per row
//! of docs/FAULTS (connections). Timings are shrunk so each fault plays out in well under a
//! second; every wait is for a condition, bounded by a deadline.

use std::time::Duration;

use outlast_core::{
    Client, ClientOptions, ConnectionSettings, ConnectionState, CoreEvent, EndpointSource,
    MessageState, RetryPolicy, Service, ServiceState, Transport,
};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use tokio::sync::broadcast;
use tokio::time::Instant;

const DEADLINE: Duration = Duration::from_secs(10);

fn fast() -> ConnectionSettings {
    ConnectionSettings {
        connect_timeout: Duration::from_secs(1),
        retry: Some(RetryPolicy::outlast(
            Duration::from_millis(50),
            Duration::from_millis(400),
        )),
        pong_timeout: Duration::from_millis(400),
        ack_probe_after: Some(Duration::from_millis(200)),
        probe_timeout: Duration::from_millis(300),
        stable_after: Duration::from_millis(300),
        failback_after: None,
        failback_probe_every: Duration::from_millis(100),
        rest_poll_wait: Duration::from_secs(2),
        resend_after_nack: Duration::from_millis(200),
        ..ConnectionSettings::default()
    }
}

fn mock_config() -> MockConfig {
    MockConfig {
        reply_delay: Duration::from_millis(50),
        heartbeat_interval: Duration::from_secs(1),
        ..MockConfig::default()
    }
}

async fn mock(config: MockConfig) -> MockServer {
    MockServer::start(config)
        .await
        .expect("mock backend starts")
}

struct Probe {
    client: Client,
    events: broadcast::Receiver<CoreEvent>,
    seen: Vec<CoreEvent>,
}

impl Probe {
    async fn sign_in(server: &MockServer, options: ClientOptions, user: &str) -> Probe {
        let client = Client::with_options(options);
        let events = client.subscribe();
        client
            .login(server.discovery_url(), user, DEMO_PASSWORD)
            .await
            .expect("sign-in");
        let mut probe = Probe {
            client,
            events,
            seen: Vec::new(),
        };
        probe.connected("the first connection").await;
        probe
    }

    async fn demo(server: &MockServer, settings: ConnectionSettings) -> Probe {
        Probe::sign_in(
            server,
            ClientOptions {
                connection: settings,
                ..ClientOptions::default()
            },
            DEMO_USERNAME,
        )
        .await
    }

    /// Wait for an event `pick` accepts; the current state counts for connection predicates.
    async fn wait<T>(&mut self, what: &str, mut pick: impl FnMut(&CoreEvent) -> Option<T>) -> T {
        let found = tokio::time::timeout(DEADLINE, async {
            loop {
                let event = match self.events.recv().await {
                    Ok(event) => event,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(e) => panic!("event stream ended: {e}"),
                };
                self.seen.push(event.clone());
                if let Some(found) = pick(&event) {
                    return found;
                }
            }
        })
        .await;
        match found {
            Ok(found) => found,
            Err(_) => panic!(
                "timed out waiting for {what}; connection events seen: {:#?}",
                self.connection_events()
            ),
        }
    }

    async fn state(
        &mut self,
        what: &str,
        pick: impl Fn(&ConnectionState) -> bool,
    ) -> ConnectionState {
        let now = self.client.connection_state();
        if pick(&now) {
            return now;
        }
        self.wait(what, |e| match e {
            CoreEvent::ConnectionChanged { state } if pick(state) => Some(state.clone()),
            _ => None,
        })
        .await
    }

    /// Connected where `pick(endpoint, region)` agrees: (endpoint, region, transport).
    async fn connected_where(
        &mut self,
        what: &str,
        pick: impl Fn(&str, &str) -> bool,
    ) -> (String, String, Transport) {
        let state = self
            .state(what, |s| match s {
                ConnectionState::Connected {
                    endpoint, region, ..
                } => pick(endpoint, region),
                _ => false,
            })
            .await;
        match state {
            ConnectionState::Connected {
                endpoint,
                region,
                transport,
                ..
            } => (endpoint, region, transport),
            _ => unreachable!("state() returns only what the predicate accepted"),
        }
    }

    async fn connected(&mut self, what: &str) -> (String, String, Transport) {
        self.connected_where(what, |_, _| true).await
    }

    /// Connected somewhere other than `not`.
    async fn connected_elsewhere(&mut self, not: &str) -> (String, String, Transport) {
        self.connected_where("a connection elsewhere", |endpoint, _| endpoint != not)
            .await
    }

    /// The connection events seen so far, for failure messages.
    fn connection_events(&self) -> Vec<&CoreEvent> {
        self.seen
            .iter()
            .filter(|e| matches!(e, CoreEvent::ConnectionChanged { .. }))
            .collect()
    }

    /// Whether the client ever had to wait (a backoff) since the probe started.
    fn ever_waited(&self) -> bool {
        self.seen.iter().any(|e| {
            matches!(
                e,
                CoreEvent::ConnectionChanged {
                    state: ConnectionState::Waiting { .. }
                }
            )
        })
    }

    async fn sent(&mut self, client_msg_id: &str) {
        let id = client_msg_id.to_owned();
        self.wait("the ack", |e| match e {
            CoreEvent::MessageUpdated { message }
                if message.client_msg_id.as_deref() == Some(id.as_str())
                    && message.state == MessageState::Sent =>
            {
                Some(())
            }
            _ => None,
        })
        .await
    }

    fn send(&self, body: &str) -> String {
        self.client
            .send("c-team", body)
            .expect("queued")
            .client_msg_id
            .expect("own messages carry a client id")
    }
}

/// How many copies of `body` the server holds in the team chat, as another user sees it.
async fn copies_on_server(server: &MockServer, body: &str) -> usize {
    let other = Client::default();
    other
        .login(server.discovery_url(), "tester", DEMO_PASSWORD)
        .await
        .expect("tester signs in");
    let history = other.open_chat("c-team").await.expect("history");
    history.iter().filter(|m| m.body == body).count()
}

fn url(server: &MockServer, id: &str) -> String {
    server.url_of(id).expect("listener exists")
}

#[tokio::test]
async fn refused_gateway_fails_over_at_once_and_the_message_arrives_once() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    let (first, region, _) = demo.connected("start").await;
    assert_eq!(
        first,
        url(&server, "gw-a1"),
        "the preferred region's best gateway"
    );
    assert_eq!(region, "a");

    server.set_fault("gw-a1", "refuse").unwrap();
    let started = Instant::now();
    let id = demo.send("after the refusal");
    demo.sent(&id).await;
    let (now, region, transport) = demo.connected_elsewhere(&first).await;
    assert_eq!(
        (now.as_str(), region.as_str(), transport),
        (url(&server, "gw-a2").as_str(), "a", Transport::Gateway),
        "the next gateway in the same region"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "no backoff before the first switch"
    );
    assert!(!demo.ever_waited(), "the switch never waited");
    let services = demo.client.services();
    assert_eq!(services.of("gateway").state, ServiceState::Degraded);
    assert!(services
        .of("gateway")
        .detail
        .clone()
        .unwrap()
        .contains("gw-a1"));
    assert_eq!(copies_on_server(&server, "after the refusal").await, 1);
}

#[tokio::test]
async fn reset_gateway_fails_over_at_once() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    server.set_fault("gw-a1", "reset").unwrap();
    let id = demo.send("after the reset");
    demo.sent(&id).await;
    let (now, _, _) = demo.connected_elsewhere(&url(&server, "gw-a1")).await;
    assert_eq!(now, url(&server, "gw-a2"));
    assert_eq!(copies_on_server(&server, "after the reset").await, 1);
}

#[tokio::test]
async fn black_holed_gateway_is_noticed_by_heartbeat_when_idle() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    server.set_fault("gw-a1", "blackhole").unwrap();
    let started = Instant::now();
    demo.connected_elsewhere(&url(&server, "gw-a1")).await;
    // Heartbeat 1 s + pong timeout 0.4 s, plus scheduling slack; never the OS TCP timeout.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let lost_by_heartbeat = demo.seen.iter().any(|e| {
        matches!(e, CoreEvent::ConnectionChanged { state: ConnectionState::Connecting { why, .. } } if why.contains("heartbeat"))
    });
    assert!(lost_by_heartbeat, "{:#?}", demo.seen);
}

#[tokio::test]
async fn black_holed_gateway_is_noticed_by_a_late_ack_while_sending() {
    let server = mock(mock_config()).await;
    // A heartbeat far too slow to help: only the late-ack probe can notice in time.
    let settings = ConnectionSettings {
        heartbeat_interval: Some(Duration::from_secs(60)),
        pong_timeout: Duration::from_secs(60),
        ..fast()
    };
    let mut demo = Probe::demo(&server, settings).await;
    server.set_fault("gw-a1", "blackhole").unwrap();
    let started = Instant::now();
    let id = demo.send("into the black hole");
    demo.sent(&id).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // Resumed on the next gateway, although the old connection still held the session.
    let (now, _, _) = demo.connected_elsewhere(&url(&server, "gw-a1")).await;
    assert_eq!(now, url(&server, "gw-a2"));
    assert!(
        !demo.ever_waited(),
        "no second failure after the switch: {:#?}",
        demo.seen
    );
    assert_eq!(copies_on_server(&server, "into the black hole").await, 1);
}

#[tokio::test]
async fn a_slow_gateway_keeps_working_without_duplicates() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    let first = url(&server, "gw-a1");
    // Slower than the ack-probe delay: every message is probed before its ack arrives, and the
    // late ack (a frame from a live server) must win over declaring the link dead.
    server.set_fault("gw-a1", "slow:250").unwrap();
    for i in 0..6 {
        let id = demo.send(&format!("slowly {i}"));
        demo.sent(&id).await;
    }
    let switched = demo.seen.iter().any(|e| {
        matches!(e, CoreEvent::ConnectionChanged { state: ConnectionState::Connected { endpoint, .. } } if *endpoint != first)
    });
    assert!(
        !switched,
        "a slow gateway was treated as dead: {:#?}",
        demo.seen
    );
    for i in 0..6 {
        assert_eq!(copies_on_server(&server, &format!("slowly {i}")).await, 1);
    }
}

#[tokio::test]
async fn a_whole_region_down_moves_to_the_other_and_stays_there() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    server.set_fault("region:a", "refuse").unwrap();
    demo.connected_where("region b", |_, region| region == "b")
        .await;
    match demo.client.connection_state() {
        ConnectionState::Connected {
            preferred_region, ..
        } => assert!(!preferred_region, "on a backup region"),
        other => panic!("{other:?}"),
    }

    // Region A is back, but B stays home: losing b1 moves to b2, not back to A.
    server.set_fault("region:a", "up").unwrap();
    server.set_fault("gw-b1", "reset").unwrap();
    let (now, region, _) = demo.connected_elsewhere(&url(&server, "gw-b1")).await;
    assert_eq!((now, region.as_str()), (url(&server, "gw-b2"), "b"));
}

#[tokio::test]
async fn the_preferred_region_wins_back_traffic_after_staying_healthy() {
    let server = mock(mock_config()).await;
    let settings = ConnectionSettings {
        failback_after: Some(Duration::from_millis(500)),
        ..fast()
    };
    let mut demo = Probe::demo(&server, settings).await;
    server.set_fault("region:a", "refuse").unwrap();
    demo.connected_where("region b", |_, region| region == "b")
        .await;
    server.set_fault("region:a", "up").unwrap();
    let back_at = Instant::now();
    let state = demo
        .state(
            "back in region a",
            |s| matches!(s, ConnectionState::Connected { region, .. } if region == "a"),
        )
        .await;
    assert!(matches!(
        state,
        ConnectionState::Connected {
            preferred_region: true,
            ..
        }
    ));
    assert!(
        back_at.elapsed() >= Duration::from_millis(500),
        "not before it stayed healthy for failback_after"
    );
    // Make-before-break: no waiting or connecting state between the two connections.
    let tail: Vec<_> = demo
        .seen
        .iter()
        .rev()
        .take_while(|e| !matches!(e, CoreEvent::ConnectionChanged { state: ConnectionState::Connected { region, .. } } if region == "b"))
        .filter(|e| matches!(e, CoreEvent::ConnectionChanged { .. }))
        .collect();
    assert_eq!(tail.len(), 1, "{tail:#?}");
}

#[tokio::test]
async fn a_draining_gateway_hands_over_make_before_break_without_losing_messages() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    let ids: Vec<String> = (0..5).map(|i| demo.send(&format!("drain {i}"))).collect();
    server.set_fault("gw-a1", "drain:gw-b1").unwrap();
    let more: Vec<String> = (5..10).map(|i| demo.send(&format!("drain {i}"))).collect();
    let (now, _, _) = demo.connected_elsewhere(&url(&server, "gw-a1")).await;
    assert_eq!(now, url(&server, "gw-b1"), "to the server's hint");
    for id in ids.iter().chain(&more) {
        let acked = demo.seen.iter().any(|e| matches!(e, CoreEvent::MessageUpdated { message } if message.client_msg_id.as_deref() == Some(id.as_str()) && message.state == MessageState::Sent));
        if !acked {
            demo.sent(id).await;
        }
    }
    let between = demo
        .seen
        .iter()
        .skip_while(|e| {
            !matches!(
                e,
                CoreEvent::ConnectionChanged {
                    state: ConnectionState::Connected { .. }
                }
            )
        })
        .filter(|e| {
            matches!(
                e,
                CoreEvent::ConnectionChanged {
                    state: ConnectionState::Waiting { .. } | ConnectionState::Connecting { .. }
                }
            )
        })
        .count();
    assert_eq!(
        between,
        0,
        "the new connection opened before the old closed: {:#?}",
        demo.connection_events()
    );
    for i in 0..10 {
        assert_eq!(copies_on_server(&server, &format!("drain {i}")).await, 1);
    }
}

#[tokio::test]
async fn shedding_is_waited_out_no_sooner_than_retry_after() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    server.set_fault("service:gateway", "shed:1500").unwrap();
    server.set_fault("service:api", "shed:1500").unwrap();
    server.set_fault("gw-a1", "reset").unwrap();
    let waiting = demo
        .state(
            "waiting after the shed",
            |s| matches!(s, ConnectionState::Waiting { why, .. } if why.contains("overloaded")),
        )
        .await;
    let ConnectionState::Waiting { retry_in_ms, .. } = waiting else {
        unreachable!()
    };
    assert!(retry_in_ms >= 1500, "retry-after is a floor: {retry_in_ms}");
    let shed_at = Instant::now();
    server.set_fault("all", "up").unwrap();
    demo.connected("after the shed").await;
    assert!(shed_at.elapsed() >= Duration::from_millis(1400));
}

#[tokio::test]
async fn with_every_gateway_down_the_rest_api_carries_messages_both_ways() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    server.set_fault("service:gateway", "refuse").unwrap();
    let state = demo
        .state("the REST transport", |s| {
            matches!(
                s,
                ConnectionState::Connected {
                    transport: Transport::Rest,
                    ..
                }
            )
        })
        .await;
    assert!(matches!(
        state,
        ConnectionState::Connected {
            session_id: None,
            ..
        }
    ));
    assert_eq!(
        demo.client.services().of("gateway").state,
        ServiceState::Down
    );
    assert_eq!(demo.client.services().of("api").state, ServiceState::Up);

    let id = demo.send("sent by POST");
    demo.sent(&id).await;
    // The peer (over its own REST fallback) answers; it arrives by long-poll.
    let tester = Client::new(fast());
    tester
        .login(server.discovery_url(), "tester", DEMO_PASSWORD)
        .await
        .unwrap();
    tester.send("c-team", "received by long-poll").unwrap();
    demo.wait("the long-polled message", |e| match e {
        CoreEvent::MessageAdded { message } if message.body == "received by long-poll" => Some(()),
        _ => None,
    })
    .await;

    server.set_fault("service:gateway", "up").unwrap();
    demo.state("back on a gateway", |s| {
        matches!(
            s,
            ConnectionState::Connected {
                transport: Transport::Gateway,
                ..
            }
        )
    })
    .await;
    assert_eq!(copies_on_server(&server, "sent by POST").await, 1);
}

#[tokio::test]
async fn reconnect_now_skips_a_long_wait() {
    let server = mock(mock_config()).await;
    let settings = ConnectionSettings {
        retry: Some(RetryPolicy::Fixed {
            delay: Duration::from_secs(600),
            jitter: Duration::ZERO,
        }),
        ..fast()
    };
    let mut demo = Probe::demo(&server, settings).await;
    server.set_fault("all", "refuse").unwrap();
    demo.state(
        "a long wait",
        |s| matches!(s, ConnectionState::Waiting { retry_in_ms, .. } if *retry_in_ms >= 600_000),
    )
    .await;
    // Writing keeps working offline.
    let id = demo.send("written offline");
    server.set_fault("all", "up").unwrap();
    demo.client.reconnect_now().unwrap();
    demo.sent(&id).await;
    demo.connected("after reconnect now").await;
}

#[tokio::test]
async fn an_expired_session_is_caught_up_over_rest_and_a_gap_is_recorded() {
    let server = mock(MockConfig {
        replay_limit: 4,
        ..mock_config()
    })
    .await;
    let settings = ConnectionSettings {
        heartbeat_interval: Some(Duration::from_secs(60)),
        pong_timeout: Duration::from_secs(60),
        ..fast()
    };
    let mut demo = Probe::demo(&server, settings).await;
    demo.client.open_chat("c-jun").await.unwrap();
    // The link goes silent; meanwhile a peer writes more than the replay buffer holds.
    server.set_fault("gw-a1", "blackhole").unwrap();
    let tester = Client::new(fast());
    tester
        .login(server.discovery_url(), "tester", DEMO_PASSWORD)
        .await
        .unwrap();
    for i in 0..8 {
        let id = tester
            .send("c-team", &format!("missed {i}"))
            .unwrap()
            .client_msg_id
            .unwrap();
        let mut events = tester.subscribe();
        let _ = tokio::time::timeout(DEADLINE, async {
            loop {
                if let Ok(CoreEvent::MessageUpdated { message }) = events.recv().await {
                    if message.client_msg_id.as_deref() == Some(id.as_str())
                        && message.state == MessageState::Sent
                    {
                        break;
                    }
                }
            }
        })
        .await;
    }
    assert!(server.expire_sessions() >= 1);
    // "Reconnect now" while connected probes the link: dead, so it fails over and cannot resume.
    demo.client.reconnect_now().unwrap();
    demo.connected_elsewhere(&url(&server, "gw-a1")).await;
    demo.wait("the gap", |e| match e {
        CoreEvent::HistoryGap { .. } => Some(()),
        _ => None,
    })
    .await;
    // The hole is filled from history when the chat is opened.
    let history = demo.client.open_chat("c-team").await.unwrap();
    for i in 0..8 {
        let body = format!("missed {i}");
        assert_eq!(
            history.iter().filter(|m| m.body == body).count(),
            1,
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_lost_ack_is_resent_under_the_same_id_and_stored_once() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    // Every ack, pong and event from gw-a1 is lost; the message itself is stored.
    server.set_fault("gw-a1", "flaky:1.0").unwrap();
    let id = demo.send("ack lost");
    demo.sent(&id).await;
    assert_eq!(copies_on_server(&server, "ack lost").await, 1);
}

#[tokio::test]
async fn discovery_down_uses_the_cached_endpoints_then_the_built_in_ones() {
    let server = mock(mock_config()).await;
    let dir = std::env::temp_dir().join(format!("outlast-conn-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = ClientOptions {
        connection: fast(),
        data_dir: Some(dir.clone()),
        builtin_endpoints: None,
        vault: None,
    };
    let defaults = outlast_core_discovery(&server).await;
    // First sign-in caches the endpoint list; Settings lists every endpoint, region by region.
    let fresh = Probe::sign_in(&server, options.clone(), DEMO_USERNAME).await;
    let listed = fresh.client.server_endpoints().unwrap();
    assert_eq!(listed.server, server.discovery_url());
    assert_eq!(listed.source, EndpointSource::Fresh);
    let regions: Vec<&str> = listed.regions.iter().map(|r| r.name.as_str()).collect();
    let expected: Vec<&str> = defaults.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(regions, expected);
    assert!(listed.regions[0]
        .endpoints
        .iter()
        .any(|e| e.service == Service::Gateway && e.url == defaults.regions[0].gateways[0].url));
    drop(fresh);

    server.set_fault("discovery", "refuse").unwrap();
    let mut cached = Probe::sign_in(&server, options.clone(), DEMO_USERNAME).await;
    let discovery = cached.client.services().of("discovery").clone();
    assert_eq!(discovery.state, ServiceState::Down);
    assert!(discovery.detail.unwrap().contains("last known"));
    assert!(matches!(
        cached.client.server_endpoints().unwrap().source,
        EndpointSource::Cached { saved_at_ms } if saved_at_ms > 0
    ));
    let id = cached.send("via cached endpoints");
    cached.sent(&id).await;

    // No cache and no defaults: a clear, retryable error.
    let err = Client::new(fast())
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("server_unreachable", true));

    // Built-in defaults come last.
    let builtin = ClientOptions {
        connection: fast(),
        data_dir: None,
        builtin_endpoints: Some(defaults),
        vault: None,
    };
    let built_in = Probe::sign_in(&server, builtin, DEMO_USERNAME).await;
    assert_eq!(
        built_in.client.server_endpoints().unwrap().source,
        EndpointSource::BuiltIn
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// The discovery document, fetched directly (stands in for defaults compiled into a build).
async fn outlast_core_discovery(server: &MockServer) -> outlast_protocol::DiscoveryConfig {
    let url = format!("{}/v1/config", server.discovery_url());
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn an_auth_outage_never_signs_out_and_the_refresh_waits_for_it() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    // Auth goes down and the server expires every access token: the next hello is refused.
    server.set_fault("auth", "refuse").unwrap();
    server.expire_access_tokens();
    server.set_fault("gw-a1", "refuse").unwrap();
    demo.state(
        "waiting for a fresh token",
        |s| matches!(s, ConnectionState::Waiting { why, .. } if why.contains("renewing")),
    )
    .await;
    if demo.client.services().of("auth").state != ServiceState::Down {
        demo.wait("auth marked down", |e| match e {
            CoreEvent::ServicesChanged { services }
                if services.of("auth").state == ServiceState::Down =>
            {
                Some(())
            }
            _ => None,
        })
        .await;
    }
    // Still signed in and readable; writing still works.
    assert!(demo.client.session_info().is_some());
    assert_eq!(demo.client.chats().unwrap().len(), 3);
    demo.client.open_chat("c-team").await.unwrap();
    let id = demo.send("written while auth is down");
    assert!(!demo
        .seen
        .iter()
        .any(|e| matches!(e, CoreEvent::SignInRequired { .. })));

    // Auth is back; "Reconnect now" retries the queued refresh at once.
    server.set_fault("auth", "up").unwrap();
    demo.client.reconnect_now().unwrap();
    demo.sent(&id).await;
    assert_eq!(demo.client.services().of("auth").state, ServiceState::Up);
}

#[tokio::test]
async fn media_down_is_reported_on_its_own_while_messaging_works() {
    let server = mock(mock_config()).await;
    server.set_fault("media", "refuse").unwrap();
    let mut demo = Probe::demo(&server, fast()).await;
    // The check may have finished while signing in; otherwise wait for its event.
    if demo.client.services().of("media").state != ServiceState::Down {
        demo.wait("media down", |e| match e {
            CoreEvent::ServicesChanged { services }
                if services.of("media").state == ServiceState::Down =>
            {
                Some(())
            }
            _ => None,
        })
        .await;
    }
    let id = demo.send("text still flows");
    demo.sent(&id).await;
    let services = demo.client.services();
    assert_eq!(services.of("gateway").state, ServiceState::Up);
    assert_eq!(services.of("api").state, ServiceState::Up);
    assert_eq!(services.of("media").state, ServiceState::Down);
}

#[tokio::test]
async fn the_mocks_hostile_volley_costs_at_most_a_reconnect() {
    let server = mock(mock_config()).await;
    let mut demo = Probe::demo(&server, fast()).await;
    // Bad JSON, an unknown type, an ack for nothing, bad UTF-8, a script in a body, then a
    // 10 MiB frame: the small ones are dropped, the huge one costs that connection.
    server.set_fault("gw-a1", "hostile").unwrap();
    let id = demo.send("after the volley");
    demo.sent(&id).await;
    demo.connected("still connected").await;
    assert!(demo.client.session_info().is_some());
    assert_eq!(copies_on_server(&server, "after the volley").await, 1);
}
