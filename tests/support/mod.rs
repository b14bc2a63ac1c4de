//! Helpers shared by the integration tests: a fresh mock backend and deadline-bounded waits.

#![allow(dead_code)]

use std::time::Duration;

use outlast_core::CoreEvent;
use outlast_mock::{MockConfig, MockServer};
use tokio::sync::broadcast;

/// Upper bound for anything on loopback; tests wait for conditions, never for fixed times.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub async fn mock_backend() -> MockServer {
    MockServer::start(MockConfig {
        reply_delay: Duration::from_millis(50),
        ..MockConfig::default()
    })
    .await
    .expect("mock backend starts on loopback")
}

/// Wait for the first event that `pick` accepts, collecting everything seen on the way.
pub async fn wait_for<T>(
    events: &mut broadcast::Receiver<CoreEvent>,
    seen: &mut Vec<CoreEvent>,
    what: &str,
    mut pick: impl FnMut(&CoreEvent) -> Option<T>,
) -> T {
    let result = tokio::time::timeout(DEADLINE, async {
        loop {
            let event = events.recv().await.expect("event stream open");
            seen.push(event.clone());
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    })
    .await;
    match result {
        Ok(found) => found,
        Err(_) => panic!("timed out waiting for {what}; events seen: {seen:#?}"),
    }
}
