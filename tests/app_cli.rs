//! `outlast --version` and `--help` answer without a display or a window.

use std::process::Command;

#[test]
fn version_and_help_need_no_display() {
    let version = Command::new(env!("CARGO_BIN_EXE_outlast"))
        .arg("--version")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("outlast {}", env!("CARGO_PKG_VERSION"))
    );

    let help = Command::new(env!("CARGO_BIN_EXE_outlast"))
        .arg("--help")
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--mock"));

    let bad = Command::new(env!("CARGO_BIN_EXE_outlast"))
        .arg("--no-such-flag")
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "bad arguments exit with clap's usage code"
    );
}
