//! The measured file: `n` logged-in sessions loaded without fsync, the
//! engine reopened every [`RELOAD_EVERY`] sessions (redb keeps bookkeeping
//! of non-durable commits in memory until a durable one), then closed
//! cleanly. Its ids also go to a text file, one a line, for the children.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use authkv::{Clock, Config, Engine, ManualClock};

use crate::progress;

/// Sessions created per open of the engine while loading.
const RELOAD_EVERY: usize = 50_000;

/// The file and what it holds.
pub struct Fixture {
    /// The redb file.
    pub path: PathBuf,
    /// The session ids, after login, one a line.
    pub ids_path: PathBuf,
    /// The session ids, in creation order.
    pub ids: Vec<String>,
    /// The unix second every session was created and last active at.
    pub t0: u64,
}

/// Create `n` logged-in sessions in `dir/footprint.redb`. The clock stands
/// still at the current time while loading, so every session has the same
/// `last_activity` and reads within the touch interval of it write nothing.
pub fn build(dir: &Path, n: usize, begun: Instant) -> Fixture {
    let path = dir.join("footprint.redb");
    let t0 = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs();
    let mut config = Config::default();
    config.clock = Clock::Manual(ManualClock::new(t0));
    config.concurrency = authkv::Concurrency::Exclusive;
    config.durable_commits = false;
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let engine = Engine::open(&path, config.clone()).expect("open the file to load");
        for _ in 0..(n - ids.len()).min(RELOAD_EVERY) {
            let visitor = engine
                .create_session("203.0.113.9", "footprint-bench")
                .expect("create a session");
            let user_id = ids.len() as u64 + 1;
            let session = engine
                .login(visitor.id.expose(), user_id)
                .expect("log the visitor in");
            ids.push(session.id.expose().to_owned());
        }
        engine.close().expect("close and persist the batch");
        progress(begun, &format!("{} sessions stored", ids.len()));
    }
    let ids_path = dir.join("ids.txt");
    let mut out = BufWriter::new(std::fs::File::create(&ids_path).expect("create ids.txt"));
    for id in &ids {
        writeln!(out, "{id}").expect("write an id");
    }
    out.flush().expect("write ids.txt");
    Fixture {
        path,
        ids_path,
        ids,
        t0,
    }
}
