//! Errors: one enum per area (opening, sessions, tokens, credentials) and the superset [`Error`]
//! that every public operation returns. Messages name what was wrong and with
//! which input, and never contain a secret.

use std::fmt;

/// Why [`crate::Engine::open`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// Another process holds the file for itself alone
    /// ([`crate::Concurrency::Exclusive`]), or this open asks for that while
    /// others have it open, or the modes of the two differ.
    Locked,
    /// The file exists but is not a redb database (or is damaged beyond repair).
    NotRedb(String),
    /// The file is a redb database that authkv did not create.
    NotAuthkv,
    /// The file was written by a newer authkv schema than this build understands.
    SchemaTooNew {
        /// Schema version recorded in the file.
        found: u64,
        /// Newest schema version this build reads.
        supported: u64,
    },
    /// The file could not be read or created.
    Io(std::io::Error),
    /// The file is a damaged or truncated database (or empty, and the
    /// caller did not ask to create one in an empty file). Nothing was
    /// written to it.
    Corrupt(String),
    /// The file does not exist, and `Config::create` is `Create::Never`.
    Missing,
    /// The database server could not be reached or refused the connection
    /// (PostgreSQL backend).
    Unreachable(String),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Locked => f.write_str(
                "database is locked: another process holds it exclusively, or opened it in \
                 another concurrency mode",
            ),
            OpenError::NotRedb(detail) => write!(f, "not a redb database file: {detail}"),
            OpenError::NotAuthkv => {
                f.write_str("redb database has no authkv schema record: not an authkv file")
            }
            OpenError::SchemaTooNew { found, supported } => write!(
                f,
                "database schema version {found} is newer than this build supports ({supported})"
            ),
            OpenError::Io(e) => write!(f, "cannot open database file: {e}"),
            OpenError::Corrupt(reason) => {
                write!(f, "database file is damaged, left untouched: {reason}")
            }
            OpenError::Missing => f.write_str("database file does not exist"),
            OpenError::Unreachable(detail) => {
                write!(f, "cannot reach the database server: {detail}")
            }
        }
    }
}

/// Why a session operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// No live session has this id (unknown, malformed, expired or destroyed).
    NotFound,
    /// No session has this public handle.
    UnknownHandle,
    /// A handle is not 64 hex characters.
    MalformedHandle,
    /// The session changed since the caller read it.
    Conflict {
        /// The version the caller expected.
        expected: u64,
        /// The version stored now.
        actual: u64,
    },
    /// A payload is larger than `Config::max_payload`.
    PayloadTooLarge {
        /// Bytes offered.
        len: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// An ip address is longer than `Config::max_ip`.
    IpTooLong {
        /// Bytes offered.
        len: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// An imported session id is not 40 characters of `[A-Za-z0-9]`.
    MalformedId,
    /// An imported session id is already stored (or given twice).
    DuplicateId,
    /// An imported session's `last_activity` lies in the future: kept, it
    /// would never expire.
    FromTheFuture {
        /// The row's time, unix seconds.
        at: u64,
        /// The engine's time, unix seconds.
        now: u64,
    },
    /// The session has no logged-in user (a password confirmation needs
    /// one).
    NotLoggedIn,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::NotFound => {
                f.write_str("session not found (unknown, expired or destroyed)")
            }
            SessionError::UnknownHandle => f.write_str("no session has this handle"),
            SessionError::NotLoggedIn => f.write_str("the session has no logged-in user"),
            SessionError::MalformedHandle => {
                f.write_str("session handle must be 64 hex characters")
            }
            SessionError::Conflict { expected, actual } => write!(
                f,
                "session version conflict: expected version {expected}, stored version is {actual}"
            ),
            SessionError::PayloadTooLarge { len, max } => {
                write!(
                    f,
                    "session payload of {len} bytes exceeds the limit of {max} bytes"
                )
            }
            SessionError::IpTooLong { len, max } => {
                write!(
                    f,
                    "ip address of {len} bytes exceeds the limit of {max} bytes"
                )
            }
            SessionError::MalformedId => {
                f.write_str("session id must be 40 characters of [A-Za-z0-9]")
            }
            SessionError::DuplicateId => {
                f.write_str("a session with this id is already stored or given twice")
            }
            SessionError::FromTheFuture { at, now } => write!(
                f,
                "last_activity {at} is in the future (now is {now}): the session would never expire"
            ),
        }
    }
}

/// One row a batch import refused, by its position in the slice given.
#[derive(Debug)]
#[non_exhaustive]
pub struct RejectedRow {
    /// Position of the row in the slice passed to the import (0-based).
    pub index: usize,
    /// Why it was refused: a [`SessionError`] or [`TokenError`].
    pub error: Error,
}

/// Why a personal access token operation was refused. Messages name the
/// token id or the offending field, never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// A token name is empty.
    EmptyName,
    /// An imported token's `created_at` or `last_used_at` lies in the future:
    /// kept, the global expiration would never apply to it.
    FromTheFuture {
        /// The token id.
        id: u64,
        /// The row's time, unix seconds.
        at: u64,
        /// The engine's time, unix seconds.
        now: u64,
    },
    /// A token name is longer than allowed.
    NameTooLong {
        /// Bytes offered.
        len: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// More abilities than allowed.
    TooManyAbilities {
        /// Abilities offered.
        count: usize,
        /// Abilities allowed.
        max: usize,
    },
    /// An ability is the empty string.
    EmptyAbility {
        /// Position of the ability in the list given.
        index: usize,
    },
    /// An ability is longer than allowed.
    AbilityTooLong {
        /// Position of the ability in the list given.
        index: usize,
        /// Bytes offered.
        len: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// Token id 0 was given: ids start at 1.
    ZeroId,
    /// A token with this id is already stored.
    DuplicateId {
        /// The id offered.
        id: u64,
    },
    /// Another stored token already has this secret's digest.
    DuplicateDigest {
        /// The id offered.
        id: u64,
        /// The stored token that holds the digest.
        existing: u64,
    },
    /// An imported digest is not 64 hex characters.
    MalformedDigest {
        /// The id offered.
        id: u64,
    },
    /// Every token id up to `u64::MAX` has been used.
    IdsExhausted,
    /// A rate limit or quota is out of range (a zero maximum, a window or
    /// refill interval under a second or not in whole seconds).
    InvalidLimits {
        /// What is wrong.
        reason: &'static str,
    },
    /// No such token (when setting its limits).
    UnknownToken {
        /// The id given.
        id: u64,
    },
    /// The token used up its rate limit for the current window (HTTP 429).
    RateLimited {
        /// Seconds until the window ends and requests are admitted again.
        retry_after: u64,
    },
    /// The token used up its quota (HTTP 429).
    QuotaExhausted {
        /// Seconds until the quota refills; `None` when it never does.
        retry_after: Option<u64>,
    },
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::EmptyName => f.write_str("token name must not be empty"),
            TokenError::NameTooLong { len, max } => {
                write!(
                    f,
                    "token name of {len} bytes exceeds the limit of {max} bytes"
                )
            }
            TokenError::TooManyAbilities { count, max } => {
                write!(f, "{count} token abilities exceed the limit of {max}")
            }
            TokenError::EmptyAbility { index } => {
                write!(f, "token ability at position {index} is empty")
            }
            TokenError::AbilityTooLong { index, len, max } => write!(
                f,
                "token ability at position {index} is {len} bytes, over the limit of {max} bytes"
            ),
            TokenError::ZeroId => f.write_str("token id 0 is not allowed: ids start at 1"),
            TokenError::DuplicateId { id } => write!(f, "token id {id} already exists"),
            TokenError::DuplicateDigest { id, existing } => write!(
                f,
                "token id {id}: the same secret is already stored as token id {existing}"
            ),
            TokenError::MalformedDigest { id } => {
                write!(
                    f,
                    "token id {id}: digest must be 64 hex characters (sha256)"
                )
            }
            TokenError::IdsExhausted => f.write_str("no token id is left below 2^64"),
            TokenError::InvalidLimits { reason } => write!(f, "invalid token limits: {reason}"),
            TokenError::UnknownToken { id } => write!(f, "no token with id {id}"),
            TokenError::RateLimited { retry_after } => write!(
                f,
                "too many requests with this token; retry in {retry_after} s"
            ),
            TokenError::QuotaExhausted {
                retry_after: Some(after),
            } => write!(f, "this token's quota is used up; it refills in {after} s"),
            TokenError::QuotaExhausted { retry_after: None } => {
                f.write_str("this token's quota is used up")
            }
            TokenError::FromTheFuture { id, at, now } => write!(
                f,
                "token id {id}: time {at} is in the future (now is {now})"
            ),
        }
    }
}

/// Why a credential operation was refused. Messages name the login where
/// it helps, never a password or a stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialError {
    /// The login is empty.
    EmptyLogin,
    /// The login is longer than [`crate::MAX_LOGIN_LEN`] bytes.
    LoginTooLong {
        /// Bytes offered.
        len: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// The password is empty.
    EmptyPassword,
    /// The password is longer than [`crate::MAX_PASSWORD_LEN`] bytes.
    PasswordTooLong {
        /// Bytes offered.
        len: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// An ip address is longer than `Config::max_ip`.
    IpTooLong {
        /// Bytes offered.
        len: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// Another user already holds this login.
    LoginTaken {
        /// The login asked for.
        login: String,
    },
    /// The user has no password set.
    NoCredential {
        /// The user asked for.
        user_id: u64,
    },
    /// Argon2 could not hash (for example, it could not allocate its memory).
    Hashing(String),
}

impl fmt::Display for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialError::EmptyLogin => f.write_str("login must not be empty"),
            CredentialError::LoginTooLong { len, max } => {
                write!(f, "login of {len} bytes exceeds the limit of {max} bytes")
            }
            CredentialError::EmptyPassword => f.write_str("password must not be empty"),
            CredentialError::PasswordTooLong { len, max } => {
                write!(
                    f,
                    "password of {len} bytes exceeds the limit of {max} bytes"
                )
            }
            CredentialError::IpTooLong { len, max } => {
                write!(
                    f,
                    "ip address of {len} bytes exceeds the limit of {max} bytes"
                )
            }
            CredentialError::LoginTaken { login } => {
                write!(f, "login {login:?} is already taken by another user")
            }
            CredentialError::NoCredential { user_id } => {
                write!(f, "user {user_id} has no password set")
            }
            CredentialError::Hashing(e) => write!(f, "password hashing failed: {e}"),
        }
    }
}

/// Rejected rows an [`Error::ImportRejected`] message names; the rest are
/// counted (every row stays in the error's list).
const REJECTED_ROWS_SHOWN: usize = 5;

/// Every error an authkv operation can return.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Opening the database failed.
    Open(OpenError),
    /// A session operation was refused.
    Session(SessionError),
    /// A credential operation was refused.
    Credential(CredentialError),
    /// The request guard refused a request.
    Guard(crate::guard::error::GuardError),
    /// A personal access token operation was refused.
    Token(TokenError),
    /// A stored record failed validation: the file is damaged.
    Corrupt {
        /// Table holding the bad record.
        table: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The storage layer failed (I/O, a full disk, a damaged page).
    Storage(redb::Error),
    /// The database server failed a statement, went away, or did not
    /// answer in time (PostgreSQL backend). The call's transaction did not
    /// commit, unless the connection broke during the commit itself (then
    /// its outcome is unknown); the next call tries a new connection.
    Server(String),
    /// The operation is not offered by this storage backend.
    Unsupported(&'static str),
    /// The operating system's random source failed.
    Random(String),
    /// The engine was closed.
    Closed,
    /// The engine was opened in another process, whose child (after
    /// `fork()`) made this call. The handle never touches the file from
    /// the child: open the database again there.
    Forked {
        /// The process that opened the engine.
        opened_in: u32,
        /// The process that used it.
        used_in: u32,
    },
    /// A configuration value is out of range.
    InvalidConfig(String),
    /// A batch import refused these rows, so it stored nothing at all.
    ImportRejected(Vec<RejectedRow>),
}

impl From<crate::guard::error::GuardError> for Error {
    fn from(e: crate::guard::error::GuardError) -> Self {
        Error::Guard(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Open(e) => e.fmt(f),
            Error::Session(e) => e.fmt(f),
            Error::Credential(e) => e.fmt(f),
            Error::Guard(e) => e.fmt(f),
            Error::Token(e) => e.fmt(f),
            Error::Corrupt { table, detail } => {
                write!(f, "corrupt record in table {table}: {detail}")
            }
            Error::Storage(e) => write!(f, "storage error: {e}"),
            Error::Server(e) => write!(f, "database server error: {e}"),
            Error::Unsupported(what) => write!(f, "not supported by this storage backend: {what}"),
            Error::Random(e) => write!(f, "random source failed: {e}"),
            Error::Closed => f.write_str("engine is closed"),
            Error::Forked { opened_in, used_in } => write!(
                f,
                "engine opened in pid {opened_in} used in pid {used_in}; open it again in the child"
            ),
            Error::InvalidConfig(e) => write!(f, "invalid configuration: {e}"),
            Error::ImportRejected(rows) => {
                write!(
                    f,
                    "import refused, nothing stored: {} rows rejected",
                    rows.len()
                )?;
                for row in rows.iter().take(REJECTED_ROWS_SHOWN) {
                    write!(f, "; row {}: {}", row.index, row.error)?;
                }
                if rows.len() > REJECTED_ROWS_SHOWN {
                    write!(f, "; and {} more", rows.len() - REJECTED_ROWS_SHOWN)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}
impl std::error::Error for OpenError {}
impl std::error::Error for SessionError {}
impl std::error::Error for CredentialError {}
impl std::error::Error for TokenError {}

impl From<OpenError> for Error {
    fn from(e: OpenError) -> Self {
        Error::Open(e)
    }
}

impl From<CredentialError> for Error {
    fn from(e: CredentialError) -> Self {
        Error::Credential(e)
    }
}

impl From<SessionError> for Error {
    fn from(e: SessionError) -> Self {
        Error::Session(e)
    }
}

impl From<TokenError> for Error {
    fn from(e: TokenError) -> Self {
        Error::Token(e)
    }
}

/// Storage errors of every redb operation become [`Error::Storage`].
macro_rules! from_redb {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Error::Storage(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::StorageError,
    redb::TransactionError,
    redb::TableError,
    redb::CommitError
);

/// Result of an authkv operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
