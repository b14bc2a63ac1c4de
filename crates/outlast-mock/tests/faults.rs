//! Each fault mode as a raw client observes it, over real loopback sockets. No client library of
//! ours is involved: what these tests see is what any client would see.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use outlast_mock::{MockConfig, MockServer};
use outlast_protocol::{
    decode_server_frame, AccessToken, ClientFrame, DiscoveryConfig, ErrorCode, EventPayload,
    EventsPage, Resume, SendRequest, SendResponse, ServerFrame, UploadResponse,
};
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::{self, Message};

#[tokio::test]
async fn discovery_lists_both_regions() {
    let server = server().await;
    let config: DiscoveryConfig = http()
        .get(format!("{}/v1/config", server.discovery_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = config.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    for region in &config.regions {
        assert_eq!(region.gateways.len(), 2);
        assert_eq!(region.api.len(), 1);
        assert_eq!(region.auth.len(), 1);
        assert_eq!(region.media.len(), 1);
    }
    assert_eq!(config.regions[1].gateways[0].id, "gw-b1");
}

#[tokio::test]
async fn refuse_closes_the_port_and_live_connections_then_reopens() {
    let server = server().await;
    let login = login(&server, "demo").await;
    let (mut live, _) = session(&server, "gw-a1", &login.access_token).await;
    let addr = addr_of(&server.url_of("gw-a1").unwrap());

    server.set_fault("gw-a1", "refuse").unwrap();
    assert!(next(&mut live).await.is_none(), "the live session ends");
    let refused =
        wait_until(|| async { tokio::net::TcpStream::connect(&addr).await.is_err() }).await;
    assert!(refused);
    let err = tokio::net::TcpStream::connect(&addr).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    // Other gateways are unaffected.
    session(&server, "gw-a2", &login.access_token).await;

    server.set_fault("gw-a1", "up").unwrap();
    assert!(wait_until(|| async { tokio::net::TcpStream::connect(&addr).await.is_ok() }).await);
    session(&server, "gw-a1", &login.access_token).await;
}

#[tokio::test]
async fn reset_sends_rst_to_new_and_live_connections() {
    let server = server().await;
    let login = login(&server, "demo").await;
    let (mut live, _) = session(&server, "gw-a1", &login.access_token).await;
    server.set_fault("gw-a1", "reset").unwrap();
    assert!(next(&mut live).await.is_none());

    let err = connect(&server, "gw-a1").await.unwrap_err();
    let reset = matches!(&err, tungstenite::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset)
        || matches!(&err, tungstenite::Error::Protocol(_));
    assert!(reset, "{err:?}");
}

#[tokio::test]
async fn blackhole_accepts_and_then_says_nothing() {
    let server = server().await;
    let login = login(&server, "demo").await;
    let (mut live, _) = session(&server, "gw-a1", &login.access_token).await;
    server.set_fault("gw-a1", "blackhole").unwrap();

    // Live: the ping goes out, nothing comes back, and the connection is not closed either.
    send_text(&mut live, &ClientFrame::Ping { nonce: 1 }).await;
    assert!(silent(&mut live).await);

    // New: TCP connects, the WebSocket handshake never completes.
    let url = server.url_of("gw-a1").unwrap();
    let addr = addr_of(&url);
    let tcp = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("the black hole accepts");
    drop(tcp);
    let handshake = timeout(SILENCE, tokio_tungstenite::connect_async(url)).await;
    assert!(handshake.is_err(), "the handshake must hang");

    // Once the black hole ends the held connection carries bytes again.
    server.set_fault("gw-a1", "up").unwrap();
    assert_eq!(next(&mut live).await, Some(ServerFrame::Pong { nonce: 1 }));
}

#[tokio::test]
async fn slow_delays_every_frame_and_response() {
    let server = server().await;
    let login = login(&server, "demo").await;
    let (mut live, _) = session(&server, "gw-a1", &login.access_token).await;
    server.set_fault("service:gateway", "slow:300").unwrap();
    server.set_fault("api-a", "slow:300").unwrap();

    let started = Instant::now();
    send_text(&mut live, &ClientFrame::Ping { nonce: 7 }).await;
    assert_eq!(next(&mut live).await, Some(ServerFrame::Pong { nonce: 7 }));
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let response = http()
        .get(format!("{}/healthz", server.url_of("api-a").unwrap()))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn erroring_answers_503_with_retry_after() {
    let server = server().await;
    let login = login(&server, "demo").await;
    let (mut live, _) = session(&server, "gw-a1", &login.access_token).await;
    server.set_fault("api-a", "error:7").unwrap();
    server.set_fault("gw-a1", "error:7").unwrap();

    let response = http()
        .get(format!("{}/v1/chats", server.url_of("api-a").unwrap()))
        .bearer_auth(login.access_token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: outlast_protocol::ApiError = response.json().await.unwrap();
    assert_eq!(
        (body.code, body.retryable, body.retry_after_ms),
        (ErrorCode::Unavailable, true, Some(7000))
    );

    match next(&mut live).await {
        Some(ServerFrame::Error { code, .. }) => assert_eq!(code, ErrorCode::Unavailable),
        other => panic!("expected an unavailable error, got {other:?}"),
    }
    match connect(&server, "gw-a1").await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            assert_eq!(response.headers()["retry-after"], "7");
        }
        other => panic!("expected HTTP 503 on upgrade, got {other:?}"),
    }
}

#[tokio::test]
async fn flaky_loses_acks_and_a_resend_is_acked_once() {
    let server = server().await;
    let login = login(&server, "demo").await;
    let (mut live, _) = session(&server, "gw-a1", &login.access_token).await;
    server.set_fault("gw-a1", "flaky:1").unwrap();
    send_text(
        &mut live,
        &send_frame("cm-flaky", "c-jun", "did this arrive?"),
    )
    .await;
    assert!(silent(&mut live).await, "the ack is lost");

    server.set_fault("gw-a1", "up").unwrap();
    send_text(
        &mut live,
        &send_frame("cm-flaky", "c-jun", "did this arrive?"),
    )
    .await;
    let ack = loop {
        match next(&mut live).await.expect("open") {
            ServerFrame::Ack {
                client_msg_id,
                msg_id,
                ..
            } => break (client_msg_id, msg_id),
            ServerFrame::Event { .. } => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(ack.0, "cm-flaky");
    // The message exists once on the server.
    let url = format!(
        "{}/v1/chats/c-jun/messages",
        server.url_of("api-b").unwrap()
    );
    let page: outlast_protocol::MessagesPage = get_json(url, login.access_token.expose()).await;
    let copies: Vec<_> = page
        .messages
        .iter()
        .filter(|m| m.body == "did this arrive?")
        .collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].msg_id, ack.1);
}

#[tokio::test]
async fn draining_tells_live_and_new_sessions_to_move() {
    let server = server().await;
    let login = login(&server, "demo").await;
    let (mut live, _) = session(&server, "gw-a1", &login.access_token).await;
    server.set_fault("gw-a1", "drain:gw-b1").unwrap();
    let expected = ServerFrame::Reconnect {
        endpoint_hint: Some("gw-b1".into()),
        reason: "this gateway is draining".into(),
    };
    assert_eq!(next(&mut live).await, Some(expected.clone()));
    // The drained session keeps working during the grace period.
    send_text(&mut live, &ClientFrame::Ping { nonce: 3 }).await;
    assert_eq!(next(&mut live).await, Some(ServerFrame::Pong { nonce: 3 }));

    let (mut newcomer, _) = session(&server, "gw-a1", &login.access_token).await;
    assert_eq!(next(&mut newcomer).await, Some(expected));
}

#[tokio::test]
async fn shedding_sends_shed_with_retry_after_and_closes() {
    let server = server().await;
    let login = login(&server, "demo").await;
    let (mut live, _) = session(&server, "gw-a1", &login.access_token).await;
    server.set_fault("gw-a1", "shed:4000").unwrap();
    server.set_fault("api-a", "shed:4000").unwrap();
    assert_eq!(
        next(&mut live).await,
        Some(ServerFrame::Shed {
            retry_after_ms: 4000
        })
    );
    assert!(next(&mut live).await.is_none());

    let mut ws = connect(&server, "gw-a1").await.unwrap();
    assert_eq!(
        hello(&mut ws, &login.access_token, None).await,
        ServerFrame::Shed {
            retry_after_ms: 4000
        }
    );

    let response = http()
        .get(format!("{}/healthz", server.url_of("api-a").unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "4");
    let body: outlast_protocol::ApiError = response.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::Overloaded);
}

#[tokio::test]
async fn auth_down_leaves_signed_in_sessions_working() {
    let server = server().await;
    let login = login(&server, "demo").await;
    server.set_fault("auth", "refuse").unwrap();
    let auth = server.url_of("auth").unwrap();
    assert!(
        wait_until(|| async {
            tokio::net::TcpStream::connect(addr_of(&auth))
                .await
                .is_err()
        })
        .await
    );
    // Gateways verify the signed token themselves.
    session(&server, "gw-b2", &login.access_token).await;
    let chats = http()
        .get(format!("{}/v1/chats", server.url_of("api-a").unwrap()))
        .bearer_auth(login.access_token.expose())
        .send()
        .await
        .unwrap();
    assert!(chats.status().is_success());
}

#[tokio::test]
async fn resume_replays_what_was_missed_and_expiry_refuses_it() {
    let server = server().await;
    let demo = login(&server, "demo").await;
    let jun = login(&server, "jun").await;
    let (ws, session_id) = session(&server, "gw-a1", &demo.access_token).await;
    drop(ws);

    // Jun writes while demo is away.
    let (mut jun_ws, _) = session(&server, "gw-b1", &jun.access_token).await;
    send_text(&mut jun_ws, &send_frame("cm-jun-1", "c-jun", "you there?")).await;
    assert!(matches!(
        next(&mut jun_ws).await,
        Some(ServerFrame::Ack { .. })
    ));

    let mut ws = connect(&server, "gw-a2").await.unwrap();
    let resume = Resume {
        session_id: session_id.clone(),
        last_seq: 0,
    };
    match hello(&mut ws, &demo.access_token, Some(resume.clone())).await {
        ServerFrame::Welcome {
            resumed,
            session_id: same,
            ..
        } => {
            assert!(resumed);
            assert_eq!(same, session_id);
        }
        other => panic!("{other:?}"),
    }
    match next(&mut ws).await {
        Some(ServerFrame::Event {
            seq: 1,
            event: EventPayload::MessageCreated { message },
        }) => {
            assert_eq!(message.body, "you there?")
        }
        other => panic!("expected the missed message, got {other:?}"),
    }
    drop(ws);

    server.expire_sessions();
    let mut ws = connect(&server, "gw-a2").await.unwrap();
    match hello(&mut ws, &demo.access_token, Some(resume)).await {
        ServerFrame::Welcome {
            resumed,
            session_id: fresh,
            ..
        } => {
            assert!(!resumed, "an expired session is not resumed");
            assert_ne!(fresh, session_id);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rest_send_is_idempotent_and_long_poll_wakes_on_news() {
    let server = server_with(MockConfig {
        reply_delay: Duration::from_millis(50),
        replay_limit: 5,
        ..MockConfig::default()
    })
    .await;
    let demo = login(&server, "demo").await;
    let api = server.url_of("api-b").unwrap();
    let token = demo.access_token.expose().to_owned();

    let request = SendRequest {
        client_msg_id: "cm-rest-1".into(),
        chat_id: "c-minji".into(),
        body: "over REST".into(),
        attachments: vec![],
    };
    let send = || post_json::<SendResponse>(format!("{api}/v1/messages"), &token, &request);
    let first = send().await;
    let again = send().await;
    assert_eq!(first, again, "resending over REST stores nothing new");

    // A long-poll after our own event wakes when Minji's simulated reply lands.
    let started = Instant::now();
    let page: EventsPage = get_json(
        format!("{api}/v1/events?after={}&wait_ms=5000", first.seq),
        &token,
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "woken by the reply, not the timeout"
    );
    match &page.events[..] {
        [event] => assert!(
            matches!(&event.event, EventPayload::MessageCreated { message } if message.sender_id == "u-minji")
        ),
        other => panic!("{other:?}"),
    }

    // Overflow the 5-event replay log: catching up from 0 reports the gap.
    for n in 0..6 {
        let request = SendRequest {
            client_msg_id: format!("cm-fill-{n}"),
            chat_id: "c-team".into(),
            body: format!("fill {n}"),
            attachments: vec![],
        };
        http()
            .post(format!("{api}/v1/messages"))
            .bearer_auth(&token)
            .json(&request)
            .send()
            .await
            .unwrap();
    }
    let page: EventsPage = get_json(format!("{api}/v1/events?after=0&limit=2"), &token).await;
    let gap = page.gap.expect("history was skipped");
    assert_eq!(page.events[0].seq, gap.first_available_seq);
    assert_eq!(page.events.len(), 2);
    assert!(page.has_more);
}

#[tokio::test]
async fn media_round_trip_and_media_outage() {
    let server = server().await;
    let demo = login(&server, "demo").await;
    let media = server.url_of("media").unwrap();
    let uploaded: UploadResponse = http()
        .post(format!("{media}/v1/media"))
        .bearer_auth(demo.access_token.expose())
        .header("x-file-name", "notes.txt")
        .header("content-type", "text/plain")
        .body("hello file")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (uploaded.attachment.size, uploaded.attachment.mime.as_str()),
        (10, "text/plain")
    );
    let bytes = http()
        .get(format!("{media}/v1/media/{}", uploaded.attachment.media_id))
        .bearer_auth(demo.access_token.expose())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"hello file");

    server.set_fault("media", "error:30").unwrap();
    let response = http()
        .post(format!("{media}/v1/media"))
        .bearer_auth(demo.access_token.expose())
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    // Text keeps flowing while media is down.
    let (mut ws, _) = session(&server, "gw-a1", &demo.access_token).await;
    send_text(&mut ws, &send_frame("cm-text", "c-jun", "text still works")).await;
    assert!(matches!(next(&mut ws).await, Some(ServerFrame::Ack { .. })));
}

#[tokio::test]
async fn control_api_switches_faults_and_plays_scenarios() {
    let server = server().await;
    let control = server.control_url().to_owned();
    let response = http()
        .put(format!("{control}/control/fault"))
        .json(&serde_json::json!({"target": "region:a", "fault": "blackhole"}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let switched: Vec<String> = response.json().await.unwrap();
    assert_eq!(switched, ["api-a", "gw-a1", "gw-a2"]);

    let bad = http()
        .put(format!("{control}/control/fault"))
        .json(&serde_json::json!({"target": "gw-a1", "fault": "explode"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let error: serde_json::Value = bad.json().await.unwrap();
    assert!(
        error["error"].as_str().unwrap().contains("unknown mode"),
        "{error}"
    );

    let scenario = "name = \"quick flap\"\n[[step]]\nat = \"0s\"\ntarget = \"gw-b1\"\nfault = \"refuse\"\n[[step]]\nat = \"10s\"\ntarget = \"all\"\nfault = \"up\"\n";
    let response = http()
        .post(format!("{control}/control/scenario"))
        .json(&serde_json::json!({"toml": scenario, "time_scale": 20.0}))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
    let fault_of = |id: &'static str| {
        let control = control.clone();
        async move {
            let status: outlast_mock::Status = http()
                .get(format!("{control}/control/status"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            status
                .listeners
                .into_iter()
                .find(|l| l.id == id)
                .unwrap()
                .fault
        }
    };
    assert!(wait_until(|| async { fault_of("gw-b1").await == "refuse" }).await);
    // Ten scenario seconds at 20x: everything is back up within half a second or so.
    assert!(
        wait_until(|| async { fault_of("gw-a1").await == "up" && fault_of("gw-b1").await == "up" })
            .await
    );

    let invalid = http()
        .post(format!("{control}/control/scenario"))
        .json(&serde_json::json!({"toml": "name = \"x\"\n[[step]]\nat = \"0s\"\ntarget = \"gw-q9\"\nfault = \"up\"\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 400);
    let error: serde_json::Value = invalid.json().await.unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .starts_with("line 4: no listener matches"),
        "{error}"
    );
}

#[tokio::test]
async fn hostile_input_gets_protocol_errors_and_the_server_survives() {
    let server = server().await;
    let login = login(&server, "demo").await;
    for bad in [
        "{not json".to_owned(),
        r#"{"type":"teleport"}"#.to_owned(),
        format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(100_000)),
    ] {
        let (mut ws, _) = session(&server, "gw-a1", &login.access_token).await;
        ws.send(Message::text(bad)).await.unwrap();
        assert!(matches!(
            next(&mut ws).await,
            Some(ServerFrame::Error { .. })
        ));
        assert!(next(&mut ws).await.is_none(), "closed after the error");
    }
    // Bad UTF-8 cannot even be a text frame; a binary frame is refused.
    let (mut ws, _) = session(&server, "gw-a1", &login.access_token).await;
    ws.send(Message::binary(vec![0xff, 0xfe, 0x00]))
        .await
        .unwrap();
    assert!(matches!(
        next(&mut ws).await,
        Some(ServerFrame::Error {
            code: ErrorCode::MalformedFrame,
            ..
        })
    ));
    // 2 MiB exceeds the WebSocket limit: the connection is dropped, the server lives on.
    let (mut ws, _) = session(&server, "gw-a1", &login.access_token).await;
    let _ = ws.send(Message::text("x".repeat(2 * 1024 * 1024))).await;
    assert!(next(&mut ws).await.is_none());
    session(&server, "gw-a1", &login.access_token).await;
    let response = http()
        .get(format!("{}/v1/chats", server.url_of("api-a").unwrap()))
        .bearer_auth("v1.forged.token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

/// Jun writes `body` to demo over REST.
async fn jun_writes(server: &MockServer, token: &AccessToken, id: &str, body: &str) -> u64 {
    let request = SendRequest {
        client_msg_id: id.into(),
        chat_id: "c-jun".into(),
        body: body.into(),
        attachments: vec![],
    };
    let url = format!("{}/v1/messages", server.url_of("api-a").unwrap());
    let response: SendResponse = post_json(url, token.expose(), &request).await;
    response.seq
}

fn event_seq(frame: Option<ServerFrame>) -> u64 {
    match frame {
        Some(ServerFrame::Event { seq, .. }) => seq,
        other => panic!("expected an event, got {other:?}"),
    }
}

#[tokio::test]
async fn duplicating_and_reordering_mangle_event_delivery() {
    let server = server().await;
    let demo = login(&server, "demo").await;
    let jun = login(&server, "jun").await;
    let (mut live, _) = session(&server, "gw-a1", &demo.access_token).await;

    server.set_fault("gw-a1", "duplicate:1").unwrap();
    jun_writes(&server, &jun.access_token, "cm-d1", "twice?").await;
    let first = event_seq(next(&mut live).await);
    let second = event_seq(next(&mut live).await);
    assert_eq!(first, second, "the same event arrives twice");

    server.set_fault("gw-a1", "reorder:1").unwrap();
    jun_writes(&server, &jun.access_token, "cm-r1", "first").await;
    jun_writes(&server, &jun.access_token, "cm-r2", "second").await;
    let a = event_seq(next(&mut live).await);
    let b = event_seq(next(&mut live).await);
    assert_eq!(
        (a, b),
        (first + 2, first + 1),
        "the later event overtakes the earlier one"
    );
}

#[tokio::test]
async fn hostile_mode_sends_garbage_a_script_body_and_a_huge_frame() {
    let server = server().await;
    let demo = login(&server, "demo").await;
    let (mut live, _) = session(&server, "gw-a1", &demo.access_token).await;
    server.set_fault("gw-a1", "hostile").unwrap();
    let mut texts = Vec::new();
    let mut binaries = 0;
    while texts.len() + binaries < 6 {
        match timeout(DEADLINE, live.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            Message::Text(t) => texts.push(t.to_string()),
            Message::Binary(_) => binaries += 1,
            _ => {}
        }
    }
    assert_eq!(binaries, 1);
    assert_eq!(texts[0], "{not json");
    assert!(texts[1].contains("teleport"));
    assert!(texts[2].contains("m-ghost"));
    assert!(
        texts.iter().any(|t| t.len() >= 10 * 1024 * 1024),
        "a 10 MiB frame"
    );
    let script = texts
        .iter()
        .find(|t| t.contains("onerror"))
        .expect("a hostile message");
    match decode_server_frame(script).unwrap() {
        ServerFrame::Event {
            event: EventPayload::MessageCreated { message },
            ..
        } => {
            assert!(message.body.contains("<script>"));
            assert!(message.body.contains('\u{202e}'));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn new_and_renamed_chats_reach_members_as_chat_updates() {
    let server = server().await;
    let demo = login(&server, "demo").await;
    let tester = login(&server, "tester").await;
    let (mut live, _) = session(&server, "gw-b1", &tester.access_token).await;
    let api = server.url_of("api-a").unwrap();
    let chat: outlast_protocol::ChatInfo = post_json(
        format!("{api}/v1/chats"),
        demo.access_token.expose(),
        &serde_json::json!({"title": "Drill", "member_ids": ["u-tester", "u-minji"]}),
    )
    .await;
    match next(&mut live).await {
        Some(ServerFrame::Event {
            event: EventPayload::ChatUpdated { chat: seen },
            ..
        }) => {
            assert_eq!(seen.chat_id, chat.chat_id)
        }
        other => panic!("{other:?}"),
    }
    let renamed = http()
        .put(format!("{api}/v1/chats/{}/title", chat.chat_id))
        .bearer_auth(tester.access_token.expose())
        .json(&serde_json::json!({"title": "Gateway drill"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 204);
    match next(&mut live).await {
        Some(ServerFrame::Event {
            event: EventPayload::ChatUpdated { chat },
            ..
        }) => {
            assert_eq!(chat.title, "Gateway drill");
            assert_eq!(chat.members.len(), 3);
        }
        other => panic!("{other:?}"),
    }
    let bad = http()
        .post(format!("{api}/v1/chats"))
        .bearer_auth(demo.access_token.expose())
        .json(&serde_json::json!({"title": "", "member_ids": ["u-nobody"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}
