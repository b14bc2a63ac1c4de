//! The tray icon: unread total and connection state (tooltip, first menu line, badge dot), a
//! menu to open, lock or quit, and a left click that shows the window.

use std::sync::Arc;

use outlast_core::Client;
use outlast_desktop::{tray_status, with_badge, DesktopState};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};
use tokio::time::Duration;

use crate::windows::show_main;
use crate::AppCore;

pub const ID: &str = "outlast";
/// Tray updates at most this often: a catch-up of thousands of messages is one redraw.
const UPDATE_EVERY: Duration = Duration::from_millis(500);

/// The menu line that shows the status; updated in place.
struct StatusItem<R: Runtime>(MenuItem<R>);

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", "Starting…", false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Outlast", true, None::<&str>)?;
    let lock = MenuItem::with_id(app, "lock", "Lock now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Outlast", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &lock,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id(ID)
        .tooltip("Outlast")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_main(app),
            "lock" => {
                let core = app.state::<AppCore>();
                if core.desktop.lock_now().is_err() {
                    // No passcode yet: show the window, where settings can set one.
                    show_main(app);
                }
            }
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    app.manage(StatusItem(status));
    Ok(())
}

/// Keep the tray in step with unread counts, the connection and the lock.
pub fn keep_updated<R: Runtime>(app: AppHandle<R>, client: Client, desktop: Arc<DesktopState>) {
    let mut events = client.subscribe();
    let mut lock = desktop.lock().subscribe();
    tauri::async_runtime::spawn(async move {
        let plain = app.default_window_icon().map(|i| i.clone().to_owned());
        let mut shown = None;
        loop {
            let unread: u32 = client
                .chats()
                .map(|chats| chats.iter().map(|c| c.unread_count).sum())
                .unwrap_or(0);
            let status = tray_status(
                unread,
                &client.connection_state(),
                desktop.lock().is_locked(),
            );
            if shown.as_ref() != Some(&status) {
                apply(&app, &status, unread, plain.as_ref());
                shown = Some(status);
            }
            tokio::time::sleep(UPDATE_EVERY).await;
            tokio::select! {
                received = events.recv() => {
                    if matches!(received, Err(tokio::sync::broadcast::error::RecvError::Closed)) {
                        return;
                    }
                }
                _ = lock.changed() => {}
            }
        }
    });
}

fn apply<R: Runtime>(
    app: &AppHandle<R>,
    status: &outlast_desktop::TrayStatus,
    unread: u32,
    plain: Option<&Image<'static>>,
) {
    if let Some(tray) = app.tray_by_id(ID) {
        let _ = tray.set_tooltip(Some(&status.tooltip));
        if let Some(plain) = plain {
            let icon = if status.badge {
                Image::new_owned(
                    with_badge(plain.rgba(), plain.width(), plain.height()),
                    plain.width(),
                    plain.height(),
                )
            } else {
                plain.clone()
            };
            let _ = tray.set_icon(Some(icon));
        }
    }
    if let Some(item) = app.try_state::<StatusItem<R>>() {
        let _ = item.0.set_text(&status.status_line);
    }
    if let Some(window) = app.get_webview_window(crate::windows::MAIN) {
        // Dock/taskbar count where the platform has one; not all Linux desktops do.
        let _ = window.set_badge_count((unread > 0).then_some(i64::from(unread)));
    }
}
