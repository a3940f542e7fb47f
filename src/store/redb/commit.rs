//! How the file is written and read: one write transaction per call, made
//! durable on its own (other processes share the file) or through the
//! group commit (this process alone), each commit's changed records
//! announced to every handle on the file before it commits (see
//! `store::coherence`), and any sign of damage turned into an error that
//! stops further writes.

use std::cell::Cell;

use redb::{Durability, ReadTransaction, ReadableDatabase, WriteTransaction};

use super::group_commit::GroupCommit;
use super::open_files::Store;
use crate::error::{Error, Result};
use crate::processes::quiet_panic;
use crate::store::CommitSettings;
use crate::store::changes::take_changed;
use crate::store::coherence::publish;

thread_local! {
    /// While housekeeping runs on this thread, the ticket of its last
    /// commit (`Some(0)` before the first); `None` otherwise.
    static DEFERRED_SYNC: Cell<Option<u64>> = const { Cell::new(None) };
}

thread_local! {
    /// The last deferred ticket, handed from [`Deferring`]'s drop to the
    /// sync after it.
    static LAST_DEFERRED: Cell<u64> = const { Cell::new(0) };
}

/// Ends a thread's deferred-sync section when dropped, on return or unwind.
struct Deferring;

impl Drop for Deferring {
    fn drop(&mut self) {
        let last = DEFERRED_SYNC.with(|d| d.replace(None)).unwrap_or(0);
        LAST_DEFERRED.with(|l| l.set(last));
    }
}

/// Gives up a writer's place in the group commit when dropped, which only
/// happens when its transaction unwinds; the normal paths `forget` it.
struct InFlight<'a>(&'a GroupCommit);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.abandoned();
    }
}

/// How [`Store::commit_one`] commits.
#[derive(Clone, Copy)]
enum Commit {
    /// Durable, with the file shared by other processes.
    Durable,
    /// Durable, by a writer alone in the group commit.
    Alone,
    /// Without fsync; the group commit makes it durable.
    Lazy,
}

impl Store {
    /// Run `f` in one write transaction and commit it; when `f` or the
    /// commit fails nothing is written. With durable commits the call
    /// returns once the commit is on disk, sharing the fsync with
    /// concurrent writers (see `group_commit`); should that fsync fail, the
    /// error is returned although the commit is visible (and will be made
    /// durable by the next successful sync).
    pub(crate) fn write<T>(
        &self,
        settings: CommitSettings,
        f: impl FnOnce(&WriteTransaction) -> Result<T>,
    ) -> Result<T> {
        self.writable()?;
        self.contain(|| self.write_contained(settings, f))
    }

    /// Refuse writes to a file found damaged.
    pub(crate) fn writable(&self) -> Result<()> {
        match self.damage() {
            Some(damage) => Err(Error::Corrupt {
                table: "(file)",
                detail: format!(
                    "writes stopped, the file is left as found for repair or restore: {damage}"
                ),
            }),
            None => Ok(()),
        }
    }

    fn write_contained<T>(
        &self,
        settings: CommitSettings,
        f: impl FnOnce(&WriteTransaction) -> Result<T>,
    ) -> Result<T> {
        if self.multi_process {
            // Other processes share the file: redb refuses non-durable
            // commits, so each transaction is durable on its own.
            let (out, _) = self.commit_one(settings, f, Commit::Durable)?;
            return Ok(out);
        }
        let group_commit = &self.group_commit;
        let durable = settings.durable_commits;
        let deferring = DEFERRED_SYNC.with(Cell::get).is_some();
        let alone = group_commit.begin() && durable && !deferring;
        // Leaves the writer's place in the group even if `f` panics.
        let in_flight = InFlight(group_commit);
        let commit = if alone { Commit::Alone } else { Commit::Lazy };
        let committed = self.commit_one(settings, f, commit);
        std::mem::forget(in_flight);
        let Ok((out, covered)) = committed else {
            group_commit.abandoned();
            return committed.map(|(out, _)| out);
        };
        if alone {
            group_commit.committed_durably(covered);
            return Ok(out);
        }
        let ticket = group_commit.committed();
        if durable {
            if deferring {
                DEFERRED_SYNC.with(|last| last.set(Some(ticket)));
            } else {
                group_commit.wait_durable(&self.db, settings.quick_repair, ticket)?;
            }
        }
        Ok(out)
    }

    /// Run `f`, whose writes (GC batches) commit without waiting for an
    /// fsync each, then wait once for a durable commit covering them all.
    /// Batches of housekeeping need no durability of their own: if the
    /// process dies first, what they deleted is still expired on read.
    pub(crate) fn with_deferred_sync<T>(
        &self,
        settings: CommitSettings,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        if self.multi_process || DEFERRED_SYNC.with(Cell::get).is_some() {
            // Every commit is durable already, or the outer call syncs.
            return f();
        }
        DEFERRED_SYNC.with(|last| last.set(Some(0)));
        // Ends deferring on this thread even if `f` panics.
        let deferring = Deferring;
        let result = f();
        drop(deferring);
        let last = LAST_DEFERRED.with(|last| last.replace(0));
        if last > 0 {
            self.group_commit
                .wait_durable(&self.db, settings.quick_repair, last)?;
        }
        result
    }

    /// One transaction; returns `f`'s result and, for [`Commit::Alone`],
    /// how many group commits its durable commit covers. The records it
    /// changed are announced to every handle on the file, this engine
    /// included, before the commit (see `store::coherence`).
    fn commit_one<T>(
        &self,
        settings: CommitSettings,
        f: impl FnOnce(&WriteTransaction) -> Result<T>,
        commit: Commit,
    ) -> Result<(T, u64)> {
        let mut txn = self.db.begin_write()?;
        let covered = match commit {
            Commit::Alone => self.group_commit.counted(),
            Commit::Durable | Commit::Lazy => 0,
        };
        match commit {
            Commit::Alone => txn.set_quick_repair(settings.quick_repair),
            Commit::Lazy => txn
                .set_durability(Durability::None)
                .map_err(|e| Error::Storage(e.into()))?,
            Commit::Durable => {}
        }
        take_changed(); // nothing left over from a transaction that panicked
        let out = match f(&txn) {
            Ok(out) => out,
            Err(e) => {
                take_changed();
                txn.abort()?;
                return Err(e);
            }
        };
        let changed = take_changed();
        let publication = publish(&self.region, &changed);
        let committed = txn.commit();
        // Ending the ticket is what makes this engine, like every other
        // handle on the file, drop the changed records at its next lookup.
        drop(publication);
        committed?;
        Ok((out, covered))
    }

    /// Run `f` in one read transaction (a consistent snapshot).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&ReadTransaction) -> Result<T>) -> Result<T> {
        self.contain(|| f(&self.db.begin_read()?))
    }

    /// Make every earlier commit durable (at close, after commits made
    /// without fsync).
    pub(crate) fn sync(&self, settings: CommitSettings) -> Result<()> {
        if self.multi_process || settings.durable_commits || self.damage().is_some() {
            return Ok(());
        }
        // An empty durable commit persists every earlier non-durable one.
        self.contain(|| {
            let mut txn = self.db.begin_write()?;
            txn.set_quick_repair(settings.quick_repair);
            Ok(txn.commit()?)
        })
    }

    /// Run `f`, which uses the file: a panic in the storage engine, its
    /// report of corruption, and a record failing its checksum all become
    /// [`Error::Corrupt`] and stop every further write to the file.
    pub(crate) fn contain<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        quiet_panic::contained(f).map_err(|error| match error {
            Error::Storage(redb::Error::Corrupted(detail)) => {
                self.mark_damaged(&detail);
                Error::Corrupt {
                    table: "(storage)",
                    detail,
                }
            }
            Error::Corrupt { table, detail } => {
                self.mark_damaged(&format!("table {table}: {detail}"));
                Error::Corrupt { table, detail }
            }
            other => other,
        })
    }
}
