//! Imports from Laravel's own tables, so that switching to authkv logs
//! nobody out: rows of Sanctum's `personal_access_tokens` (the plaintexts
//! their owners hold keep authenticating) and rows of Laravel's `sessions`
//! (the cookies browsers hold keep working). A batch import checks every
//! row and stores all of them in one transaction, or none.

use crate::engine::{Core, Engine};
use crate::error::{Error, RejectedRow, Result, SessionError, TokenError};
use crate::secret::digest_from_hex;
use crate::session::{new_token, session_digest, truncate_on_char_boundary};
use crate::store::Writes;
use crate::store::record::{SessionRecord, TokenRecord};
use crate::token::{ensure_token_free, validated};

/// One row of Sanctum's `personal_access_tokens`, as
/// [`Engine::import_sanctum_tokens`] takes it. Times are unix seconds.
#[derive(Clone, PartialEq, Eq)]
pub struct SanctumToken {
    /// The row's `id`: the part before `|` in the plaintext. Not 0.
    pub id: u64,
    /// The row's `tokenable_id`: the user the token acts for.
    pub user_id: u64,
    /// The row's `name`.
    pub name: String,
    /// The row's `token` column: 64 hex characters, the SHA-256 of
    /// everything after `|` in the plaintext.
    pub sha256_hex: String,
    /// The row's `abilities`, decoded from its JSON text.
    pub abilities: Vec<String>,
    /// The row's `created_at`.
    pub created_at: u64,
    /// The row's `last_used_at`.
    pub last_used_at: Option<u64>,
    /// The row's `expires_at` (absent before Sanctum 3).
    pub expires_at: Option<u64>,
}

impl std::fmt::Debug for SanctumToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The digest is left out: with it, a guessed plaintext can be
        // checked offline.
        f.debug_struct("SanctumToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("abilities", &self.abilities)
            .field("created_at", &self.created_at)
            .field("last_used_at", &self.last_used_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// One row of Laravel's `sessions` table, as [`Engine::import_sessions`]
/// takes it.
#[derive(Clone, PartialEq, Eq)]
pub struct LaravelSession {
    /// The row's `id`: the raw 40-character session id the browser's cookie
    /// holds. Only its SHA-256 is stored.
    pub id: String,
    /// The row's `user_id`.
    pub user_id: Option<u64>,
    /// The row's `ip_address` (empty when NULL).
    pub ip: String,
    /// The row's `user_agent` (empty when NULL); truncated to
    /// `Config::max_user_agent` bytes like a new session's.
    pub user_agent: String,
    /// The row's `payload`, base64-decoded: Laravel's serialized attributes,
    /// kept as opaque bytes.
    pub payload: Vec<u8>,
    /// The row's `last_activity`, unix seconds.
    pub last_activity: u64,
}

impl std::fmt::Debug for LaravelSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaravelSession")
            .field("id", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("ip", &self.ip)
            .field("user_agent", &self.user_agent)
            .field("payload_len", &self.payload.len())
            .field("last_activity", &self.last_activity)
            .finish()
    }
}

/// How far past the engine's clock an imported time may lie: the exporting
/// server's clock may run a little ahead of this one.
const MAX_CLOCK_SKEW: u64 = 300;

/// `at` when it is not later than `now` plus the allowed skew.
fn not_future(at: u64, now: u64) -> Option<u64> {
    (at <= now.saturating_add(MAX_CLOCK_SKEW)).then_some(at)
}

/// The stored form of a Sanctum row, or the reason it is refused. Reads
/// nothing: limits and formats only. `expires_at` may be in the future;
/// `created_at` and `last_used_at` may not.
fn sanctum_record(row: &SanctumToken, now: u64) -> Result<TokenRecord> {
    let id = row.id;
    if id == 0 {
        return Err(TokenError::ZeroId.into());
    }
    for at in [Some(row.created_at), row.last_used_at]
        .into_iter()
        .flatten()
    {
        not_future(at, now).ok_or(TokenError::FromTheFuture { id, at, now })?;
    }
    let digest = digest_from_hex(&row.sha256_hex).ok_or(TokenError::MalformedDigest { id })?;
    Ok(TokenRecord {
        user_id: row.user_id,
        name: row.name.clone(),
        abilities: validated(&row.name, &row.abilities)?,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        digest,
    })
}

/// Write one token row unless its id or digest is taken.
fn stage_sanctum(txn: &dyn Writes, row: &SanctumToken, now: u64) -> Result<()> {
    let record = sanctum_record(row, now)?;
    ensure_token_free(txn, row.id, &record.digest)?;
    txn.insert_token(row.id, &record)
}

/// Stage every row with `stage`; a row refused with a token or session
/// error is collected, any other error ends the transaction. When a row was
/// refused, the whole batch is.
fn stage_all<T>(rows: &[T], mut stage: impl FnMut(&T) -> Result<()>) -> Result<()> {
    let mut rejected = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        match stage(row) {
            Ok(()) => {}
            Err(error @ (Error::Token(_) | Error::Session(_))) => {
                rejected.push(RejectedRow { index, error });
            }
            Err(other) => return Err(other),
        }
    }
    if rejected.is_empty() {
        Ok(())
    } else {
        Err(Error::ImportRejected(rejected))
    }
}

impl Core {
    /// Write one session row unless its id is malformed, taken or over a
    /// limit. A new CSRF token is drawn; `created_at` is the row's
    /// `last_activity`, the earliest time the session is known to exist.
    fn stage_session(&self, txn: &dyn Writes, row: &LaravelSession) -> Result<()> {
        let key = session_digest(&row.id).ok_or(SessionError::MalformedId)?;
        let digest = self.stored_key(txn, &row.id, key)?;
        let now = self.now();
        let (at, config) = (row.last_activity, &self.config);
        not_future(at, now).ok_or(SessionError::FromTheFuture { at, now })?;
        if row.ip.len() > config.max_ip {
            let (len, max) = (row.ip.len(), config.max_ip);
            return Err(SessionError::IpTooLong { len, max }.into());
        }
        if row.payload.len() > config.max_payload {
            let (len, max) = (row.payload.len(), config.max_payload);
            return Err(SessionError::PayloadTooLarge { len, max }.into());
        }
        if txn.session(&digest)?.is_some() {
            return Err(SessionError::DuplicateId.into());
        }
        let record = SessionRecord {
            user_id: row.user_id,
            ip: row.ip.clone(),
            user_agent: truncate_on_char_boundary(&row.user_agent, config.max_user_agent)
                .to_owned(),
            payload: row.payload.clone(),
            csrf: new_token()?,
            created_at: row.last_activity,
            last_activity: row.last_activity,
            version: 0,
            password_confirmed_at: None,
        };
        txn.insert_session(&digest, &record)
    }
}

/// The highest id among `rows` (0 for none).
fn highest_id(rows: &[SanctumToken]) -> u64 {
    rows.iter().map(|row| row.id).max().unwrap_or(0)
}

/// Record the highest imported id so [`Engine::create_token`] never reuses it.
fn reserve_ids(txn: &dyn Writes, rows: &[SanctumToken]) -> Result<()> {
    txn.raise_last_token_id(highest_id(rows))
}

impl Engine {
    /// Store a row copied from Laravel's `personal_access_tokens` so that
    /// the plaintext its owner already holds keeps authenticating. `sha256_hex`
    /// is the row's `token` column; times are unix seconds. The id is never
    /// issued again by [`Engine::create_token`].
    ///
    /// # Errors
    /// [`TokenError::ZeroId`], [`TokenError::MalformedDigest`], the name and
    /// ability limits of [`Engine::create_token`],
    /// [`TokenError::DuplicateId`] and [`TokenError::DuplicateDigest`]:
    /// nothing is stored. [`Error::Storage`] when the commit fails.
    #[allow(clippy::too_many_arguments)] // one argument per column of the row
    pub fn import_sanctum_token<I, S>(
        &self,
        id: u64,
        user_id: u64,
        name: &str,
        sha256_hex: &str,
        abilities: I,
        created_at: u64,
        last_used_at: Option<u64>,
        expires_at: Option<u64>,
    ) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let row = SanctumToken {
            id,
            user_id,
            name: name.to_owned(),
            sha256_hex: sha256_hex.to_owned(),
            abilities: abilities
                .into_iter()
                .map(|a| a.as_ref().to_owned())
                .collect(),
            created_at,
            last_used_at,
            expires_at,
        };
        // Refuse bad input before a write transaction begins.
        let now = self.core.now();
        sanctum_record(&row, now)?;
        self.core.write(|txn| {
            stage_sanctum(txn, &row, now)?;
            reserve_ids(txn, std::slice::from_ref(&row))
        })
    }

    /// Store many rows of Sanctum's `personal_access_tokens` in one
    /// transaction: all of them, or — when any row is refused — none.
    /// Each row is checked as [`Engine::import_sanctum_token`] checks it,
    /// against the stored tokens and the rows before it. Returns how many
    /// rows were stored. Expired rows are stored too; pruning deletes them.
    ///
    /// # Errors
    /// [`Error::ImportRejected`] listing every refused row with its index
    /// and its [`TokenError`]; then nothing is stored. [`Error::Storage`]
    /// when the commit fails.
    pub fn import_sanctum_tokens(&self, rows: &[SanctumToken]) -> Result<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        let now = self.core.now();
        self.core.write(|txn| {
            stage_all(rows, |row| stage_sanctum(txn, row, now))?;
            reserve_ids(txn, rows)?;
            Ok(rows.len())
        })
    }

    /// Store many rows of Laravel's `sessions` table in one transaction: all
    /// of them, or — when any row is refused — none. Only the SHA-256 of
    /// each id is stored. The payload stays opaque, so Laravel's `_token`
    /// inside it means nothing to authkv: every imported session gets a
    /// new CSRF token (pages rendered before the switch must be reloaded
    /// before they can post). `created_at` is set to `last_activity`, the
    /// earliest time the session is known to exist. Rows already expired
    /// are stored too; they read as absent and GC deletes them. Returns how
    /// many rows were stored.
    ///
    /// # Errors
    /// [`Error::ImportRejected`] listing every refused row with its index
    /// and its [`SessionError`] ([`SessionError::MalformedId`],
    /// [`SessionError::DuplicateId`] for an id already stored or given
    /// twice, [`SessionError::IpTooLong`], [`SessionError::PayloadTooLarge`]);
    /// then nothing is stored. [`Error::Storage`] when the commit fails.
    pub fn import_sessions(&self, rows: &[LaravelSession]) -> Result<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        let core = &self.core;
        core.write(|txn| {
            stage_all(rows, |row| core.stage_session(txn, row))?;
            Ok(rows.len())
        })
    }
}
