//! Damage: how a damaged database is recognised, set aside (never deleted) and checked page by
//! page in the background.

use super::*;

pub(super) fn is_damage(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// Checks every page of the database at `path` on a connection of its own (readers do not block
/// the app's writer under WAL). On damage it leaves a note beside the file, so the next start
/// sets the file aside and fills a fresh one from the server, and returns what was found.
pub fn check_in_background(path: &Path) -> Result<(), StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let found = match conn.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)) {
        Ok(check) if check == "ok" => return Ok(()),
        Ok(check) => check,
        Err(err) if is_damage(&err) => err.to_string(),
        Err(err) => return Err(err.into()),
    };
    crate::private_files::write_atomically(&damage_note(path), found.as_bytes()).map_err(
        |source| StoreError::Io {
            path: damage_note(path),
            source,
        },
    )?;
    Err(damaged(found))
}

/// Where a failed background check leaves its finding for the next start.
pub(super) fn damage_note(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.damaged", path.display()))
}

pub(super) fn damaged(reason: String) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
        Some(reason),
    ))
}

/// Move a damaged database (and its journal files) aside, keeping it for inspection.
pub(super) fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let target = path.with_extension(format!("damaged-{}", now_ms()));
    fs::rename(path, &target)?;
    // The note has done its job: the fresh file must not be taken for damaged.
    let _ = fs::rename(
        damage_note(path),
        PathBuf::from(format!("{}.reason", target.display())),
    );
    for suffix in ["-wal", "-shm"] {
        let journal = PathBuf::from(format!("{}{suffix}", path.display()));
        if journal.exists() {
            let _ = fs::rename(
                &journal,
                PathBuf::from(format!("{}{suffix}", target.display())),
            );
        }
    }
    Ok(target)
}

/// An empty file only the user may read: SQLite keeps its journal files at the same mode.
pub(super) fn create_private_file(path: &Path) -> std::io::Result<()> {
    crate::private_files::open_options()
        .create_new(true)
        .open(path)
        .map(drop)
}
