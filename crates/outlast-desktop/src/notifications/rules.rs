//! Which messages notify, and what a group of them says. Pure functions: the unit tests are the
//! specification.

use super::{Incoming, Notice, NotificationSettings};

/// What the app knows at the moment a message arrives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The chat shown in a window that has the focus, if any.
    pub focused_chat: Option<String>,
    /// The lock hides content: notices say only that something arrived.
    pub locked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppressed {
    Disabled,
    DoNotDisturb,
    Muted,
    /// The user is looking at this chat right now.
    Watching,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Notify,
    Suppress(Suppressed),
}

pub fn decide(message: &Incoming, settings: &NotificationSettings, context: &Context) -> Decision {
    use Suppressed::*;
    if !settings.enabled {
        Decision::Suppress(Disabled)
    } else if settings.do_not_disturb {
        Decision::Suppress(DoNotDisturb)
    } else if message.muted && !message.mentions_me {
        // A mention of the user still notifies: being called by name is why mute exists only
        // for the rest of the chat.
        Decision::Suppress(Muted)
    } else if !context.locked && context.focused_chat.as_deref() == Some(message.chat_id.as_str()) {
        Decision::Suppress(Watching)
    } else {
        Decision::Notify
    }
}

/// Longest preview shown; the notification server would cut it anyway, less tidily.
const PREVIEW_CHARS: usize = 120;

/// One notice for messages that arrived together (e.g. a catch-up after an outage): never one
/// pop-up per message. `None` for an empty batch.
pub fn compose(batch: &[Incoming], previews: bool) -> Option<Notice> {
    let last = batch.last()?;
    let mut chats: Vec<&str> = Vec::new();
    for message in batch {
        if !chats.contains(&message.chat_id.as_str()) {
            chats.push(&message.chat_id);
        }
    }
    let count = batch.len();
    let notice = match (chats.len(), previews) {
        (1, true) if count == 1 => Notice {
            title: if last.direct {
                last.sender_name.clone()
            } else {
                format!("{} · {}", last.sender_name, last.chat_title)
            },
            body: preview(&last.body),
            open_chat: Some(last.chat_id.clone()),
        },
        (1, true) => Notice {
            title: last.chat_title.clone(),
            body: format!(
                "{count} new messages\n{}: {}",
                last.sender_name,
                preview(&last.body)
            ),
            open_chat: Some(last.chat_id.clone()),
        },
        (1, false) => Notice {
            title: "Outlast".to_owned(),
            body: plural(count, "new message"),
            open_chat: Some(last.chat_id.clone()),
        },
        (chat_count, _) => Notice {
            title: "Outlast".to_owned(),
            body: format!("{} in {chat_count} chats", plural(count, "new message")),
            open_chat: None,
        },
    };
    Some(notice)
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// One line, at most `PREVIEW_CHARS`, with no control characters a notification server might
/// interpret (some render a subset of markup, so `<` and `&` are escaped too).
fn preview(body: &str) -> String {
    let mut out = String::new();
    for (i, c) in body.chars().enumerate() {
        if i == PREVIEW_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(chat: &str, sender: &str, body: &str) -> Incoming {
        Incoming {
            chat_id: chat.into(),
            chat_title: format!("Chat {chat}"),
            direct: false,
            sender_name: sender.into(),
            body: body.into(),
            muted: false,
            mentions_me: false,
        }
    }

    #[test]
    fn a_mention_notifies_in_a_muted_chat_but_not_through_do_not_disturb() {
        let on = NotificationSettings::default();
        let context = Context::default();
        let mut mention = msg("c1", "Bob", "@Ann lunch?");
        mention.muted = true;
        mention.mentions_me = true;
        assert_eq!(decide(&mention, &on, &context), Decision::Notify);
        let dnd = NotificationSettings {
            do_not_disturb: true,
            ..on.clone()
        };
        assert_eq!(
            decide(&mention, &dnd, &context),
            Decision::Suppress(Suppressed::DoNotDisturb)
        );
        let watching = Context {
            focused_chat: Some("c1".into()),
            locked: false,
        };
        assert_eq!(
            decide(&mention, &on, &watching),
            Decision::Suppress(Suppressed::Watching)
        );
    }

    #[test]
    fn muted_chats_dnd_and_disabled_notifications_stay_quiet() {
        let on = NotificationSettings::default();
        let context = Context::default();
        let mut muted = msg("c1", "Bob", "hi");
        muted.muted = true;
        assert_eq!(
            decide(&muted, &on, &context),
            Decision::Suppress(Suppressed::Muted)
        );
        let dnd = NotificationSettings {
            do_not_disturb: true,
            ..on.clone()
        };
        assert_eq!(
            decide(&msg("c1", "Bob", "hi"), &dnd, &context),
            Decision::Suppress(Suppressed::DoNotDisturb)
        );
        let off = NotificationSettings {
            enabled: false,
            ..on.clone()
        };
        assert_eq!(
            decide(&msg("c1", "Bob", "hi"), &off, &context),
            Decision::Suppress(Suppressed::Disabled)
        );
        assert_eq!(
            decide(&msg("c1", "Bob", "hi"), &on, &context),
            Decision::Notify
        );
    }

    #[test]
    fn the_chat_being_looked_at_does_not_notify_unless_locked() {
        let on = NotificationSettings::default();
        let mut context = Context {
            focused_chat: Some("c1".into()),
            locked: false,
        };
        assert_eq!(
            decide(&msg("c1", "Bob", "hi"), &on, &context),
            Decision::Suppress(Suppressed::Watching)
        );
        assert_eq!(
            decide(&msg("c2", "Bob", "hi"), &on, &context),
            Decision::Notify
        );
        // Behind the lock screen nobody is reading the chat.
        context.locked = true;
        assert_eq!(
            decide(&msg("c1", "Bob", "hi"), &on, &context),
            Decision::Notify
        );
    }

    #[test]
    fn one_message_shows_sender_chat_and_text() {
        let notice = compose(&[msg("c1", "Bob", "lunch?")], true).unwrap();
        assert_eq!(notice.title, "Bob · Chat c1");
        assert_eq!(notice.body, "lunch?");
        assert_eq!(notice.open_chat.as_deref(), Some("c1"));
        let mut direct = msg("c1", "Bob", "lunch?");
        direct.direct = true;
        assert_eq!(compose(&[direct], true).unwrap().title, "Bob");
    }

    #[test]
    fn a_burst_in_one_chat_is_one_notice() {
        let batch: Vec<Incoming> = (0..5).map(|i| msg("c1", "Bob", &format!("m{i}"))).collect();
        let notice = compose(&batch, true).unwrap();
        assert_eq!(notice.title, "Chat c1");
        assert_eq!(notice.body, "5 new messages\nBob: m4");
        assert_eq!(notice.open_chat.as_deref(), Some("c1"));
    }

    #[test]
    fn a_catch_up_across_chats_is_counted_not_listed() {
        let mut batch = Vec::new();
        for i in 0..12 {
            batch.push(msg(["c1", "c2", "c3"][i % 3], "Bob", "x"));
        }
        let notice = compose(&batch, true).unwrap();
        assert_eq!(notice.body, "12 new messages in 3 chats");
        assert_eq!(notice.open_chat, None);
    }

    #[test]
    fn hidden_previews_say_only_that_something_arrived() {
        let notice = compose(&[msg("c1", "Bob", "the secret plan")], false).unwrap();
        assert_eq!(notice.title, "Outlast");
        assert_eq!(notice.body, "1 new message");
        assert!(!format!("{notice:?}").contains("secret") && !notice.title.contains("Bob"));
        assert_eq!(compose(&[], true), None);
    }

    #[test]
    fn previews_are_one_short_line_without_markup() {
        let notice = compose(&[msg("c1", "Bob", "<b>a</b>\nb & c\u{7}")], true).unwrap();
        assert_eq!(notice.body, "&lt;b&gt;a&lt;/b&gt; b &amp; c");
        let long = compose(&[msg("c1", "Bob", &"가".repeat(500))], true).unwrap();
        assert_eq!(long.body.chars().count(), PREVIEW_CHARS + 1);
    }
}
