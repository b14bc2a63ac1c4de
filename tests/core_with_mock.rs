//! The client core against the real mock backend over loopback sockets.

mod support;

use outlast_core::{Client, ConnectionState, CoreEvent, MessageState};
use outlast_mock::{DEMO_PASSWORD, DEMO_USERNAME};
use support::{mock_backend, wait_for};

async fn connected(
    client: &Client,
    events: &mut tokio::sync::broadcast::Receiver<CoreEvent>,
    seen: &mut Vec<CoreEvent>,
) {
    if matches!(client.connection_state(), ConnectionState::Connected { .. }) {
        return;
    }
    wait_for(events, seen, "the gateway connection", |e| match e {
        CoreEvent::ConnectionChanged {
            state: ConnectionState::Connected { .. },
        } => Some(()),
        _ => None,
    })
    .await;
}

#[tokio::test]
async fn login_send_ack_and_peer_reply_arrive_in_that_order() {
    let server = mock_backend().await;
    let client = Client::default();
    let mut events = client.subscribe();
    let mut seen = Vec::new();

    let session = client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .expect("demo login");
    assert_eq!(session.user.display_name, "Demo User");
    let chats = client.chats().unwrap();
    let titles: Vec<&str> = chats.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(titles.contains(&"Jun Park"), "{titles:?}");
    connected(&client, &mut events, &mut seen).await;

    let history = client.open_chat("c-jun").await.unwrap();
    assert_eq!(
        history.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        [
            "Did you see the outage report?",
            "Yes, 54 minutes without the PC client. Ouch.",
            "That's why we're building this."
        ]
    );
    assert!(history[1].own && !history[0].own);

    let pending = client.send("c-jun", "Hello from the test").unwrap();
    assert_eq!(pending.state, MessageState::Pending);
    let client_msg_id = pending
        .client_msg_id
        .clone()
        .expect("own messages carry a client id");

    let sent = wait_for(&mut events, &mut seen, "the ack", |e| match e {
        CoreEvent::MessageUpdated { message }
            if message.client_msg_id.as_deref() == Some(&client_msg_id) =>
        {
            Some(message.clone())
        }
        _ => None,
    })
    .await;
    assert_eq!(sent.state, MessageState::Sent);
    assert!(sent.msg_id.is_some() && sent.seq.is_some());

    let reply = wait_for(&mut events, &mut seen, "the peer's reply", |e| match e {
        CoreEvent::MessageAdded { message } if !message.own => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!(reply.chat_id, "c-jun");
    assert_eq!(reply.sender_name, "Jun Park");
    assert!(
        reply.seq > sent.seq,
        "reply {:?} after ack {:?}",
        reply.seq,
        sent.seq
    );

    // The order the user sees: pending, then sent, then the reply.
    let order: Vec<&str> = seen
        .iter()
        .filter_map(|e| match e {
            CoreEvent::MessageAdded { message } if message.own => Some("pending"),
            CoreEvent::MessageUpdated { message } if message.state == MessageState::Sent => {
                Some("sent")
            }
            CoreEvent::MessageAdded { message } if !message.own => Some("reply"),
            _ => None,
        })
        .collect();
    assert_eq!(order, ["pending", "sent", "reply"]);

    // The local picture holds exactly one copy of the sent message, after the history.
    let messages = client.open_chat("c-jun").await.unwrap();
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.body == "Hello from the test")
            .count(),
        1
    );
    assert_eq!(messages.last().unwrap().body, reply.body);
    assert_eq!(
        client.chats().unwrap()[0].chat_id,
        "c-jun",
        "most recent chat first"
    );
}

#[tokio::test]
async fn a_message_from_another_user_reaches_this_client() {
    let server = mock_backend().await;
    let demo = Client::default();
    let tester = Client::default();
    let mut demo_events = demo.subscribe();
    let mut tester_events = tester.subscribe();
    let (mut demo_seen, mut tester_seen) = (Vec::new(), Vec::new());
    demo.login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    tester
        .login(server.discovery_url(), "tester", DEMO_PASSWORD)
        .await
        .unwrap();
    connected(&demo, &mut demo_events, &mut demo_seen).await;
    connected(&tester, &mut tester_events, &mut tester_seen).await;

    tester.send("c-team", "안녕하세요, 팀!").unwrap();
    let received = wait_for(
        &mut demo_events,
        &mut demo_seen,
        "the tester's message",
        |e| match e {
            CoreEvent::MessageAdded { message } if message.body == "안녕하세요, 팀!" => {
                Some(message.clone())
            }
            _ => None,
        },
    )
    .await;
    assert_eq!(received.sender_name, "Tess Tester");
    assert!(!received.own);
    let team = demo
        .chats()
        .unwrap()
        .into_iter()
        .find(|c| c.chat_id == "c-team")
        .unwrap();
    assert_eq!(
        team.unread_count, 1,
        "a message in a chat that is not open counts as unread"
    );
}

#[tokio::test]
async fn sign_in_errors_are_clear() {
    let server = mock_backend().await;
    let client = Client::default();

    let err = client
        .login(server.discovery_url(), DEMO_USERNAME, "wrong")
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.retryable()), ("bad_credentials", false));
    assert_eq!(err.to_string(), "wrong username or password");

    // A port nothing listens on: refused at once, reported as retryable.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let err = client
        .login(&addr.to_string(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.retryable()),
        ("server_unreachable", true),
        "{err}"
    );

    let err = client
        .login("ftp://example.com", DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_server_url");
    for (server, username, password) in [
        (
            "x".repeat(513),
            DEMO_USERNAME.to_owned(),
            DEMO_PASSWORD.to_owned(),
        ),
        (
            server.discovery_url().to_owned(),
            "u".repeat(513),
            DEMO_PASSWORD.to_owned(),
        ),
        (
            server.discovery_url().to_owned(),
            DEMO_USERNAME.to_owned(),
            "p".repeat(513),
        ),
    ] {
        let err = client
            .login(&server, &username, &password)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{err}");
        assert!(err.to_string().contains("longer than 512"), "{err}");
    }
    assert!(client.session_info().is_none());
    assert_eq!(client.chats().unwrap_err().code(), "not_signed_in");
}

#[tokio::test]
async fn bad_sends_are_refused_before_they_are_queued() {
    let server = mock_backend().await;
    let client = Client::default();
    client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        client.send("c-jun", "   ").unwrap_err().code(),
        "invalid_input"
    );
    let long = "가".repeat(outlast_protocol::MAX_BODY_CHARS + 1);
    assert_eq!(
        client.send("c-jun", &long).unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(
        client.send("c-nope", "hi").unwrap_err().code(),
        "unknown_chat"
    );
    assert_eq!(
        client.send(&"x".repeat(1000), "hi").unwrap_err().code(),
        "invalid_input"
    );
}
