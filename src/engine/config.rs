//! Engine configuration: lifetimes, limits, token format, the clock and
//! housekeeping.

use std::time::Duration;

use crate::credential::password::PasswordParams;
use crate::engine::clock::Clock;
use crate::error::Error;
use crate::guard::config::GuardConfig;

/// Longest `token_prefix` accepted, in bytes.
const MAX_TOKEN_PREFIX: usize = 32;

/// Largest `gc_batch_size`: a batch is one transaction, and its keys are
/// gathered in memory first.
const MAX_GC_BATCH: usize = 1_000_000;

/// Who else may open the database file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Concurrency {
    /// Any number of processes on this host open the file for reading and
    /// writing (redb's `MultiWriter`): php-fpm and gunicorn workers, Node
    /// cluster, the CLI and cron beside the live application. Caches stay
    /// coherent through the side file `<database>-shm`. Every commit is
    /// durable on its own (`durable_commits = false` is not available and
    /// is ignored). The default.
    #[default]
    MultiProcess,
    /// This process alone (redb's `ExclusiveWriter`): any other process
    /// gets [`crate::OpenError::Locked`]. Faster: reads take no file lock,
    /// and concurrent writers share one fsync (group commit).
    Exclusive,
}

/// When opening makes a new database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Create {
    /// When the file does not exist. An existing empty file is refused as
    /// [`crate::OpenError::Corrupt`]: a database truncated to nothing must
    /// not silently become a new, empty one. The default.
    #[default]
    IfMissing,
    /// When the file does not exist or is empty (made by `mktemp`, say).
    IfMissingOrEmpty,
    /// Never: a missing file is [`crate::OpenError::Missing`].
    Never,
}

/// How an [`crate::Engine`] behaves. `Config::default()` gives Laravel's
/// defaults with authkv's limits.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// A session expires when it has been idle this long (Laravel's
    /// `lifetime`): a read finds it expired once `last_activity < now -
    /// idle`, GC deletes it once `last_activity <= now - idle` (Laravel's
    /// two boundaries, one second apart). Default 120 minutes.
    pub idle_lifetime: Duration,
    /// A session expires this long after creation, however active it is.
    /// Default none.
    pub absolute_lifetime: Option<Duration>,
    /// A read moves `last_activity` only when it is at least this old, and
    /// the move is kept in memory until the next flush. Default 60 s.
    pub touch_interval: Duration,
    /// Largest session payload accepted, in bytes. Default 1 MiB.
    pub max_payload: usize,
    /// User agents are truncated to this many bytes (on a char boundary).
    /// Default 512.
    pub max_user_agent: usize,
    /// Longest ip address accepted, in bytes. Default 45 (an IPv6 text form
    /// with an embedded IPv4 address).
    pub max_ip: usize,
    /// Where "now" comes from. Default the system clock.
    pub clock: Clock,
    /// Rows deleted per GC write transaction. Default 1,000.
    pub gc_batch_size: usize,
    /// When set, a background thread flushes touches and runs GC this often.
    /// Default none (the host calls `flush()` and `gc()`).
    pub background_interval: Option<Duration>,
    /// Bytes of redb page cache. Default 64 MiB.
    pub cache_size: usize,
    /// Full session records (payload included) kept decoded in memory for
    /// [`crate::Engine::load_session`]; 0 turns this cache off. Default
    /// 65,536.
    pub cache_entries: usize,
    /// Sessions, and separately tokens, kept as small summaries (user,
    /// CSRF token, times; about 100 bytes each, no payload) for the request
    /// guard and token authentication, so that a request reads no page and
    /// allocates nothing; 0 turns this cache off. Memory grows only with the
    /// sessions and tokens actually used. Default 1,048,576 each.
    pub auth_cache_entries: usize,
    /// Who else may open the file. Default [`Concurrency::MultiProcess`].
    pub concurrency: Concurrency,
    /// When opening makes a new database. Default [`Create::IfMissing`].
    pub create: Create,
    /// When true (the default) every commit is on disk before the call
    /// returns. False skips the fsync — for bulk loads and tests only: a
    /// crash may lose commits made since the last durable one (the file
    /// stays consistent). Closing the engine makes everything durable.
    /// Only [`Concurrency::Exclusive`] can skip it: with `MultiProcess`
    /// every commit is durable whatever this says.
    pub durable_commits: bool,
    /// Record redb's allocator state in every durable commit (redb's quick
    /// repair), so that opening the file after a crash loads it instead of
    /// walking the whole file to rebuild it: with 1M sessions, about 2 ms
    /// instead of half a second with the file in the OS cache (more from a
    /// cold disk). Default false, because it makes every durable commit
    /// two-phase — a second fsync — which doubled a lone writer's commit
    /// time in the same measurement (`cargo bench --bench footprint`).
    /// [`Concurrency::MultiProcess`] always records it (redb requires it).
    pub quick_repair: bool,
    /// Text put before the random part of every new personal access token
    /// (Sanctum's `token_prefix`), so that secret scanners recognise it.
    /// Printable ASCII without `|` or spaces, at most 32 bytes. Default empty.
    pub token_prefix: String,
    /// A token expires this long after its creation, whatever its own
    /// `expires_at` says (Sanctum's `expiration`). Default none.
    pub token_expiration: Option<Duration>,
    /// Accept legacy Sanctum tokens: 40 characters with no prefix and no
    /// checksum, which cannot be checked before a lookup. Default false.
    pub allow_legacy_tokens: bool,
    /// GC deletes tokens expired for more than this many hours (Sanctum's
    /// `sanctum:prune-expired --hours`). Default 24.
    pub token_prune_hours: u64,
    /// Argon2id costs for new password hashes. Default OWASP's
    /// (m=19456 KiB, t=2, p=1).
    pub argon2: PasswordParams,
    /// Failed logins allowed per (login, ip) within `throttle_window` before
    /// attempts are refused. Default 5.
    pub throttle_max_attempts: u32,
    /// The window opened by the first failed login of a (login, ip); the
    /// count resets when it has passed. Default 60 s.
    pub throttle_window: Duration,
    /// How long a remember-me token stays valid after it was issued or last
    /// rotated. Default 400 days (the longest cookie lifetime browsers keep).
    pub remember_lifetime: Duration,
    /// How the request guard recognises first-party requests and names
    /// and renders its cookies.
    pub guard: GuardConfig,
    /// PostgreSQL backend: most connections an engine opens for its calls
    /// (its change listener has one more of its own). Default 8.
    pub pool_size: usize,
    /// PostgreSQL backend: the longest a connection attempt, a statement,
    /// or a wait for a free connection may take before the call fails with
    /// [`Error::Server`]. Default 5 s.
    pub server_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            idle_lifetime: Duration::from_secs(120 * 60),
            absolute_lifetime: None,
            touch_interval: Duration::from_secs(60),
            max_payload: 1024 * 1024,
            max_user_agent: 512,
            max_ip: 45,
            clock: Clock::System,
            gc_batch_size: 1000,
            background_interval: None,
            cache_size: 64 * 1024 * 1024,
            cache_entries: 65_536,
            auth_cache_entries: 1 << 20,
            concurrency: Concurrency::default(),
            create: Create::default(),
            durable_commits: true,
            quick_repair: false,
            token_prefix: String::new(),
            token_expiration: None,
            allow_legacy_tokens: false,
            token_prune_hours: 24,
            argon2: PasswordParams::OWASP,
            throttle_max_attempts: 5,
            throttle_window: Duration::from_secs(60),
            remember_lifetime: Duration::from_secs(400 * 24 * 60 * 60),
            guard: GuardConfig::default(),
            pool_size: 8,
            server_timeout: Duration::from_secs(5),
        }
    }
}

impl Config {
    /// NIST SP 800-63B-4's limits for AAL2: a session ends 24 hours after
    /// login, or after 1 hour without activity, whichever comes first.
    pub fn nist_aal2() -> Self {
        Self {
            idle_lifetime: Duration::from_secs(60 * 60),
            absolute_lifetime: Some(Duration::from_secs(24 * 60 * 60)),
            ..Self::default()
        }
    }

    /// NIST SP 800-63B-4's limits for AAL3: 12 hours after login, or 15
    /// minutes without activity.
    pub fn nist_aal3() -> Self {
        Self {
            idle_lifetime: Duration::from_secs(15 * 60),
            absolute_lifetime: Some(Duration::from_secs(12 * 60 * 60)),
            ..Self::default()
        }
    }
}

impl Config {
    /// Reject values that would make the engine misbehave.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.idle_lifetime.as_secs() == 0 {
            return Err(Error::InvalidConfig(
                "idle_lifetime must be at least one second".into(),
            ));
        }
        if self.absolute_lifetime.is_some_and(|d| d.as_secs() == 0) {
            return Err(Error::InvalidConfig(
                "absolute_lifetime must be at least one second".into(),
            ));
        }
        if self.gc_batch_size > MAX_GC_BATCH {
            return Err(Error::InvalidConfig(format!(
                "gc_batch_size must be at most {MAX_GC_BATCH}"
            )));
        }
        if self.gc_batch_size == 0 {
            return Err(Error::InvalidConfig(
                "gc_batch_size must be at least 1".into(),
            ));
        }
        if self.background_interval.is_some_and(|d| d.is_zero()) {
            return Err(Error::InvalidConfig(
                "background_interval must not be zero".into(),
            ));
        }
        if self.token_expiration.is_some_and(|d| d.as_secs() == 0) {
            return Err(Error::InvalidConfig(
                "token_expiration must be at least one second".into(),
            ));
        }
        if self.token_prefix.len() > MAX_TOKEN_PREFIX
            || !self
                .token_prefix
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'|')
        {
            return Err(Error::InvalidConfig(format!(
                "token_prefix must be at most {MAX_TOKEN_PREFIX} bytes of printable ASCII \
                 without '|' or spaces"
            )));
        }
        if let Err(e) = self.argon2.to_argon2() {
            return Err(Error::InvalidConfig(format!(
                "argon2 costs m={} t={} p={} refused: {e}",
                self.argon2.m_cost, self.argon2.t_cost, self.argon2.p_cost
            )));
        }
        if self.throttle_max_attempts == 0 {
            return Err(Error::InvalidConfig(
                "throttle_max_attempts must be at least 1".into(),
            ));
        }
        if self.throttle_window.as_secs() == 0 {
            return Err(Error::InvalidConfig(
                "throttle_window must be at least one second".into(),
            ));
        }
        if self.pool_size == 0 {
            return Err(Error::InvalidConfig("pool_size must be at least 1".into()));
        }
        if self.server_timeout.as_millis() == 0 {
            return Err(Error::InvalidConfig(
                "server_timeout must be at least one millisecond".into(),
            ));
        }
        if self.remember_lifetime.as_secs() == 0 {
            return Err(Error::InvalidConfig(
                "remember_lifetime must be at least one second".into(),
            ));
        }
        Ok(())
    }
}
