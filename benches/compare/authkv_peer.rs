//! authkv through its Rust API: one shared [`Engine`], the request guard for
//! cookie requests, `authenticate_token` for bearer tokens. It also makes
//! the session seeds that the peers are loaded with. With the `postgres`
//! feature the same peer also runs on a PostgreSQL server
//! (`Engine::open_postgres`), loaded through authkv's Laravel imports.

use std::path::{Path, PathBuf};

use authkv::{
    Clock, Config, Engine, Error, LaravelSession, ManualClock, Request, SanctumToken, SessionError,
};

use crate::fixture::{IP, SessionSeed, TokenSeed, USER_AGENT};
use crate::peer::{Peer, Store, Worker};

/// Where the engine keeps its records.
enum Place {
    /// A redb file.
    File(PathBuf),
    /// A PostgreSQL schema (the connection string names it), with a meter
    /// of the server's WAL for *disk/op*.
    #[cfg(feature = "postgres")]
    Server {
        url: String,
        wal: Box<crate::postgres::WalMeter>,
    },
}

/// Rows per import transaction when loading authkv on PostgreSQL.
const IMPORT_CHUNK: usize = 10_000;

/// authkv on one redb file, or on a PostgreSQL schema.
pub struct AuthkvPeer {
    name: &'static str,
    place: Place,
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
            name: "authkv",
            place: Place::File(path.to_owned()),
            clock: clock.clone(),
            gc_batch: None,
            engine: None,
        };
        peer.reopen(durable);
        peer
    }

    /// Open authkv's tables in the schema `url` names (creating them),
    /// with authkv's defaults and the bench's clock; its rows are `name`.
    #[cfg(feature = "postgres")]
    pub fn open_postgres(url: &str, name: &'static str, clock: &ManualClock) -> Self {
        let mut peer = Self {
            name,
            place: Place::Server {
                url: url.to_owned(),
                wal: Box::new(crate::postgres::WalMeter::new(url)),
            },
            clock: clock.clone(),
            gc_batch: None,
            engine: None,
        };
        peer.reopen(true);
        peer
    }

    /// Close and open again, with or without durable commits. Loading runs
    /// without fsync (the engine makes it durable at close); every measured
    /// operation runs with durable commits. On PostgreSQL durability is
    /// the server's (`synchronous_commit` in the connection string).
    pub fn reopen(&mut self, durable: bool) {
        self.close();
        let mut config = Config::default();
        config.clock = Clock::Manual(self.clock.clone());
        if let Some(batch) = self.gc_batch {
            config.gc_batch_size = batch;
        }
        let engine = match &self.place {
            Place::File(path) => {
                // One server process, as the peers run here;
                // `benches/processes.rs` measures the file shared by several.
                config.concurrency = authkv::Concurrency::Exclusive;
                config.durable_commits = durable;
                Engine::open(path, config).expect("authkv opens its file")
            }
            #[cfg(feature = "postgres")]
            Place::Server { url, .. } => {
                Engine::open_postgres(url, config).expect("authkv opens its PostgreSQL tables")
            }
        };
        self.engine = Some(engine);
    }

    /// Close the engine (until the next reopen).
    pub fn close(&mut self) {
        if let Some(engine) = self.engine.take() {
            engine.close().expect("authkv closes and persists");
        }
    }

    fn path(&self) -> &Path {
        match &self.place {
            Place::File(path) => path,
            #[cfg(feature = "postgres")]
            Place::Server { .. } => panic!("authkv on PostgreSQL has no file"),
        }
    }

    /// Copy the file to `to` (closing and reopening the engine first, so
    /// that the copy is a cleanly closed database).
    pub fn copy_file(&mut self, to: &Path) {
        self.reopen(true);
        std::fs::copy(self.path(), to).expect("the redb file copies");
    }

    /// Open `path` with durable commits and GC batches of `batch` sessions.
    pub fn open_with_gc_batch(path: &Path, clock: &ManualClock, batch: usize) -> Self {
        let mut peer = Self {
            name: "authkv",
            place: Place::File(path.to_owned()),
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
            self.engine()
                .import_sanctum_tokens(&sanctum_rows(part))
                .expect("authkv imports Sanctum rows");
            self.reopen(false);
        }
    }
}

/// The sessions authkv made, as rows of Laravel's table for
/// `import_sessions` (same ids, users and times; authkv's payload is empty).
fn laravel_rows(seeds: &[SessionSeed]) -> Vec<LaravelSession> {
    seeds
        .iter()
        .map(|s| LaravelSession {
            id: s.id.clone(),
            user_id: Some(s.user_id),
            ip: IP.to_owned(),
            user_agent: USER_AGENT.to_owned(),
            payload: Vec::new(),
            last_activity: s.at,
        })
        .collect()
}

/// Sanctum rows of the tokens, so that the same plaintexts authenticate.
fn sanctum_rows(tokens: &[TokenSeed]) -> Vec<SanctumToken> {
    tokens
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
        .collect()
}

/// Loading a copy of what another authkv made (authkv on PostgreSQL):
/// authkv's own imports of Laravel's rows, a transaction per
/// [`IMPORT_CHUNK`] rows.
impl Store for AuthkvPeer {
    fn load_sessions(&self, seeds: &[SessionSeed]) {
        for part in seeds.chunks(IMPORT_CHUNK) {
            self.engine()
                .import_sessions(&laravel_rows(part))
                .expect("authkv imports sessions");
        }
    }

    fn load_tokens(&self, tokens: &[TokenSeed]) {
        for part in tokens.chunks(IMPORT_CHUNK) {
            self.engine()
                .import_sanctum_tokens(&sanctum_rows(part))
                .expect("authkv imports Sanctum rows");
        }
    }

    fn settle_load(&self) {
        #[cfg(feature = "postgres")]
        if let Place::Server { url, .. } = &self.place {
            crate::postgres::vacuum(url, &["authkv_sessions", "authkv_tokens"]);
        }
    }
}

impl Peer for AuthkvPeer {
    fn name(&self) -> &str {
        self.name
    }

    fn bytes_written(&self) -> Option<u64> {
        match &self.place {
            Place::File(_) => crate::peer::handed_to_writes(),
            #[cfg(feature = "postgres")]
            Place::Server { wal, .. } => wal.bytes(),
        }
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
