//! Files with messages against the real mock backend over loopback: uploaded before the message,
//! held (with the reason shown) through a media outage while other chats keep flowing, kept
//! through a restart from a private copy, and saved by the receiver under a safe name.

mod common;

use std::path::{Path, PathBuf};

use common::{copies_on_server, mock, signed_in, state_of, wait_for, Profile};
use outlast_core::{Client, CoreEvent, MessageState, TransferFile};
use outlast_mock::DEMO_PASSWORD;

/// A file the user picks, outside the profile.
fn file_to_send(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn a_media_outage_holds_the_file_and_its_chat_while_other_chats_keep_flowing() {
    let server = mock().await;
    let profile = Profile::new("files-outage");
    let picked = profile.dir.with_extension("picked");
    let report = file_to_send(&picked, "report 2026.pdf", b"%PDF-1.7 quarterly numbers");
    let (client, mut events) = signed_in(&profile, &server).await;

    server.set_fault("service:media", "refuse").unwrap();
    let with_file = client
        .send_files("c-jun", "the report", std::slice::from_ref(&report))
        .await
        .unwrap();
    assert_eq!(with_file.attachments.len(), 1);
    assert_eq!(with_file.attachments[0].name, "report 2026.pdf");
    client.send("c-jun", "after the file").unwrap();
    client.send("c-minji", "meanwhile elsewhere").unwrap();

    // The reason is shown on the waiting file.
    wait_for(&mut events, "the file waiting, with the reason", |e| {
        matches!(e, CoreEvent::MessageUpdated { message }
            if message.body == "the report"
                && message.attachments[0].waiting_because.is_some()
                && message.state == MessageState::Pending)
    })
    .await;
    // Text in another chat is not held by the media service.
    // Its ack may come before the file's reason, past which the wait above has read: watched on
    // the server instead of in the event stream.
    let deadline = tokio::time::Instant::now() + common::DEADLINE;
    while copies_on_server(&server, "c-minji", "meanwhile elsewhere") == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other chat's text never went"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        copies_on_server(&server, "c-minji", "meanwhile elsewhere"),
        1
    );
    // Order within the file's chat is strict: the later text waits behind it.
    assert_eq!(copies_on_server(&server, "c-jun", "after the file"), 0);

    server.set_fault("service:media", "up").unwrap();
    state_of(&mut events, "after the file", MessageState::Sent).await;
    let bodies = server.chat_bodies("c-jun");
    assert_eq!(
        &bodies[bodies.len() - 2..],
        ["the report", "after the file"],
        "each once, in the order written"
    );

    // Jun receives it and saves it under its name, twice without overwriting.
    let jun = Client::default();
    jun.login(server.discovery_url(), "jun", DEMO_PASSWORD)
        .await
        .unwrap();
    let messages = jun.open_chat("c-jun").await.unwrap();
    let received = messages
        .iter()
        .find(|m| m.body == "the report")
        .expect("Jun sees the message");
    let attachment = &received.attachments[0];
    assert!(attachment.media_id.is_some());
    assert_eq!(attachment.mime, "application/pdf");
    let downloads = profile.dir.with_extension("downloads");
    let first = jun.save_attachment(attachment, &downloads).await.unwrap();
    let second = jun.save_attachment(attachment, &downloads).await.unwrap();
    assert_eq!(first.file_name().unwrap(), "report 2026.pdf");
    assert_eq!(second.file_name().unwrap(), "report 2026 (2).pdf");
    assert_eq!(
        std::fs::read(&first).unwrap(),
        b"%PDF-1.7 quarterly numbers"
    );
    jun.logout();
    let _ = std::fs::remove_dir_all(&picked);
    let _ = std::fs::remove_dir_all(&downloads);
}

/// Every progress report for `file` until one says it is complete: (done, total) in order.
async fn progress_of(
    events: &mut tokio::sync::broadcast::Receiver<CoreEvent>,
    file: &TransferFile,
) -> Vec<(u64, u64)> {
    let mut seen = Vec::new();
    wait_for(events, &format!("{file:?} complete"), |e| match e {
        CoreEvent::TransferProgress {
            file: moved,
            done,
            total,
        } if moved == file => {
            seen.push((*done, *total));
            done == total && *total > 0
        }
        _ => false,
    })
    .await;
    seen
}

/// A bar that starts empty, only moves forward and ends full at the file's size.
fn assert_fills(seen: &[(u64, u64)], size: u64) {
    assert_eq!(
        seen.first(),
        Some(&(0, size)),
        "the bar appears at once, empty"
    );
    assert_eq!(seen.last(), Some(&(size, size)), "and ends full");
    assert!(
        seen.windows(2).all(|w| w[0].0 <= w[1].0),
        "it never moves back: {seen:?}"
    );
    assert!(seen.iter().all(|&(_, total)| total == size));
}

#[tokio::test]
async fn a_files_upload_and_download_report_their_progress_to_the_last_byte() {
    let server = mock().await;
    let profile = Profile::new("files-progress");
    let picked = profile.dir.with_extension("picked");
    // Large enough to go in many pieces.
    let content: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let size = content.len() as u64;
    let video = file_to_send(&picked, "site visit.mp4", &content);
    let (client, mut events) = signed_in(&profile, &server).await;

    let message = client
        .send_files("c-jun", "from the site", std::slice::from_ref(&video))
        .await
        .unwrap();
    let upload = TransferFile::Upload {
        client_msg_id: message.client_msg_id.clone().unwrap(),
        position: 0,
    };
    assert_fills(&progress_of(&mut events, &upload).await, size);
    state_of(&mut events, "from the site", MessageState::Sent).await;

    let jun = Client::default();
    jun.login(server.discovery_url(), "jun", DEMO_PASSWORD)
        .await
        .unwrap();
    let mut jun_events = jun.subscribe();
    let received = jun
        .open_chat("c-jun")
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.body == "from the site")
        .expect("Jun sees the message");
    let attachment = received.attachments[0].clone();
    let download = TransferFile::Download {
        media_id: attachment.media_id.clone().unwrap(),
    };
    let downloads = profile.dir.with_extension("downloads");
    let saving = tokio::spawn({
        let jun = jun.clone();
        let downloads = downloads.clone();
        async move { jun.save_attachment(&attachment, &downloads).await }
    });
    assert_fills(&progress_of(&mut jun_events, &download).await, size);
    let saved = saving.await.unwrap().unwrap();
    assert_eq!(std::fs::read(&saved).unwrap(), content);
    jun.logout();
    let _ = std::fs::remove_dir_all(&picked);
    let _ = std::fs::remove_dir_all(&downloads);
}

#[tokio::test]
async fn a_file_waiting_for_upload_survives_a_restart_even_if_the_original_is_deleted() {
    let server = mock().await;
    let profile = Profile::new("files-restart");
    let picked = profile.dir.with_extension("picked");
    let photo = file_to_send(&picked, "사진.jpg", &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
    let first = signed_in(&profile, &server).await.0;

    server.set_fault("service:media", "refuse").unwrap();
    first
        .send_files("c-team", "", std::slice::from_ref(&photo))
        .await
        .unwrap();
    first.logout();
    drop(first);
    // The user tidies up their folder: the message must not care.
    std::fs::remove_file(&photo).unwrap();

    server.set_fault("service:media", "up").unwrap();
    let second = profile.client();
    let mut events = second.subscribe();
    second
        .resume()
        .await
        .unwrap()
        .expect("a session to restore");
    // An empty caption becomes the file name.
    state_of(&mut events, "사진.jpg", MessageState::Sent).await;
    assert_eq!(copies_on_server(&server, "c-team", "사진.jpg"), 1);
    let _ = std::fs::remove_dir_all(&picked);
}

#[tokio::test]
async fn files_that_cannot_be_sent_are_refused_with_a_clear_reason() {
    let server = mock().await;
    let profile = Profile::new("files-refused");
    let client = signed_in(&profile, &server).await.0;
    let missing = profile.dir.join("not-there.txt");
    let err = client
        .send_files("c-jun", "x", &[missing])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");
    let err = client
        .send_files("c-jun", "x", std::slice::from_ref(&profile.dir))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a file"), "{err}");
    assert!(client.chat("c-jun").is_some());
}

#[tokio::test]
async fn a_received_file_is_forwarded_to_other_chats_as_a_new_upload_and_text_forwards_offline() {
    let server = mock().await;
    let profile = Profile::new("files-forward");
    let picked = profile.dir.with_extension("picked");
    let content = b"%PDF-1.7 the plan, signed".to_vec();
    let plan = file_to_send(&picked, "plan.pdf", &content);
    // Jun sends it (from a profile of his own: files wait for upload in the local cache).
    let jun_profile = Profile::new("files-forward-jun");
    let jun = jun_profile.client();
    let mut jun_events = jun.subscribe();
    jun.login(server.discovery_url(), "jun", DEMO_PASSWORD)
        .await
        .unwrap();
    jun.send_files("c-jun", "the plan", std::slice::from_ref(&plan))
        .await
        .unwrap();
    state_of(&mut jun_events, "the plan", MessageState::Sent).await;

    let (client, mut events) = signed_in(&profile, &server).await;
    let received = client
        .open_chat("c-jun")
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.body == "the plan")
        .expect("the file from Jun");
    let original = received.attachments[0].media_id.clone().unwrap();

    // Refused before anything is written: no chat, too many, one unknown among good ones.
    let many: Vec<String> = (0..11).map(|i| format!("c-{i}")).collect();
    for to in [
        vec![],
        many,
        vec!["c-minji".to_owned(), "c-nope".to_owned()],
    ] {
        assert!(client.forward(&received, &to).await.is_err(), "{to:?}");
    }
    assert_eq!(client.unsent().unwrap().len(), 0);

    let to = vec![
        "c-minji".to_owned(),
        "c-team".to_owned(),
        "c-minji".to_owned(),
    ];
    let forwarded = client.forward(&received, &to).await.unwrap();
    assert_eq!(forwarded.len(), 2, "each chat once");
    let mut sent = std::collections::HashMap::new();
    wait_for(&mut events, "both forwarded files sent", |e| {
        if let CoreEvent::MessageUpdated { message } = e {
            if message.own && message.body == "the plan" && message.state == MessageState::Sent {
                sent.insert(message.chat_id.clone(), message.clone());
            }
        }
        sent.len() == 2
    })
    .await;
    for chat in ["c-minji", "c-team"] {
        let attachment = &sent[chat].attachments[0];
        assert_eq!(attachment.name, "plan.pdf");
        assert_ne!(
            attachment.media_id.as_ref(),
            Some(&original),
            "uploaded again"
        );
        // Whoever is in that chat gets the same bytes.
        let saved = client
            .save_attachment(attachment, &profile.dir.with_extension(chat))
            .await
            .unwrap();
        assert_eq!(std::fs::read(&saved).unwrap(), content);
    }

    // Text goes during an outage too, queued like anything written.
    server.set_fault("service:gateway", "refuse").unwrap();
    server.set_fault("service:api", "refuse").unwrap();
    let mut text = received.clone();
    text.body = "see you at noon".into();
    text.attachments.clear();
    let queued = client
        .forward(&text, &["c-minji".to_owned()])
        .await
        .unwrap();
    assert_eq!(queued[0].state, MessageState::Pending);
    // Files cannot: the media service is asked for them.
    server.set_fault("service:media", "refuse").unwrap();
    let refused = client.forward(&received, &["c-team".to_owned()]).await;
    assert!(refused.is_err_and(|e| e.retryable()));
    server.set_fault("service:gateway", "up").unwrap();
    server.set_fault("service:api", "up").unwrap();
    state_of(&mut events, "see you at noon", MessageState::Sent).await;
    assert_eq!(copies_on_server(&server, "c-minji", "see you at noon"), 1);
    jun.logout();
    let _ = std::fs::remove_dir_all(&picked);
}
