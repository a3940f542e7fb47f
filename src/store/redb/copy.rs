//! Copies of the file: a new redb file with every table's rows copied from
//! one read snapshot of the live file, consistent, made while other threads
//! and processes go on reading and writing, and as compact as a fresh
//! import.

use std::path::Path;

use redb::{Database, Durability, Key, ReadTransaction, ReadableTable, TableDefinition, Value};

use super::open_files::Store;
use super::tables::{
    CREDENTIALS, CREDENTIALS_BY_USER, META, REMEMBER, REMEMBER_BY_EXPIRY, REMEMBER_BY_USER,
    SESSIONS, SESSIONS_BY_ACTIVITY, SESSIONS_BY_CREATED, SESSIONS_BY_USER, THROTTLE,
    THROTTLE_BY_WINDOW, TOKENS, TOKENS_BY_CREATED, TOKENS_BY_DIGEST, TOKENS_BY_EXPIRY,
    TOKENS_BY_USER,
};
use crate::error::{Error, OpenError, Result};

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

impl Store {
    /// Write a consistent copy of the file, as of one moment, to a new file
    /// at `path` (which must not exist); returns how many rows it copied.
    /// A partial copy is removed.
    pub(crate) fn copy_to(&self, path: &Path) -> Result<u64> {
        // Created here, so that an existing file is never overwritten.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(OpenError::Io)?;
        let copied = self.read(|snapshot| {
            let target = Database::create(path).map_err(|e| Error::Storage(e.into()))?;
            copy_all(snapshot, &target)
        });
        if copied.is_err() {
            let _ = std::fs::remove_file(path);
        }
        copied
    }
}
