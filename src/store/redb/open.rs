//! Opening the file: refusing a missing, empty, foreign, damaged or newer
//! one with its own error, creating the tables of a new one, migrating an
//! older one, and repairing a commit a dead writer left unfinished.

use std::path::Path;
use std::sync::Arc;

use redb::{
    ConcurrencyMode, Database, DatabaseError, ReadableDatabase, ReadableTable, StorageError,
    TableError, TableHandle,
};

use super::SCHEMA_VERSION;
use super::migrate::migrate;
use super::open_files::{Store, open_store};
use super::tables::{META, SESSIONS, TABLE_COUNT, TOKENS, create_tables};
use crate::error::{Error, OpenError, Result};
use crate::processes::quiet_panic;
use crate::store::FileOptions;
use crate::store::coherence::unfinished_commit;

/// Open the file at `path` (or share the store this process has open on
/// it), ready for records.
pub(crate) fn open_file(path: &Path, options: &FileOptions) -> Result<Arc<Store>> {
    let store = open_store(path, options.multi_process, |path| {
        let db = open_database(path, options)?;
        let checked = quiet_panic::catch(|| check_schema(&db))
            .unwrap_or_else(|panic| Err(OpenError::Corrupt(panic).into()));
        match checked {
            Ok(()) => Ok(db),
            Err(Error::Storage(redb::Error::Corrupted(detail))) => {
                std::mem::forget(db); // no close-time write: leave it as found
                Err(OpenError::Corrupt(detail).into())
            }
            Err(e @ Error::Open(OpenError::Corrupt(_))) => {
                std::mem::forget(db);
                Err(e)
            }
            Err(e) => Err(e),
        }
    })?;
    let settings = options.settings;
    let tables_ready = store.read(|txn| Ok(txn.list_tables()?.count() >= TABLE_COUNT))?;
    if !tables_ready {
        // Several processes may create a new file at once: whoever commits
        // first writes the schema record, the others keep it.
        store.write(settings, |txn| {
            create_tables(txn)?;
            let mut meta = txn.open_table(META)?;
            if meta.get("schema_version")?.is_none() {
                meta.insert("schema_version", SCHEMA_VERSION.to_string().as_str())?;
                meta.insert("created_at", options.now.to_string().as_str())?;
                meta.insert("engine_version", env!("CARGO_PKG_VERSION"))?;
            }
            Ok(())
        })?;
    }
    // A file of an older schema may lack only the tables added since.
    migrate(&store, settings)?;
    if unfinished_commit(&store.region) {
        // A commit announced and not ended: its writer is committing now
        // (no engine may serve from its caches before it ends) or died
        // (until some commit repairs that, every process reads past its
        // caches). An empty commit waits for the one and repairs the other
        // (see `store::coherence`).
        store.write(settings, |_| Ok(()))?;
    }
    Ok(store)
}

/// redb's magic number, the first bytes of every redb file.
const REDB_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Open or create the redb file, turning each failure into its own variant:
/// a file that starts like redb's (or is cut inside its magic number) but
/// cannot be opened is [`OpenError::Corrupt`], any other is
/// [`OpenError::NotRedb`]. redb may panic on a damaged file; that becomes
/// an error too, and nothing is written to the file.
fn open_database(path: &Path, options: &FileOptions) -> Result<Database> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !options.create_missing {
                return Err(OpenError::Missing.into());
            }
        }
        Err(e) => return Err(OpenError::Io(e).into()),
        Ok(meta) if meta.len() == 0 && !options.create_in_empty => {
            return Err(OpenError::Corrupt(
                "the file is empty (0 bytes); open with Create::IfMissingOrEmpty to make a new \
                 database in it"
                    .into(),
            )
            .into());
        }
        Ok(_) => {}
    }
    let mode = if options.multi_process {
        ConcurrencyMode::MultiWriter
    } else {
        ConcurrencyMode::ExclusiveWriter
    };
    let opened = quiet_panic::catch(|| {
        Database::builder()
            .set_cache_size(options.cache_size)
            .set_concurrency_mode(mode)
            .create(path)
    });
    let failure = match opened {
        Ok(Ok(db)) => return Ok(db),
        Ok(Err(DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch)) => {
            return Err(OpenError::Locked.into());
        }
        Ok(Err(DatabaseError::Storage(StorageError::Io(e))))
            if e.kind() != std::io::ErrorKind::InvalidData
                && e.kind() != std::io::ErrorKind::UnexpectedEof =>
        {
            return Err(OpenError::Io(e).into());
        }
        Ok(Err(e)) => e.to_string(),
        Err(panic) => format!("the storage engine failed on it: {panic}"),
    };
    Err(damaged_or_foreign(path, failure).into())
}

/// Why a file redb could not open was refused: damaged when it looks like
/// a redb file, foreign otherwise.
fn damaged_or_foreign(path: &Path, failure: String) -> OpenError {
    let mut head = Vec::with_capacity(REDB_MAGIC.len());
    let len = std::fs::File::open(path)
        .and_then(|file| {
            use std::io::Read;
            file.take(REDB_MAGIC.len() as u64).read_to_end(&mut head)
        })
        .ok();
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    match len {
        Some(n) if n == REDB_MAGIC.len() && head == REDB_MAGIC => {
            OpenError::Corrupt(format!("{size} bytes: {failure}"))
        }
        Some(n) if n < REDB_MAGIC.len() && REDB_MAGIC.starts_with(&head) => OpenError::Corrupt(
            format!("truncated to {size} bytes, inside redb's header: {failure}"),
        ),
        _ => OpenError::NotRedb(failure),
    }
}

/// A database with tables must carry authkv's schema record, at a version
/// this build reads; one without any is new (perhaps created by another
/// process a moment ago) and gets authkv's tables.
fn check_schema(db: &Database) -> Result<()> {
    let txn = db.begin_read()?;
    // A file with authkv's tables but no readable schema record is an
    // authkv file that was damaged, not another application's.
    let not_authkv = || -> Result<Error> {
        let ours = txn
            .list_tables()?
            .any(|table| table.name() == SESSIONS.name() || table.name() == TOKENS.name());
        Ok(if ours {
            OpenError::Corrupt("authkv's schema record is damaged or missing".into()).into()
        } else {
            OpenError::NotAuthkv.into()
        })
    };
    let meta = match txn.open_table(META) {
        Ok(meta) => meta,
        Err(TableError::TableDoesNotExist(_)) if txn.list_tables()?.next().is_none() => {
            return Ok(());
        }
        Err(TableError::TableDoesNotExist(_) | TableError::TableTypeMismatch { .. }) => {
            return Err(not_authkv()?);
        }
        Err(e) => return Err(e.into()),
    };
    let version = match meta
        .get("schema_version")?
        .map(|v| v.value().parse::<u64>())
    {
        Some(Ok(version)) => version,
        _ => return Err(not_authkv()?),
    };
    if version > SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew {
            found: version,
            supported: SCHEMA_VERSION,
        }
        .into());
    }
    Ok(())
}
