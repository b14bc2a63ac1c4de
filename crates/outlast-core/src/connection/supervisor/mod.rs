//! The connection supervisor: one task per signed-in account that keeps (or regains) a working path
//! to the backend whenever any path exists, quickly, without hammering a backend that struggles.
//!
//! - A working connection that fails is replaced at once by the next endpoint in the health table
//!   (every endpoint once, no delay); only when all of them fail does it back off (full jitter,
//!   never sooner than a server's retry-after).
//! - A live link is watched by heartbeats, and probed at once when a sent message's ack is late.
//! - When every gateway is down but the REST API answers, it receives by long-poll and sends by
//!   POST, and keeps trying gateways in the background.
//! - A server's `reconnect` and a recovered preferred region are handled make-before-break.
//! - Unacknowledged messages are re-sent in order with the same client id after every switch.

mod fallback;
mod live;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use outlast_protocol::{
    DiscoveryConfig, EventsPage, Resume, SendRequest, SendResponse, MAX_EVENTS_PAGE,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Duration, Instant, Interval, MissedTickBehavior};

use super::health::{Candidate, Health, HealthTable};
use super::link::{Connector, Link, OpenError, WebSocketConnector};
use super::netwatch::network_changes;
use super::policy::RetryPolicy;
use super::settings::ConnectionSettings;
use super::sink::ConnectionSink;
use super::tokens::TokenSource;
use super::wake::{SystemClock, WakeDetector};
use crate::api::ApiClient;
use crate::domain::Cursor;
use crate::model::{ConnectionState, Service, ServiceState, Transport};
pub use crate::ops::{Outgoing, Submitter};
use crate::CoreError;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Between long-polls when the server answers with events that do not move the cursor.
const STUCK_POLL_PAUSE: Duration = Duration::from_secs(1);

enum Command {
    Send(Outgoing),
    /// Skip the current wait and start over with a fresh backoff.
    ReconnectNow,
}

/// Handle to a running supervisor; dropping it stops the task and closes its connection.
pub struct SupervisorHandle {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl SupervisorHandle {
    /// Start connecting to the backend `config` describes.
    pub fn spawn(
        config: &DiscoveryConfig,
        tokens: TokenSource,
        settings: ConnectionSettings,
        sink: Arc<dyn ConnectionSink>,
    ) -> Result<SupervisorHandle, CoreError> {
        Self::spawn_with(config, tokens, settings, sink, Arc::new(WebSocketConnector))
    }

    /// Like [`SupervisorHandle::spawn`], reaching gateways through `connector`.
    pub fn spawn_with(
        config: &DiscoveryConfig,
        tokens: TokenSource,
        settings: ConnectionSettings,
        sink: Arc<dyn ConnectionSink>,
        connector: Arc<dyn Connector>,
    ) -> Result<SupervisorHandle, CoreError> {
        // Endpoints that are not WebSocket/HTTP URLs, or would travel unencrypted off this
        // computer, are left out (and logged), never used.
        let mut refused: Vec<String> = Vec::new();
        let mut apis = Vec::new();
        for region in &config.regions {
            let mut listed: Vec<_> = region.api.iter().collect();
            listed.sort_by_key(|e| e.priority);
            for api in listed {
                match ApiClient::new(&api.url).map(|c| c.with_timeout(settings.request_timeout)) {
                    Ok(client) => {
                        apis.push((region.name.clone(), client));
                        break;
                    }
                    Err(err) => refused.push(format!("API {}: {err}", api.id)),
                }
            }
        }
        let mut usable = config.clone();
        for region in &mut usable.regions {
            region.gateways.retain(
                |g| match crate::transport_security::gateway(&g.url, &g.id) {
                    Ok(()) => true,
                    Err(err) => {
                        refused.push(err.to_string());
                        false
                    }
                },
            );
        }
        for reason in &refused {
            tracing::warn!(%reason, "ignoring an endpoint from the server's configuration");
        }
        let table = HealthTable::from_config(&usable, settings.endpoint_cooldown);
        let sink_cursor = sink.cursor().map_or(0, Cursor::position);
        if table.is_empty() && apis.is_empty() {
            return Err(CoreError::Protocol(if refused.is_empty() {
                "the server's configuration lists no gateway and no API".into()
            } else {
                format!(
                    "the server's configuration lists no usable endpoint: {}",
                    refused.join("; ")
                )
            }));
        }
        let retry = settings.retry.clone().unwrap_or_else(|| {
            let base = Duration::from_millis(config.backoff.base_ms);
            let cap = Duration::from_millis(config.backoff.cap_ms);
            if base.is_zero() || cap.is_zero() {
                RetryPolicy::outlast(RetryPolicy::DEFAULT_BASE, RetryPolicy::DEFAULT_CAP)
            } else {
                RetryPolicy::outlast(base, cap)
            }
        });
        let (commands, receiver) = mpsc::unbounded_channel();
        let mut ticker = tokio::time::interval(settings.wake_tick);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let supervisor = Supervisor {
            table,
            apis,
            retry,
            wake: WakeDetector::new(Arc::new(SystemClock), settings.wake_threshold),
            settings,
            tokens,
            sink,
            connector,
            commands: receiver,
            rng: StdRng::from_os_rng(),
            ticker,
            network: network_changes(),
            session_id: None,
            failures: 0,
            received: Arc::new(AtomicU64::new(sink_cursor)),
        };
        Ok(SupervisorHandle {
            commands,
            task: tokio::spawn(supervisor.run()),
        })
    }

    /// Queue a message; it is delivered (and re-sent until acknowledged) whenever a path is up.
    pub fn send(&self, message: Outgoing) {
        // The task only ends when this handle is dropped (or credentials are revoked, when
        // nothing can be sent anyway), so a closed channel loses nothing deliverable.
        let _ = self.commands.send(Command::Send(message));
    }

    pub fn reconnect_now(&self) {
        let _ = self.commands.send(Command::ReconnectNow);
    }

    /// A way to hand messages to this supervisor that does not keep it running.
    pub fn submitter(&self) -> Submitter {
        let commands = self.commands.clone();
        // The task only ends when its handle is dropped: a closed channel loses nothing
        // deliverable (the store keeps it for the next session).
        Submitter::new(move |message| {
            let _ = commands.send(Command::Send(message));
        })
    }
}

impl Drop for SupervisorHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Supervisor {
    table: HealthTable,
    /// Each region's REST API, in the server's order of preference.
    apis: Vec<(String, ApiClient)>,
    retry: RetryPolicy,
    settings: ConnectionSettings,
    tokens: TokenSource,
    sink: Arc<dyn ConnectionSink>,
    /// How gateways are reached (WebSocket, or a scripted one in tests).
    connector: Arc<dyn Connector>,
    commands: mpsc::UnboundedReceiver<Command>,
    rng: StdRng,
    wake: WakeDetector,
    ticker: Interval,
    /// Bumped when the machine's network addresses change.
    network: watch::Receiver<u64>,
    /// The last gateway session, to resume.
    session_id: Option<String>,
    /// Failed attempts since the last connection that stayed up.
    failures: u32,
    /// The newest event received (from the sink's cursor at start): where resumes, catch-ups and
    /// long-polls continue from. Acknowledgements do not move it: one can come before an event
    /// with a lower number (another member wrote meanwhile, or a catch-up still brings it), and
    /// a position moved past that event would skip it. Shared with the catch-up task.
    received: Arc<AtomicU64>,
}

/// How a live connection ended.
enum Ended {
    Lost(String),
    /// Replaced, make-before-break, by this already welcomed link.
    Moved(Box<Link>),
    /// The server is shedding load: not before this.
    Shed(Duration),
    /// The gateway no longer accepts the token.
    Unauthorized(String),
    Gone,
}

/// How the REST fallback ended.
enum Fallback {
    /// A gateway answers again: continue on it.
    Gateway(Box<Link>),
    /// The API does not answer either.
    Unavailable(String),
    Unauthorized(String),
    Gone,
}

/// What the run loop does next.
enum Step {
    Connect,
    Serve(Box<Link>),
    Wait(Duration, String),
    Stop,
}

/// The run loop's memory between steps.
struct Round {
    /// Endpoints tried without delay since the last working connection.
    tried: HashSet<String>,
    /// In a round of instant switches (after a working connection failed, or at start).
    immediate: bool,
    /// What happened last, for the status line.
    why: String,
    /// Gateway attempts since the REST API was last checked.
    since_rest_check: usize,
}

enum Waited {
    Elapsed,
    /// The user asked to reconnect now, or the machine woke up.
    Skipped,
    Gone,
}

impl Supervisor {
    async fn run(mut self) {
        let mut round = Round {
            tried: HashSet::new(),
            immediate: true,
            why: "signing in".to_owned(),
            since_rest_check: 0,
        };
        // Started from the cache with no access token yet (the sign-in service was down): a
        // gateway would only refuse, so wait for the keeper's first token.
        let mut next = if self.tokens.current().expose().is_empty() {
            self.renew("waiting for the sign-in service to renew the session".to_owned())
                .await
        } else {
            Step::Connect
        };
        loop {
            next = match next {
                Step::Stop => return,
                Step::Connect => self.connect(&mut round).await,
                Step::Serve(link) => self.serve(link, &mut round).await,
                Step::Wait(delay, why) => match self.wait(delay, why).await {
                    Waited::Gone => return,
                    Waited::Elapsed => Step::Connect,
                    Waited::Skipped => {
                        round.immediate = true;
                        round.tried.clear();
                        Step::Connect
                    }
                },
            };
        }
    }

    /// One connection attempt, and what a failure means: the next endpoint at once (during a
    /// round of switches), the REST API, or a wait.
    async fn connect(&mut self, round: &mut Round) -> Step {
        let Some(candidate) = self.next_candidate(&round.tried) else {
            // No gateway at all: REST is the only path.
            return match self.fall_back().await {
                Ok(step) => step,
                Err(reason) => {
                    self.failures += 1;
                    Step::Wait(self.backoff(), reason)
                }
            };
        };
        let error = match self.attempt(&candidate, &round.why).await {
            Ok(link) => return Step::Serve(Box::new(link)),
            Err(None) => return Step::Stop,
            Err(Some(error)) => error,
        };
        round.tried.insert(candidate.url.clone());
        self.failures += 1;
        let reason = format!("{}: {}", candidate.id, error.describe());
        tracing::info!(endpoint = %candidate.url, %reason, "connection attempt failed");
        self.table.failed(&candidate.url, Instant::now(), &reason);
        round.why = reason.clone();
        match error {
            OpenError::Unauthorized { message, .. } => self.renew(message).await,
            OpenError::Shed(floor) => Step::Wait(floor + self.backoff(), reason),
            OpenError::Unreachable(_) => {
                if round.immediate && round.tried.len() < self.table.len() {
                    return Step::Connect;
                }
                // The REST API is checked when a round of switches has failed, then once per
                // round of endpoints: every check is load on a backend that may be struggling too.
                round.since_rest_check += 1;
                let check_rest = round.immediate || round.since_rest_check >= self.table.len();
                round.immediate = false;
                round.tried.clear();
                self.sink.service(
                    Service::Gateway.id(),
                    ServiceState::Down,
                    Some(format!("no gateway answers ({reason})")),
                );
                if check_rest {
                    round.since_rest_check = 0;
                    match self.fall_back().await {
                        Ok(step) => return step,
                        Err(api_reason) => round.why = format!("{reason}; {api_reason}"),
                    }
                }
                Step::Wait(self.backoff(), round.why.clone())
            }
        }
    }

    /// Serve a welcomed link until it ends, and say what comes next.
    async fn serve(&mut self, link: Box<Link>, round: &mut Round) -> Step {
        round.tried.clear();
        round.immediate = false;
        let url = link.endpoint.url.clone();
        let started = Instant::now();
        let ended = self.live(*link).await;
        self.sink.flush();
        if started.elapsed() >= self.settings.stable_after {
            self.failures = 0;
        }
        match ended {
            Ended::Gone => Step::Stop,
            Ended::Moved(next) => Step::Serve(next),
            Ended::Lost(reason) => {
                tracing::info!(endpoint = %url, %reason, "gateway connection lost");
                self.table.failed(&url, Instant::now(), &reason);
                round.tried.insert(url);
                round.why = reason.clone();
                // Switch at once only after a connection that worked; a connection that keeps
                // dying young backs off like any other failure.
                let switch_now = self.settings.immediate_failover && self.failures == 0;
                self.failures += 1;
                if switch_now {
                    round.immediate = true;
                    Step::Connect
                } else {
                    Step::Wait(self.backoff(), reason)
                }
            }
            Ended::Shed(floor) => {
                self.failures += 1;
                self.table.failed(&url, Instant::now(), "shedding load");
                let why = format!(
                    "the server is overloaded and asked for {} s of quiet",
                    floor.as_secs_f32()
                );
                Step::Wait(floor + self.backoff(), why)
            }
            Ended::Unauthorized(reason) => self.renew(reason).await,
        }
    }

    /// Try the REST API; `Err` with the reason when it does not answer either.
    async fn fall_back(&mut self) -> Result<Step, String> {
        match self.rest_fallback().await {
            Fallback::Gone => Ok(Step::Stop),
            Fallback::Gateway(link) => Ok(Step::Serve(link)),
            Fallback::Unauthorized(reason) => Ok(self.renew(reason).await),
            Fallback::Unavailable(reason) => Err(reason),
        }
    }

    /// Wait for a fresh token, then connect again.
    async fn renew(&mut self, reason: String) -> Step {
        if self.wait_for_token(reason).await {
            Step::Connect
        } else {
            Step::Stop
        }
    }

    /// The best endpoint not yet tried in this round (or the best of all, once all were tried).
    fn next_candidate(&self, tried: &HashSet<String>) -> Option<Candidate> {
        let order = self.table.order(Instant::now());
        order
            .iter()
            .find(|c| !tried.contains(&c.url))
            .or_else(|| order.first())
            .cloned()
    }

    fn backoff(&mut self) -> Duration {
        self.retry.delay(self.failures, &mut self.rng)
    }

    fn resume(&self) -> Option<Resume> {
        self.session_id.clone().map(|session_id| Resume {
            session_id,
            last_seq: self.received(),
        })
    }

    /// One connection attempt, still accepting messages meanwhile. `Err(None)`: the client is gone.
    async fn attempt(
        &mut self,
        candidate: &Candidate,
        why: &str,
    ) -> Result<Link, Option<OpenError>> {
        self.table.checking(&candidate.url);
        self.sink.attempt(candidate);
        self.sink.connection(ConnectionState::Connecting {
            endpoint: candidate.url.clone(),
            region: candidate.region.clone(),
            transport: Transport::Gateway,
            why: why.to_owned(),
        });
        self.tokens.mark_seen();
        let open = self.connector.open(
            candidate.clone(),
            self.tokens.current(),
            self.resume(),
            self.settings.connect_timeout,
        );
        tokio::pin!(open);
        loop {
            tokio::select! {
                result = &mut open => return result.map_err(Some),
                command = self.commands.recv() => match command {
                    None => return Err(None),
                    // The queue keeps it; the next link asks for it.
                    Some(Command::Send(_)) => {}
                    Some(Command::ReconnectNow) => {}
                },
            }
        }
    }

    /// Wait before the next attempt, still accepting messages.
    async fn wait(&mut self, delay: Duration, why: String) -> Waited {
        let deadline = Instant::now() + delay;
        let next = self.table.order(Instant::now()).into_iter().next();
        self.sink.connection(ConnectionState::Waiting {
            retry_in_ms: delay.as_millis() as u64,
            next_attempt_at_ms: crate::clock::now_ms() + delay.as_millis() as u64,
            endpoint: next.as_ref().map(|c| c.url.clone()),
            region: next.map(|c| c.region),
            why,
        });
        loop {
            tokio::select! {
                _ = sleep_until(deadline) => return Waited::Elapsed,
                command = self.commands.recv() => match command {
                    None => return Waited::Gone,
                    // The queue keeps it; the next link asks for it.
                    Some(Command::Send(_)) => {}
                    Some(Command::ReconnectNow) => {
                        self.failures = 0;
                        return Waited::Skipped;
                    }
                },
                _ = self.ticker.tick() => {
                    if let Some(away) = self.wake.tick(self.settings.wake_tick) {
                        tracing::info!(?away, "the machine woke up; reconnecting now");
                        self.failures = 0;
                        return Waited::Skipped;
                    }
                }
                _ = changed(&mut self.network) => {
                    tracing::info!("the network changed; reconnecting now");
                    self.failures = 0;
                    return Waited::Skipped;
                }
            }
        }
    }

    /// The gateway refused our token: ask for a fresh one and wait, however long the auth service
    /// is down. Nothing is signed out; `false` once no token can ever come.
    async fn wait_for_token(&mut self, reason: String) -> bool {
        tracing::info!(%reason, "the session needs a fresh token");
        self.tokens.request_refresh();
        self.sink.connection(ConnectionState::Waiting {
            retry_in_ms: 0,
            next_attempt_at_ms: crate::clock::now_ms(),
            endpoint: None,
            region: None,
            why: format!("renewing the session as soon as the sign-in service answers ({reason})"),
        });
        loop {
            tokio::select! {
                changed = self.tokens.changed() => return changed,
                command = self.commands.recv() => match command {
                    None => return false,
                    // The queue keeps it; the next link asks for it.
                    Some(Command::Send(_)) => {}
                    Some(Command::ReconnectNow) => self.tokens.request_refresh(),
                },
            }
        }
    }

    fn publish_connected(
        &self,
        endpoint: &str,
        region: &str,
        transport: Transport,
        session_id: Option<String>,
    ) {
        self.sink.connection(ConnectionState::Connected {
            endpoint: endpoint.to_owned(),
            region: region.to_owned(),
            transport,
            session_id,
            preferred_region: region == self.table.preferred_region(),
        });
    }

    fn publish_gateway_health(&self, using: &Candidate) {
        let now = Instant::now();
        let down: Vec<String> = self
            .table
            .order(now)
            .into_iter()
            .filter(|c| matches!(self.table.health(&c.url), Health::Failed { .. }))
            .map(|c| c.id)
            .collect();
        if down.is_empty() {
            self.sink
                .service(Service::Gateway.id(), ServiceState::Up, None);
        } else {
            self.sink.service(
                Service::Gateway.id(),
                ServiceState::Degraded,
                Some(format!(
                    "{} not answering; connected via {} (region {})",
                    down.join(", "),
                    using.id,
                    using.region
                )),
            );
        }
    }

    /// The REST APIs, the home region's first.
    fn api_order(&self) -> Vec<(String, ApiClient)> {
        let home = self.table.home_region();
        let mut apis = self.apis.clone();
        apis.sort_by_key(|(region, _)| region != home);
        apis
    }

    /// Fetch every event after the cursor over REST (after a session could not be resumed) in a
    /// task of its own: the live link keeps carrying acks and events meanwhile, however slowly
    /// the API answers.
    fn spawn_catch_up(&self, region: &str) -> AbortOnDrop<Result<(), CoreError>> {
        let mut apis = self.api_order();
        apis.sort_by_key(|(r, _)| r != region);
        let sink = self.sink.clone();
        let token = self.tokens.current();
        let received = self.received.clone();
        AbortOnDrop(tokio::spawn(async move {
            let result = catch_up(&sink, &token, apis, &received).await;
            sink.flush();
            result
        }))
    }

    fn apply_page(&self, after: u64, page: EventsPage) {
        let next = apply_page(&self.sink, after, page);
        self.received.fetch_max(next, Ordering::Relaxed);
    }

    /// `seq`, unless the sink refused to move that far (an implausible jump from a hostile
    /// server): the received position never runs ahead of what the sink accepted.
    fn accepted(&self, seq: u64) -> u64 {
        accepted(&self.sink, seq)
    }

    /// The newest event received (see `received`).
    fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// An event arrived on the live link.
    fn received_event(&self, seq: u64) {
        self.received
            .fetch_max(self.accepted(seq), Ordering::Relaxed);
    }
}

/// The next network change; never, if the watcher is gone.
async fn changed(network: &mut watch::Receiver<u64>) {
    if network.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn is_unauthorized(err: &CoreError) -> bool {
    err.is_expired_session()
}

/// A task that is stopped when its handle is dropped (the link it served is gone).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Page through `GET /v1/events` from the sink's cursor until the head, on the first API that
/// answers, reporting progress ("Updating n of m").
async fn catch_up(
    sink: &Arc<dyn ConnectionSink>,
    token: &outlast_protocol::AccessToken,
    apis: Vec<(String, ApiClient)>,
    received: &AtomicU64,
) -> Result<(), CoreError> {
    let mut last_error = None;
    // From what was received, not from the sink's cursor: an ack on the live link meanwhile
    // may have moved that past events only this catch-up brings.
    let from = received.load(Ordering::Relaxed);
    let mut after = from;
    for (_, api) in apis {
        loop {
            match api
                .events(token, after, MAX_EVENTS_PAGE, Duration::ZERO)
                .await
            {
                Ok(page) => {
                    sink.service(Service::Api.id(), ServiceState::Up, None);
                    let more = page.has_more && !page.events.is_empty();
                    let head = page.last_seq;
                    let next = apply_page(sink, after, page);
                    received.fetch_max(next, Ordering::Relaxed);
                    // "Updating n of m": how far from where this catch-up started.
                    let total = head.saturating_sub(from);
                    if total > 0 {
                        let at = next.min(head);
                        let done = if more { at.saturating_sub(from) } else { total };
                        sink.progress(done, total);
                    }
                    if !more {
                        return Ok(());
                    }
                    if next <= after {
                        // A page that does not move the cursor would be asked for forever.
                        tracing::warn!(
                            after,
                            "the server's events page did not advance; stopping catch-up"
                        );
                        return Ok(());
                    }
                    after = next;
                }
                Err(err) => {
                    sink.service(Service::Api.id(), ServiceState::Down, Some(err.to_string()));
                    last_error = Some(err);
                    break;
                }
            }
        }
    }
    Err(last_error.unwrap_or_else(|| CoreError::Protocol("no REST API is configured".into())))
}

/// `seq`, or the sink's cursor if the sink did not move that far (it ignores implausible jumps).
fn accepted(sink: &Arc<dyn ConnectionSink>, seq: u64) -> u64 {
    sink.cursor().map_or(seq, |c| seq.min(c.position()))
}

/// Apply a page of events after `after`; returns where the next page starts (the newest event
/// in it, or past a gap it reports, as far as the sink accepted).
fn apply_page(sink: &Arc<dyn ConnectionSink>, after: u64, page: EventsPage) -> u64 {
    let next = page
        .events
        .iter()
        .map(|e| e.seq)
        .chain(
            page.gap
                .as_ref()
                .map(|g| g.first_available_seq.saturating_sub(1)),
        )
        .fold(after, u64::max);
    if let Some(gap) = &page.gap {
        tracing::warn!(
            after,
            resumes_at = gap.first_available_seq,
            "the server skipped history"
        );
        sink.gap(
            Cursor::from_backend(after),
            Cursor::from_backend(gap.first_available_seq),
        );
    }
    for event in page.events {
        sink.apply_event(Cursor::from_backend(event.seq), event.event.into());
    }
    accepted(sink, next).max(after)
}
