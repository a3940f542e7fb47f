//! Passwords: hashing, login attempts, login ownership, rehash on login,
//! input limits, password confirmation and password change.

mod common;
mod credential_support;

use authkv::{
    AttemptOutcome, Config, CredentialError, Engine, Error, MAX_LOGIN_LEN, MAX_PASSWORD_LEN,
    PasswordParams, RememberOutcome,
};
use common::*;
use credential_support::*;
use redb::{ReadableDatabase, TableDefinition};

fn err_credential(e: Error) -> CredentialError {
    match e {
        Error::Credential(c) => c,
        other => panic!("expected a credential error, got {other:?}"),
    }
}

/// Reopen the fixture's store with another configuration.
fn reopen_with(f: Fixture, adjust: impl FnOnce(&mut Config)) -> Fixture {
    f.reopen_with(adjust)
}

/// The PHC string stored for `login`, read straight from the database.
#[cfg(feature = "postgres")]
fn stored_phc_on_server(url: &str, login: &str) -> String {
    let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
    client
        .query_one(
            "SELECT phc FROM authkv_credentials WHERE login = $1",
            &[&login],
        )
        .expect("credential stored")
        .get(0)
}

/// The PHC string stored for `login`, read straight from the file.
fn stored_phc(f: Fixture, login: &str) -> (Fixture, String) {
    #[cfg(feature = "postgres")]
    if let Some(url) = &f.url {
        let phc = stored_phc_on_server(url, login);
        return (f, phc);
    }
    const CREDENTIALS: TableDefinition<&str, &[u8]> = TableDefinition::new("credentials");
    let Fixture {
        dir, clock, engine, ..
    } = f;
    let config = engine.config().clone();
    engine.close().expect("close");
    let path = dir.path().join("auth.redb");
    let phc = {
        let db = redb::Database::open(&path).expect("open with redb");
        let txn = db.begin_read().expect("read");
        let table = txn.open_table(CREDENTIALS).expect("table");
        let value = table.get(login).expect("get").expect("credential stored");
        let bytes = value.value();
        let start = bytes
            .windows(10)
            .position(|w| w == b"$argon2id$")
            .expect("a PHC string in the record");
        let phc_char = |b: &u8| b.is_ascii_alphanumeric() || b"$=,+/.-".contains(b);
        let len = bytes[start..].iter().take_while(|b| phc_char(b)).count();
        String::from_utf8(bytes[start..start + len].to_vec()).expect("ascii")
    };
    let engine = Engine::open(&path, config).expect("reopen");
    let f = Fixture {
        dir,
        clock,
        engine,
        url: None,
    };
    (f, phc)
}

#[test]
fn password_is_stored_as_an_owasp_argon2id_phc_string_and_round_trips() {
    let f = fixture(); // default costs: the OWASP parameters
    f.engine
        .set_password(1, "alice@example.com", "correct horse")
        .expect("set");
    let outcome = f
        .engine
        .attempt("alice@example.com", "correct horse", IP)
        .expect("attempt");
    assert_eq!(outcome, authenticated(1));
    let (f, phc) = stored_phc(f, "alice@example.com");
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert_eq!(f.engine.stats().expect("stats").credentials, 1);
    assert_consistent(&f.engine);
}

#[test]
fn wrong_password_is_invalid_credentials_after_one_verification() {
    let f = fast();
    f.engine.set_password(1, "alice", "right").expect("set");
    let before = verifications(&f.engine);
    let outcome = f.engine.attempt("alice", "wrong", IP).expect("attempt");
    assert_eq!(outcome, AttemptOutcome::InvalidCredentials);
    assert_eq!(verifications(&f.engine), before + 1);
    assert_eq!(
        f.engine.attempt("alice", "righ", IP).expect("attempt"),
        AttemptOutcome::InvalidCredentials
    );
    assert_eq!(
        f.engine.attempt("alice", "right", IP).expect("attempt"),
        authenticated(1)
    );
    assert_consistent(&f.engine);
}

#[test]
fn unknown_login_still_runs_exactly_one_verification() {
    let f = fast();
    f.engine.set_password(1, "alice", "pw").expect("set");
    let before = verifications(&f.engine);
    let outcome = f.engine.attempt("nobody", "pw", IP).expect("attempt");
    assert_eq!(outcome, AttemptOutcome::InvalidCredentials);
    assert_eq!(verifications(&f.engine), before + 1);
    // Same count as a known login with a wrong password.
    fail(&f.engine, "alice", "nope", IP);
    assert_eq!(verifications(&f.engine), before + 2);
    assert_consistent(&f.engine);
}

#[test]
fn login_held_by_another_user_is_refused_and_nothing_changes() {
    let f = fast();
    f.engine.set_password(1, "alice", "pw1").expect("set");
    f.engine.set_password(2, "bob", "pw2").expect("set");
    let before = f.engine.stats().expect("stats");
    for user in [2, 3] {
        let err = f
            .engine
            .set_password(user, "alice", "stolen")
            .expect_err("refused");
        assert_eq!(
            err_credential(err),
            CredentialError::LoginTaken {
                login: "alice".into()
            }
        );
    }
    assert_eq!(
        f.engine.stats().expect("stats").write_commits,
        before.write_commits
    );
    assert_eq!(f.engine.stats().expect("stats").credentials, 2);
    assert_eq!(
        f.engine.attempt("alice", "pw1", IP).expect("attempt"),
        authenticated(1)
    );
    assert_eq!(
        f.engine.attempt("bob", "pw2", IP).expect("attempt"),
        authenticated(2)
    );
    assert!(!f.engine.verify_password(3, "stolen").expect("verify"));
    assert_consistent(&f.engine);
}

#[test]
fn setting_another_login_for_a_user_replaces_the_old_login() {
    let f = fast();
    f.engine.set_password(1, "alice", "pw").expect("set");
    f.engine
        .set_password(1, "alice@new.example", "pw2")
        .expect("change login");
    assert_eq!(f.engine.stats().expect("stats").credentials, 1);
    assert_eq!(
        f.engine.attempt("alice", "pw", IP).expect("attempt"),
        AttemptOutcome::InvalidCredentials
    );
    assert_eq!(
        f.engine
            .attempt("alice@new.example", "pw2", IP)
            .expect("attempt"),
        authenticated(1)
    );
    // The old login is free again.
    f.engine
        .set_password(2, "alice", "pw3")
        .expect("reuse freed login");
    assert_eq!(
        f.engine
            .attempt("alice", "pw3", "10.0.0.1")
            .expect("attempt"),
        authenticated(2)
    );
    // Same login again only replaces the hash.
    f.engine
        .set_password(2, "alice", "pw4")
        .expect("same login");
    assert_eq!(
        f.engine
            .attempt("alice", "pw4", "10.0.0.1")
            .expect("attempt"),
        authenticated(2)
    );
    assert_eq!(f.engine.stats().expect("stats").credentials, 2);
    assert_consistent(&f.engine);
}

#[test]
fn successful_login_rehashes_when_the_configured_costs_changed() {
    let f = fast();
    f.engine.set_password(1, "alice", "pw").expect("set");
    let (f, phc) = stored_phc(f, "alice");
    assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
    let f = reopen_with(f, |c| c.argon2 = PasswordParams::new(128, 2, 1));
    // A failed attempt changes nothing.
    assert_eq!(
        f.engine.attempt("alice", "wrong", IP).expect("attempt"),
        AttemptOutcome::InvalidCredentials
    );
    let (f, unchanged) = stored_phc(f, "alice");
    assert_eq!(unchanged, phc);
    assert_eq!(
        f.engine.attempt("alice", "pw", IP).expect("attempt"),
        authenticated(1)
    );
    let (f, rehashed) = stored_phc(f, "alice");
    assert!(
        rehashed.starts_with("$argon2id$v=19$m=128,t=2,p=1$"),
        "{rehashed}"
    );
    assert!(f.engine.verify_password(1, "pw").expect("verify"));
    // With matching costs, a login leaves the hash alone.
    assert_eq!(
        f.engine.attempt("alice", "pw", IP).expect("attempt"),
        authenticated(1)
    );
    let (f, again) = stored_phc(f, "alice");
    assert_eq!(again, rehashed);
    assert_consistent(&f.engine);
}

#[test]
fn password_length_limits_are_enforced_with_nothing_stored() {
    let f = fast();
    let at_limit = "p".repeat(MAX_PASSWORD_LEN);
    let over = "p".repeat(MAX_PASSWORD_LEN + 1);
    let written = commits(&f.engine);
    let err = f.engine.set_password(1, "alice", "").expect_err("refused");
    assert_eq!(err_credential(err), CredentialError::EmptyPassword);
    let err = f
        .engine
        .set_password(1, "alice", &over)
        .expect_err("refused");
    assert_eq!(
        err_credential(err),
        CredentialError::PasswordTooLong {
            len: 4097,
            max: 4096
        }
    );
    for password in ["", over.as_str()] {
        assert!(matches!(
            err_credential(
                f.engine
                    .attempt("alice", password, IP)
                    .expect_err("refused")
            ),
            CredentialError::EmptyPassword | CredentialError::PasswordTooLong { .. }
        ));
        assert!(f.engine.verify_password(1, password).is_err());
    }
    let stats = f.engine.stats().expect("stats");
    assert_eq!(
        (
            stats.write_commits,
            stats.credentials,
            stats.password_verifications
        ),
        (written, 0, 0)
    );
    f.engine
        .set_password(1, "alice", &at_limit)
        .expect("4 KiB is allowed");
    assert_eq!(
        f.engine.attempt("alice", &at_limit, IP).expect("attempt"),
        authenticated(1)
    );
    assert_consistent(&f.engine);
}

#[test]
fn login_length_limits_are_enforced_with_nothing_stored() {
    let f = fast();
    let at_limit = "l".repeat(MAX_LOGIN_LEN);
    let over = "l".repeat(MAX_LOGIN_LEN + 1);
    let written = commits(&f.engine);
    let err = f.engine.set_password(1, "", "pw").expect_err("refused");
    assert_eq!(err_credential(err), CredentialError::EmptyLogin);
    let err = f.engine.set_password(1, &over, "pw").expect_err("refused");
    assert_eq!(
        err_credential(err),
        CredentialError::LoginTooLong { len: 321, max: 320 }
    );
    let err = f.engine.attempt(&over, "pw", IP).expect_err("refused");
    assert_eq!(
        err_credential(err),
        CredentialError::LoginTooLong { len: 321, max: 320 }
    );
    let err = f.engine.attempt("", "pw", IP).expect_err("refused");
    assert_eq!(err_credential(err), CredentialError::EmptyLogin);
    let err = f
        .engine
        .attempt("alice", "pw", &"1".repeat(46))
        .expect_err("refused");
    assert_eq!(
        err_credential(err),
        CredentialError::IpTooLong { len: 46, max: 45 }
    );
    let stats = f.engine.stats().expect("stats");
    assert_eq!(
        (
            stats.write_commits,
            stats.credentials,
            stats.password_verifications
        ),
        (written, 0, 0)
    );
    f.engine
        .set_password(1, &at_limit, "pw")
        .expect("320 bytes is allowed");
    assert_eq!(
        f.engine.attempt(&at_limit, "pw", IP).expect("attempt"),
        authenticated(1)
    );
    assert_consistent(&f.engine);
}

#[test]
fn verify_password_confirms_only_the_users_password() {
    let f = fast();
    f.engine.set_password(1, "alice", "pw1").expect("set");
    f.engine.set_password(2, "bob", "pw2").expect("set");
    let before = verifications(&f.engine);
    assert!(f.engine.verify_password(1, "pw1").expect("verify"));
    assert!(!f.engine.verify_password(1, "pw2").expect("verify"));
    assert!(
        !f.engine.verify_password(99, "pw1").expect("verify"),
        "no credential"
    );
    assert_eq!(
        verifications(&f.engine),
        before + 3,
        "one verification each"
    );
}

#[test]
fn change_password_revokes_other_sessions_and_remember_tokens() {
    let f = fast();
    f.engine.set_password(7, "alice", "old").expect("set");
    let mut sessions = Vec::new();
    for device in 0..3 {
        let s = f
            .engine
            .create_session(IP, &format!("device {device}"))
            .expect("create");
        sessions.push(f.engine.login(s.id.expose(), 7).expect("login").id);
    }
    let phone = f.engine.create_remember_token(7).expect("remember");
    let laptop = f.engine.create_remember_token(7).expect("remember");
    let stranger = f.engine.create_session(IP, "stranger").expect("create");
    let stranger = f.engine.login(stranger.id.expose(), 8).expect("login");
    let strangers_token = f.engine.create_remember_token(8).expect("remember");

    f.engine
        .change_password(7, "new", Some(sessions[1].expose()), false)
        .expect("change");

    for (i, id) in sessions.iter().enumerate() {
        assert_eq!(
            f.engine.load_session(id.expose()).expect("load").is_some(),
            i == 1
        );
    }
    for token in [&phone, &laptop] {
        assert_eq!(
            f.engine
                .consume_remember_token(token.expose())
                .expect("consume"),
            RememberOutcome::Invalid
        );
    }
    assert!(
        f.engine
            .load_session(stranger.id.expose())
            .expect("load")
            .is_some()
    );
    assert!(matches!(
        f.engine
            .consume_remember_token(strangers_token.expose())
            .expect("consume"),
        RememberOutcome::Authenticated { user_id: 8, .. }
    ));
    assert_eq!(
        f.engine.attempt("alice", "old", IP).expect("attempt"),
        AttemptOutcome::InvalidCredentials
    );
    assert_eq!(
        f.engine.attempt("alice", "new", IP).expect("attempt"),
        authenticated(7)
    );
    assert_consistent(&f.engine);
}

#[test]
fn change_password_revokes_personal_access_tokens_only_when_asked() {
    let f = fast();
    f.engine.set_password(7, "alice", "old").expect("set");
    let kept = f
        .engine
        .create_token(7, "ci", ["deploy"], None)
        .expect("token");
    let other = f
        .engine
        .create_token(8, "ci", ["deploy"], None)
        .expect("token");
    f.engine
        .change_password(7, "new", None, false)
        .expect("change");
    let text = kept.plain_text.expose();
    assert!(f.engine.authenticate_token(text).expect("auth").is_some());
    f.engine
        .change_password(7, "newer", None, true)
        .expect("change");
    assert!(f.engine.authenticate_token(text).expect("auth").is_none());
    assert!(f.engine.user_tokens(7).expect("list").is_empty());
    let others = other.plain_text.expose();
    assert!(f.engine.authenticate_token(others).expect("auth").is_some());
    assert_consistent(&f.engine);
}

#[test]
fn change_password_without_keep_revokes_every_session() {
    let f = fast();
    f.engine.set_password(7, "alice", "old").expect("set");
    let s = f.engine.create_session(IP, "ua").expect("create");
    let s = f.engine.login(s.id.expose(), 7).expect("login");
    f.engine
        .change_password(7, "new", None, false)
        .expect("change");
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_none()
    );
    assert_consistent(&f.engine);
}

#[test]
fn change_password_is_refused_for_a_user_without_one_and_for_bad_input() {
    let f = fast();
    let err = f
        .engine
        .change_password(5, "new", None, false)
        .expect_err("refused");
    assert_eq!(
        err_credential(err),
        CredentialError::NoCredential { user_id: 5 }
    );
    f.engine.set_password(5, "eve", "old").expect("set");
    let s = f.engine.create_session(IP, "ua").expect("create");
    let s = f.engine.login(s.id.expose(), 5).expect("login");
    let err = f
        .engine
        .change_password(5, "", None, false)
        .expect_err("refused");
    assert_eq!(err_credential(err), CredentialError::EmptyPassword);
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_some(),
        "nothing revoked"
    );
    assert!(f.engine.verify_password(5, "old").expect("verify"));
}

#[test]
fn debug_and_errors_never_show_a_password_or_hash() {
    let f = fast();
    f.engine
        .set_password(1, "alice", "hunter2-secret")
        .expect("set");
    let err = f
        .engine
        .set_password(2, "alice", "hunter3-secret")
        .expect_err("refused");
    let outcome = f
        .engine
        .attempt("alice", "hunter2-secret", IP)
        .expect("attempt");
    let shown = format!(
        "{err} {err:?} {outcome:?} {:?} {:?}",
        f.engine,
        f.engine.config()
    );
    assert!(shown.contains("alice"), "the login is named: {shown}");
    for secret in ["hunter2-secret", "hunter3-secret", "$argon2"] {
        assert!(!shown.contains(secret), "{secret} shown in {shown}");
    }
    let bytes = stored_bytes(f);
    assert!(!bytes.is_empty());
    assert!(!bytes.windows(14).any(|w| w == b"hunter2-secret"));
}

#[test]
fn invalid_argon2_or_throttle_settings_are_refused_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("auth.redb");
    let adjustments: [fn(&mut Config); 4] = [
        |c| c.argon2 = PasswordParams::new(4, 1, 1),
        |c| c.argon2 = PasswordParams::new(64, 0, 1),
        |c| c.throttle_max_attempts = 0,
        |c| c.throttle_window = std::time::Duration::ZERO,
    ];
    for adjust in adjustments {
        let mut config = Config::default();
        adjust(&mut config);
        assert!(matches!(
            Engine::open(&path, config),
            Err(Error::InvalidConfig(_))
        ));
    }
}

#[test]
fn verify_reports_a_credential_and_its_user_row_disagreeing() {
    const BY_USER: TableDefinition<u64, &str> = TableDefinition::new("credentials_by_user");
    let f = file_fixture_with(|c| c.argon2 = FAST);
    f.engine.set_password(1, "alice", "pw").expect("set");
    f.engine.set_password(2, "bob", "pw").expect("set");
    assert_consistent(&f.engine);
    let f = tamper(f, |txn| {
        let mut by_user = txn.open_table(BY_USER).expect("table");
        by_user.remove(1).expect("remove");
        by_user.insert(2, "alice").expect("insert");
        by_user.insert(3, "nobody").expect("insert");
    });
    let found = problems(&f.engine);
    for expected in [
        "credentials user 1: no credentials_by_user row",
        "credentials user 2: credentials_by_user names another login",
        "credentials_by_user user 2: login belongs to another user",
        "credentials_by_user user 3: no credential for its login",
    ] {
        assert!(
            found.iter().any(|p| p == expected),
            "{expected} not in {found:#?}"
        );
    }
    assert!(
        found.iter().all(|p| !p.contains("alice")),
        "logins are not named"
    );
}
