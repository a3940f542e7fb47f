//! Housekeeping in as few commits as it needs: the pending touches and the
//! housekeeping lease's renewal are written in the same transaction as
//! GC's first batch, so that a server running it once per touch interval
//! commits once per interval (more only when more than a batch of sessions
//! expired).

use crate::engine::gc::{GcReport, apply_touches};
use crate::engine::lease::LeaseCheck;
use crate::engine::{Core, Engine};
use crate::error::Result;

impl Core {
    /// Flush pending touches and collect, the touches (up to a batch)
    /// riding in GC's first write transaction. Returns the GC report and how many records the
    /// touches moved.
    pub(crate) fn housekeep(&self) -> Result<(GcReport, usize)> {
        let lease = if self.shared() {
            match self.check_housekeeping_lease()? {
                LeaseCheck::Elsewhere => {
                    // Another process collects for everyone; the touches are ours.
                    let report = GcReport {
                        lease_held_elsewhere: true,
                        ..GcReport::default()
                    };
                    return Ok((report, self.flush()?));
                }
                LeaseCheck::Held => None,
                LeaseCheck::Take { until } => Some(until),
            }
        } else {
            None
        };
        let snapshot = self.touch_snapshot();
        // The first batch of touches and the lease renewal ride in GC's
        // first transaction; the rest of the touches (after a busy
        // interval) get transactions of their own.
        let first_len = snapshot.len().min(self.config.gc_batch_size);
        let (first, rest) = snapshot.split_at(first_len);
        let mut written = 0;
        let mut lease_taken = false;
        let mut write_first = |txn: &dyn crate::store::Writes| -> Result<()> {
            if let Some(until) = lease {
                lease_taken = self.take_lease_in(txn, until)?;
            }
            written = apply_touches(txn, first)?;
            Ok(())
        };
        let prelude = (!first.is_empty() || lease.is_some()).then_some(&mut write_first as _);
        let (report, written_rest) = self.with_deferred_sync(|| {
            let report = self.collect_with(&mut |_| {}, prelude)?;
            Ok((report, self.write_touches(rest)?))
        })?;
        if let Some(until) = lease {
            self.lease_taken(lease_taken.then_some(until));
        }
        self.forget_written(&snapshot);
        Ok((report, written + written_rest))
    }
}

impl Engine {
    /// [`Engine::flush`] and [`Engine::gc`] together, the touches written in
    /// the same transaction as the first GC batch: one commit when there is
    /// anything to write and at most a batch (`Config::gc_batch_size`) of
    /// touches and of expired sessions, none when there is nothing. This is what the background thread runs; a host driving
    /// housekeeping itself should call it once per `touch_interval`.
    /// Returns the GC report and how many sessions and tokens the touches
    /// moved.
    ///
    /// When other processes share the file, GC runs in one of them at a
    /// time: the one holding the housekeeping lease, which it takes when
    /// it is free or its holder stopped renewing it (died), and gives up on
    /// close. The others flush their own touches only, and their report
    /// says `lease_held_elsewhere`. [`Engine::gc`] always collects.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when a commit fails; the touches of a failed
    /// run stay pending, earlier GC batches stay committed.
    pub fn housekeep(&self) -> Result<(GcReport, usize)> {
        self.core.housekeep()
    }
}
