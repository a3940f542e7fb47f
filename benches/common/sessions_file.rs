//! A file of fresh sessions for the benches that time writes to it.

use std::path::Path;

use authkv::{Config, Engine};

/// An engine on `path` holding `n` new sessions, loaded without fsync and
/// then reopened with durable commits, as a server would run it, and the
/// sessions' ids. `config` is used as given but for `durable_commits`.
pub fn engine_with_sessions(path: &Path, mut config: Config, n: usize) -> (Engine, Vec<String>) {
    config.durable_commits = false;
    let engine = Engine::open(path, config.clone()).expect("open");
    let ids = (0..n)
        .map(|_| {
            let session = engine
                .create_session("203.0.113.9", "bench")
                .expect("create");
            session.id.expose().to_owned()
        })
        .collect();
    engine.close().expect("close");
    config.durable_commits = true;
    let engine = Engine::open(path, config).expect("reopen");
    (engine, ids)
}
