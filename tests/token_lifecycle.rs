//! Personal access tokens over time: both expiries, pruning with Sanctum's
//! `--hours`, throttled last-use writes, revocation and id allocation.

mod common;
mod token_support;

use authkv::{Engine, NewToken};
use common::*;
use token_support::*;

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
fn verify_reports_a_token_whose_index_row_is_missing() {
    let f = file_fixture_with(|_| {});
    let token = create(&f, 1, Some(T0 + 100));
    let Fixture {
        dir, clock, engine, ..
    } = f;
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
