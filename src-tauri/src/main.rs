// Keep Windows release builds from opening a console window next to the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;

fn main() -> std::process::ExitCode {
    outlast_app::tune_webkit();
    // `--help` and `--version` are answered here, before any window or display is needed.
    let options = outlast_app::LaunchOptions::parse();
    outlast_app::run(options)
}
