//! Chats appearing and changing: announced by the server (new, renamed, members changed), or
//! started by the user and not yet made on the server: listed at once (pending), made when the
//! server answers, marked failed with its reason, tried again, or removed.

use super::*;

impl Timeline {
    /// The user renamed `chat_id`: shown at once (the server confirms it with a chat update).
    pub fn rename(&mut self, chat_id: &str, title: &str) -> Vec<CoreEvent> {
        let Some(chat) = self.chat_mut(chat_id) else {
            return Vec::new();
        };
        chat.title = title.to_owned();
        vec![CoreEvent::ChatUpdated {
            chat: summary(chat),
        }]
    }

    /// The server refused renaming `chat_id` to `title`: it is called `previous` again (unless
    /// it has been renamed since).
    pub fn rename_refused(&mut self, chat_id: &str, title: &str, previous: &str) -> Vec<CoreEvent> {
        match self.chat_mut(chat_id) {
            Some(chat) if chat.title == title => self.rename(chat_id, previous),
            _ => Vec::new(),
        }
    }

    /// The chat of just the user and `user_id`, if there is one (and the server has not refused
    /// it): starting a chat with one person opens it rather than making a second.
    pub fn direct_chat_with(&self, user_id: &str) -> Option<String> {
        let me = &self.me().user_id;
        self.chats
            .iter()
            .find(|c| {
                c.member_ids.len() == 2
                    && c.member_ids.iter().any(|m| m == me)
                    && c.member_ids.iter().any(|m| m == user_id)
                    && !matches!(c.creation, Some(ChatCreation::Failed { .. }))
            })
            .map(|c| c.chat_id.clone())
    }

    /// A chat the user just started, or one an earlier run kept unmade (`failure` if the server
    /// refused it): listed at once, its members named from the people this session knows.
    /// Nothing is on the server yet, so there is no history to fetch.
    pub fn add_started_chat(
        &mut self,
        chat_id: &str,
        title: &str,
        member_ids: &[String],
        failure: Option<String>,
    ) -> Vec<CoreEvent> {
        let creation = Some(match failure {
            Some(reason) => ChatCreation::Failed { reason },
            None => ChatCreation::Pending,
        });
        if let Some(chat) = self.chat_mut(chat_id) {
            // Listed from the cache already: only its state is new.
            chat.creation = creation;
            chat.history_loaded = true;
            return vec![CoreEvent::ChatUpdated {
                chat: summary(chat),
            }];
        }
        // Every member, the user first, as the server lists a chat's members.
        let mut ids = vec![self.me.user_id.clone()];
        ids.extend(member_ids.iter().cloned());
        let member_names = ids.iter().map(|id| self.name_of(id)).collect();
        let chat = Chat {
            chat_id: chat_id.to_owned(),
            title: title.to_owned(),
            member_names,
            member_ids: ids,
            read: HashMap::new(),
            messages: Vec::new(),
            unread_count: 0,
            history_loaded: true,
            muted: false,
            pinned: false,
            creation,
        };
        let event = CoreEvent::ChatUpdated {
            chat: summary(&chat),
        };
        self.chats.push(chat);
        vec![event]
    }

    /// The server made the chat: it shows as the server describes it (a chat of two is titled
    /// after the other person), with what was written in it meanwhile.
    pub fn chat_made(&mut self, info: domain::Chat) -> Vec<CoreEvent> {
        for member in &info.members {
            self.names
                .insert(member.user_id.clone(), member.display_name.clone());
        }
        let Some(chat) = self.chat_mut(&info.chat_id) else {
            return self.add_chat(info);
        };
        chat.creation = None;
        chat.title = info.title;
        chat.member_names = info
            .members
            .iter()
            .map(|m| m.display_name.clone())
            .collect();
        chat.member_ids = info.members.into_iter().map(|m| m.user_id).collect();
        vec![CoreEvent::ChatUpdated {
            chat: summary(chat),
        }]
    }

    /// The server refused to make the chat (`Some(reason)`), or it is being tried again
    /// (`None`).
    pub fn set_chat_failure(&mut self, chat_id: &str, failure: Option<String>) -> Vec<CoreEvent> {
        let Some(chat) = self.chat_mut(chat_id) else {
            return Vec::new();
        };
        if chat.creation.is_none() {
            return Vec::new();
        }
        chat.creation = Some(match failure {
            Some(reason) => ChatCreation::Failed { reason },
            None => ChatCreation::Pending,
        });
        vec![CoreEvent::ChatUpdated {
            chat: summary(chat),
        }]
    }

    /// The server announced a chat of the account: a new one (someone started it, or this user
    /// on another device), one renamed or with other members, or one started here that the
    /// server has now made. Listed at once, as the server describes it.
    pub fn chat_announced(&mut self, at: Cursor, info: domain::Chat) -> Vec<CoreEvent> {
        self.advance_seq(at.position());
        if self.has_chat(&info.chat_id) {
            return self.chat_made(info);
        }
        // A server inventing chats without end must not grow memory without bound: such chats
        // count with those a stray message creates.
        if self.provisional_chats >= MAX_PROVISIONAL_CHATS {
            tracing::warn!(chat_id = %info.chat_id, "too many chats announced this session; left for the next chat list");
            return Vec::new();
        }
        self.provisional_chats += 1;
        self.add_chat(info)
    }

    /// Whether `chat_id` is a chat started here that the server has not made yet.
    pub fn is_unmade(&self, chat_id: &str) -> bool {
        self.chat(chat_id).is_some_and(|c| c.creation.is_some())
    }

    /// The user deleted a chat the server never made: it leaves the list, with its messages.
    pub fn remove_unmade_chat(&mut self, chat_id: &str) -> Vec<CoreEvent> {
        let before = self.chats.len();
        self.chats
            .retain(|c| c.chat_id != chat_id || c.creation.is_none());
        if self.chats.len() == before {
            return Vec::new();
        }
        if self.open_chat.as_deref() == Some(chat_id) {
            self.open_chat = None;
        }
        vec![CoreEvent::ChatRemoved {
            chat_id: chat_id.to_owned(),
        }]
    }
}
