//! Test-only environment for Outlast's desktop tests: a private D-Bus session (its own
//! `dbus-daemon`), on request a real `gnome-keyring-daemon` (Secret Service), and an Xvfb display.
//! The user's desktop session is never touched.
//!
//! The daemons are started from a thread that lives as long as the test process and die with it
//! (PR_SET_PDEATHSIG), so no test run leaves them behind.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct Session {
    pub address: String,
    pub home: PathBuf,
}

/// Start the bus (and the keyring if asked) and point this process at it. Call once per test
/// binary, before anything talks to D-Bus.
pub fn start(with_keyring: bool) -> Session {
    start_with(with_keyring, false)
}

/// Like [`start`], with an Xvfb display too (`DISPLAY` is set) for tests that open windows.
pub fn start_with(with_keyring: bool, with_display: bool) -> Session {
    sweep_leftovers(&std::env::temp_dir());
    let home = std::env::temp_dir().join(format!("{PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(home.join("run")).unwrap();
    let (tx, rx) = mpsc::channel();
    let keeper_home = home.clone();
    std::thread::spawn(move || {
        let address = spawn_bus();
        if with_keyring {
            spawn_keyring(&address, &keeper_home);
        }
        let display = with_display.then(spawn_display);
        tx.send((address, display)).unwrap();
        // The daemons die when this thread does: keep it for the life of the process.
        loop {
            std::thread::park();
        }
    });
    let (address, display) = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the test D-Bus session did not start");
    // Safe here: called before any other thread of the test binary reads the environment.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
    if let Some(display) = display {
        std::env::set_var("DISPLAY", display);
    }
    if with_keyring {
        wait_for_name(&address, "org.freedesktop.secrets");
    }
    Session { address, home }
}

/// The start of this environment's file names in the temp folder; the test process's id follows.
const PREFIX: &str = "outlast-dbus-";

/// Removes what earlier test processes left in `dir`. Their daemons lived exactly as long as they
/// did, so nothing could remove their folders at the end (a benchmark's holds a 25 MiB cache);
/// a folder whose process is gone is removed at the next start. Another run's live folder stays.
fn sweep_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let Ok(pid) = rest.strip_suffix(".conf").unwrap_or(rest).parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let path = entry.path();
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

fn dies_with_parent(command: &mut Command) -> &mut Command {
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        })
    }
}

/// A session bus with no service activation: only the daemons a test starts exist on it (the
/// system's service files would start a keyring on demand).
const BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

fn spawn_bus() -> String {
    let config = std::env::temp_dir().join(format!("{PREFIX}{}.conf", std::process::id()));
    std::fs::write(&config, BUS_CONFIG).unwrap();
    let mut child = dies_with_parent(
        Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )
    .spawn()
    .expect("dbus-daemon (apt install dbus-daemon) is needed for the desktop tests");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line.trim().to_owned();
    assert!(address.starts_with("unix:"), "dbus-daemon said {line:?}");
    std::mem::forget(child);
    address
}

/// An Xvfb server on a free display number; returns `:N`.
fn spawn_display() -> String {
    let mut child = dies_with_parent(
        Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )
    .spawn()
    .expect("Xvfb (apt install xvfb) is needed for tests that open windows");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let number: u32 = line
        .trim()
        .parse()
        .expect("Xvfb printed its display number");
    std::mem::forget(child);
    format!(":{number}")
}

fn spawn_keyring(address: &str, home: &std::path::Path) {
    let mut child = dies_with_parent(
        Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", address)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_RUNTIME_DIR", home.join("run"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .spawn()
    .expect("gnome-keyring-daemon (apt install gnome-keyring) is needed for the keyring tests");
    // The password that creates and unlocks the test's login keyring.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"test-keyring-password").unwrap();
    drop(stdin);
    std::mem::forget(child);
}

/// Wait until `name` has an owner on the bus.
pub fn wait_for_name(address: &str, name: &str) {
    wait_for_name_within(address, name, Duration::from_secs(20));
}

/// Wait until `name` has an owner on the bus, for at most `limit`.
pub fn wait_for_name_within(address: &str, name: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let owned = Command::new("dbus-send")
            .args([
                &format!("--bus={address}"),
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{name}"),
            ])
            .output()
            .expect("dbus-send (apt install dbus-bin) is needed for the desktop tests");
        if String::from_utf8_lossy(&owned.stdout).contains("boolean true") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} never appeared on the bus"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id of a process that has exited.
    fn gone_pid() -> u32 {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn leftovers_of_ended_processes_go_and_live_ones_stay() {
        let dir =
            std::env::temp_dir().join(format!("outlast-testenv-sweep-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let gone = gone_pid();
        let ended = dir.join(format!("{PREFIX}{gone}"));
        std::fs::create_dir_all(ended.join("launch")).unwrap();
        std::fs::write(ended.join("launch").join("outlast.db"), b"cache").unwrap();
        let ended_conf = dir.join(format!("{PREFIX}{gone}.conf"));
        std::fs::write(&ended_conf, BUS_CONFIG).unwrap();
        // This process's own, and one of a live process (pid 1 always is).
        let own = dir.join(format!("{PREFIX}{}", std::process::id()));
        let live = dir.join(format!("{PREFIX}1"));
        let unrelated = dir.join(format!("{PREFIX}notes"));
        for kept in [&own, &live, &unrelated] {
            std::fs::create_dir_all(kept).unwrap();
        }

        sweep_leftovers(&dir);

        assert!(!ended.exists() && !ended_conf.exists());
        assert!(own.exists() && live.exists() && unrelated.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
