//! `Client`: the one door into the core. Cheap to clone; every front end (the Tauri shell, the
//! tests, `outlast-cli`) drives the engine through it and renders from its events.
//!
//! The client itself only holds the session and hands each call to the part that does it. A
//! session (`session.rs`, begun by `start.rs` after a sign-in) owns its parts:
//! - `chats`: the chat list, read marks, drafts, mute and pin, starting chats (`new_chat.rs`);
//! - `history`: opening a chat, scrolling back, filling gaps;
//! - `outgoing`: messages written here, through the operation queue;
//! - `media`: saving received files;
//! - `search`: searching the local cache.
//!
//! What the parts share (the timeline, the local cache, the operation queue, the connection's
//! status, the event stream) is `crate::shared::Shared`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use outlast_protocol::DiscoveryConfig;

use crate::backend::{Backend, Live, Tasks};
use tokio::sync::broadcast;

use crate::connection::ConnectionSettings;
use crate::credentials::Vault;
use crate::endpoint_list::ServerEndpoints;
use crate::export::{ExportLanguage, ExportedChat};
use crate::model::{
    ChatMessage, ChatSummary, ConnectionState, CoreEvent, MemberRead, MessageAttachment, OlderPage,
    Person, Profile, ServiceHealth, SessionInfo,
};
use crate::shared::Shared;
use crate::store::SearchHit;
use crate::timeline::LocalFlag;
use crate::CoreError;

use chats::Chats;
use history::History;
use media::Media;
use outgoing::Outgoing;
use search::Search;

mod chats;
mod export;
mod forward;
mod history;
mod media;
mod new_chat;
mod outgoing;
mod search;
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
}

/// A signed-in account: the backend it talks to, the session's tasks, and the parts that do
/// what the user asks.
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
    chats: Chats,
    history: History,
    outgoing: Outgoing,
    media: Media,
    search: Search,
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

    // ---- Chats: the list, read marks, drafts, mute and pin, new chats ----

    /// The chat list, most recently active first.
    pub fn chats(&self) -> Result<Vec<ChatSummary>, CoreError> {
        self.session()?.chats.list()
    }

    /// One chat's summary, if this session knows it.
    pub fn chat(&self, chat_id: &str) -> Option<ChatSummary> {
        self.inner.shared.read(|t| t.summary_of(chat_id)).flatten()
    }

    /// The user has seen everything in `chat_id` (the app calls this when the chat is on
    /// screen, and again as messages arrive there). The unread count clears here at once; the
    /// server hears "read up to the newest message" after a short pause, once per burst, and
    /// again after an outage if it could not be told.
    pub fn mark_read(&self, chat_id: &str) -> Result<ChatSummary, CoreError> {
        self.session()?.chats.mark_read(chat_id)
    }

    /// People the user can start a chat with: the members of their chats.
    pub fn people(&self) -> Result<Vec<Person>, CoreError> {
        self.session()?.chats.people()
    }

    /// Keep what the user is typing in `chat_id` (empty: none), so it is there after switching
    /// chats or restarting. Local only; works offline. Without a local cache it lasts the run.
    pub fn save_draft(&self, chat_id: &str, body: &str) -> Result<(), CoreError> {
        self.session()?.chats.save_draft(chat_id, body)
    }

    /// Every chat's draft (chat id, text).
    pub fn drafts(&self) -> Result<Vec<(String, String)>, CoreError> {
        self.session()?.chats.drafts()
    }

    /// The chat's other members and how far each has read it, for per-message read counts
    /// (kept current by [`CoreEvent::ReadMarkMoved`]). Known from the cache during an outage.
    pub fn read_marks(&self, chat_id: &str) -> Result<Vec<MemberRead>, CoreError> {
        self.session()?.chats.read_marks(chat_id)
    }

    /// Silence a chat (no notifications) or not; kept across restarts.
    pub fn set_muted(&self, chat_id: &str, muted: bool) -> Result<ChatSummary, CoreError> {
        self.session()?
            .chats
            .set_local_flag(chat_id, LocalFlag::Muted, muted)
    }

    /// Keep a chat at the top of the chat list or not; kept across restarts.
    pub fn set_pinned(&self, chat_id: &str, pinned: bool) -> Result<ChatSummary, CoreError> {
        self.session()?
            .chats
            .set_local_flag(chat_id, LocalFlag::Pinned, pinned)
    }

    /// Start a chat with `member_ids` (people from [`Client::people`]). It is listed at once
    /// (`creation: pending`) and usable at once, during an outage too; the server makes it as
    /// soon as it can be asked, and what was written in it meanwhile follows in order.
    pub async fn create_chat(
        &self,
        title: &str,
        member_ids: &[String],
    ) -> Result<ChatSummary, CoreError> {
        self.session()?.chats.create(title, member_ids)
    }

    /// Ask the server again to make a chat it refused (same id: it can never be made twice);
    /// the messages written in it follow in order.
    pub fn retry_chat(&self, chat_id: &str) -> Result<ChatSummary, CoreError> {
        self.session()?.chats.retry_creation(chat_id)
    }

    /// Rename a group chat (a chat with one person is titled after them). The new name shows at
    /// once and is kept; the server hears it when it can be asked, during an outage too, and
    /// renames made meanwhile send only the last one. If the server refuses it, the chat takes
    /// its earlier name again.
    pub fn rename_chat(&self, chat_id: &str, title: &str) -> Result<ChatSummary, CoreError> {
        self.session()?.chats.rename(chat_id, title)
    }

    /// Delete a chat the server has not made (waiting, or refused), with everything written in
    /// it: nothing of it ever reaches the server.
    pub fn delete_unmade_chat(&self, chat_id: &str) -> Result<(), CoreError> {
        self.session()?.chats.delete_unmade(chat_id)
    }

    // ---- History: reading and scrolling back ----

    /// Mark `chat_id` as the one being looked at and return its messages, oldest first. Recent
    /// history is fetched the first time; if the server cannot be reached, what is known locally
    /// is returned instead of an error, because reading must keep working during an outage.
    pub async fn open_chat(&self, chat_id: &str) -> Result<Vec<ChatMessage>, CoreError> {
        let session = self.session()?;
        let messages = session.history.open(chat_id).await?;
        // Opening a chat is reading it.
        session.chats.mark_read(chat_id)?;
        Ok(messages)
    }

    /// Older messages of `chat_id`, for scrolling back: from the local cache where it holds
    /// them without a gap, else from the server (and then kept). During an outage the cache is
    /// shown past any gap, and the page says where history may be missing.
    pub async fn load_older(&self, chat_id: &str) -> Result<OlderPage, CoreError> {
        self.session()?.history.older(chat_id).await
    }

    /// Fetch the messages missing above message `above` of `chat_id` (a gap the user scrolled to
    /// during an outage), page by page from the newer side until the gap closes, a bounded
    /// number of pages per call. Returns them oldest first; the chat shows them in place.
    pub async fn fill_gap(
        &self,
        chat_id: &str,
        above: &str,
    ) -> Result<Vec<ChatMessage>, CoreError> {
        self.session()?.history.fill_gap(chat_id, above).await
    }

    /// The messages of `chat_id` above which history may still be missing (a gap the server
    /// has not filled yet), for the UI to mark.
    pub fn history_gaps(&self, chat_id: &str) -> Result<Vec<String>, CoreError> {
        self.session()?.history.gaps(chat_id)
    }

    /// Save `chat_id` as a text file in `folder` (the user's downloads), in the style of
    /// KakaoTalk's saved chats: the chat's name and when it was saved, a line for each day, then
    /// `[Name] [time] text` per message and a line per file, in `language`, in local time. It
    /// holds every message the local cache holds, so it works offline; where history is not in
    /// the cache, the file says so and [`ExportedChat::incomplete`] is set.
    pub async fn export_chat(
        &self,
        chat_id: &str,
        folder: &Path,
        language: ExportLanguage,
    ) -> Result<ExportedChat, CoreError> {
        self.session()?
            .history
            .export(chat_id, folder, language)
            .await
    }

    // ---- Outgoing: what the user writes ----

    /// Write a message: it is shown at once as pending and delivered when the gateway is up.
    pub fn send(&self, chat_id: &str, body: &str) -> Result<ChatMessage, CoreError> {
        self.session()?.outgoing.send(chat_id, body)
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
        self.session()?
            .outgoing
            .send_files(chat_id, body, paths)
            .await
    }

    /// Try a message that failed for good again (same client id, so never twice on the server);
    /// the chat's messages held behind it follow in order.
    pub fn retry(&self, client_msg_id: &str) -> Result<(), CoreError> {
        self.session()?.outgoing.retry(client_msg_id)
    }

    /// Change the text of a message that failed for good and send it again (same client id: it
    /// can never arrive twice); the chat's held messages follow it in order.
    pub fn edit_and_retry(&self, client_msg_id: &str, body: &str) -> Result<(), CoreError> {
        self.session()?.outgoing.edit_and_retry(client_msg_id, body)
    }

    /// Retry every failed message, of one chat or of all.
    pub fn retry_all(&self, chat_id: Option<&str>) -> Result<usize, CoreError> {
        self.session()?.outgoing.retry_all(chat_id)
    }

    /// Delete a message that was never sent (failed, or waiting); the chat's held messages go
    /// once no failed one is left before them.
    pub fn delete_unsent(&self, client_msg_id: &str) -> Result<(), CoreError> {
        self.session()?.outgoing.delete_unsent(client_msg_id)
    }

    /// Every message written here and not yet stored by the server (waiting, or refused with its
    /// reason), in the order written. This is the snapshot an event reader resyncs from after it
    /// fell behind ([`Client::subscribe`]).
    pub fn unsent(&self) -> Result<Vec<ChatMessage>, CoreError> {
        Ok(self.session()?.outgoing.unsent())
    }

    /// Forward `message` to the chats `to` (1 to 10; each once). Its text is written in each like
    /// a message typed there: kept, queued and sent in order, during an outage too. Its files
    /// are fetched from the media service and sent again from private copies (a file belongs to
    /// whoever uploaded it), so forwarding files needs that service to answer; the error says so
    /// otherwise. Every chat is checked first: nothing is written unless all can take it.
    /// Returns the new messages.
    pub async fn forward(
        &self,
        message: &ChatMessage,
        to: &[String],
    ) -> Result<Vec<ChatMessage>, CoreError> {
        let session = self.session()?;
        session.outgoing.forward(&session.media, message, to).await
    }

    /// A message written here, as its chat shows it now (sent, waiting or refused), by its client
    /// id; `None` if this session does not show it (deleted, or scrolled out of memory).
    pub fn own_message(&self, client_msg_id: &str) -> Option<ChatMessage> {
        self.inner
            .shared
            .read(|t| t.own_message(client_msg_id))
            .flatten()
    }

    // ---- Media and search ----

    /// Save a file someone sent into `folder` (the user's downloads). The name is the sender's,
    /// made safe (no paths, no device names, no disguised extensions) and made unique there.
    /// Returns where it was saved.
    pub async fn save_attachment(
        &self,
        attachment: &MessageAttachment,
        folder: &Path,
    ) -> Result<PathBuf, CoreError> {
        self.session()?.media.save(attachment, folder).await
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
        self.session()?.search.find(query, chat_id)
    }
}

/// `chat_id` is a well-formed id of a chat this session knows: ids come from the server and the
/// UI passes them back.
fn check_chat(shared: &Shared, chat_id: &str) -> Result<(), CoreError> {
    if chat_id.is_empty() || chat_id.len() > MAX_CHAT_ID_LEN {
        return Err(CoreError::InvalidInput(format!(
            "a chat id must be 1 to {MAX_CHAT_ID_LEN} bytes"
        )));
    }
    match shared.read(|t| t.has_chat(chat_id)) {
        Some(true) => Ok(()),
        Some(false) => Err(CoreError::UnknownChat(chat_id.to_owned())),
        None => Err(CoreError::NotSignedIn),
    }
}
