//! Signing in and starting a session: discovery (or its cache), sign-in or a kept sign-in,
//! the server's first view (or the local cache), then the session's tasks.

use std::sync::{Arc, Mutex};

use outlast_protocol::{DiscoveryConfig, LoginResponse, RefreshToken};
use tokio::time::{timeout_at, Duration, Instant};

use crate::api::ApiClient;
use crate::backend::v1::{endpoints, V1Backend};
use crate::backend::{Backend, FirstView};
use crate::connection::{TokenPublisher, TokenSource};
use crate::credentials::AccountKey;
use crate::discovery_cache::DiscoveryCache;
use crate::endpoint_list::{EndpointSource, ServerEndpoints};
use crate::model::{Profile, Service, ServiceState, SessionInfo};
use crate::remembered_account::{AccountFile, RememberedAccount};
use crate::service_monitor::{self, Watched};
use crate::token_keeper::{refresh_at, Keeper, RefreshFailure};
use crate::CoreError;

use super::Client;

/// Longest accepted server address, username or password: a runaway paste gets a clear error.
const MAX_FIELD_CHARS: usize = 512;
/// How long sign-out waits for the server to forget the token.
const SIGN_OUT_WAIT: Duration = Duration::from_secs(3);
/// How often an up media service is re-checked.
const MEDIA_RECHECK: Duration = Duration::from_secs(60);

impl Client {
    /// Sign in and start the connection. Replaces any previous session. With a vault, the
    /// sign-in is kept for the next start ([`Client::resume`]).
    pub async fn login(
        &self,
        server: &str,
        username: &str,
        password: &str,
    ) -> Result<SessionInfo, CoreError> {
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
        let discovery =
            ApiClient::new(server)?.with_timeout(self.inner.options.connection.request_timeout);
        let (config, source) = self.discover(&discovery, None).await?;
        let auths = endpoints(&discovery, &config, |r| &r.auth)?;
        let login = self.sign_in_at(&auths, username.trim(), password).await?;
        let (tokens, publisher) = TokenSource::new(login.access_token);
        let backend = self.v1_backend(&discovery, &config, tokens)?;
        let view = backend.first_view().await?;
        self.start(Start {
            discovery,
            config,
            source,
            auths,
            username: username.trim().to_owned(),
            user: Profile {
                user_id: login.user.user_id,
                display_name: login.user.display_name,
            },
            refresh_token: login.refresh_token,
            publisher,
            expires_at_ms: login.access_expires_at_ms,
            backend,
            view: Ok(view),
        })
    }

    /// Restore the account signed in last time, from the refresh token in the vault: no
    /// password. `Ok(None)` when there is nothing to restore. When the sign-in service or the
    /// API cannot be reached the session starts from the local cache (readable, searchable, the
    /// outbox filling) and connects once they answer: an outage never signs anyone out.
    pub async fn resume(&self) -> Result<Option<SessionInfo>, CoreError> {
        let (Some(dir), Some(vault)) = (&self.inner.options.data_dir, &self.inner.options.vault)
        else {
            return Ok(None);
        };
        let Some(account) = AccountFile::in_dir(dir).load() else {
            return Ok(None);
        };
        let key = account.key();
        let refresh_token = match vault.0.load(&key) {
            Ok(Some(token)) => token,
            Ok(None) => return Ok(None),
            Err(err) => return Err(CoreError::Keyring(err.to_string())),
        };
        let discovery = ApiClient::new(&account.server)?
            .with_timeout(self.inner.options.connection.request_timeout);
        // The whole start waits this long at most for the server (see `start_patience`).
        let deadline = Instant::now() + self.inner.options.connection.start_patience;
        let (config, source) = self.discover(&discovery, Some(deadline)).await?;
        let auths = endpoints(&discovery, &config, |r| &r.auth)?;
        let shared = &self.inner.shared;
        let refreshed = timeout_at(deadline, refresh_at(&auths, &refresh_token))
            .await
            .unwrap_or_else(|_| Err(RefreshFailure::Retry(NO_ANSWER_AT_START.into())));
        if let Err(RefreshFailure::Permanent(reason)) = &refreshed {
            // The server ended this sign-in (revoked, expired): the stored token is useless.
            if let Err(err) = vault.0.delete(&key) {
                tracing::warn!(%err, "could not remove a rejected sign-in from the keyring");
            }
            return Err(CoreError::SignInAgain(reason.clone()));
        }
        // Until the sign-in service answers there is no access token: the keeper fetches one.
        let (tokens, publisher) = match &refreshed {
            Ok(answer) => TokenSource::new(answer.access_token.clone()),
            Err(_) => TokenSource::pending(),
        };
        let backend = self.v1_backend(&discovery, &config, tokens)?;
        let mut start = Start {
            discovery,
            config,
            source,
            auths,
            username: account.username.clone(),
            user: Profile {
                user_id: account.user_id.clone(),
                display_name: account.display_name.clone(),
            },
            refresh_token,
            publisher,
            expires_at_ms: 0,
            backend,
            view: Err(CoreError::NotSignedIn),
        };
        let mut signed_in = false;
        match refreshed {
            Ok(answer) => {
                shared.set_service(Service::Auth.id(), ServiceState::Up, None);
                start.user = Profile {
                    user_id: answer.user.user_id,
                    display_name: answer.user.display_name,
                };
                start.refresh_token = answer.refresh_token;
                start.expires_at_ms = answer.access_expires_at_ms;
                signed_in = true;
            }
            Err(RefreshFailure::Permanent(reason)) => return Err(CoreError::SignInAgain(reason)),
            Err(RefreshFailure::Retry(reason)) => {
                tracing::warn!(%reason, "the sign-in service is down; starting from the local cache");
                shared.set_service(Service::Auth.id(), ServiceState::Down, Some(reason.clone()));
                start.view = Err(CoreError::Unreachable {
                    server: start.discovery.server().to_owned(),
                    reason,
                });
            }
        }
        if signed_in {
            let view = by_deadline(
                deadline,
                start.discovery.server(),
                start.backend.first_view(),
            )
            .await;
            start.view = match view {
                Err(err) if !err.retryable() => return Err(err),
                view => view,
            };
        }
        self.start(start).map(Some)
    }

    /// The account that would be restored (or whose form to fill): no secret in it.
    pub fn remembered_account(&self) -> Option<RememberedAccount> {
        AccountFile::in_dir(self.inner.options.data_dir.as_deref()?).load()
    }

    /// Sign out: the server forgets the refresh token (when it can be reached), the keyring entry
    /// is removed and the session ends. The local cache stays for the next sign-in to this
    /// account. An error means the session ended but the keyring kept the token.
    pub async fn sign_out(&self) -> Result<(), CoreError> {
        let session = self.session().ok();
        let mut outcome = Ok(());
        if let Some(sign_in) = session.as_ref().and_then(|s| s.sign_in.as_ref()) {
            let token = sign_in
                .refresh_token
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            // Best effort and brief: signing out must work during an auth outage too.
            for auth in &sign_in.auths {
                match tokio::time::timeout(SIGN_OUT_WAIT, auth.logout(&token)).await {
                    Ok(Ok(())) => break,
                    Ok(Err(err)) => tracing::warn!(%err, "the server could not end the session"),
                    Err(_) => tracing::warn!("the server did not answer the sign-out in time"),
                }
            }
            if let Some(vault) = &self.inner.options.vault {
                if let Err(err) = vault.0.delete(&sign_in.account) {
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

    /// Sign in at the first auth endpoint that answers.
    async fn sign_in_at(
        &self,
        auths: &[ApiClient],
        username: &str,
        password: &str,
    ) -> Result<LoginResponse, CoreError> {
        let shared = &self.inner.shared;
        let mut last_error = None;
        for auth in auths {
            match auth.login(username, password).await {
                Ok(answer) => {
                    shared.set_service(Service::Auth.id(), ServiceState::Up, None);
                    return Ok(answer);
                }
                Err(err) if err.retryable() => {
                    shared.set_service(
                        Service::Auth.id(),
                        ServiceState::Down,
                        Some(err.to_string()),
                    );
                    last_error = Some(err);
                }
                Err(err) => return Err(err),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            CoreError::Protocol("the server's configuration lists no login service".into())
        }))
    }

    /// The account's protocol v1 backend on the server `config` describes.
    fn v1_backend(
        &self,
        discovery: &ApiClient,
        config: &DiscoveryConfig,
        tokens: TokenSource,
    ) -> Result<Arc<V1Backend>, CoreError> {
        Ok(Arc::new(V1Backend::new(
            discovery,
            config.clone(),
            self.inner.options.connection.clone(),
            tokens,
            self.inner.shared.clone(),
        )?))
    }

    /// Start a protocol v1 session: the session on its backend, then what only v1 has (the
    /// token keeper, the kept sign-in, the media and discovery monitors).
    fn start(&self, start: Start) -> Result<SessionInfo, CoreError> {
        let shared = &self.inner.shared;
        let Start {
            discovery,
            config,
            source,
            auths,
            username,
            user,
            refresh_token,
            publisher,
            expires_at_ms,
            backend,
            view,
        } = start;
        let server = discovery.server().to_owned();
        let mut begun = self.begin(&server, &user, backend.clone() as Arc<dyn Backend>, view)?;
        let account = AccountKey {
            server: server.clone(),
            user_id: user.user_id.clone(),
        };
        let not_kept = self.remember(&account, &username, &user, &refresh_token);
        let refresh_token = Arc::new(Mutex::new(refresh_token));
        begun.tasks.push(tokio::spawn(
            Keeper {
                auth: auths.clone(),
                refresh_token: refresh_token.clone(),
                expires_at_ms,
                vault: self
                    .inner
                    .options
                    .vault
                    .clone()
                    .filter(|_| not_kept.is_none())
                    .map(|v| (v, account.clone())),
                publisher,
                shared: shared.clone(),
                retry: self
                    .inner
                    .options
                    .connection
                    .auth_retry
                    .clone()
                    .unwrap_or_else(|| {
                        crate::RetryPolicy::outlast(
                            crate::token_keeper::RETRY_BASE,
                            crate::token_keeper::RETRY_CAP,
                        )
                    }),
            }
            .run(),
        ));
        if let Some(media) = backend.media_endpoints().first().cloned() {
            begun.tasks.push(tokio::spawn(service_monitor::watch(
                Watched {
                    service: Service::Media,
                    endpoint: media,
                    recheck_when_up: Some(MEDIA_RECHECK),
                    meanwhile: Some("photos and files wait; text messages still work"),
                },
                shared.clone(),
            )));
        }
        if shared.services().of(Service::Discovery.id()).state == ServiceState::Down {
            begun
                .tasks
                .push(tokio::spawn(self.clone().rediscover(discovery.clone())));
        }
        self.install(
            begun,
            Some(SignIn {
                endpoints: ServerEndpoints::new(&server, &config, source),
                auths,
                account,
                refresh_token,
                not_kept,
            }),
        )
    }

    /// Keep the sign-in for the next start: the token in the vault, the account (no secret) in
    /// the profile folder. Returns why it could not be kept; the session works either way. A
    /// client with no vault (tools, the demo) keeps nothing and has nothing to report.
    fn remember(
        &self,
        account: &AccountKey,
        username: &str,
        user: &Profile,
        token: &RefreshToken,
    ) -> Option<String> {
        let options = &self.inner.options;
        let (Some(vault), Some(dir)) = (&options.vault, &options.data_dir) else {
            return None;
        };
        if let Err(err) = vault.0.save(account, token) {
            tracing::warn!(%err, "the sign-in is kept in memory only");
            return Some(err.to_string());
        }
        let record = RememberedAccount {
            server: account.server.clone(),
            username: username.to_owned(),
            user_id: user.user_id.clone(),
            display_name: user.display_name.clone(),
        };
        AccountFile::in_dir(dir)
            .save(&record)
            .err()
            .map(|err| format!("could not write the account file: {err}"))
    }

    /// The discovery document: fresh if the service answers (by `deadline`, if given; it is
    /// then cached), else the last cached one, else the built-in defaults.
    async fn discover(
        &self,
        discovery: &ApiClient,
        deadline: Option<Instant>,
    ) -> Result<(DiscoveryConfig, EndpointSource), CoreError> {
        let shared = &self.inner.shared;
        // The services this sign-in reports on are protocol v1's.
        shared.declare_services(crate::model::ServiceHealth::protocol_v1().0);
        let cache = self
            .inner
            .options
            .data_dir
            .as_deref()
            .map(DiscoveryCache::in_dir);
        let live = match deadline {
            Some(at) => by_deadline(at, discovery.server(), discovery.discover()).await,
            None => discovery.discover().await,
        };
        match live {
            Ok(config) => {
                shared.set_service(Service::Discovery.id(), ServiceState::Up, None);
                if let Some(cache) = &cache {
                    if let Err(err) = cache.save(discovery.server(), &config) {
                        tracing::warn!(%err, "could not cache the endpoint list");
                    }
                }
                Ok((config, EndpointSource::Fresh))
            }
            Err(err) if err.retryable() => {
                let cached = cache.as_ref().and_then(|c| c.load(discovery.server()));
                let (config, origin, source) = match (cached, &self.inner.options.builtin_endpoints)
                {
                    (Some(cached), _) => (
                        cached.config,
                        EndpointSource::Cached {
                            saved_at_ms: cached.saved_at_ms,
                        },
                        "the last known endpoint list",
                    ),
                    (None, Some(builtin)) => (
                        builtin.clone(),
                        EndpointSource::BuiltIn,
                        "the built-in endpoint list",
                    ),
                    (None, None) => return Err(err),
                };
                tracing::warn!(%err, source, "discovery is down; using {source}");
                shared.set_service(
                    Service::Discovery.id(),
                    ServiceState::Down,
                    Some(format!("{err}; using {source}")),
                );
                Ok((config, origin))
            }
            Err(err) => Err(err),
        }
    }

    /// While discovery is down, keep checking; when it answers, refresh the cache.
    async fn rediscover(self, discovery: ApiClient) {
        let watched = Watched {
            service: Service::Discovery,
            endpoint: discovery.clone(),
            recheck_when_up: None,
            meanwhile: Some("using the last known endpoint list"),
        };
        service_monitor::watch(watched, self.inner.shared.clone()).await;
        if let Some(cache) = self
            .inner
            .options
            .data_dir
            .as_deref()
            .map(DiscoveryCache::in_dir)
        {
            if let Ok(config) = discovery.discover().await {
                if let Err(err) = cache.save(discovery.server(), &config) {
                    tracing::warn!(%err, "could not cache the endpoint list");
                }
            }
        }
    }
}

/// A protocol v1 sign-in: what refreshes, keeps and ends it.
pub(super) struct SignIn {
    /// Sign-in services, preferred first (refresh and sign-out).
    pub auths: Vec<ApiClient>,
    pub account: AccountKey,
    /// The current refresh token (the keeper replaces it when the server rotates it).
    pub refresh_token: Arc<Mutex<RefreshToken>>,
    /// Why the sign-in is not kept for the next start though this client keeps sign-ins.
    pub not_kept: Option<String>,
    /// Every endpoint this session may use, for Settings.
    pub endpoints: ServerEndpoints,
}

/// How a session starts.
struct Start {
    discovery: ApiClient,
    config: DiscoveryConfig,
    /// Where `config` came from (shown in Settings).
    source: EndpointSource,
    auths: Vec<ApiClient>,
    username: String,
    user: Profile,
    refresh_token: RefreshToken,
    /// Where the token keeper publishes access tokens (none yet while the sign-in service is
    /// down) and when the current one expires (0: none).
    publisher: TokenPublisher,
    expires_at_ms: u64,
    backend: Arc<V1Backend>,
    /// What the server said, or why it could not be asked (then: the cache).
    view: Result<FirstView, CoreError>,
}

/// Why a start went on without the server: it took calls and did not answer in time.
const NO_ANSWER_AT_START: &str = "no answer within the start's patience";

/// `request`'s answer if it comes by `deadline`; after that the server counts as unreachable.
async fn by_deadline<T>(
    deadline: Instant,
    server: &str,
    request: impl std::future::Future<Output = Result<T, CoreError>>,
) -> Result<T, CoreError> {
    timeout_at(deadline, request).await.unwrap_or_else(|_| {
        Err(CoreError::Unreachable {
            server: server.to_owned(),
            reason: NO_ANSWER_AT_START.into(),
        })
    })
}
