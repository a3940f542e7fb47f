//! Running the real `authkv` binary from tests: a temp dir with a database
//! path, the binary's exit status, stdout and stderr, and `--json` output
//! read back with serde_json.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use authkv::{Clock, Config, Engine, ManualClock};

pub use serde_json::Value as Json;

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Assert the exit status, showing stderr when it differs.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// stdout parsed as one JSON document.
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", self.stdout))
    }
}

/// Run the binary with `args`, feeding `stdin` (or nothing).
pub fn authkv(args: &[&str], stdin: Option<&str>) -> Run {
    authkv_with_env(args, stdin, &[])
}

/// [`authkv`] with these variables set in its environment.
pub fn authkv_with_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_authkv"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn authkv");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        // The binary may exit (say, on a usage error) before reading.
        if let Err(e) = pipe.write_all(input.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
        }
    }
    let out = child.wait_with_output().expect("wait");
    Run {
        code: out.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Start the binary with `args`, stdout and stderr piped, for a test that
/// reads its output as it comes.
pub fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_authkv"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn authkv")
}

/// A temp dir and the database path the binary is pointed at.
pub struct Cli {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Cli {
    /// A fresh dir; the database file does not exist yet.
    pub fn new() -> Cli {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("auth.redb");
        Cli { dir, db }
    }

    /// A fresh dir with an empty authkv database in it.
    pub fn with_db() -> Cli {
        let cli = Cli::new();
        cli.engine().close().expect("close");
        cli
    }

    fn args<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = vec!["--db", self.db.to_str().expect("utf-8 path")];
        all.extend_from_slice(args);
        all
    }

    /// Run `authkv --db DB args...`.
    pub fn run(&self, args: &[&str]) -> Run {
        authkv(&self.args(args), None)
    }

    /// Run `authkv --db DB args...` with `stdin`.
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        authkv(&self.args(args), Some(stdin))
    }

    /// Open the database in this process (close it before running the
    /// binary: one process owns the file).
    pub fn engine(&self) -> Engine {
        Engine::open(&self.db, Config::default()).expect("open")
    }

    /// Open the database with a manual clock at `unix_seconds`.
    pub fn engine_at(&self, unix_seconds: u64) -> Engine {
        let mut config = Config::default();
        config.clock = Clock::Manual(ManualClock::new(unix_seconds));
        Engine::open(&self.db, config).expect("open")
    }

    /// Write a file into the temp dir and return its path as text.
    pub fn file(&self, name: &str, contents: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write fixture");
        path.to_str().expect("utf-8 path").to_owned()
    }
}

/// The wall clock in unix seconds, as the binary reads it.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}
