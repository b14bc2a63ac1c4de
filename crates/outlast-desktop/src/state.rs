//! The desktop settings and the lock behind one door, so the shell's commands stay one line:
//! every change is validated here and saved before it is reported done.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use thiserror::Error;
use tokio::time::Duration;

use crate::lock::{hash_passcode, passcode_matches, Lock, LockError};
use crate::notifications::NotificationSettings;
use crate::settings::{DesktopSettings, SettingsEdit, SettingsFile, SettingsView};

#[derive(Debug, Error)]
pub enum DesktopError {
    #[error("{0}")]
    InvalidInput(String),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("the settings could not be saved: {0}")]
    Save(String),
}

impl DesktopError {
    /// Stable codes for the UI, like the core's.
    pub fn code(&self) -> &'static str {
        match self {
            DesktopError::InvalidInput(_) => "invalid_input",
            DesktopError::Lock(LockError::NoPasscode) => "no_passcode",
            DesktopError::Lock(LockError::BadPasscode) => "invalid_input",
            DesktopError::Lock(LockError::WrongPasscode) => "wrong_passcode",
            DesktopError::Lock(LockError::TooManyAttempts { .. }) => "too_many_attempts",
            DesktopError::Lock(LockError::Hashing(_)) | DesktopError::Save(_) => "local_data_error",
        }
    }

    pub fn retryable(&self) -> bool {
        matches!(
            self,
            DesktopError::Lock(LockError::TooManyAttempts { .. }) | DesktopError::Save(_)
        )
    }
}

pub struct DesktopState {
    file: SettingsFile,
    settings: Mutex<DesktopSettings>,
    lock: Lock,
}

impl DesktopState {
    /// Load the settings from `config_dir`; with a passcode set, start locked.
    pub fn load(config_dir: &Path) -> Self {
        let file = SettingsFile::in_dir(config_dir);
        let settings = file.load();
        let lock = Lock::new(settings.passcode_verifier.is_some());
        DesktopState {
            file,
            settings: Mutex::new(settings),
            lock,
        }
    }

    pub fn view(&self) -> SettingsView {
        self.settings().view()
    }

    /// The folder the user chose for saved files, if any.
    pub fn chosen_download_folder(&self) -> Option<PathBuf> {
        self.settings().download_folder.clone()
    }

    /// Save received files into `folder` from now on (checked first); `None`: the system's
    /// Downloads folder again.
    pub fn set_download_folder(&self, folder: Option<&Path>) -> Result<(), DesktopError> {
        let checked = folder
            .map(crate::data_location::check_download_folder)
            .transpose()?;
        self.change(|s| {
            s.download_folder = checked;
            Ok(())
        })?;
        Ok(())
    }

    pub fn notifications(&self) -> NotificationSettings {
        self.settings().notifications.clone()
    }

    pub fn close_to_tray(&self) -> bool {
        self.settings().close_to_tray
    }

    pub fn lock(&self) -> &Lock {
        &self.lock
    }

    pub fn update(&self, edit: SettingsEdit) -> Result<SettingsView, DesktopError> {
        self.change(|s| s.apply(edit).map_err(DesktopError::InvalidInput))
    }

    /// Set or change the passcode; changing needs the current one.
    pub fn set_passcode(&self, current: Option<&str>, new: &str) -> Result<(), DesktopError> {
        let verifier = hash_passcode(new)?;
        self.change(|s| {
            if let Some(existing) = &s.passcode_verifier {
                if !current.is_some_and(|c| passcode_matches(c, existing)) {
                    return Err(LockError::WrongPasscode.into());
                }
            }
            s.passcode_verifier = Some(verifier);
            Ok(())
        })?;
        Ok(())
    }

    /// Turn the lock off (needs the passcode).
    pub fn remove_passcode(&self, current: &str) -> Result<(), DesktopError> {
        self.change(|s| match &s.passcode_verifier {
            None => Err(LockError::NoPasscode.into()),
            Some(existing) if !passcode_matches(current, existing) => {
                Err(LockError::WrongPasscode.into())
            }
            Some(_) => {
                s.passcode_verifier = None;
                Ok(())
            }
        })?;
        self.lock.release();
        Ok(())
    }

    pub fn lock_now(&self) -> Result<(), DesktopError> {
        if self.settings().passcode_verifier.is_none() {
            return Err(LockError::NoPasscode.into());
        }
        self.lock.lock();
        Ok(())
    }

    pub fn unlock(&self, passcode: &str) -> Result<(), DesktopError> {
        let verifier = self
            .settings()
            .passcode_verifier
            .clone()
            .ok_or(LockError::NoPasscode)?;
        Ok(self.lock.unlock(passcode, &verifier)?)
    }

    /// Lock if the user has been idle longer than the setting; `true` if it locked now.
    pub fn lock_if_idle(&self) -> bool {
        let (minutes, has_passcode) = {
            let s = self.settings();
            (s.lock_idle_minutes, s.passcode_verifier.is_some())
        };
        has_passcode
            && self
                .lock
                .lock_if_idle(Duration::from_secs(u64::from(minutes) * 60))
    }

    /// Apply `change` to a copy, save it, and only then make it current.
    fn change<T>(
        &self,
        change: impl FnOnce(&mut DesktopSettings) -> Result<T, DesktopError>,
    ) -> Result<SettingsView, DesktopError> {
        let mut settings = self.settings();
        let mut next = settings.clone();
        change(&mut next)?;
        self.file
            .save(&next)
            .map_err(|e| DesktopError::Save(e.to_string()))?;
        *settings = next;
        Ok(settings.view())
    }

    fn settings(&self) -> std::sync::MutexGuard<'_, DesktopSettings> {
        self.settings.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passcode_locks_at_the_next_start_and_only_it_unlocks() {
        let dir =
            std::env::temp_dir().join(format!("outlast-desktop-state-{}", std::process::id()));
        let state = DesktopState::load(&dir);
        assert!(!state.lock().is_locked());
        assert!(matches!(
            state.lock_now(),
            Err(DesktopError::Lock(LockError::NoPasscode))
        ));
        state.set_passcode(None, "1357").unwrap();
        // Changing it needs the current one.
        assert!(state.set_passcode(Some("0000"), "2468").is_err());
        state.lock_now().unwrap();
        assert!(state.lock().is_locked());

        let restarted = DesktopState::load(&dir);
        assert!(
            restarted.lock().is_locked(),
            "a passcode means locked at start"
        );
        assert_eq!(
            restarted.unlock("0000").unwrap_err().code(),
            "wrong_passcode"
        );
        restarted.unlock("1357").unwrap();
        assert!(!restarted.lock().is_locked());
        assert!(!std::fs::read_to_string(dir.join("settings.json"))
            .unwrap()
            .contains("1357"));
        restarted.remove_passcode("1357").unwrap();
        assert!(!DesktopState::load(&dir).lock().is_locked());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
