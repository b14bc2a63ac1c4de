//! Scrolling back through history with gaps, against the real mock backend over loopback. The
//! server keeps only its last 20 events, so a client away for longer learns that history was
//! skipped: the gap is recorded, and scrolling there fills it from the server, or, during an
//! outage, shows the cache past it and says where messages may be missing.

mod common;

use std::time::Duration;

use common::{wait_for, write_as, Profile};
use outlast_core::{Client, CoreEvent, ExportLanguage};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};

async fn forgetful_mock() -> MockServer {
    MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        replay_limit: 20,
        ..MockConfig::default()
    })
    .await
    .unwrap()
}

fn ids(messages: &[outlast_core::ChatMessage]) -> Vec<String> {
    messages.iter().filter_map(|m| m.msg_id.clone()).collect()
}

/// A profile that read the team chat, went away while 150 messages were written (far more than
/// the server keeps events for), and came back. Returns the restored client.
async fn back_after_a_long_absence(server: &MockServer, profile: &Profile) -> Client {
    let first = profile.client();
    first
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    first.open_chat("c-team").await.unwrap();
    first.logout();
    drop(first);

    let bodies: Vec<String> = (1..=150).map(|i| format!("while away {i}")).collect();
    write_as(server, "tester", "c-team", &bodies).await;

    let second = profile.client();
    let mut events = second.subscribe();
    second
        .resume()
        .await
        .unwrap()
        .expect("a session to restore");
    wait_for(&mut events, "the server saying history was skipped", |e| {
        matches!(e, CoreEvent::HistoryGap { .. })
    })
    .await;
    second
}

#[tokio::test]
async fn scrolling_back_across_skipped_history_fills_it_from_the_server() {
    let server = forgetful_mock().await;
    let profile = Profile::new("history-gap");
    let client = back_after_a_long_absence(&server, &profile).await;

    let mut shown = client.open_chat("c-team").await.unwrap();
    assert!(
        !client.history_gaps("c-team").unwrap().is_empty(),
        "the skipped history is recorded as a gap"
    );
    let mut pages = 0;
    loop {
        let page = client.load_older("c-team").await.unwrap();
        assert!(page.missing_above.is_none());
        let mut older = page.messages;
        older.extend(shown);
        shown = older;
        pages += 1;
        if !page.has_more {
            break;
        }
        assert!(pages < 10, "scrolling back never reached the start");
    }
    assert_eq!(
        ids(&shown),
        server.chat_message_ids("c-team"),
        "every message once, in the server's order"
    );
    assert!(client.history_gaps("c-team").unwrap().is_empty(), "filled");

    // Now complete and cached: scrolling back again needs no server at all.
    server.set_fault("service:api", "refuse").unwrap();
    let again = restart(&profile, &client).await;
    let mut shown = again.open_chat("c-team").await.unwrap();
    loop {
        let page = again.load_older("c-team").await.unwrap();
        assert!(page.missing_above.is_none());
        let mut older = page.messages;
        older.extend(shown);
        shown = older;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(ids(&shown), server.chat_message_ids("c-team"));
}

/// Quit `client` and start the profile again (from the cache if the API is down).
async fn restart(profile: &Profile, client: &Client) -> Client {
    client.logout();
    let again = profile.client();
    again.resume().await.unwrap().expect("a session to restore");
    again
}

#[tokio::test]
async fn during_an_outage_the_cache_shows_past_a_gap_and_the_gap_fills_when_the_server_returns() {
    let server = forgetful_mock().await;
    let profile = Profile::new("history-gap-offline");
    let client = back_after_a_long_absence(&server, &profile).await;
    client.open_chat("c-team").await.unwrap();

    server.set_fault("service:api", "refuse").unwrap();
    let page = client.load_older("c-team").await.unwrap();
    let gap = page
        .missing_above
        .clone()
        .expect("the page says where messages may be missing");
    assert!(
        !page.messages.is_empty(),
        "what was read before the absence is still readable"
    );
    assert_eq!(
        page.messages.last().unwrap().msg_id.as_deref(),
        Some(gap.as_str()),
        "the gap is above the newest message cached before it"
    );

    server.set_fault("service:api", "up").unwrap();
    // The listener takes a moment to open again; until then the request fails retryably.
    let deadline = tokio::time::Instant::now() + common::DEADLINE;
    let filled = loop {
        match client.fill_gap("c-team", &gap).await {
            Ok(filled) => break filled,
            Err(err) if err.retryable() && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(err) => panic!("the gap did not fill: {err}"),
        }
    };
    assert_eq!(
        filled.len(),
        100,
        "the hundred messages the cache never had"
    );
    assert!(client.history_gaps("c-team").unwrap().is_empty());
    let shown = client.open_chat("c-team").await.unwrap();
    let server_ids = server.chat_message_ids("c-team");
    let shown_ids = ids(&shown);
    assert_eq!(
        shown_ids,
        server_ids[server_ids.len() - shown_ids.len()..],
        "the chat reads as on the server: in order, nothing missing, nothing twice"
    );
}

#[tokio::test]
async fn a_chat_is_saved_as_text_from_the_cache_during_an_outage_with_its_gap_marked() {
    let server = forgetful_mock().await;
    let profile = Profile::new("history-export");
    let client = back_after_a_long_absence(&server, &profile).await;
    client.open_chat("c-team").await.unwrap();
    // The server cannot be asked: saving reads the cache only.
    server.set_fault("service:api", "refuse").unwrap();
    let read_before = client.load_older("c-team").await.unwrap();
    assert!(read_before.missing_above.is_some());
    let downloads = profile.dir.join("Downloads");
    let saved = client
        .export_chat("c-team", &downloads, ExportLanguage::English)
        .await
        .unwrap();
    assert!(std::path::Path::new(&saved.path).starts_with(&downloads));
    assert!(saved.incomplete, "the file says history is missing");
    let text = std::fs::read_to_string(&saved.path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Chat: "), "{text}");
    // The messages written while away that the cache holds (the newest fifty), in order, once
    // each; the hundred it never had are marked as missing, right above them.
    let away: Vec<usize> = lines
        .iter()
        .filter_map(|l| {
            l.rsplit_once("] while away ")
                .map(|(_, n)| n.parse().unwrap())
        })
        .collect();
    assert_eq!(away, (101..=150).collect::<Vec<usize>>());
    let first_away = lines
        .iter()
        .position(|l| l.ends_with("] while away 101"))
        .unwrap();
    assert_eq!(
        lines[first_away - 1],
        "--------------- (some messages here are not on this computer) ---------------"
    );
    let gaps = lines
        .iter()
        .filter(|l| l.contains("not on this computer"))
        .count();
    assert_eq!(gaps, 1, "{text}");
    // What was read before the absence is there too, above the gap.
    let before = read_before.messages.last().unwrap();
    let before_line = format!("] {}", before.body.lines().next().unwrap());
    assert!(
        lines[..first_away]
            .iter()
            .any(|l| l.ends_with(&before_line)),
        "{before_line:?} in {text}"
    );
    let message_lines = lines.iter().filter(|l| l.starts_with('[')).count() as u64;
    assert!(
        saved.messages >= 50 && saved.messages <= message_lines,
        "{saved:?}"
    );

    // Saved again (in Korean): a new file beside the first, never over it.
    let again = client
        .export_chat("c-team", &downloads, ExportLanguage::Korean)
        .await
        .unwrap();
    assert_ne!(again.path, saved.path);
    assert_eq!(again.messages, saved.messages);
    assert!(std::fs::read_to_string(&again.path)
        .unwrap()
        .contains("(이 사이의 일부 메시지는 이 컴퓨터에 없습니다)"));
    assert_eq!(std::fs::read_to_string(&saved.path).unwrap(), text);

    // A chat this account does not have is refused, and no file is made.
    assert!(matches!(
        client
            .export_chat("c-nope", &downloads, ExportLanguage::English)
            .await,
        Err(outlast_core::CoreError::UnknownChat(_))
    ));
    assert_eq!(std::fs::read_dir(&downloads).unwrap().count(), 2);
}
