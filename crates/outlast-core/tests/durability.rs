//! The local database under the client, with the real mock backend: what was written survives a
//! restart and is delivered once; what was read stays readable when the server cannot be asked;
//! search works from the cache.

use std::path::PathBuf;
use std::time::Duration;

use outlast_core::{
    Client, ClientOptions, ConnectionSettings, CoreEvent, MessageState, RetryPolicy,
};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use tokio::sync::broadcast;

const DEADLINE: Duration = Duration::from_secs(10);

struct Profile(PathBuf);

impl Profile {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("outlast-durability-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Profile(dir)
    }

    fn client(&self) -> Client {
        Client::with_options(ClientOptions {
            connection: ConnectionSettings {
                connect_timeout: Duration::from_secs(1),
                retry: Some(RetryPolicy::outlast(
                    Duration::from_millis(50),
                    Duration::from_millis(300),
                )),
                ..ConnectionSettings::default()
            },
            data_dir: Some(self.0.clone()),
            builtin_endpoints: None,
            vault: None,
        })
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn mock() -> MockServer {
    MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        ..MockConfig::default()
    })
    .await
    .unwrap()
}

async fn sent(events: &mut broadcast::Receiver<CoreEvent>, body: &str) {
    tokio::time::timeout(DEADLINE, async {
        loop {
            if let Ok(CoreEvent::MessageUpdated { message }) = events.recv().await {
                if message.body == body && message.state == MessageState::Sent {
                    return;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{body:?} was never sent"));
}

async fn copies_on_server(server: &MockServer, body: &str) -> usize {
    let other = Client::default();
    other
        .login(server.discovery_url(), "tester", DEMO_PASSWORD)
        .await
        .unwrap();
    let history = other.open_chat("c-team").await.unwrap();
    history.iter().filter(|m| m.body == body).count()
}

#[tokio::test]
async fn an_unsent_message_survives_a_restart_and_is_delivered_once() {
    let server = mock().await;
    let profile = Profile::new("restart");
    let first = profile.client();
    first
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    // Nothing can carry it: every gateway and the API are down.
    server.set_fault("service:gateway", "refuse").unwrap();
    server.set_fault("service:api", "refuse").unwrap();
    let pending = first.send("c-team", "written before the restart").unwrap();
    assert_eq!(pending.state, MessageState::Pending);
    // Quit (the in-memory queue is gone with the process; only the database remains).
    first.logout();
    drop(first);

    server.set_fault("all", "up").unwrap();
    let second = profile.client();
    let mut events = second.subscribe();
    second
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    sent(&mut events, "written before the restart").await;
    assert_eq!(
        copies_on_server(&server, "written before the restart").await,
        1
    );

    // Nothing is left to send on the next start.
    second.logout();
    let third = profile.client();
    let mut events = third.subscribe();
    third
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    let id = third.send("c-team", "and one more").unwrap();
    assert_eq!(id.state, MessageState::Pending);
    sent(&mut events, "and one more").await;
    assert_eq!(
        copies_on_server(&server, "written before the restart").await,
        1
    );
}

#[tokio::test]
async fn read_chats_stay_readable_and_searchable_when_the_server_cannot_be_asked() {
    let server = mock().await;
    let profile = Profile::new("offline-read");
    let first = profile.client();
    first
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    let history = first.open_chat("c-jun").await.unwrap();
    assert!(history.len() >= 3);
    first.logout();

    // A later start: sign-in works, then the API goes down before the chat is opened.
    let second = profile.client();
    second
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    server.set_fault("service:api", "refuse").unwrap();
    let cached = second.open_chat("c-jun").await.unwrap();
    let bodies: Vec<&str> = cached.iter().map(|m| m.body.as_str()).collect();
    assert!(
        bodies.contains(&"Did you see the outage report?"),
        "read from the cache: {bodies:?}"
    );
    let hits = second.search("outage rep").unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].message.body, "Did you see the outage report?");
    assert!(hits[0].highlighted.contains("\u{2}outage\u{3}"));
    assert_eq!(
        second.search(&"x".repeat(201)).unwrap_err().code(),
        "invalid_input"
    );
}
