//! The outbox and catch-up as a user meets them, with the real mock backend and a real profile
//! folder: a message the server refuses for good holds its chat (later messages wait, other
//! chats flow), is still shown failed with its reason after a restart, and the user retries or
//! deletes it; a long catch-up reports its progress. One more, on the in-memory backend with
//! tokio's clock paused: a message the server answers "busy" waits in the queue for the
//! server's floor, even across a reconnection, holding its chat, and then goes once.

mod common;

use common::{copies_on_server, mock, signed_in, state_of, Profile, DEADLINE};
use outlast_core::{Client, CoreEvent, MessageState};
use outlast_mock::DEMO_PASSWORD;

#[tokio::test]
async fn a_refused_message_edited_goes_once_in_its_place_and_releases_its_chat() {
    let server = mock().await;
    server.refuse_content("forbidden");
    let profile = Profile::new("edited");
    let (client, mut events) = signed_in(&profile, &server).await;

    let refused = client.send("c-jun", "a forbidden plan").unwrap();
    state_of(&mut events, "a forbidden plan", MessageState::Failed).await;
    client.send("c-jun", "and then this").unwrap();
    let id = refused.client_msg_id.unwrap();
    // Only refused messages can be edited, and the new text is checked like any message.
    assert!(client.edit_and_retry(&id, "   ").is_err());
    client.edit_and_retry(&id, "an acceptable plan").unwrap();
    state_of(&mut events, "and then this", MessageState::Sent).await;
    let bodies = server.chat_bodies("c-jun");
    assert_eq!(
        &bodies[bodies.len() - 2..],
        ["an acceptable plan", "and then this"]
    );
    assert_eq!(copies_on_server(&server, "c-jun", "a forbidden plan"), 0);
    assert_eq!(
        client.search("acceptable").unwrap().len(),
        1,
        "searchable as edited"
    );
    assert!(client.search("forbidden").unwrap().is_empty());
}

#[tokio::test]
async fn a_refused_message_holds_its_chat_survives_a_restart_and_can_be_retried_or_deleted() {
    let server = mock().await;
    server.refuse_content("forbidden");
    let profile = Profile::new("refused");
    let (client, mut events) = signed_in(&profile, &server).await;

    let refused = client.send("c-team", "a forbidden word").unwrap();
    let reason = state_of(&mut events, "a forbidden word", MessageState::Failed).await;
    assert!(reason.unwrap().contains("does not accept"));
    // Written after the failure: waits behind it. Another chat keeps flowing.
    let held = client.send("c-team", "written after the failure").unwrap();
    assert_eq!(held.state, MessageState::Pending);
    client.send("c-jun", "meanwhile in another chat").unwrap();
    state_of(&mut events, "meanwhile in another chat", MessageState::Sent).await;
    assert_eq!(
        copies_on_server(&server, "c-team", "written after the failure"),
        0
    );

    // A restart: the failed message is still there, failed with its reason; the held one waits.
    client.logout();
    drop(client);
    let (client, mut events) = signed_in(&profile, &server).await;
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
        copies_on_server(&server, "c-team", "written after the failure"),
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
    let (client, _) = signed_in(&profile, &server).await;
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

    let (client, mut events) = signed_in(&profile, &server).await;
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

#[tokio::test]
async fn drafts_are_kept_per_chat_across_restarts_and_offline() {
    let server = mock().await;
    let profile = Profile::new("drafts");
    let (client, _events) = signed_in(&profile, &server).await;
    server.set_fault("all", "refuse").unwrap();
    client.save_draft("c-jun", "half a thought…").unwrap();
    client.save_draft("c-team", "정리해서 공유할게요").unwrap();
    client.save_draft("c-team", "").unwrap();
    assert!(client.save_draft("c-nope", "x").is_err());
    client.logout();
    drop(client);
    server.set_fault("all", "up").unwrap();
    let (client, _events) = signed_in(&profile, &server).await;
    assert_eq!(
        client.drafts().unwrap(),
        [("c-jun".to_owned(), "half a thought…".to_owned())]
    );
}

#[tokio::test(start_paused = true)]
async fn a_busy_answer_holds_the_message_and_its_chat_until_the_floor_even_across_a_reconnection() {
    use outlast_core::backend::memory::MemoryServer;
    use std::time::Duration;
    use tokio::time::{sleep_until, Instant};

    let common::MemoryPair {
        server,
        client,
        mut events,
        chat,
        ..
    } = common::memory_pair(&[]).await;

    // The server sheds load: "busy, not before 30 s".
    server.busy(1, Duration::from_secs(30));
    let sent_at = Instant::now();
    client.send(&chat, "first").unwrap();
    client.send(&chat, "second").unwrap();
    // At 10 s the connection drops and comes back: a new link sends what is unanswered at
    // once, but a message waiting for the server's floor is not among it.
    sleep_until(sent_at + Duration::from_secs(10)).await;
    common::gateway_blinks(&server, &mut events).await;
    sleep_until(sent_at + Duration::from_millis(29_900)).await;
    let bodies = |server: &MemoryServer| -> Vec<String> {
        server
            .messages(&chat, "u-me")
            .into_iter()
            .map(|m| m.body)
            .collect()
    };
    // "first" was answered busy and holds its chat: "second" waits behind it.
    assert!(
        bodies(&server).is_empty(),
        "sent before the floor: {:?}",
        bodies(&server)
    );
    sleep_until(sent_at + Duration::from_secs(31)).await;
    assert_eq!(
        bodies(&server),
        ["first", "second"],
        "once each, in order, after the floor"
    );
    let shown = client.open_chat(&chat).await.unwrap();
    assert!(shown
        .iter()
        .filter(|m| m.body == "first" || m.body == "second")
        .all(|m| m.state == MessageState::Sent));
}
