//! The store on real SQLite files in a temporary folder.

use std::path::PathBuf;

use crate::domain::{Cursor, Message};

use super::*;

mod marks;
mod search;
mod sync;

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

fn record(msg_id: &str, chat: &str, sender: &str, body: &str, at: u64) -> Message {
    Message {
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
fn received(seq: u64, record: Message) -> StoreWrite {
    StoreWrite::Received {
        at: Cursor::from_backend(seq),
        message: record,
        sender_name: "Jun Park".into(),
    }
}

fn acked(client_msg_id: &str, msg_id: &str, seq: u64) -> StoreWrite {
    StoreWrite::Acked {
        client_msg_id: client_msg_id.into(),
        msg_id: msg_id.into(),
        at: Cursor::from_backend(seq),
    }
}

/// `records` arrive from Jun, one event each, in order.
fn received_from_jun(store: &mut Store, records: &[Message]) {
    let events: Vec<(u64, &Message, &str)> = records
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

#[test]
fn damage_found_by_the_background_check_is_set_aside_at_the_next_start() {
    let dir = TempDir::new("check-later");
    let (mut store, _) = Store::open(&dir.db()).unwrap();
    store.upsert_chats(&chats()).unwrap();
    let records: Vec<Message> = (0..400)
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
