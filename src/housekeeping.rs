//! Housekeeping in as few commits as it needs: the pending touches are
//! written in the same transaction as GC's first batch, so that a server
//! running it once per touch interval commits once per interval (more only
//! when more than a batch of sessions expired).

use crate::engine::{Core, Engine};
use crate::error::Result;
use crate::gc::{GcReport, apply_touches};

impl Core {
    /// Flush pending touches and collect, the touches riding in GC's first
    /// write transaction. Returns the GC report and how many records the
    /// touches moved.
    pub(crate) fn housekeep(&self) -> Result<(GcReport, usize)> {
        let snapshot = self.touch_snapshot();
        let mut written = 0;
        let mut write_touches = |txn: &redb::WriteTransaction| -> Result<()> {
            written = apply_touches(txn, &snapshot)?;
            Ok(())
        };
        let prelude = (!snapshot.is_empty()).then_some(&mut write_touches as _);
        let report = self.with_deferred_sync(|| self.collect_with(&mut |_| {}, prelude))?;
        self.forget_written(&snapshot);
        Ok((report, written))
    }
}

impl Engine {
    /// [`Engine::flush`] and [`Engine::gc`] together, the touches written in
    /// the same transaction as the first GC batch: one commit when there is
    /// anything to write and at most a batch expired, none when there is
    /// nothing. This is what the background thread runs; a host driving
    /// housekeeping itself should call it once per `touch_interval`.
    /// Returns the GC report and how many sessions and tokens the touches
    /// moved.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when a commit fails; the touches of a failed
    /// run stay pending, earlier GC batches stay committed.
    pub fn housekeep(&self) -> Result<(GcReport, usize)> {
        self.core.housekeep()
    }
}
