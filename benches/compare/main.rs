//! authkv side by side with SQLite (Laravel's own tables) and Redis (a hash
//! per session and a sorted set by activity), in one program and one run:
//! the same requests, the same data, the same expiry and touch rules, and
//! one table of ops/s, p50, p99, durable writes and the ratio against
//! authkv measured in the same run.
//!
//! ```sh
//! cargo bench --bench compare                       # full: 100k and 1M stored
//! COMPARE_SCALE=small cargo bench --bench compare   # 1k and 10k stored, quick
//! ```
//!
//! `COMPARE_STORED=N` overrides the large store (the small one is a tenth)
//! and `COMPARE_DAY_REQUESTS=N` the length of the day. Without `--bench`
//! (as `cargo test --all-targets` runs it) a smoke run without Redis checks
//! that every workload works and exits. The Markdown table goes to
//! `$CARGO_TARGET_DIR/compare.md` (else `target/compare.md`).
//!
//! Every system gets its honest best: authkv with durable commits; SQLite
//! in WAL with `synchronous=FULL` and cached statements; Redis with AOF
//! fsynced every second (not per write, so its writes are cheaper and less
//! durable than the others').

mod authkv_peer;
mod c_abi_peer;
mod day;
mod fixture;
mod measure;
mod peer;
mod redis;
mod report;
mod resp;
#[path = "../common/run_env.rs"]
mod run_env;
mod sqlite;
mod workloads;

use std::time::{Duration, Instant};

use crate::redis::RedisServer;
use crate::report::Report;
use crate::sqlite::SqlitePeer;

/// How big a run is.
pub struct Scale {
    /// Printed in the header.
    name: &'static str,
    /// Sessions stored for the first cookie row; also the expired part in GC.
    pub small: usize,
    /// Sessions stored for the second cookie row and for GC.
    pub large: usize,
    /// Personal access tokens stored.
    pub tokens: usize,
    /// Timed calls per read row.
    pub reads: usize,
    /// Timed calls per row that writes durably on every call.
    pub writes: usize,
    /// Timed argon2 verifications.
    pub argon2: usize,
    /// Time per system and thread count in the threads rows.
    pub mixed: Duration,
    /// Thread counts of the threads rows.
    pub threads: &'static [usize],
    /// Users of the day.
    pub day_users: usize,
    /// Requests of the day.
    pub day_requests: usize,
    /// Whether Redis takes part (not in test mode).
    redis: bool,
}

impl Scale {
    /// From the command line and the environment.
    fn pick(bench: bool) -> Self {
        let env = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
        };
        let mut scale = if !bench {
            Scale {
                name: "smoke (test mode)",
                small: 100,
                large: 1_000,
                tokens: 200,
                reads: 300,
                writes: 20,
                argon2: 1,
                mixed: Duration::from_millis(50),
                threads: &[1, 2],
                day_users: 50,
                day_requests: 500,
                redis: false,
            }
        } else if std::env::var("COMPARE_SCALE").is_ok_and(|s| s == "small") {
            Scale {
                name: "small",
                small: 1_000,
                large: 10_000,
                tokens: 10_000,
                reads: 10_000,
                writes: 300,
                argon2: 3,
                mixed: Duration::from_secs(1),
                threads: &[1, 2, 8, 32],
                day_users: 1_000,
                day_requests: 20_000,
                redis: true,
            }
        } else {
            Scale {
                name: "full",
                small: 100_000,
                large: 1_000_000,
                tokens: 1_000_000,
                reads: 50_000,
                writes: 2_000,
                argon2: 10,
                mixed: Duration::from_secs(3),
                threads: &[1, 2, 8, 32],
                day_users: 10_000,
                day_requests: 1_000_000,
                redis: true,
            }
        };
        if let Some(n) = env("COMPARE_STORED").filter(|&n| n >= 10) {
            scale.large = n;
            scale.small = n / 10;
        }
        if let Some(n) = env("COMPARE_DAY_REQUESTS").filter(|&n| n > 0) {
            scale.day_requests = n;
        }
        scale
    }
}

/// `1M`, `100k`, `2k`, `300`.
pub fn count(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// Print progress on stderr with the time since the run began.
pub fn progress(begun: Instant, what: &str) {
    eprintln!("[{:>6.1} s] {what}", begun.elapsed().as_secs_f64());
}

fn main() {
    fixture::self_check();
    let bench = std::env::args().skip(1).any(|a| a == "--bench");
    let scale = Scale::pick(bench);
    let begun = Instant::now();
    let dir = tempfile::tempdir().expect("a temporary directory for the stores");
    let mut report = Report::default();
    report.header.push(run_env::machine_line());
    report.header.push(format!(
        "scale {}: {} then {} sessions stored, {} tokens, {} timed reads per row \
         ({} for rows that write durably), {:?} per thread count, day of {} users / {} requests",
        scale.name,
        count(scale.small),
        count(scale.large),
        count(scale.tokens),
        count(scale.reads),
        count(scale.writes),
        scale.mixed,
        count(scale.day_users),
        count(scale.day_requests)
    ));
    report.header.push(format!(
        "authkv {}: one redb file, durable commits (fsync per commit), 64 MiB cache, \
         touches kept in memory (touch_interval {} s) written by housekeep() once a minute in the day, by flush() after timed rounds",
        env!("CARGO_PKG_VERSION"),
        peer::TOUCH_INTERVAL
    ));
    report.header.push(
        "authkv C ABI: authkv_guard_authenticate / authkv_token_authenticate + their frees, \
         called in-process on a copy of authkv's file; the C principal carries the whole \
         session (payload included), so its cookie rows also load the full record"
            .to_owned(),
    );
    report.header.push(format!(
        "SQLite {} (bundled): {}; Laravel's sessions and personal_access_tokens tables and indexes",
        SqlitePeer::version(),
        sqlite::SETTINGS
    ));
    let server = if scale.redis {
        match RedisServer::start() {
            Ok(server) => {
                report.header.push(format!(
                    "Redis {}: own server on 127.0.0.1:{}, {}; hash per session + sorted set by \
                     last_activity; one round trip per command, no pipelining per request",
                    server.version,
                    server.port,
                    redis::SETTINGS
                ));
                Some(server)
            }
            Err(why) => {
                eprintln!("Redis skipped: {why}");
                report.header.push(format!("Redis: skipped — {why}"));
                None
            }
        }
    } else {
        report
            .header
            .push("Redis: skipped in test mode (run with --bench)".to_owned());
        None
    };
    for line in &report.header {
        eprintln!("{line}");
    }

    workloads::main_store(&mut report, &scale, dir.path(), server.as_ref(), begun);
    workloads::argon2_row(&mut report, &scale, dir.path());
    workloads::day_rows(&mut report, &scale, dir.path(), server.as_ref(), begun);
    drop(server);

    report.notes.extend([
        "ops/s: operations over the wall time of the timed loop; p50/p99: single operations; \
         writes: durable writes in the timed part (authkv: commits, flushes of touches \
         included; SQLite: write transactions that changed a row; Redis: write commands); \
         disk/op: bytes the writing process dirtied towards the disk per operation \
         (write_bytes of /proc/<pid>/io; for Redis the server's, its AOF)."
            .to_owned(),
        "Last column: authkv ops/s ÷ peer ops/s (above 1: authkv faster); for the day, peer \
         writes ÷ authkv writes (above 1: authkv writes less). One run: ratios, not absolutes, \
         carry over to other machines."
            .to_owned(),
        "Laravel: last_activity / last_used_at written on every request, as Laravel and Sanctum \
         do. Throttled: written only when at least 60 s old (authkv's rule, but written at once \
         rather than coalesced). Rows 3, 4, 6 and 7 use the throttled variants."
            .to_owned(),
        "Cookie rows: authkv parses the Cookie and Referer headers through its guard; the peers \
         are handed the id. Large-store reads draw from the sessions created last, so that the \
         first ones stay idle for GC."
            .to_owned(),
        "Lookup rows (1, 2) measure a server in its steady state: before timing, authkv, its C \
         ABI and SQLite throttled read every session (or token) of the row once, untimed, so \
         that their caches hold what a busy server's would; Redis keeps everything in memory \
         and the Laravel variants write on every read, so they are not warmed. Without this, \
         nearly every random pick among 1M is a first read."
            .to_owned(),
        "GC: authkv deletes in durable batches of 1,000; SQLite in one DELETE; Redis by \
         ZRANGEBYSCORE, DEL and ZREM 1,000 at a time. ops/s there is sessions deleted per second."
            .to_owned(),
    ]);
    let text = report.text();
    println!("\n{text}");
    let name = if bench {
        "compare.md"
    } else {
        "compare-smoke.md"
    };
    let path = run_env::target_dir().join(name);
    let written = std::fs::create_dir_all(run_env::target_dir())
        .and_then(|()| std::fs::write(&path, report.markdown()));
    match written {
        Ok(()) => println!("written to {}", path.display()),
        Err(e) => println!("could not write {}: {e}", path.display()),
    }
    println!("total {:.1} s", begun.elapsed().as_secs_f64());
}
