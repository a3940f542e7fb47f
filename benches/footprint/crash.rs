//! Recovery after SIGKILL: a child opens the large file and creates and
//! logs in sessions with durable commits, printing each id once its commit
//! returned; the parent kills it mid-stream, then times the `Engine::open`
//! that recovers the file (redb's repair), and checks that every printed
//! id loads and that `verify` finds nothing wrong.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use authkv::{Config, Engine};

/// The argument that makes the bench binary this child.
pub const CHILD_ARG: &str = "--child-writer";

/// Longest wait for the child's first committed write.
const FIRST_WRITE: Duration = Duration::from_secs(120);

/// What the rounds of one setting found.
pub struct Recovery {
    /// Time of each recovering open.
    pub opens: Vec<Duration>,
    /// Ids the children printed, all rounds together.
    pub printed: usize,
    /// Printed ids that did not load after recovery.
    pub lost: usize,
    /// Problems `verify` reported, all rounds together.
    pub problems: usize,
}

/// `rounds` kills of a writer with `quick_repair`, each after it wrote for
/// `writes_for`.
pub fn recoveries(db: &Path, quick_repair: bool, rounds: usize, writes_for: Duration) -> Recovery {
    let mut config = Config::default();
    config.quick_repair = quick_repair;
    let mut recovery = Recovery {
        opens: Vec::new(),
        printed: 0,
        lost: 0,
        problems: 0,
    };
    for _ in 0..rounds {
        let ids = write_and_kill(db, quick_repair, writes_for);
        let start = Instant::now();
        let engine = Engine::open(db, config.clone()).expect("open after SIGKILL");
        recovery.opens.push(start.elapsed());
        recovery.printed += ids.len();
        for id in &ids {
            if engine.load_session(id).expect("load").is_none() {
                recovery.lost += 1;
            }
        }
        recovery.problems += engine.verify().expect("verify").problems.len();
        engine.close().expect("close cleanly");
    }
    recovery
}

/// Start the writer, let it commit for `writes_for` after its first write,
/// SIGKILL it, and return every id it printed.
fn write_and_kill(db: &Path, quick_repair: bool, writes_for: Duration) -> Vec<String> {
    let exe = std::env::current_exe().expect("the bench's own path");
    let mut child = Command::new(exe)
        .arg(CHILD_ARG)
        .arg(db)
        .arg(if quick_repair { "1" } else { "0" })
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the writer");
    let stdout = child.stdout.take().expect("the writer's stdout");
    let (send, receive) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    let first = receive
        .recv_timeout(FIRST_WRITE)
        .expect("the writer commits");
    std::thread::sleep(writes_for);
    child.kill().expect("SIGKILL"); // std sends SIGKILL on unix
    child.wait().expect("reap the writer");
    reader.join().expect("the reader thread");
    std::iter::once(first).chain(receive.try_iter()).collect()
}

/// The child: `--child-writer <db> <0|1>`; writes until killed.
pub fn child(args: &[String]) {
    let [db, quick_repair] = args else {
        panic!("usage: {CHILD_ARG} <db> <0|1>");
    };
    let mut config = Config::default();
    config.quick_repair = quick_repair == "1";
    let engine = Engine::open(db, config).expect("the writer opens the file");
    let mut out = std::io::stdout().lock();
    for user_id in 1.. {
        let visitor = engine
            .create_session("192.0.2.1", "footprint-crash")
            .expect("create");
        let session = engine.login(visitor.id.expose(), user_id).expect("login");
        writeln!(out, "{}", session.id.expose()).expect("print");
        out.flush().expect("flush stdout");
    }
}
