//! The database files this process has open, by device and inode, so that
//! a second open of a file — by the same path, another path or a hard link
//! — shares the first one's redb handle and shared region instead of being
//! refused by redb's lock.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use redb::Database;

use crate::config::Concurrency;
use crate::error::{OpenError, Result};
use crate::group_commit::GroupCommit;
use crate::processes::fork::ProcessStamp;
use crate::processes::shared_memory::SharedMemory;

/// One open database file, shared by every engine on it in this process.
pub(crate) struct Store {
    pub db: Database,
    /// The change counter and log every handle on the file follows.
    pub region: SharedMemory,
    /// Where this process's durable writers meet to share an fsync.
    pub group_commit: GroupCommit,
    /// Whether other processes may have the file open (redb's
    /// `MultiWriter`): every commit is then durable on its own.
    pub multi_process: bool,
    /// The process that opened it.
    pub stamp: ProcessStamp,
}

/// (device, inode) → the store open on that file.
static OPEN: Mutex<Option<HashMap<(u64, u64), Weak<Store>>>> = Mutex::new(None);

/// `(device, inode)` of a file that exists and is not empty.
fn identity(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    (meta.len() > 0).then(|| (meta.dev(), meta.ino()))
}

/// The store open on `path` in this process, or a new one opened with
/// `open_db`.
pub(crate) fn open_store(
    path: &Path,
    concurrency: Concurrency,
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
    let db = open_db(path)?;
    let multi_process = concurrency == Concurrency::MultiProcess;
    let region = if multi_process {
        SharedMemory::beside(path).map_err(OpenError::Io)?
    } else {
        SharedMemory::private()
    };
    let store = Arc::new(Store {
        db,
        region,
        group_commit: GroupCommit::default(),
        multi_process,
        stamp,
    });
    let meta = std::fs::metadata(path).map_err(OpenError::Io)?;
    let mut open = OPEN.lock();
    let open = open.get_or_insert_with(HashMap::new);
    open.retain(|_, store| store.strong_count() > 0);
    open.insert((meta.dev(), meta.ino()), Arc::downgrade(&store));
    Ok(store)
}
