//! The demo world: who exists, which chats they share, and what was said before the app opened.

use crate::store::{Store, UserSeed};

/// Password accepted for every demo account. The mock backend is a test tool on loopback; it has
/// nothing to protect.
pub const DEMO_PASSWORD: &str = "demo";

/// The account `outlast --mock` signs in with.
pub const DEMO_USERNAME: &str = "demo";

/// Extra synthetic data on top of the demo world, for performance work.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeedSize {
    /// Additional simulated users.
    pub users: usize,
    /// Additional group chats, each with the demo user and up to four simulated users.
    pub chats: usize,
    /// Messages in each additional chat.
    pub messages_per_chat: usize,
}

/// The demo world plus `size` of synthetic data.
pub(crate) fn seed_sized(store: &mut Store, now_ms: u64, size: SeedSize) {
    seed(store, now_ms);
    let mut user_ids: Vec<String> = Vec::new();
    for i in 0..size.users {
        let id = format!("u-sim-{i}");
        store.add_user(UserSeed {
            user_id: &id,
            username: &format!("sim{i}"),
            display_name: &format!("Sim User {i}"),
            simulated: true,
        });
        user_ids.push(id);
    }
    if user_ids.is_empty() {
        user_ids = vec!["u-minji".into(), "u-jun".into(), "u-sora".into()];
    }
    for c in 0..size.chats {
        let chat_id = format!("c-load-{c}");
        let mut members: Vec<&str> = vec!["u-demo"];
        for k in 0..4.min(user_ids.len()) {
            let member = user_ids[(c * 4 + k) % user_ids.len()].as_str();
            if !members.contains(&member) {
                members.push(member);
            }
        }
        store.add_chat(&chat_id, &format!("Load test {c}"), &members);
        let n = size.messages_per_chat as u64;
        for m in 0..n {
            let sender = members[(m as usize) % members.len()];
            let body = format!("Synthetic message {m} in load chat {c}: 안녕하세요 hello");
            store
                .seed_message(
                    &chat_id,
                    sender,
                    &body,
                    now_ms.saturating_sub((n - m) * 1_000),
                )
                .expect("synthetic data refers to existing chats and users");
        }
    }
}

pub(crate) fn seed(store: &mut Store, now_ms: u64) {
    let users = [
        UserSeed {
            user_id: "u-demo",
            username: DEMO_USERNAME,
            display_name: "Demo User",
            simulated: false,
        },
        UserSeed {
            user_id: "u-tester",
            username: "tester",
            display_name: "Tess Tester",
            simulated: false,
        },
        UserSeed {
            user_id: "u-minji",
            username: "minji",
            display_name: "Minji Kim",
            simulated: true,
        },
        UserSeed {
            user_id: "u-jun",
            username: "jun",
            display_name: "Jun Park",
            simulated: true,
        },
        UserSeed {
            user_id: "u-sora",
            username: "sora",
            display_name: "Sora Lee",
            simulated: true,
        },
    ];
    for user in users {
        store.add_user(user);
    }
    store.add_chat("c-minji", "Minji Kim", &["u-demo", "u-minji"]);
    store.add_chat("c-jun", "Jun Park", &["u-demo", "u-jun"]);
    store.add_chat(
        "c-team",
        "Outlast team",
        &["u-demo", "u-tester", "u-minji", "u-jun", "u-sora"],
    );

    let minute = 60_000;
    let history: [(&str, &str, &str, u64); 9] = [
        (
            "c-team",
            "u-sora",
            "Morning all! Stand-up in 10 minutes.",
            180,
        ),
        ("c-team", "u-jun", "On my way ☕", 178),
        (
            "c-team",
            "u-minji",
            "The gateway drill is at 3pm today.",
            120,
        ),
        ("c-jun", "u-jun", "Did you see the outage report?", 95),
        (
            "c-jun",
            "u-demo",
            "Yes, 54 minutes without the PC client. Ouch.",
            94,
        ),
        ("c-jun", "u-jun", "That's why we're building this.", 93),
        ("c-minji", "u-minji", "안녕하세요! 점심 같이 드실래요?", 30),
        ("c-minji", "u-demo", "좋아요, 12시에 봬요.", 28),
        ("c-minji", "u-minji", "See you at noon 👋", 27),
    ];
    for (chat, sender, body, minutes_ago) in history {
        store
            .seed_message(chat, sender, body, now_ms - minutes_ago * minute)
            .expect("demo data refers to existing chats and users");
    }
}
