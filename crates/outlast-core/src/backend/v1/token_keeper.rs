//! Keeps the access token fresh: refreshes it before it expires and whenever a gateway refuses it.
//! While the auth service is down it retries with jittered backoff and the account stays signed in
//! (a still-valid session keeps working; an expired one keeps the app readable and the outbox
//! filling). Only a refresh token the server rejects ends the session, and even then nothing is
//! deleted: the user is asked to sign in again.

use std::sync::{Arc, Mutex};

use outlast_protocol::{LoginResponse, RefreshToken};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::time::Duration;

use crate::api::ApiClient;
use crate::clock::now_ms;
use crate::connection::{RetryPolicy, TokenPublisher};
use crate::credentials::{AccountKey, Vault};
use crate::model::{CoreEvent, Service, ServiceState};
use crate::shared::Shared;

/// Retry delays while the auth service is unreachable (unless the settings give others).
pub(crate) const RETRY_BASE: Duration = Duration::from_secs(2);
pub(crate) const RETRY_CAP: Duration = Duration::from_secs(60);

pub(crate) struct Keeper {
    /// Auth endpoints, preferred first.
    pub auth: Vec<ApiClient>,
    /// Shared with the session, which revokes it at sign-out.
    pub refresh_token: Arc<Mutex<RefreshToken>>,
    /// When the current access token expires; 0 when there is none yet.
    pub expires_at_ms: u64,
    /// Where a rotated refresh token is kept for the next start.
    pub vault: Option<(Vault, AccountKey)>,
    pub publisher: TokenPublisher,
    pub shared: Arc<Shared>,
    pub retry: RetryPolicy,
}

impl Keeper {
    pub async fn run(mut self) {
        let policy = self.retry.clone();
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
                        self.shared.set_service(
                            Service::Auth.id(),
                            ServiceState::Down,
                            Some(reason),
                        );
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
        let current = self
            .refresh_token
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let answer = refresh_at(&self.auth, &current).await?;
        if answer.refresh_token != current {
            keep_rotated(self.vault.as_ref(), &answer.refresh_token);
            *self.refresh_token.lock().unwrap_or_else(|e| e.into_inner()) =
                answer.refresh_token.clone();
        }
        self.expires_at_ms = answer.access_expires_at_ms;
        self.publisher.publish(answer.access_token);
        self.shared
            .set_service(Service::Auth.id(), ServiceState::Up, None);
        tracing::info!("access token refreshed");
        Ok(())
    }
}

/// Exchange `token` at the first auth endpoint that answers.
pub(crate) async fn refresh_at(
    auths: &[ApiClient],
    token: &RefreshToken,
) -> Result<LoginResponse, RefreshFailure> {
    let mut last = String::from("no sign-in service is configured");
    for auth in auths {
        match auth.refresh(token).await {
            Ok(answer) => return Ok(answer),
            Err(err) if err.retryable() => last = err.to_string(),
            Err(err) => return Err(Permanent(err.to_string())),
        }
    }
    Err(Retry(last))
}

/// A server that rotates refresh tokens makes the stored one useless: store the new one.
pub(crate) fn keep_rotated(vault: Option<&(Vault, AccountKey)>, token: &RefreshToken) {
    if let Some((vault, account)) = vault {
        if let Err(err) = vault.0.save(account, token) {
            tracing::warn!(%err, "could not keep the renewed sign-in; the next start will ask for the password");
        }
    }
}

pub(crate) enum RefreshFailure {
    /// The auth service is unreachable or overloaded: try again later.
    Retry(String),
    /// The server rejected the refresh token: only a new sign-in helps.
    Permanent(String),
}

use RefreshFailure::{Permanent, Retry};
