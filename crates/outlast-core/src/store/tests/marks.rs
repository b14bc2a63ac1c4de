//! Read marks: the user's own and other members'.

use super::*;

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
            at: Cursor::from_backend(6),
            chat_id: "c-jun".into(),
            user_id: "u-demo".into(),
            msg_id: "m-3".into(),
        },
        StoreWrite::Read {
            at: Cursor::from_backend(7),
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
        store.cursor().unwrap().position(),
        7,
        "read events move the cursor too"
    );
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
                at: Cursor::from_backend(4),
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
