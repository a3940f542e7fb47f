//! Session hot paths: load with 100k stored, durable create, 1 KiB save,
//! repeated load within the touch interval, the record checksum, the
//! request guard by cookie, GC of 100k expired, and a flush of 100k
//! pending touches. One process alone on
//! its file (`Concurrency::Exclusive`); `benches/processes.rs` measures
//! the file shared by several.
//!
//! `cargo bench --bench sessions`

use std::hint::black_box;
use std::time::Duration;

use authkv::{Clock, Config, Engine, ManualClock, Request};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

#[path = "common/sessions_file.rs"]
mod sessions_file;
use sessions_file::engine_with_sessions;

const STORED: usize = 100_000;
const T0: u64 = 1_700_000_000;

/// An engine on a fresh file holding `n` sessions, loaded without fsync and
/// then reopened with durable commits, as a server would run it.
fn engine_with(n: usize) -> (tempfile::TempDir, ManualClock, Engine, Vec<String>) {
    engine_with_cache(n, 2 * n)
}

/// As [`engine_with`], with `cache_entries` decoded records cached.
fn engine_with_cache(
    n: usize,
    cache_entries: usize,
) -> (tempfile::TempDir, ManualClock, Engine, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    let mut config = Config::default();
    config.clock = Clock::Manual(clock.clone());
    config.concurrency = authkv::Concurrency::Exclusive;
    config.cache_entries = cache_entries;
    let (engine, ids) = engine_with_sessions(&dir.path().join("bench.redb"), config, n);
    (dir, clock, engine, ids)
}

fn sessions(c: &mut Criterion) {
    let (_dir, clock, engine, ids) = engine_with(STORED);
    let mut i = 0usize;
    c.bench_function("load, 100k stored (random id)", |b| {
        b.iter(|| {
            i = (i + 7919) % ids.len();
            black_box(engine.load_session(&ids[i]).expect("load"))
        })
    });
    {
        let (_dir, _clock, uncached, ids) = engine_with_cache(STORED, 0);
        let mut i = 0usize;
        c.bench_function("load, 100k stored (random id), cache off", |b| {
            b.iter(|| {
                i = (i + 7919) % ids.len();
                black_box(uncached.load_session(&ids[i]).expect("load"))
            })
        });
    }
    let hot = ids[0].clone();
    c.bench_function("load within the touch interval (same id)", |b| {
        b.iter(|| black_box(engine.load_session(&hot).expect("load")))
    });
    c.bench_function("create (durable commit)", |b| {
        b.iter(|| {
            black_box(
                engine
                    .create_session("203.0.113.9", "bench")
                    .expect("create"),
            )
        })
    });
    c.bench_function("create (durable), 32 concurrent callers, per call", |b| {
        b.iter_custom(|iters| {
            let per_thread = iters.div_ceil(32);
            let start = std::time::Instant::now();
            std::thread::scope(|scope| {
                for _ in 0..32 {
                    scope.spawn(|| {
                        for _ in 0..per_thread {
                            black_box(
                                engine
                                    .create_session("203.0.113.9", "bench")
                                    .expect("create"),
                            );
                        }
                    });
                }
            });
            start
                .elapsed()
                .mul_f64(iters as f64 / (per_thread * 32) as f64)
        })
    });
    let payload = vec![b'x'; 1024];
    c.bench_function("save 1 KiB payload (durable commit)", |b| {
        b.iter(|| black_box(engine.save_session(&hot, &payload, None).expect("save")))
    });
    // A second later, each save is the session's first since it was
    // stored: its activity moves, as on a server where requests are spread
    // over many sessions.
    clock.advance(1);
    let mut i = 0usize;
    c.bench_function(
        "save 1 KiB payload (durable commit), a different session each time",
        |b| {
            b.iter(|| {
                i = (i + 7919) % ids.len();
                black_box(engine.save_session(&ids[i], &payload, None).expect("save"))
            })
        },
    );
    // What sealing and checking a record costs, beside the loads and the
    // save above: a session without payload is about 200 bytes encoded.
    for (label, len) in [
        ("200 B record (a session, no payload)", 200),
        ("1.2 KiB record (1 KiB payload)", 1_250),
    ] {
        let record = vec![0x5a_u8; len];
        c.bench_function(&format!("record checksum, {label}"), |b| {
            b.iter(|| black_box(authkv::bench_support::record_checksum(black_box(&record))))
        });
    }
    let stats = engine.stats().expect("stats");
    println!(
        "after the benches: {} sessions, {} commits, {} touches pending",
        stats.sessions, stats.write_commits, stats.touches_pending
    );
}

/// The request guard on a first-party GET with the session cookie of one of
/// 100k logged-in sessions drawn at random: header parsing, the summary
/// cache, the expiry and touch rules. With the summary cache off, every
/// request reads the record from redb.
fn guard(c: &mut Criterion) {
    for (label, auth_cache_entries) in [("", 1 << 20), (", summary cache off", 0)] {
        let (_dir, _clock, engine, ids) = engine_with(STORED);
        let mut config = engine.config().clone();
        config.auth_cache_entries = auth_cache_entries;
        let path = _dir.path().join("bench.redb");
        engine.close().expect("close");
        let engine = Engine::open(&path, config).expect("reopen");
        let cookies: Vec<String> = ids
            .iter()
            .enumerate()
            .map(|(user, id)| {
                let session = engine.login(id, user as u64).expect("login");
                format!("theme=dark; authkv_session={}", session.id.expose())
            })
            .collect();
        let same = Request {
            method: "GET",
            cookie: Some(&cookies[0]),
            referer: Some("http://localhost/dashboard"),
            ..Request::default()
        };
        c.bench_function(&format!("guard: cookie, same session{label}"), |b| {
            b.iter(|| black_box(engine.authenticate(&same).expect("authenticates")))
        });
        // The headers of 100k requests laid out in one buffer in request
        // order, as a server reads the request it has just received: picked
        // from the list instead, each call would also time two cache misses
        // of the bench's own.
        let width = cookies[0].len();
        assert!(
            cookies.iter().all(|c| c.len() == width),
            "one cookie length"
        );
        let mut pick = 0usize;
        let wire: String = (0..cookies.len())
            .map(|_| {
                pick = (pick + 7919) % cookies.len();
                cookies[pick].as_str()
            })
            .collect();
        let mut i = 0usize;
        c.bench_function(
            &format!("guard: cookie, 100k stored (random id){label}"),
            |b| {
                b.iter(|| {
                    i = (i + 1) % cookies.len();
                    let request = Request {
                        method: "GET",
                        cookie: Some(&wire[i * width..(i + 1) * width]),
                        referer: Some("http://localhost/dashboard"),
                        ..Request::default()
                    };
                    black_box(engine.authenticate(&request).expect("authenticates"))
                })
            },
        );
    }
}

fn gc(c: &mut Criterion) {
    let mut group = c.benchmark_group("gc");
    group.sample_size(10);
    group.bench_function("100k expired (batches of 1000, one fsync)", |b| {
        b.iter_batched(
            || {
                let (dir, clock, engine, _) = engine_with(STORED);
                clock.advance(3 * 3600);
                (dir, engine)
            },
            |(dir, engine)| {
                let report = engine.gc().expect("gc");
                assert_eq!(report.sessions_deleted, STORED as u64);
                (dir, engine)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn flush(c: &mut Criterion) {
    let mut group = c.benchmark_group("flush");
    group.sample_size(10);
    let (_dir, clock, engine, ids) = engine_with(STORED);
    group.bench_function(
        "100k touches pending, 100k stored (batches of 1000, one fsync)",
        |b| {
            b.iter_batched(
                || {
                    // One touch interval later, every session read once.
                    clock.advance(61);
                    for id in &ids {
                        engine.load_session(id).expect("load").expect("live");
                    }
                },
                |()| assert_eq!(engine.flush().expect("flush"), STORED),
                BatchSize::PerIteration,
            )
        },
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = sessions, guard, gc, flush
}
criterion_main!(benches);
