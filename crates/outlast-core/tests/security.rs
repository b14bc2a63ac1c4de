//! Transport security and secrets, against real sockets: plain text only on this computer, invalid
//! certificates refused (HTTPS and WSS), and no token ever in the logs.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use outlast_core::connection::{Candidate, ConnectionSink, SupervisorHandle, TokenSource};
use outlast_core::domain::{Cursor, RemoteEvent};
use outlast_core::{
    Client, ConnectionSettings, ConnectionState, CoreEvent, MessageState, ServiceState,
};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use outlast_protocol::{AccessToken, BackoffParams, DiscoveryConfig, Endpoint, Region};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const DEADLINE: Duration = Duration::from_secs(10);

/// A TLS listener on loopback whose certificate nobody trusts (self-signed). It completes no
/// handshake: a client that checks certificates must give up.
async fn untrusted_tls_server() -> std::net::SocketAddr {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("self-signed certificate");
    let der = cert.cert.der().clone();
    let key = rustls_key(cert.key_pair.serialize_der());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![der], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // The client aborts the handshake; nothing else happens on this connection.
                let _ = acceptor.accept(stream).await;
            });
        }
    });
    addr
}

fn rustls_key(der: Vec<u8>) -> tokio_rustls::rustls::pki_types::PrivateKeyDer<'static> {
    tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(der.into())
}

#[tokio::test]
async fn an_https_server_with_an_invalid_certificate_is_refused() {
    let addr = untrusted_tls_server().await;
    let err = Client::default()
        .login(&format!("https://{addr}"), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.retryable()),
        ("invalid_certificate", false),
        "{err}"
    );
    assert!(
        err.to_string().contains("did not prove its identity"),
        "{err}"
    );
}

#[tokio::test]
async fn plain_http_is_refused_off_this_computer() {
    for server in ["http://chat.example.com", "http://192.0.2.10:7710"] {
        let err = Client::default()
            .login(server, DEMO_USERNAME, DEMO_PASSWORD)
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), err.retryable()),
            ("insecure_transport", false),
            "{err}"
        );
    }
    // An address without a scheme means https unless it is this computer.
    let addr = untrusted_tls_server().await;
    let err = Client::default()
        .login(
            &format!("localhost.localdomain.invalid:{}", addr.port()),
            DEMO_USERNAME,
            DEMO_PASSWORD,
        )
        .await
        .unwrap_err();
    assert_ne!(err.code(), "insecure_transport", "{err}");
}

/// Records connection states.
struct Recorder(mpsc::UnboundedSender<ConnectionState>);

impl ConnectionSink for Recorder {
    fn cursor(&self) -> Option<Cursor> {
        None
    }
    fn apply_event(&self, _at: Cursor, _event: RemoteEvent) {}
    fn acked(&self, _client_msg_id: &str, _msg_id: String, _at: Cursor) {}
    fn refused(&self, _client_msg_id: &str, _reason: String) {}
    fn gap(&self, _after: Cursor, _resumes_at: Cursor) {}
    fn connection(&self, state: ConnectionState) {
        let _ = self.0.send(state);
    }
    fn service(&self, _service: &str, _state: ServiceState, _detail: Option<String>) {}
    fn attempt(&self, _endpoint: &Candidate) {}
}

fn config_with_gateways(gateways: Vec<&str>) -> DiscoveryConfig {
    DiscoveryConfig {
        regions: vec![Region {
            name: "a".into(),
            gateways: gateways
                .into_iter()
                .enumerate()
                .map(|(i, url)| Endpoint {
                    id: format!("gw-{i}"),
                    url: url.into(),
                    priority: i as u32,
                })
                .collect(),
            auth: vec![],
            api: vec![],
            media: vec![],
        }],
        heartbeat_interval_ms: 10_000,
        backoff: BackoffParams {
            base_ms: 1_000,
            cap_ms: 30_000,
        },
        ttl_s: 300,
    }
}

#[tokio::test]
async fn a_wss_gateway_with_an_invalid_certificate_is_refused() {
    let addr = untrusted_tls_server().await;
    let config = config_with_gateways(vec![&format!("wss://{addr}/gateway")]);
    let (tx, mut states) = mpsc::unbounded_channel();
    let _supervisor = SupervisorHandle::spawn(
        &config,
        TokenSource::fixed(AccessToken::new("never-sent")),
        ConnectionSettings::default(),
        Arc::new(Recorder(tx)),
    )
    .unwrap();
    let why = tokio::time::timeout(DEADLINE, async {
        loop {
            if let Some(ConnectionState::Waiting { why, .. }) = states.recv().await {
                return why;
            }
        }
    })
    .await
    .expect("the attempt fails");
    assert!(why.contains("did not prove its identity"), "{why}");
}

#[tokio::test]
async fn unencrypted_gateways_off_this_computer_are_never_used() {
    let config = config_with_gateways(vec!["ws://192.0.2.10/gateway", "http://x/not-a-websocket"]);
    let (tx, _states) = mpsc::unbounded_channel();
    let err = SupervisorHandle::spawn(
        &config,
        TokenSource::fixed(AccessToken::new("never-sent")),
        ConnectionSettings::default(),
        Arc::new(Recorder(tx)),
    )
    .err()
    .expect("no usable endpoint");
    let text = err.to_string();
    assert!(text.contains("no usable endpoint"), "{text}");
    assert!(text.contains("gateway gw-0"), "{text}");
}

/// Everything every test in this binary logs, at debug level and above for all crates.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_env_filter("debug,outlast_core=trace,outlast_mock=trace")
            .with_ansi(false)
            .with_writer(move || SharedWriter(writer.clone()))
            .init();
        logs
    })
    .clone()
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Mock access tokens are `v1.<base64url JSON>.<signature>` (the JSON starts `{"`, i.e. `eyJ`);
/// refresh tokens are `r-` and 32 hex digits.
fn find_token(logs: &str) -> Option<&str> {
    if let Some(at) = logs.find("v1.eyJ") {
        return Some(&logs[at..(at + 40).min(logs.len())]);
    }
    let bytes = logs.as_bytes();
    (0..bytes.len().saturating_sub(34)).find_map(|i| {
        let candidate = &logs[i..i + 34];
        (candidate.starts_with("r-") && candidate[2..].bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(candidate)
    })
}

#[tokio::test]
async fn no_token_ever_reaches_the_logs() {
    let logs = captured_logs();
    let server = MockServer::start(MockConfig {
        reply_delay: Duration::from_millis(20),
        heartbeat_interval: Duration::from_secs(1),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let client = Client::new(ConnectionSettings {
        pong_timeout: Duration::from_millis(400),
        ..ConnectionSettings::default()
    });
    let mut events = client.subscribe();
    client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    // Sign in, send, fail over, and refresh the token: every path that handles a token.
    server.expire_access_tokens();
    server.set_fault("gw-a1", "refuse").unwrap();
    let id = client
        .send("c-team", "log check")
        .unwrap()
        .client_msg_id
        .unwrap();
    tokio::time::timeout(DEADLINE, async {
        loop {
            if let Ok(CoreEvent::MessageUpdated { message }) = events.recv().await {
                if message.client_msg_id.as_deref() == Some(id.as_str())
                    && message.state == MessageState::Sent
                {
                    return;
                }
            }
        }
    })
    .await
    .expect("sent after a refresh");
    client.open_chat("c-team").await.unwrap();
    client.logout();

    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        text.contains("access token refreshed"),
        "the refresh path ran and logged"
    );
    assert!(text.len() > 1_000, "the logs were captured");
    assert_eq!(find_token(&text), None, "a token in the logs");
}

#[test]
fn the_token_finder_finds_tokens() {
    assert!(find_token("x token=v1.eyJzdWIiOiJ1LWRlbW8iLCJleHAiOjF9.abc").is_some());
    assert!(find_token("refresh r-0123456789abcdef0123456789abcdef ok").is_some());
    assert_eq!(find_token("r-demo user v1.other"), None);
}
