//! `outlast-bench-storm`: a reconnect storm. A swarm of client connection supervisors (the real
//! `outlast-core` code, thousands in this one process) holds sessions on an `outlast-mock`
//! process; the backend goes fully down for `--down-secs` and comes back. Reported per retry
//! policy: connection attempts per second at the outage's onset, while it lasts and after
//! recovery, and the time until 99 % are connected again. A second phase sheds load with a
//! retry-after and checks that nobody retries sooner.
//!
//! Policies: Outlast (one immediate switch round, then full-jitter backoff with the server's
//! base and cap), (a) fixed 3 s + 0–2 s jitter, (b) exponential backoff without jitter.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use clap::Parser;
use outlast_core::connection::{Candidate, ConnectionSink, SupervisorHandle, TokenSource};
use outlast_core::domain::{Cursor, RemoteEvent};
use outlast_core::{ConnectionSettings, ConnectionState, RetryPolicy, ServiceState};
use outlast_protocol::{DiscoveryConfig, EventsPage, LoginRequest, LoginResponse};
use tokio::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "outlast-bench-storm",
    about = "Reconnect storm: a swarm of supervisors against outlast-mock going down and back"
)]
struct Args {
    #[arg(long, default_value_t = 10_000)]
    clients: usize,
    /// How long the whole backend stays down.
    #[arg(long, default_value_t = 30)]
    down_secs: u64,
    /// Give up waiting for 99 % to reconnect after this long.
    #[arg(long, default_value_t = 240)]
    recovery_limit_secs: u64,
    /// Retry-after of the load-shedding phase, in milliseconds (0 skips the phase).
    #[arg(long, default_value_t = 5_000)]
    shed_ms: u64,
    /// Only these policies (comma-separated: outlast,fixed,exponential).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

const BUCKETS: usize = 1_200;

/// The first seconds of the outage, when each supervisor makes its one round of instant switches
/// (all clients lose their connection at the same moment; the round takes this long for 10,000 on
/// two cores). Reported on its own: it is one attempt per endpoint per client, by design.
const ONSET_SECS: usize = 3;

/// Swarm-wide counters, per second since the outage started.
struct Counters {
    origin: OnceLock<Instant>,
    attempts: Vec<AtomicU64>,
    rest_checks: Vec<AtomicU64>,
    connected: AtomicI64,
    shed_floor: Duration,
    shed_retries: AtomicU64,
    shed_too_soon: AtomicU64,
    min_shed_gap_ms: AtomicU64,
}

impl Counters {
    fn new(shed_floor: Duration) -> Self {
        Counters {
            origin: OnceLock::new(),
            attempts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            rest_checks: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            connected: AtomicI64::new(0),
            shed_floor,
            shed_retries: AtomicU64::new(0),
            shed_too_soon: AtomicU64::new(0),
            min_shed_gap_ms: AtomicU64::new(u64::MAX),
        }
    }

    fn bucket(&self) -> Option<usize> {
        let origin = self.origin.get()?;
        let second = origin.elapsed().as_secs() as usize;
        (second < BUCKETS).then_some(second)
    }

    fn per_second(&self, buckets: &[AtomicU64], from: usize, to: usize) -> Vec<u64> {
        buckets[from.min(BUCKETS)..to.min(BUCKETS)]
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect()
    }
}

/// One swarm member's sink: connection state and attempts feed the shared counters.
struct SwarmSink {
    counters: Arc<Counters>,
    head: u64,
    connected: AtomicBool,
    shed_at: Mutex<Option<Instant>>,
}

impl ConnectionSink for SwarmSink {
    fn cursor(&self) -> Option<Cursor> {
        Some(Cursor::from_backend(self.head))
    }
    fn apply_event(&self, _at: Cursor, _event: RemoteEvent) {}
    fn acked(&self, _client_msg_id: &str, _msg_id: String, _at: Cursor) {}
    fn refused(&self, _client_msg_id: &str, _reason: String) {}
    fn gap(&self, _after: Cursor, _resumes_at: Cursor) {}
    fn service(&self, _service: &str, _state: ServiceState, _detail: Option<String>) {}

    fn connection(&self, state: ConnectionState) {
        let connected = matches!(state, ConnectionState::Connected { .. });
        if connected != self.connected.swap(connected, Ordering::SeqCst) {
            let delta = if connected { 1 } else { -1 };
            self.counters.connected.fetch_add(delta, Ordering::SeqCst);
        }
        if let ConnectionState::Waiting { why, .. } = &state {
            if why.contains("overloaded") {
                let mut shed_at = self.shed_at.lock().unwrap_or_else(|e| e.into_inner());
                shed_at.get_or_insert_with(Instant::now);
            }
        }
    }

    fn attempt(&self, _endpoint: &Candidate) {
        if let Some(bucket) = self.counters.bucket() {
            self.counters.attempts[bucket].fetch_add(1, Ordering::Relaxed);
        }
        let shed_at = self
            .shed_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(shed_at) = shed_at {
            let gap = shed_at.elapsed();
            let c = &self.counters;
            c.shed_retries.fetch_add(1, Ordering::Relaxed);
            c.min_shed_gap_ms
                .fetch_min(gap.as_millis() as u64, Ordering::Relaxed);
            if gap < c.shed_floor {
                c.shed_too_soon.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn rest_attempt(&self, _api: &str) {
        if let Some(bucket) = self.counters.bucket() {
            self.counters.rest_checks[bucket].fetch_add(1, Ordering::Relaxed);
        }
    }
}

struct Policy {
    name: &'static str,
    key: &'static str,
    settings: ConnectionSettings,
}

fn policies() -> Vec<Policy> {
    let naive = |retry| ConnectionSettings {
        retry: Some(retry),
        immediate_failover: false,
        ..ConnectionSettings::default()
    };
    vec![
        Policy {
            name: "Outlast (full jitter, server base 1 s, cap 30 s)",
            key: "outlast",
            settings: ConnectionSettings::default(),
        },
        Policy {
            name: "(a) fixed 3 s + 0-2 s jitter",
            key: "fixed",
            settings: naive(RetryPolicy::Fixed {
                delay: Duration::from_secs(3),
                jitter: Duration::from_secs(2),
            }),
        },
        Policy {
            name: "(b) exponential 1 s..60 s, no jitter",
            key: "exponential",
            settings: naive(RetryPolicy::Exponential {
                base: Duration::from_secs(1),
                cap: Duration::from_secs(60),
            }),
        },
    ]
}

struct Report {
    name: &'static str,
    onset_peak: u64,
    outage_peak: u64,
    recovery_peak: u64,
    outage_attempts: u64,
    rest_checks: u64,
    to_99: Option<Duration>,
    shed: Option<(u64, u64, u64)>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    println!(
        "outlast-bench-storm: {} supervisors, backend down {} s, then a {} ms load-shedding phase",
        args.clients, args.down_secs, args.shed_ms
    );
    let mut reports = Vec::new();
    for policy in policies()
        .into_iter()
        .filter(|p| args.only.is_empty() || args.only.iter().any(|o| o == p.key))
    {
        match run_policy(&args, &policy).await {
            Ok(report) => reports.push(report),
            Err(e) => {
                eprintln!("{}: failed: {e}", policy.name);
                std::process::exit(1);
            }
        }
    }
    let n = args.clients as f64;
    let pct = |v: u64| 100.0 * v as f64 / n;
    println!();
    println!("peak connection attempts per second, as % of the swarm:");
    println!(
        "{:<48} {:>14} {:>14} {:>14} {:>12} {:>12}",
        "policy", "onset (0-3 s)", "during outage", "after return", "to 99 %", "REST checks"
    );
    for r in &reports {
        println!(
            "{:<48} {:>13.1}% {:>13.1}% {:>13.1}% {:>12} {:>12}",
            r.name,
            pct(r.onset_peak),
            pct(r.outage_peak),
            pct(r.recovery_peak),
            r.to_99
                .map(|d| format!("{:.1} s", d.as_secs_f64()))
                .unwrap_or_else(|| "not reached".into()),
            r.rest_checks
        );
    }
    println!();
    for r in &reports {
        println!(
            "{}: {} gateway attempts during the {} s outage ({:.1} per client)",
            r.name,
            r.outage_attempts,
            args.down_secs,
            r.outage_attempts as f64 / n
        );
        if let Some((retries, too_soon, min_gap)) = r.shed {
            println!(
                "  shed phase: {retries} retries after a shed, {too_soon} sooner than retry-after ({} ms); shortest wait {} ms",
                args.shed_ms, min_gap
            );
        }
    }
}

async fn run_policy(args: &Args, policy: &Policy) -> Result<Report, String> {
    eprintln!("== {}", policy.name);
    let (mut child, discovery_url, control_url) = spawn_server()?;
    let result = storm(args, policy, &discovery_url, &control_url).await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

async fn storm(
    args: &Args,
    policy: &Policy,
    discovery_url: &str,
    control_url: &str,
) -> Result<Report, String> {
    let http = reqwest::Client::new();
    let config: DiscoveryConfig = json(http.get(format!("{discovery_url}/v1/config"))).await?;
    let auth = config
        .regions
        .iter()
        .find_map(|r| r.auth.first())
        .ok_or("no auth endpoint")?;
    let login: LoginResponse = json(http.post(format!("{}/v1/login", auth.url)).json(
        &LoginRequest {
            username: "demo".into(),
            password: "demo".into(),
        },
    ))
    .await?;
    let api = config
        .regions
        .iter()
        .find_map(|r| r.api.first())
        .ok_or("no API endpoint")?;
    let head: EventsPage = json(
        http.get(format!("{}/v1/events?after=0&limit=1", api.url))
            .bearer_auth(login.access_token.expose()),
    )
    .await?;

    let counters = Arc::new(Counters::new(Duration::from_millis(args.shed_ms)));
    let tokens = TokenSource::fixed(login.access_token.clone());
    let mut swarm = Vec::with_capacity(args.clients);
    let ramp_started = Instant::now();
    for i in 0..args.clients {
        let sink = Arc::new(SwarmSink {
            counters: counters.clone(),
            head: head.last_seq,
            connected: AtomicBool::new(false),
            shed_at: Mutex::new(None),
        });
        let handle =
            SupervisorHandle::spawn(&config, tokens.clone(), policy.settings.clone(), sink)
                .map_err(|e| e.to_string())?;
        swarm.push(handle);
        // Ramp up at about 5,000 a second: the steady state is what this measures.
        if i % 250 == 249 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let all = args.clients as i64;
    wait_for(&counters.connected, all, Duration::from_secs(180)).await?;
    eprintln!(
        "  {} connected in {:.1} s",
        args.clients,
        ramp_started.elapsed().as_secs_f64()
    );

    // The outage.
    let _ = counters.origin.set(Instant::now());
    set_fault(&http, control_url, "all", "refuse").await?;
    tokio::time::sleep(Duration::from_secs(args.down_secs)).await;
    set_fault(&http, control_url, "all", "up").await?;
    let back = Instant::now();
    let back_bucket = counters.bucket().unwrap_or(0);
    let target = (all * 99 + 99) / 100;
    let to_99 = wait_for(
        &counters.connected,
        target,
        Duration::from_secs(args.recovery_limit_secs),
    )
    .await
    .ok()
    .map(|_| back.elapsed());
    // Keep counting a little past 99 % so the tail of the recovery peak is seen.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let end_bucket = counters.bucket().unwrap_or(0) + 1;
    let attempts = counters.per_second(&counters.attempts, 0, end_bucket);
    let rest = counters.per_second(&counters.rest_checks, 0, end_bucket);
    let onset_peak = attempts.iter().take(ONSET_SECS).max().copied().unwrap_or(0);
    let outage_peak = attempts
        .get(ONSET_SECS.min(back_bucket)..back_bucket)
        .and_then(|s| s.iter().max().copied())
        .unwrap_or(0);
    let recovery_peak = attempts
        .get(back_bucket..)
        .and_then(|s| s.iter().max().copied())
        .unwrap_or(0);
    let outage_attempts = attempts.iter().take(back_bucket).sum();
    eprintln!("  attempts per second since the outage began: {attempts:?}");
    eprintln!("  REST checks per second: {rest:?}");

    // Load shedding: everyone is told to go away for shed_ms; nobody may come back sooner.
    let shed = if args.shed_ms > 0 && to_99.is_some() {
        wait_for(&counters.connected, target, Duration::from_secs(60)).await?;
        set_fault(&http, control_url, "all", &format!("shed:{}", args.shed_ms)).await?;
        tokio::time::sleep(Duration::from_millis(args.shed_ms * 2)).await;
        set_fault(&http, control_url, "all", "up").await?;
        let _ = wait_for(&counters.connected, target, Duration::from_secs(120)).await;
        let min_gap = counters.min_shed_gap_ms.load(Ordering::Relaxed);
        Some((
            counters.shed_retries.load(Ordering::Relaxed),
            counters.shed_too_soon.load(Ordering::Relaxed),
            if min_gap == u64::MAX { 0 } else { min_gap },
        ))
    } else {
        None
    };
    drop(swarm);
    Ok(Report {
        name: policy.name,
        onset_peak,
        outage_peak,
        recovery_peak,
        outage_attempts,
        rest_checks: rest.iter().sum(),
        to_99,
        shed,
    })
}

async fn wait_for(gauge: &AtomicI64, at_least: i64, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    while gauge.load(Ordering::SeqCst) < at_least {
        if Instant::now() >= deadline {
            return Err(format!(
                "only {} of {at_least} connected after {} s",
                gauge.load(Ordering::SeqCst),
                limit.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

async fn set_fault(
    http: &reqwest::Client,
    control_url: &str,
    target: &str,
    fault: &str,
) -> Result<(), String> {
    let response = http
        .put(format!("{control_url}/control/fault"))
        .json(&serde_json::json!({ "target": target, "fault": fault }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("control API answered {}", response.status()));
    }
    Ok(())
}

async fn json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, String> {
    request
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())
}

/// Start `outlast-mock` from the same build as this binary on free ports.
fn spawn_server() -> Result<(Child, String, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mock = exe.with_file_name("outlast-mock");
    let mut child = Command::new(&mock)
        .args(["--port", "0", "--reply-delay-ms", "3600000"])
        .env("RUST_LOG", "outlast_mock=error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start {}: {e} (build it with cargo build --release -p outlast-mock)",
                mock.display()
            )
        })?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let (mut discovery, mut control) = (None, None);
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(url) = line.strip_prefix("outlast-mock server ") {
            discovery = Some(url.to_owned());
        } else if let Some(url) = line.strip_prefix("outlast-mock control ") {
            control = Some(url.to_owned());
        }
        if discovery.is_some() && control.is_some() {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    match (discovery, control) {
        (Some(d), Some(c)) => Ok((child, d, c)),
        _ => Err("outlast-mock did not print its addresses".into()),
    }
}
