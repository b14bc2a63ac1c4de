//! `Client`: the one door into the core. Cheap to clone; every front end (the Tauri shell, the
//! tests, a future command-line client) drives the engine through it and renders from its events.

use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use outlast_protocol::{validate_body, AccessToken, MAX_PAGE_SIZE};
use tokio::sync::broadcast;

use crate::api::ApiClient;
use crate::endpoints::Endpoints;
use crate::gateway::{ConnectionSettings, GatewayHandle, Outgoing};
use crate::model::{ChatMessage, ChatSummary, ConnectionState, CoreEvent, Profile, SessionInfo};
use crate::shared::Shared;
use crate::timeline::Timeline;
use crate::CoreError;

/// How many recent messages opening a chat fetches.
const HISTORY_PAGE: usize = 50;

/// Longest accepted chat id; ids come from the server and the UI passes them back.
const MAX_CHAT_ID_LEN: usize = 128;

#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    settings: ConnectionSettings,
    session: RwLock<Option<Arc<Session>>>,
}

/// A signed-in account: where it talks to and with what credentials.
struct Session {
    /// The address the user signed in with (the discovery service).
    server: String,
    api: ApiClient,
    token: AccessToken,
    user: Profile,
    gateway: GatewayHandle,
}

impl Default for Client {
    fn default() -> Self {
        Client::new(ConnectionSettings::default())
    }
}

impl Client {
    pub fn new(settings: ConnectionSettings) -> Self {
        Client {
            inner: Arc::new(Inner {
                shared: Arc::new(Shared::new()),
                settings,
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
        let discovery = ApiClient::new(server)?;
        let config = discovery.discover().await?;
        let endpoints = Endpoints::choose(&config)?;
        let login = discovery
            .at(&endpoints.auth)?
            .login(username.trim(), password)
            .await?;
        let api = discovery.at(&endpoints.api)?;
        let chats = api.chats(&login.access_token).await?;
        let user = Profile {
            user_id: login.user.user_id,
            display_name: login.user.display_name,
        };
        tracing::info!(
            server = discovery.server(),
            region = %endpoints.region,
            user_id = %user.user_id,
            chats = chats.chats.len(),
            "signed in"
        );

        self.logout();
        let shared = &self.inner.shared;
        shared.replace_timeline(Some(Timeline::new(user.clone(), chats.chats)));
        let gateway = GatewayHandle::spawn(
            endpoints.gateway,
            login.access_token.clone(),
            shared.clone(),
            self.inner.settings.clone(),
        );
        let session = Arc::new(Session {
            server: discovery.server().to_owned(),
            api,
            token: login.access_token,
            user,
            gateway,
        });
        *self
            .inner
            .session
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(session);
        self.session_info().ok_or(CoreError::NotSignedIn)
    }

    /// Stop the connection and forget the session.
    pub fn logout(&self) {
        let previous = self
            .inner
            .session
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if previous.is_some() {
            self.inner.shared.replace_timeline(None);
            self.inner.shared.set_connection(ConnectionState::SignedOut);
        }
    }

    /// Who is signed in, or `None`.
    pub fn session_info(&self) -> Option<SessionInfo> {
        let session = self.session().ok()?;
        Some(SessionInfo {
            user: session.user.clone(),
            server: session.server.clone(),
            connection: self.connection_state(),
        })
    }

    pub fn connection_state(&self) -> ConnectionState {
        self.inner.shared.connection()
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
            match session.api.history(&session.token, chat_id, limit).await {
                Ok(page) => {
                    self.inner
                        .shared
                        .update(|t| (t.load_history(chat_id, page.messages), Vec::new()));
                }
                Err(err) if err.retryable() => {
                    tracing::warn!(%chat_id, %err, "history unavailable; showing what is known");
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
        let message = self
            .inner
            .shared
            .update(|t| {
                t.add_pending(chat_id, client_msg_id.clone(), body.to_owned(), now_ms())
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
        session.gateway.send(outgoing);
        Ok(message)
    }

    /// Skip the wait before the next connection attempt.
    pub fn reconnect_now(&self) -> Result<(), CoreError> {
        self.session()?.gateway.reconnect_now();
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

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
