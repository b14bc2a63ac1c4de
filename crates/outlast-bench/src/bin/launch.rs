//! Start-up report: time from launching the real app to its chat list painted from the local
//! cache, and the memory of all its processes (the Rust shell plus WebKit's web and network
//! processes), with a cache of 100,000 messages.
//!
//! Everything runs on private daemons: a D-Bus session with a real gnome-keyring (the app
//! restores its sign-in from it, as on a desktop) and an Xvfb display. The account signs in once
//! to the mock backend as the app would; the cache is then filled; for the measured launches the
//! backend's sign-in, API and gateways refuse connections (an outage: the chat list can only come
//! from the cache). The app reports its first chat-list paint through `OUTLAST_PAINT_REPORT`.
//!
//! Build the app first (`npm --prefix ui run build && cargo build --release --bin outlast`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use clap::Parser;
use outlast_core::domain::{Cursor, Message};
use outlast_core::store::{ChatRow, Store, StoreWrite, INDEX_CHUNK, WRITE_BATCH};
use outlast_core::{Client, ClientOptions, Vault};
use outlast_desktop::KeyringVault;
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};

#[derive(Parser)]
#[command(
    name = "outlast-bench-launch",
    about = "Launch to chat list painted from the cache, and memory of all the app's processes"
)]
struct Args {
    /// The app binary (a release build embeds the UI).
    #[arg(long, default_value = "target/release/outlast")]
    app: PathBuf,
    /// Messages in the cache.
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// Chats in the cache (the demo account's, plus more as needed); one holds half the messages.
    #[arg(long, default_value_t = 100)]
    chats: usize,
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Copy each process's /proc/<pid>/smaps here after every run (to see where memory goes).
    #[arg(long)]
    smaps_dir: Option<PathBuf>,
    /// Seconds to let the app settle after the paint before its memory is read (it is sampled
    /// every 200 ms and the last sample counts). Longer runs see the work done after start-up
    /// too, such as the cache's integrity check at 10 s.
    #[arg(long, default_value_t = 3)]
    settle_secs: u64,
}

/// How long one launch may take to paint before the run counts as failed.
const PAINT_DEADLINE: Duration = Duration::from_secs(60);

fn main() {
    let args = Args::parse();
    assert!(
        args.app.exists(),
        "{} is missing: build the app first (npm --prefix ui run build && cargo build --release --bin outlast)",
        args.app.display()
    );
    let session = outlast_testenv::start_with(true, true);
    let home = session.home.join("launch");
    let data = home.join("data").join("app.outlast.desktop");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(MockServer::start(MockConfig::default()))
        .unwrap();

    // Sign in as the app does: the token in the (test) keyring, the account and the cache in
    // the app's data folder.
    runtime.block_on(async {
        let client = Client::with_options(ClientOptions {
            data_dir: Some(data.clone()),
            vault: Some(Vault::new(KeyringVault)),
            ..ClientOptions::default()
        });
        let info = client
            .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
            .await
            .expect("the demo sign-in");
        assert!(info.remembered, "the sign-in is kept in the test keyring");
        client.logout();
    });
    let filled = fill_cache(&data, args.messages, args.chats);
    println!(
        "outlast-bench-launch: cache of {} messages in {} chats ({:.0} MiB)",
        args.messages,
        args.chats,
        filled as f64 / (1024.0 * 1024.0)
    );
    for target in ["service:auth", "service:api", "service:gateway"] {
        server.set_fault(target, "refuse").unwrap();
    }

    let mut paints = Vec::new();
    let mut memory = Vec::new();
    for run in 1..=args.runs {
        let report = home.join(format!("paint-{run}.txt"));
        let _ = std::fs::remove_file(&report);
        let started = Instant::now();
        let mut app = launch(&args.app, &home, &report);
        let (in_app_ms, chats) = wait_for_paint(&report, &mut app);
        let wall = started.elapsed();
        let settled = settle_memory(app.id(), Duration::from_secs(args.settle_secs));
        if let Some(dir) = &args.smaps_dir {
            keep_smaps(app.id(), dir, run);
        }
        stop(&mut app);
        let parts: Vec<String> = settled
            .by_process
            .iter()
            .map(|(name, pss)| format!("{name} {:.0}", *pss as f64 / 1024.0))
            .collect();
        println!(
            "  run {run}: painted {chats} chats {:.0} ms after launch ({in_app_ms:.0} ms inside the app); memory {:.0} MiB PSS ({}), {:.0} MiB RSS over {} processes",
            wall.as_secs_f64() * 1000.0,
            settled.pss_kib as f64 / 1024.0,
            parts.join(", "),
            settled.rss_kib as f64 / 1024.0,
            settled.processes
        );
        paints.push(wall);
        memory.push(settled);
    }
    paints.sort();
    memory.sort_by_key(|m| m.pss_kib);
    let median_paint = paints[paints.len() / 2];
    let median_memory = &memory[memory.len() / 2];
    println!("outlast-bench-launch");
    println!(
        "  launch to chat list painted from the cache   median {:>6.0} ms   (target < 500 ms; {} runs)",
        median_paint.as_secs_f64() * 1000.0,
        args.runs
    );
    println!(
        "  memory of all the app's processes            median {:>6.0} MiB PSS = {:.0} MB ({:.0} MiB RSS)   (target < 250 MB = 238 MiB)",
        median_memory.pss_kib as f64 / 1024.0,
        median_memory.pss_kib as f64 * 1024.0 / 1e6,
        median_memory.rss_kib as f64 / 1024.0
    );
    runtime.block_on(server.shutdown());
}

/// Fill the signed-in account's cache to `messages` messages over `chats` chats; returns the
/// database size in bytes.
fn fill_cache(data: &Path, messages: usize, chats: usize) -> u64 {
    let db = std::fs::read_dir(data.join("accounts"))
        .expect("the account folder")
        .flatten()
        .map(|e| e.path().join("outlast.db"))
        .find(|p| p.exists())
        .expect("the account's database");
    let (mut store, _) = Store::open(&db).unwrap();
    let mut chat_ids: Vec<String> = store
        .chat_list()
        .unwrap()
        .into_iter()
        .map(|c| c.chat_id)
        .collect();
    let extra: Vec<ChatRow> = (chat_ids.len()..chats)
        .map(|i| ChatRow {
            chat_id: format!("c-bench-{i}"),
            title: format!("Project room {i}"),
            member_names: vec!["Demo User".into(), format!("Colleague {i}")],
            member_ids: vec!["u-demo".into(), format!("u-colleague-{i}")],
        })
        .collect();
    store.upsert_chats(&extra).unwrap();
    chat_ids.extend(extra.into_iter().map(|c| c.chat_id));
    let now = 1_790_000_000_000u64;
    let mut written = 0;
    while written < messages {
        let batch: Vec<StoreWrite> = (written..(written + WRITE_BATCH).min(messages))
            .map(|i| {
                // Half of everything in the first chat: the long conversation of the day.
                let chat = if i % 2 == 0 {
                    &chat_ids[0]
                } else {
                    &chat_ids[i % chat_ids.len()]
                };
                StoreWrite::Received {
                    at: Cursor::START,
                    message: Message {
                        msg_id: format!("m-bench-{i:07}"),
                        chat_id: chat.clone(),
                        sender_id: "u-minji".into(),
                        client_msg_id: None,
                        body: format!("회의 자료 {i}: the report is ready for review"),
                        sent_at_ms: now - (messages - i) as u64 * 1_000,
                        attachments: vec![],
                    },
                    sender_name: "Minji Kim".into(),
                }
            })
            .collect();
        written += batch.len();
        store.apply_writes(&batch, "u-demo").unwrap();
    }
    while store.index_pending(INDEX_CHUNK).unwrap() == INDEX_CHUNK {}
    drop(store);
    std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
}

fn launch(app: &Path, home: &Path, report: &Path) -> Child {
    use std::os::unix::process::CommandExt;
    Command::new(app)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("OUTLAST_PAINT_REPORT", report)
        .env("RUST_LOG", "info")
        // Its own process group, so the WebKit processes go with it.
        .process_group(0)
        .spawn()
        .expect("the app starts")
}

/// Wait for the app's paint report: (ms since launch inside the app, chats painted).
fn wait_for_paint(report: &Path, app: &mut Child) -> (f64, usize) {
    let deadline = Instant::now() + PAINT_DEADLINE;
    loop {
        if let Ok(text) = std::fs::read_to_string(report) {
            let mut parts = text.split_whitespace();
            if let (Some(ms), Some(chats)) = (parts.next(), parts.next()) {
                return (ms.parse().unwrap_or(0.0), chats.parse().unwrap_or(0));
            }
        }
        if let Ok(Some(status)) = app.try_wait() {
            panic!("the app exited ({status}) before painting its chat list");
        }
        if Instant::now() > deadline {
            stop(app);
            panic!("the app did not paint its chat list within {PAINT_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[derive(Debug, Clone, Default)]
struct Memory {
    pss_kib: u64,
    rss_kib: u64,
    processes: usize,
    /// Each process's name and PSS, to see where memory goes.
    by_process: Vec<(String, u64)>,
}

/// The app's memory once settled: the last of the samples taken over `settle`.
fn settle_memory(pid: u32, settle: Duration) -> Memory {
    let until = Instant::now() + settle;
    let mut last = Memory::default();
    while Instant::now() < until {
        last = tree_memory(pid);
        std::thread::sleep(Duration::from_millis(200));
    }
    last
}

/// PSS and RSS summed over `root` and every process descended from it.
fn tree_memory(root: u32) -> Memory {
    let tree = tree_of(root);
    let mut memory = Memory {
        processes: tree.len(),
        ..Memory::default()
    };
    for pid in tree {
        let pss = field_kib(&format!("/proc/{pid}/smaps_rollup"), "Pss:");
        memory.pss_kib += pss;
        memory.rss_kib += field_kib(&format!("/proc/{pid}/status"), "VmRSS:");
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        memory.by_process.push((name.trim().to_owned(), pss));
    }
    memory
}

/// `root` and every process descended from it.
fn tree_of(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // The parent is the second field after the parenthesised command name.
            if let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) {
                if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
                    parents.push((pid, ppid));
                }
            }
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    tree
}

/// Copy the smaps of `root` and its descendants into `dir` as `run-<n>-<name>-<pid>.smaps`.
fn keep_smaps(root: u32, dir: &Path, run: usize) {
    std::fs::create_dir_all(dir).expect("the smaps folder");
    for pid in tree_of(root) {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if let Ok(smaps) = std::fs::read(format!("/proc/{pid}/smaps")) {
            let file = dir.join(format!("run-{run}-{}-{pid}.smaps", name.trim()));
            std::fs::write(file, smaps).expect("writing smaps");
        }
    }
}

fn field_kib(path: &str, field: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn stop(app: &mut Child) {
    // The whole group: the shell and the WebKit processes it started.
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{}", app.id())])
        .status();
    let _ = app.kill();
    let _ = app.wait();
}
