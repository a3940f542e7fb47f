//! Many processes on one file: what sharing it costs and buys.
//!
//! - Cookie and bearer lookups (the request guard, records cached) from 1,
//!   2 and 4 processes on one file in `Concurrency::MultiProcess`, beside
//!   one process in `Concurrency::Exclusive`: per-process p50 and total
//!   lookups per second, all measured in one run.
//! - What the coherence check (fork test + shared change counter) costs a
//!   cached lookup.
//! - Durable logins from 4 processes against 4 threads of one process.
//!
//! `cargo bench --bench processes` stores 1M sessions and 1M tokens and
//! measures each row for 3 s; without `--bench` (as `cargo test` runs it)
//! it stores 2,000 of each and measures for 0.2 s. The table is printed and
//! written to `target/processes.md`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use authkv::{Concurrency, Config, Engine, LaravelSession, Request, SanctumToken};

#[path = "common/run_env.rs"]
mod run_env;

#[path = "compare/fixture.rs"]
#[allow(dead_code)]
mod fixture;

const ROLE_ENV: &str = "AUTHKV_BENCH_ROLE";

struct Scale {
    stored: usize,
    /// Distinct sessions and tokens each process looks up (warmed first).
    working_set: usize,
    measure: Duration,
}

fn main() {
    if let Ok(role) = std::env::var(ROLE_ENV) {
        // A child whose parent died must not run on.
        // SAFETY: prctl with an integer signal number; no pointers.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
        child(&role);
        return;
    }
    let full = std::env::args().skip(1).any(|a| a == "--bench");
    let scale = if full {
        Scale {
            stored: 1_000_000,
            working_set: 100_000,
            measure: Duration::from_secs(3),
        }
    } else {
        Scale {
            stored: 2_000,
            working_set: 1_000,
            measure: Duration::from_millis(200),
        }
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("processes.redb");
    let keys = dir.path().join("keys.txt");
    let started = Instant::now();
    store(&path, &keys, scale.stored);
    let mut out = String::new();
    out.push_str(&format!(
        "{}\nstored: {} sessions and {} tokens (built in {:.0?}); each process looks up {} of each, warmed, for {:?}\n\n",
        run_env::machine_line(),
        scale.stored,
        scale.stored,
        started.elapsed(),
        scale.working_set,
        scale.measure
    ));
    out.push_str("| mode | processes | cookie p50 per process | bearer p50 per process | cookie lookups/s, all processes | bearer lookups/s, all processes |\n|---|---|---|---|---|---|\n");
    let mut rows = vec![("exclusive", 1, false)];
    rows.extend([1, 2, 4].map(|n| ("multi-process", n, false)));
    rows.push(("multi-process", 1, true));
    for (mode, processes, writing) in rows {
        let results = lookups(&path, &keys, mode, processes, writing, &scale);
        let mode = if writing {
            "multi-process, while 1 more process logs users in"
        } else {
            mode
        };
        let p50 = |f: fn(&Lookup) -> f64| {
            results
                .iter()
                .map(|r| format!("{:.0} ns", f(r)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let total = |f: fn(&Lookup) -> f64| results.iter().map(f).sum::<f64>();
        out.push_str(&format!(
            "| {mode} | {processes} | {} | {} | {:.2} M | {:.2} M |\n",
            p50(|r| r.cookie_p50_ns),
            p50(|r| r.bearer_p50_ns),
            total(|r| r.cookie_per_sec) / 1e6,
            total(|r| r.bearer_per_sec) / 1e6,
        ));
    }
    out.push('\n');
    out.push_str(&coherence_cost(&path));
    out.push('\n');
    out.push_str(&logins(&path, &scale));
    println!("{out}");
    let table = run_env::target_dir().join("processes.md");
    if std::fs::write(&table, &out).is_ok() {
        println!("written to {}", table.display());
    }
}

/// Store `n` logged-in sessions and `n` tokens, fast (this process alone,
/// no fsync per commit), and write their keys to `keys`, one `id token`
/// line each.
fn store(path: &Path, keys: &Path, n: usize) {
    let mut config = Config::default();
    config.concurrency = Concurrency::Exclusive;
    config.durable_commits = false;
    let engine = Engine::open(path, config).expect("open");
    let now = now();
    let mut lines = String::new();
    let tokens = fixture::mint_tokens(n, now);
    for chunk in tokens.chunks(10_000) {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut sanctum = Vec::with_capacity(chunk.len());
        for token in chunk {
            let id = fixture::random_alnum(40);
            lines.push_str(&format!("{id} {}\n", token.plain));
            rows.push(LaravelSession {
                id,
                user_id: Some(token.user_id),
                ip: fixture::IP.to_owned(),
                user_agent: fixture::USER_AGENT.to_owned(),
                payload: Vec::new(),
                last_activity: now,
            });
            sanctum.push(SanctumToken {
                id: token.id,
                user_id: token.user_id,
                name: "bench".to_owned(),
                sha256_hex: token.digest_hex.clone(),
                abilities: vec!["*".to_owned()],
                created_at: now,
                last_used_at: Some(now),
                expires_at: None,
            });
        }
        engine.import_sessions(&rows).expect("import sessions");
        engine
            .import_sanctum_tokens(&sanctum)
            .expect("import tokens");
    }
    engine.close().expect("close");
    std::fs::write(keys, lines).expect("write keys");
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn open(path: &Path, mode: &str) -> Engine {
    let mut config = Config::default();
    if mode == "exclusive" {
        config.concurrency = Concurrency::Exclusive;
    }
    Engine::open(path, config).expect("open")
}

fn spawn(role: &str) -> Child {
    Command::new(std::env::current_exe().expect("current exe"))
        .env(ROLE_ENV, role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Start `processes` children, wait until each has warmed its caches, let
/// them measure at the same time, and collect what each measured.
fn run_together(roles: Vec<String>) -> Vec<String> {
    let mut children: Vec<Child> = roles.iter().map(|role| spawn(role)).collect();
    let mut readers: Vec<_> = children
        .iter_mut()
        .map(|c| BufReader::new(c.stdout.take().expect("stdout")))
        .collect();
    for reader in &mut readers {
        let mut line = String::new();
        reader.read_line(&mut line).expect("ready");
        assert_eq!(line.trim(), "ready");
    }
    for child in &mut children {
        let stdin = child.stdin.as_mut().expect("stdin");
        writeln!(stdin, "go").expect("go");
        stdin.flush().expect("flush");
    }
    let results = readers
        .iter_mut()
        .map(|reader| {
            let mut line = String::new();
            reader.read_line(&mut line).expect("result");
            line.trim().to_owned()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().expect("child").success());
    }
    results
}

fn wait_for_go() {
    println!("ready");
    std::io::stdout().flush().expect("flush");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).expect("go");
}

struct Lookup {
    cookie_p50_ns: f64,
    bearer_p50_ns: f64,
    cookie_per_sec: f64,
    bearer_per_sec: f64,
}

/// Lookups from `processes` processes, and with `writing` one more process
/// making durable logins meanwhile.
fn lookups(
    path: &Path,
    keys: &Path,
    mode: &str,
    processes: usize,
    writing: bool,
    scale: &Scale,
) -> Vec<Lookup> {
    let mut roles: Vec<String> = (0..processes)
        .map(|i| {
            format!(
                "lookup {mode} {} {} {} {} {i}",
                path.display(),
                keys.display(),
                scale.working_set,
                scale.measure.as_millis()
            )
        })
        .collect();
    if writing {
        roles.push(format!(
            "login {} {}",
            path.display(),
            scale.measure.as_millis()
        ));
    }
    run_together(roles)
        .iter()
        .take(processes)
        .map(|line| {
            let v: Vec<f64> = line
                .split(' ')
                .map(|x| x.parse().expect("number"))
                .collect();
            Lookup {
                cookie_p50_ns: v[0],
                bearer_p50_ns: v[1],
                cookie_per_sec: v[2],
                bearer_per_sec: v[3],
            }
        })
        .collect()
}

fn child(role: &str) {
    let args: Vec<&str> = role.split(' ').collect();
    match args[0] {
        "lookup" => lookup_child(&args[1..]),
        "login" => login_child(Path::new(args[1]), args[2].parse().expect("ms")),
        other => panic!("unknown role {other}"),
    }
}

const BATCH: usize = 100;

fn cookie(header: &str) -> Request<'_> {
    Request {
        method: "GET",
        cookie: Some(header),
        referer: Some("http://localhost/"),
        ..Request::default()
    }
}

fn bearer(header: &str) -> Request<'_> {
    Request {
        method: "GET",
        authorization: Some(header),
        ..Request::default()
    }
}

fn lookup_child(args: &[&str]) {
    let (mode, path, keys) = (args[0], Path::new(args[1]), args[2]);
    let working_set: usize = args[3].parse().expect("n");
    let measure = Duration::from_millis(args[4].parse().expect("ms"));
    let offset: usize = args[5].parse().expect("i");
    let engine = open(path, mode);
    let text = std::fs::read_to_string(keys).expect("keys");
    let lines: Vec<&str> = text.lines().collect();
    let step = (lines.len() / working_set).max(1);
    let picked: Vec<(String, String)> = (0..working_set)
        .map(|i| {
            let (id, token) = lines[(i * step + offset) % lines.len()]
                .split_once(' ')
                .expect("line");
            (format!("authkv_session={id}"), format!("Bearer {token}"))
        })
        .collect();
    for (c, b) in &picked {
        engine.authenticate(&cookie(c)).expect("cookie");
        engine.authenticate(&bearer(b)).expect("bearer");
    }
    wait_for_go();
    let (cookie_p50, cookie_rate) = timed(measure / 2, picked.len(), |i| {
        engine.authenticate(&cookie(&picked[i].0)).expect("cookie");
    });
    let (bearer_p50, bearer_rate) = timed(measure / 2, picked.len(), |i| {
        engine.authenticate(&bearer(&picked[i].1)).expect("bearer");
    });
    println!("{cookie_p50} {bearer_p50} {cookie_rate} {bearer_rate}");
}

/// Run `op` over the working set in batches of `BATCH` for `measure`;
/// returns the p50 per op (of batch means) in ns and ops per second.
fn timed(measure: Duration, n: usize, mut op: impl FnMut(usize)) -> (f64, f64) {
    let mut per_op = Vec::new();
    let start = Instant::now();
    let mut i = 0;
    while start.elapsed() < measure {
        let batch = Instant::now();
        for _ in 0..BATCH {
            op(i % n);
            i += 1;
        }
        per_op.push(batch.elapsed().as_nanos() as f64 / BATCH as f64);
    }
    let rate = i as f64 / start.elapsed().as_secs_f64();
    per_op.sort_by(f64::total_cmp);
    (per_op[per_op.len() / 2], rate)
}

/// The check alone, and a cached cookie lookup in each mode.
fn coherence_cost(path: &Path) -> String {
    let mut out = String::from("| cached lookup, one process | ns per call |\n|---|---|\n");
    let text = std::fs::read_to_string(path.with_file_name("keys.txt")).expect("keys");
    let id = text
        .lines()
        .next()
        .and_then(|l| l.split(' ').next())
        .expect("id");
    let header = format!("authkv_session={id}");
    for mode in ["exclusive", "multi-process"] {
        let engine = open(path, mode);
        let request = cookie(&header);
        engine.authenticate(&request).expect("warm");
        let n = 2_000_000;
        let start = Instant::now();
        for _ in 0..n {
            assert!(std::hint::black_box(&engine).coherence_check());
        }
        let check = start.elapsed().as_nanos() as f64 / n as f64;
        let start = Instant::now();
        for _ in 0..n {
            std::hint::black_box(engine.authenticate(std::hint::black_box(&request))).expect("ok");
        }
        let lookup = start.elapsed().as_nanos() as f64 / n as f64;
        out.push_str(&format!(
            "| coherence check alone, {mode} | {check:.1} |\n| cookie lookup of one cached session, {mode} | {lookup:.0} |\n"
        ));
        engine.close().expect("close");
    }
    out
}

/// Durable logins: 4 processes against 4 threads of one process.
fn logins(path: &Path, scale: &Scale) -> String {
    let ms = scale.measure.as_millis();
    let roles = (0..4)
        .map(|_| format!("login {} {ms}", path.display()))
        .collect();
    let by_process: f64 = run_together(roles)
        .iter()
        .map(|l| l.parse::<f64>().expect("rate"))
        .sum();
    let mut out = String::from(
        "| durable logins (create + login), 4 workers | logins/s, all workers |\n|---|---|\n",
    );
    out.push_str(&format!(
        "| 4 processes, multi-process | {by_process:.0} |\n"
    ));
    for mode in ["multi-process", "exclusive"] {
        let engine = open(path, mode);
        let counts: Vec<u64> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| login_loop(&engine, scale.measure)))
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("worker"))
                .collect()
        });
        let rate = counts.iter().sum::<u64>() as f64 / scale.measure.as_secs_f64();
        out.push_str(&format!(
            "| 4 threads of one process, {mode} | {rate:.0} |\n"
        ));
        engine.close().expect("close");
    }
    out
}

fn login_loop(engine: &Engine, measure: Duration) -> u64 {
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < measure {
        let visitor = engine.create_session(fixture::IP, "bench").expect("create");
        engine.login(visitor.id.expose(), 7).expect("login");
        n += 1;
    }
    n
}

fn login_child(path: &Path, ms: u64) {
    let engine = open(path, "multi-process");
    wait_for_go();
    let measure = Duration::from_millis(ms);
    let n = login_loop(&engine, measure);
    println!("{}", n as f64 / measure.as_secs_f64());
}
