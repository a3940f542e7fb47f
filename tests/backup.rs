//! Backups of a live file and compaction.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use authkv::{Concurrency, Config, Engine, Error, LaravelSession};
use common::*;

#[test]
fn a_backup_during_concurrent_writes_holds_every_write_acknowledged_before_it() {
    let f = fixture();
    let acknowledged = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let backup = f.dir.path().join("backup.redb");
    let (before_backup, copied) = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
                        let session = f.engine.login(visitor.id.expose(), 9).expect("login");
                        acknowledged
                            .lock()
                            .expect("lock")
                            .push(session.id.expose().to_owned());
                    }
                })
            })
            .collect();
        while acknowledged.lock().expect("lock").len() < 20 {
            std::thread::yield_now();
        }
        let before_backup = acknowledged.lock().expect("lock").clone();
        let copied = f.engine.backup_to(&backup).expect("backup");
        stop.store(true, Ordering::Relaxed);
        for writer in writers {
            writer.join().expect("writer");
        }
        (before_backup, copied)
    });
    assert!(copied > 0);
    let copy = Engine::open(&backup, config(&f.clock)).expect("the copy opens");
    assert_consistent(&copy);
    for id in &before_backup {
        assert!(
            copy.load_session(id).expect("load").is_some(),
            "a session acknowledged before the backup is missing from it"
        );
    }
    // The live file went on.
    assert!(f.engine.user_sessions(9).expect("list").len() >= before_backup.len());
}

#[test]
fn a_backup_never_overwrites_an_existing_file() {
    let f = fixture();
    let existing = f.dir.path().join("existing.redb");
    std::fs::write(&existing, b"keep me").expect("write");
    assert!(matches!(f.engine.backup_to(&existing), Err(Error::Open(_))));
    assert_eq!(std::fs::read(&existing).expect("read"), b"keep me");
}

/// `n` logged-in sessions, the first `expired` of them idle since long ago.
fn import(engine: &Engine, n: usize, expired: usize) {
    let rows: Vec<LaravelSession> = (0..n)
        .map(|i| LaravelSession {
            id: format!("{i:0>40}"),
            user_id: Some(i as u64),
            ip: "203.0.113.9".into(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0".into(),
            payload: vec![b'x'; 200],
            last_activity: if i < expired { T0 - 3 * IDLE } else { T0 },
        })
        .collect();
    for chunk in rows.chunks(10_000) {
        engine.import_sessions(chunk).expect("import");
    }
}

fn exclusive_at(clock: &authkv::ManualClock) -> Config {
    let mut config = config(clock);
    config.concurrency = Concurrency::Exclusive;
    config
}

#[test]
fn compaction_after_gc_of_a_tenth_comes_within_10_percent_of_a_fresh_import() {
    const N: usize = 20_000;
    let f = fixture_with(exclusive);
    import(&f.engine, N, N / 10);
    let report = f.engine.gc().expect("gc");
    assert_eq!(report.sessions_deleted, (N / 10) as u64);
    let path = f.path();
    let Fixture {
        dir, clock, engine, ..
    } = f;
    let before = std::fs::metadata(&path).expect("meta").len();
    let engine = engine.compact().expect("compact");
    let compacted = std::fs::metadata(&path).expect("meta").len();
    assert_consistent(&engine);
    assert_eq!(engine.stats().expect("stats").sessions, (N - N / 10) as u64);

    let fresh_path = dir.path().join("fresh.redb");
    let fresh = Engine::open(&fresh_path, exclusive_at(&clock)).expect("fresh");
    let rows: Vec<usize> = (N / 10..N).collect();
    let sessions: Vec<LaravelSession> = rows
        .iter()
        .map(|&i| LaravelSession {
            id: format!("{i:0>40}"),
            user_id: Some(i as u64),
            ip: "203.0.113.9".into(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0".into(),
            payload: vec![b'x'; 200],
            last_activity: T0,
        })
        .collect();
    for chunk in sessions.chunks(10_000) {
        fresh.import_sessions(chunk).expect("import");
    }
    fresh.close().expect("close");
    let fresh_size = std::fs::metadata(&fresh_path).expect("meta").len();
    assert!(
        compacted * 10 <= fresh_size * 11,
        "compacted {compacted} bytes (from {before}), a fresh import {fresh_size}"
    );
}

#[test]
fn compaction_needs_the_file_to_itself() {
    let f = fixture(); // shared with other processes
    match f.engine.compact() {
        Err(Error::InvalidConfig(message)) => assert!(message.contains("to itself"), "{message}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("compacted a shared file"),
    }
}
