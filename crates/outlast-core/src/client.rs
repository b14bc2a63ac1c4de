//! `Client`: the one door into the core. Cheap to clone; every front end (the Tauri shell, the
//! tests, a future command-line client) drives the engine through it and renders from its events.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use outlast_protocol::{
    validate_body, AccessToken, ChatsResponse, DiscoveryConfig, LoginResponse, MessagesPage,
    RefreshToken, MAX_PAGE_SIZE, MAX_UPLOAD_BYTES,
};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio::time::{timeout_at, Duration, Instant};

use crate::api::ApiClient;
use crate::clock::now_ms;
use crate::connection::{ConnectionSettings, SupervisorHandle, TokenSource};
use crate::credentials::{AccountKey, Vault};
use crate::discovery_cache::DiscoveryCache;
use crate::endpoint_list::{EndpointSource, ServerEndpoints};
use crate::model::{
    ChatMessage, ChatSummary, ConnectionState, CoreEvent, MemberRead, MessageAttachment, OlderPage,
    Person, Profile, Service, ServiceHealth, ServiceState, SessionInfo, TransferFile,
};
use crate::ops::{OpError, OpQueue, Operation};
use crate::read_marks::ReadSender;
use crate::remembered_account::{AccountFile, RememberedAccount};
use crate::service_monitor::{self, Watched};
use crate::shared::Shared;
use crate::store::{
    ChatRow, Opened, OutboxEntry, OutboxFile, ReadMark, ReadMarkOf, SearchHit, Store,
};
use crate::timeline::{LocalFlag, Timeline};
use crate::token_keeper::{refresh_at, Keeper, RefreshFailure};
use crate::transfer_progress::ProgressMeter;
use crate::uploads::Uploader;
use crate::CoreError;

/// How many recent messages opening a chat fetches.
const HISTORY_PAGE: usize = 50;

/// How many older messages one scroll back brings.
const OLDER_PAGE: usize = 100;

/// Longest chat name accepted.
const MAX_TITLE_CHARS: usize = 100;

/// Most files one message carries.
const MAX_FILES_PER_MESSAGE: usize = 10;

/// Where files written with messages wait for upload, in the account's folder.
const OUTBOX_FILES: &str = "outbox-files";

/// Most pages one request to fill a gap fetches (a bigger gap stays, smaller, for the next).
const MAX_FILL_PAGES: usize = 10;

/// Longest accepted server address, username or password: a runaway paste gets a clear error.
const MAX_FIELD_CHARS: usize = 512;

/// Longest accepted chat id; ids come from the server and the UI passes them back.
const MAX_CHAT_ID_LEN: usize = 128;

/// Longest accepted search, and how many hits it returns.
const MAX_QUERY_CHARS: usize = 200;
const SEARCH_LIMIT: usize = 50;

/// How long sign-out waits for the server to forget the token.
const SIGN_OUT_WAIT: Duration = Duration::from_secs(3);

/// How often an up media service is re-checked.
const MEDIA_RECHECK: Duration = Duration::from_secs(60);

/// How a client is set up.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    pub connection: ConnectionSettings,
    /// Where per-profile files live (the endpoint cache). `None`: nothing is written to disk.
    pub data_dir: Option<PathBuf>,
    /// Endpoints to use when discovery is down and nothing is cached.
    pub builtin_endpoints: Option<DiscoveryConfig>,
    /// Where the refresh token is kept between runs (the OS keyring in the app). `None`: the
    /// sign-in lasts as long as the process.
    pub vault: Option<Vault>,
}

#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    options: ClientOptions,
    session: RwLock<Option<Arc<Session>>>,
    /// Drafts of a client without a local cache (with one, they live in the database).
    drafts: Mutex<std::collections::HashMap<String, String>>,
}

/// A signed-in account: where it talks to and with what credentials.
struct Session {
    /// The address the user signed in with (the discovery service).
    server: String,
    api: ApiClient,
    /// Sign-in services, preferred first (refresh and sign-out).
    auths: Vec<ApiClient>,
    account: AccountKey,
    /// The current refresh token (the keeper replaces it when the server rotates it).
    refresh_token: Arc<Mutex<RefreshToken>>,
    /// Why the sign-in is not kept for the next start though this client keeps sign-ins.
    not_kept: Option<String>,
    from_cache: bool,
    tokens: TokenSource,
    user: Profile,
    supervisor: SupervisorHandle,
    /// The token keeper and service monitors; stopped with the session.
    tasks: Vec<JoinHandle<()>>,
    /// The media service's endpoints, preferred first (downloads).
    media: Vec<ApiClient>,
    /// Every endpoint this session may use, for Settings.
    endpoints: ServerEndpoints,
}

impl Drop for Session {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::with_options(ClientOptions::default())
    }
}

impl Client {
    pub fn new(settings: ConnectionSettings) -> Self {
        Client::with_options(ClientOptions {
            connection: settings,
            ..ClientOptions::default()
        })
    }

    pub fn with_options(options: ClientOptions) -> Self {
        Client {
            inner: Arc::new(Inner {
                shared: Arc::new(Shared::new()),
                options,
                session: RwLock::new(None),
                drafts: Mutex::new(std::collections::HashMap::new()),
            }),
        }
    }

    /// Every change from now on. Subscribe before reading the initial state so nothing falls in
    /// between.
    ///
    /// A reader that falls more than the buffer behind (a flush of thousands while it is busy)
    /// gets `RecvError::Lagged` instead of the changes it missed: that is the signal to resync
    /// from a snapshot (`chats`, `open_chat`, `unsent`, `own_message`, `connection_state`,
    /// `services`) and carry on. Nothing is lost by it: the snapshot is the current state.
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.inner.shared.subscribe()
    }

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
        let view = self
            .server_view(&discovery, &config, &login.access_token)
            .await?;
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
            access: Some((login.access_token, login.access_expires_at_ms)),
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
            access: None,
            view: Err(CoreError::NotSignedIn),
        };
        let refreshed = timeout_at(deadline, refresh_at(&start.auths, &start.refresh_token))
            .await
            .unwrap_or_else(|_| Err(RefreshFailure::Retry(NO_ANSWER_AT_START.into())));
        match refreshed {
            Ok(answer) => {
                shared.set_service(Service::Auth, ServiceState::Up, None);
                start.user = Profile {
                    user_id: answer.user.user_id,
                    display_name: answer.user.display_name,
                };
                start.refresh_token = answer.refresh_token;
                start.access = Some((answer.access_token, answer.access_expires_at_ms));
            }
            Err(RefreshFailure::Permanent(reason)) => {
                // The server ended this sign-in (revoked, expired): the stored token is useless.
                if let Err(err) = vault.0.delete(&key) {
                    tracing::warn!(%err, "could not remove a rejected sign-in from the keyring");
                }
                return Err(CoreError::SignInAgain(reason));
            }
            Err(RefreshFailure::Retry(reason)) => {
                tracing::warn!(%reason, "the sign-in service is down; starting from the local cache");
                shared.set_service(Service::Auth, ServiceState::Down, Some(reason.clone()));
                start.view = Err(CoreError::Unreachable {
                    server: start.discovery.server().to_owned(),
                    reason,
                });
            }
        }
        if let Some((token, _)) = &start.access {
            let view = by_deadline(
                deadline,
                start.discovery.server(),
                self.server_view(&start.discovery, &start.config, token),
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
        if let Some(session) = &session {
            let token = session
                .refresh_token
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            // Best effort and brief: signing out must work during an auth outage too.
            for auth in &session.auths {
                match tokio::time::timeout(SIGN_OUT_WAIT, auth.logout(&token)).await {
                    Ok(Ok(())) => break,
                    Ok(Err(err)) => tracing::warn!(%err, "the server could not end the session"),
                    Err(_) => tracing::warn!("the server did not answer the sign-out in time"),
                }
            }
            if let Some(vault) = &self.inner.options.vault {
                if let Err(err) = vault.0.delete(&session.account) {
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
                    shared.set_service(Service::Auth, ServiceState::Up, None);
                    return Ok(answer);
                }
                Err(err) if err.retryable() => {
                    shared.set_service(Service::Auth, ServiceState::Down, Some(err.to_string()));
                    last_error = Some(err);
                }
                Err(err) => return Err(err),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            CoreError::Protocol("the server's configuration lists no login service".into())
        }))
    }

    /// The head of the event sequence, then the chats, from the first API that answers: anything
    /// that happens in between is caught up, never lost.
    async fn server_view(
        &self,
        discovery: &ApiClient,
        config: &DiscoveryConfig,
        token: &AccessToken,
    ) -> Result<ServerView, CoreError> {
        let mut last_error = None;
        for api in endpoints(discovery, config, |r| &r.api)? {
            let head = api
                .events(token, 0, 1, Duration::ZERO)
                .await
                .map(|page| page.last_seq);
            match head {
                Ok(head) => match api.chats(token).await {
                    Ok(chats) => {
                        self.inner
                            .shared
                            .set_service(Service::Api, ServiceState::Up, None);
                        return Ok(ServerView { api, head, chats });
                    }
                    Err(err) if err.retryable() => last_error = Some(err),
                    Err(err) => return Err(err),
                },
                Err(err) if err.retryable() => last_error = Some(err),
                Err(err) => return Err(err),
            }
        }
        let err = last_error.unwrap_or_else(|| {
            CoreError::Protocol("the server's configuration lists no API".into())
        });
        self.inner
            .shared
            .set_service(Service::Api, ServiceState::Down, Some(err.to_string()));
        Err(err)
    }

    /// Start a session: from the server's view when it answered, else from the local cache.
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
            access,
            view,
        } = start;
        let mut store = match &self.inner.options.data_dir {
            Some(dir) => Some(open_account_store(dir, discovery.server(), &user)?),
            None => None,
        };
        let from_cache = view.is_err();
        let (timeline, api) = match view {
            Ok(ServerView { api, head, chats }) => {
                let mut timeline = Timeline::new(user.clone(), chats.chats.clone());
                let mut cursor = head;
                if let Some(store) = store.as_mut() {
                    let rows: Vec<ChatRow> = chats
                        .chats
                        .iter()
                        .map(|c| ChatRow {
                            chat_id: c.chat_id.clone(),
                            title: c.title.clone(),
                            member_names: c
                                .members
                                .iter()
                                .map(|m| m.display_name.clone())
                                .collect(),
                            member_ids: c.members.iter().map(|m| m.user_id.clone()).collect(),
                        })
                        .collect();
                    store.upsert_chats(&rows)?;
                    let marks: Vec<ReadMarkOf> = chats
                        .chats
                        .iter()
                        .flat_map(|c| {
                            c.read_marks.iter().map(|m| ReadMarkOf {
                                user_id: m.user_id.clone(),
                                mark: ReadMark {
                                    chat_id: c.chat_id.clone(),
                                    msg_id: m.msg_id.clone(),
                                    sent_at_ms: m.sent_at_ms,
                                },
                            })
                        })
                        .collect();
                    store.record_member_marks(&marks, &user.user_id)?;
                    timeline.set_local_flags(LocalFlag::Muted, &store.muted_chats()?);
                    timeline.set_local_flags(LocalFlag::Pinned, &store.pinned_chats()?);
                    // Catch up what was missed while away; a stored cursor beyond the head means
                    // the server's history was reset, and the head is the truth.
                    match store.saved_cursor()? {
                        Some(stored) if stored <= head => cursor = stored,
                        _ => store.set_cursor(head)?,
                    }
                }
                timeline.start_at(cursor);
                (timeline, api)
            }
            Err(err) => {
                let Some(store) = store.as_ref() else {
                    return Err(err);
                };
                let mut timeline = Timeline::from_cache(user.clone(), store.chat_list()?);
                timeline.set_members(store.member_marks()?);
                timeline.start_at(store.cursor()?);
                let api = endpoints(&discovery, &config, |r| &r.api)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        CoreError::Protocol("the server's configuration lists no API".into())
                    })?;
                (timeline, api)
            }
        };
        tracing::info!(
            server = discovery.server(),
            user_id = %user.user_id,
            from_cache,
            "session started"
        );
        // Messages written before a restart (or crash) and never acknowledged: shown (failed ones
        // with their reason) and sent again, in order, under their original client ids; a chat
        // with a failed message keeps its later ones back until the user decides.
        let shown = match store.as_ref() {
            Some(store) => store.unsent()?,
            None => Vec::new(),
        };
        let unsent_count = shown.len();
        if let Some(dir) = store.as_ref().and_then(|s| s.path().parent()) {
            let keep: HashSet<&str> = shown
                .iter()
                .map(|(e, _)| e.client_msg_id.as_str())
                .collect();
            crate::uploads::forget_sent_copies(&dir.join(OUTBOX_FILES), &keep);
        }

        self.end_session();
        shared.replace_timeline(Some(timeline));
        shared.replace_store(store);
        let queue = OpQueue::restore(shown.clone());
        for (entry, failure) in shown {
            shared.update(|t| {
                let files = entry.shown_files();
                let events = t.add_unsent(
                    &entry.chat_id,
                    entry.client_msg_id,
                    entry.body,
                    entry.created_at_ms,
                    failure,
                    files,
                );
                ((), events)
            });
        }
        let account = AccountKey {
            server: discovery.server().to_owned(),
            user_id: user.user_id.clone(),
        };
        let not_kept = self.remember(&account, &username, &user, &refresh_token);
        let (expires_at_ms, (tokens, publisher)) = match access {
            Some((token, expires_at_ms)) => (expires_at_ms, TokenSource::new(token)),
            None => (0, TokenSource::pending()),
        };
        let supervisor = SupervisorHandle::spawn(
            &config,
            tokens.clone(),
            self.inner.options.connection.clone(),
            shared.clone(),
        )?;
        if unsent_count > 0 {
            tracing::info!(
                messages = unsent_count,
                "sending messages left from an earlier run"
            );
        }
        // Messages left by an earlier run go first, in order, under their original keys.
        shared.outbox().start(queue, supervisor.submitter());
        let refresh_token = Arc::new(Mutex::new(refresh_token));
        let mut tasks = vec![tokio::spawn(
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
        )];
        tasks.push(tokio::spawn(shared.clone().keep_search_index()));
        if let Some(Ok(path)) = shared.with_store(|s| Ok(s.path().to_owned())) {
            tasks.push(tokio::spawn(check_store_later(path)));
        }
        // Read marks a previous run made and the server never confirmed go first.
        let unsent_marks = shared
            .with_store(|s| s.unsent_read_marks())
            .transpose()?
            .unwrap_or_default();
        shared.read_queue().reset(unsent_marks);
        tasks.push(tokio::spawn(
            ReadSender {
                shared: shared.clone(),
                api: api.clone(),
                tokens: tokens.clone(),
                retry: self
                    .inner
                    .options
                    .connection
                    .background_retry
                    .clone()
                    .unwrap_or_else(crate::read_marks::default_retry),
            }
            .run(),
        ));
        // Rows a previous run stored but did not index (it quit or crashed first).
        shared.index_soon();
        if let Some(media) = endpoints(&discovery, &config, |r| &r.media)?
            .into_iter()
            .next()
        {
            tasks.push(tokio::spawn(service_monitor::watch(
                Watched {
                    service: Service::Media,
                    endpoint: media,
                    recheck_when_up: Some(MEDIA_RECHECK),
                    meanwhile: Some("photos and files wait; text messages still work"),
                },
                shared.clone(),
            )));
        }
        if shared.services().discovery.state == ServiceState::Down {
            tasks.push(tokio::spawn(self.clone().rediscover(discovery.clone())));
        }
        let media = endpoints(&discovery, &config, |r| &r.media)?;
        tasks.push(tokio::spawn(
            Uploader {
                shared: shared.clone(),
                media: media.clone(),
                tokens: tokens.clone(),
                retry: self
                    .inner
                    .options
                    .connection
                    .background_retry
                    .clone()
                    .unwrap_or_else(crate::read_marks::default_retry),
            }
            .run(),
        ));
        let session = Arc::new(Session {
            endpoints: ServerEndpoints::new(discovery.server(), &config, source),
            server: discovery.server().to_owned(),
            api,
            auths,
            account,
            refresh_token,
            not_kept,
            from_cache,
            tokens,
            user,
            supervisor,
            tasks,
            media,
        });
        *self
            .inner
            .session
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(session);
        shared.uploads_wanted();
        self.session_info().ok_or(CoreError::NotSignedIn)
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
                shared.set_service(Service::Discovery, ServiceState::Up, None);
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
                    Service::Discovery,
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

    /// Stop the connection and forget the session.
    pub fn logout(&self) {
        if self.end_session() {
            self.inner.shared.reset_services();
        }
    }

    /// Stop the current session, if any; `true` if there was one. Service health is kept: a
    /// new sign-in has just measured it.
    fn end_session(&self) -> bool {
        let previous = self
            .inner
            .session
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if previous.is_some() {
            // Stopping the connection must not drop what it learned last.
            self.inner.shared.write_pending();
            self.inner.shared.outbox().stop();
            self.inner.shared.replace_timeline(None);
            self.inner.shared.replace_store(None);
            self.inner
                .drafts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
            self.inner.shared.set_connection(ConnectionState::SignedOut);
        }
        previous.is_some()
    }

    /// Who is signed in, or `None`.
    pub fn session_info(&self) -> Option<SessionInfo> {
        let session = self.session().ok()?;
        Some(SessionInfo {
            user: session.user.clone(),
            server: session.server.clone(),
            connection: self.connection_state(),
            services: self.services(),
            remembered: self.inner.options.vault.is_some() && session.not_kept.is_none(),
            not_remembered_because: session.not_kept.clone(),
            from_cache: session.from_cache,
        })
    }

    /// The signed-in server and every endpoint this session may use, as Settings shows them.
    pub fn server_endpoints(&self) -> Result<ServerEndpoints, CoreError> {
        Ok(self.session()?.endpoints.clone())
    }

    pub fn connection_state(&self) -> ConnectionState {
        self.inner.shared.connection()
    }

    /// What each backend service is doing, as last seen.
    pub fn services(&self) -> ServiceHealth {
        self.inner.shared.services()
    }

    /// The chat list, most recently active first.
    pub fn chats(&self) -> Result<Vec<ChatSummary>, CoreError> {
        self.session()?;
        self.inner
            .shared
            .read(Timeline::summaries)
            .ok_or(CoreError::NotSignedIn)
    }

    /// Mark `chat_id` as the one being looked at and return its messages, oldest first. Recent
    /// history is fetched the first time; if the server cannot be reached, what is known locally
    /// is returned instead of an error, because reading must keep working during an outage.
    pub async fn open_chat(&self, chat_id: &str) -> Result<Vec<ChatMessage>, CoreError> {
        let session = self.session()?;
        self.check_chat(chat_id)?;
        let needs_history = self
            .inner
            .shared
            .read(|t| t.needs_history(chat_id))
            .unwrap_or(false);
        if needs_history {
            let limit = HISTORY_PAGE.min(MAX_PAGE_SIZE);
            match session
                .api
                .history(&session.tokens.current(), chat_id, None, limit)
                .await
            {
                Ok(page) => {
                    let shared = &self.inner.shared;
                    shared.set_service(Service::Api, ServiceState::Up, None);
                    self.cache_history(chat_id, &page);
                    shared.update(|t| (t.load_history(chat_id, page.messages), Vec::new()));
                }
                Err(err) if err.retryable() => {
                    let detail = Some(err.to_string());
                    self.inner
                        .shared
                        .set_service(Service::Api, ServiceState::Down, detail);
                    tracing::warn!(%chat_id, %err, "history unavailable; showing what is known");
                    self.show_cached(chat_id);
                }
                Err(err) if err.is_expired_session() => {
                    // Reading must not depend on the auth service: show what is known and let
                    // the keeper renew the token.
                    session.tokens.request_refresh();
                    tracing::warn!(%chat_id, %err, "history needs a fresh token; showing what is known");
                    self.show_cached(chat_id);
                }
                Err(err) => return Err(err),
            }
        }
        let messages = self
            .inner
            .shared
            .update(|t| (t.messages(chat_id), t.open(chat_id)))
            .ok_or(CoreError::NotSignedIn)?;
        // Opening a chat is reading it.
        self.mark_read(chat_id)?;
        Ok(messages)
    }

    /// The user has seen everything in `chat_id` (the app calls this when the chat is on
    /// screen, and again as messages arrive there). The unread count clears here at once; the
    /// server hears "read up to the newest message" after a short pause, once per burst, and
    /// again after an outage if it could not be told.
    pub fn mark_read(&self, chat_id: &str) -> Result<ChatSummary, CoreError> {
        let session = self.session()?;
        self.check_chat(chat_id)?;
        let shared = &self.inner.shared;
        let newest = shared.read(|t| t.newest_stored(chat_id)).flatten();
        let mut unread = 0;
        if let Some(msg_id) = newest {
            // The newest message may still wait in the write-behind queue.
            shared.write_pending();
            match shared.with_store(|s| s.record_read(chat_id, &msg_id, &session.user.user_id)) {
                Some(Ok(Some(recorded))) => {
                    unread = recorded.unread;
                    if recorded.moved {
                        shared.read_queue().put(chat_id, &msg_id);
                    }
                }
                // Not cached (it came with the chat list): the server still takes it.
                Some(Ok(None)) | None => shared.read_queue().put_if_new(chat_id, &msg_id),
                Some(Err(err)) => return Err(err.into()),
            }
        }
        shared.update(|t| ((), t.set_unread(chat_id, unread)));
        self.chat(chat_id)
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))
    }

    /// Write a message: it is shown at once as pending and delivered when the gateway is up.
    pub fn send(&self, chat_id: &str, body: &str) -> Result<ChatMessage, CoreError> {
        let session = self.session()?;
        self.check_chat(chat_id)?;
        validate_body(body)?;
        self.write(
            &session,
            chat_id,
            body,
            uuid::Uuid::new_v4().to_string(),
            Vec::new(),
        )
    }

    /// Write a message with files. Each file is copied into the profile first (moving or
    /// deleting the original cannot lose it), uploaded to the media service, and then the
    /// message goes, in its place in the chat. While the media service is down the message
    /// waits, saying why, and holds the chat's later messages (order is strict); other chats
    /// keep flowing. An empty `body` becomes the file names.
    pub async fn send_files(
        &self,
        chat_id: &str,
        body: &str,
        paths: &[PathBuf],
    ) -> Result<ChatMessage, CoreError> {
        let session = self.session()?;
        self.check_chat(chat_id)?;
        if paths.is_empty() || paths.len() > MAX_FILES_PER_MESSAGE {
            return Err(CoreError::InvalidInput(format!(
                "a message carries 1 to {MAX_FILES_PER_MESSAGE} files"
            )));
        }
        let account_dir = self
            .inner
            .shared
            .with_store(|s| Ok(s.path().parent().map(Path::to_path_buf)))
            .transpose()?
            .flatten()
            .ok_or_else(no_cache)?;
        let client_msg_id = uuid::Uuid::new_v4().to_string();
        let folder = account_dir.join(OUTBOX_FILES).join(&client_msg_id);
        let sources = paths.to_vec();
        let copy_to = folder.clone();
        let files =
            tokio::task::spawn_blocking(move || crate::uploads::keep_copies(&sources, &copy_to))
                .await
                .map_err(|e| {
                    CoreError::InvalidInput(format!("copying the files stopped: {e}"))
                })??;
        let body = if body.trim().is_empty() {
            files
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            body.to_owned()
        };
        let written = validate_body(&body)
            .map_err(CoreError::from)
            .and_then(|()| self.write(&session, chat_id, &body, client_msg_id, files));
        if written.is_err() {
            let _ = std::fs::remove_dir_all(&folder);
        }
        let message = written?;
        self.inner.shared.uploads_wanted();
        Ok(message)
    }

    /// Keep a new message durably, show it, and submit it to the operation queue, which hands it
    /// to the connection unless something earlier in its chat (a failed message, files still
    /// uploading) or its own files hold it.
    fn write(
        &self,
        session: &Session,
        chat_id: &str,
        body: &str,
        client_msg_id: String,
        files: Vec<OutboxFile>,
    ) -> Result<ChatMessage, CoreError> {
        let created_at_ms = now_ms();
        let entry = OutboxEntry {
            client_msg_id: client_msg_id.clone(),
            chat_id: chat_id.to_owned(),
            body: body.to_owned(),
            created_at_ms,
            attempts: 0,
            files,
        };
        let shared = &self.inner.shared;
        // Durable first: once this returns, the message survives a crash or restart.
        let user = &session.user;
        if let Some(written) =
            shared.with_store(|s| s.enqueue(&entry, &user.user_id, &user.display_name))
        {
            written?;
        }
        let message = shared
            .update(|t| {
                t.add_pending(
                    chat_id,
                    client_msg_id.clone(),
                    body.to_owned(),
                    created_at_ms,
                    entry.shown_files(),
                )
                .map_or((None, Vec::new()), |(message, events)| {
                    (Some(message), events)
                })
            })
            .flatten()
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))?;
        let op = Operation::send_message(&entry);
        shared.outbox().apply(|q| ((), q.submit(op)));
        Ok(message)
    }

    /// Try a message that failed for good again (same client id, so never twice on the server);
    /// the chat's messages held behind it follow in order.
    pub fn retry(&self, client_msg_id: &str) -> Result<(), CoreError> {
        self.session()?;
        let shared = &self.inner.shared;
        self.queued(client_msg_id)?;
        shared
            .with_store(|s| s.retry(client_msg_id))
            .ok_or_else(no_cache)??;
        shared.update(|t| ((), t.mark_pending(client_msg_id)));
        shared.outbox().apply(|q| match q.retry(client_msg_id) {
            Ok(requests) => (Ok(()), requests),
            Err(err) => (Err(err), Vec::new()),
        })?;
        // Its files may still need uploading (a file refusal failed it).
        shared.uploads_wanted();
        Ok(())
    }

    /// Change the text of a message that failed for good and send it again (same client id: it
    /// can never arrive twice); the chat's held messages follow it in order.
    pub fn edit_and_retry(&self, client_msg_id: &str, body: &str) -> Result<(), CoreError> {
        self.session()?;
        validate_body(body)?;
        self.require_cache()?;
        let shared = &self.inner.shared;
        let refused = shared
            .outbox()
            .read(|q| q.get(client_msg_id).is_some_and(Operation::is_refused));
        if !refused {
            return Err(OpError::NotRefused.into());
        }
        shared
            .with_store(|s| s.edit_unsent(client_msg_id, body))
            .ok_or_else(no_cache)??;
        shared
            .outbox()
            .apply(|q| (q.edit(client_msg_id, body), Vec::new()))?;
        shared.update(|t| ((), t.edit_own(client_msg_id, body.to_owned())));
        self.retry(client_msg_id)
    }

    /// Retry every failed message, of one chat or of all.
    pub fn retry_all(&self, chat_id: Option<&str>) -> Result<usize, CoreError> {
        self.session()?;
        self.require_cache()?;
        let failed = self.inner.shared.outbox().read(|q| q.refused_ids(chat_id));
        for id in &failed {
            self.retry(id)?;
        }
        Ok(failed.len())
    }

    /// Delete a message that was never sent (failed, or waiting); the chat's held messages go
    /// once no failed one is left before them.
    pub fn delete_unsent(&self, client_msg_id: &str) -> Result<(), CoreError> {
        self.session()?;
        let shared = &self.inner.shared;
        self.queued(client_msg_id)?;
        let account_dir = shared
            .with_store(|s| {
                s.cancel(client_msg_id)
                    .map(|()| s.path().parent().map(Path::to_path_buf))
            })
            .ok_or_else(no_cache)??;
        if let Some(dir) = account_dir {
            // Its private file copies, if it had files.
            let _ = std::fs::remove_dir_all(dir.join(OUTBOX_FILES).join(client_msg_id));
        }
        shared.update(|t| ((), t.remove_own(client_msg_id)));
        shared.outbox().apply(|q| match q.cancel(client_msg_id) {
            Ok((_, requests)) => (Ok(()), requests),
            Err(err) => (Err(err), Vec::new()),
        })?;
        Ok(())
    }

    /// Every message written here and not yet stored by the server (waiting, or refused with its
    /// reason), in the order written. This is the snapshot an event reader resyncs from after it
    /// fell behind ([`Client::subscribe`]).
    pub fn unsent(&self) -> Result<Vec<ChatMessage>, CoreError> {
        let session = self.session()?;
        let user = &session.user;
        Ok(self.inner.shared.outbox().read(|q| {
            q.all()
                .into_iter()
                .map(|op| op.shown(&user.user_id, &user.display_name))
                .collect()
        }))
    }

    /// A message written here, as its chat shows it now (sent, waiting or refused), by its client
    /// id; `None` if this session does not show it (deleted, or scrolled out of memory).
    pub fn own_message(&self, client_msg_id: &str) -> Option<ChatMessage> {
        self.inner
            .shared
            .read(|t| t.own_message(client_msg_id))
            .flatten()
    }

    /// The queued operation `client_msg_id` (unsent messages are kept in the local cache, so a
    /// client without one has none to act on).
    fn queued(&self, client_msg_id: &str) -> Result<Operation, CoreError> {
        self.require_cache()?;
        self.inner
            .shared
            .outbox()
            .read(|q| q.get(client_msg_id).cloned())
            .ok_or_else(|| OpError::NotQueued.into())
    }

    fn require_cache(&self) -> Result<(), CoreError> {
        self.inner
            .shared
            .with_store(|_| Ok(()))
            .ok_or_else(no_cache)?
            .map_err(CoreError::from)
    }

    /// Save a file someone sent into `folder` (the user's downloads). The name is the sender's,
    /// made safe (no paths, no device names, no disguised extensions) and made unique there.
    /// Returns where it was saved.
    pub async fn save_attachment(
        &self,
        attachment: &MessageAttachment,
        folder: &Path,
    ) -> Result<PathBuf, CoreError> {
        let session = self.session()?;
        let media_id = attachment
            .media_id
            .as_deref()
            .ok_or_else(|| CoreError::InvalidInput("this file has not been uploaded yet".into()))?;
        let mut last = CoreError::Unreachable {
            server: "the media service".into(),
            reason: "this server lists no media service".into(),
        };
        let meter = ProgressMeter::start(
            self.inner.shared.clone(),
            TransferFile::Download {
                media_id: media_id.to_owned(),
            },
            attachment.size,
        );
        for media in &session.media {
            match media
                .download(
                    &session.tokens.current(),
                    media_id,
                    attachment.size.min(MAX_UPLOAD_BYTES as u64),
                    &meter,
                )
                .await
            {
                Ok(bytes) => {
                    self.inner
                        .shared
                        .set_service(Service::Media, ServiceState::Up, None);
                    let into = folder.to_path_buf();
                    let name = attachment.name.clone();
                    return tokio::task::spawn_blocking(move || {
                        std::fs::create_dir_all(&into)?;
                        let target = crate::file_names::download_path(&into, &name);
                        // `create_new`: never overwrite a file that appeared meanwhile.
                        let mut out = std::fs::OpenOptions::new()
                            .write(true)
                            .create_new(true)
                            .open(&target)?;
                        std::io::Write::write_all(&mut out, &bytes)?;
                        out.sync_all()?;
                        Ok::<_, std::io::Error>(target)
                    })
                    .await
                    .map_err(|e| CoreError::InvalidInput(format!("saving stopped: {e}")))?
                    .map_err(|e| {
                        CoreError::InvalidInput(format!(
                            "cannot save into {}: {e}",
                            folder.display()
                        ))
                    });
                }
                Err(err) if err.retryable() => {
                    self.inner.shared.set_service(
                        Service::Media,
                        ServiceState::Down,
                        Some(err.to_string()),
                    );
                    last = err;
                }
                Err(err) => return Err(err),
            }
        }
        Err(last)
    }

    /// People the user can start a chat with: the members of their chats.
    pub fn people(&self) -> Result<Vec<Person>, CoreError> {
        self.session()?;
        self.inner
            .shared
            .read(Timeline::people)
            .ok_or(CoreError::NotSignedIn)
    }

    /// Start a chat with `member_ids` (people from [`Client::people`]). It needs the server (the
    /// chat's id comes from it); during an outage this fails with a retryable error.
    pub async fn create_chat(
        &self,
        title: &str,
        member_ids: &[String],
    ) -> Result<ChatSummary, CoreError> {
        let session = self.session()?;
        let title = title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
            return Err(CoreError::InvalidInput(format!(
                "a chat's name is 1 to {MAX_TITLE_CHARS} characters"
            )));
        }
        if member_ids.is_empty() || member_ids.len() > outlast_protocol::MAX_CHAT_MEMBERS {
            return Err(CoreError::InvalidInput(format!(
                "a chat has 1 to {} other members",
                outlast_protocol::MAX_CHAT_MEMBERS
            )));
        }
        let info = session
            .api
            .create_chat(&session.tokens.current(), title, member_ids)
            .await?;
        let shared = &self.inner.shared;
        shared.set_service(Service::Api, ServiceState::Up, None);
        let row = ChatRow {
            chat_id: info.chat_id.clone(),
            title: info.title.clone(),
            member_names: info
                .members
                .iter()
                .map(|m| m.display_name.clone())
                .collect(),
            member_ids: info.members.iter().map(|m| m.user_id.clone()).collect(),
        };
        if let Some(Err(err)) = shared.with_store(|s| s.upsert_chats(&[row])) {
            tracing::error!(%err, "could not keep the new chat in the local cache");
        }
        let chat_id = info.chat_id.clone();
        shared.update(|t| ((), t.add_chat(info)));
        self.chat(&chat_id).ok_or(CoreError::UnknownChat(chat_id))
    }

    /// Keep what the user is typing in `chat_id` (empty: none), so it is there after switching
    /// chats or restarting. Local only; works offline. Without a local cache it lasts the run.
    pub fn save_draft(&self, chat_id: &str, body: &str) -> Result<(), CoreError> {
        self.session()?;
        self.check_chat(chat_id)?;
        if body.chars().count() > outlast_protocol::MAX_BODY_CHARS {
            return Err(CoreError::InvalidInput(format!(
                "a draft is at most {} characters",
                outlast_protocol::MAX_BODY_CHARS
            )));
        }
        let mut memory = self.inner.drafts.lock().unwrap_or_else(|e| e.into_inner());
        if body.trim().is_empty() {
            memory.remove(chat_id);
        } else {
            memory.insert(chat_id.to_owned(), body.to_owned());
        }
        drop(memory);
        if let Some(saved) = self
            .inner
            .shared
            .with_store(|s| s.save_draft(chat_id, body))
        {
            saved?;
        }
        Ok(())
    }

    /// Every chat's draft (chat id, text).
    pub fn drafts(&self) -> Result<Vec<(String, String)>, CoreError> {
        self.session()?;
        if let Some(stored) = self.inner.shared.with_store(|s| s.drafts()) {
            return Ok(stored?);
        }
        let memory = self.inner.drafts.lock().unwrap_or_else(|e| e.into_inner());
        let mut drafts: Vec<(String, String)> =
            memory.iter().map(|(c, b)| (c.clone(), b.clone())).collect();
        drafts.sort();
        Ok(drafts)
    }

    /// The chat's other members and how far each has read it, for per-message read counts
    /// (kept current by [`CoreEvent::ReadMarkMoved`]). Known from the cache during an outage.
    pub fn read_marks(&self, chat_id: &str) -> Result<Vec<MemberRead>, CoreError> {
        self.session()?;
        self.check_chat(chat_id)?;
        self.inner
            .shared
            .read(|t| t.reads(chat_id))
            .flatten()
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))
    }

    /// Silence a chat (no notifications) or not; kept across restarts.
    pub fn set_muted(&self, chat_id: &str, muted: bool) -> Result<ChatSummary, CoreError> {
        self.set_local_flag(chat_id, LocalFlag::Muted, muted)
    }

    /// Keep a chat at the top of the chat list or not; kept across restarts.
    pub fn set_pinned(&self, chat_id: &str, pinned: bool) -> Result<ChatSummary, CoreError> {
        self.set_local_flag(chat_id, LocalFlag::Pinned, pinned)
    }

    /// A choice kept on this computer only: written to the cache first, then shown.
    fn set_local_flag(
        &self,
        chat_id: &str,
        flag: LocalFlag,
        on: bool,
    ) -> Result<ChatSummary, CoreError> {
        self.session()?;
        self.check_chat(chat_id)?;
        if let Some(written) = self.inner.shared.with_store(|s| match flag {
            LocalFlag::Muted => s.set_muted(chat_id, on),
            LocalFlag::Pinned => s.set_pinned(chat_id, on),
        }) {
            written?;
        }
        self.inner
            .shared
            .update(|t| ((), t.set_local_flag(chat_id, flag, on)));
        self.chat(chat_id)
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))
    }

    /// One chat's summary, if this session knows it.
    pub fn chat(&self, chat_id: &str) -> Option<ChatSummary> {
        self.inner.shared.read(|t| t.summary_of(chat_id)).flatten()
    }

    /// Search the messages cached here (works offline), newest first. Every word must match,
    /// as a word or the start of one.
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>, CoreError> {
        self.search_in(query, None)
    }

    /// Like [`Client::search`], within one chat when `chat_id` is given.
    pub fn search_in(
        &self,
        query: &str,
        chat_id: Option<&str>,
    ) -> Result<Vec<SearchHit>, CoreError> {
        self.session()?;
        if let Some(chat_id) = chat_id {
            self.check_chat(chat_id)?;
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(CoreError::InvalidInput(format!(
                "a search is at most {MAX_QUERY_CHARS} characters"
            )));
        }
        // Include what arrived in the last few milliseconds, and index what waits for the search
        // index in small transactions first: the store is released between them, so a long
        // backlog (after a big catch-up) never holds up the connection's writes.
        let shared = &self.inner.shared;
        shared.write_pending();
        while let Some(indexed) = shared.with_store(|s| s.index_pending(crate::store::INDEX_CHUNK))
        {
            if indexed? < crate::store::INDEX_CHUNK {
                break;
            }
        }
        match self
            .inner
            .shared
            .with_store(|s| s.search_in(query, chat_id, SEARCH_LIMIT))
        {
            Some(hits) => Ok(hits?),
            None => Err(CoreError::InvalidInput(
                "search needs the local cache, and this client keeps none (no data folder)".into(),
            )),
        }
    }

    /// Keep a fetched page of history in the local cache (no cursor change: it is not the event
    /// stream), with what it says about gaps.
    fn cache_history(&self, chat_id: &str, page: &MessagesPage) {
        let shared = &self.inner.shared;
        let Some((me, names)) = shared.read(|t| {
            let names: Vec<String> = page
                .messages
                .iter()
                .map(|r| t.name_of(&r.sender_id))
                .collect();
            (t.me().user_id.clone(), names)
        }) else {
            return;
        };
        let records: Vec<(&outlast_protocol::MessageRecord, &str)> = page
            .messages
            .iter()
            .zip(&names)
            .map(|(r, name)| (r, name.as_str()))
            .collect();
        shared.write_pending();
        if let Some(Err(err)) =
            shared.with_store(|s| s.apply_history_page(chat_id, &records, page.has_more, &me))
        {
            tracing::error!(%err, "could not cache history");
        }
        shared.index_soon();
    }

    /// Older messages of `chat_id`, for scrolling back: from the local cache where it holds
    /// them without a gap, else from the server (and then kept). During an outage the cache is
    /// shown past any gap, and the page says where history may be missing.
    pub async fn load_older(&self, chat_id: &str) -> Result<OlderPage, CoreError> {
        let session = self.session()?;
        self.check_chat(chat_id)?;
        let shared = &self.inner.shared;
        let Some(before) = shared.read(|t| t.oldest_stored(chat_id)).flatten() else {
            return Ok(OlderPage::default());
        };
        shared.write_pending();
        let cached = shared
            .with_store(|s| s.older_messages(chat_id, &before, OLDER_PAGE))
            .transpose()?
            .unwrap_or_default();
        let complete = shared
            .with_store(|s| s.history_complete(chat_id))
            .transpose()?
            .unwrap_or(false);
        // What joins on to the screen: the cache down to its first gap.
        let mut joined: Vec<ChatMessage> = Vec::new();
        let mut gap_at = None;
        for (message, gap_above) in cached.iter().rev() {
            if *gap_above {
                gap_at = message.msg_id.clone();
                break;
            }
            joined.push(message.clone());
        }
        joined.reverse();
        let page = if joined.len() == OLDER_PAGE {
            OlderPage {
                messages: joined,
                has_more: true,
                missing_above: None,
            }
        } else if complete && gap_at.is_none() {
            OlderPage {
                messages: joined,
                has_more: false,
                missing_above: None,
            }
        } else {
            let from = joined
                .first()
                .and_then(|m| m.msg_id.clone())
                .unwrap_or(before);
            match session
                .api
                .history(&session.tokens.current(), chat_id, Some(&from), OLDER_PAGE)
                .await
            {
                Ok(server_page) => {
                    shared.set_service(Service::Api, ServiceState::Up, None);
                    self.cache_history(chat_id, &server_page);
                    let mut messages = shared
                        .read(|t| t.messages_from(&server_page.messages))
                        .unwrap_or_default();
                    messages.extend(joined);
                    OlderPage {
                        messages,
                        has_more: server_page.has_more,
                        missing_above: None,
                    }
                }
                Err(err) if err.retryable() || err.is_expired_session() => {
                    if err.is_expired_session() {
                        session.tokens.request_refresh();
                    } else {
                        let detail = Some(err.to_string());
                        shared.set_service(Service::Api, ServiceState::Down, detail);
                    }
                    tracing::warn!(%chat_id, %err, "older history unavailable; showing the cache");
                    OlderPage {
                        has_more: gap_at.is_some() || !complete || cached.len() == OLDER_PAGE,
                        messages: cached.into_iter().map(|(m, _)| m).collect(),
                        missing_above: gap_at,
                    }
                }
                Err(err) => return Err(err),
            }
        };
        shared.update(|t| ((), t.prepend_older(chat_id, &page.messages)));
        Ok(page)
    }

    /// Fetch the messages missing above message `above` of `chat_id` (a gap the user scrolled to
    /// during an outage), page by page from the newer side until the gap closes, at most
    /// `MAX_FILL_PAGES` pages per call. Returns them oldest first; the chat shows them in place.
    pub async fn fill_gap(
        &self,
        chat_id: &str,
        above: &str,
    ) -> Result<Vec<ChatMessage>, CoreError> {
        let session = self.session()?;
        self.check_chat(chat_id)?;
        let shared = &self.inner.shared;
        shared.write_pending();
        let upper = shared
            .with_store(|s| s.newer_neighbour(chat_id, above))
            .transpose()?
            .flatten();
        let mut from = upper.clone();
        let mut filled: Vec<outlast_protocol::MessageRecord> = Vec::new();
        for _ in 0..MAX_FILL_PAGES {
            let page = session
                .api
                .history(
                    &session.tokens.current(),
                    chat_id,
                    from.as_deref(),
                    OLDER_PAGE,
                )
                .await?;
            shared.set_service(Service::Api, ServiceState::Up, None);
            self.cache_history(chat_id, &page);
            let reached = page.messages.iter().position(|m| m.msg_id == above);
            let closed = reached.is_some() || !page.has_more || page.messages.is_empty();
            let fresh = &page.messages[reached.map_or(0, |at| at + 1)..];
            filled.splice(0..0, fresh.iter().cloned());
            if closed {
                break;
            }
            from = page.messages.first().map(|m| m.msg_id.clone());
        }
        let messages = shared
            .read(|t| t.messages_from(&filled))
            .unwrap_or_default();
        shared.update(|t| ((), t.insert_before(chat_id, upper.as_deref(), &messages)));
        Ok(messages)
    }

    /// The messages of `chat_id` above which history may still be missing (a gap the server
    /// has not filled yet), for the UI to mark.
    pub fn history_gaps(&self, chat_id: &str) -> Result<Vec<String>, CoreError> {
        self.session()?;
        self.check_chat(chat_id)?;
        Ok(self
            .inner
            .shared
            .with_store(|s| s.gaps_of(chat_id))
            .transpose()?
            .unwrap_or_default())
    }

    /// While the server cannot be asked: show the chat from the local cache.
    fn show_cached(&self, chat_id: &str) {
        let shared = &self.inner.shared;
        shared.write_pending();
        match shared.with_store(|s| s.latest_messages(chat_id, HISTORY_PAGE)) {
            Some(Ok(cached)) => {
                shared.update(|t| (t.load_cached(chat_id, cached), Vec::new()));
            }
            Some(Err(err)) => tracing::error!(%err, "could not read the local cache"),
            None => {}
        }
    }

    /// Skip the wait before the next connection attempt.
    pub fn reconnect_now(&self) -> Result<(), CoreError> {
        self.session()?.supervisor.reconnect_now();
        Ok(())
    }

    fn session(&self) -> Result<Arc<Session>, CoreError> {
        self.inner
            .session
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(CoreError::NotSignedIn)
    }

    fn check_chat(&self, chat_id: &str) -> Result<(), CoreError> {
        if chat_id.is_empty() || chat_id.len() > MAX_CHAT_ID_LEN {
            return Err(CoreError::InvalidInput(format!(
                "a chat id must be 1 to {MAX_CHAT_ID_LEN} bytes"
            )));
        }
        match self.inner.shared.read(|t| t.has_chat(chat_id)) {
            Some(true) => Ok(()),
            Some(false) => Err(CoreError::UnknownChat(chat_id.to_owned())),
            None => Err(CoreError::NotSignedIn),
        }
    }
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
    /// The access token and its expiry; `None` while the sign-in service is down.
    access: Option<(AccessToken, u64)>,
    /// What the server said, or why it could not be asked (then: the cache).
    view: Result<ServerView, CoreError>,
}

/// The server's picture at sign-in.
struct ServerView {
    api: ApiClient,
    head: u64,
    chats: ChatsResponse,
}

fn no_cache() -> CoreError {
    CoreError::InvalidInput(
        "unsent messages are kept in the local cache, and this client keeps none (no data folder)"
            .into(),
    )
}

/// The signed-in account's database: one file per user and server, in the profile folder.
fn open_account_store(
    dir: &std::path::Path,
    server: &str,
    user: &Profile,
) -> Result<Store, CoreError> {
    let host = server
        .split("://")
        .nth(1)
        .unwrap_or(server)
        .trim_end_matches('/');
    let folder = crate::file_names::safe_file_name(&format!("{}@{host}", user.user_id));
    let path = dir.join("accounts").join(folder).join("outlast.db");
    let (store, opened) = Store::open(&path)?;
    if let Opened::Recovered { moved_to, reason } = &opened {
        tracing::error!(%reason, moved_to = %moved_to.display(), "the local cache was damaged and set aside; it fills again from the server");
    }
    Ok(store)
}

/// Reading the whole cache competes with the first paint on a small machine: check it once the
/// app has settled.
const STORE_CHECK_DELAY: Duration = Duration::from_secs(10);

/// Check every page of the account's database in the background; damage is set aside at the
/// next start (see [`crate::store::check_in_background`]).
async fn check_store_later(path: std::path::PathBuf) {
    tokio::time::sleep(STORE_CHECK_DELAY).await;
    let checked =
        tokio::task::spawn_blocking(move || crate::store::check_in_background(&path)).await;
    match checked {
        Ok(Ok(())) => tracing::debug!("the local cache passed its integrity check"),
        Ok(Err(err)) => {
            tracing::error!(%err, "the local cache is damaged: it is set aside and filled again from the server at the next start")
        }
        Err(err) => tracing::warn!(%err, "the integrity check of the local cache stopped"),
    }
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

/// Every endpoint of one service across regions, in the server's order of preference.
fn endpoints(
    base: &ApiClient,
    config: &DiscoveryConfig,
    list: impl Fn(&outlast_protocol::Region) -> &Vec<outlast_protocol::Endpoint>,
) -> Result<Vec<ApiClient>, CoreError> {
    let mut seen = Vec::new();
    let mut clients = Vec::new();
    for region in &config.regions {
        let mut endpoints: Vec<_> = list(region).iter().collect();
        endpoints.sort_by_key(|e| e.priority);
        for endpoint in endpoints {
            if !seen.contains(&endpoint.url) {
                seen.push(endpoint.url.clone());
                clients.push(base.at(&endpoint.url)?);
            }
        }
    }
    Ok(clients)
}
