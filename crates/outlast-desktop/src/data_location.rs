//! Where Outlast keeps things on this computer, for Settings: the data folder (the caches, the
//! unsent messages and their files, the settings) with the space it takes, and the folder
//! received files are saved into, which the user may choose.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::state::DesktopError;

/// What Settings shows under "Data and files".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DataLocation {
    /// The folder holding every account's cache, unsent files and the endpoint list.
    pub data_folder: String,
    /// Bytes under it (the databases, their logs and the files waiting to be sent).
    #[ts(type = "number")]
    pub used_bytes: u64,
    /// Where Save puts received files.
    pub download_folder: String,
    /// The user chose `download_folder` (else it is the system's Downloads folder).
    pub download_folder_chosen: bool,
}

/// A folder Settings can show in the file manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FolderKind {
    Data,
    Downloads,
}

/// The folder Save uses: the chosen one while it still exists, else the system's.
pub fn download_folder(chosen: Option<&Path>, system: Option<PathBuf>) -> Option<PathBuf> {
    chosen
        .filter(|p| p.is_dir())
        .map(Path::to_path_buf)
        .or(system)
}

pub fn describe(
    data_folder: &Path,
    chosen: Option<&Path>,
    system: Option<PathBuf>,
) -> DataLocation {
    let download = download_folder(chosen, system);
    DataLocation {
        data_folder: data_folder.display().to_string(),
        used_bytes: size_of(data_folder),
        download_folder_chosen: chosen.is_some() && download.as_deref() == chosen,
        download_folder: download
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    }
}

/// A folder the user picked for saved files: it must be a folder this account can write in
/// (checked by writing, since permissions alone do not say so on every system).
pub fn check_download_folder(path: &Path) -> Result<PathBuf, DesktopError> {
    if !path.is_absolute() {
        return Err(DesktopError::InvalidInput(format!(
            "{} is not a full path",
            path.display()
        )));
    }
    if !path.is_dir() {
        return Err(DesktopError::InvalidInput(format!(
            "{} is not a folder",
            path.display()
        )));
    }
    let probe = path.join(format!(".outlast-write-check-{}", std::process::id()));
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(path.to_path_buf())
        }
        Err(err) => Err(DesktopError::InvalidInput(format!(
            "files cannot be saved in {}: {err}",
            path.display()
        ))),
    }
}

/// Bytes in the files under `dir`; links are not followed (they could lead anywhere, or loop).
fn size_of(dir: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                total += entry.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    total
}

/// Show a folder in the system's file manager.
pub fn open_folder(path: &Path) -> Result<(), DesktopError> {
    if !path.is_dir() {
        return Err(DesktopError::InvalidInput(format!(
            "{} is not a folder",
            path.display()
        )));
    }
    let program = if cfg!(target_os = "windows") {
        "explorer"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    std::process::Command::new(program)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|err| {
            DesktopError::InvalidInput(format!(
                "no file manager could be started ({program}: {err})"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("outlast-data-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_data_folder_is_measured_and_the_chosen_download_folder_wins_while_it_exists() {
        let data = temp("measure");
        fs::create_dir_all(data.join("accounts/u@host")).unwrap();
        fs::write(data.join("accounts/u@host/outlast.db"), vec![0u8; 4096]).unwrap();
        fs::write(data.join("endpoints.json"), b"{}").unwrap();
        let chosen = temp("chosen");
        let system = PathBuf::from("/home/someone/Downloads");

        let shown = describe(&data, Some(&chosen), Some(system.clone()));
        assert_eq!(shown.used_bytes, 4098);
        assert_eq!(shown.data_folder, data.display().to_string());
        assert_eq!(shown.download_folder, chosen.display().to_string());
        assert!(shown.download_folder_chosen);

        // A chosen folder that was deleted (an unplugged drive) falls back to the system's.
        fs::remove_dir_all(&chosen).unwrap();
        let shown = describe(&data, Some(&chosen), Some(system.clone()));
        assert_eq!(shown.download_folder, system.display().to_string());
        assert!(!shown.download_folder_chosen);
        fs::remove_dir_all(&data).unwrap();
    }

    #[test]
    fn only_a_writable_folder_given_in_full_can_be_chosen() {
        let dir = temp("check");
        assert_eq!(check_download_folder(&dir).unwrap(), dir);
        assert!(
            fs::read_dir(&dir).unwrap().next().is_none(),
            "the probe is removed"
        );
        let file = dir.join("a-file");
        fs::write(&file, b"x").unwrap();
        assert!(check_download_folder(&file).is_err());
        assert!(check_download_folder(Path::new("relative/folder")).is_err());
        assert!(check_download_folder(&dir.join("missing")).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
