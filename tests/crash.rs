//! Crash safety: a child process creates sessions and prints each id only
//! after its commit returned; the parent kills it with SIGKILL at random
//! moments, reopens the file, and every printed id must load.
//!
//! Runs without the test harness so that the same binary can be the child.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use authkv::{Config, Engine};

const CHILD_ENV: &str = "AUTHKV_CRASH_CHILD_DB";
const ROUNDS: u64 = 25;

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("crash.redb");
    let mut printed: Vec<String> = Vec::new();
    let mut seed = std::process::id() as u64 ^ 0x5DEE_CE66;
    for round in 0..ROUNDS {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let kill_after = Duration::from_millis(20 + (seed >> 33) % 180);
        printed.extend(run_child_and_kill(&path, kill_after));
        let engine = Engine::open(&path, Config::default()).expect("reopen after SIGKILL");
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
    println!(
        "crash: {ROUNDS} SIGKILL rounds, {} committed sessions all survived",
        printed.len()
    );
    println!("1 passed, 0 failed");
}

/// Start the child, read ids for `kill_after`, SIGKILL it, then drain what
/// it printed before dying.
fn run_child_and_kill(path: &std::path::Path, kill_after: Duration) -> Vec<String> {
    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .env(CHILD_ENV, path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
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

fn child(path: &str) {
    use std::io::Write;
    let engine = Engine::open(path, Config::default()).expect("child open");
    let mut out = std::io::stdout().lock();
    loop {
        let session = engine
            .create_session("127.0.0.1", "crash-test")
            .expect("create");
        let session = engine.login(session.id.expose(), 1).expect("login");
        writeln!(out, "{}", session.id.expose()).expect("print");
        out.flush().expect("flush stdout");
    }
}
