//! `outlast --mock`: run the mock backend inside the app and sign in to it as the demo user, so
//! the app is usable (and testable) with no server anywhere.

use outlast_core::Client;
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::watch;

/// Keeps the embedded backend alive for as long as the app runs.
pub struct EmbeddedMock(MockServer);

impl EmbeddedMock {
    pub fn server(&self) -> &MockServer {
        &self.0
    }
}

pub fn start<R: Runtime>(app: AppHandle<R>, client: Client, done: watch::Sender<bool>) {
    tauri::async_runtime::spawn(async move {
        match MockServer::start(MockConfig::default()).await {
            Ok(server) => {
                let url = server.discovery_url().to_owned();
                tracing::info!(server = %url, control = server.control_url(), "embedded mock backend started");
                app.manage(EmbeddedMock(server));
                if let Err(err) = client.login(&url, DEMO_USERNAME, DEMO_PASSWORD).await {
                    tracing::error!(%err, "demo sign-in failed");
                }
            }
            Err(err) => tracing::error!(%err, "embedded mock backend could not start"),
        }
        let _ = done.send(true);
    });
}
