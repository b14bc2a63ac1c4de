//! `Client`: the one door into the core. Cheap to clone; every front end (the Tauri shell, the
//! tests, `outlast-cli`) drives the engine through it and renders from its events.
//!
//! Its methods live with their concern: `start` (sign-in, a kept sign-in, the session's tasks),
//! `outgoing` (messages written here, through the operation queue), `history` (reading and
//! scrolling back), `chats` (the chat list, read marks, drafts, mute and pin, search) and `media`
//! (saving received files). This module holds the handle, the session and what they all share.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use outlast_protocol::DiscoveryConfig;

use crate::backend::{Backend, Live, Tasks};
use tokio::sync::broadcast;

use crate::connection::ConnectionSettings;
use crate::credentials::Vault;
use crate::endpoint_list::ServerEndpoints;
use crate::model::{ChatSummary, ConnectionState, CoreEvent, Profile, ServiceHealth, SessionInfo};
use crate::shared::Shared;
use crate::timeline::Timeline;
use crate::CoreError;

mod chats;
mod history;
mod media;
mod new_chat;
mod outgoing;
mod session;
mod start;

/// Where files written with messages wait for upload, in the account's folder.
const OUTBOX_FILES: &str = "outbox-files";

/// Longest accepted chat id; ids come from the server and the UI passes them back.
const MAX_CHAT_ID_LEN: usize = 128;

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

/// A signed-in account: the backend it talks to and the session's tasks.
struct Session {
    /// The address the user signed in with (protocol v1: the discovery service).
    server: String,
    from_cache: bool,
    user: Profile,
    /// The server, in the core's terms.
    backend: Arc<dyn Backend>,
    /// The live connection: events in, operations out.
    live: Box<dyn Live>,
    /// The writer, the request runner, the uploader, what keeps the sign-in alive and the
    /// backend's service monitors; stopped with the session.
    #[expect(dead_code, reason = "held only: dropping the session stops its tasks")]
    tasks: Tasks,
    /// How the sign-in is kept between runs (`None`: a backend that cannot restore one, or one
    /// signed in with [`Client::sign_in_with`]).
    sign_in: Option<start::KeptSignIn>,
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

    /// Stop the connection and forget the session.
    pub fn logout(&self) {
        if self.end_session() {
            self.inner.shared.status().reset_services();
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
            self.inner.shared.cache().write_pending();
            self.inner.shared.outbox().stop();
            self.inner.shared.replace_timeline(None);
            self.inner.shared.cache().close();
            self.inner
                .drafts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
            self.inner
                .shared
                .status()
                .set_connection(ConnectionState::SignedOut);
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
            remembered: self.inner.options.vault.is_some()
                && session
                    .sign_in
                    .as_ref()
                    .is_some_and(|s| s.not_kept.is_none()),
            not_remembered_because: session.sign_in.as_ref().and_then(|s| s.not_kept.clone()),
            from_cache: session.from_cache,
        })
    }

    /// The signed-in server and every endpoint this session may use, as Settings shows them.
    pub fn server_endpoints(&self) -> Result<ServerEndpoints, CoreError> {
        match self.session()?.backend.endpoints() {
            Some(endpoints) => Ok(endpoints),
            None => Err(CoreError::InvalidInput(
                "this server has no endpoint list (it is not a protocol v1 server)".into(),
            )),
        }
    }

    pub fn connection_state(&self) -> ConnectionState {
        self.inner.shared.status().connection()
    }

    /// What each backend service is doing, as last seen.
    pub fn services(&self) -> ServiceHealth {
        self.inner.shared.status().services()
    }

    /// The chat list, most recently active first.
    pub fn chats(&self) -> Result<Vec<ChatSummary>, CoreError> {
        self.session()?;
        self.inner
            .shared
            .read(Timeline::summaries)
            .ok_or(CoreError::NotSignedIn)
    }

    /// One chat's summary, if this session knows it.
    pub fn chat(&self, chat_id: &str) -> Option<ChatSummary> {
        self.inner.shared.read(|t| t.summary_of(chat_id)).flatten()
    }

    /// Skip the wait before the next connection attempt.
    pub fn reconnect_now(&self) -> Result<(), CoreError> {
        self.session()?.live.reconnect_now();
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
