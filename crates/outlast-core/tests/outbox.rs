//! The outbox and catch-up as a user meets them, with the real mock backend and a real profile
//! folder: a message the server refuses for good holds its chat (later messages wait, other
//! chats flow), is still shown failed with its reason after a restart, and the user retries or
//! deletes it; a long catch-up reports its progress.

use std::path::PathBuf;
use std::time::Duration;

use outlast_core::{
    Client, ClientOptions, ConnectionSettings, CoreEvent, MessageState, RetryPolicy,
};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use tokio::sync::broadcast;

const DEADLINE: Duration = Duration::from_secs(15);

struct Profile(PathBuf);

impl Profile {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("outlast-outbox-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Profile(dir)
    }

    async fn signed_in(&self, server: &MockServer) -> (Client, broadcast::Receiver<CoreEvent>) {
        let client = Client::with_options(ClientOptions {
            connection: ConnectionSettings {
                retry: Some(RetryPolicy::outlast(
                    Duration::from_millis(50),
                    Duration::from_millis(300),
                )),
                ..ConnectionSettings::default()
            },
            data_dir: Some(self.0.clone()),
            ..ClientOptions::default()
        });
        let events = client.subscribe();
        client
            .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
            .await
            .unwrap();
        (client, events)
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
        replay_limit: 10_000,
        ..MockConfig::default()
    })
    .await
    .unwrap()
}

async fn state_of(
    events: &mut broadcast::Receiver<CoreEvent>,
    body: &str,
    state: MessageState,
) -> Option<String> {
    tokio::time::timeout(DEADLINE, async {
        loop {
            match events.recv().await {
                Ok(CoreEvent::MessageUpdated { message })
                    if message.body == body && message.state == state =>
                {
                    return message.failure;
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("events closed"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{body:?} never became {state:?}"))
}

async fn copies_on_server(server: &MockServer, chat: &str, body: &str) -> usize {
    let reader = Client::default();
    reader
        .login(server.discovery_url(), "tester", DEMO_PASSWORD)
        .await
        .unwrap();
    let history = reader.open_chat(chat).await.unwrap();
    reader.logout();
    history.iter().filter(|m| m.body == body).count()
}

#[tokio::test]
async fn a_refused_message_holds_its_chat_survives_a_restart_and_can_be_retried_or_deleted() {
    let server = mock().await;
    server.refuse_content("forbidden");
    let profile = Profile::new("refused");
    let (client, mut events) = profile.signed_in(&server).await;

    let refused = client.send("c-team", "a forbidden word").unwrap();
    let reason = state_of(&mut events, "a forbidden word", MessageState::Failed).await;
    assert!(reason.unwrap().contains("does not accept"));
    // Written after the failure: waits behind it. Another chat keeps flowing.
    let held = client.send("c-team", "written after the failure").unwrap();
    assert_eq!(held.state, MessageState::Pending);
    client.send("c-jun", "meanwhile in another chat").unwrap();
    state_of(&mut events, "meanwhile in another chat", MessageState::Sent).await;
    assert_eq!(
        copies_on_server(&server, "c-team", "written after the failure").await,
        0
    );

    // A restart: the failed message is still there, failed with its reason; the held one waits.
    client.logout();
    drop(client);
    let (client, mut events) = profile.signed_in(&server).await;
    let team = client.open_chat("c-team").await.unwrap();
    let failed = team
        .iter()
        .find(|m| m.body == "a forbidden word")
        .expect("still shown");
    assert_eq!(failed.state, MessageState::Failed);
    assert!(failed
        .failure
        .as_deref()
        .unwrap()
        .contains("does not accept"));
    let waiting = team
        .iter()
        .find(|m| m.body == "written after the failure")
        .expect("still shown");
    assert_eq!(waiting.state, MessageState::Pending);

    // Retrying sends the same message again (refused again, by this server's policy)...
    let id = refused.client_msg_id.clone().unwrap();
    client.retry(&id).unwrap();
    state_of(&mut events, "a forbidden word", MessageState::Failed).await;
    assert_eq!(client.retry_all(Some("c-jun")).unwrap(), 0);
    // ...and deleting it lets the held message go, once.
    client.delete_unsent(&id).unwrap();
    state_of(&mut events, "written after the failure", MessageState::Sent).await;
    assert_eq!(
        copies_on_server(&server, "c-team", "written after the failure").await,
        1
    );
    let team = client.open_chat("c-team").await.unwrap();
    assert!(team.iter().all(|m| m.body != "a forbidden word"));
    assert_eq!(
        client.delete_unsent(&id).unwrap_err().code(),
        "invalid_input"
    );
}

#[tokio::test]
async fn a_long_catch_up_reports_its_progress() {
    let server = mock().await;
    let profile = Profile::new("progress");
    let (client, _) = profile.signed_in(&server).await;
    client.logout();
    drop(client);

    // 1,200 messages while away: three pages of catch-up.
    let tester = Client::default();
    let mut tester_events = tester.subscribe();
    tester
        .login(server.discovery_url(), "tester", DEMO_PASSWORD)
        .await
        .unwrap();
    for n in 0..1_200 {
        tester.send("c-team", &format!("missed {n}")).unwrap();
    }
    state_of(&mut tester_events, "missed 1199", MessageState::Sent).await;
    tester.logout();

    let (client, mut events) = profile.signed_in(&server).await;
    let mut seen = Vec::new();
    tokio::time::timeout(DEADLINE, async {
        loop {
            if let Ok(CoreEvent::SyncProgress { done, total }) = events.recv().await {
                seen.push((done, total));
                if done == total {
                    return;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the catch-up never finished: {seen:?}"));
    let total = seen[0].1;
    assert!(total >= 1_200, "{seen:?}");
    assert!(seen.len() >= 3, "one report per page: {seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "progress only grows: {seen:?}"
    );
    assert!(seen.iter().all(|(_, t)| *t == total));
    assert_eq!(client.search("missed 1199").unwrap().len(), 1);
}
