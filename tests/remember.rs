//! Remember-me tokens: shape, rotation, theft detection, expiry, revocation, GC.

mod common;
mod credential_support;

use authkv::{Engine, RememberOutcome, RememberToken};
use common::*;
use credential_support::{problems, tamper};
use redb::{ReadableTable, TableDefinition};

const LIFETIME: u64 = 400 * 24 * 60 * 60;

fn commits(engine: &Engine) -> u64 {
    engine.stats().expect("stats").write_commits
}

fn tokens(engine: &Engine) -> u64 {
    engine.stats().expect("stats").remember_tokens
}

/// Consume `token`, expecting a login as `user_id`; returns the rotated token.
fn consume_ok(engine: &Engine, token: &RememberToken, user_id: u64) -> RememberToken {
    match engine
        .consume_remember_token(token.expose())
        .expect("consume")
    {
        RememberOutcome::Authenticated {
            user_id: got,
            token,
        } if got == user_id => token,
        other => panic!("expected a login as {user_id}, got {other:?}"),
    }
}

fn consume(engine: &Engine, token: &RememberToken) -> RememberOutcome {
    engine
        .consume_remember_token(token.expose())
        .expect("consume")
}

#[test]
fn created_token_is_selector_colon_validator() {
    let f = fixture();
    let token = f.engine.create_remember_token(1).expect("create");
    let text = token.expose();
    assert_eq!(text.len(), 57);
    let (selector, validator) = text.split_once(':').expect("a colon");
    assert_eq!((selector.len(), validator.len()), (16, 40));
    assert!(
        selector
            .bytes()
            .chain(validator.bytes())
            .all(|b| b.is_ascii_alphanumeric())
    );
    assert_ne!(f.engine.create_remember_token(1).expect("create"), token);
    assert_eq!(tokens(&f.engine), 2);
    assert_consistent(&f.engine);
}

#[test]
fn consuming_a_token_logs_in_and_rotates_it() {
    let f = fixture();
    let first = f.engine.create_remember_token(4).expect("create");
    f.clock.advance(3600);
    let second = consume_ok(&f.engine, &first, 4);
    assert_ne!(second, first);
    // The device keeps its selector; only the validator changes.
    assert_eq!(&second.expose()[..17], &first.expose()[..17]);
    assert_ne!(&second.expose()[17..], &first.expose()[17..]);
    let third = consume_ok(&f.engine, &second, 4);
    assert_ne!(third, second);
    assert_eq!(
        tokens(&f.engine),
        1,
        "one row per device, however often it is used"
    );
    assert_consistent(&f.engine);
}

#[test]
fn reusing_a_rotated_token_is_theft_and_revokes_every_device_of_the_user() {
    let f = fixture();
    let phone = f.engine.create_remember_token(9).expect("create");
    let laptop = f.engine.create_remember_token(9).expect("create");
    let other_user = f.engine.create_remember_token(10).expect("create");
    let phone_now = consume_ok(&f.engine, &phone, 9);
    // The old phone cookie comes back: someone copied it.
    assert_eq!(
        consume(&f.engine, &phone),
        RememberOutcome::TheftDetected { user_id: 9 }
    );
    assert_eq!(consume(&f.engine, &phone_now), RememberOutcome::Invalid);
    assert_eq!(
        consume(&f.engine, &laptop),
        RememberOutcome::Invalid,
        "second device revoked"
    );
    assert_eq!(
        consume(&f.engine, &phone),
        RememberOutcome::Invalid,
        "reported once"
    );
    assert_eq!(tokens(&f.engine), 1);
    consume_ok(&f.engine, &other_user, 10);
    assert_consistent(&f.engine);
}

#[test]
fn wrong_validator_for_a_known_selector_is_theft() {
    let f = fixture();
    let token = f.engine.create_remember_token(3).expect("create");
    let forged = format!("{}{}", &token.expose()[..17], "x".repeat(40));
    let outcome = f.engine.consume_remember_token(&forged).expect("consume");
    assert_eq!(outcome, RememberOutcome::TheftDetected { user_id: 3 });
    assert_eq!(consume(&f.engine, &token), RememberOutcome::Invalid);
    assert_eq!(tokens(&f.engine), 0);
    assert_consistent(&f.engine);
}

#[test]
fn malformed_tokens_are_invalid_without_a_read_or_a_write() {
    let f = fixture();
    let token = f.engine.create_remember_token(1).expect("create");
    let text = token.expose();
    let before = f.engine.stats().expect("stats");
    let malformed = [
        String::new(),
        text.replace(':', "x"),                       // no colon
        text.replace(':', ""),                        // no colon, short
        format!("{}:{}", &text[..15], &text[16..]),   // 15-char selector
        format!("{}a", text),                         // 41-char validator
        text[..56].to_owned(),                        // 39-char validator
        format!("{}é", &text[..55]),                  // non-ASCII
        format!("é{}", &text[2..]),                   // non-ASCII selector
        format!("{}-{}", &text[..16], &text[17..]),   // wrong separator
        format!("{}:{}", &text[..16], &text[16..56]), // two colons
        format!(" {}", &text[1..]),                   // space
    ];
    for bad in &malformed {
        let outcome = f.engine.consume_remember_token(bad).expect("consume");
        assert_eq!(outcome, RememberOutcome::Invalid, "{bad:?}");
    }
    let after = f.engine.stats().expect("stats");
    assert_eq!(
        (after.lookups, after.write_commits),
        (before.lookups, before.write_commits)
    );
    consume_ok(&f.engine, &token, 1);
}

#[test]
fn unknown_selector_is_invalid_without_a_write() {
    let f = fixture();
    let token = f.engine.create_remember_token(1).expect("create");
    let written = commits(&f.engine);
    let unknown = format!("{}:{}", "Z".repeat(16), &token.expose()[17..]);
    assert_eq!(
        f.engine.consume_remember_token(&unknown).expect("consume"),
        RememberOutcome::Invalid
    );
    assert_eq!(commits(&f.engine), written);
    consume_ok(&f.engine, &token, 1);
}

#[test]
fn expired_token_is_invalid_without_a_write() {
    let f = fixture();
    let token = f.engine.create_remember_token(1).expect("create");
    let stale = f.engine.create_remember_token(2).expect("create");
    f.clock.advance(LIFETIME - 1);
    consume_ok(&f.engine, &token, 1);
    f.clock.advance(1); // `stale` was issued exactly one lifetime ago
    let written = commits(&f.engine);
    assert_eq!(consume(&f.engine, &stale), RememberOutcome::Invalid);
    assert_eq!(commits(&f.engine), written);
    // Even a wrong validator for an expired selector writes nothing.
    let forged = format!("{}{}", &stale.expose()[..17], "x".repeat(40));
    assert_eq!(
        f.engine.consume_remember_token(&forged).expect("consume"),
        RememberOutcome::Invalid
    );
    assert_eq!(commits(&f.engine), written);
}

#[test]
fn rotation_starts_the_lifetime_again() {
    let f = fixture_with(|c| c.remember_lifetime = minutes(10));
    let token = f.engine.create_remember_token(1).expect("create");
    f.clock.advance(9 * 60);
    let token = consume_ok(&f.engine, &token, 1);
    f.clock.advance(9 * 60);
    let token = consume_ok(&f.engine, &token, 1);
    f.clock.advance(10 * 60);
    assert_eq!(consume(&f.engine, &token), RememberOutcome::Invalid);
}

#[test]
fn revoke_remember_tokens_revokes_every_token_of_the_user_only() {
    let f = fixture();
    let a = f.engine.create_remember_token(5).expect("create");
    let b = f.engine.create_remember_token(5).expect("create");
    let other = f.engine.create_remember_token(6).expect("create");
    assert_eq!(f.engine.revoke_remember_tokens(5).expect("revoke"), 2);
    assert_eq!(consume(&f.engine, &a), RememberOutcome::Invalid);
    assert_eq!(consume(&f.engine, &b), RememberOutcome::Invalid);
    consume_ok(&f.engine, &other, 6);
    assert_eq!(f.engine.revoke_remember_tokens(5).expect("revoke"), 0);
    assert_consistent(&f.engine);
}

#[test]
fn gc_removes_expired_tokens_and_commits_nothing_when_none_expired() {
    let f = fixture_with(|c| c.remember_lifetime = minutes(10));
    let early = f.engine.create_remember_token(1).expect("create");
    f.clock.advance(60);
    let late = f.engine.create_remember_token(2).expect("create");
    f.clock.advance(9 * 60 - 1);
    let written = commits(&f.engine);
    let report = f.engine.gc().expect("gc");
    assert_eq!((report.remember_tokens_deleted, report.batches), (0, 0));
    assert_eq!(
        commits(&f.engine),
        written,
        "nothing expired: nothing committed"
    );
    f.clock.advance(1); // `early` reaches its expiry
    let report = f.engine.gc().expect("gc");
    assert_eq!(
        (report.remember_tokens_deleted, report.records_examined),
        (1, 1)
    );
    assert_eq!(tokens(&f.engine), 1);
    assert_eq!(consume(&f.engine, &early), RememberOutcome::Invalid);
    assert_consistent(&f.engine);
    let late = consume_ok(&f.engine, &late, 2); // rotation moved its expiry
    f.clock.advance(60);
    assert_eq!(f.engine.gc().expect("gc").remember_tokens_deleted, 0);
    f.clock.advance(10 * 60);
    assert_eq!(f.engine.gc().expect("gc").remember_tokens_deleted, 1);
    assert_eq!(consume(&f.engine, &late), RememberOutcome::Invalid);
    assert_eq!(tokens(&f.engine), 0);
    assert_consistent(&f.engine);
}

#[test]
fn debug_never_shows_the_token_or_its_validator() {
    let f = fixture();
    let token = f.engine.create_remember_token(1).expect("create");
    let outcome = consume(&f.engine, &token);
    let RememberOutcome::Authenticated { token: rotated, .. } = &outcome else {
        panic!("expected a login, got {outcome:?}");
    };
    let shown = format!("{token:?} {outcome:?}");
    for secret in [
        token.expose(),
        rotated.expose(),
        &token.expose()[17..],
        &rotated.expose()[17..],
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn only_digests_of_the_selector_and_validator_are_stored() {
    let f = fixture();
    let token = f.engine.create_remember_token(1).expect("create");
    let rotated = consume_ok(&f.engine, &token, 1);
    let bytes = stored_bytes(f);
    assert!(!bytes.is_empty());
    for part in [
        &token.expose()[..16],
        &token.expose()[17..],
        &rotated.expose()[17..],
    ] {
        assert!(
            !bytes.windows(part.len()).any(|w| w == part.as_bytes()),
            "{part} stored"
        );
    }
}

#[test]
fn tokens_survive_reopening_the_file() {
    let f = fixture();
    let token = f.engine.create_remember_token(12).expect("create");
    let f = f.reopen();
    let rotated = consume_ok(&f.engine, &token, 12);
    let f = f.reopen();
    assert_eq!(
        consume(&f.engine, &token),
        RememberOutcome::TheftDetected { user_id: 12 }
    );
    assert_eq!(consume(&f.engine, &rotated), RememberOutcome::Invalid);
    assert_consistent(&f.engine);
}

#[test]
fn verify_reports_tokens_and_index_rows_that_disagree() {
    const BY_USER: TableDefinition<(u64, [u8; 32]), ()> = TableDefinition::new("remember_by_user");
    const BY_EXPIRY: TableDefinition<(u64, [u8; 32]), ()> =
        TableDefinition::new("remember_by_expiry");
    let f = file_fixture_with(|_| {});
    f.engine.create_remember_token(1).expect("create");
    assert_consistent(&f.engine);
    let f = tamper(f, |txn| {
        let mut by_user = txn.open_table(BY_USER).expect("table");
        let (user, selector) = by_user.first().expect("read").expect("a row").0.value();
        by_user.remove((user, selector)).expect("remove");
        by_user.insert((user + 1, selector), ()).expect("insert");
        let mut by_expiry = txn.open_table(BY_EXPIRY).expect("table");
        by_expiry.insert((T0, [7; 32]), ()).expect("insert");
    });
    let found = problems(&f.engine);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found.iter().any(|p| p.ends_with("no remember_by_user row")));
    assert!(
        found
            .iter()
            .any(|p| p.ends_with("row says 2, record says 1"))
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("remember_by_expiry") && p.ends_with("no remember record"))
    );
}
