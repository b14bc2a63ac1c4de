//! The queue's rules, driven input by input: no store, no connection, no clock.

use super::operation::{Lifecycle, OpError, Operation, Request};
use super::queue::OpQueue;
use crate::store::{OutboxEntry, OutboxFile};
use tokio::time::{Duration, Instant};

/// A moment the tests count from (the queue only compares the times it is given).
fn t0() -> Instant {
    static T0: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);
    *T0
}

fn entry(id: &str, chat: &str) -> OutboxEntry {
    OutboxEntry {
        client_msg_id: id.into(),
        chat_id: chat.into(),
        body: format!("body of {id}"),
        created_at_ms: 1,
        attempts: 0,
        files: Vec::new(),
    }
}

fn with_files(id: &str, chat: &str, n: usize) -> OutboxEntry {
    let mut e = entry(id, chat);
    e.files = (0..n)
        .map(|i| OutboxFile {
            local_path: format!("/profile/outbox-files/{id}/{i}").into(),
            name: format!("photo{i}.jpg"),
            size: 10,
            mime: "image/jpeg".into(),
            media_id: None,
        })
        .collect();
    e
}

fn send(e: &OutboxEntry) -> Operation {
    Operation::send_message(e.clone())
}

/// The ids a batch of requests submits, in order.
fn submitted(requests: &[Request]) -> Vec<&str> {
    requests
        .iter()
        .map(|Request::Submit(op)| op.id.as_str())
        .collect()
}

#[test]
fn each_operation_is_submitted_once_in_the_order_written() {
    let mut q = OpQueue::default();
    assert_eq!(submitted(&q.submit(send(&entry("m1", "c1")), t0())), ["m1"]);
    assert_eq!(submitted(&q.submit(send(&entry("m2", "c1")), t0())), ["m2"]);
    assert_eq!(submitted(&q.submit(send(&entry("m3", "c2")), t0())), ["m3"]);
    assert!(q.all().iter().all(|op| op.state == Lifecycle::Submitted));
    // The key is the one the user's action made, for every attempt.
    let Request::Submit(op) = &q.submit(send(&entry("m4", "c1")), t0())[0];
    assert_eq!(op.outgoing().unwrap().client_msg_id, "m4");
    assert_eq!(op.outgoing().unwrap().body, "body of m4");
}

#[test]
fn a_refused_operation_holds_its_chat_and_only_its_chat() {
    let mut q = OpQueue::default();
    q.submit(send(&entry("m1", "c1")), t0());
    assert!(q.refused("m1", "too long".into()));
    assert_eq!(q.submit(send(&entry("m2", "c1")), t0()), []);
    assert_eq!(q.submit(send(&entry("m3", "c1")), t0()), []);
    assert_eq!(submitted(&q.submit(send(&entry("x1", "c2")), t0())), ["x1"]);
    assert_eq!(q.get("m2").unwrap().state, Lifecycle::Queued);
    assert_eq!(q.refused_ids(None), ["m1"]);
    assert_eq!(q.refused_ids(Some("c2")), Vec::<String>::new());

    // Retried: it goes again under its key, and the held ones follow in order.
    assert_eq!(submitted(&q.retry("m1").unwrap()), ["m1", "m2", "m3"]);
}

#[test]
fn cancelling_the_refused_operation_releases_the_chat() {
    let mut q = OpQueue::default();
    q.submit(send(&entry("m1", "c1")), t0());
    q.refused("m1", "refused".into());
    q.submit(send(&entry("m2", "c1")), t0());
    let (gone, requests) = q.cancel("m1").unwrap();
    assert_eq!(gone.id, "m1");
    assert_eq!(submitted(&requests), ["m2"]);
    assert_eq!(q.cancel("m1").unwrap_err(), OpError::NotQueued);
    assert!(q.get("m1").is_none());
}

#[test]
fn only_a_refused_operation_can_be_edited_and_the_edit_is_what_goes() {
    let mut q = OpQueue::default();
    q.submit(send(&entry("m1", "c1")), t0());
    assert_eq!(q.edit("m1", "new").unwrap_err(), OpError::NotRefused);
    assert_eq!(q.edit("nope", "new").unwrap_err(), OpError::NotQueued);
    q.refused("m1", "refused".into());
    q.edit("m1", "corrected").unwrap();
    let requests = q.retry("m1").unwrap();
    let Request::Submit(op) = &requests[0];
    assert_eq!(op.outgoing().unwrap().body, "corrected");
}

#[test]
fn a_message_waits_for_its_files_and_holds_later_ones_until_the_last_is_up() {
    let mut q = OpQueue::default();
    assert_eq!(q.submit(send(&with_files("f1", "c1", 2)), t0()), []);
    assert_eq!(q.submit(send(&entry("m2", "c1")), t0()), []);
    assert_eq!(submitted(&q.submit(send(&entry("x1", "c2")), t0())), ["x1"]);
    let waiting: Vec<String> = q.waiting_for_files().into_iter().map(|o| o.id).collect();
    assert_eq!(waiting, ["f1"]);

    assert_eq!(q.file_uploaded("f1", 0, "media-0"), []);
    let requests = q.file_uploaded("f1", 1, "media-1");
    assert_eq!(submitted(&requests), ["f1", "m2"]);
    let Request::Submit(op) = &requests[0];
    let ids: Vec<String> = op
        .outgoing()
        .unwrap()
        .attachments
        .into_iter()
        .map(|a| a.media_id)
        .collect();
    assert_eq!(ids, ["media-0", "media-1"]);
    assert!(q.waiting_for_files().is_empty());
}

#[test]
fn an_ack_completes_an_operation_once_in_any_order() {
    let mut q = OpQueue::default();
    for id in ["m1", "m2", "m3"] {
        q.submit(send(&entry(id, "c1")), t0());
    }
    assert_eq!(q.acked("m2").unwrap().id, "m2");
    assert!(q.acked("m2").is_none(), "a duplicate ack changes nothing");
    assert!(q.acked("earlier-run").is_none());
    assert_eq!(q.acked("m1").unwrap().id, "m1");
    assert_eq!(q.acked("m3").unwrap().id, "m3");
    assert!(q.all().is_empty());
    // A refusal or retry of something no longer queued is not an operation.
    assert!(!q.refused("m1", "late".into()));
    assert_eq!(q.retry("m1").unwrap_err(), OpError::NotQueued);
}

#[test]
fn retrying_an_operation_still_waiting_for_an_answer_submits_it_again_under_its_key() {
    let mut q = OpQueue::default();
    q.submit(send(&entry("m1", "c1")), t0());
    q.submit(send(&entry("m2", "c1")), t0());
    assert_eq!(submitted(&q.retry("m2").unwrap()), ["m2"]);
}

#[test]
fn a_restored_queue_submits_everything_again_in_order_and_keeps_refusals() {
    let (q, requests) = OpQueue::restore(
        vec![
            (entry("a1", "c1"), None),
            (entry("b1", "c2"), Some("refused earlier".into())),
            (entry("a2", "c1"), None),
            (entry("b2", "c2"), None),
            (with_files("c1f", "c3", 1), None),
        ],
        Vec::new(),
        Vec::new(),
        t0(),
    );
    assert_eq!(submitted(&requests), ["a1", "a2"]);
    assert_eq!(
        q.get("b1").unwrap().state,
        Lifecycle::Refused {
            reason: "refused earlier".into()
        }
    );
    let order: Vec<&str> = q.all().into_iter().map(|op| op.id.as_str()).collect();
    assert_eq!(order, ["a1", "b1", "a2", "b2", "c1f"]);
    let shown = q.get("b1").unwrap().shown("u-me", "Me").unwrap();
    assert_eq!(shown.failure.as_deref(), Some("refused earlier"));
    assert_eq!(shown.state, crate::model::MessageState::Failed);
}

#[test]
fn a_flush_of_ten_thousand_leaves_nothing_behind() {
    let mut q = OpQueue::default();
    let mut handed = 0;
    for n in 0..10_000 {
        handed += q.submit(send(&entry(&format!("m{n}"), "c1")), t0()).len();
    }
    assert_eq!(handed, 10_000);
    for n in 0..10_000 {
        assert!(q.acked(&format!("m{n}")).is_some());
    }
    assert!(q.all().is_empty());
}

#[test]
fn after_acks_out_of_order_a_refusal_still_holds_and_a_retry_sends_only_what_waits() {
    let mut q = OpQueue::default();
    for id in ["m1", "m2", "m3"] {
        q.submit(send(&entry(id, "c1")), t0());
    }
    q.acked("m2");
    q.refused("m1", "refused".into());
    assert_eq!(
        q.submit(send(&entry("m4", "c1")), t0()),
        [],
        "held behind m1"
    );
    // m3 is still out with the connection: it is not handed over twice.
    assert_eq!(submitted(&q.retry("m1").unwrap()), ["m1", "m4"]);
    assert_eq!(submitted(&q.submit(send(&entry("m5", "c1")), t0())), ["m5"]);
}

// Read marks: one lane per chat, coalesced, retried on the queue's own clock.

/// What a new link would send again: the ids of the messages out without an answer.
fn unanswered(q: &OpQueue, limit: usize) -> Vec<String> {
    q.unanswered(limit)
        .into_iter()
        .map(|o| o.client_msg_id)
        .collect()
}

#[test]
fn a_new_link_is_given_every_message_out_without_an_answer_oldest_first_and_nothing_else() {
    let mut q = OpQueue::default();
    q.submit(send(&entry("m1", "c1")), t0());
    q.submit(send(&entry("m2", "c2")), t0());
    q.submit(send(&entry("m3", "c1")), t0());
    q.submit(send(&with_files("m4", "c3", 1)), t0());
    q.submit(send(&entry("m5", "c4")), t0());
    q.submit(mark("c1", "s-9"), t0());
    q.submit(create("c-new"), t0());
    q.acked("m2");
    q.refused("m5", "too long".into());
    // Not m2 (answered), m4 (waits for its file), m5 (refused), the mark or the creation.
    assert_eq!(unanswered(&q, usize::MAX), ["m1", "m3"]);
    assert_eq!(unanswered(&q, 1), ["m1"], "the oldest first");
}

#[test]
fn a_busy_answer_holds_the_message_and_takes_back_its_chats_later_ones_until_the_floor() {
    let mut q = OpQueue::default();
    q.submit(send(&entry("m1", "c1")), t0());
    q.submit(send(&entry("m2", "c1")), t0());
    q.submit(send(&entry("m3", "c2")), t0());
    let floor = t0() + ms(30_000);
    q.retry_at("m1", floor, Some(floor));
    // No link sends m1 or m2 before the floor; the other chat's message is unaffected.
    assert_eq!(unanswered(&q, usize::MAX), ["m3"]);
    assert_eq!(q.next_due(), Some(floor));
    assert_eq!(q.tick(floor - ms(1)), []);
    // A reconnection does not lift the server's floor.
    assert_eq!(q.backend_back(t0() + ms(10_000)), []);
    assert_eq!(submitted(&q.tick(floor)), ["m1", "m2"], "in order, once");
    assert_eq!(unanswered(&q, usize::MAX), ["m1", "m2", "m3"]);
    // One the server took meanwhile is simply done.
    q.acked("m2");
    assert_eq!(unanswered(&q, usize::MAX), ["m1", "m3"]);
}

#[test]
fn each_busy_answer_of_a_burst_keeps_its_own_floor_and_the_chat_its_order() {
    let mut q = OpQueue::default();
    for id in ["m1", "m2", "m3"] {
        q.submit(send(&entry(id, "c1")), t0());
    }
    let (first, second) = (t0() + ms(5_000), t0() + ms(9_000));
    q.retry_at("m1", first, Some(first));
    // m2's own answer: busy for longer. It was taken back with m1; it keeps its own floor.
    q.retry_at("m2", second, Some(second));
    assert_eq!(q.next_due(), Some(first));
    assert_eq!(
        submitted(&q.tick(first)),
        ["m1"],
        "m2 waits for its own floor"
    );
    assert_eq!(q.next_due(), Some(second));
    assert_eq!(
        submitted(&q.tick(second)),
        ["m2", "m3"],
        "then the rest, in order"
    );
}

fn mark(chat: &str, msg: &str) -> Operation {
    Operation::mark_read(chat, msg, 1)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The (chat, message) of each read mark a batch of requests submits.
fn marks_sent(requests: &[Request]) -> Vec<(String, String)> {
    let mut sent: Vec<(String, String)> = requests
        .iter()
        .filter_map(|Request::Submit(op)| match &op.action {
            super::Action::MarkRead { msg_id } => Some((op.chat_id.clone(), msg_id.clone())),
            _ => None,
        })
        .collect();
    sent.sort();
    sent
}

fn pair(chat: &str, msg: &str) -> (String, String) {
    (chat.to_owned(), msg.to_owned())
}

#[test]
fn a_burst_of_read_marks_goes_as_one_request_per_chat_with_the_newest_after_a_pause() {
    let mut q = OpQueue::default();
    assert_eq!(q.submit(mark("c1", "m1"), t0()), []);
    assert_eq!(q.submit(mark("c1", "m2"), t0() + ms(100)), []);
    assert_eq!(q.submit(mark("c2", "x1"), t0() + ms(200)), []);
    assert_eq!(q.submit(mark("c1", "m3"), t0() + ms(250)), []);
    // The burst keeps its first mark's time: c1 is due 300 ms after m1, c2 after x1.
    assert_eq!(q.next_due(), Some(t0() + super::marks::COALESCE));
    assert_eq!(q.tick(t0() + ms(299)), []);
    assert_eq!(marks_sent(&q.tick(t0() + ms(300))), [pair("c1", "m3")]);
    assert_eq!(marks_sent(&q.tick(t0() + ms(500))), [pair("c2", "x1")]);
    assert_eq!(q.next_due(), None);
}

#[test]
fn a_read_mark_never_waits_for_its_chats_messages_nor_holds_them() {
    let mut q = OpQueue::default();
    q.submit(send(&entry("m1", "c1")), t0());
    q.refused("m1", "too long".into());
    q.submit(mark("c1", "s9"), t0());
    assert_eq!(marks_sent(&q.tick(t0() + ms(300))), [pair("c1", "s9")]);
    // The refused message still holds the chat's messages, and only them.
    assert_eq!(q.submit(send(&entry("m2", "c1")), t0()), []);
    assert_eq!(q.refused_ids(None), ["m1"]);
    // Marks are not messages: the unsent list and message lookups do not see them.
    assert_eq!(q.all().len(), 2);
    assert!(q.get("read:c1:s9").is_none());
}

#[test]
fn one_mark_per_chat_is_out_at_a_time_and_a_newer_one_replaces_the_waiting_one() {
    let mut q = OpQueue::default();
    q.submit(mark("c1", "m1"), t0());
    let out = q.tick(t0() + ms(300));
    assert_eq!(marks_sent(&out), [pair("c1", "m1")]);
    q.submit(mark("c1", "m2"), t0() + ms(310));
    q.submit(mark("c1", "m3"), t0() + ms(320));
    // m1 is still out: nothing else of c1 goes, however late it is.
    assert_eq!(q.tick(t0() + ms(5_000)), []);
    let Request::Submit(m1) = &out[0];
    let next = q.mark_answered("c1", &m1.id, t0() + ms(5_000));
    assert_eq!(marks_sent(&next), [pair("c1", "m3")]);
    // The same mark again is nothing new.
    assert_eq!(q.submit(mark("c1", "m3"), t0() + ms(5_001)), []);
    assert_eq!(q.next_due(), None);
}

#[test]
fn a_mark_the_api_could_not_take_waits_for_the_retry_time_and_every_chat_waits_with_it() {
    let mut q = OpQueue::default();
    q.submit(mark("c1", "m1"), t0());
    let out = q.tick(t0() + ms(300));
    let Request::Submit(m1) = &out[0];
    q.submit(mark("c2", "x1"), t0() + ms(301));
    // The API is down: back off 2 s; the other chat's mark waits for the API too.
    q.mark_failed("c1", &m1.id, t0() + ms(2_300), None);
    assert_eq!(q.next_due(), Some(t0() + ms(2_300)));
    assert_eq!(q.tick(t0() + ms(2_299)), []);
    assert_eq!(
        marks_sent(&q.tick(t0() + ms(2_300))),
        [pair("c1", "m1"), pair("c2", "x1")]
    );
}

#[test]
fn a_newer_mark_made_while_one_failed_goes_instead_of_it() {
    let mut q = OpQueue::default();
    q.submit(mark("c1", "m1"), t0());
    let out = q.tick(t0() + ms(300));
    let Request::Submit(m1) = &out[0];
    q.submit(mark("c1", "m2"), t0() + ms(400));
    q.mark_failed("c1", &m1.id, t0() + ms(1_300), None);
    assert_eq!(marks_sent(&q.tick(t0() + ms(1_300))), [pair("c1", "m2")]);
}

#[test]
fn a_reconnection_sends_waiting_marks_at_once_but_never_before_the_servers_floor() {
    let mut q = OpQueue::default();
    q.submit(mark("c1", "m1"), t0());
    let out = q.tick(t0() + ms(300));
    let Request::Submit(m1) = &out[0];
    q.mark_failed("c1", &m1.id, t0() + ms(60_300), None);
    // Back after 5 s: the 60 s backoff is lifted.
    assert_eq!(
        marks_sent(&q.backend_back(t0() + ms(5_000))),
        [pair("c1", "m1")]
    );

    let mut q = OpQueue::default();
    q.submit(mark("c1", "m1"), t0());
    let out = q.tick(t0() + ms(300));
    let Request::Submit(m1) = &out[0];
    // The server said "not before 30 s": a reconnection does not lift that.
    q.mark_failed("c1", &m1.id, t0() + ms(30_300), Some(t0() + ms(30_300)));
    assert_eq!(q.backend_back(t0() + ms(5_000)), []);
    assert_eq!(q.next_due(), Some(t0() + ms(30_300)));
    assert_eq!(marks_sent(&q.tick(t0() + ms(30_300))), [pair("c1", "m1")]);
}

#[test]
fn marks_an_earlier_run_kept_go_at_once_with_its_messages() {
    let marks = vec![crate::store::ReadMark {
        chat_id: "c2".into(),
        msg_id: "x7".into(),
        sent_at_ms: 5,
    }];
    let (q, requests) = OpQueue::restore(vec![(entry("a1", "c1"), None)], marks, Vec::new(), t0());
    assert_eq!(submitted(&requests), ["a1", "read:c2:x7"]);
    assert_eq!(marks_sent(&requests), [pair("c2", "x7")]);
    assert_eq!(q.marks().len(), 1);
}

// A chat's creation: first in its chat, holding everything written there until the server made
// it; retried on the queue's clock.

fn started(chat: &str) -> crate::store::StartedChat {
    crate::store::StartedChat {
        chat_id: chat.into(),
        title: "Trip".into(),
        member_ids: vec!["u-jun".into()],
        created_at_ms: 1,
    }
}

fn create(chat: &str) -> Operation {
    Operation::create_chat(started(chat), None)
}

#[test]
fn messages_in_a_new_chat_wait_until_the_server_made_it_then_go_in_order() {
    let mut q = OpQueue::default();
    assert_eq!(
        submitted(&q.submit(create("c-new"), t0())),
        ["create:c-new"]
    );
    assert_eq!(q.submit(send(&entry("m1", "c-new")), t0()), []);
    assert_eq!(q.submit(send(&entry("m2", "c-new")), t0()), []);
    // Other chats are not held.
    assert_eq!(submitted(&q.submit(send(&entry("x1", "c2")), t0())), ["x1"]);
    // Retrying a message does not pass the creation either.
    assert_eq!(q.retry("m1").unwrap(), []);
    assert_eq!(submitted(&q.chat_made("c-new")), ["m1", "m2"]);
    assert_eq!(
        submitted(&q.submit(send(&entry("m3", "c-new")), t0())),
        ["m3"]
    );
}

#[test]
fn a_creation_the_api_could_not_take_goes_again_at_its_time_holding_its_messages() {
    let mut q = OpQueue::default();
    q.submit(create("c-new"), t0());
    q.submit(send(&entry("m1", "c-new")), t0());
    q.retry_at("create:c-new", t0() + ms(2_000), None);
    assert_eq!(q.next_due(), Some(t0() + ms(2_000)));
    assert_eq!(q.tick(t0() + ms(1_999)), []);
    assert_eq!(submitted(&q.tick(t0() + ms(2_000))), ["create:c-new"]);
    assert_eq!(q.next_due(), None);
    assert_eq!(submitted(&q.chat_made("c-new")), ["m1"]);
}

#[test]
fn the_backend_back_sends_a_waiting_creation_at_once_but_not_before_the_servers_floor() {
    let mut q = OpQueue::default();
    q.submit(create("c-a"), t0());
    q.submit(create("c-b"), t0());
    q.retry_at("create:c-a", t0() + ms(60_000), None);
    q.retry_at("create:c-b", t0() + ms(30_000), Some(t0() + ms(30_000)));
    let mut sent = submitted(&q.backend_back(t0() + ms(5_000)))
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    sent.sort();
    assert_eq!(sent, ["create:c-a"]);
    assert_eq!(q.next_due(), Some(t0() + ms(30_000)));
    assert_eq!(submitted(&q.tick(t0() + ms(30_000))), ["create:c-b"]);
}

#[test]
fn a_refused_creation_holds_its_chat_until_retried_and_deleting_drops_everything_in_it() {
    let mut q = OpQueue::default();
    q.submit(create("c-new"), t0());
    q.submit(send(&entry("m1", "c-new")), t0());
    q.refused("create:c-new", "no such user".into());
    assert!(q.get("create:c-new").unwrap().is_refused());
    // Retrying every failed message does not mean retrying the chat.
    assert_eq!(q.refused_ids(None), Vec::<String>::new());
    assert_eq!(
        submitted(&q.retry("create:c-new").unwrap()),
        ["create:c-new"]
    );
    q.refused("create:c-new", "no such user".into());
    let dropped: Vec<String> = q.cancel_chat("c-new").into_iter().map(|o| o.id).collect();
    assert_eq!(dropped, ["create:c-new", "m1"]);
    assert!(q.all().is_empty());
    assert!(q.get("m1").is_none());
}

#[test]
fn a_restored_queue_makes_its_chats_before_anything_written_in_them() {
    let (mut q, requests) = OpQueue::restore(
        vec![(entry("m1", "c-new"), None), (entry("x1", "c2"), None)],
        Vec::new(),
        vec![(started("c-new"), None)],
        t0(),
    );
    assert_eq!(submitted(&requests), ["create:c-new", "x1"]);
    assert_eq!(submitted(&q.chat_made("c-new")), ["m1"]);
}

fn rename(id: &str, chat: &str, title: &str, previous: &str) -> Operation {
    Operation::rename_chat(id.into(), chat, title, previous, 1)
}

fn renames_in(requests: &[Request]) -> Vec<(String, String, String)> {
    requests
        .iter()
        .filter_map(|Request::Submit(op)| match &op.action {
            super::Action::RenameChat { title, previous } => {
                Some((op.id.clone(), title.clone(), previous.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn renames_made_before_one_goes_send_the_last_title_once_and_keep_the_first_previous() {
    let mut q = OpQueue::default();
    let now = t0();
    assert!(q
        .submit(rename("r1", "c", "Hikers", "Team"), now)
        .is_empty());
    assert!(q
        .submit(rename("r2", "c", "Trail crew", "Hikers"), now)
        .is_empty());
    let went = renames_in(&q.tick(now + super::marks::COALESCE));
    assert_eq!(
        went,
        vec![("r2".into(), "Trail crew".into(), "Team".into())],
        "one request, the last title, the name from before both"
    );
    // The API cannot take it now: it waits (the backoff), then goes again under its key.
    q.mark_failed("c", "r2", now + Duration::from_secs(5), None);
    assert!(renames_in(&q.tick(now + Duration::from_secs(1))).is_empty());
    let again = renames_in(&q.tick(now + Duration::from_secs(5)));
    assert_eq!(again[0].0, "r2");
    assert!(q
        .mark_answered("c", "r2", now + Duration::from_secs(6))
        .is_empty());
    assert_eq!(q.next_due(), None, "nothing left");
}

#[test]
fn a_rename_orders_nothing_else_and_is_ordered_by_nothing_else() {
    let mut q = OpQueue::default();
    let now = t0();
    // A refused message holds its chat's messages, not its rename.
    let bad = entry("m1", "c");
    q.submit(send(&bad), now);
    q.refused("m1", "too large".into());
    q.submit(rename("r1", "c", "New name", "Old"), now);
    assert_eq!(renames_in(&q.tick(now + super::marks::COALESCE)).len(), 1);
    // A rename waiting for the API holds no message.
    q.mark_failed("c", "r1", now + Duration::from_secs(60), None);
    let other = entry("m2", "d");
    assert_eq!(submitted(&q.submit(send(&other), now)), vec!["m2"]);
    q.cancel("m1").unwrap();
    let later = entry("m3", "c");
    assert_eq!(submitted(&q.submit(send(&later), now)), vec!["m3"]);
    assert!(!renames_in(&q.tick(now + Duration::from_secs(60))).is_empty());
    q.mark_answered("c", "r1", now + Duration::from_secs(61));
    // Someone else renamed it since; setting the same name again goes (unlike a read mark, a
    // title can be set back: the client skips only a rename to the name the chat has now).
    q.submit(
        rename("r2", "c", "New name", "Theirs"),
        now + Duration::from_secs(62),
    );
    let again = renames_in(&q.tick(now + Duration::from_secs(63)));
    assert_eq!(
        again,
        vec![("r2".into(), "New name".into(), "Theirs".into())]
    );
}
