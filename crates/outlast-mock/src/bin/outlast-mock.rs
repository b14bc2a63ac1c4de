//! `outlast-mock`: run the mock backend, switch its faults, play outage scenarios.

use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use outlast_mock::{
    FaultMode, FaultRequest, MockConfig, MockServer, Scenario, ScenarioRequest, SeedSize, Status,
    Target, DEMO_PASSWORD, DEMO_USERNAME, FAULT_SYNTAX, SHIPPED_SCENARIOS,
};

/// Exit codes scripts can rely on.
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_UNREACHABLE: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "outlast-mock",
    version,
    about = "Outlast's mock backend: demo data, simulated peers, and services that fail on command",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the backend (the default when no command is given).
    Serve(ServeArgs),
    /// Switch listeners of a running backend into a fault mode.
    Fault {
        /// A listener id (gw-a1, api-b, auth, media, discovery…), region:<a|b>, service:<name> or all.
        target: String,
        /// up | refuse | reset | blackhole | slow:<ms> | error:<retry-after s> | flaky:<0..1> | drain[:<endpoint id>] | shed:<retry-after ms>
        fault: String,
        #[command(flatten)]
        control: ControlArgs,
    },
    /// Show every listener of a running backend with its URL and fault, and the live sessions.
    Status {
        #[command(flatten)]
        control: ControlArgs,
    },
    /// Make the running backend forget every session, so resumes are refused.
    ExpireSessions {
        #[command(flatten)]
        control: ControlArgs,
    },
    /// Play a scenario (a shipped name or a TOML file) on a running backend.
    Scenario {
        name_or_file: String,
        /// Scenario seconds per real second (60 plays an hour in a minute).
        #[arg(long, default_value_t = 1.0)]
        time_scale: f64,
        /// Only parse and check the file, then exit.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        control: ControlArgs,
    },
    /// List the shipped outage scenarios.
    Scenarios,
}

#[derive(Args, Debug, Clone)]
struct ServeArgs {
    /// Interface to listen on. Keep it on loopback: the mock has no real security.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// First port: discovery, auth, api-a, api-b, media, the gateways, then control take
    /// consecutive ports from here. 0 picks free ports.
    #[arg(long, default_value_t = 7710)]
    port: u16,
    #[arg(long, default_value_t = 2)]
    gateways_per_region: usize,
    /// Seed for the simulated peers and flaky faults.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Milliseconds a simulated peer waits before answering.
    #[arg(long, default_value_t = 700)]
    reply_delay_ms: u64,
    /// Simulated messages per minute across the demo chats.
    #[arg(long, default_value_t = 0.0)]
    traffic_per_min: f64,
    #[arg(long, default_value_t = 10_000)]
    heartbeat_ms: u64,
    /// Reconnect backoff base the discovery document announces, in milliseconds.
    #[arg(long, default_value_t = 1_000)]
    backoff_base_ms: u64,
    /// Reconnect backoff cap the discovery document announces, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    backoff_cap_ms: u64,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, default_value_t = 900)]
    access_ttl_s: u64,
    /// Events kept per user for resume and REST sync.
    #[arg(long, default_value_t = 1_000)]
    replay_limit: usize,
    /// Extra simulated users.
    #[arg(long, default_value_t = 0)]
    users: usize,
    /// Extra group chats with the demo user.
    #[arg(long, default_value_t = 0)]
    chats: usize,
    /// Messages in each extra chat (e.g. --chats 100 --messages-per-chat 10000 = 1M messages).
    #[arg(long, default_value_t = 0)]
    messages_per_chat: usize,
    /// Play this scenario (shipped name or file) once the backend is up.
    #[arg(long)]
    scenario: Option<String>,
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
}

#[derive(Args, Debug, Clone)]
struct ControlArgs {
    /// The running backend's control API.
    #[arg(
        long,
        env = "OUTLAST_MOCK_CONTROL",
        default_value = "http://127.0.0.1:7719"
    )]
    control: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "outlast_mock=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Fault {
            target,
            fault,
            control,
        }) => set_fault(&control, &target, &fault).await,
        Some(Command::Status { control }) => status(&control).await,
        Some(Command::ExpireSessions { control }) => expire(&control).await,
        Some(Command::Scenario {
            name_or_file,
            time_scale,
            check,
            control,
        }) => scenario(&control, &name_or_file, time_scale, check).await,
        Some(Command::Scenarios) => {
            for (name, text) in SHIPPED_SCENARIOS {
                let title = Scenario::parse(text).map(|s| s.name).unwrap_or_default();
                println!("{name:<22} {title}");
            }
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, message }) => {
            eprintln!("outlast-mock: {message}");
            ExitCode::from(code)
        }
    }
}

struct Failure {
    code: u8,
    message: String,
}

fn bad_input(message: impl ToString) -> Failure {
    Failure {
        code: EXIT_BAD_INPUT,
        message: message.to_string(),
    }
}

async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let scenario = match &args.scenario {
        Some(name) => Some(
            Scenario::parse(&outlast_mock::scenario_text(name).map_err(bad_input)?)
                .map_err(bad_input)?,
        ),
        None => None,
    };
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err(bad_input("--time-scale must be a positive number"));
    }
    let config = MockConfig {
        host: args.host,
        base_port: args.port,
        gateways_per_region: args.gateways_per_region,
        seed: args.seed,
        reply_delay: Duration::from_millis(args.reply_delay_ms),
        traffic_per_minute: args.traffic_per_min,
        heartbeat_interval: Duration::from_millis(args.heartbeat_ms.max(1_000)),
        backoff_base: Duration::from_millis(args.backoff_base_ms.max(1)),
        backoff_cap: Duration::from_millis(args.backoff_cap_ms.max(args.backoff_base_ms).max(1)),
        access_ttl: Duration::from_secs(args.access_ttl_s.max(1)),
        replay_limit: args.replay_limit,
        seed_size: SeedSize {
            users: args.users,
            chats: args.chats,
            messages_per_chat: args.messages_per_chat,
        },
    };
    let server = MockServer::start(config).await.map_err(|e| Failure {
        code: 1,
        message: e.to_string(),
    })?;
    // Scripts read these lines to find the ports; keep their shape stable.
    announce(&format!("outlast-mock server {}", server.discovery_url()));
    for listener in server.listeners() {
        announce(&format!(
            "outlast-mock listener {} {}",
            listener.id, listener.url
        ));
    }
    announce(&format!("outlast-mock control {}", server.control_url()));
    announce(&format!(
        "outlast-mock sign in at {} as {DEMO_USERNAME:?} with password {DEMO_PASSWORD:?}; Ctrl-C stops",
        server.discovery_url()
    ));
    if let Some(scenario) = scenario {
        scenario.validate(server.switchboard()).map_err(bad_input)?;
        tokio::spawn(scenario.play(server.switchboard().clone(), args.time_scale));
    }
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    Ok(())
}

/// A line for whoever started the server. A server must not die because its starter stopped
/// reading stdout, so write errors are ignored (`println!` would panic on a closed pipe).
fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client builds")
}

fn unreachable(control: &ControlArgs, e: reqwest::Error) -> Failure {
    Failure {
        code: EXIT_UNREACHABLE,
        message: format!(
            "cannot reach the control API at {}: {e} (is outlast-mock running? see --control)",
            control.control
        ),
    }
}

async fn answer<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, Failure> {
    if response.status().is_success() {
        return response.json().await.map_err(|e| Failure {
            code: 1,
            message: format!("unexpected answer: {e}"),
        });
    }
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    Err(bad_input(
        body.get("error")
            .and_then(|e| e.as_str())
            .unwrap_or("the control API refused the request"),
    ))
}

/// One control API request. "Cannot connect" becomes exit code 3, a refusal exit code 2.
async fn control_call<T: serde::de::DeserializeOwned>(
    control: &ControlArgs,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, Failure> {
    let mut request = http().request(method, format!("{}{path}", control.control));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|e| unreachable(control, e))?;
    answer(response).await
}

async fn set_fault(control: &ControlArgs, target: &str, fault: &str) -> Result<(), Failure> {
    // Check locally first, so a typo gets the full syntax without a round trip.
    target.parse::<Target>().map_err(bad_input)?;
    fault
        .parse::<FaultMode>()
        .map_err(|e| bad_input(format!("{e}\nfaults: {FAULT_SYNTAX}")))?;
    let request = FaultRequest {
        target: target.to_owned(),
        fault: fault.to_owned(),
    };
    let switched: Vec<String> = control_call(
        control,
        reqwest::Method::PUT,
        "/control/fault",
        serde_json::to_value(request).ok(),
    )
    .await?;
    println!("{fault}: {}", switched.join(", "));
    Ok(())
}

async fn status(control: &ControlArgs) -> Result<(), Failure> {
    let status: Status =
        control_call(control, reqwest::Method::GET, "/control/status", None).await?;
    println!(
        "{:<10} {:<10} {:<7} {:<16} {:>9}  url",
        "listener", "service", "region", "fault", "accepted"
    );
    for l in status.listeners {
        let service = format!("{:?}", l.service).to_lowercase();
        println!(
            "{:<10} {:<10} {:<7} {:<16} {:>9}  {}",
            l.id,
            service,
            l.region.unwrap_or_default(),
            l.fault,
            l.accepted,
            l.url
        );
    }
    println!(
        "sessions {}  users {}  messages {}  scenario {}",
        status.sessions,
        status.users,
        status.messages,
        status.scenario.unwrap_or_else(|| "-".into())
    );
    Ok(())
}

async fn expire(control: &ControlArgs) -> Result<(), Failure> {
    let answer: serde_json::Value = control_call(
        control,
        reqwest::Method::POST,
        "/control/sessions/expire",
        None,
    )
    .await?;
    println!("expired {} sessions", answer["expired"]);
    Ok(())
}

async fn scenario(
    control: &ControlArgs,
    name_or_file: &str,
    time_scale: f64,
    check: bool,
) -> Result<(), Failure> {
    let text = outlast_mock::scenario_text(name_or_file).map_err(bad_input)?;
    let parsed = Scenario::parse(&text).map_err(|e| bad_input(format!("{name_or_file}: {e}")))?;
    if check {
        println!(
            "{name_or_file}: ok, {} steps over {:?}: {}",
            parsed.steps.len(),
            parsed.length(),
            parsed.name
        );
        return Ok(());
    }
    let request = ScenarioRequest {
        toml: text,
        time_scale,
    };
    let playing: serde_json::Value = control_call(
        control,
        reqwest::Method::POST,
        "/control/scenario",
        serde_json::to_value(request).ok(),
    )
    .await?;
    println!(
        "playing {} ({} steps) at {time_scale}x: {:?} of scenario time",
        playing["playing"],
        playing["steps"],
        parsed.length()
    );
    Ok(())
}
