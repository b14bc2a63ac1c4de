//! The Outlast desktop shell: a thin Tauri layer over `outlast-core` and `outlast-desktop`.
//! Commands validate and forward, events are forwarded as they come, and desktop concerns
//! (windows, tray, notifications, lock, logging, the embedded mock backend) are wired up here.
//! No messenger logic lives in this crate.

#[cfg(test)]
mod command_bindings;
mod commands;
mod events;
mod focus;
mod ipc_error;
mod launch;
mod launch_report;
mod lock_watch;
mod logging;
mod mock_mode;
mod notify;
mod start_at_login;
mod startup;
mod tester;
mod tray;
mod webkit_env;
mod windows;

use std::sync::{Arc, Mutex};

use outlast_core::{Client, ClientOptions, Vault};
use outlast_desktop::{DesktopState, KeyringVault};
use tauri::{Manager, Runtime};

pub use ipc_error::IpcError;
pub use launch::LaunchOptions;

/// What the commands reach through Tauri's state: the one core client, the desktop settings and
/// lock, and the start-up gate.
pub struct AppCore {
    pub client: Client,
    pub desktop: Arc<DesktopState>,
    pub focus: focus::Focus,
    /// Resolves once start-up (restoring the last session, or signing in to the embedded mock
    /// backend) has finished, so the UI's first `session` call never races it.
    pub startup: tokio::sync::watch::Receiver<bool>,
    /// Why the last session could not be restored, for the sign-in screen.
    pub startup_notice: Arc<Mutex<Option<String>>>,
    /// Files the user picked or dropped, the only ones `send_files` takes.
    pub file_grants: outlast_desktop::FileGrants,
}

/// Register every plugin, command and hook on `builder`, for any runtime (tests can pass Tauri's
/// mock one).
pub fn configure<R: Runtime>(
    builder: tauri::Builder<R>,
    options: LaunchOptions,
) -> tauri::Builder<R> {
    builder
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("Outlast was launched again: showing this instance instead");
            windows::show_main(app);
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .invoke_handler(tauri::generate_handler![
            commands::session,
            commands::sign_in_hint,
            commands::login,
            commands::sign_out,
            commands::list_chats,
            commands::open_chat,
            commands::send_message,
            commands::set_muted,
            commands::search,
            commands::retry_message,
            commands::retry_all,
            commands::delete_message,
            commands::set_viewing,
            commands::send_files,
            commands::pick_files,
            commands::save_attachment,
            commands::export_chat,
            commands::forward_message,
            commands::rename_chat,
            commands::mark_read,
            commands::load_older,
            commands::fill_gap,
            commands::history_gaps,
            commands::read_marks,
            commands::set_pinned,
            commands::open_folder,
            commands::reset_download_folder,
            commands::choose_download_folder,
            commands::data_location,
            commands::server_endpoints,
            commands::edit_message,
            commands::tester_status,
            commands::tester_set_fault,
            commands::tester_play,
            commands::tester_stop,
            commands::open_link,
            commands::save_draft,
            commands::drafts,
            commands::chat_list_painted,
            commands::open_chat_window,
            commands::people,
            commands::create_chat,
            commands::retry_chat,
            commands::delete_unmade_chat,
            commands::reconnect_now,
            commands::get_settings,
            commands::update_settings,
            commands::set_passcode,
            commands::remove_passcode,
            commands::lock_now,
            commands::unlock,
            commands::is_locked,
            commands::note_activity,
        ])
        .on_window_event(windows::on_event)
        .on_webview_event(windows::on_webview_event)
        .setup(move |app| {
            let log_dir = app.path().app_log_dir()?;
            let guard = logging::init(&log_dir);
            app.manage(guard);
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                ?options,
                "Outlast starting"
            );

            let desktop = Arc::new(DesktopState::load(&app.path().app_config_dir()?));
            // The demo signs in afresh every start: nothing of it belongs in the user's keyring.
            let vault = (!options.mock).then(|| Vault::new(KeyringVault));
            // The endpoint cache and the message cache live in the app's data folder, so an
            // outage at start-up still finds the gateways and shows the chats.
            let client = Client::with_options(ClientOptions {
                data_dir: app.path().app_data_dir().ok(),
                vault,
                ..ClientOptions::default()
            });
            let (startup_done, startup) = tokio::sync::watch::channel(false);
            let startup_notice = Arc::new(Mutex::new(None));
            app.manage(AppCore {
                client: client.clone(),
                desktop: desktop.clone(),
                focus: focus::Focus::default(),
                file_grants: outlast_desktop::FileGrants::default(),
                startup,
                startup_notice: startup_notice.clone(),
            });
            // (At the default size there is nothing to change: no call into each webview.)
            let zoom = desktop.view().text_zoom;
            if zoom != outlast_desktop::settings::DEFAULT_TEXT_ZOOM {
                windows::apply_zoom(app.handle(), zoom);
            }
            events::forward(app.handle().clone(), client.subscribe(), desktop.clone());
            notify::start(app.handle().clone(), client.clone(), desktop.clone());
            lock_watch::start(app.handle().clone(), desktop.clone());
            match tray::create(app.handle()) {
                Ok(()) => tray::keep_updated(app.handle().clone(), client.clone(), desktop.clone()),
                // Without a tray the window must not hide on close: see windows::on_event.
                Err(err) => tracing::warn!(%err, "no tray icon"),
            }
            if options.hidden {
                windows::hide_main(app.handle());
            }
            if options.mock {
                mock_mode::start(app.handle().clone(), client, startup_done);
            } else {
                startup::restore(client, startup_notice, startup_done);
            }
            Ok(())
        })
}

/// Choose WebKit's settings for this machine; call first thing in `main`.
pub fn tune_webkit() {
    webkit_env::tune();
}

/// Run the desktop app until it is quit.
pub fn run(options: LaunchOptions) -> std::process::ExitCode {
    launch_report::mark_start();
    let result = configure(tauri::Builder::default(), options).run(tauri::generate_context!());
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("outlast: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
