//! The engine: its store (through the storage boundary, whichever backend
//! it is), the hot-path caches that follow the store's change log, the
//! read and write helpers every operation goes through, the counters that
//! let tests prove whether a path wrote, and opening and closing.

pub(crate) mod backup;
pub(crate) mod cache;
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod export;
pub(crate) mod flat_map;
pub(crate) mod gc;
pub(crate) mod housekeeping;
pub(crate) mod import;
pub(crate) mod lease;
pub(crate) mod verify;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::engine::cache::{RecordCache, ShardKey};
use crate::engine::config::{Concurrency, Config, Create};
use crate::engine::lease::Lease;
use crate::error::{Error, OpenError, Result};
use crate::processes::fork::ProcessStamp;
use crate::secret::Digest;
use crate::store::changes::Changed;
use crate::store::coherence::{Follower, Invalidate, View};
use crate::store::counters::Counts;
use crate::store::record::SessionRecord;
use crate::store::shared_memory::Region;
use crate::store::summary::{SessionAuth, TokenAuth};
use crate::store::{Backend, CommitSettings, FileOptions, Reads, Stored, Writes};

/// Counters behind [`Stats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub write_commits: AtomicU64,
    pub shared_commits: AtomicU64,
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
    /// Writes (`write_commits`) that rode in a transaction another caller
    /// led and committed: write combining of concurrent logins, saves and
    /// new sessions.
    pub shared_commits: u64,
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
/// Ordered by key, the order the stores keep them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// Unwritten quota uses of tokens whose shared counts made room for
    /// others; the next flush writes them.
    pub evicted_uses: Mutex<Vec<(u64, Counts)>>,
    /// Whether the store may hold sessions filed under the plain SHA-256
    /// of their id (see `session::legacy_keys`).
    pub legacy_session_keys: AtomicBool,
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
    fn new(backend: Backend, config: Config) -> Result<Arc<Self>> {
        let (cache_entries, auth_cache_entries) = (config.cache_entries, config.auth_cache_entries);
        let follower = Follower::new(backend.region());
        let stamp = backend.stamp();
        let legacy_session_keys = AtomicBool::new(backend.read(Core::stores_legacy_keys)?);
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
            evicted_uses: Mutex::new(Vec::new()),
            legacy_session_keys,
        }))
    }

    /// Current time in unix seconds.
    pub(crate) fn now(&self) -> u64 {
        self.config.clock.now()
    }

    /// Run `f` in one write transaction and commit it; when `f` or the
    /// commit fails nothing is written. Returns once the commit is as
    /// durable as the configuration asks (see the backends).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&dyn Writes) -> Result<T>) -> Result<T> {
        self.stamp.check()?;
        let out = self.backend.write(self.commit_settings(), f)?;
        Counters::add(&self.counters.write_commits, 1);
        Ok(out)
    }

    /// [`Core::write`] for a hot-path change that may share one commit with
    /// concurrent callers' (write combining). `f` may run more than once,
    /// and on another caller's thread, so it must change nothing but the
    /// transaction.
    pub(crate) fn write_combined<T: Send>(
        &self,
        f: impl FnMut(&dyn Writes) -> Result<T> + Send,
    ) -> Result<T> {
        self.stamp.check()?;
        let (out, stored) = self.backend.write_combined(self.commit_settings(), f)?;
        Counters::add(&self.counters.write_commits, 1);
        if stored == Stored::RodeAlong {
            Counters::add(&self.counters.shared_commits, 1);
        }
        Ok(out)
    }

    /// Run `f` on one consistent view of the store.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&dyn Reads) -> Result<T>) -> Result<T> {
        self.stamp.check()?;
        self.backend.read(f)
    }

    /// Run `f`, whose writes (GC batches) need no durability of their own,
    /// then make them durable at once: if the process dies first, what
    /// they deleted is still expired on read.
    pub(crate) fn with_deferred_sync<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.backend.with_deferred_sync(self.commit_settings(), f)
    }

    /// How durable commits are, from the configuration.
    pub(crate) fn commit_settings(&self) -> CommitSettings {
        CommitSettings {
            durable_commits: self.config.durable_commits,
            quick_repair: self.config.quick_repair,
        }
    }

    /// The change log this engine's caches follow.
    pub(crate) fn region(&self) -> &Region {
        self.backend.region()
    }

    /// Whether other processes or hosts may share the store, so that
    /// housekeeping runs under a lease.
    pub(crate) fn shared(&self) -> bool {
        self.backend.shared()
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
        let usable = self.follower.serves(view, &key.record()) && self.backend.trusted();
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
        let options = FileOptions {
            multi_process: config.concurrency == Concurrency::MultiProcess,
            create_missing: config.create != Create::Never,
            create_in_empty: config.create == Create::IfMissingOrEmpty,
            cache_size: config.cache_size,
            settings: CommitSettings {
                durable_commits: config.durable_commits,
                quick_repair: config.quick_repair,
            },
            now: config.clock.now(),
        };
        let backend = Backend::open_file(path.as_ref(), &options)?;
        let core = Core::new(backend, config)?;
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
        let backend = Backend::open_server(url, config.pool_size, config.server_timeout)?;
        let core = Core::new(backend, config)?;
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
            && core.backend.trusted()
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
            durable_syncs: self.core.backend.shared_syncs().unwrap_or_else(|| {
                c.write_commits.load(Ordering::Relaxed) - c.shared_commits.load(Ordering::Relaxed)
            }),
            shared_commits: c.shared_commits.load(Ordering::Relaxed),
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
        core.backend.close(core.commit_settings())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::clock::{Clock, ManualClock};
    use crate::store::coherence::{publish, unfinished_commit};

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
        let group_commit = &core.backend.file().expect("file").group_commit;
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
        engine.core.backend.mark_damaged("found by the test");
        match engine.close() {
            Err(Error::Corrupt { detail, .. }) => {
                assert!(detail.contains("found by the test"), "{detail}");
            }
            other => panic!("close of a damaged file returned {other:?}"),
        }
    }
}
