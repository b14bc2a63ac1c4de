//! Folders and files only the signed-in user may read (logs, the endpoint cache, the account
//! database name chats and people). On Unix: folders 0700, files 0600; elsewhere the platform's
//! per-user profile folders already keep other users out.

use std::fs;
use std::path::Path;

/// Create `dir` (and its parents) owner-only.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Replace `path` with `bytes`, owner-only: written beside it, synced, then renamed over, so a
/// crash never leaves half a file (creates the folder owner-only if needed).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    create_dir(path.parent().unwrap_or(Path::new(".")))?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    {
        let mut out = open_options().create(true).truncate(true).open(&tmp)?;
        out.write_all(bytes)?;
        out.sync_all()?;
    }
    fs::rename(&tmp, path)
}

/// Options that create files owner-only; the caller chooses create, truncate or create-new.
pub fn open_options() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}
