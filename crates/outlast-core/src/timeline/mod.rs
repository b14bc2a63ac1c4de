//! The signed-in account's picture of its chats and messages, and the events each change causes.
//!
//! It lives in memory, filled from the server and the store (the offline cache); every method
//! is one state change that returns the events to announce. The user's own messages are in
//! `own.rs`.

use std::collections::HashMap;

use crate::domain::{self, Cursor, Message};

use crate::model::{
    ChatCreation, ChatMessage, ChatSummary, CoreEvent, MemberRead, MessageAttachment, MessageState,
    Person, Profile,
};
use crate::store::ChatMembers;

mod own;

struct Chat {
    chat_id: String,
    title: String,
    member_names: Vec<String>,
    /// Members by id (empty when not known yet: a provisional chat, or a cache from before ids
    /// were kept).
    member_ids: Vec<String>,
    /// How far other members have read: user id → message id (ids sort in storage order).
    read: HashMap<String, String>,
    /// Oldest first, in the order the server stored them; pending own messages at the end.
    messages: Vec<ChatMessage>,
    unread_count: u32,
    /// Whether the server's recent history has been fetched (the list only carries the last one).
    history_loaded: bool,
    /// The user silenced this chat (no notifications); a local choice.
    muted: bool,
    /// The user keeps this chat at the top of the list; a local choice.
    pinned: bool,
    /// Started here and not yet made on the server.
    creation: Option<ChatCreation>,
}

/// A server may not move the sync cursor further than this in one event: a sequence number that
/// jumps billions ahead is a broken or hostile server, and following it would make every later
/// resume and catch-up skip everything.
const MAX_SEQ_JUMP: u64 = 1_000_000;

/// Chats this session has not heard of that incoming messages may create; beyond this a flood of
/// invented chat ids is dropped instead of growing memory without bound.
const MAX_PROVISIONAL_CHATS: usize = 1_000;

/// Messages kept in memory per chat; older ones stay on the server (and, with the store, on disk).
const MAX_MESSAGES_PER_CHAT: usize = 5_000;

/// A choice the user makes for a chat on this computer only (the server never hears of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocalFlag {
    /// No notifications.
    Muted,
    /// Kept at the top of the chat list.
    Pinned,
}

impl LocalFlag {
    fn of(self, chat: &mut Chat) -> &mut bool {
        match self {
            LocalFlag::Muted => &mut chat.muted,
            LocalFlag::Pinned => &mut chat.pinned,
        }
    }
}

pub(crate) struct Timeline {
    me: Profile,
    names: HashMap<String, String>,
    chats: Vec<Chat>,
    /// The chat the user is looking at: its new messages are not counted as unread.
    open_chat: Option<String>,
    /// Highest event sequence applied, for resume and catch-up.
    last_seq: u64,
    /// Chats created because a message arrived for an unknown chat id.
    provisional_chats: usize,
}

impl Timeline {
    pub fn new(me: Profile, chats: Vec<domain::Chat>) -> Self {
        let mut names: HashMap<String, String> = HashMap::new();
        names.insert(me.user_id.clone(), me.display_name.clone());
        for chat in &chats {
            for member in &chat.members {
                names.insert(member.user_id.clone(), member.display_name.clone());
            }
        }
        let mut timeline = Timeline {
            me,
            names,
            chats: Vec::new(),
            open_chat: None,
            last_seq: 0,
            provisional_chats: 0,
        };
        for info in chats {
            let messages = info
                .last_message
                .iter()
                .map(|record| timeline.message_from(record, None))
                .collect();
            timeline.chats.push(chat_of(info, messages));
        }
        timeline
    }

    /// The chats as the local cache last saw them: a cold start while the server cannot be asked.
    pub fn from_cache(me: Profile, chats: Vec<ChatSummary>) -> Self {
        let mut names: HashMap<String, String> = HashMap::new();
        names.insert(me.user_id.clone(), me.display_name.clone());
        for message in chats.iter().filter_map(|c| c.last_message.as_ref()) {
            names
                .entry(message.sender_id.clone())
                .or_insert_with(|| message.sender_name.clone());
        }
        Timeline {
            me,
            names,
            chats: chats
                .into_iter()
                .map(|c| Chat {
                    chat_id: c.chat_id,
                    title: c.title,
                    member_names: c.member_names,
                    member_ids: Vec::new(),
                    read: HashMap::new(),
                    messages: c.last_message.into_iter().collect(),
                    unread_count: c.unread_count,
                    history_loaded: false,
                    muted: c.muted,
                    pinned: c.pinned,
                    creation: c.creation,
                })
                .collect(),
            open_chat: None,
            last_seq: 0,
            provisional_chats: 0,
        }
    }

    /// Members and read marks as the cache last saw them (a start from the cache).
    pub fn set_members(&mut self, cached: Vec<ChatMembers>) {
        for entry in cached {
            if let Some(chat) = self.chat_mut(&entry.chat_id) {
                chat.member_ids = entry.member_ids;
                chat.read = entry.read;
            }
        }
    }

    /// The chat's other members with how far each has read, for per-message read counts:
    /// a message is unread by every member (its sender aside) whose mark sorts before its id.
    pub fn reads(&self, chat_id: &str) -> Option<Vec<MemberRead>> {
        let chat = self.chat(chat_id)?;
        Some(
            chat.member_ids
                .iter()
                .filter(|id| **id != self.me.user_id)
                .map(|id| MemberRead {
                    user_id: id.clone(),
                    display_name: self.name_of(id),
                    read_up_to: chat.read.get(id).cloned(),
                })
                .collect(),
        )
    }

    /// Apply the user's local choices (kept in the cache) to the chats the server listed.
    pub fn set_local_flags(&mut self, flag: LocalFlag, chat_ids: &[String]) {
        for chat in &mut self.chats {
            *flag.of(chat) = chat_ids.contains(&chat.chat_id);
        }
    }

    /// Mute or pin a chat (or undo it); announced when it changed.
    pub fn set_local_flag(&mut self, chat_id: &str, flag: LocalFlag, on: bool) -> Vec<CoreEvent> {
        let Some(chat) = self.chat_mut(chat_id) else {
            return Vec::new();
        };
        let flag = flag.of(chat);
        if *flag == on {
            return Vec::new();
        }
        *flag = on;
        vec![CoreEvent::ChatUpdated {
            chat: summary(chat),
        }]
    }

    /// The newest event applied: where the backend resumes.
    pub fn cursor(&self) -> Cursor {
        Cursor::from_backend(self.last_seq)
    }

    /// Start the cursor at the server's head (right after sign-in, with fresh chat data).
    pub fn start_at(&mut self, at: Cursor) {
        self.advance_seq(at.position());
    }

    /// The server no longer had every missed event: jump the cursor past the hole, and let each
    /// chat fetch its recent history again when opened, so nothing stays silently missing.
    pub fn history_skipped(&mut self, resumes_at: Cursor) {
        // Resume just before the first event the server still keeps.
        self.advance_seq(resumes_at.position().saturating_sub(1));
        for chat in &mut self.chats {
            chat.history_loaded = false;
        }
    }

    /// Chats, most recently active first.
    pub fn summaries(&self) -> Vec<ChatSummary> {
        let mut chats: Vec<&Chat> = self.chats.iter().collect();
        // Pinned chats first (the user's choice), each group by activity.
        chats.sort_by_key(|c| std::cmp::Reverse((c.pinned, last_activity(c))));
        chats.into_iter().map(summary).collect()
    }

    /// One chat's summary, without sorting the whole list (asked once per incoming message).
    pub fn summary_of(&self, chat_id: &str) -> Option<ChatSummary> {
        self.chat(chat_id).map(summary)
    }

    pub fn has_chat(&self, chat_id: &str) -> bool {
        self.chat(chat_id).is_some()
    }

    pub fn needs_history(&self, chat_id: &str) -> bool {
        self.chat(chat_id).is_some_and(|c| !c.history_loaded)
    }

    pub fn messages(&self, chat_id: &str) -> Vec<ChatMessage> {
        self.chat(chat_id)
            .map(|c| c.messages.clone())
            .unwrap_or_default()
    }

    /// Merge a page of server history with what is known locally (messages that arrived live
    /// meanwhile, pending own messages), without duplicates.
    pub fn load_history(&mut self, chat_id: &str, records: Vec<Message>) {
        let loaded: Vec<ChatMessage> = records.iter().map(|r| self.message_from(r, None)).collect();
        self.merge(chat_id, loaded, true);
    }

    /// Messages read from the local cache (while the server cannot be asked): shown, but the
    /// server's history is still fetched when it answers again.
    pub fn load_cached(&mut self, chat_id: &str, cached: Vec<ChatMessage>) {
        self.merge(chat_id, cached, false);
    }

    /// The display name of a user this session knows, else their id.
    pub fn name_of(&self, user_id: &str) -> String {
        self.names
            .get(user_id)
            .cloned()
            .unwrap_or_else(|| user_id.to_owned())
    }

    pub fn me(&self) -> &Profile {
        &self.me
    }

    fn merge(&mut self, chat_id: &str, loaded: Vec<ChatMessage>, complete: bool) {
        let Some(chat) = self.chat_mut(chat_id) else {
            return;
        };
        // The loaded page is in server order; what only this session knows is placed into it
        // without re-sorting by time (own messages carry the time they were written here, the
        // server's the time it stored them: the clocks must not be mixed).
        let mut merged = loaded;
        let mut extra = Vec::new();
        for local in chat.messages.drain(..) {
            match merged
                .iter_mut()
                .find(|m| m.same_as(&local) || same_server_id(m, &local))
            {
                // History pages carry no sequence numbers; keep the one this session learned,
                // so a late ack can still be placed in server order.
                Some(known) => known.seq = known.seq.or(local.seq),
                None => extra.push(local),
            }
        }
        for message in extra {
            let at = merged
                .iter()
                .position(|m| {
                    m.state == MessageState::Pending
                        || (message.state != MessageState::Pending
                            && matches!((m.seq, message.seq), (Some(a), Some(b)) if a > b))
                })
                .filter(|_| message.state != MessageState::Pending)
                .unwrap_or(merged.len());
            merged.insert(at, message);
        }
        chat.messages = merged;
        chat.history_loaded |= complete;
    }

    /// The user is now looking at `chat_id`.
    pub fn open(&mut self, chat_id: &str) -> Vec<CoreEvent> {
        self.open_chat = Some(chat_id.to_owned());
        match self.chat_mut(chat_id) {
            Some(chat) if chat.unread_count > 0 => {
                chat.unread_count = 0;
                vec![CoreEvent::ChatUpdated {
                    chat: summary(chat),
                }]
            }
            _ => Vec::new(),
        }
    }

    /// A chat the user just started (or joined): listed, with its members' names known.
    pub fn add_chat(&mut self, info: domain::Chat) -> Vec<CoreEvent> {
        for member in &info.members {
            self.names
                .insert(member.user_id.clone(), member.display_name.clone());
        }
        if self.has_chat(&info.chat_id) {
            return Vec::new();
        }
        let chat = chat_of(info, Vec::new());
        let event = CoreEvent::ChatUpdated {
            chat: summary(&chat),
        };
        self.chats.push(chat);
        vec![event]
    }

    /// Everyone this session knows by name (members of the user's chats), the user aside.
    pub fn people(&self) -> Vec<Person> {
        let mut people: Vec<Person> = self
            .names
            .iter()
            .filter(|(id, _)| **id != self.me.user_id)
            .map(|(id, name)| Person {
                user_id: id.clone(),
                display_name: name.clone(),
            })
            .collect();
        people.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        people
    }

    /// The oldest message of `chat_id` on screen that the server has stored (where scrolling
    /// back continues from).
    pub fn oldest_stored(&self, chat_id: &str) -> Option<String> {
        self.chat(chat_id)?
            .messages
            .iter()
            .find_map(|m| m.msg_id.clone())
    }

    /// Server records as messages of this session.
    pub fn messages_from(&self, records: &[Message]) -> Vec<ChatMessage> {
        records.iter().map(|r| self.message_from(r, None)).collect()
    }

    /// Older messages scrolled back to: shown above the rest, each once.
    pub fn prepend_older(&mut self, chat_id: &str, older: &[ChatMessage]) -> Vec<CoreEvent> {
        if let Some(chat) = self.chat_mut(chat_id) {
            let fresh: Vec<ChatMessage> = older
                .iter()
                .filter(|o| !chat.messages.iter().any(|m| m.same_as(o)))
                .cloned()
                .collect();
            chat.messages.splice(0..0, fresh);
        }
        Vec::new()
    }

    /// Messages that filled a gap: shown just before message `upper` (at the end of what the
    /// server stored, when `None`), each once.
    pub fn insert_before(
        &mut self,
        chat_id: &str,
        upper: Option<&str>,
        filled: &[ChatMessage],
    ) -> Vec<CoreEvent> {
        if let Some(chat) = self.chat_mut(chat_id) {
            let fresh: Vec<ChatMessage> = filled
                .iter()
                .filter(|f| !chat.messages.iter().any(|m| m.same_as(f)))
                .cloned()
                .collect();
            let at = chat
                .messages
                .iter()
                .position(|m| match upper {
                    Some(upper) => m.msg_id.as_deref() == Some(upper),
                    None => m.state == MessageState::Pending,
                })
                .unwrap_or(chat.messages.len());
            chat.messages.splice(at..at, fresh);
        }
        Vec::new()
    }

    /// The newest message of `chat_id` the server has stored (what "read up to here" names).
    pub fn newest_stored(&self, chat_id: &str) -> Option<String> {
        self.chat(chat_id)?
            .messages
            .iter()
            .rev()
            .find_map(|m| m.msg_id.clone())
    }

    /// The user read `chat_id`: `unread` messages remain unread (none, when read to the end).
    pub fn set_unread(&mut self, chat_id: &str, unread: u32) -> Vec<CoreEvent> {
        match self.chat_mut(chat_id) {
            Some(chat) if chat.unread_count != unread => {
                chat.unread_count = unread;
                vec![CoreEvent::ChatUpdated {
                    chat: summary(chat),
                }]
            }
            _ => Vec::new(),
        }
    }

    /// A read mark from the server: another member read up to `msg_id` (announced for read
    /// counts), or this user did on another device (the unread count follows).
    pub fn read_by(
        &mut self,
        at: Cursor,
        chat_id: &str,
        user_id: &str,
        msg_id: &str,
    ) -> Vec<CoreEvent> {
        self.advance_seq(at.position());
        if user_id != self.me.user_id {
            let Some(chat) = self.chat_mut(chat_id) else {
                return Vec::new();
            };
            // Marks only move forward; a replayed or reordered event must not undo a newer one.
            match chat.read.get(user_id) {
                Some(known) if known.as_str() >= msg_id => return Vec::new(),
                _ => {
                    chat.read.insert(user_id.to_owned(), msg_id.to_owned());
                }
            }
            return vec![CoreEvent::ReadMarkMoved {
                chat_id: chat_id.to_owned(),
                user_id: user_id.to_owned(),
                msg_id: msg_id.to_owned(),
            }];
        }
        let Some(chat) = self.chat(chat_id) else {
            return Vec::new();
        };
        let Some(at) = chat
            .messages
            .iter()
            .position(|m| m.msg_id.as_deref() == Some(msg_id))
        else {
            return Vec::new();
        };
        let after = chat.messages[at + 1..]
            .iter()
            .filter(|m| !m.own && m.msg_id.is_some())
            .count();
        let unread = chat.unread_count.min(after.try_into().unwrap_or(u32::MAX));
        self.set_unread(chat_id, unread)
    }

    /// A message event from the server. Applied once however often it arrives.
    pub fn apply_remote(&mut self, at: Cursor, record: &Message) -> Vec<CoreEvent> {
        let seq = at.position();
        self.advance_seq(seq);
        let own = record.sender_id == self.me.user_id;
        if own {
            if let Some(client_msg_id) = &record.client_msg_id {
                let known = self.chat(&record.chat_id).is_some_and(|c| {
                    c.messages
                        .iter()
                        .any(|m| m.client_msg_id.as_deref() == Some(client_msg_id))
                });
                if known {
                    return self.mark_sent(client_msg_id, record.msg_id.clone(), at);
                }
            }
        }
        let message = self.message_from(record, Some(seq));
        if !self.has_chat(&record.chat_id) {
            if self.provisional_chats >= MAX_PROVISIONAL_CHATS {
                tracing::warn!(chat_id = %record.chat_id, "dropping a message for yet another unknown chat");
                return Vec::new();
            }
            self.provisional_chats += 1;
            // A chat this session has not heard of (created elsewhere): keep the message under a
            // provisional entry rather than drop it; the next chat list refresh names it.
            self.chats.push(Chat {
                chat_id: record.chat_id.clone(),
                title: message.sender_name.clone(),
                member_names: vec![message.sender_name.clone()],
                member_ids: Vec::new(),
                read: HashMap::new(),
                messages: Vec::new(),
                unread_count: 0,
                history_loaded: false,
                muted: false,
                pinned: false,
                creation: None,
            });
        }
        let is_open = self.open_chat.as_deref() == Some(record.chat_id.as_str());
        let Some(chat) = self.chat_mut(&record.chat_id) else {
            return Vec::new();
        };
        if chat
            .messages
            .iter()
            .any(|m| m.msg_id.as_deref() == Some(record.msg_id.as_str()))
        {
            return Vec::new();
        }
        // In server order even when events arrive out of order; pending own messages stay after
        // everything the server has stored.
        let at = chat
            .messages
            .iter()
            .position(|m| m.state == MessageState::Pending || m.seq.is_some_and(|s| s > seq))
            .unwrap_or(chat.messages.len());
        chat.messages.insert(at, message.clone());
        if chat.messages.len() > MAX_MESSAGES_PER_CHAT {
            let excess = chat.messages.len() - MAX_MESSAGES_PER_CHAT;
            chat.messages.drain(..excess);
        }
        if !own && !is_open {
            chat.unread_count = chat.unread_count.saturating_add(1);
        }
        vec![
            CoreEvent::MessageAdded { message },
            CoreEvent::ChatUpdated {
                chat: summary(chat),
            },
        ]
    }

    fn advance_seq(&mut self, seq: u64) {
        if seq > self.last_seq.saturating_add(MAX_SEQ_JUMP) {
            tracing::warn!(
                seq,
                cursor = self.last_seq,
                "ignoring an implausible jump of the event sequence"
            );
            return;
        }
        self.last_seq = self.last_seq.max(seq);
    }

    fn message_from(&self, record: &Message, seq: Option<u64>) -> ChatMessage {
        ChatMessage {
            client_msg_id: record.client_msg_id.clone(),
            msg_id: Some(record.msg_id.clone()),
            chat_id: record.chat_id.clone(),
            sender_id: record.sender_id.clone(),
            sender_name: self
                .names
                .get(&record.sender_id)
                .cloned()
                .unwrap_or_else(|| record.sender_id.clone()),
            body: record.body.clone(),
            sent_at_ms: record.sent_at_ms,
            seq,
            state: MessageState::Sent,
            failure: None,
            own: record.sender_id == self.me.user_id,
            attachments: record
                .attachments
                .iter()
                .map(crate::domain::Attachment::shown)
                .collect(),
        }
    }

    fn chat(&self, chat_id: &str) -> Option<&Chat> {
        self.chats.iter().find(|c| c.chat_id == chat_id)
    }

    fn chat_mut(&mut self, chat_id: &str) -> Option<&mut Chat> {
        self.chats.iter_mut().find(|c| c.chat_id == chat_id)
    }
}

fn same_server_id(a: &ChatMessage, b: &ChatMessage) -> bool {
    a.msg_id.is_some() && a.msg_id == b.msg_id
}

fn last_activity(chat: &Chat) -> u64 {
    chat.messages.last().map(|m| m.sent_at_ms).unwrap_or(0)
}

/// A chat as the server describes it, showing `messages`; nothing read or flagged locally yet.
fn chat_of(info: domain::Chat, messages: Vec<ChatMessage>) -> Chat {
    Chat {
        member_names: info
            .members
            .iter()
            .map(|m| m.display_name.clone())
            .collect(),
        member_ids: info.members.iter().map(|m| m.user_id.clone()).collect(),
        read: marks_of(&info),
        chat_id: info.chat_id,
        title: info.title,
        messages,
        unread_count: 0,
        history_loaded: false,
        muted: false,
        pinned: false,
        creation: None,
    }
}

/// Other members' read marks as the server listed them.
fn marks_of(info: &domain::Chat) -> HashMap<String, String> {
    info.read_marks
        .iter()
        .map(|m| (m.user_id.clone(), m.msg_id.clone()))
        .collect()
}

fn summary(chat: &Chat) -> ChatSummary {
    ChatSummary {
        chat_id: chat.chat_id.clone(),
        title: chat.title.clone(),
        member_names: chat.member_names.clone(),
        last_message: chat.messages.last().cloned(),
        unread_count: chat.unread_count,
        muted: chat.muted,
        pinned: chat.pinned,
        creation: chat.creation.clone(),
    }
}

mod chats;
#[cfg(test)]
mod tests;
