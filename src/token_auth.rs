//! What authenticating a personal access token needs of its record — user,
//! abilities, times and secret digest — kept in the hot-path cache without
//! the name, so that a request clones no string.

use crate::ability::Abilities;
use crate::engine::Core;
use crate::error::Result;
#[cfg(feature = "postgres")]
use crate::record::TokenRecord;
use crate::secret::Digest;

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
}

#[cfg(feature = "postgres")]
impl TokenAuth {
    /// The summary of a full record.
    pub(crate) fn of(record: &TokenRecord) -> Self {
        Self {
            user_id: record.user_id,
            abilities: Abilities::new(record.abilities.iter().map(String::as_str)),
            created_at: record.created_at,
            last_used_at: record.last_used_at,
            expires_at: record.expires_at,
            digest: record.digest,
        }
    }
}

impl Core {
    /// A token's summary: from the cache, else from a snapshot (then cached).
    pub(crate) fn token_auth(&self, id: u64) -> Result<Option<TokenAuth>> {
        self.cached(&self.tokens_cache, id, |txn| txn.token_auth(id))
    }
}
