//! The workloads, each written once against [`Peer`] and run on every
//! system: loading, cookie and token requests, login, save, threads, GC,
//! argon2 and the day. Timed series are cut into rounds run in turn across
//! the systems, so that all of them meet the same disk and CPU neighbours.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use authkv::ManualClock;

use crate::authkv_peer::AuthkvPeer;
use crate::c_abi_peer::CAbiPeer;
use crate::day::DayOutcome;
use crate::fixture::{SessionSeed, TokenSeed, mint_tokens};
use crate::measure::{Arrivals, Measured, Series, picks, time_ops, time_threads};
use crate::peer::{GcPolicy, IDLE, Peer, Store, Touch, Worker};
#[cfg(feature = "postgres")]
use crate::postgres::{PgSystems, PostgresServer};
use crate::redis::{RedisPeer, RedisServer};
use crate::report::{Compare, Report, Row, duration};
use crate::sqlite::SqlitePeer;
use crate::{Scale, count, progress};

/// The simulated time at which the first sessions are created.
const T0: u64 = 1_700_000_000;
/// The large store is created this much later, so that GC can later tell
/// the first sessions (expired) from the rest (live).
const LATER: u64 = 600;
/// Rounds a timed series is cut into.
const ROUNDS: usize = 10;
/// authkv loads in chunks of this many sessions, each closed by a durable
/// commit (redb's bookkeeping of non-durable commits grows until one).
const LOAD_CHUNK: usize = 50_000;
/// Touch and GC policy of the Laravel variants.
const LARAVEL: (Touch, GcPolicy) = (Touch::EveryRequest, GcPolicy::Lottery);
/// Touch and GC policy of the throttled variants.
const THROTTLED: (Touch, GcPolicy) = (Touch::Throttled, GcPolicy::EveryMinute);
/// GC batch of the second authkv GC run, on a copy of the same file.
const BIG_GC_BATCH: usize = 10_000;

/// The servers the bench started (or, in test mode, was given).
pub struct Servers<'a> {
    /// A Redis server, unless skipped.
    pub redis: Option<&'a RedisServer>,
    /// A PostgreSQL server, unless skipped.
    #[cfg(feature = "postgres")]
    pub postgres: Option<&'a PostgresServer>,
}

/// The systems on one store: authkv, then each peer's Laravel and
/// throttled variants, then authkv and Laravel on PostgreSQL.
struct Lineup<'a> {
    authkv: &'a AuthkvPeer,
    c_abi: &'a CAbiPeer,
    sqlite: &'a [SqlitePeer; 2],
    redis: Option<&'a [RedisPeer; 2]>,
    #[cfg(feature = "postgres")]
    postgres: Option<&'a PgSystems>,
}

impl<'a> Lineup<'a> {
    /// Every system, with the timed calls each gets: fewer for the
    /// variants that write durably on every request.
    fn all(&self, scale: &Scale) -> Vec<(&'a dyn Peer, usize)> {
        let mut peers: Vec<(&dyn Peer, usize)> = vec![(self.authkv, scale.reads)];
        peers.push((self.c_abi, scale.reads));
        peers.push((&self.sqlite[0], scale.writes));
        peers.push((&self.sqlite[1], scale.reads));
        if let Some([laravel, throttled]) = self.redis {
            peers.push((laravel, scale.writes));
            peers.push((throttled, scale.reads));
        }
        #[cfg(feature = "postgres")]
        if let Some(pg) = self.postgres {
            peers.extend(pg.all(scale));
        }
        peers
    }

    /// The systems that keep a cache in the process (authkv's record and
    /// summary caches, SQLite's page cache) and whose reads do not write:
    /// they are warmed before the lookup rows. Redis holds everything in
    /// memory anyway; the Laravel variants write on every read.
    fn caching(&self) -> Vec<&'a dyn Peer> {
        #[cfg_attr(not(feature = "postgres"), allow(unused_mut))]
        let mut peers: Vec<&dyn Peer> = vec![self.authkv, self.c_abi, &self.sqlite[1]];
        #[cfg(feature = "postgres")]
        if let Some(pg) = self.postgres {
            peers.extend(pg.caching());
        }
        peers
    }

    /// authkv and the throttled variants, `n` calls each.
    fn best(&self, n: usize) -> Vec<(&'a dyn Peer, usize)> {
        let mut peers: Vec<(&dyn Peer, usize)> = vec![(self.authkv, n), (&self.sqlite[1], n)];
        if let Some([_, throttled]) = self.redis {
            peers.push((throttled, n));
        }
        #[cfg(feature = "postgres")]
        if let Some(pg) = self.postgres {
            peers.extend(pg.best(n));
        }
        peers
    }
}

/// The peers of one store that are loaded with data (the variants share
/// it), with their labels for loading times.
fn stores<'a>(
    sqlite: &'a [SqlitePeer; 2],
    redis: Option<&'a [RedisPeer; 2]>,
) -> Vec<(&'static str, &'a dyn Store)> {
    let mut stores: Vec<(&str, &dyn Store)> = vec![("SQLite", &sqlite[0])];
    if let Some([redis, _]) = redis {
        stores.push(("Redis", redis));
    }
    stores
}

/// authkv makes `n` logged-in sessions (users from `first_user`) in chunks;
/// a second thread copies each chunk into `stores` (after `tokens`, if
/// any) while authkv makes the next; authkv is then reopened with durable
/// commits or not. Returns the sessions and a line of loading times.
fn load(
    authkv: &mut AuthkvPeer,
    stores: &[(&'static str, &dyn Store)],
    (n, first_user): (usize, u64),
    tokens: &[TokenSeed],
    durable: bool,
) -> (Vec<SessionSeed>, String) {
    authkv.reopen(false);
    let (seeds, own, theirs) = std::thread::scope(|scope| {
        let (send, receive) = mpsc::channel::<Vec<SessionSeed>>();
        let copier = scope.spawn(move || {
            let mut spent = vec![Duration::ZERO; stores.len()];
            let mut all = Vec::new();
            for (k, (_, store)) in stores.iter().enumerate() {
                let t = Instant::now();
                store.load_tokens(tokens);
                spent[k] += t.elapsed();
            }
            for chunk in receive {
                for (k, (_, store)) in stores.iter().enumerate() {
                    let t = Instant::now();
                    store.load_sessions(&chunk);
                    spent[k] += t.elapsed();
                }
                all.extend(chunk);
            }
            for (k, (_, store)) in stores.iter().enumerate() {
                let t = Instant::now();
                store.settle_load();
                spent[k] += t.elapsed();
            }
            (all, spent)
        });
        let t = Instant::now();
        let mut made = 0;
        while made < n {
            let size = LOAD_CHUNK.min(n - made);
            let chunk = authkv.seed_sessions(size, first_user + made as u64);
            authkv.reopen(false);
            made += size;
            send.send(chunk).expect("the copying thread is alive");
        }
        authkv.import_tokens(tokens, LOAD_CHUNK);
        authkv.reopen(durable);
        let own = t.elapsed();
        drop(send);
        let (seeds, theirs) = copier.join().expect("the copying thread finished");
        (seeds, own, theirs)
    });
    let mut times = vec![format!("authkv {:.1} s", own.as_secs_f64())];
    for ((label, _), spent) in stores.iter().zip(theirs) {
        times.push(format!("{label} {:.1} s", spent.as_secs_f64()));
    }
    (seeds, times.join(", "))
}

/// A copy of authkv's file for the C ABI's engine (a file is open in one
/// engine at a time), holding the same sessions and tokens.
fn copy_for_c_abi(authkv: &mut AuthkvPeer, dir: &Path, stage: &str) -> std::path::PathBuf {
    let copy = dir.join(format!("c-abi-{stage}.redb"));
    authkv.copy_file(&copy);
    copy
}

/// `total` plus what moved from `start` to `end`; `None` once any is unknown.
fn add_delta(total: Option<u64>, start: Option<u64>, end: Option<u64>) -> Option<u64> {
    Some(total? + end?.saturating_sub(start?))
}

/// Push a row with the writes made since `before` and `disk` bytes dirtied
/// over its operations.
fn push_row(
    report: &mut Report,
    (workload, system): (&str, &str),
    (measured, single_run): (Measured, Option<Duration>),
    writes: u64,
    disk: Option<u64>,
) {
    report.push(Row {
        workload: workload.to_owned(),
        system: system.to_owned(),
        measured: Some(measured),
        single_run,
        writes: Some(writes),
        written: disk.map(|d| d as f64 / measured.ops.max(1) as f64),
        compare: Compare::Throughput,
    });
}

/// Time `op(peer, worker, i)` on each peer: `n / 10` untimed calls, then
/// `n` timed ones in [`ROUNDS`] rounds taken in turn; one row per peer with
/// the durable writes and disk bytes of its timed calls.
fn interleaved(
    report: &mut Report,
    workload: &str,
    peers: &[(&dyn Peer, usize)],
    op: impl Fn(&dyn Peer, &mut dyn Worker, usize),
) {
    eprintln!("{workload}");
    let mut workers: Vec<_> = peers.iter().map(|(p, _)| p.worker()).collect();
    for ((peer, n), worker) in peers.iter().zip(&mut workers) {
        for i in 0..n / 10 {
            op(*peer, worker.as_mut(), i);
        }
    }
    let before: Vec<u64> = peers.iter().map(|(p, _)| p.commits()).collect();
    let mut series: Vec<Series> = peers.iter().map(|_| Series::default()).collect();
    let mut disk = vec![Some(0); peers.len()];
    for round in 0..ROUNDS {
        for (k, (peer, n)) in peers.iter().enumerate() {
            let worker = workers[k].as_mut();
            let (from, to) = (n * round / ROUNDS, n * (round + 1) / ROUNDS);
            let start = peer.bytes_written();
            series[k].time(n / 10 + from..n / 10 + to, |i| op(*peer, &mut *worker, i));
            peer.settle();
            disk[k] = add_delta(disk[k], start, peer.bytes_written());
        }
    }
    for (k, series) in series.into_iter().enumerate() {
        let peer = peers[k].0;
        let writes = peer.commits() - before[k];
        let row = (workload, peer.name());
        push_row(report, row, (series.finish(), None), writes, disk[k]);
    }
}

/// Systems to time, each with its number of timed calls.
type Timed<'a> = &'a [(&'a dyn Peer, usize)];

/// Run `op` once for every item on each of `peers`, untimed, so that the
/// timed rows measure a server in its steady state (every live session
/// and token read before) rather than a cold start in which nearly every
/// random pick is a first read.
fn warm<T: Sync>(peers: &[&dyn Peer], items: &[T], op: impl Fn(&mut dyn Worker, &T)) {
    for peer in peers {
        let mut worker = peer.worker();
        for item in items {
            op(worker.as_mut(), item);
        }
        peer.settle();
    }
}

/// Cookie requests for the sessions in `seeds`, drawn at random, after
/// every session was read once on `warmed`.
fn cookie_rows(
    report: &mut Report,
    workload: &str,
    (peers, warmed): (Timed<'_>, &[&dyn Peer]),
    seeds: &[SessionSeed],
) {
    warm(warmed, seeds, |w, s| {
        assert_eq!(w.session_request(&s.id), Some(s.user_id), "warm-up");
    });
    let most = peers.iter().map(|(_, n)| n + n / 10).max().unwrap_or(0);
    let arrivals = Arrivals::new(picks(1, most, seeds.len()).into_iter().map(|k| {
        let s = &seeds[k];
        (s.id.as_str(), s.user_id)
    }));
    interleaved(report, workload, peers, |peer, w, i| {
        let (id, user_id) = arrivals.get(i);
        let user = w.session_request(id);
        assert_eq!(user, Some(user_id), "{} authenticates", peer.name());
    });
}

/// Workload 7: `threads` threads on each peer, 95% cookie reads and 5%
/// saves of `payload`, in three rounds per peer taken in turn.
fn thread_rows(
    report: &mut Report,
    scale: &Scale,
    peers: &[(&dyn Peer, usize)],
    seeds: &[SessionSeed],
    payload: &[u8],
) {
    for &threads in scale.threads {
        let plural = if threads == 1 { "" } else { "s" };
        let workload = format!("7. 95% reads / 5% saves, {threads} thread{plural}");
        eprintln!("{workload}");
        let before: Vec<u64> = peers.iter().map(|(p, _)| p.commits()).collect();
        let mut series: Vec<Series> = peers.iter().map(|_| Series::default()).collect();
        let mut disk = vec![Some(0); peers.len()];
        for round in 0..3 {
            for (k, (peer, _)) in peers.iter().enumerate() {
                let start = peer.bytes_written();
                let (samples, elapsed) = time_threads(
                    threads,
                    scale.mixed / 3,
                    round,
                    || peer.worker(),
                    |w, rng| {
                        let s = &seeds[rng.below(seeds.len())];
                        if rng.chance(5, 100) {
                            assert!(w.save(&s.id, payload), "a live session saves");
                        } else {
                            assert_eq!(w.session_request(&s.id), Some(s.user_id), "reads");
                        }
                    },
                );
                series[k].extend(samples, elapsed);
                peer.settle();
                disk[k] = add_delta(disk[k], start, peer.bytes_written());
            }
        }
        for (k, series) in series.into_iter().enumerate() {
            let peer = peers[k].0;
            let writes = peer.commits() - before[k];
            let row = (workload.as_str(), peer.name());
            push_row(report, row, (series.finish(), None), writes, disk[k]);
        }
    }
}

/// Workload 6: one GC run per system over the same expired sessions, and
/// a second authkv run with larger batches on `copy`, a copy of its file
/// made after loading (a note).
fn gc_rows(
    report: &mut Report,
    scale: &Scale,
    (authkv, copy): (&AuthkvPeer, &Path),
    collectors: &[(&dyn Peer, &str)],
) {
    let workload = format!(
        "6. GC {} expired of {}",
        count(scale.small),
        count(scale.large)
    );
    eprintln!("{workload}");
    let clock = authkv.clock();
    let big_batches = AuthkvPeer::open_with_gc_batch(copy, clock, BIG_GC_BATCH);
    let mut runs: Vec<(&dyn Peer, &str)> = vec![(authkv, "authkv")];
    runs.extend_from_slice(collectors);
    runs.push((&big_batches, "authkv-copy"));
    for (peer, system) in runs {
        let (before, start) = (peer.commits(), peer.bytes_written());
        let t = Instant::now();
        let deleted = peer.gc();
        let elapsed = t.elapsed();
        let disk = add_delta(Some(0), start, peer.bytes_written());
        assert_eq!(deleted, scale.small as u64, "{system} deletes the expired");
        if system == "authkv" {
            let t = Instant::now();
            let again = peer.gc();
            report.notes.push(format!(
                "GC run again right after, with none expired among the {} left: {} \
                 (deleted {again}).",
                count(scale.large - scale.small),
                duration(t.elapsed())
            ));
        }
        if system == "authkv-copy" {
            report.notes.push(format!(
                "GC with gc_batch_size = {} instead of the default 1,000, on a copy of the \
                 same authkv file: {} (durable commits: {}).",
                count(BIG_GC_BATCH),
                duration(elapsed),
                peer.commits() - before
            ));
            continue;
        }
        let measured = Measured {
            ops: deleted,
            elapsed,
            p50: elapsed,
            p99: elapsed,
        };
        let writes = peer.commits() - before;
        let row = (workload.as_str(), system);
        push_row(report, row, (measured, Some(elapsed)), writes, disk);
    }
}

/// Workloads 1–4, 6 and 7 on one store that grows from `small` to `large`.
pub fn main_store(
    report: &mut Report,
    scale: &Scale,
    dir: &Path,
    servers: &Servers<'_>,
    begun: Instant,
) {
    let clock = ManualClock::new(T0);
    let mut authkv = AuthkvPeer::open(&dir.join("authkv.redb"), &clock, false);
    let path = dir.join("laravel.sqlite");
    let sqlite = [
        SqlitePeer::open(&path, "SQLite Laravel", LARAVEL, true, &clock),
        SqlitePeer::open(&path, "SQLite throttled", THROTTLED, true, &clock),
    ];
    let redis = servers.redis.map(|s| {
        [
            RedisPeer::new(s, "Redis Laravel", "", LARAVEL.0, &clock),
            RedisPeer::new(s, "Redis throttled", "", THROTTLED.0, &clock),
        ]
    });
    #[cfg(feature = "postgres")]
    let mut postgres = servers
        .postgres
        .map(|s| PgSystems::main(s, &clock, [LARAVEL, THROTTLED]));
    #[cfg(feature = "postgres")]
    let opened = Instant::now();
    #[cfg_attr(not(feature = "postgres"), allow(unused_mut))]
    let mut stores = stores(&sqlite, redis.as_ref());
    #[cfg(feature = "postgres")]
    if let Some(pg) = &postgres {
        stores.extend(pg.stores(false));
    }

    // The first sessions and the tokens, at T0.
    let tokens = mint_tokens(scale.tokens, T0);
    let (first, times) = load(&mut authkv, &stores, (scale.small, 1), &tokens, true);
    let (small, tokens_n) = (count(scale.small), count(scale.tokens));
    progress(
        begun,
        &format!("loaded {small} sessions, {tokens_n} tokens: {times}"),
    );
    let c_abi = CAbiPeer::open(&copy_for_c_abi(&mut authkv, dir, "small"), &clock);
    let lineup = Lineup {
        authkv: &authkv,
        c_abi: &c_abi,
        sqlite: &sqlite,
        redis: redis.as_ref(),
        #[cfg(feature = "postgres")]
        postgres: postgres.as_ref(),
    };

    // 1. Cookie requests with the small store; 2. bearer tokens.
    clock.set(T0 + 30);
    let workload = format!("1. session cookie, {small} stored");
    cookie_rows(
        report,
        &workload,
        (&lineup.all(scale), &lineup.caching()),
        &first,
    );
    let workload = format!("2. bearer token, {tokens_n} stored");
    warm(&lineup.caching(), &tokens, |w, t| {
        assert_eq!(w.token_request(&t.plain), Some(t.user_id), "warm-up");
    });
    let token_picks = picks(2, scale.reads + scale.reads / 10, tokens.len());
    let arrivals = Arrivals::new(token_picks.into_iter().map(|k| {
        let t = &tokens[k];
        (t.plain.as_str(), t.user_id)
    }));
    interleaved(report, &workload, &lineup.all(scale), |peer, w, i| {
        let (plain, user_id) = arrivals.get(i);
        let user = w.token_request(plain);
        assert_eq!(user, Some(user_id), "{} authenticates", peer.name());
    });

    // Grow to the large store, LATER seconds on.
    clock.set(T0 + LATER);
    let n = scale.large - scale.small;
    let first_user = 1 + scale.small as u64;
    let (rest, times) = load(&mut authkv, &stores, (n, first_user), &[], true);
    // The rows below write only to live sessions and new ones, so this copy
    // holds the same expired sessions as the file GC will run on.
    let copy = dir.join("authkv-gc-copy.redb");
    authkv.copy_file(&copy);
    progress(
        begun,
        &format!("grew to {} sessions: {times}", count(scale.large)),
    );
    report.notes.push(format!(
        "Loading {} more sessions (visitor + login each; authkv without fsync in chunks of \
         {} closed durably; SQLite one transaction per chunk; Redis pipelined; the peers copy \
         a chunk while authkv makes the next) took: {times}.",
        count(n),
        count(LOAD_CHUNK)
    ));
    drop(c_abi);
    let c_abi = CAbiPeer::open(&copy_for_c_abi(&mut authkv, dir, "large"), &clock);
    let lineup = Lineup {
        authkv: &authkv,
        c_abi: &c_abi,
        sqlite: &sqlite,
        redis: redis.as_ref(),
        #[cfg(feature = "postgres")]
        postgres: postgres.as_ref(),
    };

    // 1. Cookie requests with the large store, drawn from the sessions
    // created last so that the first ones stay untouched for GC.
    clock.set(T0 + LATER + 30);
    let workload = format!("1. session cookie, {} stored", count(scale.large));
    cookie_rows(
        report,
        &workload,
        (&lineup.all(scale), &lineup.caching()),
        &rest,
    );

    // 3. Login: a visitor session, then the rotation.
    let workload = "3. login: visitor session + rotation (durable)";
    interleaved(
        report,
        workload,
        &lineup.best(scale.writes),
        |peer, w, i| {
            let id = w.login(10_000_000 + i as u64);
            assert_eq!(id.len(), 40, "{} returns a session id", peer.name());
        },
    );

    // 4. Save a 1 KiB payload.
    let payload = vec![b'x'; 1024];
    let save_picks = picks(4, scale.writes + scale.writes / 10, rest.len());
    let workload = "4. save 1 KiB payload (durable)";
    interleaved(
        report,
        workload,
        &lineup.best(scale.writes),
        |peer, w, i| {
            let saved = w.save(&rest[save_picks[i]].id, &payload);
            assert!(saved, "{} saves a live session", peer.name());
        },
    );

    // 7. Threads.
    thread_rows(report, scale, &lineup.best(0), &rest, &payload);

    // 6. GC: the first sessions have now been idle for longer than the
    // lifetime; the rest have not.
    clock.set(T0 + 30 + IDLE + 1);
    let mut collectors: Vec<(&dyn Peer, &str)> = vec![(&sqlite[0], "SQLite")];
    if let Some(redis) = &redis {
        collectors.push((&redis[0], "Redis"));
    }
    #[cfg(feature = "postgres")]
    if let Some(pg) = &postgres {
        collectors.extend(pg.collectors());
    }
    gc_rows(report, scale, (&authkv, &copy), &collectors);
    #[cfg(feature = "postgres")]
    if let Some(pg) = &mut postgres {
        listener_note(report, pg, opened.elapsed());
    }
    progress(begun, "main store done");
}

/// Close authkv on PostgreSQL and say what its change listener wrote while
/// the engine was open: besides the engine's own commits, the listener
/// renews its lease in `authkv_listeners` and records every change it has
/// seen there, each an autocommit statement on the server.
#[cfg(feature = "postgres")]
fn listener_note(report: &mut Report, pg: &mut PgSystems, open: Duration) {
    let commits = pg.authkv.commits();
    pg.authkv.close();
    let writes = crate::postgres::listener_writes(&pg.authkv_url);
    report.notes.push(match writes {
        Some(n) => format!(
            "authkv PostgreSQL's change listener wrote {n} rows of authkv_listeners (its lease, \
             renewed every second, and the change number it has seen, after every write) in the \
             {:.0} s its engine was open on the main store, while the engine made {commits} \
             transactions (loading included); these autocommit statements, each a commit on \
             the server, are not in its writes column, which counts the engine's own \
             transactions.",
            open.as_secs_f64()
        ),
        None => "authkv PostgreSQL's change listener: its writes to authkv_listeners could not \
                 be read from pg_stat_user_tables."
            .to_owned(),
    });
}

/// Argon2id verification, timed apart: it costs the same whatever stores
/// the hash, so it is one authkv row.
pub fn argon2_row(report: &mut Report, scale: &Scale, dir: &Path) {
    let clock = ManualClock::new(T0);
    let authkv = AuthkvPeer::open(&dir.join("argon2.redb"), &clock, true);
    let engine = authkv.engine();
    let password = "correct horse battery staple";
    engine
        .set_password(1, "user@example.com", password)
        .expect("authkv stores a credential");
    let measured = time_ops(1, scale.argon2, |_| {
        let ok = engine
            .verify_password(1, password)
            .expect("authkv verifies");
        assert!(ok, "the right password verifies");
    });
    report.push(Row {
        workload: "3b. argon2id verify (m=19456 KiB, t=2, p=1), any store".to_owned(),
        system: "authkv".to_owned(),
        measured: Some(measured),
        single_run: None,
        writes: None,
        written: None,
        compare: Compare::Throughput,
    });
}

/// Workload 5 on fresh stores, one per system and variant, each with its
/// own clock. It counts writes, which neither fsync nor neighbours change,
/// so the replays run at once and without fsync (authkv without durable
/// commits, SQLite with `synchronous=OFF`, Redis as configured, PostgreSQL
/// with `synchronous_commit=off`).
pub fn day_rows(
    report: &mut Report,
    scale: &Scale,
    dir: &Path,
    servers: &Servers<'_>,
    begun: Instant,
) {
    let start = T0 + 1_000_000;
    let clocks: [ManualClock; 8] = std::array::from_fn(|_| ManualClock::new(start));
    let mut authkv = AuthkvPeer::open(&dir.join("day.redb"), &clocks[0], false);
    let sqlite = [
        SqlitePeer::open(
            &dir.join("day-laravel.sqlite"),
            "SQLite Laravel",
            LARAVEL,
            false,
            &clocks[1],
        ),
        SqlitePeer::open(
            &dir.join("day-throttled.sqlite"),
            "SQLite throttled",
            THROTTLED,
            false,
            &clocks[2],
        ),
    ];
    let redis = servers.redis.map(|s| {
        [
            RedisPeer::new(s, "Redis Laravel", "dayL:", LARAVEL.0, &clocks[3]),
            RedisPeer::new(s, "Redis throttled", "dayT:", THROTTLED.0, &clocks[4]),
        ]
    });
    #[cfg(feature = "postgres")]
    let postgres = servers.postgres.map(|s| {
        let clocks = [&clocks[5], &clocks[6], &clocks[7]];
        PgSystems::day(s, clocks, [LARAVEL, THROTTLED])
    });
    let mut stores: Vec<(&str, &dyn Store)> = vec![("SQLite", &sqlite[0]), ("SQLite", &sqlite[1])];
    if let Some(redis) = &redis {
        stores.extend([("Redis", &redis[0] as &dyn Store), ("Redis", &redis[1])]);
    }
    #[cfg(feature = "postgres")]
    if let Some(pg) = &postgres {
        stores.extend(pg.stores(true));
    }
    let (seeds, _) = load(&mut authkv, &stores, (scale.day_users, 1), &[], false);
    let mut peers: Vec<&dyn Peer> = vec![&authkv, &sqlite[0], &sqlite[1]];
    if let Some(redis) = &redis {
        peers.extend([&redis[0] as &dyn Peer, &redis[1]]);
    }
    // The clocks are matched to the peers by position: the PostgreSQL
    // systems have the last three whether or not Redis takes part.
    #[cfg_attr(not(feature = "postgres"), allow(unused_mut))]
    let mut clocked: Vec<(&dyn Peer, &ManualClock)> = peers.iter().copied().zip(&clocks).collect();
    #[cfg(feature = "postgres")]
    if let Some(pg) = &postgres {
        clocked.extend(pg.peers().into_iter().zip(&clocks[5..]));
        peers.extend(pg.peers());
    }
    let events = crate::day::traffic(scale.day_users, scale.day_requests, 5);
    let workload = format!(
        "5. a day: {} users, {} requests (writes only)",
        count(scale.day_users),
        count(scale.day_requests)
    );
    eprintln!("{workload}");
    let outcomes: Vec<DayOutcome> = std::thread::scope(|scope| {
        let replays: Vec<_> = clocked
            .iter()
            .map(|&(peer, clock)| {
                let (seeds, events) = (&seeds, &events);
                scope.spawn(move || crate::day::run(peer, clock, start, seeds, events))
            })
            .collect();
        replays
            .into_iter()
            .map(|replay| replay.join().expect("a day replay finished"))
            .collect()
    });
    let (mut relogins, mut others) = (Vec::new(), Vec::new());
    for (peer, outcome) in peers.iter().zip(outcomes) {
        relogins.push(format!("{} {}", peer.name(), outcome.relogins));
        let per_login = if peer.name().starts_with("Redis") {
            6
        } else {
            2
        };
        let other = outcome.writes.saturating_sub(per_login * outcome.relogins);
        others.push(format!("{} {other}", peer.name()));
        report.push(Row {
            workload: workload.clone(),
            system: peer.name().to_owned(),
            measured: None,
            single_run: None,
            writes: Some(outcome.writes),
            written: None,
            compare: Compare::Writes,
        });
    }
    report.notes.push(format!(
        "Day: bursts of 1–39 requests, one every 1–20 s, anywhere in 24 simulated hours; \
         housekeeping every simulated minute (authkv: housekeep(), touches and GC in one commit; the others: GC), except \
         that SQLite Laravel collects in 2 of 100 requests (Laravel's lottery). A request \
         whose session expired logs in again (2 writes in authkv and SQLite, 6 commands in \
         Redis); such re-logins: {}; writes other than re-logins (touches and GC): {}. \
         The day counts writes, not time: the replays run at once, each on its own \
         store and clock, without fsync (authkv durable_commits = false, SQLite \
         synchronous=OFF, PostgreSQL synchronous_commit=off), which changes no count.",
        relogins.join(", "),
        others.join(", ")
    ));
    progress(begun, "day done");
}
