//! The real app binary on a private D-Bus session and an Xvfb display: a second launch hands
//! over to the running Outlast (which shows its window) and exits; `--hidden` starts it without
//! a window, as starting at login does.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const STARTUP: Duration = Duration::from_secs(90);

/// The name the single-instance plugin owns: the app identifier + `.SingleInstance`.
const INSTANCE_NAME: &str = "app.outlast.desktop.SingleInstance";

struct App {
    child: Child,
    home: PathBuf,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn launch(home: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_outlast"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("RUST_LOG", "info")
        .spawn()
        .expect("the outlast binary starts")
}

fn log_file(home: &Path) -> PathBuf {
    home.join("data/app.outlast.desktop/logs/outlast.log")
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + STARTUP;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_second_launch_shows_the_running_outlast_and_exits() {
    let session = outlast_testenv::start_with(false, true);
    let home = session.home.join("single-instance");
    std::fs::create_dir_all(&home).unwrap();
    let first = App {
        child: launch(&home, &["--mock", "--hidden"]),
        home: home.clone(),
    };
    outlast_testenv::wait_for_name_within(&session.address, INSTANCE_NAME, STARTUP);
    wait_until("the demo sign-in", || {
        std::fs::read_to_string(log_file(&first.home))
            .is_ok_and(|log| log.contains("session started"))
    });

    let mut second = launch(&home, &["--mock"]);
    let deadline = Instant::now() + STARTUP;
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the second launch kept running");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    wait_until("the first instance showing itself", || {
        std::fs::read_to_string(log_file(&first.home))
            .is_ok_and(|log| log.contains("launched again: showing this instance"))
    });
    let mut first = first;
    assert!(
        first.child.try_wait().unwrap().is_none(),
        "the first Outlast keeps running"
    );
    // Started hidden, it lives in the tray: the icon was created.
    let log = std::fs::read_to_string(log_file(&first.home)).unwrap();
    assert!(!log.contains("no tray icon"), "{log}");
}
