//! The refresh token in the OS keyring: Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows, through the `keyring` crate. One entry per account, labelled with the user
//! and server so people recognise it in their keyring manager.

use outlast_core::SignInSecret;
use outlast_core::{AccountKey, CredentialVault, VaultError};

/// The keyring "service" all of Outlast's entries share.
pub const SERVICE: &str = "app.outlast.desktop";

#[derive(Debug, Default, Clone, Copy)]
pub struct KeyringVault;

impl KeyringVault {
    /// Whether a keyring is there at all; the app says so at start-up instead of failing later.
    pub fn check() -> Result<(), VaultError> {
        match keyring::Entry::store_status() {
            Ok(()) => Ok(()),
            Err(err) => Err(VaultError::Unavailable(err.to_string())),
        }
    }

    fn entry(account: &AccountKey) -> Result<keyring::Entry, VaultError> {
        keyring::Entry::new(SERVICE, &account.label()).map_err(|e| classify(e, "open"))
    }
}

impl CredentialVault for KeyringVault {
    fn save(&self, account: &AccountKey, token: &SignInSecret) -> Result<(), VaultError> {
        Self::entry(account)?
            .set_password(token.expose())
            .map_err(|e| classify(e, "keep"))
    }

    fn load(&self, account: &AccountKey) -> Result<Option<SignInSecret>, VaultError> {
        match Self::entry(account)?.get_password() {
            Ok(token) => Ok(Some(SignInSecret::new(token))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(classify(err, "read")),
        }
    }

    fn delete(&self, account: &AccountKey) -> Result<(), VaultError> {
        match Self::entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(classify(err, "remove")),
        }
    }
}

/// No keyring at all vs a keyring that said no: the first means "sign in every start", the
/// second is worth retrying or fixing (e.g. unlock the keyring).
fn classify(err: keyring::Error, action: &'static str) -> VaultError {
    match err {
        keyring::Error::NoDefaultStore | keyring::Error::PlatformFailure(_) => {
            VaultError::Unavailable(err.to_string())
        }
        other => VaultError::Refused {
            action,
            reason: other.to_string(),
        },
    }
}
