//! The storage boundary. Every rule about sessions, tokens, credentials,
//! throttles and remember-me lives above it and names no storage type;
//! below it one folder per backend keeps records and their indexes:
//! `redb` (the embedded default, one file) and `postgres` (several hosts on
//! one database server, with the `postgres` feature).
//!
//! A backend hands the rules a consistent view ([`Reads`]) or one
//! transaction ([`Writes`]) in which every change commits together or not
//! at all. Changes to sessions and tokens are reported with
//! `changes::note_changed` so that every engine's caches drop them.

pub(crate) mod changes;
pub(crate) mod coherence;
pub(crate) mod counters;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
pub(crate) mod record;
pub(crate) mod redb;
pub(crate) mod shared_memory;
pub(crate) mod summary;
pub(crate) mod verify_report;
mod verify_rows;

use std::ops::ControlFlow;
use std::sync::Arc;

#[cfg(feature = "postgres")]
use crate::error::Error;
use crate::error::Result;
use crate::processes::fork::ProcessStamp;
#[cfg(feature = "postgres")]
use crate::processes::quiet_panic::contained;
use crate::secret::Digest;
use crate::store::record::{
    CredentialRecord, LimitsRecord, RememberRecord, SessionRecord, TokenRecord,
};
use crate::store::redb::open_files::Store;
use crate::store::shared_memory::Region;
use crate::store::summary::Counter;
use crate::store::summary::SessionAuth;
use crate::store::summary::TokenAuth;
use crate::store::verify_report::VerifyReport;

/// The engine's choices about durability.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CommitSettings {
    /// Every commit on disk before the call returns.
    pub durable_commits: bool,
    /// Record redb's allocator state in each durable commit.
    pub quick_repair: bool,
}

/// How to open a file of the embedded backend.
pub(crate) struct FileOptions {
    /// Other processes may open it too (redb's `MultiWriter`).
    pub multi_process: bool,
    /// Create the file when it does not exist.
    pub create_missing: bool,
    /// Make a new database in an existing empty file.
    pub create_in_empty: bool,
    /// redb's page cache, in bytes.
    pub cache_size: usize,
    /// How commits are made durable.
    pub settings: CommitSettings,
    /// Unix seconds now, recorded in a new file.
    pub now: u64,
}

/// Where an engine keeps its records.
pub(crate) enum Backend {
    /// A redb file, shared with every other engine on it in this process.
    File(Arc<Store>),
    /// A PostgreSQL database shared by several hosts.
    #[cfg(feature = "postgres")]
    Server(Arc<postgres::Server>),
}

impl Backend {
    /// The redb file at `path` (shared with every engine on it in this
    /// process), ready for records.
    pub(crate) fn open_file(path: &std::path::Path, options: &FileOptions) -> Result<Backend> {
        Ok(Backend::File(redb::open::open_file(path, options)?))
    }

    /// authkv's tables in the PostgreSQL database at `url`.
    #[cfg(feature = "postgres")]
    pub(crate) fn open_server(
        url: &str,
        pool_size: usize,
        timeout: std::time::Duration,
    ) -> Result<Backend> {
        Ok(Backend::Server(Arc::new(postgres::Server::open(
            url, pool_size, timeout,
        )?)))
    }

    /// The process that opened the store (a file is shared by every
    /// engine on it in this process).
    pub(crate) fn stamp(&self) -> ProcessStamp {
        match self {
            Backend::File(store) => store.stamp,
            #[cfg(feature = "postgres")]
            Backend::Server(_) => ProcessStamp::current(),
        }
    }

    /// Run `f` in one write transaction and commit it, durably as
    /// `settings` say; nothing is stored when `f` or the commit fails.
    pub(crate) fn write<T>(
        &self,
        settings: CommitSettings,
        f: impl FnOnce(&dyn Writes) -> Result<T>,
    ) -> Result<T> {
        match self {
            Backend::File(store) => store.write(settings, |txn| f(txn)),
            #[cfg(feature = "postgres")]
            Backend::Server(server) => contained(|| server.write(f)),
        }
    }

    /// [`Backend::write`] for a change that may share its transaction and
    /// commit with concurrent callers' (the file's write combining; a
    /// server combines commits itself). `f` may run more than once, and on
    /// another caller's thread: it must change nothing but the transaction.
    pub(crate) fn write_combined<T: Send>(
        &self,
        settings: CommitSettings,
        mut f: impl FnMut(&dyn Writes) -> Result<T> + Send,
    ) -> Result<(T, Stored)> {
        match self {
            Backend::File(store) => store.write_combined(settings, |txn| f(txn)),
            #[cfg(feature = "postgres")]
            Backend::Server(server) => contained(|| server.write(f)).map(|out| (out, Stored::Led)),
        }
    }

    /// Run `f` on a consistent view.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&dyn Reads) -> Result<T>) -> Result<T> {
        match self {
            Backend::File(store) => store.read(|txn| f(txn)),
            #[cfg(feature = "postgres")]
            Backend::Server(server) => contained(|| server.read(f)),
        }
    }

    /// Run `f`, a run of housekeeping commits, with one durable sync at
    /// the end where the backend can defer them.
    pub(crate) fn with_deferred_sync<T>(
        &self,
        settings: CommitSettings,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        match self {
            Backend::File(store) => store.with_deferred_sync(settings, f),
            #[cfg(feature = "postgres")]
            Backend::Server(_) => f(),
        }
    }

    /// The change log the caches follow.
    pub(crate) fn region(&self) -> &Region {
        match self {
            Backend::File(store) => &store.region,
            #[cfg(feature = "postgres")]
            Backend::Server(server) => server.region(),
        }
    }

    /// Whether the caches may serve at all: on PostgreSQL only while the
    /// listener holds a live lease.
    #[inline]
    pub(crate) fn trusted(&self) -> bool {
        match self {
            Backend::File(_) => true,
            #[cfg(feature = "postgres")]
            Backend::Server(server) => server.trusted(),
        }
    }

    /// Whether other processes or hosts share the store, so that
    /// housekeeping runs under a lease.
    pub(crate) fn shared(&self) -> bool {
        match self {
            Backend::File(store) => store.multi_process,
            #[cfg(feature = "postgres")]
            Backend::Server(_) => true,
        }
    }

    /// Durable syncs made, where group commit shares them among commits:
    /// `None` when each commit is one (write combining then counted apart).
    pub(crate) fn shared_syncs(&self) -> Option<u64> {
        match self {
            Backend::File(store) if !store.multi_process => {
                Some(store.group_commit.syncs() + store.combiner.durable_commits())
            }
            _ => None,
        }
    }

    /// The redb file, for what is about the file itself (backup, compact,
    /// its consistency check); [`Error::Unsupported`] on PostgreSQL.
    pub(crate) fn file(&self) -> Result<&Arc<Store>> {
        match self {
            Backend::File(store) => Ok(store),
            #[cfg(feature = "postgres")]
            Backend::Server(_) => Err(Error::Unsupported(
                "this works on the file of the embedded backend",
            )),
        }
    }

    /// Make everything durable and let go (at close).
    pub(crate) fn close(&self, settings: CommitSettings) -> Result<()> {
        match self {
            Backend::File(store) => store.sync(settings),
            #[cfg(feature = "postgres")]
            Backend::Server(server) => {
                server.close();
                Ok(())
            }
        }
    }

    /// Check that the store is intact (see `Engine::verify`).
    pub(crate) fn verify(&self) -> Result<VerifyReport> {
        match self {
            Backend::File(store) => store.read(|txn| Ok(redb::verify::verify_file(txn))),
            #[cfg(feature = "postgres")]
            Backend::Server(server) => contained(|| server.read(verify_rows::verify_rows)),
        }
    }

    /// Stop writing to a damaged file.
    #[cfg(test)]
    pub(crate) fn mark_damaged(&self, what: &str) {
        if let Backend::File(store) = self {
            store.mark_damaged(what);
        }
    }
}

/// How a combined write was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stored {
    /// In a commit of its own, or one it led.
    Led,
    /// In the commit another caller led (write combining).
    RodeAlong,
}

/// A time index the collectors walk, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeIndex {
    /// Sessions by `last_activity`, filed lazily: a backend may leave a
    /// session's row at the time it was filed while saves and touches move
    /// `last_activity` on, so that those writes leave the index alone, and
    /// may leave the row of a deleted session behind. GC then meets a row
    /// at or before the session's activity (and refiles it if the session
    /// lives on) or one whose record is gone (and drops it).
    SessionActivity,
    /// Sessions by `created_at`.
    SessionCreated,
    /// Tokens with an `expires_at`, by it.
    TokenExpiry,
    /// Tokens by `created_at`.
    TokenCreated,
    /// Throttle counters by the start of their window.
    ThrottleWindow,
    /// Remember-me tokens by `expires_at`.
    RememberExpiry,
}

impl TimeIndex {
    /// Whether a session's row at `time` in this index fits its record:
    /// the creation row at its `created_at`, the activity row (filed
    /// lazily) at or before its `last_activity`. No other index files
    /// sessions.
    pub(crate) fn fits_session(self, time: u64, record: &SessionRecord) -> bool {
        match self {
            TimeIndex::SessionActivity => time <= record.last_activity,
            TimeIndex::SessionCreated => time == record.created_at,
            _ => false,
        }
    }
}

/// The record a time index row points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowKey {
    /// Sessions, throttle counters and remember-me tokens: a SHA-256.
    Digest(Digest),
    /// Tokens: their id.
    Id(u64),
}

/// How many records of each kind are stored.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    pub sessions: u64,
    pub tokens: u64,
    pub credentials: u64,
    pub remember_tokens: u64,
}

/// Whether a walk over stored records goes on.
pub(crate) type Flow = ControlFlow<()>;

/// What a walk calls with each record.
pub(crate) type Visit<'a, T> = dyn FnMut(T) -> Result<Flow> + 'a;

/// Reads from one consistent view of the store.
pub(crate) trait Reads {
    /// The session whose id hashes to `digest`.
    fn session(&self, digest: &Digest) -> Result<Option<SessionRecord>>;
    /// What the request guard needs of that session.
    fn session_auth(&self, digest: &Digest) -> Result<Option<SessionAuth>>;
    /// The digests of `user_id`'s sessions.
    fn user_session_digests(&self, user_id: u64) -> Result<Vec<Digest>>;
    /// The token with this id.
    fn token(&self, id: u64) -> Result<Option<TokenRecord>>;
    /// What token authentication needs of that token.
    fn token_auth(&self, id: u64) -> Result<Option<TokenAuth>>;
    /// The rate limit and quota of token `id`, when it has them.
    fn token_limits(&self, id: u64) -> Result<Option<LimitsRecord>>;
    /// The id of the token whose secret hashes to `digest`.
    fn token_id(&self, digest: &Digest) -> Result<Option<u64>>;
    /// The ids of `user_id`'s tokens, oldest first.
    fn user_token_ids(&self, user_id: u64) -> Result<Vec<u64>>;
    /// The highest token id ever handed out or imported (0 when none).
    fn last_token_id(&self) -> Result<u64>;
    /// The credential of `login`.
    fn credential(&self, login: &str) -> Result<Option<CredentialRecord>>;
    /// The login of `user_id`'s credential.
    fn login_of(&self, user_id: u64) -> Result<Option<String>>;
    /// The login throttle counter under `key`.
    fn throttle(&self, key: &Digest) -> Result<Option<Counter>>;
    /// The remember-me token whose selector hashes to `selector`.
    fn remember(&self, selector: &Digest) -> Result<Option<RememberRecord>>;
    /// The selector digests of `user_id`'s remember-me tokens.
    fn user_remember_selectors(&self, user_id: u64) -> Result<Vec<Digest>>;
    /// Up to `limit` rows of `index` at or before `upper`, oldest first.
    fn due(&self, index: TimeIndex, upper: u64, limit: usize) -> Result<Vec<(u64, RowKey)>>;
    /// [`Reads::due`] for a session index, each row with its record (`None`
    /// for an index row whose record is gone).
    fn due_sessions(
        &self,
        index: TimeIndex,
        upper: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Digest, Option<SessionRecord>)>>;
    /// A value of the store's own bookkeeping (schema version, leases).
    fn meta(&self, key: &str) -> Result<Option<String>>;
    /// How many records of each kind are stored.
    fn counts(&self) -> Result<Counts>;
    /// Call `each` with every session, in digest order, until it breaks.
    fn each_session(&self, each: &mut Visit<'_, (Digest, SessionRecord)>) -> Result<Flow>;
    /// Call `each` with every token, in id order, until it breaks.
    fn each_token(&self, each: &mut Visit<'_, (u64, TokenRecord)>) -> Result<Flow>;
    /// Call `each` with every user's login, by user id, until it breaks.
    fn each_login(&self, each: &mut Visit<'_, (u64, String)>) -> Result<Flow>;
}

/// One write transaction: reads see its own writes, and nothing is stored
/// unless it commits.
pub(crate) trait Writes: Reads {
    /// Store a new session with all its index entries.
    fn insert_session(&self, digest: &Digest, record: &SessionRecord) -> Result<()>;
    /// Delete a session with its index entries (its activity row may stay
    /// for GC to drop, see [`TimeIndex::SessionActivity`]).
    fn remove_session(&self, digest: &Digest, record: &SessionRecord) -> Result<()>;
    /// [`Writes::remove_session`] for many sessions (GC's batches).
    fn remove_sessions(&self, doomed: &[(Digest, SessionRecord)]) -> Result<()>;
    /// Replace a session, moving only the index entries whose keys changed
    /// (its activity row may stay where it was filed).
    fn replace_session(
        &self,
        digest: &Digest,
        old: &SessionRecord,
        new: &SessionRecord,
    ) -> Result<()>;
    /// Store a new token with all its index entries.
    fn insert_token(&self, id: u64, record: &TokenRecord) -> Result<()>;
    /// Delete a token with all its index entries.
    fn remove_token(&self, id: u64, record: &TokenRecord) -> Result<()>;
    /// Record a token's last use (in no index).
    fn set_token_last_used(&self, id: u64, record: &TokenRecord) -> Result<()>;
    /// Store token `id`'s limits (`None` removes them). Removing the token
    /// removes them too.
    fn put_token_limits(&self, id: u64, limits: Option<&LimitsRecord>) -> Result<()>;
    /// Move sessions' `last_activity` and tokens' `last_used_at` forward to
    /// the times given (never back; records gone meanwhile are skipped).
    /// Returns how many records moved.
    fn touch(&self, sessions: &[(Digest, u64)], tokens: &[(u64, u64)]) -> Result<usize>;
    /// Record `id` as handed out, so that it is never issued again.
    fn raise_last_token_id(&self, id: u64) -> Result<()>;
    /// Store (or overwrite) `login`'s credential and its user entry.
    fn put_credential(&self, login: &str, record: &CredentialRecord) -> Result<()>;
    /// Delete the credential of `login` (its user entry is left to the
    /// caller's next `put_credential`).
    fn remove_credential(&self, login: &str) -> Result<()>;
    /// Store a throttle counter, replacing `old`.
    fn put_throttle(&self, key: &Digest, old: Option<Counter>, new: Counter) -> Result<()>;
    /// Delete a throttle counter.
    fn remove_throttle(&self, key: &Digest, old: Counter) -> Result<()>;
    /// Store a new remember-me token with its index entries.
    fn insert_remember(&self, selector: &Digest, record: &RememberRecord) -> Result<()>;
    /// Delete a remember-me token with its index entries.
    fn remove_remember(&self, selector: &Digest, record: &RememberRecord) -> Result<()>;
    /// Drop one index row that no longer matches its record, so that a walk
    /// of the index moves past it (a backend whose indexes cannot go stale
    /// does nothing).
    fn unindex(&self, index: TimeIndex, time: u64, key: RowKey) -> Result<()>;
    /// Drop every activity row at or before `through` (the rows a GC batch
    /// has just walked, all at once rather than one leaf rewrite a row) and
    /// file each of the `alive` sessions' rows at its activity now (a
    /// backend whose index follows its rows does nothing).
    fn refile_activity(&self, through: (u64, Digest), alive: &[(Digest, u64)]) -> Result<()>;
    /// Set a bookkeeping value.
    fn set_meta(&self, key: &str, value: &str) -> Result<()>;
    /// Delete a bookkeeping value.
    fn remove_meta(&self, key: &str) -> Result<()>;
}
