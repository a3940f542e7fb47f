//! Crash safety: a child process creates sessions on two threads and
//! prints each id only after its commit returned; the parent kills it with
//! SIGKILL at random moments, reopens the file, and every printed id must
//! load. Runs for a process alone on its file (group commit) with quick
//! repair off and with it on, and for a file shared with other processes
//! (every commit durable on its own, quick repair always on); with quick
//! repair, redb must also find its allocator state after every kill instead
//! of walking the file.
//!
//! Runs without the test harness so that the same binary can be the child.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use authkv::{Concurrency, Config, Engine};

const CHILD_ENV: &str = "AUTHKV_CRASH_CHILD_DB";
/// `exclusive`, `exclusive-quick-repair` or `multi-process`.
const MODE_ENV: &str = "AUTHKV_CRASH_MODE";
const MODES: [&str; 3] = ["exclusive", "exclusive-quick-repair", "multi-process"];
const ROUNDS: u64 = 25;

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path, &std::env::var(MODE_ENV).expect("mode"));
        return;
    }
    for mode in MODES {
        let printed = kill_rounds(mode);
        println!(
            "crash, {mode}: {ROUNDS} SIGKILL rounds, {printed} committed sessions all survived"
        );
    }
    println!("{} passed, 0 failed", MODES.len());
}

fn config_for(mode: &str) -> Config {
    let mut config = Config::default();
    if mode.starts_with("exclusive") {
        config.concurrency = Concurrency::Exclusive;
    }
    config.quick_repair = mode == "exclusive-quick-repair";
    config
}

/// SIGKILL a writer `ROUNDS` times on one file; returns how many ids it
/// printed, all of which survived.
fn kill_rounds(mode: &str) -> usize {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("crash.redb");
    let config = config_for(mode);
    let quick_repair = mode != "exclusive";
    let mut printed: Vec<String> = Vec::new();
    let mut seed = std::process::id() as u64 ^ 0x5DEE_CE66;
    for round in 0..ROUNDS {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let kill_after = Duration::from_millis(20 + (seed >> 33) % 180);
        printed.extend(run_child_and_kill(&path, mode, kill_after));
        if quick_repair && path.exists() {
            assert_no_full_repair(&path, round);
        }
        let engine = Engine::open(&path, config.clone()).expect("reopen after SIGKILL");
        for id in &printed {
            assert!(
                engine.load_session(id).expect("load").is_some(),
                "round {round}: a session whose commit returned was lost"
            );
        }
        let report = engine.verify().expect("verify");
        assert!(
            report.is_consistent(),
            "round {round}: {:?}",
            report.problems
        );
        engine.close().expect("close");
    }
    assert!(
        printed.len() as u64 > ROUNDS,
        "the child barely ran: {} ids",
        printed.len()
    );
    printed.len()
}

/// Open the killed writer's file with redb alone, refusing a full repair:
/// with quick repair every commit recorded the allocator state, so redb
/// loads it and never walks the file. (The clean close that follows leaves
/// the ids for the engine to check.)
fn assert_no_full_repair(path: &Path, round: u64) {
    let opened = redb::Database::builder()
        .set_repair_callback(|repair| repair.abort())
        .open(path);
    if let Err(e) = opened {
        panic!("round {round}: redb needed a full repair despite quick repair: {e}");
    }
}

/// Start the child, read ids for `kill_after`, SIGKILL it, then drain what
/// it printed before dying.
fn run_child_and_kill(path: &Path, mode: &str, kill_after: Duration) -> Vec<String> {
    let exe = std::env::current_exe().expect("current exe");
    let mut command = Command::new(exe);
    command
        .env(CHILD_ENV, path)
        .env(MODE_ENV, mode)
        .stdout(Stdio::piped());
    let mut child = command.spawn().expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter(|line| line.len() == 40)
            .collect::<Vec<_>>()
    });
    let start = Instant::now();
    while start.elapsed() < kill_after {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL"); // std sends SIGKILL on unix
    child.wait().expect("reap");
    reader.join().expect("reader")
}

/// Two writers, so that commits are sometimes a lone writer's own durable
/// commit and sometimes covered by a group's shared one.
fn child(path: &str, mode: &str) {
    use std::io::Write;
    let engine = Engine::open(path, config_for(mode)).expect("child open");
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let session = engine
                        .create_session("127.0.0.1", "crash-test")
                        .expect("create");
                    let session = engine.login(session.id.expose(), 1).expect("login");
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{}", session.id.expose()).expect("print");
                    out.flush().expect("flush stdout");
                }
            });
        }
    });
}
