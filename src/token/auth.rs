//! What authenticating a personal access token needs of its record — user,
//! abilities, times and secret digest — kept in the hot-path cache without
//! the name, so that a request clones no string.

use crate::engine::Core;
use crate::error::Result;
use crate::store::summary::TokenAuth;

impl Core {
    /// A token's summary: from the cache, else from a snapshot (then cached).
    pub(crate) fn token_auth(&self, id: u64) -> Result<Option<TokenAuth>> {
        self.cached(&self.tokens_cache, id, |txn| txn.token_auth(id))
    }
}
