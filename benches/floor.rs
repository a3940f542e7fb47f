//! What the storage engines cost before authkv adds anything, beside what
//! authkv costs on top: the floors under the durable rows of the compare
//! bench.
//!
//! - A durable update of one 1 KiB row among 100k: redb alone (one
//!   process, and the multi-writer mode authkv's shared default uses),
//!   redb without fsync behind a write-ahead log (the floor of a design
//!   authkv does not use, see `Log`), SQLite (WAL, `synchronous=FULL`),
//!   and authkv's 1 KiB save.
//! - Removing 100k of 1M rows from one redb table in batches of 1,000 and
//!   one fsync, as GC does: keys spread over the whole table (as random ids
//!   spread a GC batch's records) against keys side by side.
//!
//! `cargo bench --bench floor` (under `cargo test --all-targets`, a small
//! run, 2k rows to update and 20k to remove from, that checks every step
//! works)

use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use authkv::Config;
use criterion::{Criterion, criterion_group, criterion_main};
use redb::{ConcurrencyMode, Database, Durability, TableDefinition};

#[path = "common/sessions_file.rs"]
mod sessions_file;
use sessions_file::engine_with_sessions;

const ROWS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("rows");
const PAYLOAD: [u8; 1024] = [5; 1024];

/// Whether criterion measures (`--bench`) rather than checks each bench once.
fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// A xorshift stream: keys and picks that are the same in every run.
struct Picks(u64);

impl Picks {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn key(&mut self) -> [u8; 32] {
        let mut key = [0; 32];
        for part in key.chunks_mut(8) {
            part.copy_from_slice(&self.next().to_le_bytes());
        }
        key
    }
}

/// The floor of a write-ahead log in front of redb, a design authkv does
/// not use: each commit appends its record to a file of zeros written and
/// synced beforehand (so `fdatasync` has no size to record) and flushes
/// it; after `LOG_RECORDS` records the log starts over, once the caller
/// made redb durable (a checkpoint).
struct Log {
    file: std::fs::File,
    /// Bytes of each record: the log holds `LOG_RECORDS` of them.
    record_len: usize,
    next: u64,
}

/// Records a log holds between checkpoints.
const LOG_RECORDS: u64 = 128;

impl Log {
    fn preallocated(path: &std::path::Path, record_len: usize) -> Self {
        let file = std::fs::File::create(path).expect("create the log");
        let zeros = vec![0; record_len * LOG_RECORDS as usize];
        file.write_all_at(&zeros, 0).expect("write the log's zeros");
        file.sync_all().expect("sync the log");
        Log {
            file,
            record_len,
            next: 0,
        }
    }

    /// Append `record` durably; true when the log is full and starts over
    /// (the caller checkpoints).
    fn append(&mut self, record: &[u8]) -> bool {
        assert_eq!(record.len(), self.record_len, "records fill their slot");
        let at = self.next * self.record_len as u64;
        self.file
            .write_all_at(record, at)
            .expect("append to the log");
        self.file.sync_data().expect("flush the log");
        self.next = (self.next + 1) % LOG_RECORDS;
        self.next == 0
    }
}

/// A redb file holding `keys`, each with `value`, loaded without fsync and
/// then made durable once.
fn redb_with(
    path: &std::path::Path,
    mode: ConcurrencyMode,
    keys: &[[u8; 32]],
    value: &[u8],
) -> Database {
    let db = Database::builder()
        .set_concurrency_mode(mode)
        .create(path)
        .expect("create the redb file");
    for chunk in keys.chunks(100_000) {
        let mut txn = db.begin_write().expect("begin");
        if mode == ConcurrencyMode::ExclusiveWriter {
            txn.set_durability(Durability::None)
                .expect("non-durable load");
        }
        {
            let mut table = txn.open_table(ROWS).expect("open the table");
            for key in chunk {
                table.insert(key, value).expect("insert");
            }
        }
        txn.commit().expect("commit");
    }
    db.begin_write()
        .expect("begin")
        .commit()
        .expect("durable commit");
    db
}

fn one_row_update(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut picks = Picks(0x2545_f491_4f6c_dd1d);
    let rows = if measuring() { 100_000 } else { 2_000 };
    let keys: Vec<[u8; 32]> = (0..rows).map(|_| picks.key()).collect();
    let mut group = c.benchmark_group("durable update of one 1 KiB row among 100k");
    group.sample_size(30);

    for (label, mode) in [
        ("redb alone, one process", ConcurrencyMode::ExclusiveWriter),
        ("redb alone, multi-writer", ConcurrencyMode::MultiWriter),
    ] {
        let db = redb_with(&dir.path().join(label), mode, &keys, &PAYLOAD[..160]);
        group.bench_function(label, |b| {
            b.iter(|| {
                let key = keys[picks.next() as usize % keys.len()];
                let txn = db.begin_write().expect("begin");
                txn.open_table(ROWS)
                    .expect("open the table")
                    .insert(key, &PAYLOAD[..])
                    .expect("update");
                txn.commit().expect("durable commit");
            })
        });
    }

    let db = redb_with(
        &dir.path().join("logged"),
        ConcurrencyMode::ExclusiveWriter,
        &keys,
        &PAYLOAD[..160],
    );
    let mut log = Log::preallocated(&dir.path().join("log"), PAYLOAD.len());
    group.bench_function("redb without fsync + a log in front (not built)", |b| {
        b.iter(|| {
            let key = keys[picks.next() as usize % keys.len()];
            let mut txn = db.begin_write().expect("begin");
            txn.set_durability(Durability::None).expect("non-durable");
            txn.open_table(ROWS)
                .expect("open the table")
                .insert(key, &PAYLOAD[..])
                .expect("update");
            txn.commit().expect("commit");
            if log.append(&PAYLOAD) {
                // The log wrapped: its records' pages reach the file now.
                let checkpoint = db.begin_write().expect("begin");
                checkpoint.commit().expect("durable commit");
            }
        })
    });

    let sqlite = rusqlite::Connection::open(dir.path().join("sqlite.db")).expect("open SQLite");
    sqlite
        .execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE rows (id BLOB PRIMARY KEY, payload BLOB) WITHOUT ROWID;",
        )
        .expect("set SQLite up");
    let load = sqlite.unchecked_transaction().expect("begin");
    for key in &keys {
        load.execute(
            "INSERT INTO rows VALUES (?1, ?2)",
            (&key[..], &PAYLOAD[..160]),
        )
        .expect("insert");
    }
    load.commit().expect("commit");
    group.bench_function("SQLite, WAL, synchronous=FULL", |b| {
        let mut update = sqlite
            .prepare_cached("UPDATE rows SET payload = ?1 WHERE id = ?2")
            .expect("prepare");
        b.iter(|| {
            let key = keys[picks.next() as usize % keys.len()];
            assert_eq!(update.execute((&PAYLOAD[..], &key[..])).expect("update"), 1);
        })
    });

    let mut config = Config::default();
    config.concurrency = authkv::Concurrency::Exclusive;
    let (engine, ids) = engine_with_sessions(&dir.path().join("authkv.redb"), config, rows);
    group.bench_function("authkv save_session, one process", |b| {
        b.iter(|| {
            let id = &ids[picks.next() as usize % ids.len()];
            engine.save_session(id, &PAYLOAD, None).expect("save");
        })
    });
    group.finish();
}

fn remove_in_batches(c: &mut Criterion) {
    let (stored, removed) = if measuring() {
        (1_000_000, 100_000)
    } else {
        (20_000, 2_000)
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut picks = Picks(0x9e37_79b9_7f4a_7c15);
    let keys: Vec<[u8; 32]> = (0..stored).map(|_| picks.key()).collect();
    let base = dir.path().join("base.redb");
    drop(redb_with(
        &base,
        ConcurrencyMode::ExclusiveWriter,
        &keys,
        &PAYLOAD[..200],
    ));
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    let spread = keys[..removed].to_vec();
    let side_by_side = sorted[stored / 2..stored / 2 + removed].to_vec();

    let mut group = c.benchmark_group(format!(
        "remove {removed} of {stored} rows of 200 B, batches of 1000, one fsync"
    ));
    group.sample_size(10);
    for (label, doomed) in [
        ("keys spread", &spread),
        ("keys side by side", &side_by_side),
    ] {
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let mut removing = Duration::ZERO;
                for _ in 0..iters {
                    let copy = dir.path().join("copy.redb");
                    std::fs::copy(&base, &copy).expect("copy the file");
                    let db = Database::builder()
                        .set_cache_size(64 << 20) // authkv's default
                        .create(&copy)
                        .expect("open the copy");
                    let t = Instant::now();
                    for batch in doomed.chunks(1000) {
                        let mut txn = db.begin_write().expect("begin");
                        txn.set_durability(Durability::None).expect("no fsync");
                        {
                            let mut table = txn.open_table(ROWS).expect("open the table");
                            for key in batch {
                                assert!(table.remove(key).expect("remove").is_some());
                            }
                        }
                        txn.commit().expect("commit");
                    }
                    db.begin_write()
                        .expect("begin")
                        .commit()
                        .expect("durable commit");
                    removing += t.elapsed();
                }
                removing
            })
        });
    }
    group.finish();
}

criterion_group!(benches, one_row_update, remove_in_batches);
criterion_main!(benches);
