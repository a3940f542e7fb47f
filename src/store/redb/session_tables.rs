//! The four session tables opened once, so that a batch (a GC batch, a
//! flush of touches) opens each table once rather than once per record.
//!
//! The activity row is filed lazily (see `TimeIndex::SessionActivity`): a
//! session's row is written when the session is stored, and only GC moves
//! or deletes it. A save or a touch then rewrites the record alone, not two
//! more paths of `sessions_by_activity` (a save writes 9 pages instead of
//! 16). A deleted session's row goes with it when it is found where it
//! was filed; otherwise GC drops it when it reaches it.

use redb::{Key, ReadableTable, Table, Value, WriteTransaction};

use super::tables::{SESSIONS, SESSIONS_BY_ACTIVITY, SESSIONS_BY_CREATED, SESSIONS_BY_USER};
use crate::error::Result;
use crate::secret::Digest;
use crate::store::changes::{Changed, note_changed};
use crate::store::record::{SessionRecord, decode_session, encode};

pub(crate) struct SessionTables<'t> {
    records: Table<'t, Digest, &'static [u8]>,
    by_activity: Table<'t, (u64, Digest), ()>,
    by_created: Table<'t, (u64, Digest), ()>,
    by_user: Table<'t, (u64, Digest), ()>,
}

impl<'t> SessionTables<'t> {
    pub(crate) fn open(txn: &'t WriteTransaction) -> Result<Self> {
        Ok(Self {
            records: txn.open_table(SESSIONS)?,
            by_activity: txn.open_table(SESSIONS_BY_ACTIVITY)?,
            by_created: txn.open_table(SESSIONS_BY_CREATED)?,
            by_user: txn.open_table(SESSIONS_BY_USER)?,
        })
    }

    pub(crate) fn get(&self, digest: &Digest) -> Result<Option<SessionRecord>> {
        let bytes = self.records.get(digest)?;
        bytes.map(|bytes| decode_session(bytes.value())).transpose()
    }

    /// Store a record and all its index rows.
    pub(crate) fn insert(&mut self, digest: &Digest, record: &SessionRecord) -> Result<()> {
        note_changed(Changed::Session(*digest));
        self.records.insert(digest, encode(record)?.as_slice())?;
        self.by_activity
            .insert((record.last_activity, *digest), ())?;
        self.by_created.insert((record.created_at, *digest), ())?;
        if let Some(user) = record.user_id {
            self.by_user.insert((user, *digest), ())?;
        }
        Ok(())
    }

    /// Delete a record and its index rows. Its activity row goes too when
    /// it is still where it was filed, at the session's last activity or
    /// creation (a visitor who logs in: next to the new session's row, so
    /// no more pages); one GC moved elsewhere is left for GC to drop.
    pub(crate) fn remove(&mut self, digest: &Digest, record: &SessionRecord) -> Result<()> {
        note_changed(Changed::Session(*digest));
        self.records.remove(digest)?;
        let filed = self
            .by_activity
            .remove((record.last_activity, *digest))?
            .is_some();
        if !filed && record.created_at != record.last_activity {
            self.by_activity.remove((record.created_at, *digest))?;
        }
        self.by_created.remove((record.created_at, *digest))?;
        if let Some(user) = record.user_id {
            self.by_user.remove((user, *digest))?;
        }
        Ok(())
    }

    /// Delete a batch of GC's records and their index rows but for their
    /// activity rows, which GC drops by range itself. Records and creation
    /// rows of sessions started together lie side by side (see
    /// `session::id`), so most of a batch goes in range removals.
    pub(crate) fn remove_many(&mut self, doomed: &[(Digest, SessionRecord)]) -> Result<()> {
        let mut digests: Vec<Digest> = doomed.iter().map(|(digest, _)| *digest).collect();
        digests.sort_unstable();
        remove_sorted(&mut self.records, &digests, |a, b| a[..4] == b[..4])?;
        let mut created: Vec<(u64, Digest)> = doomed
            .iter()
            .map(|(digest, record)| (record.created_at, *digest))
            .collect();
        created.sort_unstable();
        remove_sorted(&mut self.by_created, &created, |a, b| a.0 == b.0)?;
        for (digest, record) in doomed {
            note_changed(Changed::Session(*digest));
            if let Some(user) = record.user_id {
                self.by_user.remove((user, *digest))?;
            }
        }
        Ok(())
    }

    /// Replace a record, moving only the index rows whose keys changed; the
    /// activity row stays where it was filed.
    pub(crate) fn replace(
        &mut self,
        digest: &Digest,
        old: &SessionRecord,
        new: &SessionRecord,
    ) -> Result<()> {
        note_changed(Changed::Session(*digest));
        self.records.insert(digest, encode(new)?.as_slice())?;
        if old.created_at != new.created_at {
            self.by_created.remove((old.created_at, *digest))?;
            self.by_created.insert((new.created_at, *digest), ())?;
        }
        if old.user_id != new.user_id {
            if let Some(user) = old.user_id {
                self.by_user.remove((user, *digest))?;
            }
            if let Some(user) = new.user_id {
                self.by_user.insert((user, *digest), ())?;
            }
        }
        Ok(())
    }
}

/// Runs shorter than this are removed key by key.
const MIN_RUN: usize = 16;

/// Remove the sorted `keys` from `table`. A run of neighbours (`near`)
/// that makes up at least half of the rows between its ends goes in one
/// range removal, which rewrites each leaf once rather than once a row
/// (GC of 100k of 1M: 636 → 515 ms); the rest go one by one, so that a
/// spread batch never walks the rows between its keys.
fn remove_sorted<K, V, T>(
    table: &mut Table<'_, K, V>,
    keys: &[T],
    near: impl Fn(&T, &T) -> bool,
) -> Result<()>
where
    K: for<'f> Key<SelfType<'f> = T> + 'static,
    V: Value + 'static,
    T: Ord + Copy,
{
    for run in keys.chunk_by(|a, b| near(a, b)) {
        let (first, last) = (run[0], run[run.len() - 1]);
        let dense = run.len() >= MIN_RUN
            && table.range(first..=last)?.take(2 * run.len() + 1).count() <= 2 * run.len();
        if dense {
            table.retain_in(first..=last, |key, _| run.binary_search(&key).is_err())?;
        } else {
            for key in run {
                table.remove(key)?;
            }
        }
    }
    Ok(())
}
