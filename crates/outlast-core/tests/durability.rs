//! The local database under the client, with the real mock backend: what was written survives a
//! restart and is delivered once; what was read stays readable when the server cannot be asked;
//! search works from the cache.

mod common;

use common::{copies_on_server, mock, state_of, Profile};
use outlast_core::MessageState;
use outlast_mock::{DEMO_PASSWORD, DEMO_USERNAME};

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
    state_of(
        &mut events,
        "written before the restart",
        MessageState::Sent,
    )
    .await;
    assert_eq!(
        copies_on_server(&server, "c-team", "written before the restart"),
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
    state_of(&mut events, "and one more", MessageState::Sent).await;
    assert_eq!(
        copies_on_server(&server, "c-team", "written before the restart"),
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
    // Within one chat, offline too: the hit is Jun's chat's, and no other chat has it.
    let inside = second.search_in("outage rep", Some("c-jun")).unwrap();
    assert_eq!(inside.len(), 1);
    assert_eq!(inside[0].message.chat_id, "c-jun");
    assert!(second
        .search_in("outage rep", Some("c-team"))
        .unwrap()
        .is_empty());
    assert_eq!(
        second
            .search_in("outage", Some("c-nowhere"))
            .unwrap_err()
            .code(),
        "unknown_chat"
    );
}

#[tokio::test]
async fn pinned_and_muted_chats_stay_so_after_a_restart_even_offline() {
    let server = mock().await;
    let profile = Profile::new("pin-mute");
    let (first, _) = common::signed_in(&profile, &server).await;
    let before = first.chats().unwrap();
    let last = before.last().unwrap().chat_id.clone();
    let pinned = first.set_pinned(&last, true).unwrap();
    assert!(pinned.pinned);
    assert_eq!(
        first.chats().unwrap()[0].chat_id,
        last,
        "a pinned chat comes first"
    );
    assert!(first.set_muted(&last, true).unwrap().muted);
    assert!(matches!(
        first.set_pinned("c-nowhere", true),
        Err(outlast_core::CoreError::UnknownChat(_))
    ));
    first.logout();

    // Online again: the server knows nothing of pins; this computer does.
    let (second, _) = common::signed_in(&profile, &server).await;
    let listed = second.chats().unwrap();
    assert_eq!(listed[0].chat_id, last);
    assert!(listed[0].pinned && listed[0].muted);
    second.logout();

    // From the cache during an outage too.
    server.set_fault("service:api", "refuse").unwrap();
    let third = profile.client();
    third.resume().await.unwrap().expect("a session to restore");
    let cached = third.chats().unwrap();
    assert_eq!(cached[0].chat_id, last);
    assert!(cached[0].pinned);
}
