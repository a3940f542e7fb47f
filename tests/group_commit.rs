//! Group commit: each durable write returns only after an fsync that
//! followed it, and concurrent writers share those fsyncs. Only a process
//! alone on its file (`Concurrency::Exclusive`) commits this way; with
//! several, every commit is durable on its own.

mod common;

use common::*;

#[test]
fn a_lone_writer_gets_one_durable_sync_per_write() {
    let f = fixture_with(exclusive);
    let before = f.engine.stats().expect("stats");
    for _ in 0..5 {
        f.engine.create_session("1.2.3.4", "ua").expect("create");
    }
    let after = f.engine.stats().expect("stats");
    assert_eq!(after.write_commits - before.write_commits, 5);
    assert_eq!(after.durable_syncs - before.durable_syncs, 5);
}

#[test]
fn concurrent_writers_share_durable_syncs() {
    let f = fixture_with(exclusive);
    let before = f.engine.stats().expect("stats");
    let ids: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..32)
            .map(|_| {
                scope.spawn(|| {
                    (0..10)
                        .map(|_| {
                            let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
                            s.id.expose().to_owned()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    let after = f.engine.stats().expect("stats");
    let writes = after.write_commits - before.write_commits;
    let syncs = after.durable_syncs - before.durable_syncs;
    assert_eq!(writes, 320);
    assert!(
        syncs < writes,
        "{syncs} fsyncs for {writes} writes: nothing was shared"
    );
    assert!(syncs > 0);
    for id in &ids {
        assert!(f.engine.load_session(id).expect("load").is_some());
    }
    assert_consistent(&f.engine);
}

#[test]
fn non_durable_engines_make_no_syncs_until_close() {
    let f = fixture_with(|c| {
        exclusive(c);
        c.durable_commits = false;
    });
    for _ in 0..5 {
        f.engine.create_session("1.2.3.4", "ua").expect("create");
    }
    assert_eq!(f.engine.stats().expect("stats").durable_syncs, 0);
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let f = f.reopen();
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_some()
    );
}

#[test]
fn gc_batches_share_one_durable_sync() {
    let f = fixture_with(|c| {
        exclusive(c);
        c.gc_batch_size = 10;
    });
    for _ in 0..95 {
        f.engine.create_session("1.2.3.4", "ua").expect("create");
    }
    f.clock.advance(IDLE + 1);
    let before = f.engine.stats().expect("stats");
    let report = f.engine.gc().expect("gc");
    let after = f.engine.stats().expect("stats");
    assert_eq!(report.sessions_deleted, 95);
    assert_eq!(report.batches, 10);
    assert_eq!(after.write_commits - before.write_commits, 10);
    assert_eq!(
        after.durable_syncs - before.durable_syncs,
        1,
        "one fsync for ten batches"
    );
    let f = f.reopen();
    assert_eq!(
        f.engine.stats().expect("stats").sessions,
        0,
        "the deletions were durable"
    );
}

#[test]
fn a_panic_during_gc_leaves_later_writes_durable() {
    let f = fixture_with(|c| {
        exclusive(c);
        c.gc_batch_size = 2;
    });
    for _ in 0..5 {
        f.engine.create_session("1.2.3.4", "ua").expect("create");
    }
    f.clock.advance(IDLE + 1);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        f.engine
            .gc_with_progress(|_| panic!("progress callback fails"))
    }));
    assert!(panicked.is_err());
    let before = f.engine.stats().expect("stats");
    for _ in 0..3 {
        f.engine.create_session("1.2.3.4", "ua").expect("create");
    }
    let after = f.engine.stats().expect("stats");
    assert_eq!(after.write_commits - before.write_commits, 3);
    assert_eq!(
        after.durable_syncs - before.durable_syncs,
        3,
        "each lone write is durable again, with one fsync of its own"
    );
}
