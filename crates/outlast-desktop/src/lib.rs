//! Outlast's desktop services that need no webview: the OS keyring vault, notification rules and
//! delivery, the desktop settings file and the lock. The Tauri shell wires these to windows and
//! the tray; everything here is testable against the real D-Bus services.

pub mod data_location;
pub mod file_grants;
pub mod keyring_vault;
pub mod links;
pub mod lock;
pub mod notifications;
pub mod settings;
pub mod state;
pub mod tray_status;

pub use data_location::DataLocation;
pub use file_grants::FileGrants;
pub use keyring_vault::KeyringVault;
pub use links::{open_link, LinkError};
pub use lock::{Lock, LockError};
pub use notifications::{Incoming, Notice, NotificationSettings, Notifier};
pub use settings::{DesktopSettings, Language, SettingsEdit, SettingsFile, SettingsView, Theme};
pub use state::{DesktopError, DesktopState};
pub use tray_status::{tray_status, with_badge, TrayStatus};
