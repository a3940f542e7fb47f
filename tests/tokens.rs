//! Personal access tokens: format, checksum before reads, Sanctum import,
//! lookup by digest, abilities, the legacy switch, limits and bad input.

mod common;
mod token_support;

use std::time::Duration;

use authkv::{Config, Engine, Error, NewToken, TokenError};
use common::*;
use token_support::*;

#[test]
fn plaintext_is_id_bar_40_alphanumerics_and_their_crc32b() {
    let f = fixture();
    let token = create(&f, 1, None);
    let text = token.plain_text.expose();
    let (id, secret) = text.split_once('|').expect("id|secret");
    assert_eq!(id, token.id.to_string());
    assert_eq!(secret.len(), 48);
    let (random, checksum) = secret.split_at(40);
    assert!(random.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(checksum, crc32b(random.as_bytes()));
    assert!(authenticates(&f.engine, text));
    assert_eq!(f.engine.stats().expect("stats").tokens, 1);
    assert_consistent(&f.engine);
}

#[test]
fn configured_prefix_comes_before_the_random_part() {
    let f = fixture_with(|c| c.token_prefix = "akv_".into());
    let token = create(&f, 1, None);
    let secret = token
        .plain_text
        .expose()
        .split_once('|')
        .expect("id|secret")
        .1;
    let random = secret.strip_prefix("akv_").expect("prefix");
    assert_eq!(random.len(), 48);
    assert_eq!(&random[40..], crc32b(&random.as_bytes()[..40]));
    assert!(authenticates(&f.engine, token.plain_text.expose()));
    let unprefixed = format!("{}|{random}", token.id);
    assert!(!authenticates(&f.engine, &unprefixed));
    assert_consistent(&f.engine);
}

#[test]
fn crc32b_of_the_check_string_is_the_standard_value() {
    assert_eq!(crc32b(b"123456789"), "cbf43926");
}

#[test]
fn one_character_change_anywhere_in_the_secret_is_rejected_without_reads() {
    let f = fixture_with(|c| c.token_prefix = "akv_".into());
    let token = create(&f, 1, None);
    let text = token.plain_text.expose();
    let bar = text.find('|').expect("bar");
    let before = lookups(&f.engine);
    for i in bar + 1..text.len() {
        let original = text.as_bytes()[i];
        for replacement in [b'a', b'Z', b'7', b'f', b'_', b'-'] {
            if replacement == original {
                continue;
            }
            let mut changed = text.as_bytes().to_vec();
            changed[i] = replacement;
            let changed = String::from_utf8(changed).expect("ascii");
            assert!(
                !authenticates(&f.engine, &changed),
                "{i}: accepted a changed secret"
            );
        }
    }
    assert_eq!(
        lookups(&f.engine),
        before,
        "a changed secret must be rejected before any read"
    );
    assert!(authenticates(&f.engine, text));
    assert_eq!(
        lookups(&f.engine),
        before + 1,
        "the genuine token is looked up once, by id"
    );
    assert_consistent(&f.engine);
}

#[test]
fn imported_sanctum_token_keeps_authenticating_its_plaintext() {
    let f = fixture();
    import_vector(&f, VECTOR_SHA256);
    let auth = f
        .engine
        .authenticate_token(VECTOR_TEXT)
        .expect("auth")
        .expect("valid");
    assert_eq!((auth.id, auth.user_id), (17, 5));
    assert!(auth.can("read") && auth.cant("write"));
    assert_consistent(&f.engine);
}

#[test]
fn imported_prefixed_sanctum_token_keeps_authenticating_its_plaintext() {
    let f = fixture_with(|c| c.token_prefix = "akv_".into());
    import_vector(&f, PREFIXED_SHA256);
    assert!(authenticates(&f.engine, PREFIXED_TEXT));
    assert!(
        !authenticates(&f.engine, VECTOR_TEXT),
        "the prefix is part of the secret"
    );
    let f = reopen_with(f, |c| c.token_prefix = String::new());
    assert!(
        !authenticates(&f.engine, PREFIXED_TEXT),
        "a prefix that is not configured"
    );
    assert_consistent(&f.engine);
}

#[test]
fn imported_digest_may_be_uppercase_hex() {
    let f = fixture();
    import_vector(&f, &VECTOR_SHA256.to_uppercase());
    assert!(authenticates(&f.engine, VECTOR_TEXT));
    assert_consistent(&f.engine);
}

#[test]
fn secret_without_id_is_found_by_its_digest() {
    let f = fixture();
    import_vector(&f, VECTOR_SHA256);
    let bare = VECTOR_TEXT.split_once('|').expect("bar").1;
    let before = lookups(&f.engine);
    let auth = f
        .engine
        .authenticate_token(bare)
        .expect("auth")
        .expect("valid");
    assert_eq!(auth.id, 17);
    assert_eq!(
        lookups(&f.engine),
        before + 2,
        "digest index, then the record"
    );
    let token = create(&f, 2, None);
    let bare = token.plain_text.expose().split_once('|').expect("bar").1;
    assert_eq!(
        f.engine
            .authenticate_token(bare)
            .expect("auth")
            .expect("valid")
            .id,
        token.id
    );
    assert_consistent(&f.engine);
}

#[test]
fn wrong_secret_for_an_existing_id_is_rejected() {
    let f = fixture();
    let a = create(&f, 1, None);
    let b = create(&f, 2, None);
    let b_secret = b.plain_text.expose().split_once('|').expect("bar").1;
    assert!(!authenticates(&f.engine, &format!("{}|{b_secret}", a.id)));
    let unknown = VECTOR_TEXT.split_once('|').expect("bar").1;
    assert!(!authenticates(&f.engine, &format!("{}|{unknown}", a.id)));
    assert!(
        !authenticates(&f.engine, unknown),
        "well-formed but never issued"
    );
    assert!(
        !authenticates(&f.engine, &format!("999|{b_secret}")),
        "unknown id"
    );
    assert!(authenticates(&f.engine, a.plain_text.expose()));
    assert_consistent(&f.engine);
}

#[test]
fn abilities_match_exactly_and_the_wildcard_grants_all() {
    let f = fixture();
    let limited = f
        .engine
        .create_token(1, "ci", ["server:update", "server:read"], None);
    let limited = limited.expect("create");
    let all = f
        .engine
        .create_token(1, "admin", ["*"], None)
        .expect("create");
    let none = f
        .engine
        .create_token(1, "nothing", Vec::<String>::new(), None)
        .expect("create");
    let auth = |t: &NewToken| {
        f.engine
            .authenticate_token(t.plain_text.expose())
            .expect("auth")
            .expect("valid")
    };
    let limited = auth(&limited);
    assert!(limited.can("server:update"));
    assert!(limited.cant("server:delete"));
    assert!(limited.cant("server"), "no prefix matching");
    assert!(limited.cant("Server:update"), "case matters");
    assert!(limited.can_all(&["server:update", "server:read"]));
    assert!(!limited.can_all(&["server:update", "server:delete"]));
    assert!(limited.can_any(&["server:delete", "server:read"]));
    assert!(!limited.can_any(&["server:delete", "billing"]));
    assert_eq!(
        limited.abilities.as_slice(),
        ["server:update", "server:read"]
    );
    let all = auth(&all);
    assert!(all.can("anything") && all.can_all(&["a", "b"]) && all.can_any(&["z"]));
    let none = auth(&none);
    assert!(none.cant("read") && !none.can_any(&["read"]));
    assert_consistent(&f.engine);
}

#[test]
fn legacy_tokens_authenticate_only_when_allowed() {
    let f = fixture();
    f.engine
        .import_sanctum_token(3, 9, "old", LEGACY_SHA256, ["*"], T0, None, None)
        .expect("import");
    let with_id = format!("3|{LEGACY_SECRET}");
    let before = lookups(&f.engine);
    assert!(!authenticates(&f.engine, &with_id));
    assert!(!authenticates(&f.engine, LEGACY_SECRET));
    assert_eq!(lookups(&f.engine), before, "refused without reads");
    let f = reopen_with(f, |c| c.allow_legacy_tokens = true);
    assert!(authenticates(&f.engine, &with_id));
    assert!(authenticates(&f.engine, LEGACY_SECRET));
    assert!(!authenticates(
        &f.engine,
        &format!("3|{}", &LEGACY_SECRET[..39])
    ));
    assert_consistent(&f.engine);
}

#[test]
fn malformed_tokens_are_rejected_without_reads() {
    let f = fixture_with(|c| c.allow_legacy_tokens = true);
    import_vector(&f, VECTOR_SHA256);
    let secret = VECTOR_TEXT.split_once('|').expect("bar").1;
    let before = lookups(&f.engine);
    let inputs = [
        String::new(),
        "|".into(),
        "17|".into(),
        "|abc".into(),
        "abc|def".into(),
        "-1|x".into(),
        "99999999999999999999999|x".into(),
        format!("|{secret}"),
        format!("0|{secret}"),
        format!("+17|{secret}"),
        format!("-17|{secret}"),
        format!(" 17|{secret}"),
        format!("17 |{secret}"),
        format!("17|{secret} "),
        format!("17|{secret}|"),
        format!("17||{secret}"),
        format!("18446744073709551616|{secret}"),
        format!("99999999999999999999999|{secret}"),
        format!("abc|{secret}"),
        format!("١٧|{secret}"),
        format!("17|{}é", &secret[..47]),
        "é".repeat(24),
        format!("17|{}", "x".repeat(10 * 1024)),
        "x".repeat(10 * 1024),
        format!("{}|{secret}", "1".repeat(10 * 1024)),
        format!("Bearer {VECTOR_TEXT}"),
    ];
    for text in &inputs {
        assert!(!authenticates(&f.engine, text), "accepted {text:?}");
    }
    assert_eq!(lookups(&f.engine), before);
    assert!(authenticates(&f.engine, VECTOR_TEXT));
    assert!(
        authenticates(&f.engine, &format!("0017|{secret}")),
        "leading zeros, as ctype_digit"
    );
    assert_consistent(&f.engine);
}

#[test]
fn debug_output_never_shows_the_secret() {
    let f = fixture();
    let token = create(&f, 1, None);
    let text = token.plain_text.expose();
    let secret = text.split_once('|').expect("bar").1;
    let auth = f
        .engine
        .authenticate_token(text)
        .expect("auth")
        .expect("valid");
    let listed = f.engine.user_tokens(1).expect("list");
    let shown = format!("{token:?} {:?} {auth:?} {listed:?}", token.plain_text);
    assert!(!shown.contains(secret), "{shown}");
    assert!(!shown.contains(&secret[..40]));
    assert!(shown.contains("PlainTextToken(<redacted>)"));
    assert_consistent(&f.engine);
}

#[test]
fn only_the_digest_of_the_secret_is_stored() {
    let f = fixture();
    let token = create(&f, 1, None);
    let secret = token
        .plain_text
        .expose()
        .split_once('|')
        .expect("bar")
        .1
        .to_owned();
    let bytes = stored_bytes(f);
    assert!(!bytes.is_empty());
    assert!(!bytes.windows(40).any(|w| w == &secret.as_bytes()[..40]));
}

#[test]
fn user_tokens_lists_a_users_tokens_in_creation_order_without_secrets() {
    let f = fixture_with(|c| c.token_prefix = "akv_".into());
    let first = f
        .engine
        .create_token(4, "laptop", ["read"], None)
        .expect("create");
    f.clock.advance(10);
    let second = f
        .engine
        .create_token(4, "ci", ["deploy"], Some(T0 + 99))
        .expect("create");
    create(&f, 5, None);
    let list = f.engine.user_tokens(4).expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!((list[0].id, list[0].name.as_str()), (first.id, "laptop"));
    assert_eq!(list[0].abilities.as_slice(), ["read"]);
    assert_eq!(
        (list[0].created_at, list[0].last_used_at, list[0].expires_at),
        (T0, None, None)
    );
    assert_eq!(
        (list[1].id, list[1].created_at, list[1].expires_at),
        (second.id, T0 + 10, Some(T0 + 99))
    );
    assert!(!list[1].expired);
    assert_eq!(list[1], second.info);
    assert!(f.engine.user_tokens(6).expect("list").is_empty());
    assert_consistent(&f.engine);
}

#[test]
fn creation_limits_are_enforced_and_store_nothing() {
    let f = fixture();
    let before = f.engine.stats().expect("stats");
    let long = "n".repeat(256);
    let many: Vec<String> = (0..65).map(|i| format!("a{i}")).collect();
    let cases: [(Result<NewToken, Error>, TokenError); 5] = [
        (
            f.engine.create_token(1, "", ["*"], None),
            TokenError::EmptyName,
        ),
        (
            f.engine.create_token(1, &long, ["*"], None),
            TokenError::NameTooLong { len: 256, max: 255 },
        ),
        (
            f.engine.create_token(1, "n", &many, None),
            TokenError::TooManyAbilities { count: 65, max: 64 },
        ),
        (
            f.engine.create_token(1, "n", ["read", ""], None),
            TokenError::EmptyAbility { index: 1 },
        ),
        (
            f.engine.create_token(1, "n", [long.as_str()], None),
            TokenError::AbilityTooLong {
                index: 0,
                len: 256,
                max: 255,
            },
        ),
    ];
    for (result, expected) in cases {
        assert_eq!(err_token(result.expect_err("refused")), expected);
    }
    assert_eq!(f.engine.stats().expect("stats"), before);
    f.engine
        .create_token(1, &long[..255], &many[..64], None)
        .expect("at the limits");
    f.engine
        .create_token(1, "n", ["x".repeat(255)], None)
        .expect("at the limit");
    assert_consistent(&f.engine);
}

#[test]
fn import_refuses_duplicates_and_bad_input_and_names_the_id() {
    let f = fixture();
    import_vector(&f, VECTOR_SHA256);
    let before = f.engine.stats().expect("stats");
    let again = f
        .engine
        .import_sanctum_token(17, 1, "x", LEGACY_SHA256, ["*"], T0, None, None)
        .expect_err("duplicate id");
    assert_eq!(again.to_string(), "token id 17 already exists");
    assert_eq!(err_token(again), TokenError::DuplicateId { id: 17 });
    let same_secret = f
        .engine
        .import_sanctum_token(18, 1, "x", VECTOR_SHA256, ["*"], T0, None, None)
        .expect_err("duplicate digest");
    assert!(same_secret.to_string().contains("token id 18"));
    assert_eq!(
        err_token(same_secret),
        TokenError::DuplicateDigest {
            id: 18,
            existing: 17
        }
    );
    let bad_hex = f
        .engine
        .import_sanctum_token(19, 1, "x", "abc", ["*"], T0, None, None)
        .expect_err("bad digest");
    assert_eq!(err_token(bad_hex), TokenError::MalformedDigest { id: 19 });
    let zero = f
        .engine
        .import_sanctum_token(0, 1, "x", LEGACY_SHA256, ["*"], T0, None, None)
        .expect_err("zero id");
    assert_eq!(err_token(zero), TokenError::ZeroId);
    let unnamed = f
        .engine
        .import_sanctum_token(20, 1, "", LEGACY_SHA256, ["*"], T0, None, None)
        .expect_err("empty name");
    assert_eq!(err_token(unnamed), TokenError::EmptyName);
    assert_eq!(f.engine.stats().expect("stats"), before);
    assert_consistent(&f.engine);
}

#[test]
fn imported_timestamps_are_kept_and_judged() {
    let f = fixture();
    f.engine
        .import_sanctum_token(
            17,
            5,
            "old",
            VECTOR_SHA256,
            ["*"],
            T0 - 50,
            Some(T0 - 10),
            Some(T0 + 5),
        )
        .expect("import");
    let info = &f.engine.user_tokens(5).expect("list")[0];
    assert_eq!(
        (info.created_at, info.last_used_at, info.expires_at),
        (T0 - 50, Some(T0 - 10), Some(T0 + 5))
    );
    assert!(authenticates(&f.engine, VECTOR_TEXT));
    f.clock.advance(6);
    assert!(!authenticates(&f.engine, VECTOR_TEXT));
    assert_consistent(&f.engine);
}

#[test]
fn tokens_survive_reopening_the_file() {
    let f = fixture();
    let token = f
        .engine
        .create_token(3, "cli", ["read", "write"], None)
        .expect("create");
    import_vector(&f, VECTOR_SHA256);
    let f = f.reopen();
    let auth = f
        .engine
        .authenticate_token(token.plain_text.expose())
        .expect("auth");
    let auth = auth.expect("valid after reopen");
    assert_eq!(
        (auth.user_id, auth.abilities.as_slice()),
        (3, &["read".to_owned(), "write".to_owned()][..])
    );
    assert!(authenticates(&f.engine, VECTOR_TEXT));
    assert_eq!(f.engine.stats().expect("stats").tokens, 2);
    assert_consistent(&f.engine);
}

#[test]
fn invalid_token_settings_are_refused_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    for adjust in [
        (|c: &mut Config| c.token_prefix = "a|b".into()) as fn(&mut Config),
        |c| c.token_prefix = "has space".into(),
        |c| c.token_prefix = "x".repeat(33),
        |c| c.token_expiration = Some(Duration::ZERO),
    ] {
        let mut config = Config::default();
        adjust(&mut config);
        let result = Engine::open(dir.path().join("auth.redb"), config);
        assert!(matches!(result, Err(Error::InvalidConfig(_))), "{result:?}");
    }
}
