//! Background housekeeping (GC and pruning) runs in one process at a time.
//! The holder is named in a lease row in `meta` with an expiry; it renews
//! the row when half its time has passed, gives it up on close, and a
//! process that dies simply stops renewing, so another takes over once the
//! expiry has passed. Touches are per process and each flushes its own.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::engine::Core;
use crate::error::Result;
use crate::store::{Reads, Writes};

const LEASE_ROW: &str = "housekeeping_lease";

/// This engine's claim: a random holder id and until when it holds the
/// lease (0: not held).
pub(crate) struct Lease {
    holder: u64,
    held_until: AtomicU64,
}

impl Lease {
    pub(crate) fn new() -> Result<Self> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| crate::Error::Random(e.to_string()))?;
        Ok(Self {
            holder: u64::from_le_bytes(bytes),
            held_until: AtomicU64::new(0),
        })
    }
}

/// What [`Core::check_housekeeping_lease`] found.
pub(crate) enum LeaseCheck {
    /// This engine holds the lease, with more than half its time left.
    Held,
    /// This engine may take (or renew) the lease until then.
    Take { until: u64 },
    /// Another live process holds it.
    Elsewhere,
}

/// `(holder, expires_at)` as stored: `"<16 hex> <unix seconds>"`.
fn parse(row: &str) -> Option<(u64, u64)> {
    let (holder, expires) = row.split_once(' ')?;
    Some((u64::from_str_radix(holder, 16).ok()?, expires.parse().ok()?))
}

fn stored(txn: &dyn Reads) -> Result<Option<(u64, u64)>> {
    Ok(txn.meta(LEASE_ROW)?.as_deref().and_then(parse))
}

impl Core {
    /// How long a lease lasts: three housekeeping intervals, so one late
    /// run does not lose it.
    fn lease_seconds(&self) -> u64 {
        let every = self
            .config
            .background_interval
            .unwrap_or(self.config.touch_interval);
        every.as_secs().saturating_mul(3).max(3)
    }

    /// Whether this engine may run housekeeping now, read without a
    /// write: it holds the lease, or may take it (free, expired, its own,
    /// or half of its time passed: a renewal), or another live process
    /// holds it.
    pub(crate) fn check_housekeeping_lease(&self) -> Result<LeaseCheck> {
        let now = self.now();
        let ttl = self.lease_seconds();
        if self.lease.held_until.load(Ordering::Relaxed) > now + ttl / 2 {
            return Ok(LeaseCheck::Held);
        }
        if self.held_elsewhere(self.read(stored)?, now) {
            self.lease.held_until.store(0, Ordering::Relaxed);
            return Ok(LeaseCheck::Elsewhere);
        }
        Ok(LeaseCheck::Take { until: now + ttl })
    }

    /// Inside housekeeping's first transaction (so that taking or renewing
    /// the lease costs no commit of its own): write this engine's lease row
    /// until `until`, unless another live process took it meanwhile.
    /// Returns whether the lease is this engine's.
    pub(crate) fn take_lease_in(&self, txn: &dyn Writes, until: u64) -> Result<bool> {
        if self.held_elsewhere(stored(txn)?, self.now()) {
            return Ok(false);
        }
        let row = format!("{:016x} {until}", self.lease.holder);
        txn.set_meta(LEASE_ROW, &row)?;
        Ok(true)
    }

    /// After the transaction that ran [`Core::take_lease_in`] committed:
    /// the lease is held until `until`, or (`None`) not at all.
    pub(crate) fn lease_taken(&self, until: Option<u64>) {
        self.lease
            .held_until
            .store(until.unwrap_or(0), Ordering::Relaxed);
    }

    fn held_elsewhere(&self, row: Option<(u64, u64)>, now: u64) -> bool {
        row.is_some_and(|(holder, expires_at)| holder != self.lease.holder && expires_at > now)
    }

    /// Give the lease up (on close), so that another process takes over at
    /// its next run instead of after the expiry.
    pub(crate) fn release_housekeeping_lease(&self) -> Result<()> {
        let lease = &self.lease;
        if lease.held_until.swap(0, Ordering::Relaxed) == 0 {
            return Ok(());
        }
        self.write(|txn| {
            if stored(txn)?.is_some_and(|(holder, _)| holder == lease.holder) {
                txn.remove_meta(LEASE_ROW)?;
            }
            Ok(())
        })
    }
}
