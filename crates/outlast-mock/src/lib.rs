//! Outlast's mock backend: a real server on loopback (HTTP API + WebSocket gateway, each on its
//! own listener, one shared in-memory store) seeded with demo users and chats, whose simulated
//! peers answer what real users write. Used by tests, by `outlast --mock` and by testers through
//! the `outlast-mock` binary.

mod backend;
mod demo;
mod gateway;
mod http;
mod store;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub use demo::{DEMO_PASSWORD, DEMO_USERNAME};

/// How to start a mock backend.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Address of the HTTP API (login, REST). Port 0 picks a free port.
    pub http_addr: SocketAddr,
    /// Address of the WebSocket gateway. Port 0 picks a free port.
    pub gateway_addr: SocketAddr,
    /// Seeds the simulated peers' choices, so a run can be replayed.
    pub seed: u64,
    /// How long a simulated peer "types" before answering.
    pub reply_delay: Duration,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            gateway_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 1,
            reply_delay: Duration::from_millis(700),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running mock backend. Dropping it stops every listener.
pub struct MockServer {
    http_url: String,
    gateway_url: String,
    tasks: JoinSet<()>,
    backend: backend::Backend,
}

impl MockServer {
    /// Bind every listener and start serving in the background of the current tokio runtime.
    pub async fn start(config: MockConfig) -> Result<MockServer, MockError> {
        let http = bind(config.http_addr).await?;
        let gateway = bind(config.gateway_addr).await?;
        let http_url = format!("http://{}", local_addr(&http, config.http_addr));
        let gateway_url = format!("ws://{}/gateway", local_addr(&gateway, config.gateway_addr));

        let backend = backend::Backend::new(config.seed, config.reply_delay);
        let mut tasks = JoinSet::new();
        let router = http::router(http::HttpState {
            backend: backend.clone(),
            gateway_url: gateway_url.clone(),
        });
        tasks.spawn(async move {
            if let Err(err) = axum::serve(http, router).await {
                tracing::error!(%err, "HTTP listener stopped");
            }
        });
        tasks.spawn(gateway::serve(gateway, backend.clone()));
        tracing::info!(%http_url, %gateway_url, "mock backend listening");
        Ok(MockServer {
            http_url,
            gateway_url,
            tasks,
            backend,
        })
    }

    /// Base URL of the HTTP API, e.g. `http://127.0.0.1:7710`.
    pub fn http_url(&self) -> &str {
        &self.http_url
    }

    /// URL of the WebSocket gateway.
    pub fn gateway_url(&self) -> &str {
        &self.gateway_url
    }

    /// Number of live gateway sessions (for tests and the status line).
    pub fn session_count(&self) -> usize {
        self.backend.store().session_count()
    }

    /// Stop every listener and drop every connection.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, MockError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| MockError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener, fallback: SocketAddr) -> SocketAddr {
    listener.local_addr().unwrap_or(fallback)
}
