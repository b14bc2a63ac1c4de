//! The backend contract as tests: one suite, run against every [`Backend`] (protocol v1 on the
//! real mock server over loopback, and the in-memory backend), the way matrix-rust-sdk runs one
//! store suite against every store. `docs/backend.md` states the same contract in words.
//!
//! Each case gets two accounts that share a chat and uses only the trait.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::{Backend, Live, Outgoing, Submitter, Upload};
use crate::connection::ConnectionSink;
use crate::domain::{Attachment, Chat, Cursor, RemoteEvent};
use crate::events::EventBus;
use crate::model::{ConnectionState, ServiceRole, ServiceState, TransferFile};
use crate::transfer_progress::ProgressMeter;

pub(crate) const DEADLINE: Duration = Duration::from_secs(20);

/// How many events per account the harnesses' servers keep: a client further behind is told of
/// a gap.
pub(crate) const KEPT_EVENTS: usize = 100;

/// Two signed-in accounts and the chat they share.
pub(crate) struct Accounts {
    pub alice: Arc<dyn Backend>,
    pub bob: Arc<dyn Backend>,
    pub alice_id: String,
    pub bob_id: String,
    pub chat_id: String,
    /// A chat Alice is in and Bob is not.
    pub alice_only_chat: String,
    /// Keeps the server running for the case.
    pub _server: Box<dyn std::any::Any + Send + Sync>,
}

/// What a backend reported to one sink.
#[derive(Default)]
pub(crate) struct Seen {
    pub cursor: Option<Cursor>,
    pub events: Vec<(Cursor, RemoteEvent)>,
    pub acked: Vec<(String, String, Cursor)>,
    pub refused: Vec<(String, String)>,
    pub gaps: Vec<(Cursor, Cursor)>,
    /// How many events had been delivered when each gap was reported.
    pub events_before_gap: Vec<usize>,
    /// For each acknowledgement: its cursor and the cursors of the events delivered before it.
    pub acks_seen: Vec<(Cursor, std::collections::BTreeSet<Cursor>)>,
    pub connected: bool,
    /// Health reports: service id and state.
    pub services: Vec<(String, ServiceState)>,
    /// Each time the backend said the server ended the sign-in: the reason.
    pub sign_ins_ended: Vec<String>,
    /// Handed over and not yet answered, in the order handed (this sink stands in for the
    /// core's queue, which a backend asks for them).
    pub unanswered: Vec<Outgoing>,
    /// Each "not now": the key and the floor.
    pub retry_later: Vec<(String, Duration)>,
}

impl Seen {
    /// `key` has an answer (or waits for the core to hand it over again): no longer unanswered.
    fn answered(&mut self, key: &str) {
        if let Some(at) = self.unanswered.iter().position(|o| o.client_msg_id == key) {
            self.unanswered.remove(at);
        }
    }
}

/// A sink that records everything and can be waited on.
#[derive(Default)]
pub(crate) struct Recorder {
    seen: Mutex<Seen>,
    changed: Notify,
}

impl Recorder {
    /// A sink that has applied everything up to `cursor`.
    pub fn at(cursor: Cursor) -> Arc<Recorder> {
        let recorder = Recorder::default();
        recorder.lock().cursor = Some(cursor);
        Arc::new(recorder)
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait (with a deadline) until `done` holds for what was seen; returns its answer.
    pub async fn until<T>(&self, what: &str, mut done: impl FnMut(&Seen) -> Option<T>) -> T {
        tokio::time::timeout(DEADLINE, async {
            loop {
                let changed = self.changed.notified();
                if let Some(answer) = done(&self.lock()) {
                    return answer;
                }
                changed.await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
    }

    /// Where to hand operations over to `live`: like its own submitter, and the handed ones
    /// are unanswered here until an outcome (as the core's queue keeps them).
    pub fn submitter(self: &Arc<Self>, live: &dyn Live) -> Submitter {
        let inner = live.submitter();
        let seen = self.clone();
        Submitter::new(move |op| {
            seen.record(|s| s.unanswered.push(op.clone()));
            inner.send(op);
        })
    }

    fn record(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut self.lock());
        self.changed.notify_waiters();
    }
}

impl ConnectionSink for Recorder {
    fn cursor(&self) -> Option<Cursor> {
        self.lock().cursor
    }
    fn apply_event(&self, at: Cursor, event: RemoteEvent) {
        self.record(|s| {
            s.cursor = Some(s.cursor.map_or(at, |c| c.max(at)));
            s.events.push((at, event));
        });
    }
    fn acked(&self, client_msg_id: &str, msg_id: String, at: Cursor) {
        self.record(|s| {
            let delivered = s.events.iter().map(|(c, _)| *c).collect();
            s.acks_seen.push((at, delivered));
            s.acked.push((client_msg_id.to_owned(), msg_id, at));
            s.answered(client_msg_id);
        });
    }
    fn refused(&self, client_msg_id: &str, reason: String) {
        self.record(|s| {
            s.refused.push((client_msg_id.to_owned(), reason));
            s.answered(client_msg_id);
        });
    }
    fn retry_later(&self, client_msg_id: &str, floor: Duration) {
        self.record(|s| {
            s.retry_later.push((client_msg_id.to_owned(), floor));
            s.answered(client_msg_id);
        });
    }
    fn unanswered(&self, limit: usize) -> Vec<Outgoing> {
        self.lock().unanswered.iter().take(limit).cloned().collect()
    }
    fn gap(&self, after: Cursor, resumes_at: Cursor) {
        self.record(|s| {
            s.gaps.push((after, resumes_at));
            s.events_before_gap.push(s.events.len());
            let skipped_to = Cursor::from_backend(resumes_at.position().saturating_sub(1));
            s.cursor = Some(s.cursor.map_or(skipped_to, |c| c.max(skipped_to)));
        });
    }
    fn connection(&self, state: ConnectionState) {
        self.record(|s| s.connected = matches!(state, ConnectionState::Connected { .. }));
    }
    fn service(&self, service: &str, state: ServiceState, _detail: Option<String>) {
        self.record(|s| s.services.push((service.to_owned(), state)));
    }
    fn sign_in_ended(&self, reason: String) {
        self.record(|s| s.sign_ins_ended.push(reason));
    }
}

pub(crate) fn text(chat_id: &str, key: &str, body: &str) -> Outgoing {
    Outgoing {
        client_msg_id: key.to_owned(),
        chat_id: chat_id.to_owned(),
        body: body.to_owned(),
        attachments: Vec::new(),
    }
}

/// The messages `seen` received, as (idempotency key or server id, body).
pub(crate) fn bodies(seen: &Seen, chat_id: &str) -> Vec<String> {
    seen.events
        .iter()
        .filter_map(|(_, e)| match e {
            RemoteEvent::MessageCreated(m) if m.chat_id == chat_id => Some(m.body.clone()),
            _ => None,
        })
        .collect()
}

/// Connect `backend` with a recorder that starts at the server's head now, and wait until it is
/// live (what happens from then on comes over the live connection).
async fn live(backend: &Arc<dyn Backend>) -> (Box<dyn Live>, Arc<Recorder>) {
    let head = backend.first_view().await.expect("first view").head;
    let recorder = Recorder::at(head);
    let live = backend.connect(recorder.clone()).expect("connect");
    recorder
        .until("the live connection", |s| s.connected.then_some(()))
        .await;
    (live, recorder)
}

/// Send `bodies` as `backend`'s account and wait until each is acknowledged; their server ids.
async fn send_all(
    backend: &Arc<dyn Backend>,
    chat_id: &str,
    prefix: &str,
    bodies: &[&str],
) -> Vec<String> {
    let (live, recorder) = live(backend).await;
    let submitter = recorder.submitter(&*live);
    for (i, body) in bodies.iter().enumerate() {
        submitter.send(text(chat_id, &format!("{prefix}-{i}"), body));
    }
    let ids = recorder
        .until("acknowledgements", |s| {
            let ids: Vec<String> = (0..bodies.len())
                .filter_map(|i| {
                    let key = format!("{prefix}-{i}");
                    s.acked
                        .iter()
                        .find(|(k, _, _)| *k == key)
                        .map(|(_, id, _)| id.clone())
                })
                .collect();
            (ids.len() == bodies.len()).then_some(ids)
        })
        .await;
    drop(live);
    ids
}

pub(crate) async fn first_view_lists_the_shared_chat(a: Accounts) {
    let view = a.alice.first_view().await.unwrap();
    let chat = view
        .chats
        .iter()
        .find(|c| c.chat_id == a.chat_id)
        .expect("the shared chat is listed");
    let members: Vec<&str> = chat.members.iter().map(|m| m.user_id.as_str()).collect();
    assert!(members.contains(&a.alice_id.as_str()), "{members:?}");
    assert!(members.contains(&a.bob_id.as_str()), "{members:?}");
}

pub(crate) async fn a_message_is_stored_once_per_key_and_reaches_the_other_member(a: Accounts) {
    let (bob_live, bob_seen) = live(&a.bob).await;
    let (alice_live, alice_seen) = live(&a.alice).await;
    let submitter = alice_seen.submitter(&*alice_live);
    submitter.send(text(&a.chat_id, "contract-once", "only once"));
    let (msg_id, at) = alice_seen
        .until("the acknowledgement", |s| {
            s.acked
                .iter()
                .find(|(k, _, _)| k == "contract-once")
                .map(|(_, id, at)| (id.clone(), *at))
        })
        .await;
    assert!(at > Cursor::START);
    // Handed again under the same key (a retry after an answer was lost): acknowledged again
    // as the same message, not stored twice.
    submitter.send(text(&a.chat_id, "contract-once", "only once"));
    let again = alice_seen
        .until("the second acknowledgement", |s| {
            let acks: Vec<&String> = s
                .acked
                .iter()
                .filter(|(k, _, _)| k == "contract-once")
                .map(|(_, id, _)| id)
                .collect();
            (acks.len() >= 2).then(|| acks[1].clone())
        })
        .await;
    assert_eq!(again, msg_id);
    let received = bob_seen
        .until("the message at the other member", |s| {
            s.events.iter().find_map(|(_, e)| match e {
                RemoteEvent::MessageCreated(m) if m.msg_id == msg_id => Some(m.clone()),
                _ => None,
            })
        })
        .await;
    assert_eq!(received.sender_id, a.alice_id);
    assert_eq!(received.client_msg_id.as_deref(), Some("contract-once"));
    let page = a.bob.history(&a.chat_id, None, 50).await.unwrap();
    let copies = page
        .messages
        .iter()
        .filter(|m| m.client_msg_id.as_deref() == Some("contract-once"))
        .count();
    assert_eq!(copies, 1, "one key, one stored message");
    drop((bob_live, alice_live));
}

pub(crate) async fn events_resume_after_a_cursor_in_order(a: Accounts) {
    let before = a.bob.first_view().await.unwrap().head;
    send_all(&a.alice, &a.chat_id, "resume", &["one", "two", "three"]).await;
    // Bob was away: connecting from his cursor brings what he missed, in order.
    let seen = Recorder::at(before);
    let live = a.bob.connect(seen.clone()).unwrap();
    let cursors = seen
        .until("three missed messages", |s| {
            (bodies(s, &a.chat_id).len() >= 3)
                .then(|| s.events.iter().map(|(c, _)| *c).collect::<Vec<_>>())
        })
        .await;
    assert_eq!(bodies(&seen.lock(), &a.chat_id), ["one", "two", "three"]);
    assert!(
        cursors.iter().all(|c| *c > before),
        "{cursors:?} after {before:?}"
    );
    assert!(
        cursors.windows(2).all(|w| w[0] < w[1]),
        "in order: {cursors:?}"
    );
    drop(live);
}

pub(crate) async fn a_client_behind_the_kept_log_is_told_of_the_gap(a: Accounts) {
    let before = a.bob.first_view().await.unwrap().head;
    let sent: Vec<String> = (0..KEPT_EVENTS + 10).map(|i| format!("g{i}")).collect();
    let refs: Vec<&str> = sent.iter().map(String::as_str).collect();
    send_all(&a.alice, &a.chat_id, "gap", &refs).await;
    // Bob was away longer than the server keeps events: told first, then given what is kept.
    let seen = Recorder::at(before);
    let live = a.bob.connect(seen.clone()).unwrap();
    let last = sent.last().unwrap().clone();
    seen.until("the gap and the newest event", |s| {
        (!s.gaps.is_empty() && bodies(s, &a.chat_id).last() == Some(&last)).then_some(())
    })
    .await;
    let seen = seen.lock();
    let (after, resumes_at) = seen.gaps[0];
    assert_eq!(after, before);
    assert!(resumes_at > before);
    assert_eq!(
        seen.events_before_gap[0], 0,
        "told of the gap before any event"
    );
    let got = bodies(&seen, &a.chat_id);
    assert_eq!(
        got,
        sent[sent.len() - KEPT_EVENTS..],
        "every kept event, the newest, in order"
    );
    assert!(seen.events.iter().all(|(c, _)| *c >= resumes_at));
    drop(live);
}

pub(crate) async fn an_ack_never_passes_an_event_not_yet_delivered(a: Accounts) {
    let (alice_live, seen) = live(&a.alice).await;
    let (bob_live, bob_seen) = live(&a.bob).await;
    // Both write at once: Bob's messages become events in Alice's log between her own. (Fewer
    // than the server keeps, so a slow reader is never handed a gap instead.)
    const EACH: usize = 40;
    let (alice_out, bob_out) = (seen.submitter(&*alice_live), bob_seen.submitter(&*bob_live));
    for i in 0..EACH {
        alice_out.send(text(
            &a.chat_id,
            &format!("order-a-{i}"),
            &format!("alice {i}"),
        ));
        bob_out.send(text(
            &a.chat_id,
            &format!("order-b-{i}"),
            &format!("bob {i}"),
        ));
        tokio::task::yield_now().await;
    }
    bob_seen
        .until("bob's acks", |s| (s.acked.len() >= EACH).then_some(()))
        .await;
    seen.until("alice's acks and bob's messages", |s| {
        // Distinct: an event may arrive twice (the catch-up beside a new link overlaps it), and
        // the contract leaves applying it once to the sink.
        let from_bob: std::collections::HashSet<String> = bodies(s, &a.chat_id)
            .into_iter()
            .filter(|b| b.starts_with("bob "))
            .collect();
        (s.acked.len() >= EACH && from_bob.len() == EACH).then_some(())
    })
    .await;
    let seen = seen.lock();
    let all: Vec<Cursor> = seen.events.iter().map(|(c, _)| *c).collect();
    for (at, delivered) in &seen.acks_seen {
        let passed: Vec<&Cursor> = all
            .iter()
            .filter(|c| *c < at && !delivered.contains(c))
            .collect();
        assert!(
            passed.is_empty(),
            "the ack at {at:?} came before {passed:?}"
        );
    }
    drop((alice_live, bob_live));
}

pub(crate) async fn history_pages_back_oldest_first(a: Accounts) {
    let ids = send_all(
        &a.alice,
        &a.chat_id,
        "page",
        &["p1", "p2", "p3", "p4", "p5"],
    )
    .await;
    let newest = a.bob.history(&a.chat_id, None, 2).await.unwrap();
    let got: Vec<&str> = newest.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(got, ["p4", "p5"]);
    assert!(newest.has_more);
    let older = a.bob.history(&a.chat_id, Some(&ids[3]), 2).await.unwrap();
    let got: Vec<&str> = older.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(got, ["p2", "p3"]);
}

pub(crate) async fn read_marks_reach_the_other_member_and_only_move_forward(a: Accounts) {
    let ids = send_all(&a.alice, &a.chat_id, "read", &["one", "two", "three"]).await;
    let (live, seen) = live(&a.alice).await;
    let marks_of_bob = |s: &Seen| -> Vec<String> {
        s.events
            .iter()
            .filter_map(|(_, e)| match e {
                RemoteEvent::ReadWatermark {
                    user_id,
                    msg_id,
                    chat_id,
                } if *user_id == a.bob_id && *chat_id == a.chat_id => Some(msg_id.clone()),
                _ => None,
            })
            .collect()
    };
    a.bob.mark_read(&a.chat_id, &ids[1]).await.unwrap();
    // Only that mark, perhaps twice (by the live link and by the catch-up beside it).
    seen.until("bob's read mark", |s| {
        let marks = marks_of_bob(s);
        (!marks.is_empty() && marks.iter().all(|m| *m == ids[1])).then_some(())
    })
    .await;
    // An older mark is accepted and ignored: it reaches no one.
    a.bob.mark_read(&a.chat_id, &ids[0]).await.unwrap();
    a.bob.mark_read(&a.chat_id, &ids[2]).await.unwrap();
    let marks = seen
        .until("bob's newest mark", |s| {
            let marks = marks_of_bob(s);
            (marks.last() == Some(&ids[2])).then_some(marks)
        })
        .await;
    // (A mark may come twice, say by the live link and by a catch-up; never the older one.)
    assert!(
        !marks.contains(&ids[0]),
        "never back to the older one: {marks:?}"
    );
    let view = a.alice.first_view().await.unwrap();
    let chat = view.chats.iter().find(|c| c.chat_id == a.chat_id).unwrap();
    let bob = chat.read_marks.iter().find(|m| m.user_id == a.bob_id);
    assert_eq!(bob.map(|m| m.msg_id.as_str()), Some(ids[2].as_str()));
    drop(live);
}

pub(crate) async fn files_go_up_and_come_back(a: Accounts) {
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let meter = |file| ProgressMeter::start(EventBus::default(), file, bytes.len() as u64);
    let up = meter(TransferFile::Upload {
        client_msg_id: "contract-file".into(),
        position: 0,
    });
    let stored: Attachment = a
        .alice
        .upload(
            Upload {
                name: "report.bin",
                mime: "application/octet-stream",
                bytes: bytes.clone().into(),
            },
            &up,
        )
        .await
        .unwrap();
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(stored.name, "report.bin");
    let down = meter(TransferFile::Download {
        media_id: stored.media_id.clone(),
    });
    // A file is private to its uploader until a message shares it.
    let err = a
        .bob
        .download(&stored.media_id, 1 << 20, &down)
        .await
        .unwrap_err();
    assert!(!err.retryable(), "{err}");
    let (live, seen) = live(&a.bob).await;
    let (alice_live, alice_seen) = self::live(&a.alice).await;
    let mut message = text(&a.chat_id, "contract-file", "the report");
    message.attachments = vec![stored.clone()];
    alice_seen.submitter(&*alice_live).send(message);
    alice_seen
        .until("the file message's ack", |s| {
            (!s.acked.is_empty()).then_some(())
        })
        .await;
    let received = seen
        .until("the file message at bob", |s| {
            s.events.iter().find_map(|(_, e)| match e {
                RemoteEvent::MessageCreated(m) if !m.attachments.is_empty() => {
                    Some(m.attachments.clone())
                }
                _ => None,
            })
        })
        .await;
    assert_eq!(received, std::slice::from_ref(&stored));
    let back = a
        .bob
        .download(&stored.media_id, 1 << 20, &down)
        .await
        .unwrap();
    assert_eq!(back, bytes);
    // Larger than the caller accepts: refused, not read to the end.
    assert!(a.bob.download(&stored.media_id, 10, &down).await.is_err());
    drop((live, alice_live));
}

pub(crate) async fn a_rename_reaches_the_members_and_bad_ones_are_refused_for_good(a: Accounts) {
    let (alice_live, alice_seen) = self::live(&a.alice).await;
    // A chat of Alice alone keeps the name it is given (a chat of two is titled after the other
    // person, whatever its name).
    let key = format!("c-{}", uuid::Uuid::new_v4().simple());
    a.alice.create_chat(&key, "Notes", &[]).await.unwrap();
    a.alice.rename_chat(&key, "Notes to self").await.unwrap();
    alice_seen
        .until("the new name at alice", |s| {
            s.events
                .iter()
                .any(|(_, e)| {
                    matches!(e, RemoteEvent::ChatUpdated(c) if c.chat_id == key && c.title == "Notes to self")
                })
                .then_some(())
        })
        .await;
    // Asked again (an answer lost on the way): the same name, no harm.
    a.alice.rename_chat(&key, "Notes to self").await.unwrap();
    for (chat, title) in [(key.as_str(), "   "), ("c-no-such-chat", "Anything")] {
        let err = a.alice.rename_chat(chat, title).await.unwrap_err();
        assert!(!err.retryable(), "{chat} {title:?}: {err}");
    }
    // Not a member: refused.
    let err = a.bob.rename_chat(&key, "Mine now").await.unwrap_err();
    assert!(!err.retryable(), "{err}");
    drop(alice_live);
}

pub(crate) async fn a_new_chat_reaches_its_members(a: Accounts) {
    let (live, seen) = live(&a.bob).await;
    let (alice_live, alice_seen) = self::live(&a.alice).await;
    let key = format!("c-{}", uuid::Uuid::new_v4().simple());
    let chat = a
        .alice
        .create_chat(&key, "Contract chat", std::slice::from_ref(&a.bob_id))
        .await
        .unwrap();
    assert_eq!(chat.chat_id, key, "the chat has the id the client chose");
    let name_of = |chat: &Chat, id: &str| {
        chat.members
            .iter()
            .find(|m| m.user_id == id)
            .map(|m| m.display_name.clone())
            .unwrap_or_else(|| panic!("{id} is a member of {chat:?}"))
    };
    // A chat of two is a direct chat: each side sees it titled after the other person.
    assert_eq!(chat.title, name_of(&chat, &a.bob_id));
    seen.until("the new chat at bob", |s| {
        s.events
            .iter()
            .any(|(_, e)| matches!(e, RemoteEvent::ChatUpdated(c) if c.chat_id == chat.chat_id))
            .then_some(())
    })
    .await;
    // The creator's other devices learn of it too.
    alice_seen
        .until("the new chat at alice", |s| {
            s.events
                .iter()
                .any(|(_, e)| matches!(e, RemoteEvent::ChatUpdated(c) if c.chat_id == chat.chat_id))
                .then_some(())
        })
        .await;
    // Asked again under the same id (an answer lost on the way): the same chat, made once.
    let again = a
        .alice
        .create_chat(&key, "Contract chat", std::slice::from_ref(&a.bob_id))
        .await
        .unwrap();
    assert_eq!(again.chat_id, chat.chat_id);
    // Someone else cannot take that id.
    let err = a
        .bob
        .create_chat(&key, "Taken", std::slice::from_ref(&a.alice_id))
        .await
        .unwrap_err();
    assert!(!err.retryable(), "{err}");
    // A message after it: by the time Bob has it, any second announcement would be there too.
    alice_seen.submitter(&*alice_live).send(text(
        &a.chat_id,
        &format!("after-{key}"),
        "after the new chat",
    ));
    seen.until("the message after the new chat", |s| {
        bodies(s, &a.chat_id)
            .iter()
            .any(|b| b == "after the new chat")
            .then_some(())
    })
    .await;
    let announced = seen
        .lock()
        .events
        .iter()
        .filter(|(_, e)| matches!(e, RemoteEvent::ChatUpdated(c) if c.chat_id == chat.chat_id))
        .count();
    assert_eq!(announced, 1, "bob heard of the chat once");
    drop(alice_live);
    let listed = a.bob.first_view().await.unwrap();
    let at_bob = listed
        .chats
        .iter()
        .find(|c| c.chat_id == chat.chat_id)
        .expect("bob lists the new chat");
    assert_eq!(at_bob.title, name_of(at_bob, &a.alice_id));
    let chats_named_so = listed.chats.iter().filter(|c| c.chat_id == key).count();
    assert_eq!(chats_named_so, 1);
    drop(live);
}

pub(crate) async fn bad_requests_are_refused_for_good(a: Accounts) {
    let err = a
        .alice
        .history("c-no-such-chat", None, 10)
        .await
        .unwrap_err();
    assert!(!err.retryable(), "{err}");
    // A chat that exists, but not for Bob: neither its history nor a read mark.
    let err = a
        .bob
        .history(&a.alice_only_chat, None, 10)
        .await
        .unwrap_err();
    assert!(!err.retryable(), "{err}");
    let listed = a.bob.first_view().await.unwrap();
    assert!(!listed.chats.iter().any(|c| c.chat_id == a.alice_only_chat));
    let (live, seen) = live(&a.alice).await;
    seen.submitter(&*live)
        .send(text("c-no-such-chat", "contract-nowhere", "to nowhere"));
    let reason = seen
        .until("the refusal", |s| {
            s.refused
                .iter()
                .find(|(k, _)| k == "contract-nowhere")
                .map(|(_, r)| r.clone())
        })
        .await;
    assert!(!reason.is_empty());
    assert!(seen.lock().acked.is_empty());
    drop(live);
}

/// 11. A backend names its services once, each with a unique id and a name, one of them
///     carrying live updates; once connected, that one is reported up, and every health report
///     names a declared service.
pub(crate) async fn services_are_declared_and_reports_name_them(a: Accounts) {
    let declared = a.alice.services();
    let ids: std::collections::HashSet<&str> = declared.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids.len(),
        declared.len(),
        "service ids are unique: {declared:?}"
    );
    assert!(declared.iter().all(|s| !s.name.trim().is_empty()));
    let live_ids: Vec<&str> = declared
        .iter()
        .filter(|s| s.roles.contains(&ServiceRole::LiveUpdates))
        .map(|s| s.id.as_str())
        .collect();
    assert!(!live_ids.is_empty(), "no service carries live updates");
    let (live, seen) = live(&a.alice).await;
    let reports = seen
        .until("the live service reported up", |s| {
            s.services
                .iter()
                .any(|(id, state)| *state == ServiceState::Up && live_ids.contains(&id.as_str()))
                .then(|| s.services.clone())
        })
        .await;
    for (id, _) in reports {
        assert!(
            ids.contains(id.as_str()),
            "reported {id:?}, which it never declared"
        );
    }
    drop(live);
}

/// Run every case of the contract against the backend `accounts` sets up.
macro_rules! backend_contract {
    ($accounts:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn first_view_lists_the_shared_chat() {
            $crate::backend::contract::first_view_lists_the_shared_chat($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_message_is_stored_once_per_key_and_reaches_the_other_member() {
            $crate::backend::contract::a_message_is_stored_once_per_key_and_reaches_the_other_member($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn events_resume_after_a_cursor_in_order() {
            $crate::backend::contract::events_resume_after_a_cursor_in_order($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_client_behind_the_kept_log_is_told_of_the_gap() {
            $crate::backend::contract::a_client_behind_the_kept_log_is_told_of_the_gap($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn an_ack_never_passes_an_event_not_yet_delivered() {
            $crate::backend::contract::an_ack_never_passes_an_event_not_yet_delivered($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn history_pages_back_oldest_first() {
            $crate::backend::contract::history_pages_back_oldest_first($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn read_marks_reach_the_other_member_and_only_move_forward() {
            $crate::backend::contract::read_marks_reach_the_other_member_and_only_move_forward($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn files_go_up_and_come_back() {
            $crate::backend::contract::files_go_up_and_come_back($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_new_chat_reaches_its_members() {
            $crate::backend::contract::a_new_chat_reaches_its_members($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_rename_reaches_the_members_and_bad_ones_are_refused_for_good() {
            $crate::backend::contract::a_rename_reaches_the_members_and_bad_ones_are_refused_for_good($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn services_are_declared_and_reports_name_them() {
            $crate::backend::contract::services_are_declared_and_reports_name_them($accounts.await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn bad_requests_are_refused_for_good() {
            $crate::backend::contract::bad_requests_are_refused_for_good($accounts.await).await;
        }
    };
}
pub(crate) use backend_contract;
