//! authkv through its Rust API: one shared [`Engine`], the request guard for
//! cookie requests, `authenticate_token` for bearer tokens. It also makes
//! the session seeds that the peers are loaded with.

use std::path::{Path, PathBuf};

use authkv::{Clock, Config, Engine, Error, ManualClock, Request, SanctumToken, SessionError};

use crate::fixture::{IP, SessionSeed, TokenSeed, USER_AGENT};
use crate::peer::{Peer, Worker};

/// authkv on one redb file.
pub struct AuthkvPeer {
    path: PathBuf,
    clock: ManualClock,
    /// `Config::gc_batch_size`, when not the default.
    gc_batch: Option<usize>,
    engine: Option<Engine>,
}

impl AuthkvPeer {
    /// Open (or create) the file at `path` with authkv's defaults, the
    /// bench's clock, and durable commits when `durable`.
    pub fn open(path: &Path, clock: &ManualClock, durable: bool) -> Self {
        let mut peer = Self {
            path: path.to_owned(),
            clock: clock.clone(),
            gc_batch: None,
            engine: None,
        };
        peer.reopen(durable);
        peer
    }

    /// Close and open again, with or without durable commits. Loading runs
    /// without fsync (the engine makes it durable at close); every measured
    /// operation runs with durable commits.
    pub fn reopen(&mut self, durable: bool) {
        if let Some(engine) = self.engine.take() {
            engine.close().expect("authkv closes and persists");
        }
        let mut config = Config::default();
        config.clock = Clock::Manual(self.clock.clone());
        // One server process, as the peers run here; `benches/processes.rs`
        // measures the file shared by several.
        config.concurrency = authkv::Concurrency::Exclusive;
        config.durable_commits = durable;
        if let Some(batch) = self.gc_batch {
            config.gc_batch_size = batch;
        }
        self.engine = Some(Engine::open(&self.path, config).expect("authkv opens its file"));
    }

    /// Copy the file to `to` (closing and reopening the engine first, so
    /// that the copy is a cleanly closed database).
    pub fn copy_file(&mut self, to: &Path) {
        self.reopen(true);
        std::fs::copy(&self.path, to).expect("the redb file copies");
    }

    /// Open `path` with durable commits and GC batches of `batch` sessions.
    pub fn open_with_gc_batch(path: &Path, clock: &ManualClock, batch: usize) -> Self {
        let mut peer = Self {
            path: path.to_owned(),
            clock: clock.clone(),
            gc_batch: Some(batch),
            engine: None,
        };
        peer.reopen(true);
        peer
    }

    /// The clock this engine reads.
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// The open engine.
    pub fn engine(&self) -> &Engine {
        self.engine
            .as_ref()
            .expect("the engine is open between reopens")
    }

    /// Create `n` logged-in sessions for users `first_user..` at the
    /// clock's now, as a visitor who then logs in; returns them for the
    /// peers to store.
    pub fn seed_sessions(&self, n: usize, first_user: u64) -> Vec<SessionSeed> {
        let engine = self.engine();
        (0..n as u64)
            .map(|i| {
                let visitor = engine
                    .create_session(IP, USER_AGENT)
                    .expect("authkv creates a session");
                let user_id = first_user + i;
                let session = engine
                    .login(visitor.id.expose(), user_id)
                    .expect("authkv logs the visitor in");
                SessionSeed {
                    id: session.id.expose().to_owned(),
                    csrf: session.csrf_token.expose().to_owned(),
                    user_id,
                    at: session.last_activity,
                }
            })
            .collect()
    }

    /// Store the tokens as Sanctum rows, so that the same plaintexts
    /// authenticate everywhere: one transaction per chunk, each chunk
    /// closed by a reopen (a durable commit), as sessions are loaded.
    pub fn import_tokens(&mut self, tokens: &[TokenSeed], chunk: usize) {
        for part in tokens.chunks(chunk) {
            let rows: Vec<SanctumToken> = part
                .iter()
                .map(|t| SanctumToken {
                    id: t.id,
                    user_id: t.user_id,
                    name: "bench".to_owned(),
                    sha256_hex: t.digest_hex.clone(),
                    abilities: vec!["*".to_owned()],
                    created_at: t.at,
                    last_used_at: Some(t.at),
                    expires_at: None,
                })
                .collect();
            self.engine()
                .import_sanctum_tokens(&rows)
                .expect("authkv imports Sanctum rows");
            self.reopen(false);
        }
    }
}

impl Peer for AuthkvPeer {
    fn name(&self) -> &str {
        "authkv"
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(AuthkvWorker {
            engine: self.engine(),
            cookie: String::with_capacity(64),
        })
    }

    fn commits(&self) -> u64 {
        self.engine()
            .stats()
            .expect("authkv reports its counters")
            .write_commits
    }

    fn gc(&self) -> u64 {
        self.engine()
            .gc()
            .expect("authkv collects expired sessions")
            .sessions_deleted
    }

    fn settle(&self) {
        self.engine()
            .flush()
            .expect("authkv flushes pending touches");
    }

    fn housekeeping(&self) {
        self.engine()
            .housekeep()
            .expect("authkv writes touches and collects");
    }
}

/// A thread's handle on the shared engine.
struct AuthkvWorker<'a> {
    engine: &'a Engine,
    /// The `Cookie` header, rebuilt per request without allocating.
    cookie: String,
}

impl Worker for AuthkvWorker<'_> {
    fn session_request(&mut self, id: &str) -> Option<u64> {
        self.cookie.clear();
        self.cookie.push_str("authkv_session=");
        self.cookie.push_str(id);
        let request = Request {
            method: "GET",
            cookie: Some(&self.cookie),
            referer: Some("http://localhost/dashboard"),
            host: Some("localhost"),
            ..Request::default()
        };
        match self.engine.authenticate(&request) {
            Ok(principal) => Some(principal.user_id),
            Err(Error::Guard(_)) => None,
            Err(e) => panic!("authkv failed to authenticate: {e}"),
        }
    }

    fn token_request(&mut self, token: &str) -> Option<u64> {
        self.engine
            .authenticate_token(token)
            .expect("authkv reads the token")
            .map(|t| t.user_id)
    }

    fn login(&mut self, user_id: u64) -> String {
        let visitor = self
            .engine
            .create_session(IP, USER_AGENT)
            .expect("authkv creates a session");
        let session = self
            .engine
            .login(visitor.id.expose(), user_id)
            .expect("authkv logs the visitor in");
        session.id.expose().to_owned()
    }

    fn save(&mut self, id: &str, payload: &[u8]) -> bool {
        match self.engine.save_session(id, payload, None) {
            Ok(_) => true,
            Err(Error::Session(SessionError::NotFound)) => false,
            Err(e) => panic!("authkv failed to save: {e}"),
        }
    }
}
