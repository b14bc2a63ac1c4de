//! The store on real SQLite files in a temporary folder.

use std::path::PathBuf;

use outlast_protocol::MessageRecord;

use super::*;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "outlast-store-{name}-{}-{}",
            std::process::id(),
            now_ms()
        ));
        TempDir(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("profile").join("outlast.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn record(msg_id: &str, chat: &str, sender: &str, body: &str, at: u64) -> MessageRecord {
    MessageRecord {
        msg_id: msg_id.into(),
        chat_id: chat.into(),
        sender_id: sender.into(),
        client_msg_id: None,
        body: body.into(),
        sent_at_ms: at,
        attachments: vec![],
    }
}

/// A message from Jun, as the connection hands it to the store.
fn received(seq: u64, record: MessageRecord) -> StoreWrite {
    StoreWrite::Received {
        seq,
        record,
        sender_name: "Jun Park".into(),
    }
}

fn acked(client_msg_id: &str, msg_id: &str, seq: u64) -> StoreWrite {
    StoreWrite::Acked {
        client_msg_id: client_msg_id.into(),
        msg_id: msg_id.into(),
        seq,
    }
}

/// `records` arrive from Jun, one event each, in order.
fn received_from_jun(store: &mut Store, records: &[MessageRecord]) {
    let events: Vec<(u64, &MessageRecord, &str)> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (i as u64 + 1, r, "Jun Park"))
        .collect();
    store.apply_messages(&events, "u-demo", None).unwrap();
}

fn chats() -> Vec<ChatRow> {
    vec![
        ChatRow {
            chat_id: "c-jun".into(),
            title: "Jun Park".into(),
            member_names: vec!["Jun Park".into(), "Demo User".into()],
            member_ids: vec!["u-jun".into(), "u-demo".into()],
        },
        ChatRow {
            chat_id: "c-team".into(),
            title: "Outlast team".into(),
            member_names: vec!["Jun Park".into(), "Minji Kim".into()],
            member_ids: vec!["u-jun".into(), "u-minji".into(), "u-demo".into()],
        },
    ]
}

fn entry(id: &str, chat: &str, body: &str) -> OutboxEntry {
    OutboxEntry {
        client_msg_id: id.into(),
        chat_id: chat.into(),
        body: body.into(),
        created_at_ms: 1_000,
        attempts: 0,
        files: vec![],
    }
}

#[test]
fn a_new_database_is_owner_only_and_migrated() {
    let dir = TempDir::new("new");
    let (store, opened) = Store::open(&dir.db()).unwrap();
    assert_eq!(opened, Opened::Created);
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let version: u32 = store
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::latest());
    let journal: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.db()), 0o600);
        assert_eq!(mode(dir.db().parent().unwrap()), 0o700);
    }
    drop(store);
    let (_, opened) = Store::open(&dir.db()).unwrap();
    assert_eq!(opened, Opened::Existing);
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let dir = TempDir::new("newer");
    let (store, _) = Store::open(&dir.db()).unwrap();
    store
        .conn
        .pragma_update(None, "user_version", schema::latest() + 5)
        .unwrap();
    drop(store);
    let before = fs::read(dir.db()).unwrap();
    let err = Store::open(&dir.db()).err().expect("refused");
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
    assert!(
        err.to_string().contains("newer version of Outlast"),
        "{err}"
    );
    assert_eq!(
        fs::read(dir.db()).unwrap(),
        before,
        "the file is not modified"
    );
}

#[test]
fn a_damaged_database_is_kept_aside_and_replaced() {
    let dir = TempDir::new("damaged");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    drop(store);
    fs::write(dir.db(), b"this is not a database, it is a shopping list").unwrap();
    let (store, opened) = Store::open(&dir.db()).unwrap();
    let Opened::Recovered { moved_to, reason } = opened else {
        panic!("expected a recovery, got {opened:?}");
    };
    assert!(moved_to.exists(), "the damaged file is kept");
    assert!(!reason.is_empty());
    assert_eq!(
        fs::read(&moved_to).unwrap(),
        b"this is not a database, it is a shopping list"
    );
    assert_eq!(
        store.chat_list().unwrap().len(),
        0,
        "a fresh database, to fill from the server"
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

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
    assert_eq!(store.cursor().unwrap(), 2);
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
    assert_eq!(store.cursor().unwrap(), 2);
    assert_eq!(
        store.chat_list().unwrap()[1].unread_count,
        0,
        "the open chat gets no unread"
    );
}

#[test]
fn search_finds_korean_and_english_words_and_prefixes() {
    let dir = TempDir::new("search");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let rows = [
        record("m-1", "c-team", "u-jun", "회의 자료 공유드렸어요", 10),
        record(
            "m-2",
            "c-team",
            "u-jun",
            "Is the gateway drill still on?",
            20,
        ),
        record("m-3", "c-jun", "u-jun", "gateways everywhere", 30),
        record("m-4", "c-jun", "u-jun", "nothing to see", 40),
    ];
    received_from_jun(&mut store, &rows);

    let mut ids = |q: &str| -> Vec<String> {
        store
            .search(q, 10)
            .unwrap()
            .into_iter()
            .filter_map(|h| h.message.msg_id)
            .collect()
    };
    assert_eq!(ids("회의"), ["m-1"]);
    assert_eq!(ids("자료 공유"), ["m-1"], "every word must match");
    assert_eq!(ids("gate"), ["m-3", "m-2"], "prefix, newest first");
    assert_eq!(ids("GATEWAY drill"), ["m-2"]);
    assert!(
        ids("\"); DROP TABLE messages; --").is_empty(),
        "input is words, not syntax"
    );
    assert!(ids("").is_empty());
    let hit = &store.search("drill", 1).unwrap()[0];
    assert_eq!(hit.highlighted, "Is the gateway \u{2}drill\u{3} still on?");
    assert_eq!(store.integrity_check().unwrap(), "ok");
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
    assert_eq!(store.cursor().unwrap(), 7);
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
            seq: 1,
        },
        // The echo of the acked message, then a message from someone else, then more acks.
        StoreWrite::Received {
            seq: 1,
            record: echo,
            sender_name: "Demo User".into(),
        },
        received(2, record("m-2", "c-jun", "u-jun", "hello", 2_000)),
        StoreWrite::Acked {
            client_msg_id: "c-1".into(),
            msg_id: "m-3".into(),
            seq: 3,
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
    assert_eq!(store.cursor().unwrap(), 3);
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
fn a_cache_from_an_older_version_keeps_its_messages_and_search_through_the_migrations() {
    let dir = TempDir::new("upgrade");
    fs::create_dir_all(dir.db().parent().unwrap()).unwrap();
    {
        // The database as version 2 left it, with a message from someone and one of ours.
        let conn = rusqlite::Connection::open(dir.db()).unwrap();
        for sql in &schema::MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute_batch(
            "INSERT INTO chats (chat_id, title, member_names) VALUES ('c-jun', 'Jun Park', '[]');
             INSERT INTO messages (id, msg_id, client_msg_id, chat_id, sender_id, sender_name, body,
                                   sent_at_ms, seq, state, own)
               VALUES (1, 'm-1', NULL, 'c-jun', 'u-jun', 'Jun Park', '회의 자료 공유', 100, 1, 'sent', 0),
                      (2, 'm-2', 'c-1', 'c-jun', 'u-demo', 'Demo User', 'outage report', 200, 2, 'sent', 1);
             INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages;",
        )
        .unwrap();
    }
    let (mut store, opened) = Store::open(&dir.db()).unwrap();
    assert!(matches!(opened, Opened::Existing), "{opened:?}");
    assert_eq!(store.latest_messages("c-jun", 10).unwrap().len(), 2);
    assert_eq!(store.search("회", 10).unwrap().len(), 1, "Korean prefix");
    assert_eq!(
        store.search("out rep", 10).unwrap().len(),
        1,
        "English prefixes"
    );
    // Client ids stay unique where there is one.
    let mut again = record("m-3", "c-jun", "u-demo", "again", 300);
    again.client_msg_id = Some("c-1".into());
    store
        .apply_messages(&[(3, &again, "Demo User")], "u-demo", None)
        .unwrap();
    assert_eq!(store.latest_messages("c-jun", 10).unwrap().len(), 2);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

/// FTS5's own check that the index matches the messages it was built from.
fn search_index_is_sound(store: &Store) {
    store
        .conn
        .execute(
            "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)",
            [],
        )
        .expect("the search index matches the stored messages");
}

#[test]
fn received_messages_are_indexed_after_the_write_and_found_by_search_either_way() {
    let dir = TempDir::new("deferred-index");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let writes: Vec<StoreWrite> = (1..=5)
        .map(|i| {
            received(
                i,
                record(
                    &format!("m-{i}"),
                    "c-jun",
                    "u-jun",
                    &format!("lantern {i}"),
                    i,
                ),
            )
        })
        .collect();
    store.apply_writes(&writes, "u-demo").unwrap();
    assert_eq!(store.unindexed().unwrap(), 5, "stored, not yet indexed");
    assert_eq!(store.cursor().unwrap(), 5, "the cursor moved with the data");

    // A search before the indexer ran still finds them: it indexes what is left first.
    assert_eq!(store.search("lantern", 10).unwrap().len(), 5);
    assert_eq!(store.unindexed().unwrap(), 0);
    search_index_is_sound(&store);

    // In chunks, as the background indexer does.
    let more: Vec<StoreWrite> = (6..=9)
        .map(|i| {
            received(
                i,
                record(&format!("m-{i}"), "c-team", "u-jun", "harbour", i),
            )
        })
        .collect();
    store.apply_writes(&more, "u-demo").unwrap();
    assert_eq!(store.index_pending(3).unwrap(), 3);
    assert_eq!(
        store.index_pending(3).unwrap(),
        1,
        "fewer than asked: none left"
    );
    assert_eq!(store.index_pending(3).unwrap(), 0);
    search_index_is_sound(&store);
}

#[test]
fn deleting_messages_before_they_are_indexed_keeps_the_index_sound() {
    let dir = TempDir::new("deferred-delete");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    // One indexed message (own, written here), then received ones not yet indexed.
    store
        .enqueue(&entry("c-1", "c-jun", "first draft"), "u-demo", "Demo User")
        .unwrap();
    store
        .apply_writes(
            &[received(
                1,
                record("m-1", "c-team", "u-jun", "unindexed note", 1),
            )],
            "u-demo",
        )
        .unwrap();
    // A chat leaving the cache deletes both kinds (cascade), and the unsent one is cancelled.
    store.cancel("c-1").unwrap();
    store
        .conn
        .execute("DELETE FROM chats WHERE chat_id = 'c-team'", [])
        .unwrap();
    assert_eq!(
        store.unindexed().unwrap(),
        0,
        "no marker outlives its message"
    );
    search_index_is_sound(&store);

    // Row ids freed at the top are used again: the new rows must still be indexed.
    store
        .apply_writes(
            &[received(
                2,
                record("m-2", "c-jun", "u-jun", "reused slot", 2),
            )],
            "u-demo",
        )
        .unwrap();
    assert_eq!(store.search("reused", 5).unwrap().len(), 1);
    assert!(store.search("draft", 5).unwrap().is_empty());
    assert!(store.search("unindexed", 5).unwrap().is_empty());
    search_index_is_sound(&store);
}

#[test]
fn read_marks_only_move_forward_keep_one_per_chat_and_set_the_unread_count() {
    let dir = TempDir::new("read-marks");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let writes: Vec<StoreWrite> = (1..=4)
        .map(|i| received(i, record(&format!("m-{i}"), "c-jun", "u-jun", "hi", i * 10)))
        .collect();
    store.apply_writes(&writes, "u-demo").unwrap();
    assert_eq!(store.chat_list().unwrap()[0].unread_count, 4);

    let read = store
        .record_read("c-jun", "m-2", "u-demo")
        .unwrap()
        .unwrap();
    assert_eq!(
        read,
        ReadRecorded {
            moved: true,
            unread: 2
        }
    );
    let read = store
        .record_read("c-jun", "m-4", "u-demo")
        .unwrap()
        .unwrap();
    assert_eq!(
        read,
        ReadRecorded {
            moved: true,
            unread: 0
        }
    );
    // Older, or the same again: nothing moves, nothing new to send.
    let read = store
        .record_read("c-jun", "m-3", "u-demo")
        .unwrap()
        .unwrap();
    assert_eq!(
        read,
        ReadRecorded {
            moved: false,
            unread: 0
        }
    );
    assert!(
        !store
            .record_read("c-jun", "m-4", "u-demo")
            .unwrap()
            .unwrap()
            .moved
    );
    assert!(store
        .record_read("c-jun", "m-unknown", "u-demo")
        .unwrap()
        .is_none());
    let waiting = store.unsent_read_marks().unwrap();
    assert_eq!(waiting.len(), 1, "one mark per chat");
    assert_eq!(waiting[0].msg_id, "m-4", "only the highest");

    // Delivered: gone, unless a newer one replaced it meanwhile.
    store.read_mark_sent("c-jun", "m-3").unwrap();
    assert_eq!(store.unsent_read_marks().unwrap().len(), 1);
    store.read_mark_sent("c-jun", "m-4").unwrap();
    assert!(store.unsent_read_marks().unwrap().is_empty());
}

#[test]
fn a_read_mark_from_another_device_sets_the_unread_count_and_covers_a_waiting_one() {
    let dir = TempDir::new("read-elsewhere");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let mut writes: Vec<StoreWrite> = (1..=5)
        .map(|i| received(i, record(&format!("m-{i}"), "c-jun", "u-jun", "hi", i * 10)))
        .collect();
    store.apply_writes(&writes, "u-demo").unwrap();
    store.record_read("c-jun", "m-1", "u-demo").unwrap();
    writes = vec![
        StoreWrite::Read {
            seq: 6,
            chat_id: "c-jun".into(),
            user_id: "u-demo".into(),
            msg_id: "m-3".into(),
        },
        StoreWrite::Read {
            seq: 7,
            chat_id: "c-jun".into(),
            user_id: "u-jun".into(),
            msg_id: "m-5".into(),
        },
    ];
    store.apply_writes(&writes, "u-demo").unwrap();
    assert_eq!(store.chat_list().unwrap()[0].unread_count, 2);
    assert!(
        store.unsent_read_marks().unwrap().is_empty(),
        "the other device's mark is further than the one waiting here"
    );
    assert_eq!(
        store.read_mark("c-jun", "u-jun").unwrap().unwrap().msg_id,
        "m-5"
    );
    assert_eq!(
        store.cursor().unwrap(),
        7,
        "read events move the cursor too"
    );
}

#[test]
fn history_pages_record_fill_and_complete_gaps() {
    let dir = TempDir::new("history-gaps");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let page = |range: std::ops::RangeInclusive<u64>| -> Vec<MessageRecord> {
        range
            .map(|i| record(&format!("m-{i:03}"), "c-jun", "u-jun", "hi", 1_000 + i))
            .collect()
    };
    let with_names = |records: &[MessageRecord]| -> Vec<(MessageRecord, String)> {
        records
            .iter()
            .map(|r| (r.clone(), "Jun".to_owned()))
            .collect()
    };
    let apply = |store: &mut Store, records: &[MessageRecord], has_more: bool| {
        let named = with_names(records);
        let refs: Vec<(&MessageRecord, &str)> =
            named.iter().map(|(r, n)| (r, n.as_str())).collect();
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
fn a_message_with_files_indexes_only_itself_and_keeps_the_index_sound() {
    let dir = TempDir::new("files-index");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    store
        .apply_writes(
            &[received(
                1,
                record("m-1", "c-team", "u-jun", "not yet indexed", 1),
            )],
            "u-demo",
        )
        .unwrap();
    let mut with_files = entry("c-1", "c-jun", "the slides");
    with_files.files = vec![OutboxFile {
        local_path: dir.0.join("slides.pdf"),
        name: "slides.pdf".into(),
        size: 3,
        mime: "application/pdf".into(),
        media_id: None,
    }];
    store.enqueue(&with_files, "u-demo", "Demo User").unwrap();
    assert_eq!(
        store.unindexed().unwrap(),
        1,
        "the received one still waits"
    );
    // Deleting the unindexed one must not find it in the index.
    store
        .conn
        .execute("DELETE FROM chats WHERE chat_id = 'c-team'", [])
        .unwrap();
    search_index_is_sound(&store);
    assert_eq!(store.search("slides", 5).unwrap().len(), 1);
    let (entry, _) = store.unsent_in("c-jun").unwrap().remove(0);
    assert!(!entry.ready());
    let uploaded = store.file_uploaded("c-1", 0, "media-1").unwrap();
    assert!(uploaded.ready());
    assert_eq!(uploaded.attachments()[0].media_id, "media-1");
    // A retry uploads again (the server may no longer have it).
    store.failed("c-1", "unknown media").unwrap();
    store.retry("c-1").unwrap();
    assert!(!store.unsent_in("c-jun").unwrap()[0].0.ready());
}

#[test]
fn read_marks_within_one_millisecond_follow_the_server_ids() {
    let dir = TempDir::new("read-same-ms");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let writes: Vec<StoreWrite> = (1..=3)
        .map(|i| {
            received(
                i,
                record(&format!("m-{i}"), "c-jun", "u-jun", "same moment", 500),
            )
        })
        .collect();
    store.apply_writes(&writes, "u-demo").unwrap();
    let read = store
        .record_read("c-jun", "m-3", "u-demo")
        .unwrap()
        .unwrap();
    assert_eq!(read.unread, 0);
    // Another device's older mark in the same millisecond does not move it back.
    store
        .apply_writes(
            &[StoreWrite::Read {
                seq: 4,
                chat_id: "c-jun".into(),
                user_id: "u-demo".into(),
                msg_id: "m-1".into(),
            }],
            "u-demo",
        )
        .unwrap();
    assert_eq!(
        store.read_mark("c-jun", "u-demo").unwrap().unwrap().msg_id,
        "m-3"
    );
    assert_eq!(store.chat_list().unwrap()[0].unread_count, 0);
    assert_eq!(
        store.unsent_read_marks().unwrap()[0].msg_id,
        "m-3",
        "still to send"
    );
}

#[test]
fn scrolling_back_skips_unsent_messages_and_an_empty_last_page_completes_the_chat() {
    let dir = TempDir::new("older-unsent");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let mut early = entry("c-early", "c-jun", "written early, never sent");
    early.created_at_ms = 5;
    store.enqueue(&early, "u-demo", "Demo User").unwrap();
    let page: Vec<MessageRecord> = (1..=3)
        .map(|i| record(&format!("m-{i}"), "c-jun", "u-jun", "hi", 10 * i))
        .collect();
    let named: Vec<(&MessageRecord, &str)> = page.iter().map(|r| (r, "Jun")).collect();
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

#[test]
fn members_marks_are_kept_forward_only_and_read_back_per_chat() {
    let dir = TempDir::new("member-marks");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let mark = |user: &str, msg: &str, at: u64| ReadMarkOf {
        user_id: user.into(),
        mark: ReadMark {
            chat_id: "c-team".into(),
            msg_id: msg.into(),
            sent_at_ms: at,
        },
    };
    store
        .record_member_marks(
            &[mark("u-jun", "m-9", 90), mark("u-demo", "m-9", 90)],
            "u-demo",
        )
        .unwrap();
    // An older listing (a slow answer) does not move Jun back.
    store
        .record_member_marks(
            &[mark("u-jun", "m-3", 30), mark("u-minji", "m-5", 50)],
            "u-demo",
        )
        .unwrap();
    let cached = store.member_marks().unwrap();
    let team = cached.iter().find(|c| c.chat_id == "c-team").unwrap();
    assert_eq!(team.member_ids, ["u-jun", "u-minji", "u-demo"]);
    assert_eq!(team.read.get("u-jun").map(String::as_str), Some("m-9"));
    assert_eq!(team.read.get("u-minji").map(String::as_str), Some("m-5"));
    assert!(
        !team.read.contains_key("u-demo"),
        "the user's own marks come from this device and events, not the listing"
    );
    let jun = cached.iter().find(|c| c.chat_id == "c-jun").unwrap();
    assert!(jun.read.is_empty());
}

#[test]
fn damage_found_by_the_background_check_is_set_aside_at_the_next_start() {
    let dir = TempDir::new("check-later");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let records: Vec<MessageRecord> = (0..400)
        .map(|i| {
            record(
                &format!("m-{i:04}"),
                "c-jun",
                "u-jun",
                &"words ".repeat(40),
                i,
            )
        })
        .collect();
    received_from_jun(&mut store, &records);
    drop(store);
    assert!(
        check_in_background(&dir.db()).is_ok(),
        "a sound file passes"
    );

    // A page in the middle of the file is overwritten (a disk fault): the file still opens,
    // since only the header is read at start-up, but the full check finds the damage.
    let mut bytes = fs::read(dir.db()).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page, "several pages: {}", bytes.len());
    bytes[3 * page..5 * page].fill(0x5a);
    fs::write(dir.db(), &bytes).unwrap();
    let (store, opened) = Store::open(&dir.db()).unwrap();
    assert_eq!(opened, Opened::Existing);
    drop(store);
    let err = check_in_background(&dir.db()).expect_err("the damage is found");
    assert!(!err.to_string().is_empty());

    // The next start sets it aside, with the finding, and starts a fresh cache.
    let (store, opened) = Store::open(&dir.db()).unwrap();
    let Opened::Recovered { moved_to, reason } = opened else {
        panic!("expected a recovery, got {opened:?}");
    };
    assert!(reason.contains("integrity check"), "{reason}");
    assert!(moved_to.exists());
    assert!(PathBuf::from(format!("{}.reason", moved_to.display())).exists());
    assert_eq!(store.chat_list().unwrap().len(), 0);
    drop(store);
    let (_, opened) = Store::open(&dir.db()).unwrap();
    assert_eq!(
        opened,
        Opened::Existing,
        "the fresh cache is not taken for damaged"
    );
}

#[test]
fn search_within_one_chat_finds_only_that_chats_messages() {
    let dir = TempDir::new("search-in");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let rows = [
        record("m-1", "c-team", "u-jun", "the gateway drill is at noon", 10),
        record("m-2", "c-jun", "u-jun", "gateways everywhere", 20),
        record("m-3", "c-jun", "u-jun", "nothing to see", 30),
    ];
    received_from_jun(&mut store, &rows);
    let ids = |hits: Vec<SearchHit>| -> Vec<String> {
        hits.into_iter().filter_map(|h| h.message.msg_id).collect()
    };
    assert_eq!(ids(store.search("gate", 10).unwrap()), ["m-2", "m-1"]);
    assert_eq!(
        ids(store.search_in("gate", Some("c-jun"), 10).unwrap()),
        ["m-2"]
    );
    assert_eq!(
        ids(store.search_in("gate", Some("c-team"), 10).unwrap()),
        ["m-1"]
    );
    assert!(store
        .search_in("gate", Some("c-other"), 10)
        .unwrap()
        .is_empty());
}

#[test]
fn pinned_chats_come_first_and_stay_pinned_across_reopening() {
    let dir = TempDir::new("pinned");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let newer = record("m-1", "c-team", "u-jun", "newest activity", 50);
    let older = record("m-2", "c-jun", "u-jun", "older activity", 10);
    store
        .apply_messages(
            &[(1, &newer, "Jun Park"), (2, &older, "Jun Park")],
            "u-demo",
            None,
        )
        .unwrap();
    let order = |store: &Store| -> Vec<(String, bool)> {
        store
            .chat_list()
            .unwrap()
            .into_iter()
            .map(|c| (c.chat_id, c.pinned))
            .collect()
    };
    assert_eq!(
        order(&store),
        [("c-team".to_owned(), false), ("c-jun".to_owned(), false)]
    );
    store.set_pinned("c-jun", true).unwrap();
    drop(store);
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    assert_eq!(
        order(&store),
        [("c-jun".to_owned(), true), ("c-team".to_owned(), false)]
    );
    assert_eq!(store.pinned_chats().unwrap(), ["c-jun"]);
    store.set_pinned("c-jun", false).unwrap();
    assert!(store.pinned_chats().unwrap().is_empty());
}
