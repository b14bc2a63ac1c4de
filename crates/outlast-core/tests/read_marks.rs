//! Read marks against the real mock backend over loopback: coalesced (a burst of reading sends
//! one mark per chat), kept through an API outage and a restart and sent when it returns, and
//! followed from the user's other devices. One more, on the in-memory backend with tokio's clock
//! paused: a server's "busy, not before" holds a mark even across a reconnection.

mod common;

use std::time::Duration;

use common::{mock, wait_for, write_as, Profile, DEADLINE};
use outlast_core::{Client, CoreEvent, MessageState, ServiceState};
use outlast_mock::{MockServer, DEMO_PASSWORD, DEMO_USERNAME};

/// Wait until the server has `user`'s mark in `chat` at `msg_id`.
async fn server_mark_reaches(server: &MockServer, user: &str, chat: &str, msg_id: &str) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while server.read_mark(user, chat).as_deref() != Some(msg_id) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server never got the mark {msg_id}; it has {:?}",
            server.read_mark(user, chat)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The mark could not be delivered: the client says the API is down.
async fn api_reported_down(events: &mut tokio::sync::broadcast::Receiver<CoreEvent>) {
    wait_for(events, "the API reported down", |e| {
        matches!(e, CoreEvent::ServicesChanged { services } if services.of("api").state == ServiceState::Down)
    })
    .await;
}

#[tokio::test]
async fn reading_a_burst_sends_one_mark_with_the_newest_message() {
    let server = mock().await;
    let profile = Profile::new("read-burst");
    let client = profile.client();
    let mut events = client.subscribe();
    client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    client.open_chat("c-team").await.unwrap();
    server_mark_reaches(
        &server,
        "u-demo",
        "c-team",
        server.chat_message_ids("c-team").last().unwrap(),
    )
    .await;
    let before = server.read_requests("u-demo");

    // Twenty messages arrive while the chat is on screen; the app marks it read at each one.
    let bodies: Vec<String> = (1..=20).map(|i| format!("standup note {i}")).collect();
    let (_, ()) = tokio::join!(write_as(&server, "tester", "c-team", &bodies), async {
        let mut seen = 0;
        while seen < bodies.len() {
            match events.recv().await.unwrap() {
                CoreEvent::MessageAdded { message } if message.body.starts_with("standup") => {
                    seen += 1;
                    let chat = client.mark_read("c-team").unwrap();
                    assert_eq!(chat.unread_count, 0);
                }
                _ => {}
            }
        }
    });
    let newest = server.chat_message_ids("c-team").last().unwrap().clone();
    server_mark_reaches(&server, "u-demo", "c-team", &newest).await;
    let sent = server.read_requests("u-demo") - before;
    assert!(
        sent <= 3,
        "20 reads in a burst should go as about one request, not {sent}"
    );
    assert_eq!(client.chat("c-team").unwrap().unread_count, 0);
}

#[tokio::test]
async fn a_mark_made_during_an_api_outage_goes_when_it_returns_even_after_a_restart() {
    let server = mock().await;
    let profile = Profile::new("read-outage");
    let first = profile.client();
    first
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    first.open_chat("c-jun").await.unwrap();
    let bodies: Vec<String> = (1..=3).map(|i| format!("are you there {i}")).collect();
    let mut events = first.subscribe();
    write_as(&server, "jun", "c-jun", &bodies).await;
    wait_for(
        &mut events,
        "Jun's last message",
        |e| matches!(e, CoreEvent::MessageAdded { message } if message.body == "are you there 3"),
    )
    .await;
    let newest = server.chat_message_ids("c-jun").last().unwrap().clone();

    server.set_fault("service:api", "refuse").unwrap();
    first.mark_read("c-jun").unwrap();
    api_reported_down(&mut events).await;
    assert_ne!(
        server.read_mark("u-demo", "c-jun").as_deref(),
        Some(newest.as_str())
    );

    // Quit during the outage; start again after it ended.
    first.logout();
    drop(first);
    server.set_fault("service:api", "up").unwrap();
    let second = profile.client();
    second
        .resume()
        .await
        .unwrap()
        .expect("a session to restore");
    server_mark_reaches(&server, "u-demo", "c-jun", &newest).await;
    assert_eq!(second.chat("c-jun").unwrap().unread_count, 0);
}

#[tokio::test]
async fn a_mark_kept_through_an_outage_goes_once_the_api_answers_again() {
    let server = mock().await;
    let profile = Profile::new("read-retry");
    let client = profile.client();
    client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    client.open_chat("c-minji").await.unwrap();
    let mut events = client.subscribe();
    write_as(&server, "minji", "c-minji", &["lunch?".to_owned()]).await;
    wait_for(
        &mut events,
        "Minji's message",
        |e| matches!(e, CoreEvent::MessageAdded { message } if message.body == "lunch?"),
    )
    .await;
    let newest = server.chat_message_ids("c-minji").last().unwrap().clone();
    server.set_fault("service:api", "refuse").unwrap();
    client.mark_read("c-minji").unwrap();
    api_reported_down(&mut events).await;
    assert_ne!(
        server.read_mark("u-demo", "c-minji").as_deref(),
        Some(newest.as_str())
    );
    server.set_fault("service:api", "up").unwrap();
    server_mark_reaches(&server, "u-demo", "c-minji", &newest).await;
}

#[tokio::test]
async fn reading_on_another_device_clears_the_unread_count_here_and_others_marks_are_announced() {
    let server = mock().await;
    let profile = Profile::new("read-devices");
    let desktop = profile.client();
    let mut events = desktop.subscribe();
    desktop
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    // Jun writes while the desktop looks at another chat: unread here.
    desktop.open_chat("c-team").await.unwrap();
    let bodies: Vec<String> = (1..=4).map(|i| format!("ping {i}")).collect();
    write_as(&server, "jun", "c-jun", &bodies).await;
    wait_for(&mut events, "four unread in Jun's chat", |e| {
        matches!(e, CoreEvent::ChatUpdated { chat } if chat.chat_id == "c-jun" && chat.unread_count == 4)
    })
    .await;

    // The same user reads the chat on their phone (another session).
    let phone = Client::default();
    phone
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    phone.open_chat("c-jun").await.unwrap();
    wait_for(&mut events, "the unread count cleared from the phone", |e| {
        matches!(e, CoreEvent::ChatUpdated { chat } if chat.chat_id == "c-jun" && chat.unread_count == 0)
    })
    .await;

    // Jun reads what the desktop wrote: announced for read counts.
    desktop.send("c-jun", "read this").unwrap();
    common::state_of(&mut events, "read this", MessageState::Sent).await;
    let jun = Client::default();
    jun.login(server.discovery_url(), "jun", DEMO_PASSWORD)
        .await
        .unwrap();
    // Opening the chat brings its history, and reads it.
    let messages = jun.open_chat("c-jun").await.unwrap();
    assert!(messages.iter().any(|m| m.body == "read this"));
    wait_for(&mut events, "Jun's read mark", |e| {
        matches!(e, CoreEvent::ReadMarkMoved { chat_id, user_id, .. } if chat_id == "c-jun" && user_id == "u-jun")
    })
    .await;
    phone.logout();
    jun.logout();
}

#[tokio::test]
async fn read_counts_come_with_the_chat_list_follow_events_and_outlast_an_outage() {
    let server = mock().await;
    // Jun has read his chat before this desktop ever signs in.
    let jun = Client::default();
    jun.login(server.discovery_url(), "jun", DEMO_PASSWORD)
        .await
        .unwrap();
    jun.open_chat("c-jun").await.unwrap();
    let first = server.chat_message_ids("c-jun").last().unwrap().clone();
    server_mark_reaches(&server, "u-jun", "c-jun", &first).await;

    let profile = Profile::new("read-counts");
    let (desktop, mut events) = common::signed_in(&profile, &server).await;
    let reads = desktop.read_marks("c-jun").unwrap();
    assert_eq!(reads.len(), 1, "only the other member is listed: {reads:?}");
    assert_eq!(reads[0].user_id, "u-jun");
    assert_eq!(reads[0].display_name, "Jun Park");
    assert_eq!(reads[0].read_up_to.as_deref(), Some(first.as_str()));

    // The desktop writes; Jun reads it (opening the chat marks it read): the mark moves.
    desktop.open_chat("c-jun").await.unwrap();
    desktop.send("c-jun", "did you see this?").unwrap();
    common::state_of(&mut events, "did you see this?", MessageState::Sent).await;
    let sent = server.chat_message_ids("c-jun").last().unwrap().clone();
    assert!(sent > first);
    jun.open_chat("c-jun").await.unwrap();
    wait_for(&mut events, "Jun's mark on the new message", |e| {
        matches!(e, CoreEvent::ReadMarkMoved { chat_id, user_id, msg_id }
            if chat_id == "c-jun" && user_id == "u-jun" && *msg_id == sent)
    })
    .await;
    assert_eq!(
        desktop.read_marks("c-jun").unwrap()[0]
            .read_up_to
            .as_deref(),
        Some(sent.as_str())
    );
    jun.logout();

    // A restart during an outage still shows who has read what, from the cache.
    server.set_fault("service:api", "refuse").unwrap();
    desktop.logout();
    let again = profile.client();
    again.resume().await.unwrap().expect("a session to restore");
    let reads = again.read_marks("c-jun").unwrap();
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(reads[0].read_up_to.as_deref(), Some(sent.as_str()));
    assert!(matches!(
        again.read_marks("c-nowhere"),
        Err(outlast_core::CoreError::UnknownChat(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn a_mark_the_server_answers_busy_waits_for_its_floor_even_across_a_reconnection() {
    use tokio::time::{sleep_until, Instant};
    // (The events before this test's reconnection are skipped by waiting for a loss first.)

    let common::MemoryPair {
        server,
        client,
        mut events,
        chat,
        posted,
    } = common::memory_pair(&["are you there?"]).await;
    let newest = posted[0].clone();
    client.open_chat(&chat).await.unwrap();

    // The server sheds load: "busy, not before 30 s".
    server.busy(1, Duration::from_secs(30));
    let read_at = Instant::now();
    client.mark_read(&chat).unwrap();
    // The mark goes after the burst pause and is answered busy; at 10 s the connection drops
    // and comes back, which sends waiting marks at once, but not before the server's floor.
    sleep_until(read_at + Duration::from_secs(10)).await;
    common::gateway_blinks(&server, &mut events).await;
    assert!(Instant::now() < read_at + Duration::from_secs(30));
    // Floor: 30 s from the busy answer, which came after the 300 ms burst pause.
    sleep_until(read_at + Duration::from_millis(30_200)).await;
    assert_eq!(
        server.read_mark("u-me", &chat),
        None,
        "sent before the floor"
    );
    sleep_until(read_at + Duration::from_millis(31_000)).await;
    assert_eq!(server.read_mark("u-me", &chat), Some(newest));
}
