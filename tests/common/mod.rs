//! Shared set-up for integration tests: a real redb file in a temp dir and
//! a manual clock.
#![allow(dead_code)]

use std::time::Duration;

use authkv::{Clock, Concurrency, Config, Engine, ManualClock};

/// Unix seconds the manual clock starts at in tests.
pub const T0: u64 = 1_700_000_000;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub clock: ManualClock,
    pub engine: Engine,
}

impl Fixture {
    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("auth.redb")
    }

    pub fn reopen(self) -> Fixture {
        let Fixture { dir, clock, engine } = self;
        let config = engine.config().clone();
        engine.close().expect("close");
        let engine = Engine::open(dir.path().join("auth.redb"), config).expect("reopen");
        Fixture { dir, clock, engine }
    }
}

pub fn config(clock: &ManualClock) -> Config {
    let mut config = Config::default();
    config.clock = Clock::Manual(clock.clone());
    config
}

/// An engine with default settings and a manual clock at `T0`.
pub fn fixture() -> Fixture {
    fixture_with(|_| {})
}

pub fn fixture_with(adjust: impl FnOnce(&mut Config)) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    let mut config = config(&clock);
    adjust(&mut config);
    let engine = Engine::open(dir.path().join("auth.redb"), config).expect("open");
    Fixture { dir, clock, engine }
}

/// For `fixture_with`: this process alone on the file.
pub fn exclusive(config: &mut Config) {
    config.concurrency = Concurrency::Exclusive;
}

pub const IDLE: u64 = 120 * 60;

pub fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

pub fn assert_consistent(engine: &Engine) {
    let report = engine.verify().expect("verify");
    assert!(
        report.is_consistent(),
        "verify found: {:#?}",
        report.problems
    );
}
