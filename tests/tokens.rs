//! Personal access tokens: format, checksum before reads, Sanctum import,
//! abilities, both expiries, pruning, throttled last use, revocation.

mod common;

use std::time::Duration;

use authkv::{Config, Engine, Error, NewToken, TokenError};
use common::*;

/// Sanctum test vector: a plaintext and the `token` column stored for it.
const VECTOR_TEXT: &str = "17|Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf5";
const VECTOR_SHA256: &str = "583c62f76933c291fdd5b72da85fa056b9529f39a2408c987d2b21289e1b9cb8";
/// The same random part minted with `token_prefix = "akv_"`.
const PREFIXED_TEXT: &str = "17|akv_Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf5";
const PREFIXED_SHA256: &str = "a235ebf9b23dd703f95348303d8617653b38a195624118fd2fdd917afb382cd3";
/// A pre-checksum Sanctum token (40 characters) and its stored digest.
const LEGACY_SECRET: &str = "Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt";
const LEGACY_SHA256: &str = "590927c82df032e8860d1deca3bbcb17d8377a2a7837b83b4fe0c30d3990b6a0";

const HOUR: u64 = 3600;

fn create(f: &Fixture, user: u64, expires_at: Option<u64>) -> NewToken {
    f.engine
        .create_token(user, "api", ["*"], expires_at)
        .expect("create token")
}

fn authenticates(engine: &Engine, text: &str) -> bool {
    engine
        .authenticate_token(text)
        .expect("authenticate")
        .is_some()
}

fn lookups(engine: &Engine) -> u64 {
    engine.stats().expect("stats").lookups
}

fn commits(engine: &Engine) -> u64 {
    engine.stats().expect("stats").write_commits
}

fn err_token(e: Error) -> TokenError {
    match e {
        Error::Token(t) => t,
        other => panic!("expected a token error, got {other:?}"),
    }
}

/// Bit-at-a-time CRC-32 (IEEE), written independently of the library's
/// table-driven one.
fn crc32b(bytes: &[u8]) -> String {
    let mut crc = u32::MAX;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    format!("{:08x}", !crc)
}

/// Close the fixture's engine and open the same file with a changed config.
fn reopen_with(f: Fixture, adjust: impl FnOnce(&mut Config)) -> Fixture {
    let Fixture { dir, clock, engine } = f;
    let mut config = engine.config().clone();
    engine.close().expect("close");
    adjust(&mut config);
    let engine = Engine::open(dir.path().join("auth.redb"), config).expect("reopen");
    Fixture { dir, clock, engine }
}

fn import_vector(f: &Fixture, sha256: &str) {
    f.engine
        .import_sanctum_token(17, 5, "imported", sha256, ["read"], T0 - 100, None, None)
        .expect("import");
}

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
fn own_expiry_is_valid_at_the_instant_and_expired_one_second_later() {
    // Sanctum: valid while `! $accessToken->expires_at->isPast()`.
    let f = fixture();
    let token = create(&f, 1, Some(T0 + 100));
    f.clock.set(T0 + 100);
    assert!(authenticates(&f.engine, token.plain_text.expose()));
    f.clock.set(T0 + 101);
    assert!(!authenticates(&f.engine, token.plain_text.expose()));
    let listed = f.engine.user_tokens(1).expect("list");
    assert!(listed[0].expired, "listed until pruned, marked expired");
    assert_consistent(&f.engine);
}

#[test]
fn global_expiration_counts_from_creation_and_includes_the_boundary() {
    // Sanctum: valid while `created_at->gt(now()->subMinutes($expiration))`.
    let f = fixture_with(|c| c.token_expiration = Some(minutes(60)));
    let token = create(&f, 1, None);
    f.clock.set(T0 + HOUR - 1);
    assert!(authenticates(&f.engine, token.plain_text.expose()));
    f.clock.set(T0 + HOUR);
    assert!(!authenticates(&f.engine, token.plain_text.expose()));
    assert_consistent(&f.engine);
}

#[test]
fn when_both_expiries_apply_the_earlier_wins() {
    let f = fixture_with(|c| c.token_expiration = Some(minutes(60)));
    let short = create(&f, 1, Some(T0 + 600));
    let long = create(&f, 1, Some(T0 + 10 * HOUR));
    f.clock.set(T0 + 601);
    assert!(
        !authenticates(&f.engine, short.plain_text.expose()),
        "own expiry first"
    );
    assert!(authenticates(&f.engine, long.plain_text.expose()));
    f.clock.set(T0 + HOUR);
    assert!(
        !authenticates(&f.engine, long.plain_text.expose()),
        "global expiration first"
    );
    assert_consistent(&f.engine);
}

#[test]
fn prune_keeps_a_token_until_its_expiry_is_more_than_n_hours_past() {
    // Sanctum: where('expires_at', '<', now()->subHours($hours)).
    let f = fixture();
    let token = create(&f, 1, Some(T0 + 100));
    f.clock.set(T0 + 100 + 2 * HOUR);
    assert_eq!(
        f.engine.prune_expired_tokens(2).expect("prune"),
        0,
        "expires_at == cutoff"
    );
    assert_eq!(f.engine.stats().expect("stats").tokens, 1);
    f.clock.advance(1);
    assert_eq!(f.engine.prune_expired_tokens(2).expect("prune"), 1);
    assert_eq!(f.engine.stats().expect("stats").tokens, 0);
    assert!(f.engine.user_tokens(1).expect("list").is_empty());
    assert!(!f.engine.revoke_token(token.id).expect("revoke"));
    assert_consistent(&f.engine);
}

#[test]
fn prune_with_zero_hours_takes_tokens_expired_before_now() {
    let f = fixture();
    create(&f, 1, Some(T0));
    assert_eq!(
        f.engine.prune_expired_tokens(0).expect("prune"),
        0,
        "expires_at == now"
    );
    f.clock.advance(1);
    assert_eq!(f.engine.prune_expired_tokens(0).expect("prune"), 1);
    assert_consistent(&f.engine);
}

#[test]
fn prune_by_global_expiration_waits_expiration_plus_n_hours_after_creation() {
    // Sanctum: where('created_at', '<', now()->subMinutes($expiration + ($hours * 60))).
    let f = fixture_with(|c| c.token_expiration = Some(minutes(60)));
    create(&f, 1, None);
    f.clock.set(T0 + HOUR + 2 * HOUR);
    assert_eq!(
        f.engine.prune_expired_tokens(2).expect("prune"),
        0,
        "created_at == cutoff"
    );
    f.clock.advance(1);
    assert_eq!(f.engine.prune_expired_tokens(2).expect("prune"), 1);
    assert_consistent(&f.engine);
}

#[test]
fn tokens_without_any_expiry_are_never_pruned() {
    let f = fixture();
    create(&f, 1, None);
    f.clock.advance(100 * 365 * 24 * HOUR);
    assert_eq!(f.engine.prune_expired_tokens(0).expect("prune"), 0);
    assert_eq!(f.engine.gc().expect("gc").tokens_deleted, 0);
    assert_eq!(f.engine.stats().expect("stats").tokens, 1);
    assert_consistent(&f.engine);
}

#[test]
fn prune_with_nothing_to_prune_commits_nothing() {
    let f = fixture_with(|c| c.token_expiration = Some(minutes(60)));
    create(&f, 1, Some(T0 + 10 * HOUR));
    create(&f, 2, None);
    let before = commits(&f.engine);
    assert_eq!(f.engine.prune_expired_tokens(24).expect("prune"), 0);
    let report = f.engine.gc().expect("gc");
    assert_eq!((report.tokens_deleted, report.batches), (0, 0));
    assert_eq!(commits(&f.engine), before);
    assert_consistent(&f.engine);
}

#[test]
fn prune_deletes_in_batches_each_its_own_transaction() {
    let f = fixture_with(|c| c.gc_batch_size = 3);
    for user in 0..10 {
        create(&f, user, Some(T0 + user));
    }
    let keep = create(&f, 99, Some(T0 + 5 * HOUR));
    f.clock.set(T0 + HOUR + 20);
    let before = commits(&f.engine);
    assert_eq!(f.engine.prune_expired_tokens(1).expect("prune"), 10);
    assert_eq!(commits(&f.engine) - before, 4, "3 + 3 + 3 + 1");
    assert!(authenticates(&f.engine, keep.plain_text.expose()));
    assert_eq!(f.engine.stats().expect("stats").tokens, 1);
    assert_consistent(&f.engine);
}

#[test]
fn gc_prunes_tokens_with_the_configured_hours() {
    let f = fixture_with(|c| {
        c.token_prune_hours = 1;
        c.token_expiration = Some(minutes(30));
    });
    create(&f, 1, Some(T0 + 60));
    create(&f, 2, None);
    f.clock.set(T0 + HOUR + 60);
    let report = f.engine.gc().expect("gc");
    assert_eq!(
        report.tokens_deleted, 0,
        "neither is more than an hour past"
    );
    f.clock.set(T0 + HOUR + 30 * 60 + 1);
    let report = f.engine.gc().expect("gc");
    assert_eq!((report.tokens_deleted, report.sessions_deleted), (2, 0));
    assert_eq!(f.engine.stats().expect("stats").gc_deleted, 2);
    assert_consistent(&f.engine);
}

#[test]
fn a_thousand_uses_within_the_interval_commit_nothing() {
    let f = fixture();
    let token = create(&f, 1, None);
    let before = commits(&f.engine);
    for _ in 0..1000 {
        assert!(authenticates(&f.engine, token.plain_text.expose()));
    }
    let stats = f.engine.stats().expect("stats");
    assert_eq!(stats.write_commits, before);
    assert_eq!(stats.touches_pending, 1, "the first use is noted in memory");
    assert_eq!(
        f.engine.user_tokens(1).expect("list")[0].last_used_at,
        Some(T0)
    );
    assert_consistent(&f.engine);
}

#[test]
fn last_used_moves_once_per_interval_and_a_flush_writes_it() {
    let f = fixture();
    let token = create(&f, 1, None);
    let text = token.plain_text.expose();
    assert!(authenticates(&f.engine, text));
    assert_eq!(f.engine.flush().expect("flush"), 1);
    f.clock.advance(59);
    assert!(authenticates(&f.engine, text));
    assert_eq!(
        f.engine.stats().expect("stats").touches_pending,
        0,
        "within the interval"
    );
    f.clock.advance(1);
    assert!(authenticates(&f.engine, text));
    assert!(authenticates(&f.engine, text));
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 1);
    assert_eq!(
        f.engine.user_tokens(1).expect("list")[0].last_used_at,
        Some(T0 + 60)
    );
    let before = commits(&f.engine);
    assert_eq!(f.engine.flush().expect("flush"), 1);
    assert_eq!(commits(&f.engine), before + 1);
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 0);
    let f = f.reopen();
    assert_eq!(
        f.engine.user_tokens(1).expect("list")[0].last_used_at,
        Some(T0 + 60)
    );
    assert_consistent(&f.engine);
}

#[test]
fn session_and_token_touches_are_flushed_in_one_transaction() {
    let f = fixture();
    let session = f.engine.create_session("1.2.3.4", "ua").expect("session");
    let token = create(&f, 1, None);
    f.clock.advance(60);
    assert!(
        f.engine
            .load_session(session.id.expose())
            .expect("load")
            .is_some()
    );
    assert!(authenticates(&f.engine, token.plain_text.expose()));
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 2);
    let before = commits(&f.engine);
    assert_eq!(f.engine.flush().expect("flush"), 2);
    assert_eq!(commits(&f.engine), before + 1);
    let f = f.reopen();
    let loaded = f
        .engine
        .load_session(session.id.expose())
        .expect("load")
        .expect("live");
    assert_eq!(loaded.last_activity, T0 + 60);
    assert_eq!(
        f.engine.user_tokens(1).expect("list")[0].last_used_at,
        Some(T0 + 60)
    );
    assert_consistent(&f.engine);
}

#[test]
fn pending_use_of_a_revoked_token_does_not_bring_it_back() {
    let f = fixture();
    let token = create(&f, 1, None);
    assert!(authenticates(&f.engine, token.plain_text.expose()));
    assert!(f.engine.revoke_token(token.id).expect("revoke"));
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 0);
    f.engine.flush().expect("flush");
    assert_eq!(f.engine.stats().expect("stats").tokens, 0);
    assert_consistent(&f.engine);
}

#[test]
fn revoking_one_token_leaves_the_others_working() {
    let f = fixture();
    let a = create(&f, 1, None);
    let b = create(&f, 1, None);
    assert!(f.engine.revoke_token(a.id).expect("revoke"));
    assert!(!f.engine.revoke_token(a.id).expect("revoke twice"));
    assert!(!f.engine.revoke_token(12345).expect("unknown id"));
    assert!(!authenticates(&f.engine, a.plain_text.expose()));
    assert!(authenticates(&f.engine, b.plain_text.expose()));
    let listed: Vec<u64> = f
        .engine
        .user_tokens(1)
        .expect("list")
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, [b.id]);
    assert_consistent(&f.engine);
}

#[test]
fn revoking_a_users_tokens_leaves_other_users_alone() {
    let f = fixture();
    let mine: Vec<NewToken> = (0..4).map(|_| create(&f, 7, None)).collect();
    let theirs = create(&f, 8, None);
    assert_eq!(f.engine.revoke_user_tokens(7).expect("revoke"), 4);
    assert!(
        mine.iter()
            .all(|t| !authenticates(&f.engine, t.plain_text.expose()))
    );
    assert!(authenticates(&f.engine, theirs.plain_text.expose()));
    assert!(f.engine.user_tokens(7).expect("list").is_empty());
    assert_eq!(f.engine.revoke_user_tokens(7).expect("revoke again"), 0);
    assert_consistent(&f.engine);
}

#[test]
fn ids_are_never_reused_after_revocation() {
    let f = fixture();
    let ids: Vec<u64> = (0..3).map(|_| create(&f, 1, None).id).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert!(f.engine.revoke_token(3).expect("revoke"));
    assert_eq!(
        create(&f, 1, None).id,
        4,
        "the highest id was revoked, not reissued"
    );
    assert_eq!(f.engine.revoke_user_tokens(1).expect("revoke"), 3);
    let f = f.reopen();
    assert_eq!(create(&f, 1, None).id, 5, "the counter survives reopening");
    f.engine
        .import_sanctum_token(100, 1, "old", VECTOR_SHA256, ["*"], T0, None, None)
        .expect("import");
    assert!(f.engine.revoke_token(100).expect("revoke"));
    assert_eq!(
        create(&f, 1, None).id,
        101,
        "imported ids are never issued either"
    );
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
    let path = f.path();
    drop(f.engine);
    let bytes = std::fs::read(path).expect("read file");
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
fn verify_reports_a_token_whose_index_row_is_missing() {
    let f = fixture();
    let token = create(&f, 1, Some(T0 + 100));
    let Fixture { dir, clock, engine } = f;
    let config = engine.config().clone();
    engine.close().expect("close");
    let path = dir.path().join("auth.redb");
    {
        let db = redb::Database::open(&path).expect("open redb");
        let txn = db.begin_write().expect("write");
        {
            let by_user: redb::TableDefinition<(u64, u64), ()> =
                redb::TableDefinition::new("tokens_by_user");
            let mut table = txn.open_table(by_user).expect("table");
            assert!(table.remove((1, token.id)).expect("remove").is_some());
            let by_expiry: redb::TableDefinition<(u64, u64), ()> =
                redb::TableDefinition::new("tokens_by_expiry");
            let mut table = txn.open_table(by_expiry).expect("table");
            table.insert((T0 + 1, token.id), ()).expect("insert");
        }
        txn.commit().expect("commit");
    }
    let engine = Engine::open(&path, config).expect("reopen");
    let report = engine.verify().expect("verify");
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    assert!(report.problems[0].contains("no tokens_by_user row"));
    assert!(report.problems[1].contains("tokens_by_expiry"));
    drop((engine, clock));
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
