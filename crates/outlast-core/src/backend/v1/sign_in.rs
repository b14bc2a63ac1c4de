//! Signing in to a protocol v1 server: discovery (or its cache, or the built-in list), the auth
//! service (password, or a kept refresh token), then the account's [`V1Backend`] with what keeps
//! it signed in (the token keeper) and the monitors of the services a session does not call all
//! the time (media; discovery while it is down).

use std::path::PathBuf;
use std::sync::Arc;

use outlast_protocol::{DiscoveryConfig, LoginResponse};
use tokio::sync::watch;
use tokio::time::{Duration, Instant};

use super::discovery_cache::DiscoveryCache;
use super::endpoint_list::server_endpoints;
use super::service_monitor::{self, Watched};
use super::token_keeper::{refresh_at, secret_of, Keeper, RefreshFailure, RETRY_BASE, RETRY_CAP};
use super::{endpoints, V1Backend, V1SignIn};
use crate::api::ApiClient;
use crate::backend::{by_deadline, BoxFuture, Server, SignedIn, Task, NO_ANSWER_AT_START};
use crate::connection::{ConnectionSettings, ConnectionSink, TokenPublisher, TokenSource};
use crate::credentials::SignInSecret;
use crate::endpoint_list::EndpointSource;
use crate::model::{NamedService, Profile, Service, ServiceState};
use crate::remembered_account::RememberedAccount;
use crate::{CoreError, RetryPolicy};

/// How often an up media service is re-checked.
const MEDIA_RECHECK: Duration = Duration::from_secs(60);

/// How a protocol v1 sign-in is set up.
#[derive(Debug, Clone, Default)]
pub(crate) struct V1Options {
    pub connection: ConnectionSettings,
    /// Where the last good discovery document is cached (the profile folder); `None`: nowhere.
    pub cache_dir: Option<PathBuf>,
    /// Endpoints to use when discovery is down and nothing is cached.
    pub builtin_endpoints: Option<DiscoveryConfig>,
}

/// A protocol v1 server, found through its discovery service at the address the user typed.
pub(crate) struct V1Server {
    discovery: ApiClient,
    options: V1Options,
}

/// What the auth service said, and what the session needs of it.
struct Granted {
    user: Profile,
    secret: SignInSecret,
    tokens: TokenSource,
    publisher: TokenPublisher,
    /// When the access token expires (0: there is none yet).
    expires_at_ms: u64,
}

impl Granted {
    fn from_answer(answer: LoginResponse) -> Granted {
        let secret = secret_of(&answer);
        let (tokens, publisher) = TokenSource::new(answer.access_token);
        Granted {
            user: Profile {
                user_id: answer.user.user_id,
                display_name: answer.user.display_name,
            },
            secret,
            tokens,
            publisher,
            expires_at_ms: answer.access_expires_at_ms,
        }
    }
}

impl V1Server {
    pub fn new(address: &str, options: V1Options) -> Result<V1Server, CoreError> {
        Ok(V1Server {
            discovery: ApiClient::new(address)?.with_timeout(options.connection.request_timeout),
            options,
        })
    }

    /// The discovery document: fresh if the service answers (by `deadline`, if given; it is
    /// then cached), else the last cached one, else the built-in defaults.
    async fn discover(
        &self,
        sink: &Arc<dyn ConnectionSink>,
        deadline: Option<Instant>,
    ) -> Result<(DiscoveryConfig, EndpointSource), CoreError> {
        let cache = self.cache();
        let server = self.discovery.server();
        let live = match deadline {
            Some(at) => by_deadline(at, server, self.discovery.discover()).await,
            None => self.discovery.discover().await,
        };
        match live {
            Ok(config) => {
                sink.service(Service::Discovery.id(), ServiceState::Up, None);
                if let Some(cache) = &cache {
                    if let Err(err) = cache.save(server, &config) {
                        tracing::warn!(%err, "could not cache the endpoint list");
                    }
                }
                Ok((config, EndpointSource::Fresh))
            }
            Err(err) if err.retryable() => {
                let cached = cache.as_ref().and_then(|c| c.load(server));
                let (config, origin, source) = match (cached, &self.options.builtin_endpoints) {
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
                sink.service(
                    Service::Discovery.id(),
                    ServiceState::Down,
                    Some(format!("{err}; using {source}")),
                );
                Ok((config, origin))
            }
            Err(err) => Err(err),
        }
    }

    fn cache(&self) -> Option<DiscoveryCache> {
        self.options
            .cache_dir
            .as_deref()
            .map(DiscoveryCache::in_dir)
    }

    /// The account's backend and the work that keeps it signed in and watched.
    fn signed_in(
        &self,
        config: DiscoveryConfig,
        source: EndpointSource,
        auths: Vec<ApiClient>,
        granted: Granted,
        offline: Option<String>,
        sink: Arc<dyn ConnectionSink>,
    ) -> Result<SignedIn, CoreError> {
        let Granted {
            user,
            secret,
            tokens,
            publisher,
            expires_at_ms,
        } = granted;
        let refresh_token = Arc::new(watch::Sender::new(secret));
        let backend = V1Backend::new(
            &self.discovery,
            config.clone(),
            self.options.connection.clone(),
            tokens,
            sink.clone(),
        )?
        .with_sign_in(V1SignIn {
            auths: auths.clone(),
            refresh_token: refresh_token.clone(),
            endpoints: server_endpoints(self.discovery.server(), &config, source),
        });
        let mut work: Vec<Task> = Vec::new();
        work.push(Box::pin(
            Keeper {
                auth: auths,
                refresh_token,
                expires_at_ms,
                publisher,
                sink: sink.clone(),
                retry: self
                    .options
                    .connection
                    .auth_retry
                    .clone()
                    .unwrap_or_else(|| RetryPolicy::outlast(RETRY_BASE, RETRY_CAP)),
            }
            .run(),
        ));
        if let Some(media) = backend.media_endpoints().first().cloned() {
            work.push(Box::pin(service_monitor::watch(
                Watched {
                    service: Service::Media,
                    endpoint: media,
                    recheck_when_up: Some(MEDIA_RECHECK),
                    meanwhile: Some("photos and files wait; text messages still work"),
                },
                sink.clone(),
            )));
        }
        if source != EndpointSource::Fresh {
            work.push(Box::pin(rediscover(
                self.discovery.clone(),
                self.cache(),
                sink,
            )));
        }
        Ok(SignedIn {
            user,
            backend: Arc::new(backend),
            offline,
            work,
        })
    }
}

impl Server for V1Server {
    fn address(&self) -> &str {
        self.discovery.server()
    }

    fn protocol(&self) -> &'static str {
        super::PROTOCOL
    }

    fn services(&self) -> Vec<NamedService> {
        Service::ALL.map(Service::named).to_vec()
    }

    fn sign_in<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
        sink: Arc<dyn ConnectionSink>,
    ) -> BoxFuture<'a, Result<SignedIn, CoreError>> {
        Box::pin(async move {
            let (config, source) = self.discover(&sink, None).await?;
            let auths = endpoints(&self.discovery, &config, |r| &r.auth)?;
            let login = sign_in_at(&auths, username, password, &sink).await?;
            self.signed_in(
                config,
                source,
                auths,
                Granted::from_answer(login),
                None,
                sink,
            )
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
            let (config, source) = self.discover(&sink, Some(deadline)).await?;
            let auths = endpoints(&self.discovery, &config, |r| &r.auth)?;
            let refreshed = tokio::time::timeout_at(deadline, refresh_at(&auths, &secret))
                .await
                .unwrap_or_else(|_| Err(RefreshFailure::Retry(NO_ANSWER_AT_START.into())));
            let (granted, offline) = match refreshed {
                Ok(answer) => {
                    sink.service(Service::Auth.id(), ServiceState::Up, None);
                    (Granted::from_answer(answer), None)
                }
                // The server ended this sign-in (revoked, expired): the kept token is useless.
                Err(RefreshFailure::Permanent(reason)) => {
                    return Err(CoreError::SignInAgain(reason))
                }
                Err(RefreshFailure::Retry(reason)) => {
                    tracing::warn!(%reason, "the sign-in service is down; starting from the local cache");
                    sink.service(Service::Auth.id(), ServiceState::Down, Some(reason.clone()));
                    // Until the sign-in service answers there is no access token: the keeper
                    // fetches one.
                    let (tokens, publisher) = TokenSource::pending();
                    let granted = Granted {
                        user: Profile {
                            user_id: account.user_id.clone(),
                            display_name: account.display_name.clone(),
                        },
                        secret,
                        tokens,
                        publisher,
                        expires_at_ms: 0,
                    };
                    (granted, Some(reason))
                }
            };
            self.signed_in(config, source, auths, granted, offline, sink)
        })
    }
}

/// Sign in at the first auth endpoint that answers.
async fn sign_in_at(
    auths: &[ApiClient],
    username: &str,
    password: &str,
    sink: &Arc<dyn ConnectionSink>,
) -> Result<LoginResponse, CoreError> {
    let mut last_error = None;
    for auth in auths {
        match auth.login(username, password).await {
            Ok(answer) => {
                sink.service(Service::Auth.id(), ServiceState::Up, None);
                return Ok(answer);
            }
            Err(err) if err.retryable() => {
                sink.service(
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

/// While discovery is down, keep checking; when it answers, refresh the cache.
async fn rediscover(
    discovery: ApiClient,
    cache: Option<DiscoveryCache>,
    sink: Arc<dyn ConnectionSink>,
) {
    let watched = Watched {
        service: Service::Discovery,
        endpoint: discovery.clone(),
        recheck_when_up: None,
        meanwhile: Some("using the last known endpoint list"),
    };
    service_monitor::watch(watched, sink).await;
    if let Some(cache) = cache {
        if let Ok(config) = discovery.discover().await {
            if let Err(err) = cache.save(discovery.server(), &config) {
                tracing::warn!(%err, "could not cache the endpoint list");
            }
        }
    }
}
