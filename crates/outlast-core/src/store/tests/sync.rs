//! Messages from the event stream, the outbox and history pages.

use super::*;

#[test]
fn messages_apply_once_and_the_cursor_moves_with_them() {
    let dir = TempDir::new("apply");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let a = record("m-1", "c-jun", "u-jun", "hello", 10);
    let b = record("m-2", "c-jun", "u-jun", "again", 20);
    let added = store
        .apply_messages(
            &[
                (1, &a, "Jun Park"),
                (2, &b, "Jun Park"),
                (1, &a, "Jun Park"),
            ],
            "u-demo",
            None,
        )
        .unwrap();
    assert_eq!(added, 2);
    assert_eq!(
        store
            .apply_messages(&[(2, &b, "Jun Park")], "u-demo", None)
            .unwrap(),
        0
    );
    assert_eq!(store.cursor().unwrap().position(), 2);
    let messages = store.latest_messages("c-jun", 50).unwrap();
    assert_eq!(
        messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["hello", "again"]
    );
    let list = store.chat_list().unwrap();
    assert_eq!(list[0].chat_id, "c-jun", "most recently active first");
    assert_eq!(list[0].unread_count, 2);
    assert_eq!(list[0].last_message.as_ref().unwrap().body, "again");
    // An older event does not move the cursor back.
    let c = record("m-0", "c-team", "u-jun", "late", 5);
    store
        .apply_messages(&[(1, &c, "Jun Park")], "u-demo", Some("c-team"))
        .unwrap();
    assert_eq!(store.cursor().unwrap().position(), 2);
    assert_eq!(
        store.chat_list().unwrap()[1].unread_count,
        0,
        "the open chat gets no unread"
    );
}

#[test]
fn the_outbox_keeps_order_holds_a_chat_behind_a_failure_and_survives_reopening() {
    let dir = TempDir::new("outbox");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    for (id, chat) in [
        ("a1", "c-jun"),
        ("t1", "c-team"),
        ("a2", "c-jun"),
        ("t2", "c-team"),
    ] {
        let shown = store
            .enqueue(&entry(id, chat, id), "u-demo", "Demo User")
            .unwrap();
        assert_eq!(shown.state, MessageState::Pending);
    }
    drop(store);
    // A restart (or a crash) later: everything is still there, in order.
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    let order = |s: &Store| {
        s.sendable()
            .unwrap()
            .into_iter()
            .map(|e| e.client_msg_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&store), ["a1", "t1", "a2", "t2"]);

    store.failed("a1", "the chat was deleted").unwrap();
    assert_eq!(
        order(&store),
        ["t1", "t2"],
        "c-jun waits behind its failed message"
    );
    let failed = store.latest_messages("c-jun", 10).unwrap();
    assert_eq!(failed[0].state, MessageState::Failed);
    assert_eq!(failed[0].failure.as_deref(), Some("the chat was deleted"));

    store
        .apply_writes(&[acked("t1", "m-t1", 7)], "u-demo")
        .unwrap();
    assert_eq!(store.cursor().unwrap().position(), 7);
    store.retry("a1").unwrap();
    assert_eq!(order(&store), ["a1", "a2", "t2"]);
    store.cancel("a2").unwrap();
    assert_eq!(order(&store), ["a1", "t2"]);
    assert!(store
        .latest_messages("c-jun", 10)
        .unwrap()
        .iter()
        .all(|m| m.body != "a2"));
    assert!(matches!(
        store.cancel("a2"),
        Err(StoreError::NotInOutbox(_))
    ));
    assert_eq!(store.outbox_len().unwrap(), 2);
    // Messages written here are searchable too, and a cancelled one no longer is.
    assert_eq!(store.search("t2", 5).unwrap().len(), 1);
    assert!(store.search("a2", 5).unwrap().is_empty());
}

#[test]
fn an_own_message_seen_as_an_event_and_acked_stays_one_message() {
    let dir = TempDir::new("own");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    store
        .enqueue(&entry("c-1", "c-team", "mine"), "u-demo", "Demo User")
        .unwrap();
    // The event of our own message (e.g. over REST catch-up) arrives before the ack.
    let mut own = record("m-9", "c-team", "u-demo", "mine", 1_000);
    own.client_msg_id = Some("c-1".into());
    store
        .apply_messages(&[(9, &own, "Demo User")], "u-demo", None)
        .unwrap();
    store
        .apply_writes(&[acked("c-1", "m-9", 9)], "u-demo")
        .unwrap();
    let messages = store.latest_messages("c-team", 10).unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].state, MessageState::Sent);
    assert_eq!(store.outbox_len().unwrap(), 0);
}

#[test]
fn an_own_message_written_offline_takes_the_servers_time_so_a_mark_on_it_moves_forward() {
    let dir = TempDir::new("own-time");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    // Written offline at t=100; meanwhile Jun's message is stored at t=500 and read here.
    let mut early = entry("c-1", "c-team", "written offline");
    early.created_at_ms = 100;
    store.enqueue(&early, "u-demo", "Demo User").unwrap();
    let jun = record("m-5", "c-team", "u-jun", "from Jun", 500);
    store
        .apply_messages(&[(5, &jun, "Jun Park")], "u-demo", None)
        .unwrap();
    assert!(
        store
            .record_read("c-team", "m-5", "u-demo")
            .unwrap()
            .unwrap()
            .moved
    );
    // Back online: the server stores ours after Jun's; the ack comes first, then its event.
    let mut own = record("m-6", "c-team", "u-demo", "written offline", 900);
    own.client_msg_id = Some("c-1".into());
    store
        .apply_writes(&[acked("c-1", "m-6", 6), received(6, own)], "u-demo")
        .unwrap();
    let messages = store.latest_messages("c-team", 10).unwrap();
    let ids: Vec<Option<&str>> = messages.iter().map(|m| m.msg_id.as_deref()).collect();
    assert_eq!(
        ids,
        [Some("m-5"), Some("m-6")],
        "one row each, in the server's order"
    );
    assert_eq!(messages[1].sent_at_ms, 900);
    // Reading up to our own newest message is a mark after Jun's, to be sent.
    let read = store
        .record_read("c-team", "m-6", "u-demo")
        .unwrap()
        .unwrap();
    assert!(read.moved);
    let unsent: Vec<String> = store
        .unsent_read_marks()
        .unwrap()
        .into_iter()
        .map(|m| m.msg_id)
        .collect();
    assert_eq!(unsent, ["m-6"]);
}

#[test]
fn a_batch_of_acks_and_messages_is_one_transaction_in_order() {
    let dir = TempDir::new("batch");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    for n in 0..3 {
        store
            .enqueue(
                &entry(&format!("c-{n}"), "c-team", &format!("mine {n}")),
                "u-demo",
                "Demo User",
            )
            .unwrap();
    }
    let mut echo = record("m-1", "c-team", "u-demo", "mine 0", 1_000);
    echo.client_msg_id = Some("c-0".into());
    let writes = vec![
        StoreWrite::Acked {
            client_msg_id: "c-0".into(),
            msg_id: "m-1".into(),
            at: Cursor::from_backend(1),
        },
        // The echo of the acked message, then a message from someone else, then more acks.
        StoreWrite::Received {
            at: Cursor::from_backend(1),
            message: echo,
            sender_name: "Demo User".into(),
        },
        received(2, record("m-2", "c-jun", "u-jun", "hello", 2_000)),
        StoreWrite::Acked {
            client_msg_id: "c-1".into(),
            msg_id: "m-3".into(),
            at: Cursor::from_backend(3),
        },
    ];
    store.apply_writes(&writes, "u-demo").unwrap();
    let team = store.latest_messages("c-team", 10).unwrap();
    let states: Vec<(&str, MessageState)> =
        team.iter().map(|m| (m.body.as_str(), m.state)).collect();
    assert_eq!(
        states,
        [
            ("mine 0", MessageState::Sent),
            ("mine 1", MessageState::Sent),
            ("mine 2", MessageState::Pending)
        ]
    );
    assert_eq!(store.latest_messages("c-jun", 10).unwrap().len(), 1);
    assert_eq!(store.cursor().unwrap().position(), 3);
    // Only the unacknowledged message is still to send.
    let left: Vec<String> = store
        .sendable()
        .unwrap()
        .into_iter()
        .map(|e| e.client_msg_id)
        .collect();
    assert_eq!(left, ["c-2"]);
    store.apply_writes(&[], "u-demo").unwrap();
}

#[test]
fn history_pages_record_fill_and_complete_gaps() {
    let dir = TempDir::new("history-gaps");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let page = |range: std::ops::RangeInclusive<u64>| -> Vec<Message> {
        range
            .map(|i| record(&format!("m-{i:03}"), "c-jun", "u-jun", "hi", 1_000 + i))
            .collect()
    };
    let with_names = |records: &[Message]| -> Vec<(Message, String)> {
        records
            .iter()
            .map(|r| (r.clone(), "Jun".to_owned()))
            .collect()
    };
    let apply = |store: &mut Store, records: &[Message], has_more: bool| {
        let named = with_names(records);
        let refs: Vec<(&Message, &str)> = named.iter().map(|(r, n)| (r, n.as_str())).collect();
        store
            .apply_history_page("c-jun", &refs, has_more, "u-demo")
            .unwrap();
    };
    // Read long ago: messages 1-10. Now the newest page is 41-50: 11-40 are unknown.
    apply(&mut store, &page(1..=10), true);
    apply(&mut store, &page(41..=50), true);
    assert_eq!(store.gaps_of("c-jun").unwrap(), ["m-010"]);
    let older = store.older_messages("c-jun", "m-041", 5).unwrap();
    let flagged: Vec<(&str, bool)> = older
        .iter()
        .map(|(m, gap)| (m.msg_id.as_deref().unwrap(), *gap))
        .collect();
    assert_eq!(
        flagged,
        [
            ("m-006", false),
            ("m-007", false),
            ("m-008", false),
            ("m-009", false),
            ("m-010", true)
        ]
    );
    assert_eq!(
        store.newer_neighbour("c-jun", "m-010").unwrap().as_deref(),
        Some("m-041")
    );
    // History pages are not news: nothing unread.
    assert_eq!(store.chat_list().unwrap()[0].unread_count, 0);

    // Scrolling back: 21-40 does not reach the cache yet (the gap stays above 10)...
    apply(&mut store, &page(21..=40), true);
    assert_eq!(store.gaps_of("c-jun").unwrap(), ["m-010"]);
    // ...10-20 does: filled.
    apply(&mut store, &page(10..=20), true);
    assert!(store.gaps_of("c-jun").unwrap().is_empty());
    assert!(!store.history_complete("c-jun").unwrap());
    apply(&mut store, &page(1..=9), false);
    assert!(store.history_complete("c-jun").unwrap());

    // Events the server no longer had: a gap above every chat's newest message.
    assert_eq!(store.history_skipped().unwrap(), 1);
    assert_eq!(store.gaps_of("c-jun").unwrap(), ["m-050"]);
}

#[test]
fn scrolling_back_skips_unsent_messages_and_an_empty_last_page_completes_the_chat() {
    let dir = TempDir::new("older-unsent");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let mut early = entry("c-early", "c-jun", "written early, never sent");
    early.created_at_ms = 5;
    store.enqueue(&early, "u-demo", "Demo User").unwrap();
    let page: Vec<Message> = (1..=3)
        .map(|i| record(&format!("m-{i}"), "c-jun", "u-jun", "hi", 10 * i))
        .collect();
    let named: Vec<(&Message, &str)> = page.iter().map(|r| (r, "Jun")).collect();
    store
        .apply_history_page("c-jun", &named, true, "u-demo")
        .unwrap();
    let older = store.older_messages("c-jun", "m-2", 10).unwrap();
    let ids: Vec<Option<&str>> = older.iter().map(|(m, _)| m.msg_id.as_deref()).collect();
    assert_eq!(
        ids,
        [Some("m-1")],
        "the unsent one is shown at the end, not here"
    );
    assert!(!store.history_complete("c-jun").unwrap());
    store
        .apply_history_page("c-jun", &[], false, "u-demo")
        .unwrap();
    assert!(store.history_complete("c-jun").unwrap());
}
