//! Write combining: concurrent logins, saves and new sessions of one
//! process share a transaction and a durable commit, in both concurrency
//! modes; a change that fails (a version conflict, an expired session)
//! never undoes, or is stored with, the others of its batch.

mod common;

use authkv::{Concurrency, Config, Error, SessionError};
use common::*;

const THREADS: usize = 16;
const EACH: usize = 25;

fn modes() -> [fn(&mut Config); 2] {
    [exclusive, |c: &mut Config| {
        c.concurrency = Concurrency::MultiProcess
    }]
}

#[test]
fn concurrent_logins_share_commits_and_every_one_is_stored() {
    for mode in modes() {
        let f = file_fixture_with(mode);
        let before = f.engine.stats().expect("stats");
        let ids: Vec<(u64, String)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..THREADS)
                .map(|worker| {
                    let engine = &f.engine;
                    scope.spawn(move || {
                        (0..EACH)
                            .map(|i| {
                                let user = (worker * EACH + i) as u64;
                                let visitor =
                                    engine.create_session("1.2.3.4", "ua").expect("create");
                                let session =
                                    engine.login(visitor.id.expose(), user).expect("login");
                                let version = engine
                                    .save_session(session.id.expose(), b"cart", Some(1))
                                    .expect("save");
                                assert_eq!(version, 2);
                                (user, session.id.expose().to_owned())
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
        assert_eq!(writes, (3 * THREADS * EACH) as u64);
        let shared = after.shared_commits - before.shared_commits;
        let syncs = after.durable_syncs - before.durable_syncs;
        assert!(shared > 0, "no write rode in another's commit");
        assert!(
            syncs < writes,
            "{syncs} durable commits for {writes} writes"
        );
        for (user, id) in &ids {
            let session = f.engine.load_session(id).expect("load").expect("stored");
            assert_eq!(session.user_id, Some(*user));
            assert_eq!(session.payload, b"cart");
        }
        assert_eq!(
            f.engine.stats().expect("stats").sessions,
            (THREADS * EACH) as u64
        );
        assert_consistent(&f.engine);
    }
}

#[test]
fn a_conflicting_save_in_a_batch_fails_alone_and_the_others_are_stored() {
    for mode in modes() {
        let f = file_fixture_with(mode);
        let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
        let shared = f.engine.login(visitor.id.expose(), 1).expect("login");
        let shared_id = shared.id.expose().to_owned();
        let (stored, conflicts) = std::thread::scope(|scope| {
            let savers: Vec<_> = (0..THREADS)
                .map(|worker| {
                    let (engine, shared_id) = (&f.engine, shared_id.as_str());
                    scope.spawn(move || {
                        let mut stored = Vec::new();
                        let mut conflicts = 0;
                        for i in 0..EACH {
                            if worker % 4 == 0 {
                                // A stale version: always a conflict.
                                match engine.save_session(shared_id, b"stale", Some(0)) {
                                    Err(Error::Session(SessionError::Conflict { .. })) => {
                                        conflicts += 1
                                    }
                                    other => panic!("expected a conflict, got {other:?}"),
                                }
                            } else {
                                let s = engine.create_session("1.2.3.4", "ua").expect("create");
                                let payload = format!("{worker}/{i}");
                                engine
                                    .save_session(s.id.expose(), payload.as_bytes(), Some(0))
                                    .expect("save");
                                stored.push((s.id.expose().to_owned(), payload));
                            }
                        }
                        (stored, conflicts)
                    })
                })
                .collect();
            savers.into_iter().map(|w| w.join().expect("worker")).fold(
                (Vec::new(), 0),
                |(mut all, total), (stored, conflicts)| {
                    all.extend(stored);
                    (all, total + conflicts)
                },
            )
        });
        assert_eq!(conflicts, THREADS / 4 * EACH);
        for (id, payload) in &stored {
            let session = f.engine.load_session(id).expect("load").expect("stored");
            assert_eq!(session.payload, payload.as_bytes());
            assert_eq!(session.version, 1);
        }
        let untouched = f
            .engine
            .load_session(&shared_id)
            .expect("load")
            .expect("live");
        assert_eq!((untouched.version, untouched.payload.len()), (1, 0));
        assert_consistent(&f.engine);
    }
}
