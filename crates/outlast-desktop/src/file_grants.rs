//! Which files the UI may send: only those the user chose in this run, through the system file
//! chooser or by dropping them on the window (both seen by the shell, not told by the webview).
//! A compromised or buggy page therefore cannot send `~/.ssh/id_ed25519` by naming it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Files the user handed over and not yet sent.
#[derive(Default)]
pub struct FileGrants {
    granted: Mutex<HashSet<PathBuf>>,
}

/// Most files remembered at once; picking more forgets the oldest grants' worth (all of them).
const MAX_GRANTS: usize = 1_000;

impl FileGrants {
    /// The user picked or dropped these.
    pub fn grant(&self, paths: &[PathBuf]) {
        let mut granted = self.granted.lock().unwrap_or_else(|e| e.into_inner());
        if granted.len() + paths.len() > MAX_GRANTS {
            granted.clear();
        }
        granted.extend(paths.iter().cloned());
    }

    /// Whether every path was handed over by the user; if not, the first stranger.
    pub fn check(&self, paths: &[PathBuf]) -> Result<(), PathBuf> {
        let granted = self.granted.lock().unwrap_or_else(|e| e.into_inner());
        match paths.iter().find(|p| !granted.contains(p.as_path())) {
            Some(stranger) => Err(stranger.clone()),
            None => Ok(()),
        }
    }

    /// Use the grants for `paths` (each once). Every path must have been handed over by the
    /// user; otherwise nothing is used and the first stranger is named.
    pub fn take(&self, paths: &[PathBuf]) -> Result<(), PathBuf> {
        let mut granted = self.granted.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stranger) = paths.iter().find(|p| !granted.contains(p.as_path())) {
            return Err(stranger.clone());
        }
        for path in paths {
            granted.remove(path.as_path());
        }
        Ok(())
    }

    /// Forget every grant (sign-out: the next account must not send the last one's picks).
    pub fn clear(&self) {
        self.granted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Whether `path` is granted (for tests and diagnostics).
    pub fn is_granted(&self, path: &Path) -> bool {
        self.granted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_the_user_handed_over_can_be_sent_and_each_grant_is_used_once() {
        let grants = FileGrants::default();
        let photo = PathBuf::from("/home/u/Pictures/photo.jpg");
        let key = PathBuf::from("/home/u/.ssh/id_ed25519");
        grants.grant(std::slice::from_ref(&photo));
        assert_eq!(grants.take(&[photo.clone(), key.clone()]), Err(key.clone()));
        assert!(grants.is_granted(&photo), "a refused request uses nothing");
        assert_eq!(grants.take(std::slice::from_ref(&photo)), Ok(()));
        assert_eq!(grants.take(std::slice::from_ref(&photo)), Err(photo));
    }
}
