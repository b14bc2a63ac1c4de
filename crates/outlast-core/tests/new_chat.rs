//! Starting a chat, against the real mock backend: with people from the user's chats, listed at
//! once, usable at once, kept in the cache. It is an operation like a message: started during an
//! outage (and through a restart) it waits, with what was written in it, and the server makes it
//! once when it returns; one the server refuses waits for the user to retry or delete it. One more
//! on the in-memory backend with tokio's clock paused: a chat deleted while its creation waited
//! behind another request is never made.

mod common;

use common::{copies_on_server, mock, signed_in, state_of, wait_for, Profile};
use outlast_core::{ChatCreation, CoreEvent, MessageState};
use outlast_mock::DEMO_PASSWORD;

/// The app quits and starts again while every service refuses: the session comes from the cache.
async fn restarted_while_down(
    server: &outlast_mock::MockServer,
    profile: &Profile,
    client: outlast_core::Client,
) -> outlast_core::Client {
    server.set_fault("all", "refuse").unwrap();
    client.logout();
    drop(client);
    let again = profile.client();
    again
        .resume()
        .await
        .unwrap()
        .expect("restored from the cache");
    again
}

#[tokio::test]
async fn a_new_chat_with_people_from_other_chats_is_listed_usable_and_kept() {
    let server = mock().await;
    let profile = Profile::new("new-chat");
    let (client, mut events) = signed_in(&profile, &server).await;
    let people = client.people().unwrap();
    let names: Vec<&str> = people.iter().map(|p| p.display_name.as_str()).collect();
    assert!(
        names.contains(&"Jun Park") && names.contains(&"Minji Kim"),
        "{names:?}"
    );
    assert!(people.iter().all(|p| p.user_id != "u-demo"), "not the user");

    assert!(
        client
            .create_chat("  ", &["u-jun".into(), "u-minji".into()])
            .await
            .is_err(),
        "a group needs a name"
    );
    assert!(client.create_chat("Lunch", &[]).await.is_err());
    // A chat with one person needs no name: with Jun there is one already, and that one opens.
    let direct = client.create_chat("  ", &["u-jun".into()]).await.unwrap();
    assert_eq!(
        (direct.chat_id.as_str(), direct.creation.as_ref()),
        ("c-jun", None)
    );
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

    // During an API outage: started anyway, listed as waiting, and usable; made when the API
    // is back, and what was written in it follows, once.
    server.set_fault("service:api", "refuse").unwrap();
    let later = client
        .create_chat("Later", &["u-jun".into()])
        .await
        .unwrap();
    assert_eq!(later.creation, Some(ChatCreation::Pending));
    client
        .send(&later.chat_id, "written before the chat was made")
        .unwrap();
    server.set_fault("service:api", "up").unwrap();
    wait_for(&mut events, "the chat made", |e| {
        matches!(e, CoreEvent::ChatUpdated { chat: c } if c.chat_id == later.chat_id && c.creation.is_none())
    })
    .await;
    state_of(
        &mut events,
        "written before the chat was made",
        MessageState::Sent,
    )
    .await;
    assert_eq!(
        copies_on_server(&server, &later.chat_id, "written before the chat was made"),
        1
    );

    // Kept in the cache: there after a restart from it.
    let again = restarted_while_down(&server, &profile, client).await;
    assert!(again
        .chats()
        .unwrap()
        .iter()
        .any(|c| c.title == "Lunch crew"));
}

#[tokio::test]
async fn a_chat_started_during_an_outage_is_kept_through_a_restart_and_made_once() {
    let server = mock().await;
    let profile = Profile::new("new-chat-restart");
    let (client, _) = signed_in(&profile, &server).await;
    server.set_fault("service:api", "refuse").unwrap();
    let chat = client
        .create_chat("Weekend", &["u-minji".into()])
        .await
        .unwrap();
    client.send(&chat.chat_id, "hike on Saturday?").unwrap();
    client.send(&chat.chat_id, "bring water").unwrap();

    // Quit and start again while the API is still down: the chat is listed from the cache,
    // still waiting, with its messages.
    client.logout();
    drop(client);
    let again = profile.client();
    let mut events = again.subscribe();
    again
        .resume()
        .await
        .unwrap()
        .expect("restored from the cache");
    let listed = again
        .chats()
        .unwrap()
        .into_iter()
        .find(|c| c.chat_id == chat.chat_id)
        .expect("the started chat is listed after a restart");
    assert_eq!(listed.creation, Some(ChatCreation::Pending));
    assert_eq!(again.unsent().unwrap().len(), 2);

    server.set_fault("service:api", "up").unwrap();
    state_of(&mut events, "bring water", MessageState::Sent).await;
    assert_eq!(
        server.chat_bodies(&chat.chat_id),
        ["hike on Saturday?", "bring water"],
        "made once, messages once each, in order"
    );
    let made = again
        .chats()
        .unwrap()
        .into_iter()
        .find(|c| c.chat_id == chat.chat_id)
        .unwrap();
    assert_eq!(made.creation, None);
}

#[tokio::test]
async fn a_chat_the_server_refuses_waits_with_its_messages_until_retried_or_deleted() {
    let server = mock().await;
    let profile = Profile::new("new-chat-refused");
    let (client, mut events) = signed_in(&profile, &server).await;
    // Someone the server does not know: it refuses for good.
    let chat = client
        .create_chat("Ghosts", &["u-nobody".into()])
        .await
        .unwrap();
    client.send(&chat.chat_id, "anyone there?").unwrap();
    let mut reason = String::new();
    wait_for(&mut events, "the chat refused", |e| match e {
        CoreEvent::ChatUpdated { chat: c } if c.chat_id == chat.chat_id => match &c.creation {
            Some(ChatCreation::Failed { reason: why }) => {
                reason = why.clone();
                true
            }
            _ => false,
        },
        _ => false,
    })
    .await;
    assert!(reason.contains("u-nobody"), "{reason}");
    // Its message waits with it; retrying every failed message does not touch the chat.
    assert_eq!(client.retry_all(None).unwrap(), 0);
    let waiting = client.unsent().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].body, "anyone there?");
    assert_eq!(waiting[0].state, MessageState::Pending);
    // Tried again: refused again, still waiting for the user.
    client.retry_chat(&chat.chat_id).unwrap();
    wait_for(&mut events, "the chat refused again", |e| {
        matches!(e, CoreEvent::ChatUpdated { chat: c }
            if c.chat_id == chat.chat_id && matches!(c.creation, Some(ChatCreation::Failed { .. })))
    })
    .await;
    // Only an unmade chat can be deleted this way, and only a refused one retried.
    assert!(client.delete_unmade_chat("c-team").is_err());
    assert!(client.retry_chat("c-team").is_err());

    client.delete_unmade_chat(&chat.chat_id).unwrap();
    wait_for(
        &mut events,
        "the chat removed",
        |e| matches!(e, CoreEvent::ChatRemoved { chat_id } if *chat_id == chat.chat_id),
    )
    .await;
    assert!(client
        .chats()
        .unwrap()
        .iter()
        .all(|c| c.chat_id != chat.chat_id));
    assert!(client.unsent().unwrap().is_empty());

    // Gone after a restart too.
    client.logout();
    drop(client);
    let again = profile.client();
    again.resume().await.unwrap().expect("restored");
    assert!(again
        .chats()
        .unwrap()
        .iter()
        .all(|c| c.chat_id != chat.chat_id));
    assert!(again.unsent().unwrap().is_empty());
    assert!(server.chat_bodies(&chat.chat_id).is_empty());
}

#[tokio::test]
async fn a_chat_someone_else_starts_is_listed_at_once_and_kept() {
    let server = mock().await;
    let profile = Profile::new("new-chat-announced");
    let (client, mut events) = signed_in(&profile, &server).await;
    // The tester starts a group with the user and Jun from a client of their own.
    let tester = outlast_core::Client::default();
    tester
        .login(server.discovery_url(), "tester", DEMO_PASSWORD)
        .await
        .unwrap();
    let started = tester
        .create_chat("Weekend plans", &["u-demo".into(), "u-jun".into()])
        .await
        .unwrap();
    wait_for(&mut events, "the announced chat listed", |e| {
        matches!(e, CoreEvent::ChatUpdated { chat: c }
            if c.chat_id == started.chat_id && c.title == "Weekend plans" && c.creation.is_none())
    })
    .await;
    let listed = client.chats().unwrap();
    let chat = listed
        .iter()
        .find(|c| c.chat_id == started.chat_id)
        .expect("listed without a new chat list");
    assert_eq!(chat.member_names.len(), 3, "{:?}", chat.member_names);
    // It can be written in at once.
    client.send(&started.chat_id, "count me in").unwrap();
    state_of(&mut events, "count me in", MessageState::Sent).await;
    tester.logout();

    // Kept in the cache: there after a restart while the server is down.
    let again = restarted_while_down(&server, &profile, client).await;
    assert!(again
        .chats()
        .unwrap()
        .iter()
        .any(|c| c.chat_id == started.chat_id && c.title == "Weekend plans"));
}

#[tokio::test(start_paused = true)]
async fn a_chat_deleted_while_its_creation_waits_behind_another_request_is_never_made() {
    use outlast_core::backend::Backend;
    use std::time::Duration;
    use tokio::time::{sleep, Instant};

    let common::MemoryPair {
        server,
        client,
        mut events,
        chat: pair,
        ..
    } = common::memory_pair(&["first"]).await;
    // Opening the chat reads it; that mark goes in a moment.
    client.open_chat(&pair).await.unwrap();
    sleep(Duration::from_secs(1)).await;
    server.post("u-jun", &pair, "second").unwrap();
    wait_for(
        &mut events,
        "Jun's second message",
        |e| matches!(e, CoreEvent::MessageAdded { message } if message.body == "second"),
    )
    .await;

    // The API answers slowly now: the next read mark keeps the request runner busy for 10 s.
    server.set_delay(Duration::from_secs(10));
    let read_at = Instant::now();
    client.mark_read(&pair).unwrap();
    tokio::time::sleep_until(read_at + Duration::from_millis(400)).await;
    // A chat started meanwhile waits behind that request; the user deletes it before its turn.
    let chat = client
        .create_chat("Second thoughts", &["u-jun".into()])
        .await
        .unwrap();
    client.delete_unmade_chat(&chat.chat_id).unwrap();
    sleep(Duration::from_secs(30)).await;

    server.set_delay(Duration::ZERO);
    let at_jun = server
        .backend_for("u-jun")
        .unwrap()
        .first_view()
        .await
        .unwrap();
    assert!(
        at_jun.chats.iter().all(|c| c.chat_id != chat.chat_id),
        "a deleted chat was made on the server"
    );
    assert!(client
        .chats()
        .unwrap()
        .iter()
        .all(|c| c.chat_id != chat.chat_id));
}

#[tokio::test]
async fn a_chat_with_one_person_needs_no_name_and_is_never_made_twice() {
    let server = mock().await;
    let profile = Profile::new("new-direct-chat");
    let (client, mut events) = signed_in(&profile, &server).await;
    let sora = client
        .people()
        .unwrap()
        .into_iter()
        .find(|p| p.user_id == "u-sora")
        .expect("Sora, from the team chat");

    let chat = client.create_chat("", &["u-sora".into()]).await.unwrap();
    assert_eq!(
        chat.title, sora.display_name,
        "titled after the other person"
    );
    wait_for(&mut events, "the chat made", |e| {
        matches!(e, CoreEvent::ChatUpdated { chat: c } if c.chat_id == chat.chat_id && c.creation.is_none())
    })
    .await;
    client.send(&chat.chat_id, "hi Sora").unwrap();
    state_of(&mut events, "hi Sora", MessageState::Sent).await;

    // Asked again, by name or not: the same chat.
    let again = client.create_chat(" ", &["u-sora".into()]).await.unwrap();
    assert_eq!(again.chat_id, chat.chat_id);
    assert_eq!(
        client
            .chats()
            .unwrap()
            .iter()
            .filter(|c| c.member_names.contains(&sora.display_name) && c.member_names.len() == 2)
            .count(),
        1
    );
    // Sora sees it titled after the user.
    let other = outlast_core::Client::default();
    other
        .login(server.discovery_url(), "sora", DEMO_PASSWORD)
        .await
        .unwrap();
    let seen = other.chat(&chat.chat_id).expect("listed for Sora");
    assert_eq!(seen.title, "Demo User");
    other.logout();
}
