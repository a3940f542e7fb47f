//! Helpers shared by the credential and throttle tests.
#![allow(dead_code)]

use authkv::{AttemptOutcome, Engine, PasswordParams};

use crate::common::{Fixture, fixture_with};

pub const IP: &str = "203.0.113.9";

/// Cheap argon2 costs, for tests that are not about costs.
pub const FAST: PasswordParams = PasswordParams::new(64, 1, 1);

/// An engine with [`FAST`] costs and a manual clock at `T0`.
pub fn fast() -> Fixture {
    fixture_with(|c| c.argon2 = FAST)
}

pub fn verifications(engine: &Engine) -> u64 {
    engine.stats().expect("stats").password_verifications
}

pub fn commits(engine: &Engine) -> u64 {
    engine.stats().expect("stats").write_commits
}

/// A failed attempt: it must be checked and counted, not throttled.
pub fn fail(engine: &Engine, login: &str, password: &str, ip: &str) {
    let outcome = engine.attempt(login, password, ip).expect("attempt");
    assert_eq!(outcome, AttemptOutcome::InvalidCredentials);
}

pub fn authenticated(user_id: u64) -> AttemptOutcome {
    AttemptOutcome::Authenticated { user_id }
}

/// Close the engine, edit its file directly with redb (to simulate damage),
/// and open it again.
pub fn tamper(f: Fixture, edit: impl FnOnce(&redb::WriteTransaction)) -> Fixture {
    let Fixture {
        dir, clock, engine, ..
    } = f;
    let config = engine.config().clone();
    engine.close().expect("close");
    let path = dir.path().join("auth.redb");
    {
        let db = redb::Database::open(&path).expect("open with redb");
        let txn = db.begin_write().expect("write");
        edit(&txn);
        txn.commit().expect("commit");
    }
    let engine = Engine::open(&path, config).expect("reopen");
    Fixture {
        dir,
        clock,
        engine,
        url: None,
    }
}

/// The problems `verify()` reports.
pub fn problems(engine: &Engine) -> Vec<String> {
    engine.verify().expect("verify").problems
}
