//! Outlast's client engine, with no UI dependency.
//!
//! Front ends hold a [`Client`], call its methods and render from the [`CoreEvent`]s of
//! [`Client::subscribe`]. Inside, the connection task owns the gateway socket and a timeline holds
//! the account's chats and messages; see `docs/architecture.md`.

mod api;
pub mod backend;
mod cache;
mod calls;
mod client;
mod clock;
pub mod connection;
pub mod credentials;
pub mod domain;
mod endpoint_list;
mod error;
mod events;
mod export;
pub mod file_names;
pub mod mentions;
pub mod model;
mod ops;
pub mod private_files;
mod remembered_account;
mod shared;
mod status;
pub mod store;
mod timeline;
mod transfer_progress;
mod transport_security;
mod uploads;

pub use client::{Client, ClientOptions};
pub use connection::{ConnectionSettings, RetryPolicy};
pub use credentials::{AccountKey, CredentialVault, MemoryVault, SignInSecret, Vault, VaultError};
pub use endpoint_list::{EndpointSource, RegionEndpoints, ServerEndpoints, ServiceEndpoint};
pub use error::{CoreError, ServerCode};
pub use export::{ExportLanguage, ExportedChat};
pub use model::{
    ChatCreation, ChatMessage, ChatSummary, ConnectionState, CoreEvent, MemberRead,
    MessageAttachment, MessageState, NamedService, OlderPage, Person, Profile, Service,
    ServiceHealth, ServiceRole, ServiceState, ServiceStatus, SessionInfo, TransferFile, Transport,
};
pub use remembered_account::RememberedAccount;
