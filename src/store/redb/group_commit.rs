//! Group commit: concurrent durable writers share one fsync.
//!
//! Every write transaction commits with `Durability::None` (no fsync, a few
//! microseconds), then waits until a durable commit made *after* it has
//! returned. One waiter at a time becomes the leader and makes that durable
//! commit — an empty transaction with `Durability::Immediate`, which redb
//! guarantees persists every earlier non-durable commit. Writers that commit
//! while the leader syncs are covered by the next round, so under load one
//! fsync serves a whole queue of callers, and "returned means durable" still
//! holds for each: nobody returns before a durable commit that followed its
//! own. After a crash the file rolls back to the last durable commit, which
//! only ever drops writes whose callers had not returned yet.

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use redb::{Database, Durability};

use crate::error::{Error, Result};

/// Longest a leader waits for writers still inside their transaction
/// before it syncs without them.
const MAX_GATHER: Duration = Duration::from_millis(2);

/// Sequence numbers of commits made and commits known durable.
#[derive(Default)]
struct State {
    /// Writers between `begin` and their commit (or abort).
    in_flight: u64,
    /// Writers that left `in_flight` so far (committed or abandoned).
    finished: u64,
    /// Non-durable commits counted so far (each writer takes the next number).
    committed: u64,
    /// Every commit numbered up to this one is durable.
    durable: u64,
    /// A leader is making a durable commit now.
    syncing: bool,
    /// Durable commits made (each serving one or more writers).
    syncs: u64,
}

/// The rendezvous of writers waiting for durability.
#[derive(Default)]
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    synced: Condvar,
    drained: Condvar,
}

impl GroupCommit {
    /// A writer is about to begin its transaction. True when it is alone
    /// (no other writer in flight, none waiting for a sync, no sync under
    /// way): it then commits durably itself, one fsync, instead of joining
    /// a group.
    pub(crate) fn begin(&self) -> bool {
        let mut state = self.state.lock();
        state.in_flight += 1;
        state.in_flight == 1 && !state.syncing && state.durable >= state.committed
    }

    /// Commits counted so far. Read by a lone writer once it holds the write
    /// lock: each of them committed before its own durable commit will.
    pub(crate) fn counted(&self) -> u64 {
        self.state.lock().committed
    }

    /// A lone writer's durable commit returned: it made every commit
    /// counted before it (`covered`) durable as well, and its own. When no
    /// commit was counted since, its own number is durable too, so the next
    /// writer can be alone again.
    pub(crate) fn committed_durably(&self, covered: u64) {
        let mut state = self.state.lock();
        self.finish(&mut state);
        let nothing_since = state.committed == covered;
        state.committed += 1;
        let durable_now = if nothing_since {
            state.committed
        } else {
            covered
        };
        state.durable = state.durable.max(durable_now);
        state.syncs += 1;
        self.synced.notify_all();
    }

    /// A writer's transaction ended without a commit.
    pub(crate) fn abandoned(&self) {
        self.finish(&mut self.state.lock());
    }

    /// A writer left `in_flight`; wake a leader gathering writers.
    fn finish(&self, state: &mut State) {
        state.in_flight -= 1;
        state.finished += 1;
        self.drained.notify_all();
    }

    /// A writer's non-durable commit just returned; its ticket.
    pub(crate) fn committed(&self) -> u64 {
        let mut state = self.state.lock();
        self.finish(&mut state);
        state.committed += 1;
        state.committed
    }

    /// Durable commits made so far.
    pub(crate) fn syncs(&self) -> u64 {
        self.state.lock().syncs
    }

    /// Return once the commit with `ticket` is durable, leading a durable
    /// commit (recording the allocator state when `quick_repair`) when
    /// nobody else is.
    pub(crate) fn wait_durable(
        &self,
        db: &Database,
        quick_repair: bool,
        ticket: u64,
    ) -> Result<()> {
        let mut state = self.state.lock();
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.syncing {
                self.synced.wait(&mut state);
                continue;
            }
            // Lead: let the writers already inside a transaction finish, so
            // one fsync serves them too (writers arriving later wait for the
            // next round); every commit numbered by the time the durable
            // commit begins is covered by it.
            state.syncing = true;
            let gathered = state.finished + state.in_flight;
            let deadline = Instant::now() + MAX_GATHER;
            while state.finished < gathered && Instant::now() < deadline {
                self.drained.wait_until(&mut state, deadline);
            }
            let target = state.committed;
            drop(state);
            let result = durable_commit(db, quick_repair);
            state = self.state.lock();
            state.syncing = false;
            if result.is_ok() {
                state.durable = state.durable.max(target);
                state.syncs += 1;
            }
            self.synced.notify_all();
            // On failure each waiter tries again as leader, and this one
            // reports the error to its caller.
            result?;
        }
    }
}

/// An empty transaction committed with `Durability::Immediate`; with
/// `quick_repair` it records the allocator state, so a crash after it needs
/// no full repair.
fn durable_commit(db: &Database, quick_repair: bool) -> Result<()> {
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)
        .map_err(|e| Error::Storage(e.into()))?;
    txn.set_quick_repair(quick_repair);
    txn.commit()?;
    Ok(())
}
