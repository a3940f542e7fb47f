//! The database files this process has open, by device and inode, so that
//! a second open of a file — by the same path, another path or a hard link
//! — shares the first one's redb handle and shared region instead of being
//! refused by redb's lock.

use std::collections::HashMap;
use std::mem::ManuallyDrop;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, Weak};

use parking_lot::Mutex;
use redb::Database;

use crate::error::{OpenError, Result};
use crate::processes::fork::ProcessStamp;
use crate::processes::quiet_panic;
use crate::store::redb::combine::Combiner;
use crate::store::redb::group_commit::GroupCommit;
use crate::store::shared_memory::SharedMemory;

/// One open database file, shared by every engine on it in this process.
pub(crate) struct Store {
    /// Dropped by hand: not at all once the file is found damaged (see
    /// [`Store::mark_damaged`]).
    pub db: ManuallyDrop<Database>,
    /// The change counter and log every handle on the file follows.
    pub region: SharedMemory,
    /// Where this process's durable writers meet to share an fsync.
    pub group_commit: GroupCommit,
    /// Where this process's concurrent writers share one transaction.
    pub combiner: Combiner,
    /// Whether other processes may have the file open (redb's
    /// `MultiWriter`): every commit is then durable on its own.
    pub multi_process: bool,
    /// The process that opened it.
    pub stamp: ProcessStamp,
    /// The path it was opened by.
    pub path: PathBuf,
    /// The first sign of damage seen in the file, once there was one.
    damage: OnceLock<String>,
}

impl Store {
    /// Stop writing to the file for good: from now on it is left exactly as
    /// it was found, so that it can be repaired or restored. Reads that
    /// still succeed are served.
    pub(crate) fn mark_damaged(&self, what: &str) {
        let _ = self.damage.set(what.to_owned());
    }

    /// Whether another engine in this process has the file open too.
    pub(crate) fn shared_in_process(self: &Arc<Self>) -> bool {
        Arc::strong_count(self) > 1
    }

    /// What damage was found, if any.
    pub(crate) fn damage(&self) -> Option<&str> {
        self.damage.get().map(String::as_str)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if self.damage().is_some() || !self.stamp.is_current() {
            // redb's close writes to the file (and a child of fork() would
            // release the parent's locks): leave it as it is.
            return;
        }
        // SAFETY: dropped once, here, and never used again.
        let _ = quiet_panic::catch(|| unsafe { ManuallyDrop::drop(&mut self.db) });
    }
}

/// (device, inode) → the store open on that file.
type OpenFiles = HashMap<(u64, u64), Weak<Store>>;

static OPEN: Mutex<Option<OpenFiles>> = Mutex::new(None);

/// `(device, inode)` of a file that exists and is not empty.
fn identity(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    (meta.len() > 0).then(|| (meta.dev(), meta.ino()))
}

/// The store open on `path` in this process, or a new one opened with
/// `open_db`; `multi_process` when other processes may open it too.
pub(crate) fn open_store(
    path: &Path,
    multi_process: bool,
    open_db: impl FnOnce(&Path) -> Result<Database>,
) -> Result<Arc<Store>> {
    let stamp = ProcessStamp::current();
    if let Some(key) = identity(path)
        && let Some(store) = OPEN
            .lock()
            .get_or_insert_with(HashMap::new)
            .get(&key)
            .and_then(Weak::upgrade)
        && store.stamp.is_current()
    {
        return Ok(store);
    }
    // The map is not locked while the file opens (that may take long, and a
    // fork meanwhile would leave the child's copy locked for good).
    let (region, opening) = if multi_process {
        let (region, opening) = SharedMemory::beside(path).map_err(OpenError::Io)?;
        (region, Some(opening))
    } else {
        (SharedMemory::private(), None)
    };
    let db = open_db(path)?;
    drop(opening);
    let store = Arc::new(Store {
        db: ManuallyDrop::new(db),
        region,
        group_commit: GroupCommit::default(),
        combiner: Combiner::default(),
        multi_process,
        stamp,
        path: path.to_path_buf(),
        damage: OnceLock::new(),
    });
    let meta = std::fs::metadata(path).map_err(OpenError::Io)?;
    let mut open = OPEN.lock();
    let open = open.get_or_insert_with(HashMap::new);
    open.retain(|_, store| store.strong_count() > 0);
    open.insert((meta.dev(), meta.ino()), Arc::downgrade(&store));
    Ok(store)
}
