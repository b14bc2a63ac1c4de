//! What the store and session tests share: a profile folder that outlives a "process" (a
//! `Client`), the mock backend as they configure it, and waits with a deadline.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use outlast_core::{
    Client, ClientOptions, ConnectionSettings, CoreEvent, MemoryVault, MessageState, RetryPolicy,
    Vault,
};
use outlast_mock::{MockConfig, MockServer};
use tokio::sync::broadcast;

pub const DEADLINE: Duration = Duration::from_secs(15);

/// A profile folder and a keyring stand-in: all that survives a restart.
pub struct Profile {
    pub dir: PathBuf,
    pub vault: Vault,
}

impl Profile {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("outlast-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Profile {
            dir,
            vault: Vault::new(MemoryVault::default()),
        }
    }

    /// A fresh process: only the folder and the vault carry over.
    pub fn client(&self) -> Client {
        Client::with_options(ClientOptions {
            connection: ConnectionSettings {
                connect_timeout: Duration::from_secs(1),
                retry: Some(RetryPolicy::outlast(
                    Duration::from_millis(50),
                    Duration::from_millis(300),
                )),
                ..ConnectionSettings::default()
            },
            data_dir: Some(self.dir.clone()),
            builtin_endpoints: None,
            vault: Some(self.vault.clone()),
        })
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The mock backend with quiet peers and a long replay log.
pub async fn mock() -> MockServer {
    MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        replay_limit: 10_000,
        ..MockConfig::default()
    })
    .await
    .unwrap()
}

/// Wait for the first event `found` accepts.
pub async fn wait_for(
    events: &mut broadcast::Receiver<CoreEvent>,
    what: &str,
    mut found: impl FnMut(&CoreEvent) -> bool,
) {
    tokio::time::timeout(DEADLINE, async {
        loop {
            match events.recv().await {
                Ok(event) if found(&event) => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("events closed"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never saw {what}"));
}

/// Wait until the message `body` is in `state`; its failure reason, if any.
pub async fn state_of(
    events: &mut broadcast::Receiver<CoreEvent>,
    body: &str,
    state: MessageState,
) -> Option<String> {
    let mut failure = None;
    wait_for(events, &format!("{body:?} {state:?}"), |e| match e {
        CoreEvent::MessageUpdated { message } if message.body == body && message.state == state => {
            failure = message.failure.clone();
            true
        }
        _ => false,
    })
    .await;
    failure
}

/// How many times the server stored `body` in `chat`.
pub fn copies_on_server(server: &MockServer, chat: &str, body: &str) -> usize {
    server
        .chat_bodies(chat)
        .iter()
        .filter(|b| b.as_str() == body)
        .count()
}

/// `user` (a demo account) writes `bodies` into `chat` from a client of their own, and waits
/// until the server has stored the last one.
pub async fn write_as(server: &MockServer, user: &str, chat: &str, bodies: &[String]) {
    let other = Client::default();
    let mut events = other.subscribe();
    other
        .login(server.discovery_url(), user, outlast_mock::DEMO_PASSWORD)
        .await
        .unwrap();
    for body in bodies {
        other.send(chat, body).unwrap();
    }
    let last = bodies.last().expect("something to write").clone();
    state_of(&mut events, &last, MessageState::Sent).await;
    other.logout();
}

/// Sign in as the demo user with a fresh client of `profile`, subscribed from the start.
pub async fn signed_in(
    profile: &Profile,
    server: &MockServer,
) -> (Client, broadcast::Receiver<CoreEvent>) {
    let client = profile.client();
    let events = client.subscribe();
    client
        .login(
            server.discovery_url(),
            outlast_mock::DEMO_USERNAME,
            outlast_mock::DEMO_PASSWORD,
        )
        .await
        .unwrap();
    (client, events)
}

/// Sign `user` in to the in-memory `server` with `client` (no profile folder), reporting to it.
pub async fn sign_in_memory(
    client: &Client,
    server: &outlast_core::backend::memory::MemoryServer,
    user: outlast_core::Profile,
) {
    let backend = server.clone();
    let user_id = user.user_id.clone();
    client
        .sign_in_with("memory", user, move |sink| {
            Ok(
                std::sync::Arc::new(backend.backend_for(&user_id)?.reporting_to(sink))
                    as std::sync::Arc<dyn outlast_core::backend::Backend>,
            )
        })
        .await
        .unwrap();
}

/// Me and Jun on an in-memory server, with their chat: Jun posts `before` (their ids are
/// returned), then a client without a profile folder signs Me in. Its events are subscribed
/// before the sign-in.
pub struct MemoryPair {
    pub server: outlast_core::backend::memory::MemoryServer,
    pub client: Client,
    pub events: broadcast::Receiver<CoreEvent>,
    pub chat: String,
    pub posted: Vec<String>,
}

pub async fn memory_pair(before: &[&str]) -> MemoryPair {
    let server = outlast_core::backend::memory::MemoryServer::new();
    let me = server.add_user("u-me", "Me");
    server.add_user("u-jun", "Jun");
    let chat = server.add_chat("Pair", &["u-me", "u-jun"]).unwrap().chat_id;
    let posted = before
        .iter()
        .map(|body| server.post("u-jun", &chat, body).unwrap())
        .collect();
    let client = Client::default();
    let events = client.subscribe();
    sign_in_memory(&client, &server, me).await;
    MemoryPair {
        server,
        client,
        events,
        chat,
        posted,
    }
}

/// The in-memory server's gateway goes down and comes back: wait until the client has seen both.
pub async fn gateway_blinks(
    server: &outlast_core::backend::memory::MemoryServer,
    events: &mut broadcast::Receiver<CoreEvent>,
) {
    use outlast_core::{ConnectionState, Service};
    server.set_down(Service::Gateway, true);
    wait_for(events, "the connection lost", |e| {
        matches!(e, CoreEvent::ConnectionChanged { state } if !matches!(state, ConnectionState::Connected { .. }))
    })
    .await;
    server.set_down(Service::Gateway, false);
    wait_for(events, "the connection back", |e| {
        matches!(
            e,
            CoreEvent::ConnectionChanged {
                state: ConnectionState::Connected { .. }
            }
        )
    })
    .await;
}
