//! Per-token rate limits and quotas: refused with a precise error before
//! any handler runs, counted without a write per request, written in
//! flushes, reset when set anew. Runs on both backends.

mod common;

use std::time::Duration;

use authkv::{Error, GuardError, NewToken, Quota, RateLimit, Request, TokenError, TokenLimits};
use common::*;

fn rate(max: u64, window_secs: u64) -> TokenLimits {
    TokenLimits {
        rate_limit: Some(RateLimit {
            max,
            window: Duration::from_secs(window_secs),
        }),
        quota: None,
    }
}

fn quota(remaining: u64, refill: Option<(u64, u64)>) -> TokenLimits {
    TokenLimits {
        rate_limit: None,
        quota: Some(Quota {
            remaining,
            refill_amount: refill.map_or(0, |(amount, _)| amount),
            refill_interval: refill.map(|(_, secs)| Duration::from_secs(secs)),
        }),
    }
}

fn limited(f: &Fixture, limits: &TokenLimits) -> NewToken {
    f.engine
        .create_token_with_limits(1, "api", ["*"], None, limits)
        .expect("create limited token")
}

fn verify(f: &Fixture, token: &NewToken) -> Result<bool, Error> {
    f.engine
        .authenticate_token(token.plain_text.expose())
        .map(|found| found.is_some())
}

fn remaining(f: &Fixture, token: &NewToken) -> u64 {
    let limits = f.engine.token_limits(token.id).expect("read limits");
    limits.and_then(|l| l.quota).expect("a quota").remaining
}

#[test]
fn the_eleventh_request_in_a_window_of_ten_is_rate_limited_until_the_window_ends() {
    let f = fixture();
    let token = limited(&f, &rate(10, 60));
    for _ in 0..10 {
        assert!(verify(&f, &token).expect("admitted"));
        f.clock.advance(1);
    }
    // The window began at the first request, ten seconds ago.
    match verify(&f, &token) {
        Err(Error::Token(TokenError::RateLimited { retry_after })) => assert_eq!(retry_after, 50),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    f.clock.advance(49);
    assert!(matches!(
        verify(&f, &token),
        Err(Error::Token(TokenError::RateLimited { retry_after: 1 }))
    ));
    f.clock.advance(1);
    assert!(verify(&f, &token).expect("a new window"));
}

#[test]
fn a_quota_of_a_hundred_admits_a_hundred_then_refuses_until_it_refills() {
    let f = fixture();
    let token = limited(&f, &quota(100, Some((100, 3600))));
    for _ in 0..100 {
        assert!(verify(&f, &token).expect("admitted"));
    }
    assert_eq!(remaining(&f, &token), 0);
    f.clock.advance(600);
    match verify(&f, &token) {
        Err(Error::Token(TokenError::QuotaExhausted { retry_after })) => {
            assert_eq!(retry_after, Some(3000));
        }
        other => panic!("expected QuotaExhausted, got {other:?}"),
    }
    f.clock.advance(3000);
    assert_eq!(remaining(&f, &token), 100);
    assert!(verify(&f, &token).expect("refilled"));
    assert_eq!(remaining(&f, &token), 99);
}

#[test]
fn a_quota_without_refill_stays_exhausted() {
    let f = fixture();
    let token = limited(&f, &quota(2, None));
    assert!(verify(&f, &token).unwrap() && verify(&f, &token).unwrap());
    f.clock.advance(365 * 86_400);
    assert!(matches!(
        verify(&f, &token),
        Err(Error::Token(TokenError::QuotaExhausted {
            retry_after: None
        }))
    ));
}

#[test]
fn counting_requests_commits_nothing_and_a_flush_writes_the_quota_in_one_commit() {
    let f = fixture();
    let token = limited(&f, &quota(1000, None));
    verify(&f, &token).expect("first use");
    f.engine.flush().expect("flush the first use");
    let before = f.engine.stats().expect("stats").write_commits;
    for _ in 0..500 {
        assert!(verify(&f, &token).expect("admitted"));
    }
    assert_eq!(f.engine.stats().expect("stats").write_commits, before);
    f.engine.flush().expect("flush");
    assert_eq!(f.engine.stats().expect("stats").write_commits, before + 1);
    f.engine.flush().expect("nothing left");
    assert_eq!(f.engine.stats().expect("stats").write_commits, before + 1);
    assert_eq!(remaining(&f, &token), 499);
}

#[test]
fn quota_use_survives_close_and_reopen() {
    let f = fixture();
    let token = limited(&f, &quota(50, None));
    for _ in 0..20 {
        verify(&f, &token).expect("admitted");
    }
    let f = f.reopen();
    assert_eq!(remaining(&f, &token), 30);
}

#[test]
fn a_request_over_its_limit_is_refused_by_the_guard_before_any_handler() {
    let f = fixture();
    let token = limited(&f, &rate(1, 60));
    let bearer = format!("Bearer {}", token.plain_text.expose());
    let request = Request {
        method: "GET",
        authorization: Some(&bearer),
        ..Request::default()
    };
    let principal = f.engine.authenticate(&request).expect("first request");
    assert_eq!(principal.user_id, 1);
    match f.engine.authenticate(&request) {
        Err(Error::Token(TokenError::RateLimited { retry_after: 60 })) => {}
        other => panic!("expected RateLimited, got {other:?}"),
    }
    let forged = format!("Bearer {}|{}", token.id, "x".repeat(48));
    let forged = Request {
        method: "GET",
        authorization: Some(&forged),
        ..Request::default()
    };
    assert!(matches!(
        f.engine.authenticate(&forged),
        Err(Error::Guard(GuardError::Unauthenticated))
    ));
}

#[test]
fn a_wrong_secret_is_never_counted_against_the_token() {
    let f = fixture();
    let token = limited(&f, &quota(3, None));
    let (id, secret) = token.plain_text.expose().split_once('|').unwrap();
    let mut wrong = secret.to_owned().into_bytes();
    wrong[0] = if wrong[0] == b'a' { b'b' } else { b'a' };
    let wrong = format!("{id}|{}", String::from_utf8(wrong).unwrap());
    for _ in 0..10 {
        assert!(
            f.engine
                .authenticate_token(&wrong)
                .expect("no error")
                .is_none()
        );
    }
    assert_eq!(remaining(&f, &token), 3);
}

#[test]
fn setting_limits_anew_starts_the_counts_over_and_unlimited_removes_them() {
    let f = fixture();
    let token = f
        .engine
        .create_token(1, "api", ["*"], None)
        .expect("create");
    assert_eq!(f.engine.token_limits(token.id).expect("read"), None);
    f.engine
        .set_token_limits(token.id, &rate(1, 3600))
        .expect("set");
    assert!(verify(&f, &token).expect("admitted"));
    assert!(verify(&f, &token).is_err());
    f.engine
        .set_token_limits(token.id, &rate(2, 3600))
        .expect("set anew");
    assert!(verify(&f, &token).expect("counts start over"));
    assert!(verify(&f, &token).expect("second of two"));
    assert!(verify(&f, &token).is_err());
    f.engine
        .set_token_limits(token.id, &TokenLimits::default())
        .expect("remove");
    assert_eq!(f.engine.token_limits(token.id).expect("read"), None);
    for _ in 0..10 {
        assert!(verify(&f, &token).expect("unlimited"));
    }
}

#[test]
fn limits_read_back_as_set_with_the_quota_counted_so_far() {
    let f = fixture();
    let both = TokenLimits {
        rate_limit: rate(5, 10).rate_limit,
        quota: quota(9, Some((20, 86_400))).quota,
    };
    let token = limited(&f, &both);
    assert_eq!(f.engine.token_limits(token.id).expect("read"), Some(both));
    verify(&f, &token).expect("admitted");
    let read = f.engine.token_limits(token.id).expect("read").expect("set");
    assert_eq!(read.rate_limit, both.rate_limit);
    assert_eq!(read.quota.map(|q| q.remaining), Some(8));
}

#[test]
fn invalid_limits_are_refused_and_nothing_is_stored() {
    let f = fixture();
    let bad = [
        rate(0, 60),
        TokenLimits {
            rate_limit: Some(RateLimit {
                max: 1,
                window: Duration::from_millis(1500),
            }),
            quota: None,
        },
        rate(1, 0),
        quota(5, Some((0, 60))),
        quota(5, Some((5, 0))),
        // Past 100 years: times derived from it could overflow.
        rate(1, 101 * 366 * 86_400),
        quota(5, Some((5, u64::MAX))),
    ];
    for limits in &bad {
        let refused = f
            .engine
            .create_token_with_limits(1, "api", ["*"], None, limits);
        assert!(
            matches!(refused, Err(Error::Token(TokenError::InvalidLimits { .. }))),
            "{limits:?}: {refused:?}"
        );
    }
    assert_eq!(f.engine.stats().expect("stats").tokens, 0);
    let token = f
        .engine
        .create_token(1, "api", ["*"], None)
        .expect("create");
    assert!(matches!(
        f.engine.set_token_limits(token.id, &bad[0]),
        Err(Error::Token(TokenError::InvalidLimits { .. }))
    ));
    assert_eq!(f.engine.token_limits(token.id).expect("read"), None);
    assert!(matches!(
        f.engine.set_token_limits(token.id + 1, &rate(1, 1)),
        Err(Error::Token(TokenError::UnknownToken { .. }))
    ));
}

#[test]
fn revoking_a_token_removes_its_limits_and_flushes_skip_it() {
    let f = fixture();
    let token = limited(&f, &quota(10, None));
    verify(&f, &token).expect("admitted");
    assert!(f.engine.revoke_token(token.id).expect("revoke"));
    f.engine.flush().expect("flush skips the revoked token");
    assert_eq!(f.engine.token_limits(token.id).expect("read"), None);
    assert!(f.engine.verify().expect("verify").is_consistent());
}

#[test]
fn verify_reports_a_damaged_limits_row_and_one_without_its_token() {
    let f = file_fixture_with(exclusive);
    let token = limited(&f, &rate(5, 60));
    let path = f.path();
    let Fixture { dir, engine, .. } = f;
    engine.close().expect("close");
    {
        let db = redb::Database::create(&path).expect("open raw");
        let txn = db.begin_write().expect("write");
        {
            let limits: redb::TableDefinition<u64, &[u8]> =
                redb::TableDefinition::new("token_limits");
            let mut table = txn.open_table(limits).expect("table");
            table.insert(token.id, &b"damaged"[..]).expect("damage");
            table
                .insert(token.id + 100, &b"orphan"[..])
                .expect("orphan");
        }
        txn.commit().expect("commit");
    }
    let mut config = authkv::Config::default();
    exclusive(&mut config);
    let engine = authkv::Engine::open(&path, config).expect("reopen");
    let problems = engine.verify().expect("verify").problems;
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].starts_with(&format!("token_limits {}:", token.id)));
    let orphan = format!("token_limits {}: no token record", token.id + 100);
    assert!(problems.contains(&orphan), "{problems:?}");
    drop(dir);
}
