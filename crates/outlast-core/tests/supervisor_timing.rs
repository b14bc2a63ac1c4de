//! The connection supervisor's timing, exactly: gateways are scripted through the `Connector`
//! and `Wire` seam (no sockets) and tokio's clock is paused, so each rule a user relies on
//! (a silent link is given up after heartbeat + pong timeout, a late ack is probed, a server's
//! retry floor goes back to the queue) is checked to the millisecond rather than with wall-clock
//! waits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use outlast_core::connection::{
    BoxFuture, Broken, Candidate, ConnectionSink, Connector, Link, OpenError, Outgoing,
    SupervisorHandle, TokenSource, Wire,
};
use outlast_core::domain::{Cursor, RemoteEvent};
use outlast_core::{ConnectionSettings, ConnectionState, RetryPolicy, ServiceState};
use outlast_protocol::{
    AccessToken, BackoffParams, ClientFrame, DiscoveryConfig, Endpoint, ErrorCode, EventPayload,
    Region, Resume, ServerFrame,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A gateway link as the test sees it: what the client wrote, and a way to answer.
struct Opened {
    id: String,
    at: Instant,
    /// The session the client asked to continue, with where its events stopped.
    resume: Option<Resume>,
    from_client: mpsc::UnboundedReceiver<ClientFrame>,
    to_client: mpsc::UnboundedSender<Result<ServerFrame, Broken>>,
}

impl Opened {
    /// The next frame the client writes on this link, and when.
    async fn next(&mut self) -> (ClientFrame, Instant) {
        let frame = self
            .from_client
            .recv()
            .await
            .expect("the client closed the link");
        (frame, Instant::now())
    }

    fn answer(&self, frame: ServerFrame) {
        let _ = self.to_client.send(Ok(frame));
    }

    /// "Busy, not before `retry_after_ms`" for message `id`.
    fn answer_busy(&self, id: &str, retry_after_ms: u64) {
        self.answer(ServerFrame::Nack {
            client_msg_id: id.into(),
            code: ErrorCode::Overloaded,
            message: "busy".into(),
            retryable: true,
            retry_after_ms: Some(retry_after_ms),
        });
    }

    /// Keep the link alive (answer every ping) until `until`; anything else it writes fails the
    /// test.
    async fn only_pings_until(&mut self, until: Instant) {
        loop {
            let (frame, at) = self.next().await;
            match frame {
                ClientFrame::Ping { nonce } => self.answer(ServerFrame::Pong { nonce }),
                other => panic!("unexpected {other:?}"),
            }
            if at > until {
                return;
            }
        }
    }
}

/// Welcomes every link at once, except on gateways scripted to refuse or shed.
struct ScriptedGateways {
    opened: mpsc::UnboundedSender<Opened>,
    refuse: Mutex<HashMap<String, OpenError>>,
    heartbeat: Duration,
}

struct ChannelWire {
    to_server: mpsc::UnboundedSender<ClientFrame>,
    from_server: mpsc::UnboundedReceiver<Result<ServerFrame, Broken>>,
}

impl Wire for ChannelWire {
    fn write<'a>(&'a mut self, frame: &'a ClientFrame) -> BoxFuture<'a, Result<(), Broken>> {
        let sent = self.to_server.send(frame.clone());
        Box::pin(async move { sent.map_err(|_| Broken("the test hung up".into())) })
    }

    fn read(&mut self) -> BoxFuture<'_, Result<ServerFrame, Broken>> {
        // `recv` is cancel-safe: a frame not yet taken stays in the channel.
        Box::pin(async move {
            match self.from_server.recv().await {
                Some(frame) => frame,
                None => Err(Broken("the test hung up".into())),
            }
        })
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

impl Connector for ScriptedGateways {
    fn open(
        &self,
        endpoint: Candidate,
        _token: AccessToken,
        resume: Option<Resume>,
        _timeout: Duration,
    ) -> BoxFuture<'static, Result<Link, OpenError>> {
        if let Some(error) = self.refuse.lock().unwrap().get(&endpoint.id) {
            let error = error.clone();
            let _ = self.opened.send(Opened {
                id: endpoint.id.clone(),
                at: Instant::now(),
                resume,
                from_client: mpsc::unbounded_channel().1,
                to_client: mpsc::unbounded_channel().0,
            });
            return Box::pin(async move { Err(error) });
        }
        let (to_server, from_client) = mpsc::unbounded_channel();
        let (to_client, from_server) = mpsc::unbounded_channel();
        let _ = self.opened.send(Opened {
            id: endpoint.id.clone(),
            at: Instant::now(),
            resume,
            from_client,
            to_client,
        });
        let link = Link::new(
            Box::new(ChannelWire {
                to_server,
                from_server,
            }),
            endpoint,
            "session-1".into(),
            self.heartbeat,
            false,
            Duration::from_millis(1),
        );
        Box::pin(async move { Ok(link) })
    }

    fn probe(&self, _url: String, _timeout: Duration) -> BoxFuture<'static, Result<(), String>> {
        Box::pin(async { Err("not scripted".to_owned()) })
    }
}

/// What the supervisor reported.
#[derive(Default)]
struct Recorded {
    acked: Vec<String>,
    refused: Vec<String>,
    /// Each "not now" ("busy"): the key and the floor.
    retry_later: Vec<(String, Duration)>,
    /// Handed over and not yet answered (this sink stands in for the core's queue, which the
    /// supervisor asks for them when a link comes up).
    unanswered: Vec<Outgoing>,
}

impl Recorded {
    fn answered(&mut self, key: &str) {
        self.unanswered.retain(|m| m.client_msg_id != key);
    }
}

#[derive(Default)]
struct RecordingSink(Mutex<Recorded>);

impl ConnectionSink for RecordingSink {
    fn cursor(&self) -> Option<Cursor> {
        // No history kept: nothing to catch up over REST (there is no API in these tests).
        None
    }
    fn apply_event(&self, _at: Cursor, _event: RemoteEvent) {}
    fn acked(&self, client_msg_id: &str, _msg_id: String, _at: Cursor) {
        let mut recorded = self.0.lock().unwrap();
        recorded.acked.push(client_msg_id.to_owned());
        recorded.answered(client_msg_id);
    }
    fn refused(&self, client_msg_id: &str, _reason: String) {
        let mut recorded = self.0.lock().unwrap();
        recorded.refused.push(client_msg_id.to_owned());
        recorded.answered(client_msg_id);
    }
    fn retry_later(&self, client_msg_id: &str, floor: Duration) {
        let mut recorded = self.0.lock().unwrap();
        recorded.retry_later.push((client_msg_id.to_owned(), floor));
        recorded.answered(client_msg_id);
    }
    fn unanswered(&self, limit: usize) -> Vec<Outgoing> {
        let recorded = self.0.lock().unwrap();
        recorded.unanswered.iter().take(limit).cloned().collect()
    }
    fn gap(&self, _after: Cursor, _resumes_at: Cursor) {}
    fn connection(&self, _state: ConnectionState) {}
    fn service(&self, _service: &str, _state: ServiceState, _detail: Option<String>) {}
}

/// One region, two gateways (`gw-a1` preferred), no API.
fn config() -> DiscoveryConfig {
    let gateway = |id: &str, priority| Endpoint {
        id: id.into(),
        url: format!("ws://127.0.0.1:1/{id}"),
        priority,
    };
    DiscoveryConfig {
        regions: vec![Region {
            name: "a".into(),
            gateways: vec![gateway("gw-a1", 0), gateway("gw-a2", 1)],
            auth: Vec::new(),
            api: Vec::new(),
            media: Vec::new(),
        }],
        heartbeat_interval_ms: 10_000,
        backoff: BackoffParams {
            base_ms: 1_000,
            cap_ms: 30_000,
        },
        ttl_s: 3_600,
    }
}

struct Harness {
    supervisor: SupervisorHandle,
    opened: mpsc::UnboundedReceiver<Opened>,
    sink: Arc<RecordingSink>,
}

impl Harness {
    fn start(settings: ConnectionSettings, refuse: &[(&str, OpenError)]) -> Harness {
        let (opened_tx, opened) = mpsc::unbounded_channel();
        let connector = Arc::new(ScriptedGateways {
            opened: opened_tx,
            refuse: Mutex::new(
                refuse
                    .iter()
                    .map(|(id, e)| ((*id).to_owned(), e.clone()))
                    .collect(),
            ),
            heartbeat: Duration::from_secs(10),
        });
        let sink = Arc::new(RecordingSink::default());
        let supervisor = SupervisorHandle::spawn_with(
            &config(),
            TokenSource::fixed(AccessToken::new("token")),
            settings,
            sink.clone(),
            connector,
        )
        .expect("the configuration is usable");
        Harness {
            supervisor,
            opened,
            sink,
        }
    }

    /// Hand `message` over, as the core's queue does (it stays unanswered there until an
    /// outcome).
    fn send(&self, message: Outgoing) {
        self.sink.0.lock().unwrap().unanswered.push(message.clone());
        self.supervisor.send(message);
    }

    /// Let the supervisor's task run until `done` holds for what the sink recorded (a frame
    /// answered reaches the sink after a bounded number of turns).
    async fn settled(&self, done: impl Fn(&Recorded) -> bool) {
        for _ in 0..1_000 {
            if done(&self.sink.0.lock().unwrap()) {
                return;
            }
            tokio::task::yield_now().await;
        }
    }

    async fn next_link(&mut self) -> Opened {
        self.opened.recv().await.expect("the supervisor stopped")
    }
}

fn message(id: &str) -> Outgoing {
    Outgoing {
        client_msg_id: id.into(),
        chat_id: "c-1".into(),
        body: format!("body of {id}"),
        attachments: Vec::new(),
    }
}

fn sent_id(frame: &ClientFrame) -> Option<&str> {
    match frame {
        ClientFrame::Send { client_msg_id, .. } => Some(client_msg_id),
        _ => None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_silent_link_is_pinged_after_the_heartbeat_and_left_after_the_pong_timeout() {
    let mut h = Harness::start(ConnectionSettings::default(), &[]);
    let mut first = h.next_link().await;
    assert_eq!(first.id, "gw-a1");
    let (ping, pinged_at) = first.next().await;
    assert!(matches!(ping, ClientFrame::Ping { .. }), "{ping:?}");
    assert_eq!(
        pinged_at - first.at,
        Duration::from_secs(10),
        "the heartbeat"
    );
    // The gateway says nothing more: a black hole.
    let second = h.next_link().await;
    assert_eq!(second.id, "gw-a2", "the next gateway, at once");
    assert_eq!(
        second.at - first.at,
        Duration::from_secs(15),
        "heartbeat (10 s) + pong timeout (5 s)"
    );
}

#[tokio::test(start_paused = true)]
async fn an_answered_heartbeat_keeps_the_link() {
    let mut h = Harness::start(ConnectionSettings::default(), &[]);
    let mut link = h.next_link().await;
    for beat in 1..=3u32 {
        let (frame, at) = link.next().await;
        let ClientFrame::Ping { nonce } = frame else {
            panic!("expected a ping, got {frame:?}");
        };
        assert_eq!(at - link.at, Duration::from_secs(10) * beat);
        link.answer(ServerFrame::Pong { nonce });
    }
    assert!(
        h.opened.try_recv().is_err(),
        "no other gateway was tried while this one answered"
    );
}

#[tokio::test(start_paused = true)]
async fn a_late_ack_is_probed_and_the_message_goes_again_on_the_next_gateway_under_its_id() {
    let mut h = Harness::start(ConnectionSettings::default(), &[]);
    let mut first = h.next_link().await;
    h.send(message("m1"));
    let (frame, sent_at) = first.next().await;
    assert_eq!(sent_id(&frame), Some("m1"));
    let (probe, probed_at) = first.next().await;
    assert!(matches!(probe, ClientFrame::Ping { .. }), "{probe:?}");
    assert_eq!(
        probed_at - sent_at,
        Duration::from_secs(1),
        "ack_probe_after"
    );
    let mut second = h.next_link().await;
    assert_eq!(
        second.at - sent_at,
        Duration::from_millis(2_500),
        "probe after 1 s + 1.5 s probe timeout: the figure of the black-hole benchmark"
    );
    let (again, _) = second.next().await;
    assert_eq!(sent_id(&again), Some("m1"), "re-sent under the same id");
    second.answer(ServerFrame::Ack {
        client_msg_id: "m1".into(),
        msg_id: "s-1".into(),
        seq: 1,
    });
    h.settled(|r| !r.acked.is_empty()).await;
    assert_eq!(h.sink.0.lock().unwrap().acked, ["m1"]);
}

#[tokio::test(start_paused = true)]
async fn a_retryable_refusal_goes_back_to_the_queue_with_the_servers_floor_and_is_not_resent_before(
) {
    let mut h = Harness::start(ConnectionSettings::default(), &[]);
    let mut link = h.next_link().await;
    h.send(message("m1"));
    let (frame, _) = link.next().await;
    assert_eq!(sent_id(&frame), Some("m1"));
    let nacked_at = Instant::now();
    link.answer_busy("m1", 7_000);
    // Keep the link alive past the floor: the supervisor sends nothing again by itself (the
    // queue hands the message over again once the floor has passed; `outbox.rs` checks that
    // with the whole client).
    link.only_pings_until(nacked_at + Duration::from_secs(8))
        .await;
    {
        let recorded = h.sink.0.lock().unwrap();
        assert_eq!(
            recorded.retry_later,
            [("m1".to_owned(), Duration::from_secs(7))],
            "the server's 7 s floor, not the client's own 2 s"
        );
        assert!(recorded.refused.is_empty());
        assert!(
            recorded.unanswered.is_empty(),
            "the queue holds it, not the link"
        );
    }
    // Handed over again (the floor passed): sent at once, under its id.
    h.send(message("m1"));
    let (again, at) = link.next().await;
    assert_eq!(sent_id(&again), Some("m1"));
    assert_eq!(at, Instant::now(), "at once");
}

#[tokio::test(start_paused = true)]
async fn a_busy_answer_holds_its_chat_on_the_link_and_its_later_messages_go_again_after_the_floor()
{
    let mut h = Harness::start(ConnectionSettings::default(), &[]);
    let mut link = h.next_link().await;
    h.send(message("m1"));
    h.send(message("m2"));
    for id in ["m1", "m2"] {
        let (frame, _) = link.next().await;
        assert_eq!(sent_id(&frame), Some(id));
    }
    let nacked_at = Instant::now();
    link.answer_busy("m1", 7_000);
    h.settled(|r| !r.retry_later.is_empty()).await;
    assert_eq!(h.sink.0.lock().unwrap().retry_later.len(), 1);
    // A hand-over of m2 that was already on its way when the chat was held is not sent.
    h.supervisor.send(message("m2"));
    link.only_pings_until(nacked_at + Duration::from_secs(8))
        .await;
    // After the floor the queue hands both over again, in order: both go (m2's first sending
    // was never answered, and a sending the queue took back is not skipped as a duplicate).
    h.supervisor.send(message("m1"));
    h.supervisor.send(message("m2"));
    for id in ["m1", "m2"] {
        let (frame, _) = link.next().await;
        assert_eq!(sent_id(&frame), Some(id));
    }
}

#[tokio::test(start_paused = true)]
async fn a_gateway_that_sheds_load_is_not_asked_again_before_its_retry_after() {
    let settings = ConnectionSettings {
        retry: Some(RetryPolicy::outlast(
            Duration::from_millis(100),
            Duration::from_millis(200),
        )),
        ..ConnectionSettings::default()
    };
    let shed = OpenError::Shed(Duration::from_secs(5));
    let mut h = Harness::start(settings, &[("gw-a1", shed)]);
    let first = h.next_link().await;
    assert_eq!(first.id, "gw-a1");
    let second = h.next_link().await;
    assert_eq!(second.id, "gw-a2");
    let waited = second.at - first.at;
    assert!(
        waited >= Duration::from_secs(5) && waited <= Duration::from_millis(5_200),
        "the 5 s floor plus at most the 200 ms backoff cap, waited {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_resume_continues_after_the_newest_event_not_after_an_ack_that_passed_one() {
    let mut h = Harness::start(ConnectionSettings::default(), &[]);
    let mut first = h.next_link().await;
    h.send(message("m-1"));
    let (frame, _) = first.next().await;
    assert_eq!(sent_id(&frame), Some("m-1"));
    // Event 3 arrives; the ack says the message is event 5: event 4 (another member's) was due
    // but had not come when the link broke.
    first.answer(ServerFrame::Event {
        seq: 3,
        event: EventPayload::ReadWatermark {
            chat_id: "c-1".into(),
            user_id: "u-2".into(),
            msg_id: "m-0".into(),
        },
    });
    first.answer(ServerFrame::Ack {
        client_msg_id: "m-1".into(),
        msg_id: "s-5".into(),
        seq: 5,
    });
    let _ = first.to_client.send(Err(Broken("the link broke".into())));
    let second = h.next_link().await;
    assert_eq!(
        second.resume.map(|r| r.last_seq),
        Some(3),
        "resumed after the newest event received, so event 4 is replayed"
    );
    assert_eq!(h.sink.0.lock().unwrap().acked, ["m-1"]);
}
