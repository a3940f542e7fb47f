//! The storage boundary. Every rule about sessions, tokens, credentials,
//! throttles and remember-me lives above it and names no storage type;
//! below it one folder per backend keeps records and their indexes:
//! `redb` (the embedded default, one file) and `postgres` (several hosts on
//! one database server, with the `postgres` feature).
//!
//! A backend hands the rules a consistent view ([`Reads`]) or one
//! transaction ([`Writes`]) in which every change commits together or not
//! at all. Changes to sessions and tokens are reported with
//! `cache::note_changed` so that every engine's caches drop them.

#[cfg(feature = "postgres")]
pub(crate) mod postgres;
pub(crate) mod redb;

use std::ops::ControlFlow;
use std::sync::Arc;

use crate::error::Result;
use crate::record::{CredentialRecord, RememberRecord, SessionRecord, TokenRecord};
use crate::secret::Digest;
use crate::session_auth::SessionAuth;
use crate::throttle::Counter;
use crate::token_auth::TokenAuth;

/// Where an engine keeps its records.
pub(crate) enum Backend {
    /// A redb file, shared with every other engine on it in this process.
    File(Arc<crate::processes::open_files::Store>),
    /// A PostgreSQL database shared by several hosts.
    #[cfg(feature = "postgres")]
    Server(Arc<postgres::Server>),
}

/// A time index the collectors walk, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeIndex {
    /// Sessions by `last_activity`.
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
    /// Delete a session with all its index entries.
    fn remove_session(&self, digest: &Digest, record: &SessionRecord) -> Result<()>;
    /// Replace a session, moving only the index entries whose keys changed.
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
    /// Set a bookkeeping value.
    fn set_meta(&self, key: &str, value: &str) -> Result<()>;
    /// Delete a bookkeeping value.
    fn remove_meta(&self, key: &str) -> Result<()>;
}
