//! The user's own messages: shown at once as pending, then sent (moved to where the server
//! stored them), refused, edited, retried or removed before the server had them.

use super::*;

impl Timeline {
    /// An own message as its chat shows it, by its client id.
    pub fn own_message(&self, client_msg_id: &str) -> Option<ChatMessage> {
        self.chats
            .iter()
            .flat_map(|c| c.messages.iter().rev())
            .find(|m| m.client_msg_id.as_deref() == Some(client_msg_id))
            .cloned()
    }

    /// A message the user just wrote, kept until the server acknowledges it.
    pub fn add_pending(
        &mut self,
        chat_id: &str,
        client_msg_id: String,
        body: String,
        now_ms: u64,
        attachments: Vec<MessageAttachment>,
    ) -> Option<(ChatMessage, Vec<CoreEvent>)> {
        let message = ChatMessage {
            client_msg_id: Some(client_msg_id),
            msg_id: None,
            chat_id: chat_id.to_owned(),
            sender_id: self.me.user_id.clone(),
            sender_name: self.me.display_name.clone(),
            body,
            sent_at_ms: now_ms,
            seq: None,
            state: MessageState::Pending,
            failure: None,
            own: true,
            attachments,
        };
        let chat = self.chat_mut(chat_id)?;
        chat.messages.push(message.clone());
        let events = vec![
            CoreEvent::MessageAdded {
                message: message.clone(),
            },
            CoreEvent::ChatUpdated {
                chat: summary(chat),
            },
        ];
        Some((message, events))
    }

    /// A message left unsent by an earlier run: pending, or failed with its reason.
    pub fn add_unsent(
        &mut self,
        chat_id: &str,
        client_msg_id: String,
        body: String,
        written_at_ms: u64,
        failure: Option<String>,
        attachments: Vec<MessageAttachment>,
    ) -> Vec<CoreEvent> {
        // Started from the cache, the chat list may already show it (as a chat's last message).
        let shown = self.chat(chat_id).is_some_and(|c| {
            c.messages
                .iter()
                .any(|m| m.client_msg_id.as_deref() == Some(client_msg_id.as_str()))
        });
        if shown {
            return match failure {
                Some(reason) => self.mark_failed(&client_msg_id, reason),
                None => self.mark_pending(&client_msg_id),
            };
        }
        let Some((_, events)) = self.add_pending(
            chat_id,
            client_msg_id.clone(),
            body,
            written_at_ms,
            attachments,
        ) else {
            return Vec::new();
        };
        match failure {
            Some(reason) => self.mark_failed(&client_msg_id, reason),
            None => events,
        }
    }

    /// An own message's files changed (uploaded, or waiting for a reason).
    pub fn set_attachments(
        &mut self,
        client_msg_id: &str,
        attachments: Vec<MessageAttachment>,
    ) -> Vec<CoreEvent> {
        self.update_own(client_msg_id, |m| m.attachments = attachments)
    }

    /// The user changed the text of an unsent message.
    pub fn edit_own(&mut self, client_msg_id: &str, body: String) -> Vec<CoreEvent> {
        self.update_own(client_msg_id, |m| m.body = body)
    }

    /// The user retries a failed message: pending again.
    pub fn mark_pending(&mut self, client_msg_id: &str) -> Vec<CoreEvent> {
        self.update_own(client_msg_id, |m| {
            m.state = MessageState::Pending;
            m.failure = None;
        })
    }

    /// The user deleted an unsent message.
    pub fn remove_own(&mut self, client_msg_id: &str) -> Vec<CoreEvent> {
        for chat in &mut self.chats {
            if let Some(at) = chat.messages.iter().position(|m| {
                m.client_msg_id.as_deref() == Some(client_msg_id) && m.msg_id.is_none()
            }) {
                chat.messages.remove(at);
                return vec![
                    CoreEvent::MessageRemoved {
                        chat_id: chat.chat_id.clone(),
                        client_msg_id: client_msg_id.to_owned(),
                    },
                    CoreEvent::ChatUpdated {
                        chat: summary(chat),
                    },
                ];
            }
        }
        Vec::new()
    }

    /// The server stored our message.
    pub fn mark_sent(&mut self, client_msg_id: &str, msg_id: String, at: Cursor) -> Vec<CoreEvent> {
        let seq = at.position();
        self.advance_seq(seq);
        let events = self.update_own(client_msg_id, |m| {
            m.msg_id = Some(msg_id.clone());
            m.seq = Some(seq);
            m.state = MessageState::Sent;
            m.failure = None;
        });
        self.place_in_server_order(client_msg_id, seq, &msg_id);
        events
    }

    /// An acknowledged message moves to where the server stored it: its ack may come after
    /// later messages' (a lost ack, a resend), and the chat must read in server order. Messages
    /// known only from history pages carry no sequence number; their server ids, which sort in
    /// storage order (docs/protocol.md), place it among them.
    pub(super) fn place_in_server_order(&mut self, client_msg_id: &str, seq: u64, msg_id: &str) {
        for chat in &mut self.chats {
            let Some(from) = chat
                .messages
                .iter()
                .position(|m| m.client_msg_id.as_deref() == Some(client_msg_id))
            else {
                continue;
            };
            let message = chat.messages.remove(from);
            let stored_later = |m: &ChatMessage| match m.seq.filter(|s| *s > 0) {
                Some(s) => s > seq,
                None => m.msg_id.as_deref().is_some_and(|id| id > msg_id),
            };
            let to = chat
                .messages
                .iter()
                .position(|m| m.state == MessageState::Pending || stored_later(m))
                .unwrap_or(chat.messages.len());
            chat.messages.insert(to, message);
            return;
        }
    }

    /// The server refused our message for good.
    pub fn mark_failed(&mut self, client_msg_id: &str, reason: String) -> Vec<CoreEvent> {
        self.update_own(client_msg_id, |m| {
            m.state = MessageState::Failed;
            m.failure = Some(reason);
        })
    }

    pub(super) fn update_own(
        &mut self,
        client_msg_id: &str,
        change: impl FnOnce(&mut ChatMessage),
    ) -> Vec<CoreEvent> {
        for chat in &mut self.chats {
            if let Some(message) = chat
                .messages
                .iter_mut()
                .find(|m| m.client_msg_id.as_deref() == Some(client_msg_id))
            {
                change(message);
                let message = message.clone();
                return vec![
                    CoreEvent::MessageUpdated { message },
                    CoreEvent::ChatUpdated {
                        chat: summary(chat),
                    },
                ];
            }
        }
        Vec::new()
    }
}
