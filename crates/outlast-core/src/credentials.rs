//! Where the refresh token lives between runs. The core only knows this trait; the desktop app
//! plugs in the OS keyring (`outlast-desktop`), tests and tools an in-memory vault. Nothing else
//! secret is ever kept: the access token is short-lived and stays in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use thiserror::Error;

/// What restores a sign-in without the password (protocol v1: the refresh token). The backend
/// issues and renews it; the core keeps it in the vault only. `Debug` never shows the value, so
/// nothing that logs a session leaks it.
#[derive(Clone, PartialEq, Eq)]
pub struct SignInSecret(String);

impl SignInSecret {
    pub fn new(value: impl Into<String>) -> Self {
        SignInSecret(value.into())
    }

    /// The raw value, for the backend's wire and the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SignInSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignInSecret(<redacted>)")
    }
}

/// Which account a token belongs to: one per user and server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountKey {
    pub server: String,
    pub user_id: String,
}

impl AccountKey {
    /// The label the OS keyring shows next to the entry, e.g. `alice@chat.example.com`.
    pub fn label(&self) -> String {
        let host = self
            .server
            .split("://")
            .nth(1)
            .unwrap_or(&self.server)
            .trim_end_matches('/');
        format!("{}@{host}", self.user_id)
    }
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum VaultError {
    /// There is no keyring to keep secrets in (no Secret Service on this desktop, say).
    #[error("no keyring is available to keep your sign-in ({0}); you will be asked to sign in again next time Outlast starts")]
    Unavailable(String),
    /// The keyring exists but refused (locked, denied, damaged entry).
    #[error("the keyring refused to {action} your sign-in: {reason}")]
    Refused {
        action: &'static str,
        reason: String,
    },
}

/// Keeps one sign-in secret per account. Calls may block briefly (a D-Bus round trip).
pub trait CredentialVault: Send + Sync + 'static {
    fn save(&self, account: &AccountKey, token: &SignInSecret) -> Result<(), VaultError>;
    fn load(&self, account: &AccountKey) -> Result<Option<SignInSecret>, VaultError>;
    /// Remove the token; removing one that is not there is not an error.
    fn delete(&self, account: &AccountKey) -> Result<(), VaultError>;
}

/// A shared vault, as `ClientOptions` holds it.
#[derive(Clone)]
pub struct Vault(pub Arc<dyn CredentialVault>);

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault")
    }
}

impl Vault {
    pub fn new(vault: impl CredentialVault) -> Self {
        Vault(Arc::new(vault))
    }
}

/// Tokens kept for the life of the process only: for tools, tests, and as the honest fallback
/// when no keyring exists (the user signs in again next start).
#[derive(Default)]
pub struct MemoryVault {
    tokens: Mutex<HashMap<AccountKey, SignInSecret>>,
}

impl CredentialVault for MemoryVault {
    fn save(&self, account: &AccountKey, token: &SignInSecret) -> Result<(), VaultError> {
        self.lock().insert(account.clone(), token.clone());
        Ok(())
    }

    fn load(&self, account: &AccountKey) -> Result<Option<SignInSecret>, VaultError> {
        Ok(self.lock().get(account).cloned())
    }

    fn delete(&self, account: &AccountKey) -> Result<(), VaultError> {
        self.lock().remove(account);
        Ok(())
    }
}

impl MemoryVault {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AccountKey, SignInSecret>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}
