//! Login throttling: failures counted per (login, ip) with decay, the
//! retry-after, clearing on success, parallel guesses, GC of spent counters.

mod common;
mod credential_support;

use authkv::AttemptOutcome;
use common::*;
use credential_support::*;
use redb::{ReadableTable, TableDefinition};

#[test]
fn five_failures_then_throttled_with_retry_after() {
    let f = fast();
    f.engine.set_password(1, "alice", "pw").expect("set");
    for i in 0..5 {
        f.clock.set(T0 + i * 5);
        assert_eq!(
            f.engine.attempt("alice", "bad", IP).expect("attempt"),
            AttemptOutcome::InvalidCredentials
        );
    }
    f.clock.set(T0 + 25);
    let verified = verifications(&f.engine);
    let written = commits(&f.engine);
    // Even the right password is refused while locked out, without a check.
    let outcome = f.engine.attempt("alice", "pw", IP).expect("attempt");
    assert_eq!(outcome, AttemptOutcome::Throttled { retry_after: 35 });
    assert_eq!(verifications(&f.engine), verified, "no password checked");
    assert_eq!(
        commits(&f.engine),
        written,
        "a throttled attempt writes nothing"
    );
    assert_consistent(&f.engine);
}

#[test]
fn throttle_window_decays_from_the_first_failure() {
    let f = fast();
    f.engine.set_password(1, "alice", "pw").expect("set");
    fail(&f.engine, "alice", "bad", IP);
    f.clock.set(T0 + 50);
    for _ in 0..4 {
        fail(&f.engine, "alice", "bad", IP);
    }
    f.clock.set(T0 + 59);
    assert_eq!(
        f.engine.attempt("alice", "pw", IP).expect("attempt"),
        AttemptOutcome::Throttled { retry_after: 1 }
    );
    f.clock.set(T0 + 60); // the window opened at the first failure has passed
    assert_eq!(
        f.engine.attempt("alice", "bad", IP).expect("attempt"),
        AttemptOutcome::InvalidCredentials
    );
    // That failure opened a new window: four more are allowed.
    for _ in 0..4 {
        assert_eq!(
            f.engine.attempt("alice", "bad", IP).expect("attempt"),
            AttemptOutcome::InvalidCredentials
        );
    }
    assert_eq!(
        f.engine.attempt("alice", "pw", IP).expect("attempt"),
        AttemptOutcome::Throttled { retry_after: 60 }
    );
    f.clock.set(T0 + 120);
    assert_eq!(
        f.engine.attempt("alice", "pw", IP).expect("attempt"),
        authenticated(1)
    );
    assert_consistent(&f.engine);
}

#[test]
fn configured_limit_and_window_apply() {
    let f = fixture_with(|c| {
        c.argon2 = FAST;
        c.throttle_max_attempts = 2;
        c.throttle_window = minutes(10);
    });
    for _ in 0..2 {
        fail(&f.engine, "who", "bad", IP);
    }
    assert_eq!(
        f.engine.attempt("who", "bad", IP).expect("attempt"),
        AttemptOutcome::Throttled { retry_after: 600 }
    );
}

#[test]
fn success_clears_the_counter() {
    let f = fast();
    f.engine.set_password(1, "alice", "pw").expect("set");
    for _ in 0..4 {
        fail(&f.engine, "alice", "bad", IP);
    }
    assert_eq!(
        f.engine.attempt("alice", "pw", IP).expect("attempt"),
        authenticated(1)
    );
    for _ in 0..4 {
        assert_eq!(
            f.engine.attempt("alice", "bad", IP).expect("attempt"),
            AttemptOutcome::InvalidCredentials
        );
    }
    assert_eq!(
        f.engine.attempt("alice", "pw", IP).expect("attempt"),
        authenticated(1)
    );
    assert_eq!(
        f.engine.gc().expect("gc").throttles_deleted,
        0,
        "no counter left"
    );
    assert_consistent(&f.engine);
}

#[test]
fn another_ip_has_its_own_counter() {
    let f = fast();
    f.engine.set_password(1, "alice", "pw").expect("set");
    for _ in 0..5 {
        fail(&f.engine, "alice", "bad", "198.51.100.1");
    }
    assert!(matches!(
        f.engine
            .attempt("alice", "pw", "198.51.100.1")
            .expect("attempt"),
        AttemptOutcome::Throttled { .. }
    ));
    assert_eq!(
        f.engine
            .attempt("alice", "pw", "198.51.100.2")
            .expect("attempt"),
        authenticated(1)
    );
    // And another login from the locked-out ip has its own counter too.
    f.engine.set_password(2, "bob", "pw").expect("set");
    assert_eq!(
        f.engine
            .attempt("bob", "pw", "198.51.100.1")
            .expect("attempt"),
        authenticated(2)
    );
    assert_consistent(&f.engine);
}

#[test]
fn parallel_guesses_cannot_exceed_the_limit() {
    let f = fixture_with(|c| {
        c.argon2 = FAST;
        c.concurrency = authkv::Concurrency::Exclusive;
        c.durable_commits = false;
    });
    f.engine.set_password(1, "alice", "pw").expect("set");
    let outcomes: Vec<AttemptOutcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| scope.spawn(|| f.engine.attempt("alice", "guess", IP).expect("attempt")))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let checked = outcomes
        .iter()
        .filter(|o| **o == AttemptOutcome::InvalidCredentials)
        .count();
    assert_eq!(checked, 5, "{outcomes:?}");
    assert_eq!(verifications(&f.engine), 5);
    assert_consistent(&f.engine);
}

#[test]
fn gc_removes_spent_throttle_counters_and_commits_nothing_when_none_are_due() {
    let f = fast();
    fail(&f.engine, "alice", "bad", "10.0.0.1");
    f.clock.set(T0 + 30);
    fail(&f.engine, "bob", "bad", "10.0.0.2");
    f.clock.set(T0 + 59);
    let written = commits(&f.engine);
    let report = f.engine.gc().expect("gc");
    assert_eq!((report.throttles_deleted, report.batches), (0, 0));
    assert_eq!(
        commits(&f.engine),
        written,
        "nothing due: nothing committed"
    );
    f.clock.set(T0 + 60);
    let report = f.engine.gc().expect("gc");
    assert_eq!((report.throttles_deleted, report.records_examined), (1, 1));
    assert_consistent(&f.engine);
    f.clock.set(T0 + 90);
    assert_eq!(f.engine.gc().expect("gc").throttles_deleted, 1);
    let written = commits(&f.engine);
    assert_eq!(f.engine.gc().expect("gc").throttles_deleted, 0);
    assert_eq!(commits(&f.engine), written);
    assert_consistent(&f.engine);
}

#[test]
fn gc_deletes_spent_counters_in_batches() {
    let f = fixture_with(|c| {
        c.argon2 = FAST;
        c.gc_batch_size = 3;
        c.concurrency = authkv::Concurrency::Exclusive;
        c.durable_commits = false;
    });
    for i in 0..7 {
        fail(&f.engine, &format!("user{i}"), "bad", IP);
    }
    f.clock.advance(60);
    let report = f.engine.gc().expect("gc");
    assert_eq!((report.throttles_deleted, report.batches), (7, 3));
    assert_consistent(&f.engine);
}

#[test]
fn throttle_counters_do_not_store_the_login_or_ip_in_the_clear() {
    let f = fast();
    fail(&f.engine, "mallory@example.com", "bad", "198.51.100.77");
    let bytes = stored_bytes(f);
    assert!(!bytes.is_empty());
    for needle in [&b"mallory@example.com"[..], b"198.51.100.77"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
}

#[test]
fn credentials_and_counters_survive_reopening() {
    let f = fast();
    f.engine.set_password(3, "carol", "pw").expect("set");
    for _ in 0..5 {
        fail(&f.engine, "carol", "bad", IP);
    }
    let f = f.reopen();
    assert!(matches!(
        f.engine.attempt("carol", "pw", IP).expect("attempt"),
        AttemptOutcome::Throttled { .. }
    ));
    assert_eq!(
        f.engine
            .attempt("carol", "pw", "10.9.9.9")
            .expect("attempt"),
        authenticated(3)
    );
    assert_consistent(&f.engine);
}

#[test]
fn verify_reports_a_counter_without_its_window_row_and_the_reverse() {
    const BY_WINDOW: TableDefinition<(u64, [u8; 32]), ()> =
        TableDefinition::new("throttle_by_window");
    let f = file_fixture_with(|c| c.argon2 = FAST);
    fail(&f.engine, "alice", "bad", IP);
    assert_consistent(&f.engine);
    let f = tamper(f, |txn| {
        let mut by_window = txn.open_table(BY_WINDOW).expect("table");
        let key = by_window.first().expect("read").expect("a row").0.value();
        by_window.remove(key).expect("remove");
        by_window.insert((T0 + 5, key.1), ()).expect("insert");
        by_window.insert((T0, [9; 32]), ()).expect("insert");
    });
    let found = problems(&f.engine);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found
            .iter()
            .any(|p| p.ends_with("no throttle_by_window row"))
    );
    assert!(
        found
            .iter()
            .any(|p| p.ends_with(&format!("row says {}, counter says {T0}", T0 + 5)))
    );
    assert!(found.iter().any(|p| p.ends_with(": no counter")));
}
