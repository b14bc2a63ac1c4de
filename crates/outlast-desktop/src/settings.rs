//! The desktop settings (`settings.json` in the app's config folder, owner-only): notifications,
//! tray, start at login, lock. The passcode is stored only as an Argon2id verifier, never as text.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::notifications::NotificationSettings;

const FILE_NAME: &str = "settings.json";

/// Longest idle time before locking that the settings accept: one day.
pub const MAX_IDLE_MINUTES: u32 = 24 * 60;

/// The sizes of everything in the windows (text, pictures, spacing), in percent, that Settings
/// offers and Ctrl/Cmd with plus or minus steps through. `ui/src/lib/zoom.ts` has the same list.
pub const TEXT_ZOOM_STEPS: [u16; 8] = [80, 90, 100, 110, 125, 150, 175, 200];
/// The size the windows start at.
pub const DEFAULT_TEXT_ZOOM: u16 = 100;

/// How the app looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Theme {
    /// Light or dark as the system is.
    #[default]
    System,
    Light,
    Dark,
}

/// The language of the app's own words (messages are shown as written).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Language {
    /// The system's language where Outlast speaks it, else English.
    #[default]
    System,
    English,
    Korean,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DesktopSettings {
    pub notifications: NotificationSettings,
    /// Closing the window keeps Outlast running in the tray.
    pub close_to_tray: bool,
    pub start_at_login: bool,
    /// Lock after this many idle minutes; 0 = only on demand.
    pub lock_idle_minutes: u32,
    /// Argon2id PHC string of the passcode; `None` = no lock.
    pub passcode_verifier: Option<String>,
    pub theme: Theme,
    pub language: Language,
    /// Where Save puts received files; `None`: the system's Downloads folder.
    pub download_folder: Option<PathBuf>,
    /// How big everything in the windows is, in percent (one of [`TEXT_ZOOM_STEPS`]).
    pub text_zoom: u16,
}

impl Default for DesktopSettings {
    fn default() -> Self {
        DesktopSettings {
            notifications: NotificationSettings::default(),
            close_to_tray: true,
            start_at_login: false,
            lock_idle_minutes: 0,
            passcode_verifier: None,
            theme: Theme::System,
            language: Language::System,
            download_folder: None,
            text_zoom: DEFAULT_TEXT_ZOOM,
        }
    }
}

/// What the UI sees: everything but the verifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SettingsView {
    pub notifications: NotificationSettings,
    pub close_to_tray: bool,
    pub start_at_login: bool,
    pub lock_idle_minutes: u32,
    pub has_passcode: bool,
    pub theme: Theme,
    pub language: Language,
    /// How big everything in the windows is, in percent.
    pub text_zoom: u16,
}

/// What the UI may change in one call (the passcode has its own calls).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SettingsEdit {
    pub notifications: NotificationSettings,
    pub close_to_tray: bool,
    pub start_at_login: bool,
    pub lock_idle_minutes: u32,
    /// Unchanged when left out.
    #[serde(default)]
    #[ts(optional)]
    pub theme: Option<Theme>,
    /// Unchanged when left out.
    #[serde(default)]
    #[ts(optional)]
    pub language: Option<Language>,
    /// In percent, one of [`TEXT_ZOOM_STEPS`]; unchanged when left out.
    #[serde(default)]
    #[ts(optional)]
    pub text_zoom: Option<u16>,
}

impl DesktopSettings {
    pub fn view(&self) -> SettingsView {
        SettingsView {
            notifications: self.notifications.clone(),
            close_to_tray: self.close_to_tray,
            start_at_login: self.start_at_login,
            lock_idle_minutes: self.lock_idle_minutes,
            has_passcode: self.passcode_verifier.is_some(),
            theme: self.theme,
            language: self.language,
            text_zoom: self.text_zoom(),
        }
    }

    /// The windows' size in percent; a value the settings file should not hold (edited by
    /// hand) reads as the default.
    pub fn text_zoom(&self) -> u16 {
        if TEXT_ZOOM_STEPS.contains(&self.text_zoom) {
            self.text_zoom
        } else {
            DEFAULT_TEXT_ZOOM
        }
    }

    pub fn apply(&mut self, edit: SettingsEdit) -> Result<(), String> {
        if edit.lock_idle_minutes > MAX_IDLE_MINUTES {
            return Err(format!(
                "lock after at most {MAX_IDLE_MINUTES} minutes of inactivity"
            ));
        }
        if let Some(zoom) = edit.text_zoom.filter(|z| !TEXT_ZOOM_STEPS.contains(z)) {
            let steps: Vec<String> = TEXT_ZOOM_STEPS.iter().map(|s| format!("{s}%")).collect();
            return Err(format!(
                "the text size {zoom}% is not one of {}",
                steps.join(", ")
            ));
        }
        self.notifications = edit.notifications;
        self.close_to_tray = edit.close_to_tray;
        self.start_at_login = edit.start_at_login;
        self.lock_idle_minutes = edit.lock_idle_minutes;
        if let Some(theme) = edit.theme {
            self.theme = theme;
        }
        if let Some(language) = edit.language {
            self.language = language;
        }
        if let Some(zoom) = edit.text_zoom {
            self.text_zoom = zoom;
        }
        Ok(())
    }
}

pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn in_dir(dir: &Path) -> Self {
        SettingsFile {
            path: dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved settings; defaults when there are none. A damaged file is kept aside (so a
    /// passcode is never silently dropped without a trace) and the defaults are used.
    pub fn load(&self) -> DesktopSettings {
        let Ok(text) = fs::read_to_string(&self.path) else {
            return DesktopSettings::default();
        };
        match serde_json::from_str(&text) {
            Ok(settings) => settings,
            Err(err) => {
                let aside = self.path.with_extension("json.damaged");
                let _ = fs::rename(&self.path, &aside);
                tracing::error!(%err, kept_at = %aside.display(), "the settings file was damaged; using defaults");
                DesktopSettings::default()
            }
        }
    }

    pub fn save(&self, settings: &DesktopSettings) -> std::io::Result<()> {
        outlast_core::private_files::write_atomically(
            &self.path,
            &serde_json::to_vec_pretty(settings)?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_restart_and_damage_falls_back_to_defaults() {
        let dir = std::env::temp_dir().join(format!("outlast-settings-{}", std::process::id()));
        let file = SettingsFile::in_dir(&dir);
        assert_eq!(file.load(), DesktopSettings::default());
        let mut settings = DesktopSettings::default();
        settings.notifications.do_not_disturb = true;
        settings.lock_idle_minutes = 5;
        file.save(&settings).unwrap();
        assert_eq!(file.load(), settings);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(file.path(), "{ not json").unwrap();
        assert_eq!(file.load(), DesktopSettings::default());
        assert!(dir.join("settings.json.damaged").exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_idle_time_beyond_a_day_is_refused() {
        let mut settings = DesktopSettings::default();
        let mut edit = SettingsEdit {
            notifications: NotificationSettings::default(),
            close_to_tray: false,
            start_at_login: true,
            lock_idle_minutes: MAX_IDLE_MINUTES + 1,
            theme: None,
            language: None,
            text_zoom: None,
        };
        assert!(settings.apply(edit.clone()).is_err());
        edit.lock_idle_minutes = 10;
        settings.apply(edit).unwrap();
        assert!(!settings.close_to_tray && settings.start_at_login);
    }

    #[test]
    fn theme_and_language_change_only_when_given_and_old_files_read_as_system() {
        let mut settings: DesktopSettings =
            serde_json::from_str(r#"{"close_to_tray": false}"#).unwrap();
        assert_eq!(
            (settings.theme, settings.language),
            (Theme::System, Language::System)
        );
        let edit: SettingsEdit = serde_json::from_value(serde_json::json!({
            "notifications": NotificationSettings::default(),
            "close_to_tray": false,
            "start_at_login": false,
            "lock_idle_minutes": 0,
            "theme": "dark",
        }))
        .unwrap();
        settings.apply(edit).unwrap();
        assert_eq!(
            (settings.theme, settings.language),
            (Theme::Dark, Language::System)
        );
        assert_eq!(
            serde_json::to_value(settings.view()).unwrap()["theme"],
            serde_json::json!("dark")
        );
    }

    #[test]
    fn the_text_size_is_one_of_the_steps_kept_across_restarts_and_a_bad_one_changes_nothing() {
        let dir = std::env::temp_dir().join(format!("outlast-zoom-{}", std::process::id()));
        let file = SettingsFile::in_dir(&dir);
        let mut settings = file.load();
        assert_eq!(settings.view().text_zoom, 100);
        let edit = |zoom: u16| SettingsEdit {
            notifications: NotificationSettings::default(),
            close_to_tray: true,
            start_at_login: false,
            lock_idle_minutes: 0,
            theme: None,
            language: None,
            text_zoom: Some(zoom),
        };
        let refused = settings.apply(edit(300)).unwrap_err();
        assert!(
            refused.contains("300%") && refused.contains("80%, 90%, 100%"),
            "{refused}"
        );
        assert!(settings.apply(edit(0)).is_err());
        assert_eq!(settings.view().text_zoom, 100, "nothing changed");
        settings.apply(edit(125)).unwrap();
        file.save(&settings).unwrap();
        assert_eq!(file.load().view().text_zoom, 125);
        // Left out: unchanged.
        let mut keep = edit(80);
        keep.text_zoom = None;
        settings.apply(keep).unwrap();
        assert_eq!(settings.view().text_zoom, 125);
        // A file from before the setting, or edited by hand, reads as the default.
        let old: DesktopSettings = serde_json::from_str(r#"{"close_to_tray": false}"#).unwrap();
        assert_eq!(old.view().text_zoom, 100);
        let hand: DesktopSettings = serde_json::from_str(r#"{"text_zoom": 7}"#).unwrap();
        assert_eq!(hand.view().text_zoom, 100);
        fs::remove_dir_all(&dir).unwrap();
    }
}
