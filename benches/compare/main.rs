//! authkv side by side with SQLite (Laravel's own tables), Redis (a hash
//! per session and a sorted set by activity) and, with the `postgres`
//! feature, PostgreSQL (Laravel's tables, and authkv itself on the server),
//! in one program and one run: the same requests, the same data, the same
//! expiry and touch rules, and one table of ops/s, p50, p99, durable writes
//! and the ratio against authkv measured in the same run.
//!
//! ```sh
//! cargo bench --bench compare                       # full: 100k and 1M stored
//! COMPARE_SCALE=small cargo bench --bench compare   # 1k and 10k stored, quick
//! cargo bench --features postgres --bench compare   # with the PostgreSQL rows
//! ```
//!
//! `COMPARE_STORED=N` overrides the large store (the small one is a tenth)
//! and `COMPARE_DAY_REQUESTS=N` the length of the day. Without `--bench`
//! (as `cargo test --all-targets` runs it) a smoke run without Redis checks
//! that every workload works and exits; it includes PostgreSQL only when
//! `AUTHKV_TEST_POSTGRES` names a running server. The Markdown table goes
//! to `$CARGO_TARGET_DIR/compare.md` (else `target/compare.md`).
//!
//! Every system gets its honest best: authkv with durable commits; SQLite
//! in WAL with `synchronous=FULL` and cached statements; Redis with AOF
//! fsynced every second (not per write, so its writes are cheaper and less
//! durable than the others'); PostgreSQL with fsync and synchronous commits
//! and prepared statements.

mod authkv_peer;
mod c_abi_peer;
mod day;
mod fixture;
mod measure;
mod peer;
#[cfg(feature = "postgres")]
mod postgres;
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
use crate::workloads::Servers;

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

/// The PostgreSQL server of the run, with its header lines: one the bench
/// starts; in test mode only the one `AUTHKV_TEST_POSTGRES` names, if any.
#[cfg(feature = "postgres")]
fn postgres_server(report: &mut Report, bench: bool) -> Option<postgres::PostgresServer> {
    let given = std::env::var("AUTHKV_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty());
    let server = match (bench, given) {
        (true, _) => postgres::PostgresServer::start(),
        (false, Some(url)) => postgres::PostgresServer::existing(&url),
        (false, None) => {
            report.header.push(
                "PostgreSQL: skipped in test mode (set AUTHKV_TEST_POSTGRES to a running \
                 server to include it)"
                    .to_owned(),
            );
            return None;
        }
    };
    match server {
        Ok(server) => {
            report.header.push(format!(
                "PostgreSQL {} ({}): {}; Laravel's sessions and personal_access_tokens as its \
                 PostgreSQL schema grammar creates them; prepared statements, one connection \
                 per thread; each store in a schema of its own",
                server.version,
                server.origin,
                if bench {
                    postgres::SETTINGS
                } else {
                    "the server's own settings"
                }
            ));
            report.header.push(format!(
                "{}: the same engine and defaults as authkv (touches kept in memory, summary \
                 and record caches), opened with Engine::open_postgres on that server: a pool \
                 of 8 connections with prepared statements, a transaction per write, and a \
                 change listener (LISTEN/NOTIFY) that keeps the caches coherent across hosts",
                postgres::AUTHKV
            ));
            Some(server)
        }
        Err(why) => {
            eprintln!("PostgreSQL skipped: {why}");
            report.header.push(format!("PostgreSQL: skipped — {why}"));
            None
        }
    }
}

/// The notes of the PostgreSQL rows: what disk/op means there, and authkv
/// on PostgreSQL against Laravel on PostgreSQL, workload by workload.
#[cfg(feature = "postgres")]
fn postgres_notes(report: &mut Report) {
    report.notes.push(
        "PostgreSQL rows: disk/op is the WAL the server generated per operation \
         (pg_current_wal_insert_lsn; the log each commit flushes; table pages reach the disk \
         later, at checkpoints), writes are the statements that changed rows (Laravel) or the \
         engine's transactions (authkv). Rows 3, 4, 6 and 7 use the throttled variant; the \
         lookup rows warm authkv PostgreSQL and PostgreSQL throttled first. In the day, \
         authkv PostgreSQL's writes besides re-logins include renewing its housekeeping lease \
         (a row of authkv_meta, renewed every other simulated minute, because a database may \
         be shared by hosts); authkv on a file of its own holds no lease."
            .to_owned(),
    );
    let versus = report.versus(postgres::AUTHKV, &postgres::LARAVEL);
    report.notes.push(
        "authkv PostgreSQL against Laravel on the same server, workload by workload below \
         (authkv PostgreSQL ops/s ÷ peer ops/s; for the day, peer writes ÷ authkv PostgreSQL \
         writes)."
            .to_owned(),
    );
    report.notes.extend(versus);
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
        "authkv C ABI: authkv_guard_authenticate_lean / authkv_token_authenticate + their frees, \
         called in-process on a copy of authkv's file; the lean guard call leaves the session \
         payload unread, as the Rust guard does"
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
    #[cfg(feature = "postgres")]
    let postgres = postgres_server(&mut report, bench);
    #[cfg(not(feature = "postgres"))]
    report.header.push(
        "PostgreSQL: not built (cargo bench --features postgres --bench compare adds it)"
            .to_owned(),
    );
    for line in &report.header {
        eprintln!("{line}");
    }

    let servers = Servers {
        redis: server.as_ref(),
        #[cfg(feature = "postgres")]
        postgres: postgres.as_ref(),
    };
    workloads::main_store(&mut report, &scale, dir.path(), &servers, begun);
    workloads::argon2_row(&mut report, &scale, dir.path());
    workloads::day_rows(&mut report, &scale, dir.path(), &servers, begun);
    drop(server);
    #[cfg(feature = "postgres")]
    let with_postgres = postgres.is_some();
    #[cfg(feature = "postgres")]
    drop(postgres);

    report.notes.extend([
        "ops/s: operations over the wall time of the timed loop; p50/p99: single operations; \
         writes: durable writes in the timed part (authkv: commits, flushes of touches \
         included; SQLite: write transactions that changed a row; Redis: write commands); \
         disk/op: bytes written per operation: what authkv and SQLite handed to write calls \
         (wchar of /proc/self/io: pages, WAL, checkpoints), what the Redis server dirtied \
         appending its AOF (write_bytes of its /proc/<pid>/io)."
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
    #[cfg(feature = "postgres")]
    if with_postgres {
        postgres_notes(&mut report);
    }
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
