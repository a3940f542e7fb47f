//! Random sequences of session, token, credential, throttle and remember-me
//! operations checked against an in-memory model of the rules, with
//! `verify()` after every sequence.

mod auth_model;
mod common;

use auth_model::{Coverage, SplitMix, config, run};
use authkv::{Engine, ManualClock};

const SEEDS: u64 = 80;
const STEPS: usize = 1000;

/// Every rule the model names; the sequences must reach each one.
const RULES: &[&str] = &[
    "an expired session reads as absent",
    "the guard authenticates a logged-in session",
    "the guard refuses a live session without a user",
    "gc deletes expired sessions",
    "a token's first use sets last_used_at",
    "a use a touch interval later moves last_used_at",
    "a use exactly a touch interval later moves last_used_at",
    "a use within the touch interval leaves last_used_at",
    "a token still works at exactly its expires_at",
    "a token past its own expires_at is refused",
    "a token past the global expiration is refused",
    "a token is refused at exactly created_at + expiration",
    "a revoked or pruned token is refused",
    "a one-character change is refused",
    "another token's secret under an id is refused",
    "user_tokens lists an expired token as expired",
    "prune deletes tokens expired for more than N hours",
    "prune keeps a token whose expires_at is exactly N hours past",
    "prune keeps a token exactly expiration + N hours old",
    "gc prunes tokens with token_prune_hours",
    "a login held by another user is refused",
    "a new login replaces the user's old one",
    "the right password logs in and clears the counter",
    "a wrong password is invalid and counted",
    "an unknown login is invalid and counted",
    "attempts past the limit are throttled until the window ends",
    "an attempt at exactly the window's end is admitted",
    "a failure after the window has passed opens a new one",
    "gc deletes spent throttle counters",
    "a password change for a user without one is refused",
    "a password change revokes the user's other sessions and tokens",
    "a valid remember-me token logs in and rotates",
    "a stale validator is theft and revokes the user's tokens",
    "an expired remember-me token is invalid and kept for gc",
    "a remember-me token is invalid at exactly its expiry",
    "gc deletes expired remember-me tokens",
];

#[test]
fn random_operation_sequences_agree_with_the_model() {
    let mut seen = Coverage::default();
    for seed in 0..SEEDS {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(common::T0);
        let mut config = config(&clock);
        // Some runs without a global token expiration, some pruning at once.
        match seed % 4 {
            0 => config.token_expiration = None,
            1 => config.token_prune_hours = 0,
            _ => {}
        }
        let engine = Engine::open(dir.path().join("model.redb"), config).expect("open");
        let label = format!("seed {seed}");
        let covered = run(&engine, &clock, &mut SplitMix(seed), STEPS, &label);
        seen.merge(&covered);
    }
    let missing = seen.missing(RULES);
    assert!(
        missing.is_empty(),
        "rules never reached: {missing:#?}\nreached: {:#?}",
        seen.counts()
    );
}
