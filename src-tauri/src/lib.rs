//! The Outlast desktop shell: a thin Tauri layer over `outlast-core`. Commands validate and
//! forward, events are forwarded as they come, and desktop concerns (logging, the embedded mock
//! backend) are wired up here. No messenger logic lives in this crate.

mod commands;
mod events;
mod ipc_error;
mod launch;
mod logging;
mod mock_mode;

use outlast_core::{Client, ClientOptions};
use tauri::{Manager, Runtime};

pub use ipc_error::IpcError;
pub use launch::LaunchOptions;

/// What the commands reach through Tauri's state: the one core client and the startup gate.
pub struct AppCore {
    pub client: Client,
    /// Resolves once start-up sign-in (e.g. into the embedded mock backend) has finished, so the
    /// UI's first `session` call never races it.
    pub startup: tokio::sync::watch::Receiver<bool>,
}

/// Register every command and hook on `builder`, for any runtime (tests can pass Tauri's mock one).
pub fn configure<R: Runtime>(
    builder: tauri::Builder<R>,
    options: LaunchOptions,
) -> tauri::Builder<R> {
    builder
        .invoke_handler(tauri::generate_handler![
            commands::session,
            commands::login,
            commands::list_chats,
            commands::open_chat,
            commands::send_message,
            commands::reconnect_now,
        ])
        .setup(move |app| {
            let log_dir = app.path().app_log_dir()?;
            let guard = logging::init(&log_dir);
            app.manage(guard);
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                ?options,
                "Outlast starting"
            );

            // The endpoint cache lives in the app's data folder, so a discovery outage at start-up
            // still finds the gateways.
            let client = Client::with_options(ClientOptions {
                data_dir: app.path().app_data_dir().ok(),
                ..ClientOptions::default()
            });
            let (startup_done, startup) = tokio::sync::watch::channel(false);
            events::forward(app.handle().clone(), client.subscribe());
            app.manage(AppCore {
                client: client.clone(),
                startup,
            });
            if options.mock {
                mock_mode::start(app.handle().clone(), client, startup_done);
            } else {
                let _ = startup_done.send(true);
            }
            Ok(())
        })
}

/// Run the desktop app until its last window closes.
pub fn run(options: LaunchOptions) -> std::process::ExitCode {
    let result = configure(tauri::Builder::default(), options).run(tauri::generate_context!());
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("outlast: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
