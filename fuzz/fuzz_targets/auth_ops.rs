//! Operation sequences chosen by the fuzzer run against a real engine in a
//! temp dir with a manual clock and against the model of the rules; every
//! answer must agree and `verify()` must find nothing.
#![no_main]

#[path = "../../tests/auth_model/mod.rs"]
mod auth_model;

use authkv::{Engine, ManualClock};
use libfuzzer_sys::fuzz_target;
use auth_model::{Bytes, config, run};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(1_700_000_000);
    let engine = Engine::open(dir.path().join("fuzz.redb"), config(&clock)).expect("open");
    run(&engine, &clock, &mut Bytes(data), 400, "fuzz input");
});
