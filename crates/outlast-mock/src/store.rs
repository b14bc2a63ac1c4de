//! The backend's shared in-memory state: users, chats, messages, per-user event sequences and the
//! live gateway sessions events are pushed to. Every listener (HTTP API, gateways) works on this one
//! store, so a message sent through any of them is seen through all of them.

use std::collections::{BTreeMap, HashMap};

use outlast_protocol::{
    validate_body, validate_client_msg_id, AccessToken, ApiError, ChatInfo, ErrorCode,
    EventPayload, MessageRecord, ServerFrame, UserProfile,
};
use tokio::sync::mpsc;

pub(crate) struct UserSeed {
    pub user_id: &'static str,
    pub username: &'static str,
    pub display_name: &'static str,
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

#[derive(Default)]
pub(crate) struct Store {
    users: HashMap<String, User>,
    user_ids_by_name: HashMap<String, String>,
    chats: BTreeMap<String, Chat>,
    /// Last event sequence number issued per user.
    seqs: HashMap<String, u64>,
    /// Idempotency table: (sender, client_msg_id) -> (msg_id, sender_seq).
    accepted: HashMap<(String, String), (String, u64)>,
    tokens: HashMap<String, String>,
    sessions: HashMap<String, Session>,
    next_msg_number: u64,
}

impl Store {
    pub fn add_user(&mut self, seed: UserSeed) {
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
        });
        Ok(())
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

    pub fn issue_token(&mut self, user_id: &str) -> AccessToken {
        let token = format!("mock-{}", uuid::Uuid::new_v4().simple());
        self.tokens.insert(token.clone(), user_id.to_owned());
        AccessToken::new(token)
    }

    pub fn user_for_token(&self, token: &str) -> Result<String, ApiError> {
        self.tokens.get(token).cloned().ok_or_else(|| {
            ApiError::new(ErrorCode::Unauthorized, "unknown or expired access token")
        })
    }

    pub fn chats_of(&self, user_id: &str) -> Vec<ChatInfo> {
        self.chats
            .iter()
            .filter(|(_, chat)| chat.members.iter().any(|m| m == user_id))
            .map(|(chat_id, chat)| ChatInfo {
                chat_id: chat_id.clone(),
                title: self.title_for(chat, user_id),
                members: chat
                    .members
                    .iter()
                    .filter_map(|m| self.profile(m).cloned())
                    .collect(),
                last_message: chat.messages.last().cloned(),
            })
            .collect()
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
        now_ms: u64,
        from_session: Option<&str>,
    ) -> Result<Posted, ApiError> {
        validate_body(body).map_err(|e| ApiError::new(ErrorCode::InvalidMessage, e.to_string()))?;
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
        };
        chat.messages.push(record.clone());
        let members = chat.members.clone();

        let mut sender_seq = 0;
        for member in &members {
            let seq = self.bump_seq(member);
            if member == sender_id {
                sender_seq = seq;
            }
            let frame = ServerFrame::Event {
                seq,
                event: EventPayload::MessageCreated {
                    message: record.clone(),
                },
            };
            self.push_to_user(member, from_session, &frame);
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

    pub fn register_session(
        &mut self,
        session_id: &str,
        user_id: &str,
        outbound: mpsc::Sender<ServerFrame>,
    ) {
        self.sessions.insert(
            session_id.to_owned(),
            Session {
                user_id: user_id.to_owned(),
                outbound,
            },
        );
    }

    pub fn remove_session(&mut self, session_id: &str) {
        self.sessions.remove(session_id);
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
            .post_message("u-demo", "c-jun", Some("cm-1"), "hi", 1, None)
            .unwrap();
        let again = store
            .post_message("u-demo", "c-jun", Some("cm-1"), "hi", 2, None)
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
            .post_message("u-demo", "c-jun", Some("a"), "1", 1, None)
            .unwrap();
        let b = store
            .post_message("u-demo", "c-team", Some("b"), "2", 2, None)
            .unwrap();
        let c = store
            .post_message("u-jun", "c-jun", Some("c"), "3", 3, None)
            .unwrap();
        assert_eq!((a.sender_seq, b.sender_seq), (1, 2));
        // Jun saw a (seq 1), b (seq 2, he is in the team chat) and sent c (seq 3).
        assert_eq!(c.sender_seq, 3);
    }

    #[test]
    fn non_members_and_bad_bodies_are_refused() {
        let mut store = store();
        let err = store
            .post_message("u-jun", "c-minji", None, "hi", 1, None)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownChat);
        let err = store
            .post_message("u-demo", "c-jun", None, "   ", 1, None)
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
}
