//! Touch throttling and coalescing, GC cost and batching, the background
//! thread.

mod common;

use std::time::Duration;

use authkv::GcReport;
use common::*;

#[test]
fn loading_a_session_a_thousand_times_within_the_touch_interval_commits_nothing() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let before = f.engine.stats().expect("stats");
    for i in 0..1000 {
        if i % 20 == 0 {
            f.clock.advance(1);
        }
        assert!(
            f.engine
                .load_session(s.id.expose())
                .expect("load")
                .is_some()
        );
    }
    let after = f.engine.stats().expect("stats");
    assert_eq!(after.write_commits, before.write_commits);
    assert_eq!(after.touches_pending, 0, "49 s in: not yet a touch");
    assert_eq!(f.engine.flush().expect("flush"), 0);
    assert_eq!(
        f.engine.stats().expect("stats").write_commits,
        before.write_commits
    );
}

#[test]
fn a_load_after_the_touch_interval_queues_one_touch_and_flush_writes_it() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.clock.advance(59);
    f.engine.load_session(s.id.expose()).expect("load");
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 0);
    f.clock.advance(1);
    let loaded = f
        .engine
        .load_session(s.id.expose())
        .expect("load")
        .expect("live");
    assert_eq!(loaded.last_activity, T0 + 60);
    let stats = f.engine.stats().expect("stats");
    assert_eq!(stats.touches_pending, 1);
    assert_eq!(f.engine.flush().expect("flush"), 1);
    let flushed = f.engine.stats().expect("stats");
    assert_eq!(flushed.write_commits, stats.write_commits + 1);
    assert_eq!(flushed.touches_pending, 0);
    assert_consistent(&f.engine);
}

#[test]
fn touches_of_many_sessions_are_written_in_one_commit() {
    let f = fixture();
    let ids: Vec<_> = (0..50)
        .map(|_| f.engine.create_session("1.2.3.4", "ua").expect("create").id)
        .collect();
    f.clock.advance(120);
    for id in &ids {
        f.engine.load_session(id.expose()).expect("load");
    }
    let before = f.engine.stats().expect("stats").write_commits;
    assert_eq!(f.engine.flush().expect("flush"), 50);
    assert_eq!(f.engine.stats().expect("stats").write_commits, before + 1);
    assert_consistent(&f.engine);
}

#[test]
fn a_pending_touch_keeps_a_session_alive_before_it_is_flushed() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.clock.advance(IDLE - 10);
    f.engine
        .load_session(s.id.expose())
        .expect("load")
        .expect("live"); // touch queued
    f.clock.advance(100); // stored last_activity is now expired; the touch is not
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_some()
    );
    assert_eq!(f.engine.gc().expect("gc").sessions_deleted, 0);
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_some()
    );
    assert_consistent(&f.engine);
}

#[test]
fn close_flushes_pending_touches() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.clock.advance(300);
    f.engine.load_session(s.id.expose()).expect("load");
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 1);
    let f = f.reopen();
    let loaded = f
        .engine
        .load_session(s.id.expose())
        .expect("load")
        .expect("live");
    assert_eq!(loaded.last_activity, T0 + 300);
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 0);
}

#[test]
fn gc_with_many_live_sessions_and_none_expired_examines_no_record_and_commits_nothing() {
    let f = fixture_with(|c| {
        exclusive(c);
        c.durable_commits = false;
    });
    // Fewer on a database server, where each one is a round trip.
    let live = if on_postgres() { 10_000 } else { 100_000 };
    for _ in 0..live {
        f.engine.create_session("1.2.3.4", "ua").expect("create");
    }
    f.clock.advance(IDLE - 1);
    let before = f.engine.stats().expect("stats");
    let report = f.engine.gc().expect("gc");
    let after = f.engine.stats().expect("stats");
    assert_eq!(report.records_examined, 0);
    assert_eq!(report.batches, 0);
    assert_eq!(after.gc_examined, before.gc_examined);
    assert_eq!(after.write_commits, before.write_commits);
    assert_eq!(after.sessions, live);
}

#[test]
fn gc_deletes_only_the_expired_in_batches_of_the_configured_size() {
    let f = fixture_with(|c| c.gc_batch_size = 7);
    let old: Vec<_> = (0..20)
        .map(|_| f.engine.create_session("1.2.3.4", "ua").expect("create").id)
        .collect();
    f.clock.advance(600);
    let young: Vec<_> = (0..5)
        .map(|_| f.engine.create_session("1.2.3.4", "ua").expect("create").id)
        .collect();
    f.clock.advance(IDLE - 300);
    let report = f.engine.gc().expect("gc");
    assert_eq!(report.sessions_deleted, 20);
    assert_eq!(report.records_examined, 20);
    assert_eq!(report.batches, 3, "7 + 7 + 6");
    assert!(
        old.iter()
            .all(|id| f.engine.load_session(id.expose()).expect("load").is_none())
    );
    assert!(
        young
            .iter()
            .all(|id| f.engine.load_session(id.expose()).expect("load").is_some())
    );
    let stats = f.engine.stats().expect("stats");
    assert_eq!((stats.sessions, stats.gc_deleted), (5, 20));
    assert_consistent(&f.engine);
}

#[test]
fn gc_removes_expired_sessions_from_the_user_index() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.engine.login(s.id.expose(), 77).expect("login");
    f.clock.advance(IDLE + 1);
    assert!(
        f.engine.user_sessions(77).expect("list").is_empty(),
        "expired is not listed"
    );
    f.engine.gc().expect("gc");
    assert_eq!(f.engine.revoke_user_sessions(77, None).expect("revoke"), 0);
    assert_consistent(&f.engine);
}

#[test]
fn gc_removes_a_batch_of_many_users_sessions_from_every_index() {
    let f = fixture_with(|c| c.gc_batch_size = 16);
    let users = [5_u64, 3, 9, 1];
    // Expired sessions logged in in an order unlike their digests' or
    // their users', several created at other seconds, several per user.
    for (i, user) in users.iter().cycle().take(40).enumerate() {
        let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
        f.engine.login(visitor.id.expose(), *user).expect("login");
        if i % 7 == 0 {
            f.clock.advance(1);
        }
    }
    f.clock.advance(600);
    let live: Vec<_> = users
        .iter()
        .map(|user| {
            let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
            f.engine.login(visitor.id.expose(), *user).expect("login")
        })
        .collect();
    f.clock.advance(IDLE - 300);
    let report = f.engine.gc().expect("gc");
    assert_eq!(report.sessions_deleted, 40);
    for (user, session) in users.iter().zip(&live) {
        let listed = f.engine.user_sessions(*user).expect("list");
        assert_eq!(listed.len(), 1, "user {user} keeps only the live session");
        assert_eq!(listed[0].handle, session.handle());
    }
    assert_eq!(
        f.engine.stats().expect("stats").sessions,
        users.len() as u64
    );
    assert_consistent(&f.engine);
}

#[test]
fn gc_of_sessions_started_together_keeps_the_live_ones_among_them() {
    let f = fixture();
    // Two minutes of sessions, their records side by side: in the first
    // most expire (removed by range), in the second few do (one by one).
    let mut minutes = Vec::new();
    for _ in 0..2 {
        let started: Vec<_> = (0..200)
            .map(|_| f.engine.create_session("1.2.3.4", "ua").expect("create"))
            .collect();
        minutes.push(started);
        f.clock.advance(60);
    }
    f.clock.advance(IDLE - 220);
    let keeps = |minute: usize, i: usize| {
        if minute == 0 {
            i.is_multiple_of(5)
        } else {
            !i.is_multiple_of(10)
        }
    };
    for (minute, started) in minutes.iter().enumerate() {
        for (i, session) in started.iter().enumerate() {
            if keeps(minute, i) {
                let id = session.id.expose();
                f.engine.save_session(id, b"kept", None).expect("save");
            }
        }
    }
    f.clock.advance(200);
    let report = f.engine.gc().expect("gc");
    assert_eq!(report.sessions_deleted, 160 + 20);
    for (minute, started) in minutes.iter().enumerate() {
        for (i, session) in started.iter().enumerate() {
            let loaded = f.engine.load_session(session.id.expose()).expect("load");
            assert_eq!(
                loaded.is_some(),
                keeps(minute, i),
                "minute {minute}, session {i}"
            );
        }
    }
    assert_eq!(f.engine.stats().expect("stats").sessions, 40 + 180);
    assert_consistent(&f.engine);
}

#[test]
fn background_thread_flushes_and_collects_and_stops_on_close() {
    let f = fixture_with(|c| c.background_interval = Some(Duration::from_millis(20)));
    let doomed = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.clock.advance(IDLE - 100);
    let kept = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.clock.advance(200);
    f.engine
        .load_session(kept.id.expose())
        .expect("load")
        .expect("live");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let stats = f.engine.stats().expect("stats");
        if stats.gc_deleted == 1 && stats.touches_pending == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "background never ran: {stats:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        f.engine
            .load_session(doomed.id.expose())
            .expect("load")
            .is_none()
    );
    let closing = std::time::Instant::now();
    f.engine.close().expect("close");
    assert!(
        closing.elapsed() < Duration::from_secs(5),
        "close waited for the thread"
    );
}

#[test]
fn gc_progress_is_called_once_per_batch_with_growing_totals() {
    let f = fixture_with(|c| c.gc_batch_size = 2);
    for _ in 0..5 {
        f.engine.create_session("1.1.1.1", "ua").expect("session");
    }
    f.clock.advance(121 * 60);
    let mut seen = Vec::new();
    let report = f
        .engine
        .gc_with_progress(|so_far| seen.push(so_far.clone()))
        .expect("gc");
    assert_eq!(report.sessions_deleted, 5);
    let deleted: Vec<(u64, u64)> = seen
        .iter()
        .map(|r| (r.batches, r.sessions_deleted))
        .collect();
    assert_eq!(deleted, [(1, 2), (2, 4), (3, 5)]);
    assert_eq!(seen.last(), Some(&report));
    assert_eq!(
        f.engine
            .gc_with_progress(|_| panic!("nothing due"))
            .expect("gc")
            .batches,
        0
    );
}

#[test]
fn gc_progress_covers_pruned_tokens() {
    let f = fixture_with(|c| c.gc_batch_size = 1);
    f.engine
        .create_token(1, "api", ["*"], Some(T0 + 10))
        .expect("token");
    f.engine
        .create_token(1, "api", ["*"], Some(T0 + 10))
        .expect("token");
    f.clock.advance(25 * 3600);
    let mut seen = Vec::new();
    let report = f
        .engine
        .gc_with_progress(|so_far| seen.push((so_far.batches, so_far.tokens_deleted)))
        .expect("gc");
    assert_eq!(report.tokens_deleted, 2);
    assert_eq!(seen.first(), Some(&(1, 1)));
    assert_eq!(seen.last(), Some(&(report.batches, 2)));
}

#[test]
fn a_session_saved_late_in_its_lifetime_outlives_its_first_idle_deadline_and_expires_after_the_save()
 {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let id = s.id.expose();
    f.clock.advance(IDLE - 10);
    f.engine.save_session(id, b"cart", None).expect("save");
    f.clock.advance(11); // past the creation's idle deadline
    assert_eq!(f.engine.gc().expect("gc").sessions_deleted, 0);
    assert!(f.engine.load_session(id).expect("load").is_some());
    assert_consistent(&f.engine);
    // The second run finds nothing due: the first filed it at its save.
    assert_eq!(f.engine.gc().expect("gc").records_examined, 0);
    f.clock.advance(IDLE - 11); // IDLE after the save (GC's boundary), no touch since
    let report = f.engine.gc().expect("gc");
    assert_eq!((report.sessions_deleted, report.records_examined), (1, 1));
    assert!(f.engine.load_session(id).expect("load").is_none());
    assert_consistent(&f.engine);
}

/// Index rows of every kind in the file, as `verify` counts them (the
/// file keeps each index as rows of its own; PostgreSQL as columns).
fn index_rows(engine: &authkv::Engine) -> u64 {
    engine.verify().expect("verify").index_rows_checked
}

#[test]
fn a_login_deletes_the_visitors_activity_row_with_its_record() {
    let f = file_fixture_with(|_| {});
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    assert_eq!(index_rows(&f.engine), 2, "activity and creation rows");
    f.engine.login(visitor.id.expose(), 7).expect("login");
    assert_eq!(
        index_rows(&f.engine),
        3,
        "the new session's, and its user row"
    );
    assert_consistent(&f.engine);
}

#[test]
fn gc_drops_an_activity_row_it_moved_once_its_session_is_gone() {
    let f = file_fixture_with(|_| {});
    let session = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let id = session.id.expose();
    f.clock.advance(IDLE - 100);
    f.engine.save_session(id, b"a", None).expect("save");
    f.clock.advance(200);
    // Due by its creation, alive by its save: GC moves the row to the save.
    assert_eq!(f.engine.gc().expect("gc").sessions_deleted, 0);
    f.clock.advance(100);
    // Now the row is neither at the creation nor at the last activity.
    f.engine.save_session(id, b"b", None).expect("save");
    assert!(f.engine.destroy_session(id).expect("destroy"));
    assert_eq!(index_rows(&f.engine), 1, "the moved activity row stays");
    assert_consistent(&f.engine);
    f.clock.advance(IDLE + 1);
    let report = f.engine.gc().expect("gc");
    assert_eq!((report.sessions_deleted, report.records_examined), (0, 0));
    assert_eq!(index_rows(&f.engine), 0);
    assert_consistent(&f.engine);
}

#[test]
fn gc_drops_what_a_logout_left_behind_without_counting_it_as_a_session() {
    let f = fixture();
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let user = f.engine.login(visitor.id.expose(), 7).expect("login");
    let guest = f
        .engine
        .invalidate_session(user.id.expose())
        .expect("logout");
    assert!(
        f.engine
            .destroy_session(guest.id.expose())
            .expect("destroy")
    );
    assert_consistent(&f.engine);
    let live = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.clock.advance(IDLE + 1);
    let report = f.engine.gc().expect("gc");
    assert_eq!((report.sessions_deleted, report.records_examined), (1, 1));
    assert!(
        f.engine
            .load_session(live.id.expose())
            .expect("load")
            .is_none()
    );
    assert_consistent(&f.engine);
    assert_eq!(f.engine.gc().expect("gc"), GcReport::default());
}
