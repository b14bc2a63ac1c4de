//! Protocol v1's payloads to the core's domain types and back: the one place both meet.

use outlast_protocol as wire;

use crate::domain::{Attachment, Chat, HistoryPage, MemberReadMark, Message, RemoteEvent};
use crate::model::Profile;

impl From<wire::MessageRecord> for Message {
    fn from(record: wire::MessageRecord) -> Self {
        Message {
            msg_id: record.msg_id,
            chat_id: record.chat_id,
            sender_id: record.sender_id,
            client_msg_id: record.client_msg_id,
            body: record.body,
            sent_at_ms: record.sent_at_ms,
            attachments: record
                .attachments
                .into_iter()
                .map(Attachment::from)
                .collect(),
        }
    }
}

impl From<wire::Attachment> for Attachment {
    fn from(file: wire::Attachment) -> Self {
        Attachment {
            media_id: file.media_id,
            name: file.name,
            size: file.size,
            mime: file.mime,
        }
    }
}

impl From<&Attachment> for wire::Attachment {
    fn from(file: &Attachment) -> Self {
        wire::Attachment {
            media_id: file.media_id.clone(),
            name: file.name.clone(),
            size: file.size,
            mime: file.mime.clone(),
        }
    }
}

impl From<wire::UserProfile> for Profile {
    fn from(user: wire::UserProfile) -> Self {
        Profile {
            user_id: user.user_id,
            display_name: user.display_name,
        }
    }
}

impl From<wire::ChatInfo> for Chat {
    fn from(chat: wire::ChatInfo) -> Self {
        Chat {
            chat_id: chat.chat_id,
            title: chat.title,
            members: chat.members.into_iter().map(Profile::from).collect(),
            last_message: chat.last_message.map(Message::from),
            read_marks: chat
                .read_marks
                .into_iter()
                .map(|m| MemberReadMark {
                    user_id: m.user_id,
                    msg_id: m.msg_id,
                    sent_at_ms: m.sent_at_ms,
                })
                .collect(),
        }
    }
}

impl From<wire::EventPayload> for RemoteEvent {
    fn from(event: wire::EventPayload) -> Self {
        match event {
            wire::EventPayload::MessageCreated { message } => {
                RemoteEvent::MessageCreated(message.into())
            }
            wire::EventPayload::ReadWatermark {
                chat_id,
                user_id,
                msg_id,
            } => RemoteEvent::ReadWatermark {
                chat_id,
                user_id,
                msg_id,
            },
            wire::EventPayload::ChatUpdated { chat } => RemoteEvent::ChatUpdated(chat.into()),
        }
    }
}

impl From<wire::MessagesPage> for HistoryPage {
    fn from(page: wire::MessagesPage) -> Self {
        HistoryPage {
            messages: page.messages.into_iter().map(Message::from).collect(),
            has_more: page.has_more,
        }
    }
}

impl From<wire::ErrorCode> for crate::error::ServerCode {
    fn from(code: wire::ErrorCode) -> Self {
        use crate::error::ServerCode as S;
        use wire::ErrorCode as E;
        match code {
            E::UnsupportedVersion => S::UnsupportedVersion,
            E::Unauthorized => S::Unauthorized,
            E::TokenExpired => S::TokenExpired,
            E::BadCredentials => S::BadCredentials,
            E::FrameTooLarge | E::MalformedFrame | E::UnknownFrameType | E::UnexpectedFrame => {
                S::BadRequest
            }
            E::InvalidMessage => S::InvalidMessage,
            E::UnknownChat => S::UnknownChat,
            E::UnknownMedia => S::UnknownMedia,
            E::PayloadTooLarge => S::TooLarge,
            E::Unavailable => S::Unavailable,
            E::Overloaded => S::Overloaded,
            E::Internal => S::Internal,
        }
    }
}
