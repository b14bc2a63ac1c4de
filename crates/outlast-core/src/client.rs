//! `Client`: the one door into the core. Cheap to clone; every front end (the Tauri shell, the
//! tests, a future command-line client) drives the engine through it and renders from its events.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use outlast_protocol::{validate_body, DiscoveryConfig, MAX_PAGE_SIZE};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio::time::Duration;

use crate::api::ApiClient;
use crate::clock::now_ms;
use crate::connection::{ConnectionSettings, Outgoing, SupervisorHandle, TokenSource};
use crate::discovery_cache::DiscoveryCache;
use crate::model::{
    ChatMessage, ChatSummary, ConnectionState, CoreEvent, Profile, Service, ServiceHealth,
    ServiceState, SessionInfo,
};
use crate::service_monitor::{self, Watched};
use crate::shared::Shared;
use crate::store::{ChatRow, Opened, OutboxEntry, SearchHit, Store};
use crate::timeline::Timeline;
use crate::token_keeper::Keeper;
use crate::CoreError;

/// How many recent messages opening a chat fetches.
const HISTORY_PAGE: usize = 50;

/// Longest accepted server address, username or password: a runaway paste gets a clear error.
const MAX_FIELD_CHARS: usize = 512;

/// Longest accepted chat id; ids come from the server and the UI passes them back.
const MAX_CHAT_ID_LEN: usize = 128;

/// Longest accepted search, and how many hits it returns.
const MAX_QUERY_CHARS: usize = 200;
const SEARCH_LIMIT: usize = 50;

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
}

#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    options: ClientOptions,
    session: RwLock<Option<Arc<Session>>>,
}

/// A signed-in account: where it talks to and with what credentials.
struct Session {
    /// The address the user signed in with (the discovery service).
    server: String,
    api: ApiClient,
    tokens: TokenSource,
    user: Profile,
    supervisor: SupervisorHandle,
    /// The token keeper and service monitors; stopped with the session.
    tasks: Vec<JoinHandle<()>>,
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
            }),
        }
    }

    /// Every change from now on. Subscribe before reading the initial state so nothing falls in
    /// between.
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.inner.shared.subscribe()
    }

    /// Sign in and start the connection. Replaces any previous session.
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
        let shared = &self.inner.shared;
        let discovery = ApiClient::new(server)?;
        let config = self.discover(&discovery).await?;

        let auths = endpoints(&discovery, &config, |r| &r.auth)?;
        let mut login = None;
        let mut last_error = None;
        for auth in &auths {
            match auth.login(username.trim(), password).await {
                Ok(answer) => {
                    shared.set_service(Service::Auth, ServiceState::Up, None);
                    login = Some(answer);
                    break;
                }
                Err(err) if err.retryable() => {
                    shared.set_service(Service::Auth, ServiceState::Down, Some(err.to_string()));
                    last_error = Some(err);
                }
                Err(err) => return Err(err),
            }
        }
        let login = match login {
            Some(login) => login,
            None => {
                return Err(last_error.take().unwrap_or_else(|| {
                    CoreError::Protocol("the server's configuration lists no login service".into())
                }))
            }
        };

        // The head of the event sequence first, then the chats: anything that happens in between
        // is caught up, never lost.
        let mut chosen = None;
        for api in endpoints(&discovery, &config, |r| &r.api)? {
            let head = api
                .events(&login.access_token, 0, 1, Duration::ZERO)
                .await
                .map(|page| page.last_seq);
            match head {
                Ok(head) => match api.chats(&login.access_token).await {
                    Ok(chats) => {
                        chosen = Some((api, head, chats));
                        break;
                    }
                    Err(err) if err.retryable() => last_error = Some(err),
                    Err(err) => return Err(err),
                },
                Err(err) if err.retryable() => last_error = Some(err),
                Err(err) => return Err(err),
            }
        }
        let (api, head, chats) = chosen.ok_or_else(|| {
            last_error.unwrap_or_else(|| {
                CoreError::Protocol("the server's configuration lists no API".into())
            })
        })?;
        shared.set_service(Service::Api, ServiceState::Up, None);
        let user = Profile {
            user_id: login.user.user_id,
            display_name: login.user.display_name,
        };
        tracing::info!(
            server = discovery.server(),
            user_id = %user.user_id,
            chats = chats.chats.len(),
            "signed in"
        );

        let mut store = match &self.inner.options.data_dir {
            Some(dir) => Some(open_account_store(dir, discovery.server(), &user)?),
            None => None,
        };
        // Messages written before a restart (or crash) and never acknowledged: sent again, in
        // order, under their original client ids.
        let mut unsent = Vec::new();
        if let Some(store) = store.as_mut() {
            let rows: Vec<ChatRow> = chats
                .chats
                .iter()
                .map(|c| ChatRow {
                    chat_id: c.chat_id.clone(),
                    title: c.title.clone(),
                    member_names: c.members.iter().map(|m| m.display_name.clone()).collect(),
                })
                .collect();
            store.upsert_chats(&rows)?;
            unsent = store.sendable()?;
        }

        self.end_session();
        let mut timeline = Timeline::new(user.clone(), chats.chats);
        timeline.start_at(head);
        shared.replace_timeline(Some(timeline));
        shared.replace_store(store);
        for entry in &unsent {
            shared.update(|t| {
                let events = t
                    .add_pending(
                        &entry.chat_id,
                        entry.client_msg_id.clone(),
                        entry.body.clone(),
                        entry.created_at_ms,
                    )
                    .map(|(_, events)| events)
                    .unwrap_or_default();
                ((), events)
            });
        }
        let (tokens, publisher) = TokenSource::new(login.access_token);
        let supervisor = SupervisorHandle::spawn(
            &config,
            tokens.clone(),
            self.inner.options.connection.clone(),
            shared.clone(),
        )?;
        let mut tasks = vec![tokio::spawn(
            Keeper {
                auth: auths,
                refresh_token: login.refresh_token,
                expires_at_ms: login.access_expires_at_ms,
                publisher,
                shared: shared.clone(),
            }
            .run(),
        )];
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
        if !unsent.is_empty() {
            tracing::info!(
                count = unsent.len(),
                "sending messages left from an earlier run"
            );
        }
        for entry in unsent {
            supervisor.send(Outgoing {
                client_msg_id: entry.client_msg_id,
                chat_id: entry.chat_id,
                body: entry.body,
            });
        }
        let session = Arc::new(Session {
            server: discovery.server().to_owned(),
            api,
            tokens,
            user,
            supervisor,
            tasks,
        });
        *self
            .inner
            .session
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(session);
        self.session_info().ok_or(CoreError::NotSignedIn)
    }

    /// The discovery document: fresh if the service answers (and then cached), else the last
    /// cached one, else the built-in defaults.
    async fn discover(&self, discovery: &ApiClient) -> Result<DiscoveryConfig, CoreError> {
        let shared = &self.inner.shared;
        let cache = self
            .inner
            .options
            .data_dir
            .as_deref()
            .map(DiscoveryCache::in_dir);
        match discovery.discover().await {
            Ok(config) => {
                shared.set_service(Service::Discovery, ServiceState::Up, None);
                if let Some(cache) = &cache {
                    if let Err(err) = cache.save(discovery.server(), &config) {
                        tracing::warn!(%err, "could not cache the endpoint list");
                    }
                }
                Ok(config)
            }
            Err(err) if err.retryable() => {
                let cached = cache.as_ref().and_then(|c| c.load(discovery.server()));
                let (config, source) = match (cached, &self.inner.options.builtin_endpoints) {
                    (Some(cached), _) => (cached.config, "the last known endpoint list"),
                    (None, Some(builtin)) => (builtin.clone(), "the built-in endpoint list"),
                    (None, None) => return Err(err),
                };
                tracing::warn!(%err, source, "discovery is down; using {source}");
                shared.set_service(
                    Service::Discovery,
                    ServiceState::Down,
                    Some(format!("{err}; using {source}")),
                );
                Ok(config)
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
            self.inner.shared.replace_timeline(None);
            self.inner.shared.replace_store(None);
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
        })
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
                .history(&session.tokens.current(), chat_id, limit)
                .await
            {
                Ok(page) => {
                    let shared = &self.inner.shared;
                    shared.set_service(Service::Api, ServiceState::Up, None);
                    self.cache_history(&page.messages);
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
        self.inner
            .shared
            .update(|t| (t.messages(chat_id), t.open(chat_id)))
            .ok_or(CoreError::NotSignedIn)
    }

    /// Write a message: it is shown at once as pending and delivered when the gateway is up.
    pub fn send(&self, chat_id: &str, body: &str) -> Result<ChatMessage, CoreError> {
        let session = self.session()?;
        self.check_chat(chat_id)?;
        validate_body(body)?;
        let client_msg_id = uuid::Uuid::new_v4().to_string();
        let created_at_ms = now_ms();
        // Durable first: once this returns, the message survives a crash or restart.
        let entry = OutboxEntry {
            client_msg_id: client_msg_id.clone(),
            chat_id: chat_id.to_owned(),
            body: body.to_owned(),
            created_at_ms,
            attempts: 0,
        };
        let user = &session.user;
        if let Some(written) = self
            .inner
            .shared
            .with_store(|s| s.enqueue(&entry, &user.user_id, &user.display_name))
        {
            written?;
        }
        let message = self
            .inner
            .shared
            .update(|t| {
                t.add_pending(
                    chat_id,
                    client_msg_id.clone(),
                    body.to_owned(),
                    created_at_ms,
                )
                .map_or((None, Vec::new()), |(message, events)| {
                    (Some(message), events)
                })
            })
            .flatten()
            .ok_or_else(|| CoreError::UnknownChat(chat_id.to_owned()))?;
        let outgoing = Outgoing {
            client_msg_id,
            chat_id: chat_id.to_owned(),
            body: body.to_owned(),
        };
        session.supervisor.send(outgoing);
        Ok(message)
    }

    /// Search the messages cached here (works offline), newest first. Every word must match,
    /// as a word or the start of one.
    pub fn search(&self, query: &str) -> Result<Vec<SearchHit>, CoreError> {
        self.session()?;
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(CoreError::InvalidInput(format!(
                "a search is at most {MAX_QUERY_CHARS} characters"
            )));
        }
        match self
            .inner
            .shared
            .with_store(|s| s.search(query, SEARCH_LIMIT))
        {
            Some(hits) => Ok(hits?),
            None => Err(CoreError::InvalidInput(
                "search needs the local cache, and this client keeps none (no data folder)".into(),
            )),
        }
    }

    /// Keep fetched history in the local cache (no cursor change: it is not the event stream).
    fn cache_history(&self, records: &[outlast_protocol::MessageRecord]) {
        let shared = &self.inner.shared;
        let Some((me, names)) = shared.read(|t| {
            let names: Vec<String> = records.iter().map(|r| t.name_of(&r.sender_id)).collect();
            (t.me().user_id.clone(), names)
        }) else {
            return;
        };
        let events: Vec<(u64, &outlast_protocol::MessageRecord, &str)> = records
            .iter()
            .zip(&names)
            .map(|(r, name)| (0, r, name.as_str()))
            .collect();
        if let Some(Err(err)) = shared.with_store(|s| s.apply_messages(&events, &me, None)) {
            tracing::error!(%err, "could not cache history");
        }
    }

    /// While the server cannot be asked: show the chat from the local cache.
    fn show_cached(&self, chat_id: &str) {
        let shared = &self.inner.shared;
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
