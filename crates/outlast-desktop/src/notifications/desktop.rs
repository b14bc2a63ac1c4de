//! Notices to the OS through notify-rust. On Linux/BSD a click on a notice ("default" action)
//! reports the chat to open; macOS and Windows show the notice and bring nothing back (the OS
//! focuses the app on click where it can).

use std::sync::Arc;

use super::{Notice, Notifier};

/// Called with the chat to open (or `None`: just show the app) when a notice is clicked.
pub type OnClick = Arc<dyn Fn(Option<String>) + Send + Sync>;

pub struct DesktopNotifier {
    app_name: String,
    on_click: OnClick,
}

impl DesktopNotifier {
    pub fn new(app_name: impl Into<String>, on_click: OnClick) -> Self {
        DesktopNotifier {
            app_name: app_name.into(),
            on_click,
        }
    }
}

impl Notifier for DesktopNotifier {
    fn show(&self, notice: Notice) {
        let mut notification = notify_rust::Notification::new();
        notification
            .appname(&self.app_name)
            .summary(&notice.title)
            .body(&notice.body)
            .icon("app.outlast.desktop");
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            notification
                .action("default", "Open")
                .hint(notify_rust::Hint::Category("im.received".to_owned()))
                .hint(notify_rust::Hint::DesktopEntry("Outlast".to_owned()));
            let on_click = self.on_click.clone();
            // Waiting for the click blocks until the notice closes; a pop-up at most every few
            // seconds (the batcher's gap) keeps these threads few.
            std::thread::spawn(move || match notification.show() {
                Ok(handle) => handle.wait_for_action(|action| {
                    if action == "default" {
                        on_click(notice.open_chat.clone());
                    }
                }),
                Err(err) => tracing::warn!(%err, "could not show a notification"),
            });
        }
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        {
            let _ = &self.on_click;
            if let Err(err) = notification.show() {
                tracing::warn!(%err, "could not show a notification");
            }
        }
    }
}
