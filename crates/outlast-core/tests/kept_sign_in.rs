//! A sign-in is kept, restored and ended the same way on any server behind the `Server` seam:
//! here the in-memory server, through a whole client with a profile folder and a vault (protocol
//! v1's own cases are in `session_restore.rs`).

mod common;

use std::sync::Arc;

use common::{Profile, DEADLINE};
use outlast_core::backend::memory::MemoryServer;
use outlast_core::backend::Server;
use outlast_core::connection::ConnectionSink;
use outlast_core::domain::{Cursor, RemoteEvent};
use outlast_core::{
    AccountKey, Client, ConnectionState, CoreError, CoreEvent, RememberedAccount, Service,
    ServiceState,
};
use tokio::sync::broadcast;

const PASSWORD: &str = "alice's password";

/// Alice (who may sign in with a password), Bob, and their chat.
fn world() -> (MemoryServer, String) {
    let server = MemoryServer::new();
    server.add_user("u-alice", "Alice");
    server.add_user("u-bob", "Bob");
    server.set_password("u-alice", PASSWORD);
    let chat = server
        .add_chat("Alice and Bob", &["u-alice", "u-bob"])
        .unwrap();
    (server, chat.chat_id)
}

fn alice_key(server: &MemoryServer) -> AccountKey {
    AccountKey {
        server: server.address().to_owned(),
        user_id: "u-alice".into(),
    }
}

/// Another device that shares Alice's kept sign-in signs out: the server forgets the secret.
async fn signed_out_elsewhere(server: &MemoryServer, profile: &Profile) {
    let secret = profile
        .vault
        .0
        .load(&alice_key(server))
        .unwrap()
        .expect("kept");
    let account = RememberedAccount {
        server: server.address().to_owned(),
        protocol: server.protocol().to_owned(),
        username: "u-alice".into(),
        user_id: "u-alice".into(),
        display_name: "Alice".into(),
    };
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let elsewhere = server
        .resume(&account, secret, deadline, Arc::new(Unheard))
        .await
        .unwrap();
    elsewhere.backend.sign_out().await.unwrap();
}

/// Wait (with a deadline) until `client` shows `body` in `chat_id`, checking after each change.
async fn shows(client: &Client, chat_id: &str, body: &str) {
    let mut events = client.subscribe();
    tokio::time::timeout(DEADLINE, async {
        loop {
            let messages = client.open_chat(chat_id).await.unwrap_or_default();
            if messages.iter().any(|m| m.body == body) {
                return;
            }
            if let Err(broadcast::error::RecvError::Closed) = events.recv().await {
                panic!("events closed");
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {body:?} in the chat"));
}

#[tokio::test]
async fn a_sign_in_is_kept_restored_through_an_outage_and_ended_by_signing_out() {
    let (server, chat_id) = world();
    let profile = Profile::new("kept-sign-in-memory");

    let first = profile.client();
    assert!(matches!(
        first.sign_in_to(&server, "u-alice", "not it").await,
        Err(CoreError::BadCredentials)
    ));
    let info = first
        .sign_in_to(&server, "u-alice", PASSWORD)
        .await
        .unwrap();
    assert_eq!(info.user.user_id, "u-alice");
    assert!(info.remembered, "the sign-in is kept for the next start");
    assert!(profile.vault.0.load(&alice_key(&server)).unwrap().is_some());
    server
        .post("u-bob", &chat_id, "before the restart")
        .unwrap();
    shows(&first, &chat_id, "before the restart").await;
    // The process ends without signing out.
    first.logout();
    drop(first);

    // The next start, while the server's API is down: the cache opens, no password asked.
    server.set_down(Service::Api, true);
    let second = profile.client();
    // The account is kept with its kind of server: a start that knows only protocol v1 servers
    // leaves it alone, and one given this server restores it.
    assert_eq!(second.remembered_account().unwrap().protocol, "memory");
    assert!(second.resume().await.unwrap().is_none());
    let info = second
        .resume_on(&server)
        .await
        .unwrap()
        .expect("the kept sign-in is restored");
    assert_eq!(info.user.user_id, "u-alice");
    assert!(info.from_cache, "the server could not be asked");
    shows(&second, &chat_id, "before the restart").await;
    // The server returns: what was missed arrives on the live connection.
    server.set_down(Service::Api, false);
    server.post("u-bob", &chat_id, "after the outage").unwrap();
    shows(&second, &chat_id, "after the outage").await;

    second.sign_out().await.unwrap();
    assert_eq!(second.connection_state(), ConnectionState::SignedOut);
    assert!(profile.vault.0.load(&alice_key(&server)).unwrap().is_none());
    assert!(second.remembered_account().is_none());
    let third = profile.client();
    assert!(third.resume_on(&server).await.unwrap().is_none());
}

#[tokio::test]
async fn a_sign_in_the_server_ended_asks_for_the_password_and_drops_the_secret() {
    let (server, _) = world();
    let profile = Profile::new("ended-sign-in-memory");
    let first = profile.client();
    first
        .sign_in_to(&server, "u-alice", PASSWORD)
        .await
        .unwrap();
    first.logout();
    // Another device ends this sign-in at the server (as "sign out everywhere" would).
    signed_out_elsewhere(&server, &profile).await;

    let second = profile.client();
    match second.resume_on(&server).await {
        Err(err @ CoreError::SignInAgain(_)) => assert!(!err.retryable()),
        other => panic!("expected sign in again, got {:?}", other.map(|_| ())),
    }
    assert!(
        profile.vault.0.load(&alice_key(&server)).unwrap().is_none(),
        "a secret the server refuses is not kept"
    );
    // The password still works, and that sign-in is kept again.
    let info = second
        .sign_in_to(&server, "u-alice", PASSWORD)
        .await
        .unwrap();
    assert!(info.remembered);
}

#[tokio::test]
async fn a_sign_in_ended_elsewhere_during_the_session_asks_for_the_password_and_keeps_the_cache() {
    let (server, chat_id) = world();
    let profile = Profile::new("ended-in-session-memory");
    let client = profile.client();
    client
        .sign_in_to(&server, "u-alice", PASSWORD)
        .await
        .unwrap();
    server.post("u-bob", &chat_id, "read before").unwrap();
    shows(&client, &chat_id, "read before").await;
    let mut events = client.subscribe();
    // Signed out on another device that shares this sign-in.
    signed_out_elsewhere(&server, &profile).await;
    // The next request finds out.
    client
        .create_chat("Plans", &["u-bob".into()])
        .await
        .unwrap();
    tokio::time::timeout(DEADLINE, async {
        loop {
            match events.recv().await {
                Ok(CoreEvent::SignInRequired { .. }) => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("events closed"),
            }
        }
    })
    .await
    .expect("asked to sign in again");
    // Nothing local is gone: the chat is still readable.
    assert!(client.session_info().is_some());
    shows(&client, &chat_id, "read before").await;
}

/// A sink for a sign-in made outside any client.
struct Unheard;

impl ConnectionSink for Unheard {
    fn cursor(&self) -> Option<Cursor> {
        None
    }
    fn apply_event(&self, _: Cursor, _: RemoteEvent) {}
    fn acked(&self, _: &str, _: String, _: Cursor) {}
    fn refused(&self, _: &str, _: String) {}
    fn gap(&self, _: Cursor, _: Cursor) {}
    fn connection(&self, _: ConnectionState) {}
    fn service(&self, _: &str, _: ServiceState, _: Option<String>) {}
}
