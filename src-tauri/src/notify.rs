//! New messages -> the notification rules -> one batched notice -> the OS. A click shows the
//! window and opens the chat.

use std::sync::Arc;

use outlast_core::Client;
use outlast_desktop::notifications::{self, Batcher, Context, DesktopNotifier};
use outlast_desktop::DesktopState;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::events::OPEN_CHAT;
use crate::AppCore;

pub fn start<R: Runtime>(app: AppHandle<R>, client: Client, desktop: Arc<DesktopState>) {
    tauri::async_runtime::spawn(async move {
        let clicked = app.clone();
        let notifier = Arc::new(DesktopNotifier::new(
            "Outlast",
            Arc::new(move |chat: Option<String>| {
                crate::windows::show_main(&clicked);
                if let Some(chat) = chat {
                    let _ = clicked.emit(OPEN_CHAT, chat);
                }
            }),
        ));
        let previews = desktop.clone();
        let batcher = Batcher::spawn(notifier, move || {
            previews.notifications().show_previews && !previews.lock().is_locked()
        });
        notifications::pump(client, batcher, move || {
            let context = Context {
                focused_chat: app.state::<AppCore>().focus.focused_chat(),
                locked: desktop.lock().is_locked(),
            };
            (desktop.notifications(), context)
        })
        .await;
    });
}
