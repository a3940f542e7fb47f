//! Pruning expired tokens the way `sanctum:prune-expired --hours=N` does,
//! but over the time indexes: each batch is a range scan from the oldest
//! row, so the cost is proportional to what is pruned, not to what is stored.

use crate::engine::{Core, Counters, Engine};
use crate::error::Result;
use crate::store::{RowKey, TimeIndex};

const SECONDS_PER_HOUR: u64 = 3600;

/// What one pruning run did.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pruned {
    /// Tokens deleted.
    pub tokens: u64,
    /// Write transactions used.
    pub batches: u64,
}

impl Core {
    /// Delete tokens expired for more than `hours`:
    /// those with `expires_at < now - hours` (Sanctum:
    /// `where('expires_at', '<', now()->subHours($hours))`) and, when
    /// `Config::token_expiration` is set, those with `created_at < now -
    /// (expiration + hours)` (Sanctum: `where('created_at', '<',
    /// now()->subMinutes($expiration + ($hours * 60)))`). A token with
    /// neither is never pruned.
    /// `on_batch` is called after each committed batch with the totals.
    pub(crate) fn prune_tokens(
        &self,
        hours: u64,
        on_batch: &mut dyn FnMut(&Pruned),
    ) -> Result<Pruned> {
        let now = self.now();
        let mut pruned = Pruned::default();
        let Some(grace) = hours.checked_mul(SECONDS_PER_HOUR) else {
            return Ok(pruned); // nothing can be that far in the past
        };
        if let Some(cutoff) = now.checked_sub(grace) {
            self.prune_index(TimeIndex::TokenExpiry, cutoff, &mut pruned, on_batch)?;
        }
        if let Some(expiration) = self.config.token_expiration
            && let Some(cutoff) = expiration
                .as_secs()
                .checked_add(grace)
                .and_then(|age| now.checked_sub(age))
        {
            self.prune_index(TimeIndex::TokenCreated, cutoff, &mut pruned, on_batch)?;
        }
        Ok(pruned)
    }

    /// Delete every token whose `index` time is before `cutoff`, in batches
    /// of `Config::gc_batch_size`, each its own transaction.
    fn prune_index(
        &self,
        index: TimeIndex,
        cutoff: u64,
        pruned: &mut Pruned,
        on_batch: &mut dyn FnMut(&Pruned),
    ) -> Result<()> {
        // Strictly before `cutoff`.
        let Some(upper) = cutoff.checked_sub(1) else {
            return Ok(());
        };
        let batch = self.config.gc_batch_size;
        loop {
            // Peek first: when nothing is due, no write transaction begins.
            let due = self.read(|txn| Ok(!txn.due(index, upper, 1)?.is_empty()))?;
            if !due {
                return Ok(());
            }
            let (seen, deleted) = self.write(|txn| {
                let candidates = txn.due(index, upper, batch)?;
                let mut deleted = Vec::with_capacity(candidates.len());
                for &(indexed, row) in &candidates {
                    let RowKey::Id(id) = row else { continue };
                    let record = txn.token(id)?;
                    let current = record.as_ref().and_then(|record| match index {
                        TimeIndex::TokenExpiry => record.expires_at,
                        _ => Some(record.created_at),
                    });
                    match record {
                        Some(record) if current == Some(indexed) => {
                            txn.remove_token(id, &record)?;
                            deleted.push(id);
                        }
                        // An index row without its record, or a stale one:
                        // drop the row so the walk moves on (verify()
                        // reports such rows).
                        _ => txn.unindex(index, indexed, row)?,
                    }
                }
                Ok((candidates.len(), deleted))
            })?;
            let count = deleted.len() as u64;
            pruned.batches += 1;
            pruned.tokens += count;
            Counters::add(&self.counters.gc_deleted, count);
            self.forget_token_touches(&deleted);
            on_batch(pruned);
            if seen < batch {
                return Ok(());
            }
        }
    }
}

impl Engine {
    /// Delete tokens expired for more than `hours`, as
    /// `sanctum:prune-expired --hours=N` does: `expires_at` before `now -
    /// hours`, and, with `Config::token_expiration`, `created_at` before
    /// `now - (expiration + hours)`. Tokens with neither are kept. Runs in
    /// batches of `Config::gc_batch_size`; with nothing to prune it commits
    /// nothing. Returns how many tokens were deleted.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when a batch fails; earlier batches stay
    /// committed.
    pub fn prune_expired_tokens(&self, hours: u64) -> Result<u64> {
        let pruned = self
            .core
            .with_deferred_sync(|| self.core.prune_tokens(hours, &mut |_| {}))?;
        Ok(pruned.tokens)
    }
}
