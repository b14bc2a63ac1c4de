//! Signing in to the in-memory server: a password per account (set by the test), and the secrets
//! it issued, which restore a sign-in until it is signed out. The sign-in goes through the API
//! service (the in-memory server has no separate one), so its scripted outages and delays apply.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::Instant;

use super::{MemoryBackend, MemoryServer};
use crate::backend::{by_deadline, BoxFuture, Server, SignedIn};
use crate::connection::ConnectionSink;
use crate::credentials::SignInSecret;
use crate::model::{NamedService, Profile, Service};
use crate::remembered_account::RememberedAccount;
use crate::CoreError;

/// Why a call fails once the server has ended the sign-in.
const ENDED: &str = "this sign-in has ended; sign in again";

/// The address every in-memory server goes by.
pub const MEMORY_ADDRESS: &str = "memory";

/// Who may sign in, and the sign-ins that can be restored.
#[derive(Default)]
pub(super) struct SignIns {
    passwords: HashMap<String, String>,
    /// Issued secret → the account it restores.
    secrets: HashMap<String, String>,
}

impl SignIns {
    pub fn set_password(&mut self, user_id: &str, password: &str) {
        self.passwords
            .insert(user_id.to_owned(), password.to_owned());
    }

    /// A new secret for `user_id` when `password` is theirs.
    fn sign_in(&mut self, user_id: &str, password: &str) -> Option<SignInSecret> {
        if self.passwords.get(user_id).map(String::as_str) != Some(password) {
            return None;
        }
        let secret = format!("ms-{}", uuid::Uuid::new_v4().simple());
        self.secrets.insert(secret.clone(), user_id.to_owned());
        Some(SignInSecret::new(secret))
    }

    pub(super) fn restores(&self, secret: &SignInSecret) -> Option<&str> {
        self.secrets.get(secret.expose()).map(String::as_str)
    }

    pub fn sign_out(&mut self, secret: &SignInSecret) {
        self.secrets.remove(secret.expose());
    }
}

impl MemoryServer {
    /// `user_id` signs in with `password` from now on ([`Server::sign_in`]).
    pub fn set_password(&self, user_id: &str, password: &str) {
        self.change(|s| s.sign_ins.set_password(user_id, password));
    }

    /// The backend of a sign-in that issued `secret`, reporting to `sink`.
    fn signed_in(
        &self,
        user: Profile,
        secret: SignInSecret,
        offline: Option<String>,
        sink: Arc<dyn ConnectionSink>,
    ) -> SignedIn {
        let backend = MemoryBackend {
            server: self.clone(),
            user_id: user.user_id.clone(),
            health: Some(sink),
            secret: Some(Arc::new(watch::Sender::new(secret))),
            ended: Arc::new(AtomicBool::new(false)),
        };
        SignedIn {
            user,
            backend: Arc::new(backend),
            offline,
            work: Vec::new(),
        }
    }
}

impl Server for MemoryServer {
    fn address(&self) -> &str {
        MEMORY_ADDRESS
    }

    fn protocol(&self) -> &'static str {
        "memory"
    }

    fn services(&self) -> Vec<NamedService> {
        super::SERVICES.map(Service::named).to_vec()
    }

    fn sign_in<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
        sink: Arc<dyn ConnectionSink>,
    ) -> BoxFuture<'a, Result<SignedIn, CoreError>> {
        Box::pin(async move {
            self.answer(Service::Api).await?;
            let signed_in = {
                let mut state = self.state();
                let secret = state.sign_ins.sign_in(username, password);
                secret.zip(state.users.get(username).cloned())
            };
            let (secret, user) = signed_in.ok_or(CoreError::BadCredentials)?;
            Ok(self.signed_in(user, secret, None, sink))
        })
    }

    fn resume<'a>(
        &'a self,
        account: &'a RememberedAccount,
        secret: SignInSecret,
        deadline: Instant,
        sink: Arc<dyn ConnectionSink>,
    ) -> BoxFuture<'a, Result<SignedIn, CoreError>> {
        Box::pin(async move {
            let remembered = Profile {
                user_id: account.user_id.clone(),
                display_name: account.display_name.clone(),
            };
            let reachable = by_deadline(deadline, MEMORY_ADDRESS, self.answer(Service::Api)).await;
            if let Err(err) = reachable {
                // Restored as it was kept; whether the server still honours it shows when it
                // answers again.
                return Ok(self.signed_in(remembered, secret, Some(err.to_string()), sink));
            }
            let user = {
                let state = self.state();
                state
                    .sign_ins
                    .restores(&secret)
                    .filter(|user_id| *user_id == account.user_id)
                    .and_then(|user_id| state.users.get(user_id).cloned())
            };
            match user {
                Some(user) => Ok(self.signed_in(user, secret, None, sink)),
                None => Err(CoreError::SignInAgain(ENDED.into())),
            }
        })
    }
}

impl MemoryBackend {
    /// The error for a call after the server ended this sign-in (signed out elsewhere), which
    /// is reported to the sink the first time. `None` while the sign-in holds, or for a backend
    /// made without one.
    pub(super) fn sign_in_ended(&self) -> Option<CoreError> {
        let secret = self.secret.as_ref()?.borrow().clone();
        if self.server.state().sign_ins.restores(&secret).is_some() {
            return None;
        }
        if !self.ended.swap(true, Ordering::SeqCst) {
            if let Some(sink) = &self.health {
                sink.sign_in_ended(ENDED.into());
            }
        }
        Some(CoreError::SignInAgain(ENDED.into()))
    }
}
