//! Keeps the access token fresh: refreshes it before it expires and whenever a gateway refuses it.
//! While the auth service is down it retries with jittered backoff and the account stays signed in
//! (a still-valid session keeps working; an expired one keeps the app readable and the outbox
//! filling). Only a refresh token the server rejects ends the session, and even then nothing is
//! deleted: the user is asked to sign in again.

use std::sync::Arc;

use outlast_protocol::RefreshToken;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::time::Duration;

use crate::api::ApiClient;
use crate::clock::now_ms;
use crate::connection::{RetryPolicy, TokenPublisher};
use crate::model::{CoreEvent, Service, ServiceState};
use crate::shared::Shared;

/// Retry delays while the auth service is unreachable.
const RETRY_BASE: Duration = Duration::from_secs(2);
const RETRY_CAP: Duration = Duration::from_secs(60);

pub(crate) struct Keeper {
    /// Auth endpoints, preferred first.
    pub auth: Vec<ApiClient>,
    pub refresh_token: RefreshToken,
    pub expires_at_ms: u64,
    pub publisher: TokenPublisher,
    pub shared: Arc<Shared>,
}

impl Keeper {
    pub async fn run(mut self) {
        let policy = RetryPolicy::outlast(RETRY_BASE, RETRY_CAP);
        let mut rng = StdRng::from_os_rng();
        loop {
            // Refresh when three quarters of the remaining lifetime are gone, or when asked.
            let left = self.expires_at_ms.saturating_sub(now_ms());
            let wait = Duration::from_millis(left / 4 * 3);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.publisher.refresh_requested() => {}
            }
            let mut failures = 0;
            loop {
                match self.refresh_once().await {
                    Ok(()) => break,
                    Err(Permanent(reason)) => {
                        tracing::warn!(%reason, "the server rejected the session");
                        self.shared.emit(vec![CoreEvent::SignInRequired { reason }]);
                        return;
                    }
                    Err(Retry(reason)) => {
                        self.shared
                            .set_service(Service::Auth, ServiceState::Down, Some(reason));
                        let delay = policy.delay(failures, &mut rng);
                        failures += 1;
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            _ = self.publisher.refresh_requested() => {}
                        }
                    }
                }
            }
        }
    }

    async fn refresh_once(&mut self) -> Result<(), RefreshFailure> {
        let mut last = String::from("no sign-in service is configured");
        for auth in &self.auth {
            match auth.refresh(&self.refresh_token).await {
                Ok(answer) => {
                    self.refresh_token = answer.refresh_token;
                    self.expires_at_ms = answer.access_expires_at_ms;
                    self.publisher.publish(answer.access_token);
                    self.shared
                        .set_service(Service::Auth, ServiceState::Up, None);
                    tracing::info!("access token refreshed");
                    return Ok(());
                }
                Err(err) if err.retryable() => last = err.to_string(),
                Err(err) => return Err(Permanent(err.to_string())),
            }
        }
        Err(Retry(last))
    }
}

enum RefreshFailure {
    Retry(String),
    Permanent(String),
}

use RefreshFailure::{Permanent, Retry};
