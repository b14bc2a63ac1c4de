use super::*;

fn profile(id: &str, name: &str) -> Profile {
    Profile {
        user_id: id.into(),
        display_name: name.into(),
    }
}

fn record(msg_id: &str, sender: &str, body: &str, at: u64) -> Message {
    Message {
        msg_id: msg_id.into(),
        chat_id: "c-1".into(),
        sender_id: sender.into(),
        client_msg_id: None,
        body: body.into(),
        sent_at_ms: at,
        attachments: vec![],
    }
}

fn timeline() -> Timeline {
    Timeline::new(
        Profile {
            user_id: "u-me".into(),
            display_name: "Me".into(),
        },
        vec![
            domain::Chat {
                chat_id: "c-1".into(),
                title: "Bob".into(),
                members: vec![profile("u-me", "Me"), profile("u-bob", "Bob")],
                last_message: Some(record("m-1", "u-bob", "hi", 100)),
                read_marks: vec![],
            },
            domain::Chat {
                chat_id: "c-2".into(),
                title: "Quiet".into(),
                members: vec![profile("u-me", "Me")],
                last_message: None,
                read_marks: vec![],
            },
        ],
    )
}

#[test]
fn duplicate_events_are_applied_once() {
    let mut t = timeline();
    let first = t.apply_remote(
        Cursor::from_backend(1),
        &record("m-2", "u-bob", "again", 200),
    );
    let second = t.apply_remote(
        Cursor::from_backend(1),
        &record("m-2", "u-bob", "again", 200),
    );
    assert_eq!(first.len(), 2);
    assert!(second.is_empty());
    assert_eq!(t.messages("c-1").len(), 2);
    assert_eq!(t.summaries()[0].unread_count, 1);
}

#[test]
fn pending_then_ack_keeps_one_message_and_advances_the_cursor() {
    let mut t = timeline();
    let (pending, events) = t
        .add_pending("c-1", "cm-1".into(), "yo".into(), 300, vec![])
        .unwrap();
    assert_eq!(pending.state, MessageState::Pending);
    assert!(matches!(events[0], CoreEvent::MessageAdded { .. }));
    let events = t.mark_sent("cm-1", "m-9".into(), Cursor::from_backend(5));
    let CoreEvent::MessageUpdated { message } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(message.state, MessageState::Sent);
    assert_eq!(message.msg_id.as_deref(), Some("m-9"));
    assert_eq!(t.cursor().position(), 5);
    // The same message echoed by the server (e.g. from another session) changes nothing new.
    let mut echo = record("m-9", "u-me", "yo", 300);
    echo.client_msg_id = Some("cm-1".into());
    t.apply_remote(Cursor::from_backend(5), &echo);
    assert_eq!(t.messages("c-1").len(), 2);
}

#[test]
fn incoming_messages_stay_before_pending_ones_and_open_chats_stay_read() {
    let mut t = timeline();
    t.open("c-1");
    t.add_pending("c-1", "cm-1".into(), "mine".into(), 300, vec![])
        .unwrap();
    t.apply_remote(
        Cursor::from_backend(1),
        &record("m-2", "u-bob", "theirs", 250),
    );
    let bodies: Vec<String> = t.messages("c-1").into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["hi", "theirs", "mine"]);
    assert_eq!(t.summaries()[0].unread_count, 0);
}

#[test]
fn history_merges_without_duplicates() {
    let mut t = timeline();
    t.apply_remote(
        Cursor::from_backend(1),
        &record("m-2", "u-bob", "live", 200),
    );
    t.load_history(
        "c-1",
        vec![
            record("m-0", "u-bob", "old", 50),
            record("m-1", "u-bob", "hi", 100),
        ],
    );
    let bodies: Vec<String> = t.messages("c-1").into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["old", "hi", "live"]);
    assert!(!t.needs_history("c-1"));
}

#[test]
fn an_unsent_message_already_shown_from_the_cache_is_not_shown_twice() {
    let me = Profile {
        user_id: "u-me".into(),
        display_name: "Me".into(),
    };
    let cached = ChatMessage {
        client_msg_id: Some("cm-1".into()),
        msg_id: None,
        chat_id: "c-1".into(),
        sender_id: "u-me".into(),
        sender_name: "Me".into(),
        body: "unsent".into(),
        sent_at_ms: 100,
        seq: None,
        state: MessageState::Pending,
        failure: None,
        own: true,
        attachments: vec![],
    };
    let mut t = Timeline::from_cache(
        me,
        vec![ChatSummary {
            chat_id: "c-1".into(),
            title: "Bob".into(),
            member_names: vec!["Bob".into()],
            last_message: Some(cached),
            unread_count: 0,
            muted: false,
            pinned: false,
            creation: None,
        }],
    );
    t.add_unsent("c-1", "cm-1".into(), "unsent".into(), 100, None, vec![]);
    assert_eq!(t.messages("c-1").len(), 1);
    t.mark_sent("cm-1", "m-1".into(), Cursor::from_backend(1));
    assert_eq!(t.messages("c-1")[0].state, MessageState::Sent);
}

#[test]
fn a_late_ack_puts_the_message_back_in_server_order() {
    let mut t = timeline();
    for id in ["cm-1", "cm-2", "cm-3"] {
        t.add_pending("c-1", id.into(), id.into(), 300, vec![])
            .unwrap();
    }
    // The first ack was lost; the others came; the resend's ack brings the original seq.
    t.mark_sent("cm-2", "m-11".into(), Cursor::from_backend(11));
    t.mark_sent("cm-3", "m-12".into(), Cursor::from_backend(12));
    t.mark_sent("cm-1", "m-10".into(), Cursor::from_backend(10));
    let bodies: Vec<String> = t.messages("c-1").into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["hi", "cm-1", "cm-2", "cm-3"]);
}

#[test]
fn a_late_ack_after_a_restart_is_placed_among_history_by_server_id() {
    // After a restart the chat came from a history page (no sequence numbers): the message
    // written before, whose ack was lost, is acknowledged only now, and belongs before the
    // later one the page already showed.
    let mut t = timeline();
    t.load_history(
        "c-1",
        vec![
            record("m-1", "u-bob", "hi", 100),
            record("m-3", "u-me", "later one", 400),
        ],
    );
    t.add_unsent(
        "c-1",
        "cm-1".into(),
        "earlier one".into(),
        300,
        None,
        vec![],
    );
    t.mark_sent("cm-1", "m-2".into(), Cursor::from_backend(11));
    let bodies: Vec<String> = t.messages("c-1").into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["hi", "earlier one", "later one"]);
}

#[test]
fn events_out_of_order_are_shown_in_server_order() {
    let mut t = timeline();
    t.apply_remote(
        Cursor::from_backend(3),
        &record("m-3", "u-bob", "third", 300),
    );
    t.apply_remote(
        Cursor::from_backend(2),
        &record("m-2", "u-bob", "second", 200),
    );
    t.apply_remote(
        Cursor::from_backend(2),
        &record("m-2", "u-bob", "second", 200),
    );
    let bodies: Vec<String> = t.messages("c-1").into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["hi", "second", "third"]);
    assert_eq!(t.cursor().position(), 3);
}

#[test]
fn chats_sort_by_latest_activity() {
    let mut t = timeline();
    assert_eq!(t.summaries()[0].chat_id, "c-1");
    let mut r = record("m-3", "u-bob", "new", 999);
    r.chat_id = "c-2".into();
    t.apply_remote(Cursor::from_backend(1), &r);
    assert_eq!(t.summaries()[0].chat_id, "c-2");
}

#[test]
fn a_chat_started_here_is_listed_at_once_then_shown_as_the_server_made_it_or_removed() {
    let mut t = timeline();
    let events = t.add_started_chat("c-new", "Lunch", &["u-bob".into()], None);
    let [CoreEvent::ChatUpdated { chat }] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(chat.creation, Some(ChatCreation::Pending));
    assert_eq!(chat.member_names, ["Me", "Bob"]);
    // Nothing to fetch from the server: it has no history there yet.
    assert!(!t.needs_history("c-new"));
    assert!(t.is_unmade("c-new"));

    t.set_chat_failure("c-new", Some("no such user".into()));
    assert_eq!(
        t.summary_of("c-new").unwrap().creation,
        Some(ChatCreation::Failed {
            reason: "no such user".into()
        })
    );
    // A chat the server made is not "unmade": it cannot be failed or removed this way.
    assert!(t.set_chat_failure("c-1", Some("x".into())).is_empty());
    assert!(t.remove_unmade_chat("c-1").is_empty());

    t.chat_made(domain::Chat {
        chat_id: "c-new".into(),
        title: "Bob".into(),
        members: vec![profile("u-me", "Me"), profile("u-bob", "Bob")],
        last_message: None,
        read_marks: vec![],
    });
    let made = t.summary_of("c-new").unwrap();
    assert_eq!(made.creation, None);
    assert_eq!(
        made.title, "Bob",
        "a chat of two shows as the server titles it"
    );
    assert!(!t.is_unmade("c-new"));

    t.add_started_chat("c-gone", "Ghosts", &["u-bob".into()], None);
    let events = t.remove_unmade_chat("c-gone");
    assert!(
        matches!(events.as_slice(), [CoreEvent::ChatRemoved { chat_id }] if chat_id == "c-gone")
    );
    assert!(!t.has_chat("c-gone"));
}

#[test]
fn a_chat_the_server_announces_is_listed_at_once_renamed_in_place_and_confirms_one_started_here() {
    let mut t = timeline();
    let chat = |id: &str, title: &str| domain::Chat {
        chat_id: id.into(),
        title: title.into(),
        members: vec![profile("u-me", "Me"), profile("u-carol", "Carol")],
        last_message: None,
        read_marks: vec![],
    };
    let events = t.chat_announced(Cursor::from_backend(7), chat("c-new", "Book club"));
    assert!(
        matches!(events.as_slice(), [CoreEvent::ChatUpdated { chat }] if chat.title == "Book club")
    );
    assert_eq!(
        t.cursor(),
        Cursor::from_backend(7),
        "the cursor moves with it"
    );
    // New members are known by name from then on.
    assert_eq!(t.name_of("u-carol"), "Carol");
    t.chat_announced(Cursor::from_backend(8), chat("c-new", "Reading group"));
    assert_eq!(t.summary_of("c-new").unwrap().title, "Reading group");
    assert_eq!(
        t.summaries()
            .iter()
            .filter(|c| c.chat_id == "c-new")
            .count(),
        1
    );

    // One started here is made when the server announces it, even before its answer.
    t.add_started_chat("c-mine", "Lunch", &["u-carol".into()], None);
    t.chat_announced(Cursor::from_backend(9), chat("c-mine", "Carol"));
    assert_eq!(t.summary_of("c-mine").unwrap().creation, None);
}
