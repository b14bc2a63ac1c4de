//! Starting a chat, against the real mock backend: with people from the user's chats, listed at
//! once, usable at once, kept in the cache; during an outage it fails with a retryable error.

mod common;

use common::{copies_on_server, mock, state_of, wait_for, Profile};
use outlast_core::{CoreEvent, MessageState};
use outlast_mock::{DEMO_PASSWORD, DEMO_USERNAME};

#[tokio::test]
async fn a_new_chat_with_people_from_other_chats_is_listed_usable_and_kept() {
    let server = mock().await;
    let profile = Profile::new("new-chat");
    let client = profile.client();
    let mut events = client.subscribe();
    client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    let people = client.people().unwrap();
    let names: Vec<&str> = people.iter().map(|p| p.display_name.as_str()).collect();
    assert!(
        names.contains(&"Jun Park") && names.contains(&"Minji Kim"),
        "{names:?}"
    );
    assert!(people.iter().all(|p| p.user_id != "u-demo"), "not the user");

    assert!(client.create_chat("  ", &["u-jun".into()]).await.is_err());
    assert!(client.create_chat("Lunch", &[]).await.is_err());
    let chat = client
        .create_chat("Lunch crew", &["u-jun".into(), "u-minji".into()])
        .await
        .unwrap();
    assert_eq!(chat.title, "Lunch crew");
    wait_for(
        &mut events,
        "the new chat listed",
        |e| matches!(e, CoreEvent::ChatUpdated { chat: c } if c.chat_id == chat.chat_id),
    )
    .await;
    assert!(client
        .chats()
        .unwrap()
        .iter()
        .any(|c| c.chat_id == chat.chat_id));
    client
        .send(&chat.chat_id, "12:30 at the usual place?")
        .unwrap();
    state_of(&mut events, "12:30 at the usual place?", MessageState::Sent).await;
    assert_eq!(
        copies_on_server(&server, &chat.chat_id, "12:30 at the usual place?"),
        1
    );

    // During an outage: a clear, retryable error.
    server.set_fault("service:api", "refuse").unwrap();
    let err = client
        .create_chat("Later", &["u-jun".into()])
        .await
        .unwrap_err();
    assert!(err.retryable(), "{err}");

    // Kept in the cache: there after a restart from it.
    server.set_fault("all", "refuse").unwrap();
    client.logout();
    drop(client);
    let again = profile.client();
    again
        .resume()
        .await
        .unwrap()
        .expect("restored from the cache");
    assert!(again
        .chats()
        .unwrap()
        .iter()
        .any(|c| c.title == "Lunch crew"));
}
