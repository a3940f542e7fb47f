//! Operation sequences chosen by the fuzzer — sessions, tokens, credentials
//! with throttling, remember-me, GC and the clock — run against a real
//! engine in a temp dir with a manual clock and against the model of the
//! rules; every answer must agree and `verify()` must find nothing.
#![no_main]

#[path = "../../tests/auth_model/mod.rs"]
mod auth_model;

use auth_model::{Bytes, Chooser, config, run};
use authkv::{Engine, ManualClock};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rng = Bytes(data);
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(1_700_000_000);
    let mut config = config(&clock);
    // The first choice picks the token settings, as the random test varies them.
    match rng.below(4) {
        0 => config.token_expiration = None,
        1 => config.token_prune_hours = 0,
        _ => {}
    }
    let engine = Engine::open(dir.path().join("fuzz.redb"), config).expect("open");
    run(&engine, &clock, &mut rng, 400, "fuzz input");
});
