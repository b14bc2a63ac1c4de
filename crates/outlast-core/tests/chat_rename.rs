//! Renaming a group, against the real mock backend: an operation in the queue like a message.
//! Shown at once and kept; every member hears the new name; during an API outage renames wait
//! (through a restart too) and the last name is the one the server keeps (that renames made
//! before one goes send only the last is the queue's rule, tested in `ops/tests.rs`); a chat with
//! one person cannot be renamed, and bad names get clear errors.

mod common;

use common::{signed_in, wait_for, Profile};
use outlast_core::{Client, CoreEvent};
use outlast_mock::{MockServer, DEMO_PASSWORD};

/// Tester's view of the team chat's name, once it is `title`.
async fn tester_sees(server: &MockServer, title: &str) {
    let tester = Client::default();
    let mut events = tester.subscribe();
    tester
        .login(server.discovery_url(), "tester", DEMO_PASSWORD)
        .await
        .unwrap();
    if tester.chat("c-team").map(|c| c.title) != Some(title.to_owned()) {
        wait_for(&mut events, "the new name", |e| {
            matches!(e, CoreEvent::ChatUpdated { chat } if chat.chat_id == "c-team" && chat.title == title)
        })
        .await;
    }
    tester.logout();
}

#[tokio::test]
async fn a_group_is_renamed_for_everyone_and_offline_renames_survive_a_restart_and_the_last_wins() {
    let server = common::mock().await;
    let profile = Profile::new("rename-chat");
    let (client, _events) = signed_in(&profile, &server).await;

    // Bad names and the wrong kind of chat: clear errors, nothing changes.
    assert!(client.rename_chat("c-team", "   ").is_err());
    assert!(client.rename_chat("c-team", &"x".repeat(101)).is_err());
    assert!(
        client.rename_chat("c-jun", "Best friend").is_err(),
        "a chat with one person"
    );
    assert!(client.rename_chat("c-nope", "Anything").is_err());

    let renamed = client.rename_chat("c-team", "Gateway drill").unwrap();
    assert_eq!(renamed.title, "Gateway drill", "shown at once");
    tester_sees(&server, "Gateway drill").await;

    // During an API outage: shown and kept at once, sent when the API is back: the last name,
    // after a restart too.
    server.set_fault("service:api", "refuse").unwrap();
    client.rename_chat("c-team", "Drill, take two").unwrap();
    client.rename_chat("c-team", "Drill (final)").unwrap();
    assert_eq!(client.chat("c-team").unwrap().title, "Drill (final)");
    client.logout();
    drop(client);
    let again = profile.client();
    let mut events_again = again.subscribe();
    again
        .resume()
        .await
        .unwrap()
        .expect("a session from the cache");
    assert_eq!(again.chat("c-team").unwrap().title, "Drill (final)");
    server.set_fault("service:api", "up").unwrap();
    tester_sees(&server, "Drill (final)").await;
    // This user's own view settles on it too (the server's chat update confirms it).
    if again.chat("c-team").map(|c| c.title) != Some("Drill (final)".into()) {
        wait_for(&mut events_again, "the confirmed name", |e| {
            matches!(e, CoreEvent::ChatUpdated { chat } if chat.chat_id == "c-team" && chat.title == "Drill (final)")
        })
        .await;
    }
}
