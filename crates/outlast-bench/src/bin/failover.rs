//! `outlast-bench-failover`: how long a client needs to get going again after its gateway fails.
//!
//! Each run starts a fresh in-process mock backend on loopback, signs a client in with one of the
//! compared profiles, breaks the gateway it uses (refuse, reset, or black hole) and measures:
//! - refuse / reset: from the fault to a newly sent message being acknowledged;
//! - black hole, idle: from the fault to being connected elsewhere;
//! - black hole, sending: from the fault (and a send) to that message being acknowledged.
//!
//! Faults land at a random point of the heartbeat cycle. Prints medians, p99 and max per
//! profile, and Outlast's median as a ratio to each other profile's.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Parser;
use futures_util::stream::{self, StreamExt};
use outlast_bench::{fmt_duration, profiles, summarize, Profile};
use outlast_core::{Client, ConnectionState, CoreEvent, MessageState};
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use rand::Rng;
use tokio::sync::broadcast;
use tokio::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "outlast-bench-failover",
    about = "Failover times: Outlast vs Signal Desktop and Mattermost parameters"
)]
struct Args {
    /// Runs per profile for refuse and reset (run one after another, for clean timings).
    #[arg(long, default_value_t = 30)]
    fast_runs: usize,
    /// Runs per profile for the black-hole cases (run concurrently: they are timer-bound).
    #[arg(long, default_value_t = 10)]
    slow_runs: usize,
    /// Only these scenarios (comma-separated: refuse,reset,blackhole-idle,blackhole-sending).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Scenario {
    Refuse,
    Reset,
    BlackholeIdle,
    BlackholeSending,
}

impl Scenario {
    fn all() -> [Scenario; 4] {
        [
            Scenario::Refuse,
            Scenario::Reset,
            Scenario::BlackholeIdle,
            Scenario::BlackholeSending,
        ]
    }

    fn name(self) -> &'static str {
        match self {
            Scenario::Refuse => "refuse",
            Scenario::Reset => "reset",
            Scenario::BlackholeIdle => "blackhole-idle",
            Scenario::BlackholeSending => "blackhole-sending",
        }
    }

    fn fault(self) -> &'static str {
        match self {
            Scenario::Refuse => "refuse",
            Scenario::Reset => "reset",
            Scenario::BlackholeIdle | Scenario::BlackholeSending => "blackhole",
        }
    }

    fn timer_bound(self) -> bool {
        matches!(self, Scenario::BlackholeIdle | Scenario::BlackholeSending)
    }
}

const RUN_DEADLINE: Duration = Duration::from_secs(240);

#[tokio::main]
async fn main() {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "off".into()),
        )
        .init();
    let scenarios: Vec<Scenario> = Scenario::all()
        .into_iter()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|o| o == s.name()))
        .collect();
    let profiles = profiles();
    println!(
        "outlast-bench-failover: {} fast runs, {} black-hole runs per profile; mock heartbeat {} s",
        args.fast_runs,
        args.slow_runs,
        MockConfig::default().heartbeat_interval.as_secs()
    );

    let mut results: BTreeMap<(Scenario, usize), Vec<Duration>> = BTreeMap::new();
    let mut failures = 0usize;
    for &scenario in &scenarios {
        for (index, profile) in profiles.iter().enumerate() {
            let runs = if scenario.timer_bound() {
                args.slow_runs
            } else {
                args.fast_runs
            };
            // Refuse/reset with Outlast are millisecond events: one at a time. Everything else
            // waits on seconds-long timers and runs concurrently to keep the benchmark short.
            let concurrency = if !scenario.timer_bound() && index == 0 {
                1
            } else {
                runs.max(1)
            };
            let started = Instant::now();
            let outcomes: Vec<Result<Duration, String>> = stream::iter(0..runs)
                .map(|_| run_once(profile.clone(), scenario))
                .buffer_unordered(concurrency)
                .collect()
                .await;
            let mut samples = Vec::new();
            for outcome in outcomes {
                match outcome {
                    Ok(d) => samples.push(d),
                    Err(e) => {
                        failures += 1;
                        eprintln!("  {} / {}: run failed: {e}", scenario.name(), profile.name);
                    }
                }
            }
            eprintln!(
                "  {} / {}: {} runs in {:.1} s",
                scenario.name(),
                profile.name,
                samples.len(),
                started.elapsed().as_secs_f64()
            );
            results.insert((scenario, index), samples);
        }
    }

    println!();
    println!(
        "{:<18} {:<15} {:>4} {:>10} {:>10} {:>10}",
        "scenario", "client", "n", "median", "p99", "max"
    );
    for &scenario in &scenarios {
        for (index, profile) in profiles.iter().enumerate() {
            if let Some(s) = summarize(&results[&(scenario, index)]) {
                println!(
                    "{:<18} {:<15} {:>4} {:>10} {:>10} {:>10}",
                    scenario.name(),
                    profile.name,
                    s.n,
                    fmt_duration(s.median),
                    fmt_duration(s.p99),
                    fmt_duration(s.max)
                );
            }
        }
    }
    println!();
    println!("Outlast's median as a fraction of the other clients' (lower is better):");
    for &scenario in &scenarios {
        let Some(ours) = summarize(&results[&(scenario, 0)]) else {
            continue;
        };
        let ratios: Vec<String> = profiles
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(index, profile)| {
                let theirs = summarize(&results[&(scenario, index)])?;
                Some(format!(
                    "{:.5} of {} ({}x faster)",
                    ours.median.as_secs_f64() / theirs.median.as_secs_f64(),
                    profile.name,
                    (theirs.median.as_secs_f64() / ours.median.as_secs_f64()).round()
                ))
            })
            .collect();
        println!("  {:<18} {}", scenario.name(), ratios.join("; "));
    }
    if failures > 0 {
        println!("\n{failures} runs failed (see above)");
        std::process::exit(1);
    }
}

async fn run_once(profile: Profile, scenario: Scenario) -> Result<Duration, String> {
    let server = MockServer::start(MockConfig {
        // Keep simulated peers quiet during the measurement.
        reply_delay: Duration::from_secs(3_600),
        ..MockConfig::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let heartbeat = profile
        .settings
        .heartbeat_interval
        .unwrap_or(MockConfig::default().heartbeat_interval);
    let client = Client::new(profile.settings.clone());
    let mut events = client.subscribe();
    client
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .map_err(|e| e.to_string())?;
    let first = wait_connected(&client, &mut events, None).await?;

    if scenario.timer_bound() {
        // Land the fault anywhere in the heartbeat cycle.
        let phase = rand::rng().random_range(0..heartbeat.as_millis() as u64);
        tokio::time::sleep(Duration::from_millis(phase)).await;
    }
    let mut moved = events.resubscribe();
    let started = Instant::now();
    server
        .set_fault("gw-a1", scenario.fault())
        .map_err(|e| e.to_string())?;
    match scenario {
        Scenario::BlackholeIdle => {
            wait_connected(&client, &mut moved, Some(&first)).await?;
        }
        _ => {
            // Done when the message is acknowledged *and* the client is on another gateway: an
            // ack that slipped through the dying connection does not count as a failover.
            let pending = client
                .send("c-team", "failover probe")
                .map_err(|e| e.to_string())?;
            let id = pending.client_msg_id.unwrap_or_default();
            let (acked, connected) = tokio::join!(
                wait_acked(&mut events, &id),
                wait_connected(&client, &mut moved, Some(&first))
            );
            acked?;
            connected?;
        }
    }
    Ok(started.elapsed())
}

async fn wait_connected(
    client: &Client,
    events: &mut broadcast::Receiver<CoreEvent>,
    not: Option<&str>,
) -> Result<String, String> {
    let accept = |state: &ConnectionState| match state {
        ConnectionState::Connected { endpoint, .. } if Some(endpoint.as_str()) != not => {
            Some(endpoint.clone())
        }
        _ => None,
    };
    if let Some(endpoint) = accept(&client.connection_state()) {
        return Ok(endpoint);
    }
    let deadline = Instant::now() + RUN_DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => return Err("no connection before the deadline".into()),
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Ok(Ok(CoreEvent::ConnectionChanged { state })) => {
                if let Some(endpoint) = accept(&state) {
                    return Ok(endpoint);
                }
            }
            Ok(Ok(_)) => {}
        }
    }
}

async fn wait_acked(events: &mut broadcast::Receiver<CoreEvent>, id: &str) -> Result<(), String> {
    let deadline = Instant::now() + RUN_DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => return Err("no ack before the deadline".into()),
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Ok(Ok(CoreEvent::MessageUpdated { message }))
                if message.client_msg_id.as_deref() == Some(id) =>
            {
                match message.state {
                    MessageState::Sent => return Ok(()),
                    MessageState::Failed => return Err(format!("refused: {:?}", message.failure)),
                    MessageState::Pending => {}
                }
            }
            Ok(Ok(_)) => {}
        }
    }
}
