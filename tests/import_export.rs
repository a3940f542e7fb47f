//! Batch imports from Laravel's tables (all rows or none) and the
//! secret-free export.

mod common;
mod token_support;

use std::ops::ControlFlow;
use std::time::Duration;

use authkv::{
    Error, Exported, ExportedCredential, ExportedToken, LaravelSession, Quota, RateLimit,
    SanctumToken, SessionError, TokenError, TokenLimits,
};
use common::*;
use token_support::*;

fn sanctum(id: u64, sha256_hex: &str) -> SanctumToken {
    SanctumToken {
        id,
        user_id: 7,
        name: "deploy".into(),
        sha256_hex: sha256_hex.into(),
        abilities: vec!["server:update".into()],
        created_at: T0,
        last_used_at: Some(T0 + 5),
        expires_at: None,
    }
}

fn laravel_session(id: &str, user_id: Option<u64>) -> LaravelSession {
    LaravelSession {
        id: id.into(),
        user_id,
        ip: "203.0.113.9".into(),
        user_agent: "Mozilla/5.0".into(),
        payload: b"a:1:{s:6:\"_token\";s:40:\"x\";}".to_vec(),
        last_activity: T0 - 60,
    }
}

/// Every rejected row's index and error, from an `ImportRejected`.
fn rejected(e: Error) -> Vec<(usize, Error)> {
    match e {
        Error::ImportRejected(rows) => rows.into_iter().map(|r| (r.index, r.error)).collect(),
        other => panic!("expected ImportRejected, got {other:?}"),
    }
}

#[test]
fn imported_sanctum_batch_authenticates_and_reserves_the_highest_id() {
    let f = fixture();
    let rows = [sanctum(17, VECTOR_SHA256), sanctum(40, LEGACY_SHA256)];
    assert_eq!(f.engine.import_sanctum_tokens(&rows).expect("import"), 2);
    let token = f
        .engine
        .authenticate_token(VECTOR_TEXT)
        .expect("authenticate")
        .expect("imported token authenticates");
    assert_eq!((token.id, token.user_id), (17, 7));
    assert!(token.can("server:update") && token.cant("server:delete"));
    assert_eq!(create(&f, 7, None).id, 41, "ids up to 40 are taken");
    assert_consistent(&f.engine);
}

#[test]
fn one_bad_token_row_rejects_the_whole_batch_and_names_every_bad_row() {
    let f = fixture();
    let mut nameless = sanctum(3, LEGACY_SHA256);
    nameless.name.clear();
    let rows = [
        sanctum(17, VECTOR_SHA256),
        sanctum(0, LEGACY_SHA256),
        nameless,
        sanctum(17, PREFIXED_SHA256),
        sanctum(18, "not hex"),
    ];
    let commits_before = commits(&f.engine);
    let rows = rejected(f.engine.import_sanctum_tokens(&rows).expect_err("refused"));
    let found: Vec<(usize, TokenError)> =
        rows.into_iter().map(|(i, e)| (i, err_token(e))).collect();
    assert_eq!(
        found,
        [
            (1, TokenError::ZeroId),
            (2, TokenError::EmptyName),
            (3, TokenError::DuplicateId { id: 17 }),
            (4, TokenError::MalformedDigest { id: 18 }),
        ]
    );
    assert_eq!(commits(&f.engine), commits_before, "nothing committed");
    assert!(!authenticates(&f.engine, VECTOR_TEXT));
    assert_eq!(f.engine.stats().expect("stats").tokens, 0);
}

#[test]
fn token_batch_refuses_a_digest_already_stored() {
    let f = fixture();
    f.engine
        .import_sanctum_tokens(&[sanctum(17, VECTOR_SHA256)])
        .expect("first import");
    let rows = rejected(
        f.engine
            .import_sanctum_tokens(&[sanctum(20, LEGACY_SHA256), sanctum(21, VECTOR_SHA256)])
            .expect_err("refused"),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, 1);
    assert!(matches!(
        rows[0].1,
        Error::Token(TokenError::DuplicateDigest {
            id: 21,
            existing: 17
        })
    ));
    assert_eq!(f.engine.stats().expect("stats").tokens, 1);
}

#[test]
fn imported_sessions_keep_their_cookie_user_and_payload_with_a_new_csrf_token() {
    let f = fixture();
    let id = "Ab3".repeat(13) + "Z";
    let anonymous = "q".repeat(40);
    let rows = [
        laravel_session(&id, Some(42)),
        laravel_session(&anonymous, None),
    ];
    assert_eq!(f.engine.import_sessions(&rows).expect("import"), 2);
    let session = f
        .engine
        .load_session(&id)
        .expect("load")
        .expect("the browser's cookie still works");
    assert_eq!(session.user_id, Some(42));
    assert_eq!(session.payload, rows[0].payload);
    assert_eq!(
        (session.ip.as_str(), session.user_agent.as_str()),
        ("203.0.113.9", "Mozilla/5.0")
    );
    assert_eq!(session.created_at, T0 - 60, "created_at is last_activity");
    assert_eq!(session.csrf_token.expose().len(), 40);
    let devices = f.engine.user_sessions(42).expect("list");
    assert_eq!(devices.len(), 1);
    assert_consistent(&f.engine);
    let other = f
        .engine
        .load_session(&anonymous)
        .expect("load")
        .expect("live");
    assert_eq!(other.user_id, None);
    assert_ne!(other.csrf_token, session.csrf_token);
}

#[test]
fn one_bad_session_row_rejects_the_whole_batch() {
    let f = fixture();
    let good = "g".repeat(40);
    let mut long_ip = laravel_session(&"i".repeat(40), None);
    long_ip.ip = "9".repeat(46);
    let rows = [
        laravel_session(&good, Some(1)),
        laravel_session("short", None),
        laravel_session(&good, Some(2)),
        long_ip,
    ];
    let found = rejected(f.engine.import_sessions(&rows).expect_err("refused"));
    let kinds: Vec<(usize, SessionError)> = found
        .into_iter()
        .map(|(i, e)| match e {
            Error::Session(s) => (i, s),
            other => panic!("expected a session error, got {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (1, SessionError::MalformedId),
            (2, SessionError::DuplicateId),
            (3, SessionError::IpTooLong { len: 46, max: 45 }),
        ]
    );
    assert!(f.engine.load_session(&good).expect("load").is_none());
    assert_eq!(f.engine.stats().expect("stats").sessions, 0);
}

#[test]
fn session_import_refuses_an_id_already_stored_and_long_user_agents_are_truncated() {
    let f = fixture();
    let id = "k".repeat(40);
    let mut row = laravel_session(&id, Some(3));
    row.user_agent = "é".repeat(400);
    f.engine.import_sessions(&[row.clone()]).expect("import");
    let stored = f.engine.load_session(&id).expect("load").expect("live");
    assert_eq!(stored.user_agent.len(), 512);
    let again = rejected(f.engine.import_sessions(&[row]).expect_err("duplicate"));
    assert!(matches!(
        again[..],
        [(0, Error::Session(SessionError::DuplicateId))]
    ));
}

#[test]
fn rejection_message_names_rows_but_never_a_session_id() {
    let f = fixture();
    let secret = "S".repeat(40);
    f.engine
        .import_sessions(&[laravel_session(&secret, None)])
        .expect("import");
    let e = f
        .engine
        .import_sessions(&[laravel_session(&secret, None)])
        .expect_err("duplicate");
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("row 0"), "{shown}");
    assert!(!shown.contains(&secret), "{shown}");
    let debug = format!("{:?}", laravel_session(&secret, None));
    assert!(!debug.contains(&secret));
    let debug = format!("{:?}", sanctum(1, VECTOR_SHA256));
    assert!(!debug.contains(VECTOR_SHA256));
}

#[test]
fn empty_batches_store_nothing_and_commit_nothing() {
    let f = fixture();
    let before = commits(&f.engine);
    assert_eq!(f.engine.import_sessions(&[]).expect("sessions"), 0);
    assert_eq!(f.engine.import_sanctum_tokens(&[]).expect("tokens"), 0);
    assert_eq!(commits(&f.engine), before);
}

#[test]
fn export_lists_every_record_without_a_secret() {
    let f = fixture();
    let visitor = f
        .engine
        .create_session("10.0.0.1", "curl")
        .expect("session");
    let user = f.engine.login(visitor.id.expose(), 5).expect("login");
    let token = create(&f, 5, Some(T0 + 100));
    f.engine
        .import_sanctum_token(90, 6, "old", VECTOR_SHA256, ["*"], T0, None, None)
        .expect("import");
    f.engine
        .set_password(5, "ada@example.com", "correct horse")
        .expect("password");
    let mut seen = Vec::new();
    f.engine
        .export(|record| {
            seen.push(record);
            ControlFlow::Continue(())
        })
        .expect("export");
    assert_eq!(seen.len(), 4, "{seen:?}");
    let Exported::Session(session) = &seen[0] else {
        panic!("sessions come first: {seen:?}");
    };
    assert_eq!(session.user_id, Some(5));
    assert_eq!(
        session.handle,
        f.engine.user_sessions(5).expect("list")[0].handle
    );
    let Exported::Token(first) = &seen[1] else {
        panic!("then tokens: {seen:?}");
    };
    assert_eq!(
        (first.id, first.user_id, first.expires_at),
        (token.id, 5, Some(T0 + 100))
    );
    assert!(matches!(&seen[2], Exported::Token(t) if t.id == 90 && t.abilities == ["*"]));
    assert!(matches!(
        &seen[3],
        Exported::Credential(ExportedCredential { user_id: 5, login, .. }) if login == "ada@example.com"
    ));
    let shown = format!("{seen:?}");
    for secret in [
        user.id.expose(),
        user.csrf_token.expose(),
        token.plain_text.expose(),
        VECTOR_SHA256,
        "correct horse",
        "argon2",
    ] {
        assert!(!shown.contains(secret), "export shows a secret: {shown}");
    }
}

/// Every token [`authkv::Engine::export`] hands out.
fn exported_tokens(f: &Fixture) -> Vec<ExportedToken> {
    let mut tokens = Vec::new();
    f.engine
        .export(|record| {
            if let Exported::Token(token) = record {
                tokens.push(token);
            }
            ControlFlow::Continue(())
        })
        .expect("export");
    tokens
}

#[test]
fn exported_tokens_carry_their_limits_with_the_quota_left_as_of_now() {
    let f = fixture();
    let limits = TokenLimits {
        rate_limit: Some(RateLimit {
            max: 100,
            window: Duration::from_secs(60),
        }),
        quota: Some(Quota {
            remaining: 5,
            refill_amount: 5,
            refill_interval: Some(Duration::from_secs(3600)),
        }),
    };
    let limited = f
        .engine
        .create_token_with_limits(5, "ci", ["read"], None, &limits)
        .expect("token");
    let plain = create(&f, 5, None);
    for _ in 0..2 {
        let text = limited.plain_text.expose();
        assert!(f.engine.authenticate_token(text).expect("auth").is_some());
    }
    let tokens = exported_tokens(&f);
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    let mut used = limits;
    used.quota.as_mut().expect("quota").remaining = 3;
    assert_eq!(
        tokens[0].limits,
        Some(used),
        "uses not yet written are counted"
    );
    assert_eq!(tokens[1].limits, None);
    assert_eq!(
        f.engine.token_limits(limited.id).expect("limits"),
        Some(used)
    );
    assert_eq!(
        f.engine
            .export_token(limited.id)
            .expect("one token")
            .as_ref(),
        Some(&tokens[0])
    );
    assert_eq!(
        f.engine.export_token(plain.id).expect("one token").as_ref(),
        Some(&tokens[1])
    );
    assert_eq!(f.engine.export_token(999).expect("one token"), None);

    f.engine.flush().expect("flush");
    assert_eq!(
        exported_tokens(&f)[0].limits,
        Some(used),
        "written the same"
    );
    f.clock.advance(3600);
    assert_eq!(
        exported_tokens(&f)[0].limits,
        Some(limits),
        "a refill that is due"
    );
}

#[test]
fn export_stops_when_the_visitor_breaks() {
    let f = fixture();
    for _ in 0..3 {
        f.engine.create_session("1.1.1.1", "ua").expect("session");
    }
    let mut calls = 0;
    f.engine
        .export(|_| {
            calls += 1;
            ControlFlow::Break(())
        })
        .expect("export");
    assert_eq!(calls, 1);
}

#[test]
fn imported_times_from_the_future_are_refused_so_nothing_becomes_immortal() {
    let f = fixture();
    let digest = "583c62f76933c291fdd5b72da85fa056b9529f39a2408c987d2b21289e1b9cb8";
    let mut session = laravel_session(&"A".repeat(40), Some(1));
    session.last_activity = T0 + 301; // beyond the 300 s clock skew allowed
    let err = f
        .engine
        .import_sessions(&[session.clone()])
        .expect_err("refused");
    assert!(matches!(
        rejected(err).as_slice(),
        [(0, Error::Session(SessionError::FromTheFuture { at, now }))] if *at == T0 + 301 && *now == T0
    ));
    session.last_activity = T0 + 300;
    assert_eq!(
        f.engine
            .import_sessions(&[session])
            .expect("within the skew"),
        1
    );

    let mut token = sanctum(17, digest);
    token.created_at = T0 + 3600 * 1000; // milliseconds mistaken for seconds
    let err = f
        .engine
        .import_sanctum_tokens(&[token.clone()])
        .expect_err("refused");
    assert!(matches!(
        rejected(err).as_slice(),
        [(0, Error::Token(TokenError::FromTheFuture { id: 17, .. }))]
    ));
    token.created_at = T0;
    token.last_used_at = Some(u64::MAX);
    assert!(matches!(
        f.engine.import_sanctum_tokens(&[token.clone()]),
        Err(Error::ImportRejected(_))
    ));
    token.last_used_at = Some(T0);
    token.expires_at = Some(T0 + 86_400); // a future expiry is normal
    assert_eq!(f.engine.import_sanctum_tokens(&[token]).expect("stored"), 1);
    assert_eq!(f.engine.stats().expect("stats").tokens, 1);
    assert_consistent(&f.engine);
}
