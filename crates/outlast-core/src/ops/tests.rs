//! The queue's rules, driven input by input: no store, no connection, no clock.

use super::operation::{Lifecycle, OpError, Operation, Request};
use super::queue::OpQueue;
use crate::store::{OutboxEntry, OutboxFile};

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
    assert_eq!(submitted(&q.submit(send(&entry("m1", "c1")))), ["m1"]);
    assert_eq!(submitted(&q.submit(send(&entry("m2", "c1")))), ["m2"]);
    assert_eq!(submitted(&q.submit(send(&entry("m3", "c2")))), ["m3"]);
    assert!(q.all().iter().all(|op| op.state == Lifecycle::Submitted));
    // The key is the one the user's action made, for every attempt.
    let Request::Submit(op) = &q.submit(send(&entry("m4", "c1")))[0];
    assert_eq!(op.outgoing().client_msg_id, "m4");
    assert_eq!(op.outgoing().body, "body of m4");
}

#[test]
fn a_refused_operation_holds_its_chat_and_only_its_chat() {
    let mut q = OpQueue::default();
    q.submit(send(&entry("m1", "c1")));
    assert!(q.refused("m1", "too long".into()));
    assert_eq!(q.submit(send(&entry("m2", "c1"))), []);
    assert_eq!(q.submit(send(&entry("m3", "c1"))), []);
    assert_eq!(submitted(&q.submit(send(&entry("x1", "c2")))), ["x1"]);
    assert_eq!(q.get("m2").unwrap().state, Lifecycle::Queued);
    assert_eq!(q.refused_ids(None), ["m1"]);
    assert_eq!(q.refused_ids(Some("c2")), Vec::<String>::new());

    // Retried: it goes again under its key, and the held ones follow in order.
    assert_eq!(submitted(&q.retry("m1").unwrap()), ["m1", "m2", "m3"]);
}

#[test]
fn cancelling_the_refused_operation_releases_the_chat() {
    let mut q = OpQueue::default();
    q.submit(send(&entry("m1", "c1")));
    q.refused("m1", "refused".into());
    q.submit(send(&entry("m2", "c1")));
    let (gone, requests) = q.cancel("m1").unwrap();
    assert_eq!(gone.id, "m1");
    assert_eq!(submitted(&requests), ["m2"]);
    assert_eq!(q.cancel("m1").unwrap_err(), OpError::NotQueued);
    assert!(q.get("m1").is_none());
}

#[test]
fn only_a_refused_operation_can_be_edited_and_the_edit_is_what_goes() {
    let mut q = OpQueue::default();
    q.submit(send(&entry("m1", "c1")));
    assert_eq!(q.edit("m1", "new").unwrap_err(), OpError::NotRefused);
    assert_eq!(q.edit("nope", "new").unwrap_err(), OpError::NotQueued);
    q.refused("m1", "refused".into());
    q.edit("m1", "corrected").unwrap();
    let requests = q.retry("m1").unwrap();
    let Request::Submit(op) = &requests[0];
    assert_eq!(op.outgoing().body, "corrected");
}

#[test]
fn a_message_waits_for_its_files_and_holds_later_ones_until_the_last_is_up() {
    let mut q = OpQueue::default();
    assert_eq!(q.submit(send(&with_files("f1", "c1", 2))), []);
    assert_eq!(q.submit(send(&entry("m2", "c1"))), []);
    assert_eq!(submitted(&q.submit(send(&entry("x1", "c2")))), ["x1"]);
    let waiting: Vec<String> = q.waiting_for_files().into_iter().map(|o| o.id).collect();
    assert_eq!(waiting, ["f1"]);

    assert_eq!(q.file_uploaded("f1", 0, "media-0"), []);
    let requests = q.file_uploaded("f1", 1, "media-1");
    assert_eq!(submitted(&requests), ["f1", "m2"]);
    let Request::Submit(op) = &requests[0];
    let ids: Vec<String> = op
        .outgoing()
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
        q.submit(send(&entry(id, "c1")));
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
    q.submit(send(&entry("m1", "c1")));
    q.submit(send(&entry("m2", "c1")));
    assert_eq!(submitted(&q.retry("m2").unwrap()), ["m2"]);
}

#[test]
fn a_restored_queue_submits_everything_again_in_order_and_keeps_refusals() {
    let (q, requests) = OpQueue::restore(vec![
        (entry("a1", "c1"), None),
        (entry("b1", "c2"), Some("refused earlier".into())),
        (entry("a2", "c1"), None),
        (entry("b2", "c2"), None),
        (with_files("c1f", "c3", 1), None),
    ]);
    assert_eq!(submitted(&requests), ["a1", "a2"]);
    assert_eq!(
        q.get("b1").unwrap().state,
        Lifecycle::Refused {
            reason: "refused earlier".into()
        }
    );
    let order: Vec<&str> = q.all().into_iter().map(|op| op.id.as_str()).collect();
    assert_eq!(order, ["a1", "b1", "a2", "b2", "c1f"]);
    let shown = q.get("b1").unwrap().shown("u-me", "Me");
    assert_eq!(shown.failure.as_deref(), Some("refused earlier"));
    assert_eq!(shown.state, crate::model::MessageState::Failed);
}

#[test]
fn a_flush_of_ten_thousand_leaves_nothing_behind() {
    let mut q = OpQueue::default();
    let mut handed = 0;
    for n in 0..10_000 {
        handed += q.submit(send(&entry(&format!("m{n}"), "c1"))).len();
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
        q.submit(send(&entry(id, "c1")));
    }
    q.acked("m2");
    q.refused("m1", "refused".into());
    assert_eq!(q.submit(send(&entry("m4", "c1"))), [], "held behind m1");
    // m3 is still out with the connection: it is not handed over twice.
    assert_eq!(submitted(&q.retry("m1").unwrap()), ["m1", "m4"]);
    assert_eq!(submitted(&q.submit(send(&entry("m5", "c1")))), ["m5"]);
}
