//! Keeps the access token fresh: refreshes it before it expires and whenever a gateway refuses it.
//! While the auth service is down it retries with jittered backoff and the account stays signed in
//! (a still-valid session keeps working; an expired one keeps the app readable and the outbox
//! filling). Only a refresh token the server rejects ends the session, and even then nothing is
//! deleted: the user is asked to sign in again.

use std::sync::Arc;

use outlast_protocol::{LoginResponse, RefreshToken};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::watch;
use tokio::time::Duration;

use crate::api::ApiClient;
use crate::clock::now_ms;
use crate::connection::{ConnectionSink, RetryPolicy, TokenPublisher};
use crate::credentials::SignInSecret;
use crate::model::{Service, ServiceState};

/// Retry delays while the auth service is unreachable (unless the settings give others).
pub(crate) const RETRY_BASE: Duration = Duration::from_secs(2);
pub(crate) const RETRY_CAP: Duration = Duration::from_secs(60);

pub(crate) struct Keeper {
    /// Auth endpoints, preferred first.
    pub auth: Vec<ApiClient>,
    /// The refresh token: shared with the backend, which revokes it at sign-out, and watched by
    /// the core, which keeps a rotated one for the next start.
    pub refresh_token: Arc<watch::Sender<SignInSecret>>,
    /// When the current access token expires; 0 when there is none yet.
    pub expires_at_ms: u64,
    pub publisher: TokenPublisher,
    pub sink: Arc<dyn ConnectionSink>,
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
                        self.sink.sign_in_ended(reason);
                        return;
                    }
                    Err(Retry(reason)) => {
                        self.sink
                            .service(Service::Auth.id(), ServiceState::Down, Some(reason));
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
        let current = self.refresh_token.borrow().clone();
        let answer = refresh_at(&self.auth, &current).await?;
        let renewed = secret_of(&answer);
        if renewed != current {
            // A server that rotates refresh tokens makes the kept one useless: the core keeps
            // this one instead.
            self.refresh_token.send_replace(renewed);
        }
        self.expires_at_ms = answer.access_expires_at_ms;
        self.publisher.publish(answer.access_token);
        self.sink
            .service(Service::Auth.id(), ServiceState::Up, None);
        tracing::info!("access token refreshed");
        Ok(())
    }
}

/// Exchange `token` at the first auth endpoint that answers.
pub(crate) async fn refresh_at(
    auths: &[ApiClient],
    token: &SignInSecret,
) -> Result<LoginResponse, RefreshFailure> {
    let token = RefreshToken::new(token.expose());
    let mut last = String::from("no sign-in service is configured");
    for auth in auths {
        match auth.refresh(&token).await {
            Ok(answer) => return Ok(answer),
            Err(err) if err.retryable() => last = err.to_string(),
            Err(err) => return Err(Permanent(err.to_string())),
        }
    }
    Err(Retry(last))
}

/// The secret the core keeps for a sign-in answer: its refresh token.
pub(crate) fn secret_of(answer: &LoginResponse) -> SignInSecret {
    SignInSecret::new(answer.refresh_token.expose())
}

pub(crate) enum RefreshFailure {
    /// The auth service is unreachable or overloaded: try again later.
    Retry(String),
    /// The server rejected the refresh token: only a new sign-in helps.
    Permanent(String),
}

use RefreshFailure::{Permanent, Retry};
