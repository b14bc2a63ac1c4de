//! Full-text search and its index.

use super::*;

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
    assert_eq!(
        store.cursor().unwrap().position(),
        5,
        "the cursor moved with the data"
    );

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
