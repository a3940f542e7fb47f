//! Random sequences of session operations checked against an in-memory
//! model of the rules, with `verify()` after every sequence.

mod auth_model;
mod common;

use auth_model::{SplitMix, config, run};
use authkv::{Engine, ManualClock};

#[test]
fn random_operation_sequences_agree_with_the_model() {
    for seed in 0..150 {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(common::T0);
        let engine = Engine::open(dir.path().join("model.redb"), config(&clock)).expect("open");
        run(
            &engine,
            &clock,
            &mut SplitMix(seed),
            120,
            &format!("seed {seed}"),
        );
    }
}
