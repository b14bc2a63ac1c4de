//! Where a downloaded attachment may be written. File names come from other people (and through
//! servers that may be hostile): a name is reduced to one harmless path component, and the result
//! is always inside the profile's download folder, whatever the name says.

use std::path::{Path, PathBuf};

/// Longest file name kept (bytes), below every common file system's limit.
const MAX_NAME_BYTES: usize = 200;

/// Names Windows reserves for devices, whatever the extension.
const WINDOWS_RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// One safe path component for `name`: no separators or parent references, no control or
/// bidirectional-override characters, no leading dots, no reserved device names, bounded length.
pub fn safe_file_name(name: &str) -> String {
    let mut cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            // Bidi overrides and isolates can disguise an extension ("exe.txt" shown as "txt.exe").
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => '_',
            c => c,
        })
        .collect();
    // Leading dots hide files or climb directories; trailing dots and spaces vanish on Windows.
    cleaned = cleaned
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_owned();
    let stem = cleaned.split('.').next().unwrap_or("").to_ascii_uppercase();
    if WINDOWS_RESERVED.contains(&stem.as_str()) {
        cleaned.insert(0, '_');
    }
    if cleaned.is_empty() {
        cleaned = "attachment".to_owned();
    }
    truncate_keeping_extension(&cleaned, MAX_NAME_BYTES)
}

/// A path for `name` inside `dir` that does not exist yet ("a.txt", then "a (2).txt", …).
pub fn download_path(dir: &Path, name: &str) -> PathBuf {
    let safe = safe_file_name(name);
    let (stem, extension) = match safe.rfind('.') {
        Some(at) if at > 0 => (&safe[..at], &safe[at..]),
        _ => (safe.as_str(), ""),
    };
    let mut candidate = dir.join(&safe);
    let mut n = 2;
    while candidate.exists() {
        candidate = dir.join(format!("{stem} ({n}){extension}"));
        n += 1;
    }
    candidate
}

fn truncate_keeping_extension(name: &str, limit: usize) -> String {
    if name.len() <= limit {
        return name.to_owned();
    }
    let extension = match name.rfind('.') {
        Some(at) if name.len() - at <= 16 => &name[at..],
        _ => "",
    };
    let mut stem_end = limit - extension.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{extension}", &name[..stem_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_leave_the_folder() {
        for (hostile, safe) in [
            ("../../.bashrc", "_.._.bashrc"),
            ("..", "attachment"),
            ("/etc/passwd", "_etc_passwd"),
            (
                "..\\..\\Windows\\System32\\evil.dll",
                "_.._Windows_System32_evil.dll",
            ),
            ("C:\\boot.ini", "C__boot.ini"),
            (".hidden", "hidden"),
            ("", "attachment"),
            ("   ", "attachment"),
            ("report.pdf. ", "report.pdf"),
        ] {
            assert_eq!(safe_file_name(hostile), safe, "{hostile:?}");
        }
    }

    #[test]
    fn disguises_and_device_names_are_defused() {
        assert_eq!(safe_file_name("photo\u{202E}gnp.exe"), "photo_gnp.exe");
        assert_eq!(safe_file_name("a\u{0000}b\nc.txt"), "a_b_c.txt");
        assert_eq!(safe_file_name("CON.txt"), "_CON.txt");
        assert_eq!(safe_file_name("nul"), "_nul");
        assert_eq!(safe_file_name("회의 자료.pptx"), "회의 자료.pptx");
    }

    #[test]
    fn long_names_keep_their_extension_and_stay_valid_utf8() {
        let long = format!("{}.jpeg", "가".repeat(300));
        let safe = safe_file_name(&long);
        assert!(safe.len() <= MAX_NAME_BYTES);
        assert!(safe.ends_with(".jpeg"));
    }

    #[test]
    fn downloads_never_overwrite() {
        let dir = std::env::temp_dir().join(format!("outlast-names-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = download_path(&dir, "../a.txt");
        assert_eq!(first, dir.join("_a.txt"));
        std::fs::write(&first, "x").unwrap();
        assert_eq!(download_path(&dir, "../a.txt"), dir.join("_a (2).txt"));
        assert!(download_path(&dir, "/../../x").starts_with(&dir));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
