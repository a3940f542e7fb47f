//! Backup and compaction. A backup is a new redb file with every table's
//! rows copied from one read snapshot of the live file: consistent, made
//! while other threads and processes go on reading and writing, and as
//! compact as a fresh import. Compaction writes such a copy beside the file
//! and renames it over it, with the file held exclusively throughout.

use std::path::Path;

use redb::{Database, Durability, Key, ReadTransaction, ReadableTable, TableDefinition, Value};

use crate::config::Concurrency;
use crate::engine::Engine;
use crate::error::{Error, OpenError, Result};
use crate::store::redb::tables::{
    CREDENTIALS, CREDENTIALS_BY_USER, META, REMEMBER, REMEMBER_BY_EXPIRY, REMEMBER_BY_USER,
    SESSIONS, SESSIONS_BY_ACTIVITY, SESSIONS_BY_CREATED, SESSIONS_BY_USER, THROTTLE,
    THROTTLE_BY_WINDOW, TOKENS, TOKENS_BY_CREATED, TOKENS_BY_DIGEST, TOKENS_BY_EXPIRY,
    TOKENS_BY_USER,
};

/// Rows copied per write transaction of the copy.
const ROWS_PER_COMMIT: usize = 50_000;

/// Copy `table` from the snapshot into `to`, in commits of
/// `ROWS_PER_COMMIT` rows; returns how many rows.
fn copy_table<K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &Database,
    table: TableDefinition<K, V>,
) -> Result<u64> {
    let source = from.open_table(table)?;
    let mut rows = source.iter()?;
    let mut copied = 0;
    loop {
        let mut txn = to.begin_write()?;
        txn.set_durability(Durability::None)
            .map_err(|e| Error::Storage(e.into()))?;
        let mut in_batch = 0;
        {
            let mut target = txn.open_table(table)?;
            for row in rows.by_ref() {
                let (key, value) = row?;
                target.insert(key.value(), value.value())?;
                in_batch += 1;
                if in_batch == ROWS_PER_COMMIT {
                    break;
                }
            }
        }
        txn.commit()?;
        copied += in_batch as u64;
        if in_batch < ROWS_PER_COMMIT {
            return Ok(copied);
        }
    }
}

/// Every table, in one snapshot.
fn copy_all(from: &ReadTransaction, to: &Database) -> Result<u64> {
    let mut rows = 0;
    rows += copy_table(from, to, META)?;
    rows += copy_table(from, to, SESSIONS)?;
    rows += copy_table(from, to, SESSIONS_BY_ACTIVITY)?;
    rows += copy_table(from, to, SESSIONS_BY_CREATED)?;
    rows += copy_table(from, to, SESSIONS_BY_USER)?;
    rows += copy_table(from, to, TOKENS)?;
    rows += copy_table(from, to, TOKENS_BY_DIGEST)?;
    rows += copy_table(from, to, TOKENS_BY_USER)?;
    rows += copy_table(from, to, TOKENS_BY_EXPIRY)?;
    rows += copy_table(from, to, TOKENS_BY_CREATED)?;
    rows += copy_table(from, to, CREDENTIALS)?;
    rows += copy_table(from, to, CREDENTIALS_BY_USER)?;
    rows += copy_table(from, to, THROTTLE)?;
    rows += copy_table(from, to, THROTTLE_BY_WINDOW)?;
    rows += copy_table(from, to, REMEMBER)?;
    rows += copy_table(from, to, REMEMBER_BY_USER)?;
    rows += copy_table(from, to, REMEMBER_BY_EXPIRY)?;
    // An empty durable commit makes every batch before it durable.
    let txn = to.begin_write()?;
    txn.commit()?;
    Ok(rows)
}

impl Engine {
    /// Write a consistent copy of the database, as of one moment, to a new
    /// file at `path` (which must not exist), while reads and writes go on.
    /// The copy holds every commit that returned before the call began, is
    /// durable when the call returns, and is as compact as a fresh import.
    /// Returns how many rows it copied.
    ///
    /// # Errors
    /// [`OpenError::Io`] when `path` exists or cannot be written (a partial
    /// copy is removed); [`Error::Corrupt`] when the live file is damaged.
    pub fn backup_to(&self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        // Created here, so that an existing file is never overwritten.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(OpenError::Io)?;
        let copied = self.core.read_file(|snapshot| {
            let target = Database::create(path).map_err(|e| Error::Storage(e.into()))?;
            copy_all(snapshot, &target)
        });
        if copied.is_err() {
            let _ = std::fs::remove_file(path);
        }
        copied
    }

    /// Rewrite the file without the free space that deletions left, by a
    /// backup renamed over it, and return the engine open on the compacted
    /// file. Needs the file to itself: opened with
    /// [`Concurrency::Exclusive`] and no other engine on it in this process.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the file is shared; the errors of
    /// [`Engine::backup_to`] and [`Engine::open`]. On failure before the
    /// rename the file is unchanged.
    pub fn compact(self) -> Result<Engine> {
        let core = &self.core;
        if core.config.concurrency != Concurrency::Exclusive {
            return Err(Error::InvalidConfig(
                "compaction needs the file to itself: open it with Concurrency::Exclusive \
                 (stop the processes sharing it)"
                    .into(),
            ));
        }
        if core.file().is_ok_and(|store| store.shared_in_process()) {
            return Err(Error::InvalidConfig(
                "compaction needs the file to itself: another engine in this process has it open"
                    .into(),
            ));
        }
        self.flush()?;
        let path = core.file()?.path.clone();
        let mut copy_name = path.clone().into_os_string();
        copy_name.push(".compacting");
        let copy = std::path::PathBuf::from(copy_name);
        let _ = std::fs::remove_file(&copy); // left by an interrupted run
        self.backup_to(&copy)?;
        // Held exclusively until here: nobody else wrote to the old file, and
        // whoever opens the path from now on gets the copy.
        std::fs::rename(&copy, &path).map_err(OpenError::Io)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(OpenError::Io)?;
        }
        let config = core.config.clone();
        self.close()?;
        Engine::open(&path, config)
    }
}
