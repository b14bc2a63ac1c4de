//! The in-memory server's data: accounts, chats, messages, each account's event log, stored
//! files, and the idempotency keys it has seen. Plain data with the server's rules; no I/O.

use std::collections::{BTreeMap, HashMap};

use crate::domain::{Attachment, Chat, Cursor, HistoryPage, MemberReadMark, Message, RemoteEvent};
use crate::model::Profile;

/// Longest message body, in characters (the server's limit).
const MAX_BODY_CHARS: usize = super::LIMITS.max_body_chars;

#[derive(Default)]
pub(super) struct State {
    pub users: BTreeMap<String, Profile>,
    chats: BTreeMap<String, ChatState>,
    logs: HashMap<String, Log>,
    /// (sender, idempotency key) → the stored message's id and its cursor in the sender's log.
    sent: HashMap<(String, String), (String, Cursor)>,
    /// Stored files: what a message references, who uploaded it, the bytes.
    media: HashMap<String, (Attachment, String, Vec<u8>)>,
    next_id: u64,
    clock_ms: u64,
    /// How many events each account's log keeps (`None`: all).
    pub log_limit: Option<usize>,
    pub sign_ins: super::sign_in::SignIns,
}

struct ChatState {
    title: String,
    /// Who made it (the first member).
    creator: String,
    members: Vec<String>,
    messages: Vec<Message>,
    /// Each member's read mark: (message id, when that message was stored).
    marks: BTreeMap<String, (String, u64)>,
}

/// One account's events; event `i` of `events` is at cursor `first + i`.
#[derive(Default)]
struct Log {
    /// The cursor of the oldest event still kept (1 for a log never trimmed).
    first: u64,
    events: Vec<RemoteEvent>,
}

impl Log {
    fn head(&self) -> Cursor {
        Cursor::from_backend((self.first + self.events.len() as u64).saturating_sub(1))
    }
}

/// What the server answers to a submitted message.
pub(super) enum Stored {
    /// Stored now, or earlier under the same key (then the same id and cursor again).
    Ok { msg_id: String, at: Cursor },
    /// Never stored: the reason, in words for the user.
    Refused(String),
}

/// Events after a cursor, and whether some were trimmed away first.
pub(super) struct EventsAfter {
    /// Set when events after the cursor are gone: the first cursor still kept.
    pub gap: Option<Cursor>,
    pub events: Vec<(Cursor, RemoteEvent)>,
}

impl State {
    pub fn add_user(&mut self, user_id: &str, display_name: &str) {
        self.users.insert(
            user_id.to_owned(),
            Profile {
                user_id: user_id.to_owned(),
                display_name: display_name.to_owned(),
            },
        );
        self.logs.entry(user_id.to_owned()).or_insert(Log {
            first: 1,
            events: Vec::new(),
        });
    }

    pub fn is_user(&self, user_id: &str) -> bool {
        self.users.contains_key(user_id)
    }

    pub fn head(&self, user_id: &str) -> Cursor {
        self.logs.get(user_id).map_or(Cursor::START, Log::head)
    }

    /// A new chat with `members` (ids this server knows; the first is its creator); each member
    /// learns of it. With a client-chosen `chat_id`, the same creator asking again gets the chat
    /// made the first time, announced once.
    pub fn create_chat(
        &mut self,
        title: &str,
        members: &[String],
        chat_id: Option<&str>,
    ) -> Result<String, String> {
        if members.is_empty() {
            return Err("a chat needs at least one member".into());
        }
        if let Some(id) = chat_id {
            // The same rule as for a message's key.
            outlast_protocol::validate_client_msg_id(id)
                .map_err(|e| format!("not a valid chat id {id:?}: {e}"))?;
            if let Some(existing) = self.chats.get(id) {
                return if existing.creator == members[0] {
                    Ok(id.to_owned())
                } else {
                    Err(format!("the chat id {id:?} is taken"))
                };
            }
        }
        if let Some(unknown) = members.iter().find(|m| !self.is_user(m)) {
            return Err(format!("no such user: {unknown}"));
        }
        let chat_id = match chat_id {
            Some(id) => id.to_owned(),
            None => format!("c-mem-{}", self.next_id()),
        };
        let mut unique: Vec<String> = Vec::new();
        for member in members {
            if !unique.contains(member) {
                unique.push(member.clone());
            }
        }
        self.chats.insert(
            chat_id.clone(),
            ChatState {
                title: title.to_owned(),
                creator: members[0].clone(),
                members: unique,
                messages: Vec::new(),
                marks: BTreeMap::new(),
            },
        );
        let members = self.members(&chat_id);
        for member in &members {
            if let Some(chat) = self.chat_for(&chat_id, member) {
                self.append(member, RemoteEvent::ChatUpdated(chat));
            }
        }
        Ok(chat_id)
    }

    /// `user_id` renames `chat_id`; every member hears of it.
    pub fn rename_chat(&mut self, user_id: &str, chat_id: &str, title: &str) -> Result<(), String> {
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 100 {
            return Err("a chat title must be 1 to 100 characters".into());
        }
        match self.chats.get_mut(chat_id) {
            Some(chat) if chat.members.iter().any(|m| m == user_id) => {
                chat.title = title.to_owned()
            }
            _ => return Err(format!("no such chat: {chat_id}")),
        }
        for member in self.members(chat_id) {
            if let Some(chat) = self.chat_for(chat_id, &member) {
                self.append(&member, RemoteEvent::ChatUpdated(chat));
            }
        }
        Ok(())
    }

    /// The chats `user_id` belongs to.
    pub fn chats_of(&self, user_id: &str) -> Vec<Chat> {
        self.chats
            .iter()
            .filter(|(_, c)| c.members.iter().any(|m| m == user_id))
            .filter_map(|(id, _)| self.chat_for(id, user_id))
            .collect()
    }

    pub fn is_member(&self, chat_id: &str, user_id: &str) -> bool {
        self.chats
            .get(chat_id)
            .is_some_and(|c| c.members.iter().any(|m| m == user_id))
    }

    /// Whether a message from `sender` under `key` is stored.
    pub fn was_stored(&self, sender: &str, key: &str) -> bool {
        self.sent.contains_key(&(sender.to_owned(), key.to_owned()))
    }

    /// Store a message once per (sender, key), however often it is submitted.
    pub fn submit(
        &mut self,
        sender: &str,
        key: &str,
        chat_id: &str,
        body: &str,
        attachments: &[Attachment],
    ) -> Stored {
        if let Some((msg_id, at)) = self.sent.get(&(sender.to_owned(), key.to_owned())) {
            return Stored::Ok {
                msg_id: msg_id.clone(),
                at: *at,
            };
        }
        if !self.is_member(chat_id, sender) {
            return Stored::Refused(format!("you are not a member of chat {chat_id}"));
        }
        if body.trim().is_empty() && attachments.is_empty() {
            return Stored::Refused("the message is empty".into());
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Stored::Refused(format!(
                "the message is longer than {MAX_BODY_CHARS} characters"
            ));
        }
        if let Some(missing) = attachments
            .iter()
            .find(|a| !self.media.contains_key(&a.media_id))
        {
            return Stored::Refused(format!("no stored file {}", missing.media_id));
        }
        let message = Message {
            msg_id: format!("m-{:010}", self.next_id()),
            chat_id: chat_id.to_owned(),
            sender_id: sender.to_owned(),
            client_msg_id: Some(key.to_owned()),
            body: body.to_owned(),
            sent_at_ms: self.tick(),
            attachments: attachments.to_vec(),
        };
        let msg_id = message.msg_id.clone();
        if let Some(chat) = self.chats.get_mut(chat_id) {
            chat.messages.push(message.clone());
        }
        self.announce(chat_id, RemoteEvent::MessageCreated(message));
        let at = self.head(sender);
        self.sent
            .insert((sender.to_owned(), key.to_owned()), (msg_id.clone(), at));
        Stored::Ok { msg_id, at }
    }

    /// `user_id` read `chat_id` up to `msg_id`; marks only move forward.
    pub fn read_mark(&self, user_id: &str, chat_id: &str) -> Option<String> {
        let (msg_id, _) = self.chats.get(chat_id)?.marks.get(user_id)?;
        Some(msg_id.clone())
    }

    pub fn mark_read(&mut self, user_id: &str, chat_id: &str, msg_id: &str) -> Result<(), String> {
        let Some(chat) = self.chats.get_mut(chat_id) else {
            return Err(format!("no such chat: {chat_id}"));
        };
        if !chat.members.iter().any(|m| m == user_id) {
            return Err(format!("you are not a member of chat {chat_id}"));
        }
        let Some(read) = chat.messages.iter().find(|m| m.msg_id == msg_id) else {
            return Err(format!("no message {msg_id} in chat {chat_id}"));
        };
        let sent_at_ms = read.sent_at_ms;
        if chat
            .marks
            .get(user_id)
            .is_some_and(|(known, _)| known.as_str() >= msg_id)
        {
            return Ok(());
        }
        chat.marks
            .insert(user_id.to_owned(), (msg_id.to_owned(), sent_at_ms));
        self.announce(
            chat_id,
            RemoteEvent::ReadWatermark {
                chat_id: chat_id.to_owned(),
                user_id: user_id.to_owned(),
                msg_id: msg_id.to_owned(),
            },
        );
        Ok(())
    }

    pub fn history(
        &self,
        user_id: &str,
        chat_id: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<HistoryPage, String> {
        let Some(chat) = self.chats.get(chat_id) else {
            return Err(format!("no such chat: {chat_id}"));
        };
        if !chat.members.iter().any(|m| m == user_id) {
            return Err(format!("you are not a member of chat {chat_id}"));
        }
        let end = match before {
            Some(before) => chat
                .messages
                .partition_point(|m| m.msg_id.as_str() < before),
            None => chat.messages.len(),
        };
        let start = end.saturating_sub(limit);
        Ok(HistoryPage {
            messages: chat.messages[start..end].to_vec(),
            has_more: start > 0,
        })
    }

    pub fn store_file(
        &mut self,
        owner: &str,
        name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> Attachment {
        let attachment = Attachment {
            media_id: format!("f-{:010}", self.next_id()),
            name: name.to_owned(),
            size: bytes.len() as u64,
            mime: mime.to_owned(),
        };
        self.media.insert(
            attachment.media_id.clone(),
            (attachment.clone(), owner.to_owned(), bytes),
        );
        attachment
    }

    /// A stored file, if `user_id` may see it: its uploader, or a member of a chat where a
    /// message references it.
    pub fn file(&self, user_id: &str, media_id: &str) -> Option<&[u8]> {
        let (_, owner, bytes) = self.media.get(media_id)?;
        let shared = || {
            self.chats.values().any(|c| {
                c.members.iter().any(|m| m == user_id)
                    && c.messages
                        .iter()
                        .any(|m| m.attachments.iter().any(|a| a.media_id == media_id))
            })
        };
        (owner == user_id || shared()).then_some(bytes.as_slice())
    }

    /// Up to `limit` of `user_id`'s events after `after`.
    pub fn events_after(&self, user_id: &str, after: Cursor, limit: usize) -> EventsAfter {
        let Some(log) = self.logs.get(user_id) else {
            return EventsAfter {
                gap: None,
                events: Vec::new(),
            };
        };
        let next = after.position() + 1;
        let gap = (next < log.first).then(|| Cursor::from_backend(log.first));
        let from = next.max(log.first);
        let skip = (from - log.first) as usize;
        let events = log
            .events
            .iter()
            .enumerate()
            .skip(skip)
            .take(limit)
            .map(|(i, e)| (Cursor::from_backend(log.first + i as u64), e.clone()))
            .collect();
        EventsAfter { gap, events }
    }

    /// Forget all but the newest `keep` events of `user_id`'s log (a server that keeps a
    /// bounded log: a client further behind gets a gap).
    pub fn trim_log(&mut self, user_id: &str, keep: usize) {
        if let Some(log) = self.logs.get_mut(user_id) {
            let drop = log.events.len().saturating_sub(keep);
            log.events.drain(..drop);
            log.first += drop as u64;
        }
    }

    /// `chat_id` as `viewer` sees it: a direct chat (two members) is titled after the other
    /// person, as protocol v1's servers do.
    pub fn chat_for(&self, chat_id: &str, viewer: &str) -> Option<Chat> {
        let chat = self.chats.get(chat_id)?;
        let other = match chat.members.as_slice() {
            [a, b] if a == viewer => self.users.get(b),
            [a, b] if b == viewer => self.users.get(a),
            _ => None,
        };
        Some(Chat {
            chat_id: chat_id.to_owned(),
            title: other.map_or_else(|| chat.title.clone(), |p| p.display_name.clone()),
            members: chat
                .members
                .iter()
                .filter_map(|m| self.users.get(m).cloned())
                .collect(),
            last_message: chat.messages.last().cloned(),
            read_marks: chat
                .marks
                .iter()
                .map(|(user_id, (msg_id, sent_at_ms))| MemberReadMark {
                    user_id: user_id.clone(),
                    msg_id: msg_id.clone(),
                    sent_at_ms: *sent_at_ms,
                })
                .collect(),
        })
    }

    fn members(&self, chat_id: &str) -> Vec<String> {
        self.chats
            .get(chat_id)
            .map(|c| c.members.clone())
            .unwrap_or_default()
    }

    /// Append `event` to the log of every member of `chat_id`.
    fn announce(&mut self, chat_id: &str, event: RemoteEvent) {
        for member in self.members(chat_id) {
            self.append(&member, event.clone());
        }
    }

    fn append(&mut self, user_id: &str, event: RemoteEvent) {
        let log = self.logs.entry(user_id.to_owned()).or_insert(Log {
            first: 1,
            events: Vec::new(),
        });
        log.events.push(event);
        if let Some(limit) = self.log_limit {
            if log.events.len() > limit {
                let drop = log.events.len() - limit;
                log.events.drain(..drop);
                log.first += drop as u64;
            }
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Server time: strictly increasing, so messages sort by it as they were stored.
    fn tick(&mut self) -> u64 {
        self.clock_ms = self.clock_ms.max(crate::clock::now_ms()).saturating_add(1);
        self.clock_ms
    }
}
