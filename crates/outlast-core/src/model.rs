//! What the core tells its front ends. These types cross the Tauri IPC boundary as JSON; ts-rs
//! generates their TypeScript twins into `ui/src/lib/bindings/` when `cargo test` runs, so the
//! UI never keeps a hand-written copy.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A person as the UI shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Profile {
    pub user_id: String,
    pub display_name: String,
}

/// Where a message is on its way to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum MessageState {
    /// Kept locally, not yet acknowledged by the server.
    Pending,
    /// Stored by the server (or received from it).
    Sent,
    /// Refused by the server for good; `failure` says why.
    Failed,
}

/// One message in a chat, own or others'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChatMessage {
    /// Set for messages this account sent: the idempotency key that stays the same on every retry.
    pub client_msg_id: Option<String>,
    /// Server id; `None` until the server acknowledges the message.
    pub msg_id: Option<String>,
    pub chat_id: String,
    pub sender_id: String,
    pub sender_name: String,
    pub body: String,
    #[ts(type = "number")]
    pub sent_at_ms: u64,
    /// Position in this account's event sequence, once known.
    #[ts(type = "number | null")]
    pub seq: Option<u64>,
    pub state: MessageState,
    /// Why the message failed, in words for the user.
    pub failure: Option<String>,
    /// Written by the signed-in user.
    pub own: bool,
    /// Files sent with the message.
    #[serde(default)]
    pub attachments: Vec<MessageAttachment>,
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MessageAttachment {
    /// The sender's name for it, shown as text; saving uses a sanitised copy.
    pub name: String,
    #[ts(type = "number")]
    pub size: u64,
    pub mime: String,
    /// The media service's id, once uploaded (always, for files from others).
    pub media_id: Option<String>,
    /// While an own file waits to be uploaded: why (for example, the media service is down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_because: Option<String>,
}

/// Someone the user can start a chat with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Person {
    pub user_id: String,
    pub display_name: String,
}

/// How far another member of a chat has read it (per-message read counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MemberRead {
    pub user_id: String,
    pub display_name: String,
    /// The newest message they have read; ids sort in the server's storage order, so every
    /// message whose id sorts after this one is still unread by them. `None`: nothing yet.
    pub read_up_to: Option<String>,
}

/// Older messages of a chat, for scrolling back ([`crate::Client::load_older`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OlderPage {
    /// Oldest first, to be shown above what is on screen.
    pub messages: Vec<ChatMessage>,
    /// Whether still older messages exist (here or on the server).
    pub has_more: bool,
    /// Set while the server cannot be asked and the cache has a gap: messages may be missing
    /// between this one (a server id) and the next newer one; they load once it answers.
    pub missing_above: Option<String>,
}

impl ChatMessage {
    /// Whether `other` is the same message (possibly in another state).
    pub fn same_as(&self, other: &ChatMessage) -> bool {
        match (&self.client_msg_id, &other.client_msg_id) {
            (Some(a), Some(b)) => a == b,
            _ => self.msg_id.is_some() && self.msg_id == other.msg_id,
        }
    }
}

/// One entry of the chat list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChatSummary {
    pub chat_id: String,
    pub title: String,
    pub member_names: Vec<String>,
    pub last_message: Option<ChatMessage>,
    pub unread_count: u32,
    /// Silenced by the user: no notifications, still counted as unread.
    pub muted: bool,
    /// Kept at the top of the chat list by the user (a local choice).
    #[serde(default)]
    pub pinned: bool,
    /// Started here and not yet made on the server (`None`: the server has it).
    #[serde(default)]
    pub creation: Option<ChatCreation>,
}

/// A chat the user started that the server has not made yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum ChatCreation {
    /// Kept here; made on the server as soon as it can be asked. Messages written in it
    /// meanwhile wait for it, in order.
    Pending,
    /// The server refused to make it; it and its messages wait for the user to try again or
    /// delete it.
    Failed { reason: String },
}

/// How the client is talking to the backend right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Transport {
    /// A WebSocket to a gateway: events arrive at once.
    Gateway,
    /// Every gateway is down but the REST API answers: events by long-poll, sends by POST.
    Rest,
}

/// The state of the path to the backend, as one value the UI can render: where it is connected
/// (endpoint and region), when the next attempt is, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum ConnectionState {
    /// No account is signed in; nothing connects.
    SignedOut,
    /// Opening a connection to `endpoint`.
    Connecting {
        endpoint: String,
        region: String,
        transport: Transport,
        why: String,
    },
    /// Live on `endpoint`.
    Connected {
        endpoint: String,
        region: String,
        transport: Transport,
        /// The gateway session (none over REST).
        session_id: Option<String>,
        /// Whether `region` is the server's preferred one (false: running on a backup).
        preferred_region: bool,
    },
    /// Not connected; the next attempt starts in `retry_in_ms` (at `next_attempt_at_ms`, Unix
    /// time), at `endpoint` if known.
    Waiting {
        #[ts(type = "number")]
        retry_in_ms: u64,
        #[ts(type = "number")]
        next_attempt_at_ms: u64,
        endpoint: Option<String>,
        region: Option<String>,
        why: String,
    },
}

/// Protocol v1's separate services, each of which can be down on its own (the in-memory backend
/// has three of them). The core and the UI know services only as [`NamedService`]s: a backend
/// names its own and says what each is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Service {
    Discovery,
    Auth,
    Gateway,
    Api,
    Media,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Service::Discovery,
        Service::Auth,
        Service::Gateway,
        Service::Api,
        Service::Media,
    ];

    /// Its id in the service list.
    pub fn id(self) -> &'static str {
        match self {
            Service::Discovery => "discovery",
            Service::Auth => "auth",
            Service::Gateway => "gateway",
            Service::Api => "api",
            Service::Media => "media",
        }
    }

    /// How it appears in the service list, its state not known yet.
    pub fn named(self) -> NamedService {
        let (name, role) = match self {
            Service::Discovery => ("Discovery", ServiceRole::FindServers),
            Service::Auth => ("Sign-in", ServiceRole::SignIn),
            Service::Gateway => ("Gateway", ServiceRole::LiveUpdates),
            Service::Api => ("API", ServiceRole::Requests),
            Service::Media => ("Media", ServiceRole::Files),
        };
        NamedService::new(self.id(), name, vec![role])
    }
}

/// What a service is for: what stops working while it is down. The UI says what an outage means
/// by these, whatever the backend calls its services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ServiceRole {
    /// Finding where the other services are.
    FindServers,
    /// Signing in and renewing the sign-in.
    SignIn,
    /// Events as they happen, and sending messages.
    LiveUpdates,
    /// Requests and answers: history, catch-up, read marks, new chats.
    Requests,
    /// Sending and saving files.
    Files,
}

/// What the client knows about one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ServiceState {
    /// Not used or checked yet.
    Unknown,
    Up,
    /// Working, but part of it failed (e.g. one gateway down, another in use).
    Degraded,
    Down,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ServiceStatus {
    pub state: ServiceState,
    /// When it entered this state (Unix ms).
    #[ts(type = "number")]
    pub since_ms: u64,
    /// What happened, in words for the user (set when not up).
    pub detail: Option<String>,
}

impl ServiceStatus {
    pub const UNKNOWN: ServiceStatus = ServiceStatus {
        state: ServiceState::Unknown,
        since_ms: 0,
        detail: None,
    };
}

impl Default for ServiceStatus {
    fn default() -> Self {
        ServiceStatus::UNKNOWN
    }
}

/// One of the backend's services, as the backend names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NamedService {
    /// Stable, unique within the backend (`"gateway"`): what health reports name.
    pub id: String,
    /// For people (`"Gateway"`).
    pub name: String,
    /// What stops working while it is down.
    pub roles: Vec<ServiceRole>,
    pub status: ServiceStatus,
}

impl NamedService {
    pub fn new(id: &str, name: &str, roles: Vec<ServiceRole>) -> NamedService {
        NamedService {
            id: id.to_owned(),
            name: name.to_owned(),
            roles,
            status: ServiceStatus::UNKNOWN,
        }
    }
}

/// Every service of the backend and its status, in the order the backend lists them, so the UI
/// can say exactly what is down and what still works.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ServiceHealth(pub Vec<NamedService>);

impl ServiceHealth {
    /// The services a backend declares, none checked yet.
    pub fn declared(services: Vec<NamedService>) -> ServiceHealth {
        ServiceHealth(
            services
                .into_iter()
                .map(|s| NamedService {
                    status: ServiceStatus::UNKNOWN,
                    ..s
                })
                .collect(),
        )
    }

    /// Protocol v1's five services, none checked yet.
    pub fn protocol_v1() -> ServiceHealth {
        ServiceHealth(Service::ALL.map(Service::named).to_vec())
    }

    /// The status of service `id` (unknown if the backend has no such service).
    pub fn of(&self, id: &str) -> &ServiceStatus {
        self.get(id).map_or(&ServiceStatus::UNKNOWN, |s| &s.status)
    }

    pub fn get(&self, id: &str) -> Option<&NamedService> {
        self.0.iter().find(|s| s.id == id)
    }

    /// The services with `role`.
    pub fn with_role(&self, role: ServiceRole) -> impl Iterator<Item = &NamedService> {
        self.0.iter().filter(move |s| s.roles.contains(&role))
    }

    /// Record service `id`'s state; `false` when nothing changed. A service the backend did not
    /// declare is added under its id (a report is never lost).
    pub fn set(
        &mut self,
        id: &str,
        state: ServiceState,
        detail: Option<String>,
        now_ms: u64,
    ) -> bool {
        let at = match self.0.iter().position(|s| s.id == id) {
            Some(at) => at,
            None => {
                self.0.push(NamedService::new(id, id, Vec::new()));
                self.0.len() - 1
            }
        };
        let status = &mut self.0[at].status;
        if status.state == state && status.detail == detail {
            return false;
        }
        if status.state != state {
            status.since_ms = now_ms;
        }
        status.state = state;
        status.detail = detail;
        true
    }
}

/// Who is signed in, where, and how the connection is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionInfo {
    pub user: Profile,
    pub server: String,
    pub connection: ConnectionState,
    pub services: ServiceHealth,
    /// Whether this sign-in is kept (in the OS keyring) for the next start.
    pub remembered: bool,
    /// Why it is not kept, when it is not: e.g. no keyring on this desktop.
    pub not_remembered_because: Option<String>,
    /// Started from the local cache because the server could not be asked yet.
    pub from_cache: bool,
}

impl SessionInfo {
    /// The account this session is, as the credential vault keys it.
    pub fn account_key(&self) -> crate::credentials::AccountKey {
        crate::credentials::AccountKey {
            server: self.server.clone(),
            user_id: self.user.user_id.clone(),
        }
    }
}

/// Everything the core announces. Front ends subscribe once and render from these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum CoreEvent {
    /// A message appeared in a chat (sent here, or received).
    MessageAdded {
        message: ChatMessage,
    },
    /// A known message changed state (e.g. pending -> sent); identified by `same_as`.
    MessageUpdated {
        message: ChatMessage,
    },
    /// An unsent message was deleted by the user.
    MessageRemoved {
        chat_id: String,
        client_msg_id: String,
    },
    /// Catching up after a reconnect: `done` of `total` missed events are in ("Updating 3,200 of
    /// 10,000"); `done == total` when it is over.
    SyncProgress {
        #[ts(type = "number")]
        done: u64,
        #[ts(type = "number")]
        total: u64,
    },
    /// A chat's summary changed (last message, unread count).
    ChatUpdated {
        chat: ChatSummary,
    },
    /// A chat left the list: one the user started and deleted before the server made it.
    ChatRemoved {
        chat_id: String,
    },
    ConnectionChanged {
        state: ConnectionState,
    },
    /// Another member has read `chat_id` up to `msg_id` (read counts).
    ReadMarkMoved {
        chat_id: String,
        user_id: String,
        msg_id: String,
    },
    /// A backend service went up, down or degraded.
    ServicesChanged {
        services: ServiceHealth,
    },
    /// History was skipped (the server no longer had every missed event): chats re-fetch their
    /// recent history when opened.
    HistoryGap {
        #[ts(type = "number")]
        after_seq: u64,
        #[ts(type = "number")]
        resumes_at_seq: u64,
    },
    /// The server no longer accepts this account's credentials (not an outage): the app stays
    /// readable and asks the user to sign in again.
    SignInRequired {
        reason: String,
    },
    /// A file is uploading or downloading: `done` of `total` bytes have moved. Said at the start,
    /// about ten times a second while it moves, and at the end; an attempt that fails starts
    /// over at 0.
    TransferProgress {
        file: TransferFile,
        #[ts(type = "number")]
        done: u64,
        #[ts(type = "number")]
        total: u64,
    },
}

/// Which file a transfer moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "direction", rename_all = "snake_case")]
#[ts(export)]
pub enum TransferFile {
    /// The file at `position` among an unsent message's files, going to the media service.
    Upload {
        client_msg_id: String,
        position: u32,
    },
    /// A received file being saved.
    Download { media_id: String },
}

impl CoreEvent {
    /// Whether the event shows chats or messages (hidden while the app is locked).
    pub fn carries_content(&self) -> bool {
        matches!(
            self,
            CoreEvent::MessageAdded { .. }
                | CoreEvent::MessageUpdated { .. }
                | CoreEvent::MessageRemoved { .. }
                | CoreEvent::ChatUpdated { .. }
                | CoreEvent::ChatRemoved { .. }
                | CoreEvent::ReadMarkMoved { .. }
        )
    }
}
