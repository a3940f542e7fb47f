//! Housekeeping: writing coalesced touches in one transaction, and deleting
//! expired sessions (and, through `token_prune`, expired tokens) by range
//! scans of the time indexes, in bounded batches, at a cost proportional to
//! what expired rather than to what is stored.

use crate::engine::{Core, Counters, Engine, Touch};
use crate::error::Result;
use crate::store::record::SessionRecord;
use crate::store::{RowKey, TimeIndex, Writes};
use crate::token::admission::TakenUses;

/// What one GC run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GcReport {
    /// Expired sessions deleted.
    pub sessions_deleted: u64,
    /// Expired personal access tokens pruned (see
    /// [`Engine::prune_expired_tokens`]).
    pub tokens_deleted: u64,
    /// Login throttle counters whose window had passed, deleted.
    pub throttles_deleted: u64,
    /// Expired remember-me tokens deleted.
    pub remember_tokens_deleted: u64,
    /// Records read to decide (equals deleted unless a pending touch kept a
    /// session alive).
    pub records_examined: u64,
    /// Write transactions used (one per batch, sessions and tokens).
    pub batches: u64,
    /// Housekeeping skipped GC because another process holds the
    /// housekeeping lease (see [`Engine::housekeep`]).
    pub lease_held_elsewhere: bool,
}

/// A GC run under way: the totals so far, and whom to tell after each
/// committed batch.
pub(crate) struct GcRun<'a> {
    /// What the run has done so far.
    pub report: GcReport,
    progress: &'a mut dyn FnMut(&GcReport),
}

impl<'a> GcRun<'a> {
    fn new(progress: &'a mut dyn FnMut(&GcReport)) -> Self {
        Self {
            report: GcReport::default(),
            progress,
        }
    }

    /// Count a committed batch and report the totals.
    fn batch_done(&mut self) {
        self.report.batches += 1;
        (self.progress)(&self.report);
    }
}

/// Work run inside GC's first write transaction.
pub(crate) type Prelude<'a> = &'a mut dyn FnMut(&dyn Writes) -> Result<()>;

/// Which [`GcReport`] count a batch's deletions add to.
pub(crate) type DeletedCount = fn(&mut GcReport) -> &mut u64;

impl Core {
    /// Write all pending touches, of sessions and tokens, in transactions of
    /// at most `gc_batch_size` sharing one fsync; entries touched again while
    /// the commits ran stay pending.
    pub(crate) fn flush(&self) -> Result<usize> {
        self.stamp.check()?;
        let snapshot = self.touch_snapshot();
        let applied = self.with_deferred_sync(|| self.write_touches(&snapshot))?;
        self.forget_written(&snapshot);
        Ok(applied)
    }

    /// Write `touches` in transactions of at most `gc_batch_size`, so that
    /// a flush after a busy interval holds the write lock no longer than a
    /// GC batch does. Returns how many records moved.
    pub(crate) fn write_touches(&self, touches: &[(Touch, u64)]) -> Result<usize> {
        let mut applied = 0;
        let mut batches = touches.chunks(self.config.gc_batch_size);
        // Unwritten quota uses ride in the first transaction (one of their
        // own when no touch waits).
        if self.quota_uses_pending() {
            let first = batches.next().unwrap_or(&[]);
            applied += self.write_with_quota_uses(|txn| apply_touches(txn, first))?;
        }
        for batch in batches {
            applied += self.write(|txn| apply_touches(txn, batch))?;
        }
        Ok(applied)
    }

    /// [`Core::write`] that also writes the unwritten quota uses; when it
    /// fails they are given back to the shared counts.
    fn write_with_quota_uses<T>(&self, f: impl FnOnce(&dyn Writes) -> Result<T>) -> Result<T> {
        let mut taken = TakenUses::default();
        let out = self.write(|txn| {
            self.write_quota_uses(txn, &mut taken)?;
            f(txn)
        });
        if out.is_err() {
            self.restore_uses(taken);
        }
        out
    }

    /// The pending touches, copied out so that requests can go on noting
    /// new ones while they are written, in key order: each batch of a
    /// large flush then rewrites neighbouring records, not records spread
    /// over the whole file.
    pub(crate) fn touch_snapshot(&self) -> Vec<(Touch, u64)> {
        let mut snapshot: Vec<_> = self.touches.lock().iter().map(|(k, t)| (*k, *t)).collect();
        snapshot.sort_unstable();
        snapshot
    }

    /// After the commit that wrote `snapshot`: drop the touches it wrote,
    /// keeping those noted again since.
    pub(crate) fn forget_written(&self, snapshot: &[(Touch, u64)]) {
        let mut touches = self.touches.lock();
        for (key, touched_at) in snapshot {
            if touches.get(key) == Some(touched_at) {
                touches.remove(key);
            }
        }
    }

    /// Delete every session expired by GC's rules (`last_activity <= now -
    /// idle`, Laravel's GC boundary, or `created_at <= now - absolute`),
    /// expired throttle windows and remember-me tokens, and tokens expired
    /// for more than `token_prune_hours`.
    pub(crate) fn collect(&self) -> Result<GcReport> {
        self.with_deferred_sync(|| self.collect_with(&mut |_| {}, None))
    }

    /// [`Core::collect`], calling `progress` after each committed batch.
    /// A `prelude` runs in the first write transaction (its own one when
    /// no session is due), so that other housekeeping shares its commit.
    pub(crate) fn collect_with(
        &self,
        progress: &mut dyn FnMut(&GcReport),
        mut prelude: Option<Prelude<'_>>,
    ) -> Result<GcReport> {
        let now = self.now();
        let mut run = GcRun::new(progress);
        if let Some(cutoff) = now.checked_sub(self.config.idle_lifetime.as_secs()) {
            let index = TimeIndex::SessionActivity;
            self.collect_index(index, cutoff, now, &mut run, &mut prelude)?;
        }
        if let Some(prelude) = prelude.take() {
            self.write(|txn| prelude(txn))?;
        }
        if let Some(absolute) = self.config.absolute_lifetime
            && let Some(cutoff) = now.checked_sub(absolute.as_secs())
        {
            let index = TimeIndex::SessionCreated;
            self.collect_index(index, cutoff, now, &mut run, &mut None)?;
        }
        self.collect_throttles(now, &mut run)?;
        self.collect_remember(now, &mut run)?;
        let report = &run.report;
        let deleted =
            report.sessions_deleted + report.throttles_deleted + report.remember_tokens_deleted;
        Counters::add(&self.counters.gc_examined, report.records_examined);
        let so_far = report.clone();
        let progress = &mut *run.progress;
        let pruned = self.prune_tokens(self.config.token_prune_hours, &mut |pruned| {
            let mut report = so_far.clone();
            report.tokens_deleted = pruned.tokens;
            report.batches += pruned.batches;
            progress(&report);
        })?;
        run.report.tokens_deleted = pruned.tokens;
        run.report.batches += pruned.batches;
        self.retire_legacy_keys()?;
        Counters::add(&self.counters.gc_deleted, deleted);
        Ok(run.report)
    }

    /// Delete every entry whose `index` row is at or before `cutoff`, in
    /// batches of `gc_batch_size`, each its own transaction. `delete` gets a
    /// batch of index keys, must remove each entry with all its rows
    /// (including the index row), and returns how many entries it deleted;
    /// they are added to the `count` of the run's report.
    /// With nothing due it reads one index row and writes nothing.
    pub(crate) fn collect_due(
        &self,
        index: TimeIndex,
        cutoff: u64,
        run: &mut GcRun<'_>,
        count: DeletedCount,
        mut delete: impl FnMut(&dyn Writes, &[(u64, RowKey)]) -> Result<u64>,
    ) -> Result<()> {
        let batch = self.config.gc_batch_size;
        loop {
            let due = self.read(|txn| Ok(!txn.due(index, cutoff, 1)?.is_empty()))?;
            if !due {
                return Ok(());
            }
            let (seen, gone) = self.write(|txn| {
                let candidates = txn.due(index, cutoff, batch)?;
                Ok((candidates.len(), delete(txn, &candidates)?))
            })?;
            run.report.records_examined += seen as u64;
            *count(&mut run.report) += gone;
            run.batch_done();
            if seen < batch {
                return Ok(());
            }
        }
    }

    /// Whether GC may delete a session with these times at `now`.
    fn gc_expired(&self, record: &SessionRecord, last_activity: u64, now: u64) -> bool {
        let idle = now
            .checked_sub(self.config.idle_lifetime.as_secs())
            .is_some_and(|cutoff| last_activity <= cutoff);
        let absolute = self.config.absolute_lifetime.is_some_and(|a| {
            now.checked_sub(a.as_secs())
                .is_some_and(|cutoff| record.created_at <= cutoff)
        });
        idle || absolute
    }

    /// Walk `index` up to `cutoff` in batches, each its own transaction.
    fn collect_index(
        &self,
        index: TimeIndex,
        cutoff: u64,
        now: u64,
        run: &mut GcRun<'_>,
        prelude: &mut Option<Prelude<'_>>,
    ) -> Result<()> {
        loop {
            // Peek first: when nothing is due, no write transaction begins.
            let due = self.read(|txn| Ok(!txn.due(index, cutoff, 1)?.is_empty()))?;
            if !due {
                return Ok(());
            }
            let batch = self.config.gc_batch_size;
            let mut examined = 0;
            let (seen, deleted) = self.write(|txn| {
                if let Some(prelude) = prelude.take() {
                    prelude(txn)?;
                }
                let candidates = txn.due_sessions(index, cutoff, batch)?;
                // The activity rows walked are dropped all at once after the
                // loop (`refile_activity`); other indexes' rows one by one.
                let lazy = index == TimeIndex::SessionActivity;
                let unindex = |indexed, row| match lazy {
                    true => Ok(()),
                    false => txn.unindex(index, indexed, row),
                };
                let mut doomed = Vec::new();
                let mut alive = Vec::new();
                for (indexed, digest, record) in candidates.iter().cloned() {
                    let row = RowKey::Digest(digest);
                    let Some(record) = record else {
                        // The row of a deleted session: drop it.
                        unindex(indexed, row)?;
                        continue;
                    };
                    examined += 1;
                    if !index.fits_session(indexed, &record) {
                        // A stale row (verify() reports it): drop it so the
                        // walk moves on instead of meeting it again forever.
                        unindex(indexed, row)?;
                        continue;
                    }
                    let last_activity = self
                        .pending_touch(&digest)
                        .map_or(record.last_activity, |t| t.max(record.last_activity));
                    if self.gc_expired(&record, last_activity, now) {
                        doomed.push((digest, record));
                        continue;
                    }
                    if last_activity > record.last_activity {
                        // A pending touch kept it alive: write the touch.
                        let touched = SessionRecord {
                            last_activity,
                            ..record.clone()
                        };
                        txn.replace_session(&digest, &record, &touched)?;
                    }
                    // Alive: file its row at its activity, past the cutoff.
                    alive.push((digest, last_activity));
                }
                if let (true, Some((time, digest, _))) = (lazy, candidates.last()) {
                    txn.refile_activity((*time, *digest), &alive)?;
                }
                txn.remove_sessions(&doomed)?;
                let deleted: Vec<_> = doomed.into_iter().map(|(digest, _)| digest).collect();
                Ok((candidates.len(), deleted))
            })?;
            let mut touches = self.touches.lock();
            for digest in &deleted {
                touches.remove(&Touch::Session(*digest));
            }
            drop(touches);
            run.report.records_examined += examined;
            run.report.sessions_deleted += deleted.len() as u64;
            run.batch_done();
            if seen < batch {
                return Ok(());
            }
        }
    }
}

/// Write `snapshot`'s touches in `txn` (a backend may do it in one
/// statement); returns how many records moved.
pub(crate) fn apply_touches(txn: &dyn Writes, snapshot: &[(Touch, u64)]) -> Result<usize> {
    let mut sessions = Vec::new();
    let mut tokens = Vec::new();
    for &(key, touched_at) in snapshot {
        match key {
            Touch::Session(digest) => sessions.push((digest, touched_at)),
            Touch::Token(id) => tokens.push((id, touched_at)),
        }
    }
    txn.touch(&sessions, &tokens)
}

impl Engine {
    /// Delete, now, expired sessions, throttle counters whose window has
    /// passed, expired remember-me tokens, and tokens expired for more than
    /// `Config::token_prune_hours`, in batches of `Config::gc_batch_size`.
    /// Costs O(rows due): the expired sessions, plus the activity rows that
    /// saves and touches left at an older time, or that a deletion left
    /// after GC had moved them (each moved past the cutoff or dropped,
    /// once); with no row due it reads one row of each time index and
    /// writes nothing.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when a batch fails; earlier batches stay
    /// committed.
    pub fn gc(&self) -> Result<GcReport> {
        self.core.collect()
    }

    /// [`Engine::gc`], calling `progress` after each committed batch with
    /// the totals so far (its `batches` counts up by one each call), so that
    /// a long collection over a large file can show that it is moving. The
    /// returned report equals the last one `progress` saw, or the default
    /// when nothing was due.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when a batch fails; earlier batches stay
    /// committed and were reported.
    pub fn gc_with_progress(&self, mut progress: impl FnMut(&GcReport)) -> Result<GcReport> {
        self.core
            .with_deferred_sync(|| self.core.collect_with(&mut progress, None))
    }
}
