//! `outlast-bench-store`: the local database's speed with realistic volumes.
//!
//! - raw rusqlite: 100,000 plain inserts in one transaction (the machine's baseline);
//! - catch-up: 100,000 message events applied through `Store::apply_messages` in pages of 500
//!   (as REST catch-up delivers them), each page one transaction with the cursor;
//! - with 1,000,000 messages in 1,000 chats: latest 50 of a chat, the chat list, and full-text
//!   search (medians over many runs), and the process's peak memory.

use std::time::{Duration, Instant};

use clap::Parser;
use outlast_bench::{fmt_duration, summarize};
use outlast_core::domain::{Cursor, Message};
use outlast_core::store::{ChatRow, Store, StoreWrite, INDEX_CHUNK, WRITE_BATCH};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Parser, Debug)]
#[command(
    name = "outlast-bench-store",
    about = "Local database speed: ingest, queries and memory"
)]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    #[arg(long, default_value_t = 1_000)]
    chats: usize,
    /// Events in the catch-up measurement.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
}

const WORDS: &[&str] = &[
    "gateway", "outage", "region", "lunch", "report", "deploy", "coffee", "meeting", "trail",
    "weekend", "회의", "자료", "점심", "공유", "확인", "내일", "오늘", "서버", "장애", "복구",
];

fn body(rng: &mut StdRng) -> String {
    let n = rng.random_range(3..12);
    (0..n)
        .map(|_| WORDS[rng.random_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

const INGEST_RUNS: usize = 5;

/// One catch-up of `records` into a fresh database in `dir`: events per second stored (durably,
/// cursor included), then messages per second added to the search index afterwards (as the
/// client's background indexer does once the burst pauses).
fn ingest(dir: &std::path::Path, records: &[Message]) -> (f64, f64) {
    let (mut store, _) = Store::open(&dir.join("outlast.db")).unwrap();
    let chats: Vec<ChatRow> = (0..100)
        .map(|i| ChatRow {
            chat_id: format!("c-{i}"),
            title: format!("Chat {i}"),
            member_names: vec!["Demo User".into()],
            member_ids: vec!["u-demo".into()],
        })
        .collect();
    store.upsert_chats(&chats).unwrap();
    let started = Instant::now();
    for (n, chunk) in records.chunks(WRITE_BATCH).enumerate() {
        let batch: Vec<StoreWrite> = chunk
            .iter()
            .enumerate()
            .map(|(i, record)| StoreWrite::Received {
                at: Cursor::from_backend((n * WRITE_BATCH + i) as u64 + 1),
                message: record.clone(),
                sender_name: "Peer".into(),
            })
            .collect();
        store.apply_writes(&batch, "u-demo").unwrap();
    }
    let stored = records.len() as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let indexed = index_everything(&mut store);
    assert_eq!(indexed, records.len());
    (stored, indexed as f64 / started.elapsed().as_secs_f64())
}

fn index_everything(store: &mut Store) -> usize {
    let mut total = 0;
    loop {
        let n = store.index_pending(INDEX_CHUNK).unwrap();
        total += n;
        if n < INDEX_CHUNK {
            return total;
        }
    }
}

fn main() {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("outlast-bench-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = StdRng::seed_from_u64(7);

    // Baseline: plain rusqlite inserts into a table with no indexes, one transaction.
    let raw_rate = {
        let path = dir.join("raw.db");
        std::fs::create_dir_all(&dir).unwrap();
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, chat TEXT, body TEXT, at INTEGER)",
        )
        .unwrap();
        let bodies: Vec<String> = (0..args.events).map(|_| body(&mut rng)).collect();
        let started = Instant::now();
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare("INSERT INTO t (chat, body, at) VALUES (?1, ?2, ?3)")
                .unwrap();
            for (i, b) in bodies.iter().enumerate() {
                insert
                    .execute(rusqlite::params![format!("c-{}", i % 100), b, i as i64])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        args.events as f64 / started.elapsed().as_secs_f64()
    };

    // Catch-up through the store: dedup, FTS index, chat counters, cursor. As the client writes
    // a catch-up: pages of 500 from the server, written behind the connection in transactions of
    // up to WRITE_BATCH events. Five runs on fresh databases; the median is reported.
    let records: Vec<Message> = (0..args.events)
        .map(|i| Message {
            msg_id: format!("m-{i}"),
            chat_id: format!("c-{}", i % 100),
            sender_id: "u-peer".into(),
            client_msg_id: None,
            body: body(&mut rng),
            sent_at_ms: 1_700_000_000_000 + i as u64,
            attachments: vec![],
        })
        .collect();
    let runs: Vec<(f64, f64)> = (0..INGEST_RUNS)
        .map(|run| ingest(&dir.join(format!("catchup-{run}")), &records))
        .collect();
    let median = |mut rates: Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[INGEST_RUNS / 2]
    };
    let ingest_rate = median(runs.iter().map(|r| r.0).collect());
    let index_rate = median(runs.iter().map(|r| r.1).collect());

    // A big cache: `messages` messages in `chats` chats.
    let path = dir.join("big").join("outlast.db");
    let (mut store, _) = Store::open(&path).unwrap();
    let chats: Vec<ChatRow> = (0..args.chats)
        .map(|i| ChatRow {
            chat_id: format!("c-{i}"),
            title: format!("Chat {i}"),
            member_names: vec!["Demo User".into(), format!("Peer {i}")],
            member_ids: vec!["u-demo".into(), format!("u-peer-{i}")],
        })
        .collect();
    store.upsert_chats(&chats).unwrap();
    let fill_started = Instant::now();
    let mut seq = 0u64;
    while (seq as usize) < args.messages {
        let batch: Vec<Message> = (0..5_000.min(args.messages - seq as usize))
            .map(|i| {
                let n = seq as usize + i;
                Message {
                    msg_id: format!("m-{n}"),
                    chat_id: format!("c-{}", rng.random_range(0..args.chats)),
                    sender_id: "u-peer".into(),
                    client_msg_id: None,
                    body: body(&mut rng),
                    sent_at_ms: 1_700_000_000_000 + n as u64,
                    attachments: vec![],
                }
            })
            .collect();
        let events: Vec<(u64, &Message, &str)> = batch
            .iter()
            .enumerate()
            .map(|(i, r)| (seq + i as u64 + 1, r, "Peer"))
            .collect();
        store.apply_messages(&events, "u-demo", None).unwrap();
        seq += batch.len() as u64;
    }
    let fill = fill_started.elapsed();
    let index_started = Instant::now();
    index_everything(&mut store);
    let index_fill = index_started.elapsed();

    let mut latest = Vec::new();
    for _ in 0..1_000 {
        let chat = format!("c-{}", rng.random_range(0..args.chats));
        let t = Instant::now();
        let page = store.latest_messages(&chat, 50).unwrap();
        latest.push(t.elapsed());
        assert!(!page.is_empty());
    }
    let mut list = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let chats = store.chat_list().unwrap();
        list.push(t.elapsed());
        assert_eq!(chats.len(), args.chats);
    }
    let mut search = Vec::new();
    for i in 0..200 {
        let word = WORDS[i % WORDS.len()];
        let prefix: String = word.chars().take(3.max(word.chars().count() - 1)).collect();
        let t = Instant::now();
        let hits = store.search(&format!("{word} {prefix}"), 50).unwrap();
        search.push(t.elapsed());
        assert!(!hits.is_empty());
    }
    let peak = peak_rss_mib();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / (1024.0 * 1024.0);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);

    let med = |samples: &[Duration]| summarize(samples).map(|s| (s.median, s.p99)).unwrap();
    println!("outlast-bench-store");
    println!("  raw rusqlite inserts           {:>10.0} rows/s", raw_rate);
    println!(
        "  catch-up ingest (batches of {WRITE_BATCH}) {:>10.0} events/s  (median of {INGEST_RUNS} runs of {} events)",
        ingest_rate, args.events
    );
    println!(
        "  then its search index            {:>10.0} messages/s  (background, after the burst)",
        index_rate
    );
    println!(
        "  filled {} messages in {} chats in {:.1} s (+ {:.1} s search index); database {:.0} MiB",
        args.messages,
        args.chats,
        fill.as_secs_f64(),
        index_fill.as_secs_f64(),
        size
    );
    let (m, p) = med(&latest);
    println!(
        "  latest 50 of a chat            median {:>9}  p99 {}",
        fmt_duration(m),
        fmt_duration(p)
    );
    let (m, p) = med(&list);
    println!(
        "  chat list ({} chats)          median {:>9}  p99 {}",
        args.chats,
        fmt_duration(m),
        fmt_duration(p)
    );
    let (m, p) = med(&search);
    println!(
        "  full-text search (50 hits)     median {:>9}  p99 {}",
        fmt_duration(m),
        fmt_duration(p)
    );
    println!("  peak memory of the process     {:.1} MiB", peak);
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
