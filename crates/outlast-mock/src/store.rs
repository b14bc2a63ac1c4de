//! The backend's shared in-memory state: users, chats, messages, per-user event sequences and the
//! live gateway sessions events are pushed to. Every listener (HTTP API, gateways) works on this one
//! store, so a message sent through any of them is seen through all of them.

use std::collections::{BTreeMap, HashMap, VecDeque};

use outlast_protocol::{
    validate_body, validate_client_msg_id, ApiError, Attachment, ChatInfo, ErrorCode, EventGap,
    EventPayload, MemberReadMark, MessageRecord, RefreshToken, SequencedEvent, ServerFrame,
    UserProfile, MAX_CHAT_MEMBERS, MAX_TITLE_CHARS,
};
use tokio::sync::{mpsc, watch};

pub(crate) struct UserSeed<'a> {
    pub user_id: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    /// Simulated users answer messages from real ones (see `peer.rs`).
    pub simulated: bool,
}

struct User {
    profile: UserProfile,
    simulated: bool,
}

struct Chat {
    title: String,
    members: Vec<String>,
    messages: Vec<MessageRecord>,
}

/// A gateway connection that events are pushed to.
struct Session {
    user_id: String,
    /// Bounded so a client that stops reading cannot grow the server's memory; when it is full the
    /// session is dropped and the client must reconnect.
    outbound: mpsc::Sender<ServerFrame>,
}

/// A message accepted by [`Store::post_message`].
#[derive(Debug, Clone)]
pub(crate) struct Posted {
    pub record: MessageRecord,
    /// The event's position in the sender's own sequence (what `ack` reports).
    pub sender_seq: u64,
    /// True when the same (sender, client_msg_id) was stored before: nothing new was created.
    pub duplicate: bool,
}

/// Sessions remembered for resume after their connection ends.
const MAX_RESUMABLE_SESSIONS: usize = 100_000;

/// A stored attachment.
pub(crate) struct Blob {
    pub attachment: Attachment,
    pub owner: String,
    pub bytes: Vec<u8>,
}

/// A user's recent events, for resume and REST sync. Bounded: a long outage really does outrun
/// it, which forces clients into paged catch-up and gap handling.
#[derive(Default)]
struct EventLog {
    events: VecDeque<SequencedEvent>,
    /// Ticks to the latest seq, so long-polls wake when something arrives.
    latest: Option<watch::Sender<u64>>,
}

pub(crate) struct Store {
    users: HashMap<String, User>,
    user_ids_by_name: HashMap<String, String>,
    chats: BTreeMap<String, Chat>,
    /// Who made each chat whose id a client chose (so asking again is idempotent).
    chat_creators: HashMap<String, String>,
    /// Last event sequence number issued per user.
    seqs: HashMap<String, u64>,
    /// Idempotency table: (sender, client_msg_id) -> (msg_id, sender_seq).
    accepted: HashMap<(String, String), (String, u64)>,
    refresh_tokens: HashMap<String, String>,
    /// A content policy for tests: messages containing any of these are refused for good.
    refused_content: Vec<String>,
    sessions: HashMap<String, Session>,
    /// Session ids that may be resumed, with their user.
    resumable: HashMap<String, String>,
    logs: HashMap<String, EventLog>,
    /// How many events each user's log keeps.
    replay_limit: usize,
    /// Read watermarks: (chat, user) -> msg_id.
    read: HashMap<(String, String), String>,
    /// Read-mark requests taken, per user (whether or not they moved the mark).
    read_requests: HashMap<String, usize>,
    media: HashMap<String, Blob>,
    next_msg_number: u64,
}

impl Default for Store {
    fn default() -> Self {
        Store::new(1_000)
    }
}

impl Store {
    pub fn new(replay_limit: usize) -> Self {
        Store {
            users: HashMap::new(),
            user_ids_by_name: HashMap::new(),
            chats: BTreeMap::new(),
            chat_creators: HashMap::new(),
            seqs: HashMap::new(),
            accepted: HashMap::new(),
            refresh_tokens: HashMap::new(),
            refused_content: Vec::new(),
            sessions: HashMap::new(),
            resumable: HashMap::new(),
            logs: HashMap::new(),
            replay_limit: replay_limit.max(1),
            read: HashMap::new(),
            read_requests: HashMap::new(),
            media: HashMap::new(),
            next_msg_number: 0,
        }
    }

    pub fn add_user(&mut self, seed: UserSeed<'_>) {
        self.user_ids_by_name
            .insert(seed.username.to_owned(), seed.user_id.to_owned());
        self.users.insert(
            seed.user_id.to_owned(),
            User {
                profile: UserProfile {
                    user_id: seed.user_id.to_owned(),
                    display_name: seed.display_name.to_owned(),
                },
                simulated: seed.simulated,
            },
        );
    }

    pub fn add_chat(&mut self, chat_id: &str, title: &str, members: &[&str]) {
        self.chats.insert(
            chat_id.to_owned(),
            Chat {
                title: title.to_owned(),
                members: members.iter().map(|m| (*m).to_owned()).collect(),
                messages: Vec::new(),
            },
        );
    }

    /// History from before any client connected: stored without events.
    pub fn seed_message(
        &mut self,
        chat_id: &str,
        sender_id: &str,
        body: &str,
        sent_at_ms: u64,
    ) -> Result<(), ApiError> {
        let msg_id = self.next_msg_id();
        let chat = self.member_chat(chat_id, sender_id)?;
        chat.messages.push(MessageRecord {
            msg_id,
            chat_id: chat_id.to_owned(),
            sender_id: sender_id.to_owned(),
            client_msg_id: None,
            body: body.to_owned(),
            sent_at_ms,
            attachments: Vec::new(),
        });
        Ok(())
    }

    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    pub fn message_count(&self) -> usize {
        self.chats.values().map(|c| c.messages.len()).sum()
    }

    /// Chats `user_id` is in, as (chat id, member ids).
    pub fn memberships(&self, user_id: &str) -> Vec<(String, Vec<String>)> {
        self.chats
            .iter()
            .filter(|(_, c)| c.members.iter().any(|m| m == user_id))
            .map(|(id, c)| (id.clone(), c.members.clone()))
            .collect()
    }

    /// Users the simulated traffic may write as.
    pub fn simulated_users(&self) -> Vec<String> {
        let mut users: Vec<String> = self
            .users
            .iter()
            .filter(|(_, u)| u.simulated)
            .map(|(id, _)| id.clone())
            .collect();
        users.sort();
        users
    }

    pub fn user_id_for_username(&self, username: &str) -> Option<&str> {
        self.user_ids_by_name.get(username).map(String::as_str)
    }

    pub fn profile(&self, user_id: &str) -> Option<&UserProfile> {
        self.users.get(user_id).map(|u| &u.profile)
    }

    pub fn is_simulated(&self, user_id: &str) -> bool {
        self.users.get(user_id).is_some_and(|u| u.simulated)
    }

    pub fn issue_refresh_token(&mut self, user_id: &str) -> RefreshToken {
        let token = format!("r-{}", uuid::Uuid::new_v4().simple());
        self.refresh_tokens
            .insert(token.clone(), user_id.to_owned());
        RefreshToken::new(token)
    }

    /// Every stored message body of `chat_id`, in the order stored.
    pub fn bodies_of(&self, chat_id: &str) -> Vec<String> {
        self.chats
            .get(chat_id)
            .map(|c| c.messages.iter().map(|m| m.body.clone()).collect())
            .unwrap_or_default()
    }

    /// Where `user_id` has read `chat_id` up to.
    pub fn read_mark(&self, user_id: &str, chat_id: &str) -> Option<String> {
        self.read
            .get(&(chat_id.to_owned(), user_id.to_owned()))
            .cloned()
    }

    /// How many read-mark requests `user_id` made.
    pub fn read_requests(&self, user_id: &str) -> usize {
        self.read_requests.get(user_id).copied().unwrap_or(0)
    }

    /// Every stored message id of `chat_id`, in the order stored.
    pub fn message_ids_of(&self, chat_id: &str) -> Vec<String> {
        self.chats
            .get(chat_id)
            .map(|c| c.messages.iter().map(|m| m.msg_id.clone()).collect())
            .unwrap_or_default()
    }

    pub fn refuse_content(&mut self, word: &str) {
        self.refused_content.push(word.to_owned());
    }

    pub fn revoke_refresh_token(&mut self, token: &str) {
        self.refresh_tokens.remove(token);
    }

    pub fn user_for_refresh_token(&self, token: &str) -> Result<String, ApiError> {
        self.refresh_tokens.get(token).cloned().ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthorized,
                "unknown refresh token; sign in again",
            )
        })
    }

    pub fn chats_of(&self, user_id: &str) -> Vec<ChatInfo> {
        self.chats
            .iter()
            .filter(|(_, chat)| chat.members.iter().any(|m| m == user_id))
            .map(|(chat_id, chat)| self.info(chat_id, chat, user_id))
            .collect()
    }

    /// `chat` as `viewer` sees it.
    fn info(&self, chat_id: &str, chat: &Chat, viewer: &str) -> ChatInfo {
        ChatInfo {
            chat_id: chat_id.to_owned(),
            title: self.title_for(chat, viewer),
            members: chat
                .members
                .iter()
                .filter_map(|m| self.profile(m).cloned())
                .collect(),
            last_message: chat.messages.last().cloned(),
            read_marks: chat
                .members
                .iter()
                .filter_map(|member| {
                    let msg_id = self.read.get(&(chat_id.to_owned(), member.clone()))?;
                    let message = chat.messages.iter().rev().find(|m| &m.msg_id == msg_id)?;
                    Some(MemberReadMark {
                        user_id: member.clone(),
                        msg_id: msg_id.clone(),
                        sent_at_ms: message.sent_at_ms,
                    })
                })
                .collect(),
        }
    }

    /// Members of `chat_id` other than `user_id`.
    pub fn other_members(&self, chat_id: &str, user_id: &str) -> Vec<String> {
        self.chats
            .get(chat_id)
            .map(|c| {
                c.members
                    .iter()
                    .filter(|m| *m != user_id)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Up to `limit` messages before `before` (or the newest), oldest first, and whether older
    /// ones remain.
    pub fn history(
        &self,
        user_id: &str,
        chat_id: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<MessageRecord>, bool), ApiError> {
        let chat = self
            .chats
            .get(chat_id)
            .filter(|c| c.members.iter().any(|m| m == user_id))
            .ok_or_else(|| unknown_chat(chat_id))?;
        let end = match before {
            None => chat.messages.len(),
            Some(id) => chat
                .messages
                .iter()
                .position(|m| m.msg_id == id)
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidMessage,
                        format!("no message {id:?} in this chat"),
                    )
                })?,
        };
        let start = end.saturating_sub(limit);
        Ok((chat.messages[start..end].to_vec(), start > 0))
    }

    /// Store a message and push its event to every member's sessions except `from_session`
    /// (which learns of it through its `ack`).
    pub fn post_message(
        &mut self,
        sender_id: &str,
        chat_id: &str,
        client_msg_id: Option<&str>,
        body: &str,
        attachments: Vec<Attachment>,
        from_session: Option<&str>,
    ) -> Result<Posted, ApiError> {
        let now_ms = crate::backend::now_ms();
        validate_body(body).map_err(|e| ApiError::new(ErrorCode::InvalidMessage, e.to_string()))?;
        if let Some(word) = self
            .refused_content
            .iter()
            .find(|w| body.contains(w.as_str()))
        {
            return Err(ApiError::new(
                ErrorCode::InvalidMessage,
                format!("this server does not accept messages containing {word:?}"),
            ));
        }
        for attachment in &attachments {
            let owned = self
                .media
                .get(&attachment.media_id)
                .is_some_and(|b| b.owner == sender_id);
            if !owned {
                return Err(ApiError::new(
                    ErrorCode::UnknownMedia,
                    format!("no uploaded file {:?}", attachment.media_id),
                ));
            }
        }
        if let Some(id) = client_msg_id {
            validate_client_msg_id(id)
                .map_err(|e| ApiError::new(ErrorCode::InvalidMessage, e.to_string()))?;
            if let Some((msg_id, seq)) = self.accepted.get(&(sender_id.to_owned(), id.to_owned())) {
                let (msg_id, seq) = (msg_id.clone(), *seq);
                let record = self.find_message(chat_id, &msg_id).ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidMessage,
                        "client message id reused in another chat",
                    )
                })?;
                return Ok(Posted {
                    record,
                    sender_seq: seq,
                    duplicate: true,
                });
            }
        }
        let msg_id = self.next_msg_id();
        let chat = self.member_chat(chat_id, sender_id)?;
        let record = MessageRecord {
            msg_id,
            chat_id: chat_id.to_owned(),
            sender_id: sender_id.to_owned(),
            client_msg_id: client_msg_id.map(str::to_owned),
            body: body.to_owned(),
            sent_at_ms: now_ms,
            attachments,
        };
        chat.messages.push(record.clone());
        let members = chat.members.clone();

        let mut sender_seq = 0;
        for member in &members {
            let event = EventPayload::MessageCreated {
                message: record.clone(),
            };
            let seq = self.publish(member, event, from_session.filter(|_| member == sender_id));
            if member == sender_id {
                sender_seq = seq;
            }
        }
        if let Some(id) = client_msg_id {
            self.accepted.insert(
                (sender_id.to_owned(), id.to_owned()),
                (record.msg_id.clone(), sender_seq),
            );
        }
        Ok(Posted {
            record,
            sender_seq,
            duplicate: false,
        })
    }

    /// Record that `user_id` has read `chat_id` up to `msg_id` and tell every member. Watermarks
    /// only move forward.
    pub fn mark_read(
        &mut self,
        user_id: &str,
        chat_id: &str,
        msg_id: &str,
    ) -> Result<(), ApiError> {
        let chat = self
            .chats
            .get(chat_id)
            .filter(|c| c.members.iter().any(|m| m == user_id))
            .ok_or_else(|| unknown_chat(chat_id))?;
        *self.read_requests.entry(user_id.to_owned()).or_default() += 1;
        let position = |id: &str| chat.messages.iter().position(|m| m.msg_id == id);
        let new = position(msg_id).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidMessage,
                format!("no message {msg_id:?} in this chat"),
            )
        })?;
        let key = (chat_id.to_owned(), user_id.to_owned());
        if let Some(old) = self.read.get(&key).and_then(|id| position(id)) {
            if old >= new {
                return Ok(());
            }
        }
        let members = chat.members.clone();
        self.read.insert(key, msg_id.to_owned());
        for member in &members {
            let event = EventPayload::ReadWatermark {
                chat_id: chat_id.to_owned(),
                user_id: user_id.to_owned(),
                msg_id: msg_id.to_owned(),
            };
            self.publish(member, event, None);
        }
        Ok(())
    }

    /// Start a group chat of `creator` and `member_ids`, and tell every member. With a
    /// client-chosen `chat_id`, asking again (same creator, same id) returns the chat made the
    /// first time, announced once.
    pub fn create_chat(
        &mut self,
        creator: &str,
        title: &str,
        member_ids: &[String],
        chat_id: Option<&str>,
    ) -> Result<ChatInfo, ApiError> {
        if let Some(id) = chat_id {
            outlast_protocol::validate_client_msg_id(id)
                .map_err(|e| ApiError::new(ErrorCode::InvalidMessage, format!("chat id: {e}")))?;
            if self.chats.contains_key(id) {
                return match self.chat_creators.get(id) {
                    Some(made_by) if made_by == creator => {
                        self.chat_info(id, creator).ok_or_else(|| unknown_chat(id))
                    }
                    _ => Err(ApiError::new(
                        ErrorCode::InvalidMessage,
                        format!("the chat id {id:?} is taken"),
                    )),
                };
            }
        }
        let title = checked_title(title)?;
        let mut members = vec![creator.to_owned()];
        for id in member_ids {
            if !self.users.contains_key(id) {
                return Err(ApiError::new(
                    ErrorCode::InvalidMessage,
                    format!("no user {id:?}"),
                ));
            }
            if !members.contains(id) {
                members.push(id.clone());
            }
        }
        if members.len() > MAX_CHAT_MEMBERS {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("a chat has at most {MAX_CHAT_MEMBERS} members"),
            ));
        }
        let chat_id = match chat_id {
            Some(id) => {
                self.chat_creators.insert(id.to_owned(), creator.to_owned());
                id.to_owned()
            }
            None => format!("c-{}", uuid::Uuid::new_v4().simple()),
        };
        let refs: Vec<&str> = members.iter().map(String::as_str).collect();
        self.add_chat(&chat_id, &title, &refs);
        self.announce_chat(&chat_id);
        self.chat_info(&chat_id, creator)
            .ok_or_else(|| unknown_chat(&chat_id))
    }

    /// Rename a chat `user_id` belongs to, and tell every member.
    pub fn rename_chat(
        &mut self,
        user_id: &str,
        chat_id: &str,
        title: &str,
    ) -> Result<(), ApiError> {
        let title = checked_title(title)?;
        self.member_chat(chat_id, user_id)?.title = title;
        self.announce_chat(chat_id);
        Ok(())
    }

    fn announce_chat(&mut self, chat_id: &str) {
        let members = self
            .chats
            .get(chat_id)
            .map(|c| c.members.clone())
            .unwrap_or_default();
        for member in &members {
            if let Some(chat) = self.chat_info(chat_id, member) {
                self.publish(member, EventPayload::ChatUpdated { chat }, None);
            }
        }
    }

    fn chat_info(&self, chat_id: &str, viewer: &str) -> Option<ChatInfo> {
        let chat = self.chats.get(chat_id)?;
        chat.members
            .iter()
            .any(|m| m == viewer)
            .then(|| self.info(chat_id, chat, viewer))
    }

    /// Events of `user_id` after `after`, up to `limit`, the user's latest seq, and the gap if
    /// some of the requested events are gone.
    pub fn events_after(
        &self,
        user_id: &str,
        after: u64,
        limit: usize,
    ) -> (Vec<SequencedEvent>, u64, Option<EventGap>) {
        let last_seq = self.seqs.get(user_id).copied().unwrap_or(0);
        let Some(log) = self.logs.get(user_id) else {
            return (Vec::new(), last_seq, None);
        };
        let first_available = log.events.front().map(|e| e.seq).unwrap_or(last_seq + 1);
        let gap = (after.saturating_add(1) < first_available).then_some(EventGap {
            first_available_seq: first_available,
        });
        let events = log
            .events
            .iter()
            .filter(|e| e.seq > after)
            .take(limit)
            .cloned()
            .collect();
        (events, last_seq, gap)
    }

    /// A receiver that changes whenever `user_id` gets a new event (for long-polls).
    pub fn watch_events(&mut self, user_id: &str) -> watch::Receiver<u64> {
        let last = self.seqs.get(user_id).copied().unwrap_or(0);
        let log = self.logs.entry(user_id.to_owned()).or_default();
        log.latest
            .get_or_insert_with(|| watch::channel(last).0)
            .subscribe()
    }

    /// Start a gateway session. With `resume`, the session continues an earlier one if the server
    /// still knows it and still holds every event after `last_seq`: those events are returned for
    /// replay. Registering and collecting the replay happen under one lock, so no event falls
    /// between them.
    pub fn open_session(
        &mut self,
        user_id: &str,
        resume: Option<(&str, u64)>,
        outbound: mpsc::Sender<ServerFrame>,
    ) -> (String, Option<Vec<SequencedEvent>>) {
        let resumed = resume.and_then(|(session_id, last_seq)| {
            if self.resumable.get(session_id).map(String::as_str) != Some(user_id) {
                return None;
            }
            let (events, _, gap) = self.events_after(user_id, last_seq, usize::MAX);
            gap.is_none().then(|| (session_id.to_owned(), events))
        });
        let (session_id, replay) = match resumed {
            Some((id, events)) => (id, Some(events)),
            None => (format!("s-{}", uuid::Uuid::new_v4().simple()), None),
        };
        if self.resumable.len() >= MAX_RESUMABLE_SESSIONS {
            self.resumable.clear();
        }
        self.resumable
            .insert(session_id.clone(), user_id.to_owned());
        self.sessions.insert(
            session_id.clone(),
            Session {
                user_id: user_id.to_owned(),
                outbound,
            },
        );
        (session_id, replay)
    }

    /// Forget every resumable session (the "session expired on the server" fault).
    pub fn expire_sessions(&mut self) -> usize {
        let n = self.resumable.len();
        self.resumable.clear();
        n
    }

    pub fn store_media(
        &mut self,
        owner: &str,
        name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> Attachment {
        let attachment = Attachment {
            media_id: format!("f-{}", uuid::Uuid::new_v4().simple()),
            name: name.to_owned(),
            size: bytes.len() as u64,
            mime: mime.to_owned(),
        };
        self.media.insert(
            attachment.media_id.clone(),
            Blob {
                attachment: attachment.clone(),
                owner: owner.to_owned(),
                bytes,
            },
        );
        attachment
    }

    /// A file, if `user_id` may see it: its uploader, or a member of a chat it was posted in.
    pub fn media(&self, user_id: &str, media_id: &str) -> Result<&Blob, ApiError> {
        let unknown = || ApiError::new(ErrorCode::UnknownMedia, format!("no file {media_id:?}"));
        let blob = self.media.get(media_id).ok_or_else(unknown)?;
        if blob.owner == user_id {
            return Ok(blob);
        }
        let shared = self.chats.values().any(|c| {
            c.members.iter().any(|m| m == user_id)
                && c.messages
                    .iter()
                    .any(|m| m.attachments.iter().any(|a| a.media_id == media_id))
        });
        if shared {
            Ok(blob)
        } else {
            Err(unknown())
        }
    }

    /// Give `event` the user's next sequence number, keep it in the replay log and push it to the
    /// user's live sessions except `except_session`.
    fn publish(&mut self, user_id: &str, event: EventPayload, except_session: Option<&str>) -> u64 {
        let seq = self.bump_seq(user_id);
        let log = self.logs.entry(user_id.to_owned()).or_default();
        log.events.push_back(SequencedEvent {
            seq,
            event: event.clone(),
        });
        while log.events.len() > self.replay_limit {
            log.events.pop_front();
        }
        if let Some(latest) = &log.latest {
            latest.send_replace(seq);
        }
        self.push_to_user(user_id, except_session, &ServerFrame::Event { seq, event });
        seq
    }

    /// Forget a session's connection, unless a resume has already handed the session to another
    /// connection (identified by its outbound queue).
    pub fn remove_session(&mut self, session_id: &str, outbound: &mpsc::Sender<ServerFrame>) {
        if self
            .sessions
            .get(session_id)
            .is_some_and(|s| s.outbound.same_channel(outbound))
        {
            self.sessions.remove(session_id);
        }
    }

    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    fn push_to_user(&mut self, user_id: &str, except_session: Option<&str>, frame: &ServerFrame) {
        let mut overflowed = Vec::new();
        for (session_id, session) in &self.sessions {
            if session.user_id != user_id || Some(session_id.as_str()) == except_session {
                continue;
            }
            if session.outbound.try_send(frame.clone()).is_err() {
                overflowed.push(session_id.clone());
            }
        }
        for session_id in overflowed {
            tracing::warn!(%session_id, "session cannot keep up or is gone; dropping it");
            // Dropping the sender ends the session's writer, which closes the socket; the client
            // reconnects and catches up.
            self.sessions.remove(&session_id);
        }
    }

    fn bump_seq(&mut self, user_id: &str) -> u64 {
        let seq = self.seqs.entry(user_id.to_owned()).or_insert(0);
        *seq += 1;
        *seq
    }

    fn next_msg_id(&mut self) -> String {
        self.next_msg_number += 1;
        format!("m-{:08}", self.next_msg_number)
    }

    fn find_message(&self, chat_id: &str, msg_id: &str) -> Option<MessageRecord> {
        self.chats
            .get(chat_id)?
            .messages
            .iter()
            .rev()
            .find(|m| m.msg_id == msg_id)
            .cloned()
    }

    fn member_chat(&mut self, chat_id: &str, user_id: &str) -> Result<&mut Chat, ApiError> {
        self.chats
            .get_mut(chat_id)
            .filter(|c| c.members.iter().any(|m| m == user_id))
            .ok_or_else(|| unknown_chat(chat_id))
    }

    /// Direct chats are titled after the other person, as every messenger does.
    fn title_for(&self, chat: &Chat, viewer: &str) -> String {
        if chat.members.len() == 2 {
            if let Some(other) = chat.members.iter().find(|m| *m != viewer) {
                if let Some(profile) = self.profile(other) {
                    return profile.display_name.clone();
                }
            }
        }
        chat.title.clone()
    }
}

fn checked_title(title: &str) -> Result<String, ApiError> {
    let title = title.trim();
    let chars = title.chars().count();
    if chars == 0 || chars > MAX_TITLE_CHARS {
        return Err(ApiError::new(
            ErrorCode::InvalidMessage,
            format!("a chat title must be 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    Ok(title.to_owned())
}

fn unknown_chat(chat_id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::UnknownChat,
        format!("chat {chat_id:?} does not exist or you are not a member"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        let mut store = Store::default();
        crate::demo::seed(&mut store, 10_000_000_000);
        store
    }

    #[test]
    fn resending_a_client_id_does_not_create_a_second_message() {
        let mut store = store();
        let first = store
            .post_message("u-demo", "c-jun", Some("cm-1"), "hi", vec![], None)
            .unwrap();
        let again = store
            .post_message("u-demo", "c-jun", Some("cm-1"), "hi", vec![], None)
            .unwrap();
        assert!(!first.duplicate);
        assert!(again.duplicate);
        assert_eq!(first.record.msg_id, again.record.msg_id);
        assert_eq!(first.sender_seq, again.sender_seq);
        let (history, _) = store.history("u-demo", "c-jun", None, 200).unwrap();
        assert_eq!(history.iter().filter(|m| m.body == "hi").count(), 1);
    }

    #[test]
    fn sequences_are_per_user_and_gapless() {
        let mut store = store();
        let a = store
            .post_message("u-demo", "c-jun", Some("a"), "1", vec![], None)
            .unwrap();
        let b = store
            .post_message("u-demo", "c-team", Some("b"), "2", vec![], None)
            .unwrap();
        let c = store
            .post_message("u-jun", "c-jun", Some("c"), "3", vec![], None)
            .unwrap();
        assert_eq!((a.sender_seq, b.sender_seq), (1, 2));
        // Jun saw a (seq 1), b (seq 2, he is in the team chat) and sent c (seq 3).
        assert_eq!(c.sender_seq, 3);
    }

    #[test]
    fn non_members_and_bad_bodies_are_refused() {
        let mut store = store();
        let err = store
            .post_message("u-jun", "c-minji", None, "hi", vec![], None)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownChat);
        let err = store
            .post_message("u-demo", "c-jun", None, "   ", vec![], None)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidMessage);
    }

    #[test]
    fn direct_chats_are_titled_after_the_other_person() {
        let store = store();
        let chats = store.chats_of("u-jun");
        let direct = chats.iter().find(|c| c.chat_id == "c-jun").unwrap();
        assert_eq!(direct.title, "Demo User");
        assert_eq!(chats.len(), 2);
    }

    #[test]
    fn a_resumed_session_survives_its_old_connection_leaving() {
        let mut store = Store::new(10);
        crate::demo::seed(&mut store, 10_000_000_000);
        let (old_tx, mut old_rx) = mpsc::channel(16);
        let (session, _) = store.open_session("u-demo", None, old_tx.clone());
        // The old connection is still attached (black-holed) when the client resumes elsewhere.
        let (new_tx, _new_rx) = mpsc::channel(16);
        let (resumed, _) = store.open_session("u-demo", Some((&session, 0)), new_tx.clone());
        assert_eq!(resumed, session);
        drop(new_tx);
        store.remove_session(&session, &old_tx);
        assert_eq!(
            store.session_count(),
            1,
            "the new connection keeps the session"
        );
        drop(old_tx);
        assert!(old_rx.try_recv().is_err(), "the old connection is released");
    }

    #[test]
    fn resume_replays_missed_events_until_the_log_overflows() {
        let mut store = Store::new(3);
        crate::demo::seed(&mut store, 10_000_000_000);
        let (tx, _rx) = mpsc::channel(16);
        let (session, replay) = store.open_session("u-demo", None, tx.clone());
        assert!(replay.is_none());
        store.remove_session(&session, &tx);
        store
            .post_message("u-jun", "c-jun", None, "one", vec![], None)
            .unwrap();
        store
            .post_message("u-jun", "c-jun", None, "two", vec![], None)
            .unwrap();
        let (resumed, replay) = store.open_session("u-demo", Some((&session, 0)), tx.clone());
        assert_eq!(resumed, session);
        assert_eq!(
            replay.unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2]
        );
        store.remove_session(&session, &tx);

        for _ in 0..5 {
            store
                .post_message("u-jun", "c-jun", None, "more", vec![], None)
                .unwrap();
        }
        // Events 1..=4 are gone from a log of 3: resuming from 2 is refused, and sync says gap.
        let (fresh, replay) = store.open_session("u-demo", Some((&session, 2)), tx.clone());
        assert_ne!(fresh, session);
        assert!(replay.is_none());
        let (events, last_seq, gap) = store.events_after("u-demo", 2, 10);
        assert_eq!(last_seq, 7);
        assert_eq!(gap.unwrap().first_available_seq, 5);
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 6, 7]);

        store.expire_sessions();
        let (again, replay) = store.open_session("u-demo", Some((&fresh, 7)), tx);
        assert_ne!(again, fresh, "expired sessions cannot be resumed");
        assert!(replay.is_none());
    }

    #[test]
    fn read_watermarks_only_move_forward() {
        let mut store = store();
        let (history, _) = store.history("u-demo", "c-jun", None, 10).unwrap();
        let (first, last) = (history[0].msg_id.clone(), history[2].msg_id.clone());
        store.mark_read("u-demo", "c-jun", &last).unwrap();
        let before = store.events_after("u-jun", 0, 100).0.len();
        store.mark_read("u-demo", "c-jun", &first).unwrap();
        assert_eq!(
            store.events_after("u-jun", 0, 100).0.len(),
            before,
            "an older watermark is ignored"
        );
        assert!(store.mark_read("u-demo", "c-jun", "m-nope").is_err());
        assert!(store.mark_read("u-jun", "c-minji", &first).is_err());
    }

    #[test]
    fn attachments_must_be_uploaded_by_the_sender() {
        let mut store = store();
        let file = store.store_media("u-demo", "a.txt", "text/plain", b"hi".to_vec());
        let err = store
            .post_message("u-jun", "c-jun", None, "mine now", vec![file.clone()], None)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownMedia);
        assert!(
            store.media("u-jun", &file.media_id).is_err(),
            "not shared yet"
        );
        store
            .post_message(
                "u-demo",
                "c-jun",
                None,
                "see file",
                vec![file.clone()],
                None,
            )
            .unwrap();
        assert_eq!(store.media("u-jun", &file.media_id).unwrap().bytes, b"hi");
        assert!(store.media("u-minji", &file.media_id).is_err());
    }
}
