//! A real PostgreSQL server for the tests: the one named by
//! `AUTHKV_TEST_POSTGRES` (a connection string; tests/all.sh starts one per
//! run), or else one this test binary starts itself with `initdb` and
//! `pg_ctl` in a temporary directory, on a Unix socket only, stopped when
//! the binary exits. Each engine gets a schema of its own, so tests run in
//! parallel without seeing each other's rows.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The server's base connection string.
pub fn server() -> &'static str {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("AUTHKV_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => url,
        _ => start_server(),
    })
}

/// A connection string whose tables live in a new, empty schema.
pub fn fresh_database() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let schema = format!(
        "t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let mut client = postgres::Client::connect(server(), postgres::NoTls).expect("connect");
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("create schema");
    format!("{} options='-c search_path={schema}'", server())
}

/// Every row of authkv's tables in the database at `url`, as text.
pub fn all_rows(url: &str) -> String {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let mut text = String::new();
    for table in [
        "authkv_meta",
        "authkv_sessions",
        "authkv_tokens",
        "authkv_credentials",
        "authkv_throttle",
        "authkv_remember",
    ] {
        let row = client
            .query_one(
                &format!("SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t"),
                &[],
            )
            .expect("dump table");
        text.push_str(row.get(0));
        text.push('\n');
    }
    text
}

/// Where the server's programs are: on PATH, or Debian's versioned folder.
pub fn bin(program: &str) -> PathBuf {
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(program);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.filter_map(|d| d.ok().map(|d| d.path())).collect())
        .unwrap_or_default();
    versions.sort();
    versions
        .into_iter()
        .rev()
        .map(|version| version.join("bin").join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{program} not found: install Debian's postgresql package"))
}

/// Run a server program, as the `postgres` user when this is root (the
/// server refuses to run as root).
pub fn run(program: &str, args: &[&str]) {
    let binary = bin(program);
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut command = if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(&binary);
        command
    } else {
        Command::new(&binary)
    };
    let output = command.args(args).output().expect("start a server program");
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A cluster under `dir` (made readable by the server's user).
pub fn init_cluster(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    run(
        "initdb",
        &[
            "-D",
            data.to_str().expect("utf-8 path"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ],
    );
    data
}

/// Start the cluster in `data` on `socket_dir`:`port`, Unix socket only.
pub fn start(data: &Path, socket_dir: &Path, port: u16) {
    let options = format!(
        "-k {} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=400",
        socket_dir.display()
    );
    let log = data.parent().expect("parent").join("server.log");
    run(
        "pg_ctl",
        &[
            "-D",
            data.to_str().expect("utf-8 path"),
            "-o",
            &options,
            "-l",
            log.to_str().expect("utf-8 path"),
            "-w",
            "start",
        ],
    );
}

/// Stop the cluster in `data` at once.
pub fn stop(data: &Path) {
    run(
        "pg_ctl",
        &[
            "-D",
            data.to_str().expect("utf-8 path"),
            "-m",
            "immediate",
            "-w",
            "stop",
        ],
    );
}

/// A directory the server's user can write to.
pub fn shared_dir() -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix("authkv-pg-")
        .tempdir()
        .expect("tempdir")
        .keep();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    dir
}

static STARTED: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn stop_at_exit() {
    if let Some(dir) = STARTED.get() {
        let _ = std::panic::catch_unwind(|| stop(&dir.join("data")));
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn start_server() -> String {
    let dir = shared_dir();
    let data = init_cluster(&dir);
    let port = 20_000 + (std::process::id() % 20_000) as u16;
    start(&data, &dir, port);
    let _ = STARTED.set(dir.clone());
    // SAFETY: registers a plain function to run at exit.
    unsafe { libc::atexit(stop_at_exit) };
    format!(
        "host={} port={port} user=postgres dbname=postgres",
        dir.display()
    )
}
