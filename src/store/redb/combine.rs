//! Write combining: concurrent callers of one process put their changes in
//! one redb write transaction and one durable commit.
//!
//! redb runs one write transaction at a time (across every process in the
//! multi-process mode), and a durable commit costs an fsync or two, so
//! writers that arrive together would otherwise queue for a commit each.
//! Here the first caller leads: it opens the transaction and runs its own
//! change; callers arriving meanwhile hand theirs to it and sleep, and the
//! leader runs them one after another in the same transaction on its own
//! thread (flat combining: no thread switch between two changes, which on
//! a busy host costs as much as a change); the leader then publishes every
//! changed key and commits once, and every member returns with that commit.
//!
//! One caller's failure must not undo another's, and redb cannot roll
//! back part of a transaction (savepoints need a clean one). So a change
//! that fails (or panics) spoils its batch: the leader aborts it, and every
//! member runs its change again, alone, in a transaction of its own — which
//! is why combined changes are `FnMut` and must not touch state outside the
//! transaction. Failures are the rare path (a version conflict, a session
//! that expired), so this costs nothing when it matters.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use redb::{Durability, WriteTransaction};

use super::open_files::Store;
use crate::error::{Error, Result};
use crate::processes::quiet_panic;
use crate::store::changes::{Changed, take_changed};
use crate::store::coherence::publish;
use crate::store::{CommitSettings, Stored};

/// Longest a leader waits for the process's other writers to join before
/// it commits.
const MAX_GATHER: Duration = Duration::from_millis(2);

/// The batch being gathered, if any, and how many callers are on their
/// way to it.
#[derive(Default)]
pub(crate) struct Combiner {
    open: Mutex<Option<Arc<Batch>>>,
    /// Callers inside `write_combined`: joining, running, waiting for a
    /// commit, or redoing alone.
    active: AtomicUsize,
    /// Durable commits of batches made so far.
    durable_commits: AtomicU64,
}

impl Combiner {
    /// Durable commits of batches made so far (each one fsync, whatever
    /// the number of callers it served).
    pub(crate) fn durable_commits(&self) -> u64 {
        self.durable_commits.load(Ordering::Relaxed)
    }
}

/// What became of a batch.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Committed: every member's change is stored.
    Committed,
    /// Aborted (a member's change failed, or the commit did): each member
    /// runs its change again on its own.
    Redo,
}

/// A member's change handed to the leader: runs the caller's closure on
/// the shared transaction, keeps its result for the caller, and says
/// whether it succeeded.
type Change<'a> = dyn FnMut(&WriteTransaction) -> bool + Send + 'a;

/// A [`Change`] with its lifetime erased, so that it can wait in a batch.
///
/// Sound because its owner — a member — touches neither the closure nor
/// what it captures until [`Batch::wait`] returns, and `wait` returns only
/// after the leader decided the batch, which it does only once it has run
/// (or dropped) every queued change.
struct Queued(*mut Change<'static>);

// SAFETY: the closure behind the pointer is `Send`, and only the leader
// calls it, while its owner waits for the decision (see above).
unsafe impl Send for Queued {}

/// `f` as a [`Change`]: its result is kept in `out` for its caller.
fn as_change<'a, T: Send>(
    f: &'a mut (impl FnMut(&WriteTransaction) -> Result<T> + Send),
    out: &'a mut Option<Result<T>>,
) -> impl FnMut(&WriteTransaction) -> bool + Send + 'a {
    move |txn| {
        let result = f(txn);
        let succeeded = result.is_ok();
        *out = Some(result);
        succeeded
    }
}

/// One shared transaction's bookkeeping: the changes handed to the leader
/// and what became of them.
struct Batch {
    /// Changes waiting for the leader to run them.
    queue: Mutex<Vec<Queued>>,
    /// Callers whose change is in the batch (queued or run), the leader
    /// included.
    members: AtomicUsize,
    changed: Mutex<Vec<Changed>>,
    spoiled: AtomicBool,
    outcome: Mutex<Option<Outcome>>,
    decided: Condvar,
}

impl Batch {
    fn new() -> Self {
        Batch {
            queue: Mutex::new(Vec::new()),
            members: AtomicUsize::new(1),
            changed: Mutex::new(Vec::new()),
            spoiled: AtomicBool::new(false),
            outcome: Mutex::new(None),
            decided: Condvar::new(),
        }
    }

    /// Run one change in the shared transaction; a failure or a panic
    /// spoils the batch.
    fn run(&self, txn: &WriteTransaction, change: &mut Change<'_>) {
        if self.spoiled.load(Ordering::Acquire) {
            return; // every member redoes its change alone anyway
        }
        take_changed(); // nothing left over from a change that panicked
        let succeeded = quiet_panic::catch(|| change(txn)).unwrap_or(false);
        let changed = take_changed();
        match succeeded {
            true => self.changed.lock().extend(changed),
            false => self.spoiled.store(true, Ordering::Release),
        }
    }

    /// Hand a member's change to the leader.
    fn enqueue(&self, change: &mut Change<'_>) {
        // SAFETY: only the lifetime changes (see `Queued`).
        let change: &mut Change<'static> = unsafe { std::mem::transmute(change) };
        self.members.fetch_add(1, Ordering::SeqCst);
        self.queue.lock().push(Queued(change));
    }

    /// Run every change handed over so far, in the order they came.
    fn run_queued(&self, txn: &WriteTransaction) {
        loop {
            let queued = std::mem::take(&mut *self.queue.lock());
            if queued.is_empty() {
                return;
            }
            for Queued(change) in queued {
                // SAFETY: its owner waits for `decide` (see `Queued`).
                self.run(txn, unsafe { &mut *change });
            }
        }
    }

    fn decide(&self, outcome: Outcome) {
        *self.outcome.lock() = Some(outcome);
        self.decided.notify_all();
    }

    fn wait(&self) -> Outcome {
        let mut outcome = self.outcome.lock();
        loop {
            if let Some(outcome) = *outcome {
                return outcome;
            }
            self.decided.wait(&mut outcome);
        }
    }
}

/// Counts a caller out of `write_combined`.
struct Leaving<'a>(&'a AtomicUsize);

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Tells the members to redo their changes if the leader leaves without
/// deciding (it panicked).
struct DecideOnDrop<'a>(&'a Batch);

impl Drop for DecideOnDrop<'_> {
    fn drop(&mut self) {
        if self.0.outcome.lock().is_none() {
            self.0.decide(Outcome::Redo);
        }
    }
}

impl Store {
    /// [`Store::write`] for a change that may share its transaction and
    /// commit with concurrent callers' (see the module). `f` may run more
    /// than once, and on the leader's thread: it must change nothing but the
    /// transaction.
    pub(crate) fn write_combined<T: Send>(
        &self,
        settings: CommitSettings,
        mut f: impl FnMut(&WriteTransaction) -> Result<T> + Send,
    ) -> Result<(T, Stored)> {
        self.writable()?;
        self.combiner.active.fetch_add(1, Ordering::SeqCst);
        let _leaving = Leaving(&self.combiner.active);
        match self.contain(|| self.combine(settings, &mut f))? {
            Some(stored) => Ok(stored),
            None => self.write(settings, &mut f).map(|out| (out, Stored::Led)),
        }
    }

    /// Lead or join a batch. `None`: the batch was aborted, run `f` alone.
    fn combine<T: Send>(
        &self,
        settings: CommitSettings,
        f: &mut (impl FnMut(&WriteTransaction) -> Result<T> + Send),
    ) -> Result<Option<(T, Stored)>> {
        let combiner = &self.combiner;
        let mut open = combiner.open.lock();
        if open
            .as_ref()
            .is_some_and(|batch| batch.outcome.lock().is_some())
        {
            // Decided but still open: its leader unwound (`DecideOnDrop`).
            *open = None;
        }
        if let Some(batch) = open.clone() {
            let mut out = None;
            batch.enqueue(&mut as_change(f, &mut out));
            drop(open);
            return match (batch.wait(), out) {
                (Outcome::Committed, Some(out)) => out.map(|out| Some((out, Stored::RodeAlong))),
                // Aborted, or (never) committed without it: alone, then.
                _ => Ok(None),
            };
        }
        // Lead: callers arriving while redb's lock is awaited queue on
        // `open` and join once the batch is published.
        let txn = self.begin_combined(settings)?;
        let batch = Arc::new(Batch::new());
        let _decided = DecideOnDrop(&batch);
        let mut out = None;
        batch.run(&txn, &mut as_change(f, &mut out));
        let out = match out {
            Some(Ok(out)) => out,
            Some(Err(error)) => {
                // Alone so far: aborting undoes this change only.
                batch.decide(Outcome::Redo);
                return Err(error);
            }
            None => {
                // It panicked: redone alone, as a member's would be, where
                // a panic that recurs is contained as damage.
                batch.decide(Outcome::Redo);
                return Ok(None);
            }
        };
        *open = Some(Arc::clone(&batch));
        drop(open);
        // Run the changes of the other writers of this process — queued on
        // `open`, or still on their way back from the last commit — as
        // they join.
        let deadline = Instant::now() + MAX_GATHER;
        loop {
            batch.run_queued(&txn);
            if combiner.active.load(Ordering::SeqCst) <= batch.members.load(Ordering::SeqCst)
                || Instant::now() >= deadline
            {
                break;
            }
            std::thread::yield_now();
        }
        // Closed: nobody joins after this; run who joined meanwhile.
        combiner.open.lock().take();
        batch.run_queued(&txn);
        if batch.spoiled.load(Ordering::Acquire) {
            batch.decide(Outcome::Redo);
            return Ok(None);
        }
        let changed = std::mem::take(&mut *batch.changed.lock());
        let publication = publish(&self.region, &changed);
        let committed = txn.commit();
        drop(publication);
        match committed {
            Ok(()) => {
                if self.multi_process || settings.durable_commits {
                    combiner.durable_commits.fetch_add(1, Ordering::Relaxed);
                }
                batch.decide(Outcome::Committed);
                Ok(Some((out, Stored::Led)))
            }
            Err(e) => {
                batch.decide(Outcome::Redo);
                Err(e.into())
            }
        }
    }

    /// A write transaction as durable as a solo commit would be.
    fn begin_combined(&self, settings: CommitSettings) -> Result<WriteTransaction> {
        let mut txn = self.db.begin_write()?;
        if !self.multi_process {
            if settings.durable_commits {
                txn.set_quick_repair(settings.quick_repair);
            } else {
                txn.set_durability(Durability::None)
                    .map_err(|e| Error::Storage(e.into()))?;
            }
        }
        Ok(txn)
    }
}

#[cfg(test)]
mod tests {
    use redb::{ReadableDatabase, TableDefinition};

    use super::*;
    use crate::store::FileOptions;
    use crate::store::redb::open::open_file;

    const CELLS: TableDefinition<u64, u64> = TableDefinition::new("test_cells");

    const DURABLE: CommitSettings = CommitSettings {
        durable_commits: true,
        quick_repair: false,
    };

    /// The cells the concurrent tests write: 40 for each of 8 threads.
    fn cells_of(thread: u64) -> impl Iterator<Item = u64> {
        (0..40).map(move |i| thread * 1000 + i)
    }

    fn all_cells() -> impl Iterator<Item = u64> {
        (0..8).flat_map(cells_of)
    }

    /// Write every cell at once from 8 threads, each calling `write` for
    /// its own cells one after another, on its own thread.
    fn write_cells_from_threads(write: impl Fn(u64) + Sync) {
        std::thread::scope(|scope| {
            for thread in 0..8 {
                let write = &write;
                scope.spawn(move || cells_of(thread).for_each(write));
            }
        });
    }

    fn store(dir: &tempfile::TempDir, multi_process: bool) -> Arc<Store> {
        let options = FileOptions {
            multi_process,
            create_missing: true,
            create_in_empty: true,
            cache_size: 1 << 20,
            settings: DURABLE,
            now: 1,
        };
        open_file(&dir.path().join("combine.redb"), &options).expect("open")
    }

    /// Threads write cells at once; every third change writes its cell and
    /// then fails. No failed change is ever stored, every other one is,
    /// and some rode in another's commit.
    #[test]
    fn a_change_that_fails_after_writing_spoils_only_itself() {
        for multi_process in [false, true] {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = store(&dir, multi_process);
            let rode = AtomicUsize::new(0);
            write_cells_from_threads(|cell| {
                let fails = cell % 3 == 0;
                let mut runs = 0;
                let out = store.write_combined(DURABLE, |txn| {
                    runs += 1;
                    txn.open_table(CELLS)?.insert(cell, runs)?;
                    if fails {
                        return Err(Error::Closed);
                    }
                    Ok(())
                });
                match out {
                    Ok(((), Stored::RodeAlong)) => {
                        rode.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(((), Stored::Led)) => {}
                    Err(Error::Closed) => assert!(fails),
                    Err(other) => panic!("{other}"),
                }
            });
            let read = store.db.begin_read().expect("read");
            let cells = read.open_table(CELLS).expect("table");
            for cell in all_cells() {
                let stored = cells.get(cell).expect("get").is_some();
                assert_eq!(stored, cell % 3 != 0, "cell {cell}");
            }
            assert!(rode.load(Ordering::Relaxed) > 0, "nothing was combined");
        }
    }

    /// Some changes write a wrong value and then panic whenever the leader
    /// runs them. The leader survives, nothing a panicking change wrote is
    /// stored, each panicked change is run again by its owner, and every
    /// cell ends up right with the file writable.
    #[test]
    fn a_change_that_panics_spoils_its_batch_and_is_redone_by_its_caller() {
        for multi_process in [false, true] {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = store(&dir, multi_process);
            let handed_over = AtomicUsize::new(0);
            write_cells_from_threads(|cell| {
                let own = std::thread::current().id();
                let out = store.write_combined(DURABLE, |txn| {
                    if cell % 5 == 0 && std::thread::current().id() != own {
                        txn.open_table(CELLS)?.insert(cell, u64::MAX)?;
                        handed_over.fetch_add(1, Ordering::Relaxed);
                        panic!("a change run by the leader");
                    }
                    txn.open_table(CELLS)?.insert(cell, cell)?;
                    Ok(())
                });
                out.expect("stored");
            });
            assert!(
                handed_over.load(Ordering::Relaxed) > 0,
                "no panicking change was handed over"
            );
            store
                .write(DURABLE, |txn| {
                    txn.open_table(CELLS)?.insert(9999, 1)?;
                    Ok(())
                })
                .expect("still writable");
            let read = store.db.begin_read().expect("read");
            let cells = read.open_table(CELLS).expect("table");
            for cell in all_cells() {
                let stored = cells.get(cell).expect("get").map(|v| v.value());
                assert_eq!(stored, Some(cell), "cell {cell}");
            }
        }
    }

    /// A lone caller leads its own batch; its change writes a wrong value
    /// and panics the first time. The batch is aborted and the change run
    /// again alone, as a member's would be, instead of the panic being
    /// taken for a damaged file.
    #[test]
    fn a_leaders_own_change_that_panics_once_is_redone_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir, false);
        let mut runs = 0;
        let out = store.write_combined(DURABLE, |txn| {
            runs += 1;
            txn.open_table(CELLS)?.insert(1, u64::MAX)?;
            if runs == 1 {
                panic!("a change that panics once");
            }
            txn.open_table(CELLS)?.insert(1, 1)?;
            Ok(())
        });
        assert!(matches!(out, Ok(((), Stored::Led))), "{out:?}");
        assert_eq!(runs, 2);
        let read = store.db.begin_read().expect("read");
        let cells = read.open_table(CELLS).expect("table");
        assert_eq!(cells.get(1).expect("get").map(|v| v.value()), Some(1));
    }
}
