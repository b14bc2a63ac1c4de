//! Kept sign-ins, with the real mock backend and a real profile folder: a restart restores the
//! session without the password and catches up what was missed; an auth outage at start opens
//! the cache instead of the sign-in screen, and so does a server that takes no calls, within the
//! start's patience; sign-out forgets the token on the server and here.
//! (The OS keyring itself is tested in `outlast-desktop` against a real Secret Service.)

mod common;

use common::{mock, wait_for, Profile};
use outlast_core::{Client, ConnectionSettings, CoreEvent, MessageState};
use outlast_mock::{MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use tokio::sync::broadcast;

async fn tester_says(server: &MockServer, body: &str) {
    let tester = Client::default();
    let mut events = tester.subscribe();
    tester
        .login(server.discovery_url(), "tester", DEMO_PASSWORD)
        .await
        .unwrap();
    tester.send("c-team", body).unwrap();
    wait_for(&mut events, "the tester's message sent", |e| {
        matches!(e, CoreEvent::MessageUpdated { message } if message.body == body && message.state == MessageState::Sent)
    })
    .await;
    tester.logout();
}

async fn refresh_status(server: &MockServer, token: &str) -> u16 {
    let auth = server.url_of("auth").unwrap();
    reqwest::Client::new()
        .post(format!("{}/v1/refresh", auth.trim_end_matches('/')))
        .json(&serde_json::json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_restart_restores_the_session_without_the_password_and_catches_up() {
    let server = mock().await;
    let profile = Profile::new("restart");
    let first = profile.client();
    let info = first
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    assert!(info.remembered && info.not_remembered_because.is_none());
    let key = info.account_key();
    assert!(profile.vault.0.load(&key).unwrap().is_some());
    // Quit. Meanwhile someone writes.
    first.logout();
    drop(first);
    tester_says(&server, "while you were away").await;
    tester_says(&server, "and this too").await;

    let second = profile.client();
    let remembered = second.remembered_account().unwrap();
    assert_eq!(remembered.username, DEMO_USERNAME);
    let mut events = second.subscribe();
    let restored = second
        .resume()
        .await
        .unwrap()
        .expect("a session to restore");
    assert_eq!(restored.user, info.user);
    assert!(!restored.from_cache);
    // The chat list brings the last message; the catch-up brings the earlier one, as a new
    // message (so it notifies) and into the cache.
    wait_for(&mut events, "the message missed while away", |e| {
        matches!(e, CoreEvent::MessageAdded { message } if message.body == "while you were away")
    })
    .await;
    assert_eq!(second.search("while you were away").unwrap().len(), 1);
}

/// A profile signed in once and quit, with a chat's history in its cache.
async fn signed_in_once(server: &MockServer, profile: &Profile) {
    let first = profile.client();
    first
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    let seen = first.open_chat("c-jun").await.unwrap();
    assert!(seen.len() >= 3);
    first.logout();
}

#[tokio::test]
async fn an_account_kept_by_an_earlier_version_is_restored_on_protocol_v1() {
    let server = mock().await;
    let profile = Profile::new("earlier-account-file");
    signed_in_once(&server, &profile).await;
    // The account file says which kind of server it is on; earlier versions wrote no kind,
    // when protocol v1 was the only one.
    let file = profile.dir.join("account.json");
    let mut account: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(account["protocol"], outlast_core::backend::PROTOCOL_V1);
    account.as_object_mut().unwrap().remove("protocol");
    std::fs::write(&file, serde_json::to_vec(&account).unwrap()).unwrap();

    let client = profile.client();
    let restored = client
        .resume()
        .await
        .unwrap()
        .expect("a session to restore");
    assert!(!restored.from_cache);
    let chats = client.chats().unwrap();
    assert!(chats.iter().any(|c| c.chat_id == "c-jun"), "{chats:?}");
}

/// What a user of a session started from the cache relies on: the chats and their history are
/// there, and a message written now waits to be sent.
async fn the_cache_serves(client: &Client, written: &str) {
    let chats = client.chats().unwrap();
    assert!(chats.iter().any(|c| c.chat_id == "c-jun"), "{chats:?}");
    let cached = client.open_chat("c-jun").await.unwrap();
    assert!(
        cached
            .iter()
            .any(|m| m.body == "Did you see the outage report?"),
        "{cached:?}"
    );
    let pending = client.send("c-team", written).unwrap();
    assert_eq!(pending.state, MessageState::Pending);
}

async fn delivered(events: &mut broadcast::Receiver<CoreEvent>, body: &str) {
    wait_for(events, "the queued message delivered", |e| {
        matches!(e, CoreEvent::MessageUpdated { message } if message.body == body && message.state == MessageState::Sent)
    })
    .await;
}

#[tokio::test]
async fn an_auth_outage_at_start_opens_the_cache_and_connects_when_auth_returns() {
    let server = mock().await;
    let profile = Profile::new("auth-down");
    signed_in_once(&server, &profile).await;

    server.set_fault("service:auth", "refuse").unwrap();
    let second = profile.client();
    let mut events = second.subscribe();
    let info = second
        .resume()
        .await
        .unwrap()
        .expect("signed in from the cache, not signed out");
    assert!(info.from_cache);
    the_cache_serves(&second, "written during the auth outage").await;

    server.set_fault("service:auth", "up").unwrap();
    second.reconnect_now().unwrap();
    delivered(&mut events, "written during the auth outage").await;
}

#[tokio::test]
async fn a_server_that_takes_no_calls_at_start_opens_the_cache_without_waiting_out_timeouts() {
    let server = mock().await;
    let profile = Profile::new("black-hole-start");
    signed_in_once(&server, &profile).await;

    // Every service accepts connections and never answers (a data centre that went silent).
    let services = ["discovery", "auth", "api", "gateway"];
    for service in services {
        server
            .set_fault(&format!("service:{service}"), "blackhole")
            .unwrap();
    }
    let second = profile.client();
    let mut events = second.subscribe();
    let started = std::time::Instant::now();
    let info = second
        .resume()
        .await
        .unwrap()
        .expect("signed in from the cache, not signed out");
    let waited = started.elapsed();
    // Each step alone would wait a request timeout (15 s) without the start's patience (3 s).
    assert!(
        waited < ConnectionSettings::default().request_timeout,
        "the start waited {waited:?} for a silent server"
    );
    assert!(info.from_cache);
    the_cache_serves(&second, "written while the server was silent").await;

    // The server answers again: what did not answer at start carries on by itself.
    for service in services {
        server
            .set_fault(&format!("service:{service}"), "up")
            .unwrap();
    }
    second.reconnect_now().unwrap();
    delivered(&mut events, "written while the server was silent").await;
}

#[tokio::test]
async fn sign_out_forgets_the_token_on_the_server_and_here() {
    let server = mock().await;
    let profile = Profile::new("sign-out");
    let client = profile.client();
    let info = client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    let key = info.account_key();
    let token = profile.vault.0.load(&key).unwrap().unwrap();
    assert_eq!(refresh_status(&server, token.expose()).await, 200);

    client.sign_out().await.unwrap();
    assert!(client.session_info().is_none());
    assert_eq!(profile.vault.0.load(&key).unwrap(), None);
    assert!(client.remembered_account().is_none());
    assert_eq!(refresh_status(&server, token.expose()).await, 401);
    assert!(profile.client().resume().await.unwrap().is_none());
}

#[tokio::test]
async fn a_sign_in_the_server_ended_asks_for_the_password_and_drops_the_token() {
    let server = mock().await;
    let profile = Profile::new("revoked");
    let first = profile.client();
    let info = first
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    let key = info.account_key();
    first.logout();
    // Ended elsewhere (another device signed out, an admin revoked it).
    let token = profile.vault.0.load(&key).unwrap().unwrap();
    let auth = server.url_of("auth").unwrap();
    reqwest::Client::new()
        .post(format!("{}/v1/logout", auth.trim_end_matches('/')))
        .json(&serde_json::json!({ "refresh_token": token.expose() }))
        .send()
        .await
        .unwrap();

    let second = profile.client();
    let err = second.resume().await.unwrap_err();
    assert_eq!(err.code(), "sign_in_required", "{err}");
    assert_eq!(profile.vault.0.load(&key).unwrap(), None);
    // The form can still be filled in.
    assert_eq!(second.remembered_account().unwrap().username, DEMO_USERNAME);
}
