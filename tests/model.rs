//! Random sequences of session operations checked against an in-memory
//! model of the rules, with `verify()` after every sequence.

mod auth_model;
mod common;

use auth_model::{Coverage, SplitMix, config, run};
use authkv::{Engine, ManualClock};

const SEEDS: u64 = 80;
const STEPS: usize = 1000;

/// Every rule the model names; the sequences must reach each one.
const RULES: &[&str] = &[
    "an expired session reads as absent",
    "gc deletes expired sessions",
];

#[test]
fn random_operation_sequences_agree_with_the_model() {
    let mut seen = Coverage::default();
    for seed in 0..SEEDS {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(common::T0);
        let engine = Engine::open(dir.path().join("model.redb"), config(&clock)).expect("open");
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
