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

pub fn on_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    let app = window.app_handle();
    let Some(core) = app.try_state::<AppCore>() else {
        return;
    };
    match event {
        WindowEvent::Focused(focused) => core.focus.window_focused(window.label(), *focused),
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
