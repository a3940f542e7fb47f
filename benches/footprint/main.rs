//! Footprint of a large file: how long a clean open takes, how much memory
//! a process holding it uses, how long recovery after SIGKILL takes with
//! and without redb's quick repair, and what quick repair costs a durable
//! commit.
//!
//! ```sh
//! cargo bench --bench footprint                          # 1M sessions
//! FOOTPRINT_SESSIONS=100000 cargo bench --bench footprint
//! ```
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) a run on 2,000
//! sessions checks that every step works, in a few seconds. The memory and
//! the writers killed run in child processes: this same binary, started
//! with a private first argument. The Markdown table goes to
//! `$CARGO_TARGET_DIR/footprint.md` (else `target/footprint.md`).

mod commit_cost;
mod crash;
mod fixture;
mod open;
mod report;
mod rss;
#[path = "../common/run_env.rs"]
mod run_env;

use std::time::{Duration, Instant};

use authkv::Config;

use crate::report::{Report, duration, median_max, mib};

/// How big a run is.
struct Scale {
    /// Printed in the header.
    name: &'static str,
    /// Sessions stored in the file.
    sessions: usize,
    /// Clean open cycles timed.
    opens: usize,
    /// SIGKILL rounds per quick repair setting.
    kills: usize,
    /// How long a writer commits before it is killed.
    writes_for: Duration,
    /// Durable creates timed per quick repair setting.
    creates: usize,
}

impl Scale {
    /// From the command line and `FOOTPRINT_SESSIONS`.
    fn pick(bench: bool) -> Self {
        let mut scale = if bench {
            Scale {
                name: "full",
                sessions: 1_000_000,
                opens: 20,
                kills: 3,
                writes_for: Duration::from_secs(1),
                creates: 300,
            }
        } else {
            Scale {
                name: "smoke (test mode)",
                sessions: 2_000,
                opens: 5,
                kills: 1,
                writes_for: Duration::from_millis(100),
                creates: 30,
            }
        };
        let env = std::env::var("FOOTPRINT_SESSIONS").ok();
        if let Some(n) = env.and_then(|v| v.parse().ok()).filter(|&n| n > 0) {
            scale.sessions = n;
        }
        scale
    }
}

/// Print progress on stderr with the time since the run began.
pub fn progress(begun: Instant, what: &str) {
    eprintln!("[{:>6.1} s] {what}", begun.elapsed().as_secs_f64());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(rss::CHILD_ARG) => return rss::child(&args[1..]),
        Some(crash::CHILD_ARG) => return crash::child(&args[1..]),
        _ => {}
    }
    let bench = args.iter().any(|a| a == "--bench");
    let scale = Scale::pick(bench);
    let begun = Instant::now();
    let defaults = Config::default();
    let mut report = Report::default();
    report.header.push(run_env::machine_line());
    report.header.push(format!(
        "scale {}: {} logged-in sessions; Config::default(): cache_size {} (redb page cache), \
         cache_entries {} (decoded records), auth_cache_entries {} (session and token \
         summaries), quick_repair {}",
        scale.name,
        scale.sessions,
        mib(defaults.cache_size as u64),
        defaults.cache_entries,
        defaults.auth_cache_entries,
        defaults.quick_repair
    ));

    let dir = tempfile::tempdir().expect("a temporary directory");
    let fixture = fixture::build(dir.path(), scale.sessions, begun);
    let size = std::fs::metadata(&fixture.path).map_or(0, |m| m.len());
    report.row(
        "file",
        format!("{} sessions, {}", fixture.ids.len(), mib(size)),
        "",
    );

    let (median, max) = median_max(&open::clean_opens(&fixture.path, scale.opens));
    report.row(
        format!("clean open, median / max of {}", scale.opens),
        format!("{} / {}", duration(median), duration(max)),
        "≤ 50 ms",
    );
    progress(begun, "clean opens timed");

    memory_rows(&mut report, &fixture, defaults.cache_size as u64);
    progress(begun, "memory measured");

    for quick_repair in [false, true] {
        let r = crash::recoveries(&fixture.path, quick_repair, scale.kills, scale.writes_for);
        let (median, max) = median_max(&r.opens);
        report.row(
            format!(
                "open after SIGKILL, quick_repair {quick_repair}, median / max of {}",
                scale.kills
            ),
            format!("{} / {}", duration(median), duration(max)),
            "",
        );
        report.row(
            format!("committed writes lost / verify problems, quick_repair {quick_repair}"),
            format!("{} of {} / {}", r.lost, r.printed, r.problems),
            "0 / 0",
        );
        assert_eq!(r.lost, 0, "a write whose commit returned was lost");
        assert_eq!(r.problems, 0, "verify found problems after recovery");
        progress(
            begun,
            &format!("recovery with quick_repair {quick_repair} timed"),
        );
    }

    let [off, on] = commit_cost::durable_creates(&fixture.path, scale.creates);
    let (off, _) = median_max(&off);
    let (on, _) = median_max(&on);
    report.row(
        format!(
            "durable create_session, median of {}, quick_repair false / true",
            scale.creates
        ),
        format!(
            "{} / {} ({:+.0} %)",
            duration(off),
            duration(on),
            (on.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0
        ),
        "",
    );
    progress(begun, "durable creates timed");

    report.notes.push(
        "Memory: VmRSS / VmHWM of a fresh process that only opens the file and reads; \
         \"cache\" is the configured redb cache_size. Sessions are all authenticated \
         within their touch interval first (no writes), then again one interval later, which \
         queues a touch per session in memory until flush() writes them in one transaction."
            .to_owned(),
    );
    report.notes.push(
        "Recovery: a writer (durable create_session + login per id) is killed with SIGKILL \
         after writing for a while; the time is that of the Engine::open that follows, redb's \
         repair included. Every id it printed must load and verify() must be clean."
            .to_owned(),
    );
    let markdown = report.markdown();
    println!("\n{markdown}");
    let name = if bench {
        "footprint.md"
    } else {
        "footprint-smoke.md"
    };
    let path = run_env::target_dir().join(name);
    let written = std::fs::create_dir_all(run_env::target_dir())
        .and_then(|()| std::fs::write(&path, &markdown));
    match written {
        Ok(()) => println!("written to {}", path.display()),
        Err(e) => println!("could not write {}: {e}", path.display()),
    }
    println!("total {:.1} s", begun.elapsed().as_secs_f64());
}

/// The rows measured in the memory child.
fn memory_rows(report: &mut Report, fixture: &fixture::Fixture, cache: u64) {
    // The same pass with the summary cache off: the difference is what the
    // summaries of every session take.
    // Each child runs on its own copy: its flush moves every session's
    // activity, which would spare the next child its touches.
    let copy = |name: &str| {
        let to = fixture.path.with_file_name(name);
        std::fs::copy(&fixture.path, &to).expect("copy the file");
        to
    };
    let without = rss::measure(&copy("rss-off.redb"), &fixture.ids_path, fixture.t0, 0);
    let without_kib = without.get("pass_rss").copied().unwrap_or(0);
    let summaries = Config::default().auth_cache_entries;
    let readings = rss::measure(
        &copy("rss-on.redb"),
        &fixture.ids_path,
        fixture.t0,
        summaries,
    );
    let with_kib = readings.get("pass_rss").copied().unwrap_or(0);
    let cached = readings.get("cached_summaries").copied().unwrap_or(0);
    let summary_bytes = with_kib.saturating_sub(without_kib) * 1024;
    report.row(
        "RSS after authenticating every session once, summary cache off",
        format!(
            "{} = redb cache + {}",
            mib(without_kib * 1024),
            mib((without_kib * 1024).saturating_sub(cache))
        ),
        "",
    );
    report.row(
        format!("summary cache holding {cached} sessions (the difference)"),
        format!(
            "{} ({} bytes per session)",
            mib(summary_bytes),
            summary_bytes / cached.max(1)
        ),
        "configured (auth_cache_entries)",
    );
    let cache = cache + summary_bytes;
    let kib = |name: &str| readings.get(name).copied().unwrap_or(0) * 1024;
    let less_cache = |name: &str| {
        let bytes = kib(name);
        if bytes >= cache {
            format!("{} = caches + {}", mib(bytes), mib(bytes - cache))
        } else {
            format!("{} = caches − {}", mib(bytes), mib(cache - bytes))
        }
    };
    let count = |name: &str| readings.get(name).copied().unwrap_or(0);
    assert_eq!(
        count("authenticated") as usize,
        fixture.ids.len(),
        "every session authenticates"
    );
    report.row(
        "RSS at start / after open",
        format!("{} / {}", mib(kib("start_rss")), mib(kib("open_rss"))),
        "",
    );
    report.row(
        format!(
            "RSS after authenticating all {} once ({} records, {} summaries cached)",
            count("authenticated"),
            count("cached_records"),
            count("cached_summaries")
        ),
        less_cache("pass_rss"),
        "cache + ≤ 64 MiB",
    );
    report.row(
        "peak RSS (VmHWM) after that pass",
        less_cache("pass_hwm"),
        "cache + ≤ 64 MiB",
    );
    report.row(
        format!(
            "RSS after a second pass one touch interval later ({} touches pending)",
            count("touches")
        ),
        less_cache("touched_rss"),
        "",
    );
    report.row(
        format!(
            "RSS / peak after flush() of those touches ({} ms)",
            count("flush_ms")
        ),
        format!("{} / {}", less_cache("flush_rss"), less_cache("flush_hwm")),
        "",
    );
}
