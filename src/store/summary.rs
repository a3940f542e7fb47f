//! What the hot paths need of a record, kept apart from the full record so
//! that every live session and token fits in the caches: a session's
//! summary carries no payload (about a hundred bytes), a token's no name.
//! A backend may read them without copying the rest of the record.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::secret::{Digest, RANDOM_LEN};
use crate::store::record::LimitsRecord;
#[cfg(feature = "postgres")]
use crate::store::record::TokenRecord;
use crate::token::ability::Abilities;

/// The guard's summary of a stored session (a backend may read it without
/// copying the payload).
#[derive(Clone, Copy)]
pub(crate) struct SessionAuth {
    pub user_id: Option<u64>,
    pub csrf: [u8; RANDOM_LEN],
    pub created_at: u64,
    /// As stored; a pending touch may be newer.
    pub last_activity: u64,
    pub version: u64,
    pub password_confirmed_at: Option<u64>,
}

/// A stored CSRF token as the fixed-size array the summary keeps.
pub(crate) fn csrf_bytes(csrf: &[u8]) -> Result<[u8; RANDOM_LEN]> {
    <[u8; RANDOM_LEN]>::try_from(csrf).map_err(|_| Error::Corrupt {
        table: "sessions",
        detail: "CSRF token of the wrong length".into(),
    })
}

/// A token's summary (a backend may read it in place from the record).
#[derive(Clone)]
pub(crate) struct TokenAuth {
    pub user_id: u64,
    /// Shared: a request clones a pointer, not the list.
    pub abilities: Abilities,
    pub created_at: u64,
    /// As stored; a pending use may be newer.
    pub last_used_at: Option<u64>,
    pub expires_at: Option<u64>,
    /// SHA-256 of the secret part, compared in constant time.
    pub digest: Digest,
    /// Rate limit and quota, when the token has them; behind a pointer so
    /// that a cached summary fits two cache lines.
    pub limits: Option<Arc<LimitsRecord>>,
}

#[cfg(feature = "postgres")]
impl TokenAuth {
    /// The summary of a full record and its limits.
    pub(crate) fn of(record: &TokenRecord, limits: Option<LimitsRecord>) -> Self {
        Self {
            user_id: record.user_id,
            abilities: Abilities::new(record.abilities.iter().map(String::as_str)),
            created_at: record.created_at,
            last_used_at: record.last_used_at,
            expires_at: record.expires_at,
            digest: record.digest,
            limits: limits.map(Arc::new),
        }
    }
}

/// Failures counted in the window that began at `window_start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Counter {
    pub attempts: u64,
    pub window_start: u64,
}
