//! A broken or hostile gateway cannot crash the client, grow its memory without bound, or corrupt
//! its state. The gateway here is a raw WebSocket server that says `welcome` and then misbehaves;
//! discovery, auth and the API are the real mock backend (its discovery is switched off so the
//! client uses built-in endpoints pointing at the hostile gateway).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use outlast_core::{
    Client, ClientOptions, ConnectionSettings, ConnectionState, CoreEvent, MessageState,
    RetryPolicy,
};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use outlast_protocol::{encode_frame, DiscoveryConfig, Endpoint, ServerFrame};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const DEADLINE: Duration = Duration::from_secs(10);

type ServerWs = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// What the hostile gateway does after its welcome, on every connection.
type Script =
    Arc<dyn Fn(ServerWs, usize) -> futures_util::future::BoxFuture<'static, ()> + Send + Sync>;

struct Hostile {
    url: String,
    connections: Arc<AtomicUsize>,
    /// Every hello received, in order (they carry the client's resume cursor).
    hellos: Arc<std::sync::Mutex<Vec<outlast_protocol::ClientFrame>>>,
}

async fn hostile_gateway(script: Script) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/gateway", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    let hellos = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = hellos.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let script = script.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                // Take the hello, whatever it says.
                if let Some(Ok(Message::Text(text))) = ws.next().await {
                    if let Ok(hello) = outlast_protocol::decode_client_frame(text.as_str()) {
                        seen.lock().unwrap().push(hello);
                    }
                }
                let welcome = ServerFrame::Welcome {
                    protocol_version: 1,
                    session_id: format!("s-hostile-{n}"),
                    user_id: "u-demo".into(),
                    heartbeat_interval_ms: 1_000,
                    resumed: false,
                };
                if ws.send(Message::text(encode_frame(&welcome))).await.is_ok() {
                    script(ws, n).await;
                }
            });
        }
    });
    Hostile {
        url,
        connections,
        hellos,
    }
}

/// Behave like a normal gateway from here on: answer every ping, until the client goes.
async fn answer_pings(ws: &mut ServerWs) {
    while let Some(Ok(Message::Text(text))) = ws.next().await {
        if let Ok(outlast_protocol::ClientFrame::Ping { nonce }) =
            outlast_protocol::decode_client_frame(text.as_str())
        {
            let _ = ws
                .send(Message::text(encode_frame(&ServerFrame::Pong { nonce })))
                .await;
        }
    }
}

fn fast() -> ConnectionSettings {
    ConnectionSettings {
        connect_timeout: Duration::from_secs(1),
        retry: Some(RetryPolicy::outlast(
            Duration::from_millis(50),
            Duration::from_millis(200),
        )),
        pong_timeout: Duration::from_millis(400),
        ack_probe_after: Some(Duration::from_millis(200)),
        probe_timeout: Duration::from_millis(300),
        stable_after: Duration::from_millis(200),
        failback_after: None,
        ..ConnectionSettings::default()
    }
}

/// Sign the demo user in through the real mock, with the hostile gateway as the only gateway.
async fn sign_in(
    gateway: &Hostile,
) -> (
    MockServer,
    Client,
    tokio::sync::broadcast::Receiver<CoreEvent>,
) {
    let server = MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let url = format!("{}/v1/config", server.discovery_url());
    let mut config: DiscoveryConfig = reqwest::get(url).await.unwrap().json().await.unwrap();
    for region in &mut config.regions {
        region.gateways.clear();
    }
    config.regions[0].gateways.push(Endpoint {
        id: "gw-hostile".into(),
        url: gateway.url.clone(),
        priority: 0,
    });
    server.set_fault("discovery", "refuse").unwrap();
    let client = Client::with_options(ClientOptions {
        connection: fast(),
        data_dir: None,
        builtin_endpoints: Some(config),
        vault: None,
    });
    let events = client.subscribe();
    client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .expect("sign-in through the real auth service");
    (server, client, events)
}

async fn until<T>(
    events: &mut tokio::sync::broadcast::Receiver<CoreEvent>,
    what: &str,
    mut pick: impl FnMut(&CoreEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(DEADLINE, async {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Some(found) = pick(&event) {
                        return found;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("events ended: {e}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

fn event(seq: u64, chat_id: &str, msg_id: &str, body: &str) -> String {
    encode_frame(&ServerFrame::Event {
        seq,
        event: outlast_protocol::EventPayload::MessageCreated {
            message: outlast_protocol::MessageRecord {
                msg_id: msg_id.into(),
                chat_id: chat_id.into(),
                sender_id: "u-jun".into(),
                client_msg_id: None,
                body: body.into(),
                sent_at_ms: 1,
                attachments: vec![],
            },
        },
    })
}

#[tokio::test]
async fn garbage_frames_are_dropped_and_the_good_ones_still_apply() {
    let gateway = hostile_gateway(Arc::new(|mut ws, _| {
        Box::pin(async move {
            for bad in [
                "{not json",
                r#"{"type":"launch_missiles"}"#,
                r#"{"type":"event","seq":"seven"}"#,
                r#"{"type":"ack","client_msg_id":"never-sent","msg_id":"m-x","seq":2}"#,
            ] {
                let _ = ws.send(Message::text(bad)).await;
            }
            let _ = ws.send(Message::binary(vec![0xff, 0xfe, 0x00, 0xc3])).await;
            let _ = ws
                .send(Message::text(event(
                    3,
                    "c-jun",
                    "m-good",
                    "<img src=x onerror=alert(1)>",
                )))
                .await;
            // Then answer pings like a normal gateway.
            answer_pings(&mut ws).await;
        })
    }))
    .await;
    let (_server, client, mut events) = sign_in(&gateway).await;
    let message = until(&mut events, "the good event", |e| match e {
        CoreEvent::MessageAdded { message } if message.msg_id.as_deref() == Some("m-good") => {
            Some(message.clone())
        }
        _ => None,
    })
    .await;
    assert_eq!(message.body, "<img src=x onerror=alert(1)>", "kept as text");
    assert!(matches!(
        client.connection_state(),
        ConnectionState::Connected { .. }
    ));
    assert_eq!(
        gateway.connections.load(Ordering::SeqCst),
        1,
        "bad frames did not cost the link"
    );
}

#[tokio::test]
async fn an_oversized_frame_costs_the_connection_not_the_client() {
    let gateway = hostile_gateway(Arc::new(|mut ws, n| {
        Box::pin(async move {
            if n == 0 {
                let _ = ws.send(Message::text("x".repeat(10 * 1024 * 1024))).await;
            }
            answer_pings(&mut ws).await;
        })
    }))
    .await;
    let (_server, client, mut events) = sign_in(&gateway).await;
    until(
        &mut events,
        "a reconnect after the 10 MiB frame",
        |e| match e {
            CoreEvent::ConnectionChanged {
                state: ConnectionState::Connected { session_id, .. },
            } if session_id.as_deref() == Some("s-hostile-1") => Some(()),
            _ => None,
        },
    )
    .await;
    assert!(client.session_info().is_some());
}

#[tokio::test]
async fn sequence_numbers_jumping_back_or_far_ahead_do_not_corrupt_the_cursor() {
    let gateway = hostile_gateway(Arc::new(|mut ws, n| {
        Box::pin(async move {
            if n > 0 {
                while ws.next().await.is_some() {}
                return;
            }
            let frames = [
                event(5, "c-jun", "m-5", "five"),
                event(3, "c-jun", "m-3", "three (late)"),
                event(5, "c-jun", "m-5", "five"),
                event(u64::MAX, "c-jun", "m-max", "from the far future"),
                event(6, "c-jun", "m-6", "six"),
            ];
            for frame in frames {
                let _ = ws.send(Message::text(frame)).await;
            }
            // Then drop the connection: the client's next hello shows its cursor.
            let _ = ws.close(None).await;
        })
    }))
    .await;
    let (_server, client, mut events) = sign_in(&gateway).await;
    until(&mut events, "the reconnect", |e| match e {
        CoreEvent::ConnectionChanged {
            state: ConnectionState::Connected { session_id, .. },
        } if session_id.as_deref() == Some("s-hostile-1") => Some(()),
        _ => None,
    })
    .await;
    let messages = client.open_chat("c-jun").await.unwrap();
    let ids: Vec<&str> = messages
        .iter()
        .filter_map(|m| m.msg_id.as_deref())
        .collect();
    assert_eq!(
        ids.iter().filter(|id| **id == "m-5").count(),
        1,
        "applied once: {ids:?}"
    );
    assert!(ids.contains(&"m-3") && ids.contains(&"m-max") && ids.contains(&"m-6"));
    let hellos = gateway.hellos.lock().unwrap().clone();
    match &hellos[1] {
        outlast_protocol::ClientFrame::Hello {
            resume: Some(resume),
            ..
        } => assert_eq!(
            resume.last_seq, 6,
            "the cursor ignored the jump to u64::MAX"
        ),
        other => panic!("expected a resuming hello, got {other:?}"),
    }
}

#[tokio::test]
async fn a_flood_of_invented_chats_is_bounded() {
    let gateway = hostile_gateway(Arc::new(|mut ws, _| {
        Box::pin(async move {
            for i in 0..5_000u64 {
                let frame = event(i + 1, &format!("c-invented-{i}"), &format!("m-{i}"), "spam");
                if ws.send(Message::text(frame)).await.is_err() {
                    return;
                }
            }
            let _ = ws
                .send(Message::text(event(5_001, "c-jun", "m-last", "still here")))
                .await;
            while ws.next().await.is_some() {}
        })
    }))
    .await;
    let (_server, client, mut events) = sign_in(&gateway).await;
    until(&mut events, "the last event", |e| match e {
        CoreEvent::MessageAdded { message } if message.msg_id.as_deref() == Some("m-last") => {
            Some(())
        }
        _ => None,
    })
    .await;
    let chats = client.chats().unwrap();
    assert!(chats.len() <= 3 + 1_000, "{} chats", chats.len());
    // Still responsive: a message can be written and is pending (this gateway never acks).
    let pending = client.send("c-jun", "hello?").unwrap();
    assert_eq!(pending.state, MessageState::Pending);
}

#[tokio::test]
async fn a_slowloris_gateway_is_declared_dead_by_the_heartbeat() {
    let gateway = hostile_gateway(Arc::new(|ws, n| {
        Box::pin(async move {
            if n > 0 {
                // The second connection behaves, so the client has somewhere to go.
                let mut ws = ws;
                answer_pings(&mut ws).await;
                return;
            }
            // Start a frame and dribble it out a byte at a time, forever.
            let mut raw = ws.into_inner();
            use tokio::io::AsyncWriteExt;
            let _ = raw.write_all(&[0x81, 0x7e, 0xff, 0xff]).await; // text frame, 65,535 bytes
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if raw.write_all(b"a").await.is_err() {
                    return;
                }
            }
        })
    }))
    .await;
    let (_server, _client, mut events) = sign_in(&gateway).await;
    let why = until(&mut events, "the dribbling link given up", |e| match e {
        CoreEvent::ConnectionChanged {
            state: ConnectionState::Connecting { why, .. } | ConnectionState::Waiting { why, .. },
        } if why.contains("heartbeat") => Some(why.clone()),
        _ => None,
    })
    .await;
    assert!(why.contains("gw-hostile"), "{why}");
    until(&mut events, "the next connection", |e| match e {
        CoreEvent::ConnectionChanged {
            state: ConnectionState::Connected { session_id, .. },
        } if session_id.as_deref() == Some("s-hostile-1") => Some(()),
        _ => None,
    })
    .await;
}
