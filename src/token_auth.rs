//! What authenticating a personal access token needs of its record — user,
//! abilities, times and secret digest — kept in the hot-path cache without
//! the name, so that a request clones no string.

use crate::ability::Abilities;
use crate::engine::{Core, TOKENS};
use crate::error::Result;
use crate::record::{ArchivedTokenRecord, access};
use crate::secret::Digest;

/// A token's summary, decoded in place from its stored record.
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

impl TokenAuth {
    /// Read the summary from a stored record's bytes, validating them.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let archived = access::<ArchivedTokenRecord>("tokens", bytes)?;
        Ok(Self {
            user_id: archived.user_id.to_native(),
            abilities: Abilities::new(archived.abilities.iter().map(|a| a.as_str())),
            created_at: archived.created_at.to_native(),
            last_used_at: archived.last_used_at.as_ref().map(|t| t.to_native()),
            expires_at: archived.expires_at.as_ref().map(|t| t.to_native()),
            digest: archived.digest,
        })
    }
}

impl Core {
    /// A token's summary: from the cache, else from a snapshot (then cached).
    pub(crate) fn token_auth(&self, id: u64) -> Result<Option<TokenAuth>> {
        self.cached(&self.tokens_cache, id, |txn| {
            let records = txn.open_table(TOKENS)?;
            records
                .get(id)?
                .map(|bytes| TokenAuth::decode(bytes.value()))
                .transpose()
        })
    }
}
