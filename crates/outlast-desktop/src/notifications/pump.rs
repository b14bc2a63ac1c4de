//! From the client's events to the batcher: every new message from someone else passes the rules
//! with the settings and context of that moment.

use outlast_core::{Client, CoreEvent};
use tokio::sync::broadcast::error::RecvError;

use super::{decide, incoming, BatcherHandle, Context, Decision, NotificationSettings};

/// Run until the client's event stream ends. `now` gives the settings and context as they are
/// when a message arrives (the user may have muted, focused or locked meanwhile).
pub async fn pump(
    client: Client,
    batcher: BatcherHandle,
    now: impl Fn() -> (NotificationSettings, Context),
) {
    let mut events = client.subscribe();
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "notifications fell behind");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let CoreEvent::MessageAdded { message } = &event else {
            continue;
        };
        let chat = client.chat(&message.chat_id);
        // The user's name only matters to a message that may mention someone: a catch-up of
        // thousands should not assemble the session's info for each.
        let me = message
            .body
            .contains('@')
            .then(|| client.session_info().map(|s| s.user.display_name))
            .flatten();
        let Some(message) = incoming(&event, chat.as_ref(), me.as_deref()) else {
            continue;
        };
        let (settings, context) = now();
        match decide(&message, &settings, &context) {
            Decision::Notify => batcher.push(message),
            Decision::Suppress(why) => tracing::debug!(?why, "no notification"),
        }
    }
}
