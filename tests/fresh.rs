//! Fresh re-authentication: a session records when its user last proved
//! the password; sensitive actions require it to be recent (423 otherwise).

mod common;

use std::time::Duration;

use authkv::{Config, ConfirmOutcome, Error, GuardError, Request, SessionError};
use common::*;

const FAST: authkv::PasswordParams = authkv::PasswordParams::new(64, 1, 1);
const MAX_AGE: Duration = Duration::from_secs(3 * 60 * 60); // Laravel's password_timeout

fn engine() -> Fixture {
    let f = fixture_with(|c: &mut Config| {
        c.argon2 = FAST;
        // Sessions outlive the proof: idle for a day before they expire.
        c.idle_lifetime = Duration::from_secs(24 * 60 * 60);
    });
    f.engine
        .set_password(42, "ada", "the right password")
        .expect("password");
    f
}

fn logged_in(f: &Fixture) -> String {
    let visitor = f
        .engine
        .create_session("203.0.113.9", "browser")
        .expect("create");
    let session = f.engine.login(visitor.id.expose(), 42).expect("login");
    session.id.expose().to_owned()
}

/// The guard's principal for the session, and whether it may act now.
fn fresh_for_guard(f: &Fixture, id: &str) -> Result<(), GuardError> {
    let cookie = format!("authkv_session={id}");
    let request = Request {
        method: "GET",
        cookie: Some(&cookie),
        referer: Some("http://localhost:3000/settings"),
        ..Request::default()
    };
    let principal = f.engine.authenticate(&request).expect("authenticated");
    f.engine.require_fresh(&principal, MAX_AGE)
}

#[test]
fn a_login_is_fresh_until_max_age_has_passed_then_the_guard_answers_423() {
    let f = engine();
    let id = logged_in(&f);
    assert!(f.engine.is_fresh(&id, MAX_AGE).expect("fresh"));
    assert_eq!(fresh_for_guard(&f, &id), Ok(()));
    f.clock.advance(MAX_AGE.as_secs());
    assert!(
        f.engine.is_fresh(&id, MAX_AGE).expect("fresh"),
        "at max age, still fresh"
    );
    f.clock.advance(1);
    assert!(!f.engine.is_fresh(&id, MAX_AGE).expect("fresh"));
    let refused = fresh_for_guard(&f, &id).expect_err("stale");
    assert_eq!(refused, GuardError::PasswordConfirmationRequired);
    assert_eq!(refused.http_status(), 423);
}

#[test]
fn a_wrong_password_is_refused_and_throttled_after_five_and_the_right_one_refreshes() {
    let f = engine();
    let id = logged_in(&f);
    f.clock.advance(MAX_AGE.as_secs() + 1);
    for _ in 0..5 {
        let outcome = f
            .engine
            .confirm_password(&id, "a wrong guess")
            .expect("confirm");
        assert_eq!(outcome, ConfirmOutcome::InvalidPassword);
    }
    let checked = f.engine.stats().expect("stats").password_verifications;
    assert!(matches!(
        f.engine.confirm_password(&id, "the right password").expect("confirm"),
        ConfirmOutcome::Throttled { retry_after } if retry_after > 0
    ));
    assert_eq!(
        f.engine.stats().expect("stats").password_verifications,
        checked,
        "a throttled confirmation checks no password"
    );
    assert!(!f.engine.is_fresh(&id, MAX_AGE).expect("fresh"));
    f.clock.advance(61); // the throttle window passes
    assert_eq!(
        f.engine
            .confirm_password(&id, "the right password")
            .expect("confirm"),
        ConfirmOutcome::Confirmed
    );
    assert!(f.engine.is_fresh(&id, MAX_AGE).expect("fresh"));
    assert_eq!(fresh_for_guard(&f, &id), Ok(()));
}

#[test]
fn regenerating_keeps_the_proof_and_logging_out_clears_it() {
    let f = engine();
    let id = logged_in(&f);
    let regenerated = f.engine.regenerate_session(&id).expect("regenerate");
    let id = regenerated.id.expose().to_owned();
    assert!(f.engine.is_fresh(&id, MAX_AGE).expect("fresh"));
    let out = f.engine.invalidate_session(&id).expect("logout");
    assert!(!f.engine.is_fresh(out.id.expose(), MAX_AGE).expect("fresh"));
    let guest = f
        .engine
        .confirm_password(out.id.expose(), "the right password");
    assert!(
        matches!(guest, Err(Error::Session(SessionError::NotLoggedIn))),
        "{guest:?}"
    );
}

#[test]
fn the_proof_survives_reopening_and_a_bearer_token_never_carries_one() {
    let f = engine();
    let id = logged_in(&f);
    let f = f.reopen();
    assert!(f.engine.is_fresh(&id, MAX_AGE).expect("fresh"));
    let token = f
        .engine
        .create_token(42, "cli", ["*"], None)
        .expect("token");
    let bearer = format!("Bearer {}", token.plain_text.expose());
    let request = Request {
        method: "GET",
        authorization: Some(&bearer),
        ..Request::default()
    };
    let principal = f.engine.authenticate(&request).expect("authenticated");
    assert_eq!(
        f.engine.require_fresh(&principal, MAX_AGE),
        Err(GuardError::PasswordConfirmationRequired)
    );
}

#[test]
fn nist_presets_set_the_session_lifetimes() {
    let aal2 = Config::nist_aal2();
    assert_eq!(
        (aal2.idle_lifetime.as_secs(), aal2.absolute_lifetime),
        (3600, Some(Duration::from_secs(86_400)))
    );
    let aal3 = Config::nist_aal3();
    assert_eq!(
        (aal3.idle_lifetime.as_secs(), aal3.absolute_lifetime),
        (900, Some(Duration::from_secs(43_200)))
    );
}
