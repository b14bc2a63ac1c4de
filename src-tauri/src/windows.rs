//! The main window's desktop manners: closing keeps Outlast in the tray (if set and a tray
//! exists), focus is tracked for notifications, and it can be brought back from anywhere.

use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};

use crate::AppCore;

pub const MAIN: &str = "main";

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
