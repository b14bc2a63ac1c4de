//! `outlast-mock`: run the mock backend on loopback for manual testing and scripts.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};

#[derive(Parser, Debug)]
#[command(
    name = "outlast-mock",
    version,
    about = "Outlast mock backend with demo data and simulated peers"
)]
struct Args {
    /// Address to listen on. Keep it on loopback: the mock has no real security.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Port of the HTTP API (login, REST). 0 picks a free port.
    #[arg(long, default_value_t = 7710)]
    http_port: u16,
    /// Port of the WebSocket gateway. 0 picks a free port.
    #[arg(long, default_value_t = 7711)]
    gateway_port: u16,
    /// Seed for the simulated peers' replies.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Milliseconds a simulated peer waits before answering.
    #[arg(long, default_value_t = 700)]
    reply_delay_ms: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "outlast_mock=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = MockConfig {
        http_addr: SocketAddr::new(args.host, args.http_port),
        gateway_addr: SocketAddr::new(args.host, args.gateway_port),
        seed: args.seed,
        reply_delay: Duration::from_millis(args.reply_delay_ms),
    };
    let server = match MockServer::start(config).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("outlast-mock: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Scripts read these lines to find the ports; keep their shape stable.
    println!("outlast-mock api {}", server.http_url());
    println!("outlast-mock gateway {}", server.gateway_url());
    println!(
        "outlast-mock sign in as {DEMO_USERNAME:?} with password {DEMO_PASSWORD:?}; Ctrl-C stops"
    );
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    std::process::ExitCode::SUCCESS
}
