//! Signing in, restoring a kept sign-in and signing out, on any [`Server`]: the core checks what
//! the user typed, keeps the sign-in's secret in the vault (and the account, with no secret, in
//! the profile folder), and starts the session from the server's first view or the local cache.
//! How a server signs in (protocol v1: discovery, auth endpoints, tokens) is the server's.

use tokio::sync::watch;
use tokio::time::Instant;

use crate::backend::v1::{V1Options, V1Server};
use crate::backend::{by_deadline, Server, SignedIn, Tasks};
use crate::credentials::{AccountKey, SignInSecret, Vault};
use crate::model::SessionInfo;
use crate::remembered_account::{AccountFile, RememberedAccount};
use crate::CoreError;

use super::Client;

/// Longest accepted server address, username or password: a runaway paste gets a clear error.
const MAX_FIELD_CHARS: usize = 512;

impl Client {
    /// Sign in to the protocol v1 server at `server` and start the connection. Replaces any
    /// previous session. With a vault, the sign-in is kept for the next start
    /// ([`Client::resume`]).
    pub async fn login(
        &self,
        server: &str,
        username: &str,
        password: &str,
    ) -> Result<SessionInfo, CoreError> {
        // What was typed is checked before the address is read as one.
        check_fields(server, username, password)?;
        let server = self.v1_server(server)?;
        self.sign_in_checked(&server, username, password).await
    }

    /// Sign in to `server` with a password and start the session. Replaces any previous session.
    /// With a vault, the sign-in is kept for the next start.
    pub async fn sign_in_to(
        &self,
        server: &dyn Server,
        username: &str,
        password: &str,
    ) -> Result<SessionInfo, CoreError> {
        check_fields(server.address(), username, password)?;
        self.sign_in_checked(server, username, password).await
    }

    async fn sign_in_checked(
        &self,
        server: &dyn Server,
        username: &str,
        password: &str,
    ) -> Result<SessionInfo, CoreError> {
        let username = username.trim();
        let shared = &self.inner.shared;
        shared.status().declare_services(server.services());
        let signed_in = server.sign_in(username, password, shared.clone()).await?;
        let view = signed_in.backend.first_view().await?;
        self.start(server, username, signed_in, Ok(view))
    }

    /// Restore the account signed in last time, from the secret in the vault: no password.
    /// `Ok(None)` when there is nothing to restore. When the sign-in service or the API cannot
    /// be reached the session starts from the local cache (readable, searchable, the outbox
    /// filling) and connects once they answer: an outage never signs anyone out.
    pub async fn resume(&self) -> Result<Option<SessionInfo>, CoreError> {
        let Some(kept) = self.kept_sign_in()? else {
            return Ok(None);
        };
        if kept.0.protocol != crate::backend::v1::PROTOCOL {
            // Only the front end that made that kind of server can restore it.
            tracing::info!(protocol = %kept.0.protocol, "the kept sign-in is not to a protocol v1 server; it is restored with resume_on");
            return Ok(None);
        }
        let server = self.v1_server(&kept.0.server)?;
        self.resume_kept(&server, kept).await.map(Some)
    }

    /// [`Client::resume`] on `server`: `Ok(None)` unless the sign-in kept last was to it (its
    /// address, and its kind of server).
    pub async fn resume_on(&self, server: &dyn Server) -> Result<Option<SessionInfo>, CoreError> {
        match self.kept_sign_in()? {
            Some(kept)
                if kept.0.server == server.address() && kept.0.protocol == server.protocol() =>
            {
                self.resume_kept(server, kept).await.map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The account signed in last time and its secret, when both are kept.
    fn kept_sign_in(&self) -> Result<Option<(RememberedAccount, SignInSecret)>, CoreError> {
        let (Some(dir), Some(vault)) = (&self.inner.options.data_dir, &self.inner.options.vault)
        else {
            return Ok(None);
        };
        let Some(account) = AccountFile::in_dir(dir).load() else {
            return Ok(None);
        };
        match vault.0.load(&account.key()) {
            Ok(Some(secret)) => Ok(Some((account, secret))),
            Ok(None) => Ok(None),
            Err(err) => Err(CoreError::Keyring(err.to_string())),
        }
    }

    /// Restore `account`'s sign-in on `server` with its kept `secret`.
    async fn resume_kept(
        &self,
        server: &dyn Server,
        (account, secret): (RememberedAccount, SignInSecret),
    ) -> Result<SessionInfo, CoreError> {
        let key = account.key();
        // The whole start waits this long at most for the server (see `start_patience`).
        let deadline = Instant::now() + self.inner.options.connection.start_patience;
        let shared = &self.inner.shared;
        shared.status().declare_services(server.services());
        let signed_in = match server
            .resume(&account, secret, deadline, shared.clone())
            .await
        {
            Err(CoreError::SignInAgain(reason)) => {
                // The server ended this sign-in (revoked, expired): the kept secret is useless.
                if let Some(Err(err)) = self.inner.options.vault.as_ref().map(|v| v.0.delete(&key))
                {
                    tracing::warn!(%err, "could not remove a rejected sign-in from the keyring");
                }
                return Err(CoreError::SignInAgain(reason));
            }
            answer => answer?,
        };
        let view = match &signed_in.offline {
            Some(reason) => Err(CoreError::Unreachable {
                server: server.address().to_owned(),
                reason: reason.clone(),
            }),
            None => {
                let view =
                    by_deadline(deadline, server.address(), signed_in.backend.first_view()).await;
                match view {
                    Err(err) if !err.retryable() => return Err(err),
                    view => view,
                }
            }
        };
        self.start(server, &account.username, signed_in, view)
    }

    /// The account that would be restored (or whose form to fill): no secret in it.
    pub fn remembered_account(&self) -> Option<RememberedAccount> {
        AccountFile::in_dir(self.inner.options.data_dir.as_deref()?).load()
    }

    /// Sign out: the server forgets the sign-in (when it can be reached), the keyring entry is
    /// removed and the session ends. The local cache stays for the next sign-in to this account.
    /// An error means the session ended but the keyring kept the secret.
    pub async fn sign_out(&self) -> Result<(), CoreError> {
        let session = self.session().ok();
        let mut outcome = Ok(());
        if let Some(session) = &session {
            if let Err(err) = session.backend.sign_out().await {
                tracing::warn!(%err, "the server could not end the session");
            }
            if let (Some(vault), Some(kept)) = (&self.inner.options.vault, &session.sign_in) {
                if let Err(err) = vault.0.delete(&kept.account) {
                    outcome = Err(CoreError::Keyring(err.to_string()));
                }
            }
        }
        if let Some(dir) = &self.inner.options.data_dir {
            if let Err(err) = AccountFile::in_dir(dir).forget() {
                tracing::warn!(%err, "could not forget the last account");
            }
        }
        self.logout();
        outcome
    }

    /// The protocol v1 server at `address`, set up from this client's options.
    fn v1_server(&self, address: &str) -> Result<V1Server, CoreError> {
        let options = &self.inner.options;
        V1Server::new(
            address,
            V1Options {
                connection: options.connection.clone(),
                cache_dir: options.data_dir.clone(),
                builtin_endpoints: options.builtin_endpoints.clone(),
            },
        )
    }

    /// Start the session of `signed_in` (from `view`, or the local cache when the server could
    /// not be asked) and keep its sign-in for the next start.
    fn start(
        &self,
        server: &dyn Server,
        username: &str,
        signed_in: SignedIn,
        view: Result<crate::backend::FirstView, CoreError>,
    ) -> Result<SessionInfo, CoreError> {
        let SignedIn {
            user,
            backend,
            offline: _,
            work,
        } = signed_in;
        let mut begun = self.begin(server.address(), &user, backend.clone(), view)?;
        for task in work {
            begun.tasks.spawn(task);
        }
        let record = RememberedAccount {
            server: server.address().to_owned(),
            protocol: server.protocol().to_owned(),
            username: username.to_owned(),
            user_id: user.user_id.clone(),
            display_name: user.display_name.clone(),
        };
        let kept = backend.kept_secret().map(|secret| KeptSignIn {
            not_kept: self.remember(&record, secret, &mut begun.tasks),
            account: record.key(),
        });
        self.install(begun, kept)
    }

    /// Keep the sign-in for the next start: its secret in the vault (again each time the
    /// backend renews it), the account (no secret) in the profile folder. Returns why it could
    /// not be kept; the session works either way. A client with no vault (tools, the demo)
    /// keeps nothing and has nothing to report.
    fn remember(
        &self,
        record: &RememberedAccount,
        mut secret: watch::Receiver<SignInSecret>,
        tasks: &mut Tasks,
    ) -> Option<String> {
        let options = &self.inner.options;
        let (Some(vault), Some(dir)) = (&options.vault, &options.data_dir) else {
            return None;
        };
        let account = record.key();
        let current = secret.borrow_and_update().clone();
        if let Err(err) = vault.0.save(&account, &current) {
            tracing::warn!(%err, "the sign-in is kept in memory only");
            return Some(err.to_string());
        }
        tasks.spawn(keep_renewed(secret, vault.clone(), account));
        AccountFile::in_dir(dir)
            .save(record)
            .err()
            .map(|err| format!("could not write the account file: {err}"))
    }
}

/// How the session's sign-in is kept between runs.
pub(super) struct KeptSignIn {
    /// The vault entry it is kept under.
    pub account: AccountKey,
    /// Why the sign-in is not kept for the next start though this client keeps sign-ins.
    pub not_kept: Option<String>,
}

/// What a user typed to sign in, checked before anything goes to a server: a runaway paste or
/// an empty field gets a clear error.
fn check_fields(server: &str, username: &str, password: &str) -> Result<(), CoreError> {
    if username.trim().is_empty() || password.is_empty() {
        return Err(CoreError::InvalidInput(
            "enter a username and a password".into(),
        ));
    }
    for (name, value) in [
        ("server address", server),
        ("username", username),
        ("password", password),
    ] {
        if value.chars().count() > MAX_FIELD_CHARS {
            return Err(CoreError::InvalidInput(format!(
                "the {name} is longer than {MAX_FIELD_CHARS} characters"
            )));
        }
    }
    Ok(())
}

/// A server that rotates its secrets makes the kept one useless: keep each new one.
async fn keep_renewed(
    mut secret: watch::Receiver<SignInSecret>,
    vault: Vault,
    account: AccountKey,
) {
    while secret.changed().await.is_ok() {
        let renewed = secret.borrow_and_update().clone();
        if let Err(err) = vault.0.save(&account, &renewed) {
            tracing::warn!(%err, "could not keep the renewed sign-in; the next start will ask for the password");
        }
    }
}
