//! The main window's desktop manners: closing keeps Outlast in the tray (if set and a tray
//! exists), focus is tracked for notifications, and it can be brought back from anywhere.

use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};

use crate::AppCore;

pub const MAIN: &str = "main";

/// Chat windows are labelled `chat-` + a label-safe form of the chat id.
pub const CHAT_PREFIX: &str = "chat-";

/// Open `chat_id` in a window of its own (or bring its window forward): the same UI, showing
/// only that chat, on the same core, so every window stays consistent.
pub fn open_chat_window<R: Runtime>(
    app: &AppHandle<R>,
    chat_id: &str,
    title: &str,
) -> tauri::Result<()> {
    let label = chat_window_label(chat_id);
    if let Some(window) = app.get_webview_window(&label) {
        let _ = window.unminimize();
        window.show()?;
        return window.set_focus();
    }
    // The chat id travels percent-encoded in the page's query.
    let mut encoded = tauri::Url::parse("app://outlast/index.html").expect("a constant URL");
    encoded.query_pairs_mut().append_pair("chat", chat_id);
    let query = encoded.query().unwrap_or_default();
    let url = tauri::WebviewUrl::App(format!("index.html?{query}").into());
    let window = tauri::WebviewWindowBuilder::new(app, label, url)
        .title(title)
        .inner_size(420.0, 640.0)
        .min_inner_size(320.0, 400.0)
        .build()?;
    if let Some(core) = app.try_state::<AppCore>() {
        zoom(&window, core.desktop.view().text_zoom);
    }
    Ok(())
}

/// Size everything in every window (`percent`: the text size setting), as the webview's own
/// zoom: text, pictures and spacing grow together and the layout reflows to fit.
pub fn apply_zoom<R: Runtime>(app: &AppHandle<R>, percent: u16) {
    for window in app.webview_windows().values() {
        zoom(window, percent);
    }
}

fn zoom<R: Runtime>(window: &tauri::WebviewWindow<R>, percent: u16) {
    if let Err(err) = window.set_zoom(f64::from(percent) / 100.0) {
        tracing::warn!(%err, window = window.label(), percent, "could not size the window's content");
    }
}

/// Window labels allow letters, digits, `-`, `/`, `:` and `_`; anything else in a chat id is
/// spelled as its code point, so different ids never share a window.
pub fn chat_window_label(chat_id: &str) -> String {
    let mut label = String::from(CHAT_PREFIX);
    for c in chat_id.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            label.push(c);
        } else {
            label.push_str(&format!("_{:x}_", c as u32));
        }
    }
    label
}

pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

pub fn hide_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.hide();
    }
}

/// Drops onto a webview (Tauri reports them per webview in multi-webview windows, per window
/// otherwise; either way the paths come from the platform, not from the page).
pub fn on_webview_event<R: Runtime>(webview: &tauri::Webview<R>, event: &tauri::WebviewEvent) {
    if let tauri::WebviewEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
        if let Some(core) = webview.app_handle().try_state::<AppCore>() {
            core.file_grants.grant(paths);
        }
    }
}

pub fn on_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    let app = window.app_handle();
    let Some(core) = app.try_state::<AppCore>() else {
        return;
    };
    match event {
        WindowEvent::Focused(focused) => core.focus.window_focused(window.label(), *focused),
        // Dropped files are the user's choice, seen here and not taken from the page's word.
        WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
            core.file_grants.grant(paths)
        }
        WindowEvent::CloseRequested { api, .. }
            if window.label() == MAIN
                && core.desktop.close_to_tray()
                && app.tray_by_id(crate::tray::ID).is_some() =>
        {
            api.prevent_close();
            let _ = window.hide();
            core.focus.window_focused(window.label(), false);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_window_labels_are_valid_and_distinct() {
        assert_eq!(chat_window_label("c-jun"), "chat-c-jun");
        assert_eq!(chat_window_label("a_b"), "chat-a_5f_b");
        assert_ne!(chat_window_label("a b"), chat_window_label("a_20_b"));
        let odd = chat_window_label("팀/채팅:1");
        assert!(odd
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
