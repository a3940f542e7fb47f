//! The engine: one redb file, its tables and schema version, the write and
//! read transaction helpers every operation goes through, and the counters
//! that let tests prove whether a path wrote.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use redb::{
    ConcurrencyMode, Database, DatabaseError, Durability, ReadTransaction, ReadableDatabase,
    ReadableTable, StorageError, TableError, TableHandle, WriteTransaction,
};

use crate::cache::{Changed, RecordCache, ShardKey, take_changed};
use crate::config::{Concurrency, Config, Create};
use crate::error::{Error, OpenError, Result};
use crate::group_commit::GroupCommit;
use crate::processes::coherence::{Follower, Invalidate, View, publish, unfinished_commit};
use crate::processes::fork::ProcessStamp;
use crate::processes::lease::Lease;
use crate::processes::open_files::{Store, open_store};
use crate::processes::quiet_panic;
use crate::processes::shared_memory::Region;
use crate::record::SessionRecord;
use crate::secret::Digest;
use crate::session_auth::SessionAuth;
use crate::store::redb::tables::{META, SESSIONS, TABLE_COUNT, TOKENS, create_tables};
use crate::store::{Backend, Reads, Writes};
use crate::token_auth::TokenAuth;

/// Schema version this build writes and reads.
pub const SCHEMA_VERSION: u64 = 2;

thread_local! {
    /// While housekeeping runs on this thread, the ticket of its last
    /// commit (`Some(0)` before the first); `None` otherwise.
    static DEFERRED_SYNC: Cell<Option<u64>> = const { Cell::new(None) };
}

thread_local! {
    /// The last deferred ticket, handed from [`Deferring`]'s drop to the
    /// sync after it.
    static LAST_DEFERRED: Cell<u64> = const { Cell::new(0) };
}

/// Ends a thread's deferred-sync section when dropped, on return or unwind.
struct Deferring;

impl Drop for Deferring {
    fn drop(&mut self) {
        let last = DEFERRED_SYNC.with(|d| d.replace(None)).unwrap_or(0);
        LAST_DEFERRED.with(|l| l.set(last));
    }
}

/// Gives up a writer's place in the group commit when dropped, which only
/// happens when its transaction unwinds; the normal paths `forget` it.
struct InFlight<'a>(&'a GroupCommit);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.abandoned();
    }
}

/// Counters behind [`Stats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub write_commits: AtomicU64,
    pub lookups: AtomicU64,
    pub gc_examined: AtomicU64,
    pub gc_deleted: AtomicU64,
    pub background_errors: AtomicU64,
    pub password_verifications: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// A snapshot of the engine's state and activity since it was opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Session records stored (live or expired but not yet collected).
    pub sessions: u64,
    /// Personal access tokens stored (live or expired but not yet pruned).
    pub tokens: u64,
    /// Write transactions committed by this engine.
    pub write_commits: u64,
    /// Full session records held decoded for [`Engine::load_session`].
    pub cached_records: u64,
    /// Session and token summaries held for the request guard and token
    /// authentication.
    pub cached_summaries: u64,
    /// Durable commits (fsyncs) made to persist them; concurrent writers
    /// share one, so under load this is far below `write_commits`.
    pub durable_syncs: u64,
    /// Touches waiting in memory for the next flush.
    pub touches_pending: u64,
    /// Record lookups made on behalf of callers (reads of a record by key).
    pub lookups: u64,
    /// Records GC read while collecting.
    pub gc_examined: u64,
    /// Records GC deleted: sessions, throttle windows, remember-me tokens
    /// and pruned personal access tokens.
    pub gc_deleted: u64,
    /// Failed background flush or GC runs.
    pub background_errors: u64,
    /// Argon2 password verifications run: exactly one per login attempt that
    /// is not throttled and per password confirmation, also when the login
    /// or user is unknown.
    pub password_verifications: u64,
    /// Stored credentials (one per user).
    pub credentials: u64,
    /// Stored remember-me tokens (one per remembered device).
    pub remember_tokens: u64,
}

/// A record whose last-use time moved in memory and waits for a flush.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Touch {
    /// A session's `last_activity`, by id digest.
    Session(Digest),
    /// A personal access token's `last_used_at`, by token id.
    Token(u64),
}

/// State shared by the engine handle and its background thread.
pub(crate) struct Core {
    /// Where the records are stored.
    pub backend: Backend,
    /// The process that opened the engine.
    pub stamp: ProcessStamp,
    pub config: Config,
    pub counters: Counters,
    /// Last-use times not yet written, of sessions and tokens alike, so one
    /// flush writes them all in one transaction.
    pub touches: Mutex<HashMap<Touch, u64>>,
    /// PHC string an unknown login is verified against, made on first use.
    pub dummy_phc: OnceLock<String>,
    /// Decoded session records, kept coherent by every commit.
    pub sessions_cache: RecordCache<Digest, Arc<SessionRecord>>,
    /// The guard's summaries of sessions, kept coherent by every commit.
    pub session_auth_cache: RecordCache<Digest, SessionAuth>,
    /// What token authentication needs of each token, kept coherent by
    /// every commit.
    pub tokens_cache: RecordCache<u64, TokenAuth>,
    /// How far the caches have followed the file's shared change log.
    pub follower: Follower,
    /// This engine's claim on running housekeeping for every process.
    pub lease: Lease,
}

impl Invalidate for Core {
    fn invalidate(&self, changed: &Changed) {
        match changed {
            Changed::Session(digest) => {
                self.sessions_cache.invalidate(digest);
                self.session_auth_cache.invalidate(digest);
            }
            Changed::Token(id) => self.tokens_cache.invalidate(id),
        }
    }

    fn invalidate_all(&self) {
        self.sessions_cache.clear();
        self.session_auth_cache.clear();
        self.tokens_cache.clear();
    }
}

impl Core {
    /// A core over `backend`, with empty caches following its change log.
    fn new(backend: Backend, stamp: ProcessStamp, config: Config) -> Result<Arc<Self>> {
        let (cache_entries, auth_cache_entries) = (config.cache_entries, config.auth_cache_entries);
        let follower = match &backend {
            Backend::File(store) => Follower::new(&store.region),
            #[cfg(feature = "postgres")]
            Backend::Server(server) => Follower::new(server.region()),
        };
        Ok(Arc::new(Core {
            backend,
            stamp,
            config,
            counters: Counters::default(),
            touches: Mutex::new(HashMap::new()),
            dummy_phc: OnceLock::new(),
            sessions_cache: RecordCache::new(cache_entries),
            session_auth_cache: RecordCache::new(auth_cache_entries),
            tokens_cache: RecordCache::new(auth_cache_entries),
            follower,
            lease: Lease::new()?,
        }))
    }

    /// Current time in unix seconds.
    pub(crate) fn now(&self) -> u64 {
        self.config.clock.now()
    }

    /// Run `f` in one write transaction and commit it; when `f` or the
    /// commit fails nothing is written. With durable commits the call
    /// returns once the commit is on disk, sharing the fsync with concurrent
    /// writers (see `group_commit`); should that fsync fail, the error is
    /// returned although the commit is visible (and will be made durable by
    /// the next successful sync).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&dyn Writes) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::File(_) => self.write_file(|txn| f(txn)),
            #[cfg(feature = "postgres")]
            Backend::Server(server) => {
                self.stamp.check()?;
                let out = self.contain(|| server.write(f))?;
                Counters::add(&self.counters.write_commits, 1);
                Ok(out)
            }
        }
    }

    /// The open redb file, for the work that is about the file itself;
    /// [`Error::Unsupported`] on another backend.
    pub(crate) fn file(&self) -> Result<&Arc<Store>> {
        match &self.backend {
            Backend::File(store) => Ok(store),
            #[cfg(feature = "postgres")]
            Backend::Server(_) => Err(Error::Unsupported(
                "this works on the file of the embedded backend",
            )),
        }
    }

    /// The change log this engine's caches follow.
    pub(crate) fn region(&self) -> &Region {
        match &self.backend {
            Backend::File(store) => &store.region,
            #[cfg(feature = "postgres")]
            Backend::Server(server) => server.region(),
        }
    }

    /// Whether other processes or hosts may share the store, so that
    /// housekeeping runs under a lease.
    pub(crate) fn shared(&self) -> bool {
        match &self.backend {
            Backend::File(store) => store.multi_process,
            #[cfg(feature = "postgres")]
            Backend::Server(_) => true,
        }
    }

    /// [`Core::write`] with the redb transaction itself, for the work that
    /// is about the file (schema, migration).
    pub(crate) fn write_file<T>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T>,
    ) -> Result<T> {
        self.stamp.check()?;
        let store = self.file()?;
        if let Some(damage) = store.damage() {
            return Err(Error::Corrupt {
                table: "(file)",
                detail: format!(
                    "writes stopped, the file is left as found for repair or restore: {damage}"
                ),
            });
        }
        self.contain(|| self.write_contained(store, f))
    }

    fn write_contained<T>(
        &self,
        store: &Store,
        f: impl FnOnce(&WriteTransaction) -> Result<T>,
    ) -> Result<T> {
        if store.multi_process {
            // Other processes share the file: redb refuses non-durable
            // commits, so each transaction is durable on its own.
            let (out, _) = self.commit_one(store, f, Commit::Durable)?;
            Counters::add(&self.counters.write_commits, 1);
            return Ok(out);
        }
        let group_commit = &store.group_commit;
        let durable = self.config.durable_commits;
        let deferring = DEFERRED_SYNC.with(Cell::get).is_some();
        let alone = group_commit.begin() && durable && !deferring;
        // Leaves the writer's place in the group even if `f` panics.
        let in_flight = InFlight(group_commit);
        let committed = self.commit_one(store, f, if alone { Commit::Alone } else { Commit::Lazy });
        std::mem::forget(in_flight);
        let Ok((out, covered)) = committed else {
            group_commit.abandoned();
            return committed.map(|(out, _)| out);
        };
        Counters::add(&self.counters.write_commits, 1);
        if alone {
            group_commit.committed_durably(covered);
            return Ok(out);
        }
        let ticket = group_commit.committed();
        if durable {
            if deferring {
                DEFERRED_SYNC.with(|last| last.set(Some(ticket)));
            } else {
                group_commit.wait_durable(&store.db, self.config.quick_repair, ticket)?;
            }
        }
        Ok(out)
    }

    /// Run `f`, whose writes (GC batches) commit without waiting for an
    /// fsync each, then wait once for a durable commit covering them all.
    /// Batches of housekeeping need no durability of their own: if the
    /// process dies first, what they deleted is still expired on read.
    pub(crate) fn with_deferred_sync<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let store = match &self.backend {
            Backend::File(store) if !store.multi_process => store,
            // Every commit is durable already, or the outer call syncs.
            _ => return f(),
        };
        if DEFERRED_SYNC.with(Cell::get).is_some() {
            return f();
        }
        DEFERRED_SYNC.with(|last| last.set(Some(0)));
        // Ends deferring on this thread even if `f` panics.
        let deferring = Deferring;
        let result = f();
        drop(deferring);
        let last = LAST_DEFERRED.with(|last| last.replace(0));
        if last > 0 {
            store
                .group_commit
                .wait_durable(&store.db, self.config.quick_repair, last)?;
        }
        result
    }

    /// One transaction; returns `f`'s result and, for [`Commit::Alone`],
    /// how many group commits its durable commit covers. The records it
    /// changed are announced to every handle on the file, this engine
    /// included, before the commit (see `processes::coherence`).
    fn commit_one<T>(
        &self,
        store: &Store,
        f: impl FnOnce(&WriteTransaction) -> Result<T>,
        commit: Commit,
    ) -> Result<(T, u64)> {
        let mut txn = store.db.begin_write()?;
        let covered = match commit {
            Commit::Alone => store.group_commit.counted(),
            Commit::Durable | Commit::Lazy => 0,
        };
        match commit {
            Commit::Alone => txn.set_quick_repair(self.config.quick_repair),
            Commit::Lazy => txn
                .set_durability(Durability::None)
                .map_err(|e| Error::Storage(e.into()))?,
            Commit::Durable => {}
        }
        take_changed(); // nothing left over from a transaction that panicked
        let out = match f(&txn) {
            Ok(out) => out,
            Err(e) => {
                take_changed();
                txn.abort()?;
                return Err(e);
            }
        };
        let changed = take_changed();
        let publication = publish(&store.region, &changed);
        let committed = txn.commit();
        // Ending the ticket is what makes this engine, like every other
        // handle on the file, drop the changed records at its next lookup.
        drop(publication);
        committed?;
        Ok((out, covered))
    }

    /// Run `f` on one consistent snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&dyn Reads) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::File(_) => self.read_file(|txn| f(txn)),
            #[cfg(feature = "postgres")]
            Backend::Server(server) => {
                self.stamp.check()?;
                self.contain(|| server.read(f))
            }
        }
    }

    /// [`Core::read`] with the redb transaction itself, for the work that
    /// is about the file (backup, verify).
    pub(crate) fn read_file<T>(&self, f: impl FnOnce(&ReadTransaction) -> Result<T>) -> Result<T> {
        self.stamp.check()?;
        let store = self.file()?;
        self.contain(|| f(&store.db.begin_read()?))
    }

    /// Run `f`, which uses the file: a panic in the storage engine, its
    /// report of corruption, and a record failing its checksum all become
    /// [`Error::Corrupt`] and stop every further write to the file.
    pub(crate) fn contain<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let result = quiet_panic::catch(f).unwrap_or_else(|message| {
            Err(Error::Corrupt {
                table: "(storage)",
                detail: format!("the storage engine failed on the file: {message}"),
            })
        });
        result.map_err(|error| match error {
            Error::Storage(redb::Error::Corrupted(detail)) => {
                self.mark_damaged(&detail);
                Error::Corrupt {
                    table: "(storage)",
                    detail,
                }
            }
            Error::Corrupt { table, detail } => {
                self.mark_damaged(&format!("table {table}: {detail}"));
                Error::Corrupt { table, detail }
            }
            other => other,
        })
    }

    /// Stop writing to a damaged file (see `Store::mark_damaged`).
    fn mark_damaged(&self, what: &str) {
        if let Ok(store) = self.file() {
            store.mark_damaged(what);
        }
    }

    /// Whether the caches may serve at all: on the server backend, only
    /// while its listener holds a live lease.
    #[inline]
    fn caches_trusted(&self) -> bool {
        match &self.backend {
            Backend::File(_) => true,
            #[cfg(feature = "postgres")]
            Backend::Server(server) => server.trusted(),
        }
    }

    /// The record under `key` from `cache`, else read by `load` from a
    /// snapshot and cached — unless a commit on the file (by any process)
    /// is under way or lands meanwhile; see `processes::coherence`.
    pub(crate) fn cached<K: ShardKey, V: Clone>(
        &self,
        cache: &RecordCache<K, V>,
        key: K,
        load: impl FnOnce(&dyn Reads) -> Result<Option<V>>,
    ) -> Result<Option<V>> {
        self.stamp.check()?;
        let region = self.region();
        let view = self.follower.view(region, self);
        let usable = self.follower.serves(view, &key.record()) && self.caches_trusted();
        if usable && let Some(value) = cache.get(&key) {
            return Ok(Some(value));
        }
        let epoch = cache.epoch();
        let value = self.read(load)?;
        if let (true, View::Clean(seen) | View::InFlight(seen), Some(value)) =
            (usable, view, &value)
        {
            cache.fill(key, value.clone(), epoch, || {
                Follower::unchanged(region, seen)
            });
        }
        Ok(value)
    }

    /// Count one record lookup made for a caller.
    pub(crate) fn count_lookup(&self) {
        Counters::add(&self.counters.lookups, 1);
    }

    /// Whether a session with these times has expired at `now`: idle when
    /// `last_activity < now - idle`, absolute when `created_at <= now - absolute`.
    pub(crate) fn session_expired(&self, created_at: u64, last_activity: u64, now: u64) -> bool {
        let idle = self.config.idle_lifetime.as_secs();
        let idle_expired = now
            .checked_sub(idle)
            .is_some_and(|cutoff| last_activity < cutoff);
        let absolute_expired = self.config.absolute_lifetime.is_some_and(|absolute| {
            now.checked_sub(absolute.as_secs())
                .is_some_and(|cutoff| created_at <= cutoff)
        });
        idle_expired || absolute_expired
    }

    /// The pending touch of a session, if any.
    pub(crate) fn pending_touch(&self, digest: &Digest) -> Option<u64> {
        self.touches.lock().get(&Touch::Session(*digest)).copied()
    }
}

/// How [`Core::commit_one`] commits.
#[derive(Clone, Copy)]
enum Commit {
    /// Durable, with the file shared by other processes.
    Durable,
    /// Durable, by a writer alone in the group commit.
    Alone,
    /// Without fsync; the group commit makes it durable.
    Lazy,
}

/// Stops the background thread and waits for it.
struct Background {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: JoinHandle<()>,
}

impl Background {
    fn start(core: Arc<Core>, interval: Duration) -> Result<Self> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("authkv-housekeeping".into())
            .spawn(move || {
                let (stopped, wake) = &*signal;
                loop {
                    {
                        let mut stopped = stopped.lock();
                        if !*stopped {
                            wake.wait_for(&mut stopped, interval);
                        }
                        if *stopped {
                            return;
                        }
                    }
                    if core.housekeep().is_err() {
                        Counters::add(&core.counters.background_errors, 1);
                    }
                }
            })
            .map_err(|e| Error::Open(OpenError::Io(e)))?;
        Ok(Self { stop, thread })
    }

    fn stop(self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock() = true;
        wake.notify_all();
        // A panic in the thread has already been counted as lost work; there
        // is nothing more to report at shutdown.
        let _ = self.thread.join();
    }
}

/// An open authkv database. `Send + Sync`: share it by reference or `Arc`.
///
/// Dropping the engine flushes pending touches; [`Engine::close`] does the
/// same and reports a failure.
pub struct Engine {
    pub(crate) core: Arc<Core>,
    background: Mutex<Option<Background>>,
    /// Set by the first of `close` and `drop`.
    shut_down: AtomicBool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.core.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Open the authkv database at `path`, creating it when it does not exist
    /// (or is an empty file).
    ///
    /// # Errors
    /// [`OpenError::Locked`] when another process or handle has the file open,
    /// [`OpenError::NotRedb`] for a file that is not a redb database,
    /// [`OpenError::NotAuthkv`] for a redb database without authkv's schema,
    /// [`OpenError::SchemaTooNew`] for a file from a newer authkv,
    /// [`OpenError::Io`] when the file cannot be read or created, and
    /// [`Error::InvalidConfig`] for a bad `config`.
    pub fn open(path: impl AsRef<Path>, config: Config) -> Result<Engine> {
        config.validate()?;
        let path = path.as_ref();
        let store = open_store(path, config.concurrency, |path| {
            let db = open_database(path, &config)?;
            let checked = quiet_panic::catch(|| check_schema(&db))
                .unwrap_or_else(|panic| Err(OpenError::Corrupt(panic).into()));
            match checked {
                Ok(()) => Ok(db),
                Err(Error::Storage(redb::Error::Corrupted(detail))) => {
                    std::mem::forget(db); // no close-time write: leave it as found
                    Err(OpenError::Corrupt(detail).into())
                }
                Err(e @ Error::Open(OpenError::Corrupt(_))) => {
                    std::mem::forget(db);
                    Err(e)
                }
                Err(e) => Err(e),
            }
        })?;
        let stamp = store.stamp;
        let core = Core::new(Backend::File(store), stamp, config)?;
        let tables_ready = core.read_file(|txn| Ok(txn.list_tables()?.count() >= TABLE_COUNT))?;
        if !tables_ready {
            // Several processes may create a new file at once: whoever
            // commits first writes the schema record, the others keep it.
            core.write_file(|txn| {
                create_tables(txn)?;
                let mut meta = txn.open_table(META)?;
                if meta.get("schema_version")?.is_none() {
                    meta.insert("schema_version", SCHEMA_VERSION.to_string().as_str())?;
                    meta.insert("created_at", core.now().to_string().as_str())?;
                    meta.insert("engine_version", env!("CARGO_PKG_VERSION"))?;
                }
                Ok(())
            })?;
        } else {
            crate::migrate::migrate(&core)?;
        }
        if unfinished_commit(core.region()) {
            // A commit announced and not ended: its writer is committing now
            // (this engine's follower must not serve before it ends) or died
            // (until some commit repairs that, every process reads past its
            // caches). An empty commit waits for the one and repairs the
            // other (see `processes::coherence`).
            core.write(|_| Ok(()))?;
        }
        Engine::start(core)
    }

    /// Open the authkv tables in the PostgreSQL database at `url` (a
    /// connection string such as `host=/run/postgresql dbname=app` or
    /// `postgresql://user:secret@db.internal/app`), creating or upgrading
    /// them, so that several hosts share one state. Every rule and answer
    /// is the embedded backend's; see README for the coherence guarantee
    /// between hosts.
    ///
    /// # Errors
    /// [`OpenError::Unreachable`] when the server cannot be reached or
    /// refuses the login (the message never repeats the URL, which may hold
    /// a password), [`OpenError::SchemaTooNew`] for tables of a newer
    /// authkv, [`Error::Server`] when creating the tables fails, and
    /// [`Error::InvalidConfig`] for a bad `config`.
    #[cfg(feature = "postgres")]
    pub fn open_postgres(url: &str, config: Config) -> Result<Engine> {
        config.validate()?;
        let server = crate::store::postgres::Server::open(url, &config)?;
        let backend = Backend::Server(Arc::new(server));
        let core = Core::new(backend, ProcessStamp::current(), config)?;
        Engine::start(core)
    }

    /// Start the background thread, if configured, around a ready core.
    fn start(core: Arc<Core>) -> Result<Engine> {
        let background = match core.config.background_interval {
            Some(interval) => Some(Background::start(Arc::clone(&core), interval)?),
            None => None,
        };
        Ok(Engine {
            core,
            background: Mutex::new(background),
            shut_down: AtomicBool::new(false),
        })
    }

    /// Whether this engine was opened by the calling process: false in a
    /// child of `fork()`, where every call fails with [`Error::Forked`].
    pub fn opened_in_this_process(&self) -> bool {
        self.core.stamp.is_current()
    }

    /// The check every cached lookup makes before it trusts its caches (the
    /// fork test and the shared change counter): true when they may serve.
    /// Public for the benches that measure what it costs.
    #[doc(hidden)]
    #[inline]
    pub fn coherence_check(&self) -> bool {
        let core = &self.core;
        core.stamp.is_current()
            && matches!(core.follower.view(core.region(), &**core), View::Clean(_))
            && core.caches_trusted()
    }

    /// The configuration this engine was opened with.
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// Write every pending touch, in transactions of at most
    /// `Config::gc_batch_size` (one fsync for all of them). Returns how many
    /// records were updated.
    ///
    /// # Errors
    /// [`Error::Storage`] when the commit fails; the touches stay pending.
    pub fn flush(&self) -> Result<usize> {
        self.core.flush()
    }

    /// A snapshot of the counters and sizes.
    ///
    /// # Errors
    /// [`Error::Storage`] when the file cannot be read.
    pub fn stats(&self) -> Result<Stats> {
        let counts = self.core.read(|txn| txn.counts())?;
        let c = &self.core.counters;
        Ok(Stats {
            sessions: counts.sessions,
            tokens: counts.tokens,
            write_commits: c.write_commits.load(Ordering::Relaxed),
            durable_syncs: match &self.core.backend {
                Backend::File(store) if !store.multi_process => store.group_commit.syncs(),
                _ => c.write_commits.load(Ordering::Relaxed),
            },
            cached_records: self.core.sessions_cache.len() as u64,
            cached_summaries: (self.core.session_auth_cache.len() + self.core.tokens_cache.len())
                as u64,
            touches_pending: self.core.touches.lock().len() as u64,
            lookups: c.lookups.load(Ordering::Relaxed),
            gc_examined: c.gc_examined.load(Ordering::Relaxed),
            gc_deleted: c.gc_deleted.load(Ordering::Relaxed),
            background_errors: c.background_errors.load(Ordering::Relaxed),
            password_verifications: c.password_verifications.load(Ordering::Relaxed),
            credentials: counts.credentials,
            remember_tokens: counts.remember_tokens,
        })
    }

    /// Stop the background thread and flush pending touches.
    ///
    /// # Errors
    /// [`Error::Storage`] when the final flush fails.
    pub fn close(self) -> Result<()> {
        self.shutdown()
    }

    /// Runs once, from `close` or `drop`, whichever comes first.
    fn shutdown(&self) -> Result<()> {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let core = &self.core;
        if !core.stamp.is_current() {
            // A child of fork(): the file, its locks and the background
            // thread belong to the parent. Leave all of them untouched
            // (dropping redb's handle would release the parent's locks).
            if let Some(background) = self.background.lock().take() {
                std::mem::forget(background);
            }
            std::mem::forget(Arc::clone(core));
            return Ok(());
        }
        if let Some(background) = self.background.lock().take() {
            background.stop();
        }
        core.flush()?;
        if core.shared() {
            core.release_housekeeping_lease()?;
        }
        match &core.backend {
            Backend::File(store) if !core.config.durable_commits && store.damage().is_none() => {
                // An empty durable commit persists every earlier non-durable one.
                core.contain(|| {
                    let mut txn = store.db.begin_write()?;
                    txn.set_quick_repair(core.config.quick_repair);
                    Ok(txn.commit()?)
                })?;
            }
            #[cfg(feature = "postgres")]
            Backend::Server(server) => server.close(),
            _ => {}
        }
        Ok(())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Touches only extend idle sessions; losing them on a failed final
        // flush shortens a session, it never loses a committed write. A
        // thread already unwinding writes nothing, and a panic in the flush
        // must not become a second one.
        if std::thread::panicking() {
            if let Some(background) = self.background.lock().take() {
                background.stop();
            }
            self.shut_down.store(true, Ordering::Release);
            return;
        }
        let _ = catch_unwind(AssertUnwindSafe(|| self.shutdown()));
    }
}

/// redb's magic number, the first bytes of every redb file.
const REDB_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Open or create the redb file, turning each failure into its own variant:
/// a file that starts like redb's (or is cut inside its magic number) but
/// cannot be opened is [`OpenError::Corrupt`], any other is
/// [`OpenError::NotRedb`]. redb may panic on a damaged file; that becomes
/// an error too, and nothing is written to the file.
fn open_database(path: &Path, config: &Config) -> Result<Database> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if config.create == Create::Never {
                return Err(OpenError::Missing.into());
            }
        }
        Err(e) => return Err(OpenError::Io(e).into()),
        Ok(meta) if meta.len() == 0 && config.create != Create::IfMissingOrEmpty => {
            return Err(OpenError::Corrupt(
                "the file is empty (0 bytes); open with Create::IfMissingOrEmpty to make a new \
                 database in it"
                    .into(),
            )
            .into());
        }
        Ok(_) => {}
    }
    let mode = match config.concurrency {
        Concurrency::MultiProcess => ConcurrencyMode::MultiWriter,
        Concurrency::Exclusive => ConcurrencyMode::ExclusiveWriter,
    };
    let opened = quiet_panic::catch(|| {
        Database::builder()
            .set_cache_size(config.cache_size)
            .set_concurrency_mode(mode)
            .create(path)
    });
    let failure = match opened {
        Ok(Ok(db)) => return Ok(db),
        Ok(Err(DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch)) => {
            return Err(OpenError::Locked.into());
        }
        Ok(Err(DatabaseError::Storage(StorageError::Io(e))))
            if e.kind() != std::io::ErrorKind::InvalidData
                && e.kind() != std::io::ErrorKind::UnexpectedEof =>
        {
            return Err(OpenError::Io(e).into());
        }
        Ok(Err(e)) => e.to_string(),
        Err(panic) => format!("the storage engine failed on it: {panic}"),
    };
    Err(damaged_or_foreign(path, failure).into())
}

/// Why a file redb could not open was refused: damaged when it looks like
/// a redb file, foreign otherwise.
fn damaged_or_foreign(path: &Path, failure: String) -> OpenError {
    let mut head = Vec::with_capacity(REDB_MAGIC.len());
    let len = std::fs::File::open(path)
        .and_then(|file| {
            use std::io::Read;
            file.take(REDB_MAGIC.len() as u64).read_to_end(&mut head)
        })
        .ok();
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    match len {
        Some(n) if n == REDB_MAGIC.len() && head == REDB_MAGIC => {
            OpenError::Corrupt(format!("{size} bytes: {failure}"))
        }
        Some(n) if n < REDB_MAGIC.len() && REDB_MAGIC.starts_with(&head) => OpenError::Corrupt(
            format!("truncated to {size} bytes, inside redb's header: {failure}"),
        ),
        _ => OpenError::NotRedb(failure),
    }
}

/// A database with tables must carry authkv's schema record, at a version
/// this build reads; one without any is new (perhaps created by another
/// process a moment ago) and gets authkv's tables.
fn check_schema(db: &Database) -> Result<()> {
    let txn = db.begin_read()?;
    // A file with authkv's tables but no readable schema record is an
    // authkv file that was damaged, not another application's.
    let not_authkv = || -> Result<Error> {
        let ours = txn
            .list_tables()?
            .any(|table| table.name() == SESSIONS.name() || table.name() == TOKENS.name());
        Ok(if ours {
            OpenError::Corrupt("authkv's schema record is damaged or missing".into()).into()
        } else {
            OpenError::NotAuthkv.into()
        })
    };
    let meta = match txn.open_table(META) {
        Ok(meta) => meta,
        Err(TableError::TableDoesNotExist(_)) if txn.list_tables()?.next().is_none() => {
            return Ok(());
        }
        Err(TableError::TableDoesNotExist(_) | TableError::TableTypeMismatch { .. }) => {
            return Err(not_authkv()?);
        }
        Err(e) => return Err(e.into()),
    };
    let version = match meta
        .get("schema_version")?
        .map(|v| v.value().parse::<u64>())
    {
        Some(Ok(version)) => version,
        _ => return Err(not_authkv()?),
    };
    if version > SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew {
            found: version,
            supported: SCHEMA_VERSION,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[test]
    fn a_commit_left_unfinished_by_a_dead_writer_is_repaired_at_the_next_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gap.redb");
        let engine = Engine::open(&path, Config::default()).expect("open");
        let session = engine.create_session("1.2.3.4", "ua").expect("create");
        // A writer announces a commit and dies before ending it.
        std::mem::forget(publish(engine.core.region(), &[Changed::Token(1)]));
        assert!(unfinished_commit(engine.core.region()));
        assert!(!engine.coherence_check(), "caches must be bypassed");
        engine.close().expect("close");
        let engine = Engine::open(&path, Config::default()).expect("reopen");
        assert!(!unfinished_commit(engine.core.region()));
        assert!(engine.coherence_check());
        assert!(
            engine
                .load_session(session.id.expose())
                .expect("load")
                .is_some()
        );
    }

    #[test]
    fn a_write_that_panics_is_corrupt_gives_up_its_place_and_stops_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config {
            clock: Clock::Manual(ManualClock::new(1_700_000_000)),
            concurrency: Concurrency::Exclusive,
            ..Config::default()
        };
        let engine = Engine::open(dir.path().join("p.redb"), config).expect("open");
        let session = engine.create_session("1.2.3.4", "ua").expect("create");
        let core = &engine.core;
        let group_commit = &core.file().expect("file").group_commit;
        let panicked = core.write(|_| -> Result<()> { panic!("inside the transaction") });
        match panicked {
            Err(Error::Corrupt { detail, .. }) => {
                assert!(detail.contains("inside the transaction"), "{detail}");
            }
            other => panic!("a panicking write returned {other:?}"),
        }
        // With the panicked writer no longer in flight, the next one is alone.
        assert!(group_commit.begin(), "a writer is still counted in flight");
        group_commit.abandoned();
        // The file is left as found from now on; reads go on.
        assert!(matches!(
            engine.create_session("1.2.3.4", "ua"),
            Err(Error::Corrupt { .. })
        ));
        assert!(
            engine
                .load_session(session.id.expose())
                .expect("load")
                .is_some()
        );
    }

    #[test]
    fn close_after_damage_reports_the_refused_flush_once_and_never_panics() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(1_700_000_000);
        let config = Config {
            clock: Clock::Manual(clock.clone()),
            ..Config::default()
        };
        let engine = Engine::open(dir.path().join("d.redb"), config).expect("open");
        let session = engine.create_session("1.2.3.4", "ua").expect("create");
        clock.advance(120);
        engine.load_session(session.id.expose()).expect("load"); // a pending touch
        engine.core.mark_damaged("found by the test");
        match engine.close() {
            Err(Error::Corrupt { detail, .. }) => {
                assert!(detail.contains("found by the test"), "{detail}");
            }
            other => panic!("close of a damaged file returned {other:?}"),
        }
    }
}
