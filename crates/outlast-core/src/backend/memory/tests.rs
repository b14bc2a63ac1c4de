//! The in-memory backend: the shared contract, then its scripted faults.

use std::sync::Arc;

use tokio::time::Duration;

use super::MemoryServer;
use crate::backend::contract::{backend_contract, bodies, text, Accounts, Recorder, KEPT_EVENTS};
use crate::backend::sign_in_contract::SignInWorld;
use crate::backend::Backend;
use crate::domain::Cursor;
use crate::model::Service;

fn world() -> (MemoryServer, String) {
    let server = MemoryServer::new();
    server.add_user("u-alice", "Alice");
    server.add_user("u-bob", "Bob");
    server.add_user("u-carol", "Carol");
    let chat = server
        .add_chat("Alice and Bob", &["u-alice", "u-bob"])
        .unwrap();
    (server, chat.chat_id)
}

async fn accounts() -> Accounts {
    let (server, chat_id) = world();
    server.set_log_limit(Some(KEPT_EVENTS));
    Accounts {
        alice: Arc::new(server.backend_for("u-alice").unwrap()),
        bob: Arc::new(server.backend_for("u-bob").unwrap()),
        alice_id: "u-alice".into(),
        bob_id: "u-bob".into(),
        chat_id,
        alice_only_chat: server
            .add_chat("Alice and Carol", &["u-alice", "u-carol"])
            .unwrap()
            .chat_id,
        _server: Box::new(server),
    }
}

mod contract {
    use super::accounts;
    super::backend_contract!(accounts());
}

async fn sign_in_world() -> SignInWorld {
    let (server, _) = world();
    server.set_password("u-alice", "alice's password");
    SignInWorld {
        server: Arc::new(server.clone()),
        username: "u-alice".into(),
        password: "alice's password".into(),
        user_id: "u-alice".into(),
        // The in-memory server grants no access apart from the sign-in itself.
        expire_access: Box::new(|| {}),
        _keep: Box::new(server),
    }
}

mod sign_in_contract {
    use super::sign_in_world;
    crate::backend::sign_in_contract::sign_in_contract!(sign_in_world());
}

#[tokio::test(start_paused = true)]
async fn a_lost_ack_is_sent_again_and_the_message_stored_once() {
    let (server, chat_id) = world();
    let alice = server.backend_for("u-alice").unwrap();
    let seen = Recorder::at(Cursor::START);
    let live = alice.connect(seen.clone()).unwrap();
    server.drop_acks(1);
    seen.submitter(&*live).send(text(&chat_id, "k-1", "hello"));
    seen.submitter(&*live).send(text(&chat_id, "k-2", "again"));
    // The second is acknowledged at once; the first only after its resend.
    seen.until("k-2's ack", |s| {
        s.acked.iter().any(|a| a.0 == "k-2").then_some(())
    })
    .await;
    assert!(!seen.lock().acked.iter().any(|a| a.0 == "k-1"));
    seen.until("k-1's ack after a resend", |s| {
        s.acked.iter().any(|a| a.0 == "k-1").then_some(())
    })
    .await;
    let stored: Vec<String> = server
        .messages(&chat_id, "u-alice")
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(
        stored,
        ["hello", "again"],
        "stored once each, in the order handed"
    );
}

#[tokio::test(start_paused = true)]
async fn reconnect_now_sends_a_message_whose_ack_was_lost_at_once() {
    let (server, chat_id) = world();
    let alice = server.backend_for("u-alice").unwrap();
    let seen = Recorder::at(Cursor::START);
    let live = alice.connect(seen.clone()).unwrap();
    server.drop_acks(1);
    let started = tokio::time::Instant::now();
    seen.submitter(&*live).send(text(&chat_id, "k-1", "hello"));
    seen.until("k-1 stored", |_| {
        (!server.messages(&chat_id, "u-alice").is_empty()).then_some(())
    })
    .await;
    live.reconnect_now();
    seen.until("k-1's ack", |s| {
        s.acked.iter().any(|a| a.0 == "k-1").then_some(())
    })
    .await;
    assert!(
        started.elapsed() < server_ack_wait(),
        "without waiting out the lost ack: {:?}",
        started.elapsed()
    );
    assert_eq!(server.messages(&chat_id, "u-alice").len(), 1, "stored once");
}

fn server_ack_wait() -> Duration {
    super::live::ACK_WAIT
}

#[tokio::test(start_paused = true)]
async fn a_scripted_refusal_refuses_a_new_key_but_not_one_already_stored() {
    let (server, chat_id) = world();
    let alice = server.backend_for("u-alice").unwrap();
    let seen = Recorder::at(Cursor::START);
    let live = alice.connect(seen.clone()).unwrap();
    seen.submitter(&*live).send(text(&chat_id, "k-1", "stored"));
    seen.until("k-1's ack", |s| (!s.acked.is_empty()).then_some(()))
        .await;
    server.refuse(2, "not today");
    // k-1 again (its ack was lost, say): the server has it, so it is acknowledged again.
    seen.submitter(&*live).send(text(&chat_id, "k-1", "stored"));
    seen.submitter(&*live)
        .send(text(&chat_id, "k-2", "refused"));
    seen.submitter(&*live)
        .send(text(&chat_id, "k-3", "refused too"));
    seen.submitter(&*live)
        .send(text(&chat_id, "k-4", "stored after"));
    seen.until("every outcome", |s| {
        (s.acked.len() == 3 && s.refused.len() == 2).then_some(())
    })
    .await;
    let seen = seen.lock();
    let refused: Vec<(&str, &str)> = seen
        .refused
        .iter()
        .map(|(k, r)| (k.as_str(), r.as_str()))
        .collect();
    assert_eq!(refused, [("k-2", "not today"), ("k-3", "not today")]);
    let stored: Vec<String> = server
        .messages(&chat_id, "u-alice")
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(stored, ["stored", "stored after"]);
}

#[tokio::test(start_paused = true)]
async fn busy_hands_the_submission_back_with_the_servers_floor() {
    let (server, chat_id) = world();
    let alice = server.backend_for("u-alice").unwrap();
    let seen = Recorder::at(Cursor::START);
    let live = alice.connect(seen.clone()).unwrap();
    server.busy(1, Duration::from_secs(5));
    seen.submitter(&*live).send(text(&chat_id, "k-1", "later"));
    let floor = seen.until("busy", |s| s.retry_later.first().cloned()).await;
    assert_eq!(floor, ("k-1".to_owned(), Duration::from_secs(5)));
    assert!(
        server.messages(&chat_id, "u-alice").is_empty(),
        "not stored"
    );
    // The queue hands it over again once the floor has passed (the whole client checks the
    // timing: tests/outbox.rs); then it is stored, once.
    seen.submitter(&*live).send(text(&chat_id, "k-1", "later"));
    seen.until("the ack", |s| (!s.acked.is_empty()).then_some(()))
        .await;
    assert_eq!(server.messages(&chat_id, "u-alice").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn duplicated_and_reordered_events_still_bring_every_message() {
    let (server, chat_id) = world();
    let bob = server.backend_for("u-bob").unwrap();
    server.duplicate_events(true);
    server.reorder_events(true);
    for i in 0..5 {
        server.post("u-alice", &chat_id, &format!("m{i}")).unwrap();
    }
    let seen = Recorder::at(Cursor::START);
    let _live = bob.connect(seen.clone()).unwrap();
    seen.until("ten deliveries", |s| {
        (bodies(s, &chat_id).len() >= 10).then_some(())
    })
    .await;
    let mut got = bodies(&seen.lock(), &chat_id);
    // Bob's log: the chat's creation, then m0..m4; delivered in swapped pairs, each twice.
    assert_eq!(got[..6], ["m0", "m0", "m2", "m2", "m1", "m1"]);
    got.sort();
    got.dedup();
    assert_eq!(got, ["m0", "m1", "m2", "m3", "m4"]);
}

#[tokio::test(start_paused = true)]
async fn a_client_behind_a_trimmed_log_is_told_of_the_gap() {
    let (server, chat_id) = world();
    for i in 0..6 {
        server.post("u-alice", &chat_id, &format!("m{i}")).unwrap();
    }
    server.trim_log("u-bob", 2);
    let bob = server.backend_for("u-bob").unwrap();
    let seen = Recorder::at(Cursor::from_backend(1));
    let _live = bob.connect(seen.clone()).unwrap();
    seen.until("the kept events", |s| {
        (bodies(s, &chat_id).len() == 2).then_some(())
    })
    .await;
    let seen = seen.lock();
    assert_eq!(seen.gaps.len(), 1, "{:?}", seen.gaps);
    assert_eq!(bodies(&seen, &chat_id), ["m4", "m5"]);
}

#[tokio::test(start_paused = true)]
async fn a_service_down_fails_its_requests_retryably_and_recovers() {
    let (server, chat_id) = world();
    let alice = server.backend_for("u-alice").unwrap();
    server.set_down(Service::Api, true);
    let err = alice.history(&chat_id, None, 10).await.unwrap_err();
    assert!(err.retryable(), "{err}");
    server.set_down(Service::Api, false);
    assert!(alice.history(&chat_id, None, 10).await.is_ok());

    // A gateway outage holds submissions; they go when it is back.
    let seen = Recorder::at(Cursor::START);
    server.set_down(Service::Gateway, true);
    let live = alice.connect(seen.clone()).unwrap();
    seen.submitter(&*live).send(text(&chat_id, "k-1", "held"));
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(seen.lock().acked.is_empty() && !seen.lock().connected);
    server.set_down(Service::Gateway, false);
    seen.until("the ack after the outage", |s| {
        (!s.acked.is_empty()).then_some(())
    })
    .await;
    assert!(seen.lock().connected);
}

#[tokio::test(start_paused = true)]
async fn a_lost_answer_leaves_the_work_done_and_asking_again_is_safe() {
    let (server, _) = world();
    let alice = server.backend_for("u-alice").unwrap();
    server.lose_answers(1);
    let err = alice
        .create_chat("c-lost-1", "Picnic", &["u-bob".into()])
        .await
        .unwrap_err();
    assert!(err.retryable(), "{err}");
    // The server made it; asking again under the same id gets that chat, not a second one.
    let chat = alice
        .create_chat("c-lost-1", "Picnic", &["u-bob".into()])
        .await
        .unwrap();
    assert_eq!(chat.chat_id, "c-lost-1");
    let bob = server.backend_for("u-bob").unwrap();
    let listed = bob.first_view().await.unwrap().chats;
    assert_eq!(listed.iter().filter(|c| c.chat_id == "c-lost-1").count(), 1);
}
