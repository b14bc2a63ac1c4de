//! `outlast-mock-load`: how many concurrent WebSocket clients one `outlast-mock` process holds.
//!
//! Starts `outlast-mock` as its own process (or uses `--server`), signs in once, opens `--clients`
//! gateway sessions spread over every gateway, keeps each alive with app-level heartbeats for
//! `--seconds`, and prints connection and ping figures plus the server's memory and CPU. Bounded:
//! it stops by itself.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use outlast_protocol::{
    decode_server_frame, encode_frame, AccessToken, ClientFrame, DiscoveryConfig, LoginRequest,
    LoginResponse, ServerFrame, PROTOCOL_VERSION,
};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser, Debug)]
#[command(
    name = "outlast-mock-load",
    about = "Load test: concurrent gateway sessions with heartbeats against one outlast-mock process"
)]
struct Args {
    #[arg(long, default_value_t = 10_000)]
    clients: usize,
    /// How long every client stays connected and pings, after all have connected.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Heartbeat interval of each client, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    heartbeat_ms: u64,
    /// Connection attempts in flight at once while ramping up.
    #[arg(long, default_value_t = 256)]
    ramp_concurrency: usize,
    /// Use a running server (its discovery URL) instead of starting one.
    #[arg(long)]
    server: Option<String>,
}

#[derive(Default)]
struct Counters {
    connected: AtomicU64,
    failed: AtomicU64,
    pings: AtomicU64,
    pongs: AtomicU64,
    dropped: AtomicU64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut child: Option<Child> = None;
    let server = match &args.server {
        Some(url) => url.clone(),
        None => match spawn_server() {
            Ok((c, url)) => {
                child = Some(c);
                url
            }
            Err(e) => {
                eprintln!("outlast-mock-load: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let result = run(&args, &server, child.as_ref().map(|c| c.id())).await;
    if let Some(mut c) = child {
        let _ = c.kill();
        let _ = c.wait();
    }
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("outlast-mock-load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn spawn_server() -> Result<(Child, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mock = exe.with_file_name("outlast-mock");
    let mut child = Command::new(&mock)
        .args(["--port", "0"])
        .env("RUST_LOG", "outlast_mock=warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start {}: {e} (build it with cargo build -p outlast-mock --release)",
                mock.display()
            )
        })?;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("outlast-mock server ").map(str::to_owned))
        .ok_or("outlast-mock did not print its address")?;
    // Keep reading the rest, so the server never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, url))
}

async fn run(args: &Args, server: &str, server_pid: Option<u32>) -> Result<bool, String> {
    let http = reqwest::Client::new();
    let config: DiscoveryConfig = fetch_json(http.get(format!("{server}/v1/config"))).await?;
    let gateways: Vec<String> = config
        .regions
        .iter()
        .flat_map(|r| r.gateways.iter().map(|g| g.url.clone()))
        .collect();
    let auth = config
        .regions
        .iter()
        .find_map(|r| r.auth.first())
        .ok_or("the server lists no auth endpoint")?;
    if gateways.is_empty() {
        return Err("the server lists no gateway".into());
    }
    let login: LoginResponse = fetch_json(http.post(format!("{}/v1/login", auth.url)).json(
        &LoginRequest {
            username: "demo".into(),
            password: "demo".into(),
        },
    ))
    .await?;

    let counters = Arc::new(Counters::default());
    let rtts = Arc::new(std::sync::Mutex::new(Vec::<u32>::new()));
    let connect_times = Arc::new(std::sync::Mutex::new(Vec::<u32>::new()));
    let ramp = Arc::new(Semaphore::new(args.ramp_concurrency));
    let started = Instant::now();
    let hold_until = Arc::new(tokio::sync::OnceCell::<Instant>::new());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..args.clients {
        let url = gateways[i % gateways.len()].clone();
        let token = login.access_token.clone();
        let (counters, rtts, connect_times, ramp, hold_until) = (
            counters.clone(),
            rtts.clone(),
            connect_times.clone(),
            ramp.clone(),
            hold_until.clone(),
        );
        let heartbeat = Duration::from_millis(args.heartbeat_ms);
        tasks.spawn(async move {
            let permit = ramp.acquire_owned().await.expect("semaphore open");
            let t0 = Instant::now();
            let Ok(mut ws) = open(&url, &token).await else {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                return;
            };
            connect_times
                .lock()
                .unwrap()
                .push(t0.elapsed().as_micros() as u32);
            counters.connected.fetch_add(1, Ordering::Relaxed);
            drop(permit);
            // Spread the heartbeats over the interval, as independent clients would be.
            tokio::time::sleep(heartbeat.mul_f64((i % 100) as f64 / 100.0)).await;
            let mut nonce = 0u64;
            loop {
                let until = hold_until.get().copied();
                if until.is_some_and(|u| Instant::now() >= u) {
                    return;
                }
                nonce += 1;
                let sent = Instant::now();
                counters.pings.fetch_add(1, Ordering::Relaxed);
                if ws
                    .send(Message::text(encode_frame(&ClientFrame::Ping { nonce })))
                    .await
                    .is_err()
                {
                    counters.dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                let answered = tokio::time::timeout(Duration::from_secs(10), async {
                    while let Some(Ok(message)) = ws.next().await {
                        if let Message::Text(text) = message {
                            if let Ok(ServerFrame::Pong { nonce: n }) =
                                decode_server_frame(text.as_str())
                            {
                                if n == nonce {
                                    return true;
                                }
                            }
                        }
                    }
                    false
                })
                .await;
                match answered {
                    Ok(true) => {
                        counters.pongs.fetch_add(1, Ordering::Relaxed);
                        rtts.lock().unwrap().push(sent.elapsed().as_micros() as u32);
                    }
                    _ => {
                        counters.dropped.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                }
                tokio::time::sleep(heartbeat).await;
            }
        });
    }

    // Wait for the ramp to finish (every client connected or failed), then hold.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done =
            counters.connected.load(Ordering::Relaxed) + counters.failed.load(Ordering::Relaxed);
        if done as usize >= args.clients || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ramp_time = started.elapsed();
    let rss_after_ramp = server_pid.and_then(rss_kib);
    let _ = hold_until.set(Instant::now() + Duration::from_secs(args.seconds));
    let cpu_before = server_pid.and_then(cpu_ticks);
    let held_from = Instant::now();
    while tasks.join_next().await.is_some() {}
    let held = held_from.elapsed();
    let cpu_after = server_pid.and_then(cpu_ticks);

    let connected = counters.connected.load(Ordering::Relaxed);
    let failed = counters.failed.load(Ordering::Relaxed);
    let pings = counters.pings.load(Ordering::Relaxed);
    let pongs = counters.pongs.load(Ordering::Relaxed);
    let dropped = counters.dropped.load(Ordering::Relaxed);
    let mut rtts = rtts.lock().unwrap().clone();
    let mut connects = connect_times.lock().unwrap().clone();
    println!(
        "outlast-mock-load: {} clients, heartbeat {} ms, held {:.1} s",
        args.clients,
        args.heartbeat_ms,
        held.as_secs_f64()
    );
    println!(
        "  connected          {connected} ({failed} failed) in {:.2} s",
        ramp_time.as_secs_f64()
    );
    println!(
        "  connect time       median {:.2} ms, p99 {:.2} ms",
        pct(&mut connects, 50.0),
        pct(&mut connects, 99.0)
    );
    println!("  heartbeats         {pings} sent, {pongs} answered, {dropped} clients lost");
    println!(
        "  ping round trip    median {:.2} ms, p99 {:.2} ms",
        pct(&mut rtts, 50.0),
        pct(&mut rtts, 99.0)
    );
    if let Some(kib) = rss_after_ramp {
        println!(
            "  server memory      {:.1} MiB RSS with every client connected ({:.1} KiB per client)",
            kib as f64 / 1024.0,
            kib as f64 / args.clients.max(1) as f64
        );
    }
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        let ticks = b.saturating_sub(a) as f64 / 100.0;
        println!(
            "  server CPU         {:.1} % of one core while holding",
            100.0 * ticks / held.as_secs_f64()
        );
    }
    Ok(failed == 0 && dropped == 0 && connected as usize == args.clients)
}

async fn open(
    url: &str,
    token: &AccessToken,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    String,
> {
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(30),
        tokio_tungstenite::connect_async(url),
    )
    .await
    .map_err(|_| "connect timed out".to_string())?
    .map_err(|e| e.to_string())?;
    let hello = ClientFrame::Hello {
        protocol_version: PROTOCOL_VERSION,
        token: token.clone(),
        resume: None,
    };
    ws.send(Message::text(encode_frame(&hello)))
        .await
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
        Ok(Some(Ok(Message::Text(text))))
            if matches!(
                decode_server_frame(text.as_str()),
                Ok(ServerFrame::Welcome { .. })
            ) =>
        {
            Ok(ws)
        }
        other => Err(format!("no welcome: {other:?}")),
    }
}

async fn fetch_json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    response.json().await.map_err(|e| e.to_string())
}

/// Percentile of microsecond samples, in milliseconds.
fn pct(samples: &mut [u32], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_unstable();
    let i = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[i] as f64 / 1000.0
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// utime + stime of a process, in clock ticks (100 per second on Linux).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}
