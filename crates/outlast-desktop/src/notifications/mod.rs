//! New-message notifications: which messages deserve one ([`rules`]), how a burst becomes one
//! pop-up ([`batcher`]) and how it reaches the OS ([`desktop`], notify-rust).

pub mod batcher;
pub mod desktop;
pub mod pump;
pub mod rules;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use batcher::{Batcher, BatcherHandle};
pub use desktop::DesktopNotifier;
pub use pump::pump;
pub use rules::{compose, decide, Context, Decision, Suppressed};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct NotificationSettings {
    /// Notifications at all.
    pub enabled: bool,
    /// Nothing pops up; unread counts still grow.
    pub do_not_disturb: bool,
    /// Show who wrote what; off: only that something arrived.
    pub show_previews: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            enabled: true,
            do_not_disturb: false,
            show_previews: true,
        }
    }
}

/// A message from someone else, as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub chat_id: String,
    pub chat_title: String,
    /// Two-person chats are titled after the other person: then the title says who wrote.
    pub direct: bool,
    pub sender_name: String,
    pub body: String,
    pub muted: bool,
    /// It @mentions the user (see [`outlast_core::mentions`]): it notifies even in a muted chat.
    pub mentions_me: bool,
}

/// One pop-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
    /// The chat a click opens; `None` opens the app (messages in several chats).
    pub open_chat: Option<String>,
}

/// Where notices go: the OS (notify-rust), or a test's recorder.
pub trait Notifier: Send + Sync + 'static {
    fn show(&self, notice: Notice);
}

/// The message in `event`, if it is one that may notify: a new message from someone else.
/// `chat` is the chat's current summary (title, members, mute); `my_name` the user's display
/// name (for mentions).
pub fn incoming(
    event: &outlast_core::CoreEvent,
    chat: Option<&outlast_core::ChatSummary>,
    my_name: Option<&str>,
) -> Option<Incoming> {
    let outlast_core::CoreEvent::MessageAdded { message } = event else {
        return None;
    };
    if message.own {
        return None;
    }
    Some(Incoming {
        chat_id: message.chat_id.clone(),
        chat_title: chat.map_or_else(|| message.sender_name.clone(), |c| c.title.clone()),
        direct: chat.is_some_and(|c| c.member_names.len() <= 2),
        sender_name: message.sender_name.clone(),
        body: message.body.clone(),
        muted: chat.is_some_and(|c| c.muted),
        mentions_me: my_name
            .is_some_and(|name| outlast_core::mentions::mentions(&message.body, name)),
    })
}
