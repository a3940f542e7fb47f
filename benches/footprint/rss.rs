//! Resident memory, measured in a fresh process so that nothing the parent
//! built (the loading, the id list) counts: the child opens the file,
//! authenticates every stored session once through the request guard, and
//! prints `name value` lines (KiB of VmRSS and VmHWM from /proc/self/status,
//! and counts) that the parent reads back.
//!
//! A second pass runs with the clock one touch interval later, so that
//! every read queues a touch in memory, and a flush then writes them all:
//! the memory of a flush interval in which every stored session was used.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use authkv::{Clock, Config, Engine, ManualClock, Request};

/// The argument that makes the bench binary this child.
pub const CHILD_ARG: &str = "--child-rss";

/// What the child printed, by name.
pub type Readings = HashMap<String, u64>;

/// Run the child on `db`, with `auth_cache_entries` session summaries
/// allowed, and collect its readings.
pub fn measure(db: &Path, ids: &Path, t0: u64, auth_cache_entries: usize) -> Readings {
    let exe = std::env::current_exe().expect("the bench's own path");
    let output = Command::new(exe)
        .arg(CHILD_ARG)
        .arg(db)
        .arg(ids)
        .arg(t0.to_string())
        .arg(auth_cache_entries.to_string())
        .output()
        .expect("run the memory child");
    assert!(
        output.status.success(),
        "the memory child failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The child: `--child-rss <db> <ids> <t0> <auth_cache_entries>`.
pub fn child(args: &[String]) {
    let [db, ids, t0, summaries] = args else {
        panic!("usage: {CHILD_ARG} <db> <ids> <t0> <auth_cache_entries>");
    };
    let t0: u64 = t0.parse().expect("t0 is unix seconds");
    let summaries: usize = summaries.parse().expect("a number of entries");
    let mut out = std::io::stdout().lock();
    let mut print = |name: &str, value: u64| {
        writeln!(out, "{name} {value}").expect("print a reading");
    };
    print("start_rss", status_kib("VmRSS"));
    let clock = ManualClock::new(t0);
    let mut config = Config::default();
    config.clock = Clock::Manual(clock.clone());
    config.auth_cache_entries = summaries;
    let touch_interval = config.touch_interval.as_secs();
    let engine = Engine::open(db, config).expect("open the file");
    print("open_rss", status_kib("VmRSS"));

    print("authenticated", authenticate_all(&engine, Path::new(ids)));
    print("pass_rss", status_kib("VmRSS"));
    print("pass_hwm", status_kib("VmHWM"));
    let stats = engine.stats().expect("stats");
    print("cached_records", stats.cached_records);
    print("cached_summaries", stats.cached_summaries);

    clock.advance(touch_interval);
    authenticate_all(&engine, Path::new(ids));
    let stats = engine.stats().expect("stats");
    print("touches", stats.touches_pending);
    print("touched_rss", status_kib("VmRSS"));
    print("touched_hwm", status_kib("VmHWM"));
    let start = Instant::now();
    engine.flush().expect("flush the touches");
    print("flush_ms", start.elapsed().as_millis() as u64);
    print("flush_rss", status_kib("VmRSS"));
    print("flush_hwm", status_kib("VmHWM"));
    engine.close().expect("close");
}

/// Authenticate each id of the file once, as a first-party GET with its
/// session cookie; the ids are streamed, so that they take no memory.
fn authenticate_all(engine: &Engine, ids: &Path) -> u64 {
    let file = std::fs::File::open(ids).expect("open ids.txt");
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    let mut authenticated = 0;
    while reader.read_line(&mut line).expect("read an id") > 0 {
        let cookie = format!("authkv_session={}", line.trim_end());
        let request = Request {
            method: "GET",
            cookie: Some(&cookie),
            referer: Some("http://localhost/"),
            ..Default::default()
        };
        engine
            .authenticate(&request)
            .expect("every stored session authenticates");
        authenticated += 1;
        line.clear();
    }
    authenticated
}

/// A `Vm…` line of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .expect("the field is in /proc/self/status")
}
