//! `Engine::housekeep`: pending touches and GC's first batch share one
//! commit, so housekeeping once per touch interval commits once.
//! These pin the commits of one process alone on its file
//! (`Concurrency::Exclusive`); with several, the housekeeping lease is one
//! more row, see `housekeeping_lease` below. They are about the file's
//! commits, so they run on the embedded backend whatever is under test.

mod common;

use common::*;

/// Sessions created now, returned as ids.
fn sessions(f: &Fixture, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
            s.id.expose().to_owned()
        })
        .collect()
}

fn commits(f: &Fixture) -> u64 {
    f.engine.stats().expect("stats").write_commits
}

#[test]
fn touches_and_expired_sessions_are_written_in_one_commit() {
    let f = file_fixture_with(exclusive);
    let doomed = sessions(&f, 3);
    f.clock.advance(IDLE - 100);
    let kept = sessions(&f, 2);
    f.clock.advance(160); // the first three are now idle past the lifetime
    for id in &kept {
        let loaded = f.engine.load_session(id).expect("load").expect("live");
        assert_eq!(loaded.last_activity, T0 + IDLE + 60, "a touch is pending");
    }
    let before = commits(&f);
    let (report, touched) = f.engine.housekeep().expect("housekeep");
    assert_eq!((report.sessions_deleted, touched), (3, 2));
    assert_eq!(commits(&f), before + 1, "one commit for both");
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 0);
    for id in &doomed {
        assert!(f.engine.load_session(id).expect("load").is_none());
    }
    // The touches are in the file, not only in memory.
    let f = f.reopen();
    for id in &kept {
        let loaded = f.engine.load_session(id).expect("load").expect("live");
        assert_eq!(loaded.last_activity, T0 + IDLE + 60);
    }
    assert_consistent(&f.engine);
}

#[test]
fn touches_alone_take_one_commit_and_nothing_takes_none() {
    let f = file_fixture_with(exclusive);
    let ids = sessions(&f, 4);
    let before = commits(&f);
    assert_eq!(f.engine.housekeep().expect("housekeep").1, 0);
    assert_eq!(commits(&f), before, "nothing pending, nothing expired");
    f.clock.advance(60);
    for id in &ids {
        f.engine.load_session(id).expect("load");
    }
    let (report, touched) = f.engine.housekeep().expect("housekeep");
    assert_eq!((report.sessions_deleted, touched), (0, 4));
    assert_eq!(commits(&f), before + 1);
}

#[test]
fn more_than_a_batch_expired_takes_one_commit_per_batch_touches_included() {
    let f = file_fixture_with(|c| {
        exclusive(c);
        c.gc_batch_size = 3;
    });
    sessions(&f, 7);
    f.clock.advance(IDLE - 100);
    let kept = sessions(&f, 1);
    f.clock.advance(160);
    f.engine
        .load_session(&kept[0])
        .expect("load")
        .expect("live");
    let before = commits(&f);
    let (report, touched) = f.engine.housekeep().expect("housekeep");
    assert_eq!((report.sessions_deleted, touched), (7, 1));
    assert_eq!(commits(&f), before + 3, "batches of 3, 3 and 1");
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 0);
    assert_consistent(&f.engine);
}

#[test]
fn a_touch_that_keeps_a_session_alive_is_written_not_deleted() {
    let f = file_fixture_with(exclusive);
    let ids = sessions(&f, 1);
    f.clock.advance(IDLE - 10);
    f.engine.load_session(&ids[0]).expect("load").expect("live");
    f.clock.advance(20); // the stored time is past the lifetime, the touch is not
    let (report, touched) = f.engine.housekeep().expect("housekeep");
    assert_eq!((report.sessions_deleted, touched), (0, 1));
    assert!(f.engine.load_session(&ids[0]).expect("load").is_some());
}

#[test]
fn touches_beyond_a_batch_get_transactions_of_their_own_and_one_fsync() {
    let f = file_fixture_with(|c| {
        exclusive(c);
        c.gc_batch_size = 3;
    });
    let ids = sessions(&f, 7);
    f.clock.advance(60);
    let touch_all = |f: &Fixture| {
        for id in &ids {
            f.engine.load_session(id).expect("load").expect("live");
        }
    };
    touch_all(&f);
    let before = f.engine.stats().expect("stats");
    assert_eq!(f.engine.flush().expect("flush"), 7);
    let after = f.engine.stats().expect("stats");
    assert_eq!(after.write_commits, before.write_commits + 3, "3, 3 and 1");
    assert_eq!(after.durable_syncs, before.durable_syncs + 1);
    assert_eq!(after.touches_pending, 0);

    f.clock.advance(60);
    touch_all(&f);
    let (report, touched) = f.engine.housekeep().expect("housekeep");
    assert_eq!((report.sessions_deleted, touched), (0, 7));
    let last = f.engine.stats().expect("stats");
    assert_eq!(last.write_commits, after.write_commits + 3);
    assert_eq!(last.durable_syncs, after.durable_syncs + 1);
    assert_eq!(last.touches_pending, 0);
    assert_consistent(&f.engine);
}

/// Two engines on one file (as two processes would be), each with its own
/// clock, both in `Concurrency::MultiProcess` (the default).
#[test]
fn housekeeping_lease_one_engine_collects_until_it_closes_or_stops_renewing() {
    let f = file_fixture_with(|_| {}); // touch interval 60 s: the lease lasts 180 s
    let other_clock = authkv::ManualClock::new(T0);
    let link = f.dir.path().join("link.redb");
    std::fs::hard_link(f.path(), &link).expect("hard link");
    let other = authkv::Engine::open(&link, config(&other_clock)).expect("second engine");
    let held_elsewhere = |engine: &authkv::Engine| {
        engine
            .housekeep()
            .expect("housekeep")
            .0
            .lease_held_elsewhere
    };
    let before = commits(&f);
    assert!(!held_elsewhere(&f.engine));
    assert_eq!(commits(&f), before + 1, "taking the lease is one commit");
    assert!(held_elsewhere(&other), "two engines collected at once");
    f.clock.advance(60);
    assert!(!held_elsewhere(&f.engine));
    assert_eq!(
        commits(&f),
        before + 1,
        "no renewal before half of it passed"
    );
    f.clock.advance(60);
    assert!(!held_elsewhere(&f.engine));
    assert_eq!(commits(&f), before + 2, "renewed once half of it passed");
    // The holder stops renewing, as a killed process does: the lease
    // (renewed at T0 + 120 until T0 + 300) passes when it expires.
    other_clock.advance(299);
    assert!(held_elsewhere(&other));
    other_clock.advance(1);
    assert!(!held_elsewhere(&other), "an expired lease is taken over");
    f.clock.advance(180);
    assert!(held_elsewhere(&f.engine), "the old holder lost it");
    // Closing gives it up at once.
    other.close().expect("close");
    assert!(!held_elsewhere(&f.engine));
}

/// With several processes, taking or renewing the lease rides in the
/// same commit as the touches and GC: one commit per housekeeping run.
#[test]
fn the_lease_renewal_rides_in_the_housekeeping_commit() {
    let f = file_fixture_with(|_| {}); // shared: the lease lasts 180 s
    let ids = sessions(&f, 3);
    let other_clock = authkv::ManualClock::new(T0);
    let link = f.dir.path().join("link.redb");
    std::fs::hard_link(f.path(), &link).expect("hard link");
    let other = authkv::Engine::open(&link, config(&other_clock)).expect("second engine");
    for round in 1..=6u64 {
        f.clock.advance(60);
        for id in &ids {
            f.engine.load_session(id).expect("load").expect("live");
        }
        let before = commits(&f);
        let (report, touched) = f.engine.housekeep().expect("housekeep");
        assert!(!report.lease_held_elsewhere);
        assert_eq!(touched, 3, "round {round}");
        assert_eq!(
            commits(&f),
            before + 1,
            "round {round}: one commit, lease included"
        );
        other_clock.set(T0 + 60 * round);
        assert!(
            other.housekeep().expect("housekeep").0.lease_held_elsewhere,
            "round {round}: the lease lapsed"
        );
    }
}
