//! "Start Outlast when I sign in to my computer": the autostart plugin's login item (a launch
//! agent on macOS, the registry on Windows, `~/.config/autostart` on Linux), started `--hidden`.

use tauri::{AppHandle, Runtime};
use tauri_plugin_autostart::ManagerExt;

use crate::IpcError;

/// Make the login item match the setting.
pub fn apply<R: Runtime>(app: &AppHandle<R>, enabled: bool) -> Result<(), IpcError> {
    let login_item = app.autolaunch();
    let result = if enabled {
        login_item.enable()
    } else {
        login_item.disable()
    };
    result.map_err(|err| IpcError {
        code: "autostart_error".into(),
        message: format!("could not change starting at login: {err}"),
        retryable: true,
    })
}
