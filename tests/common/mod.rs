//! Shared set-up for integration tests: a real redb file in a temp dir and
//! a manual clock. With `AUTHKV_TEST_BACKEND=postgres` (and the `postgres`
//! feature) the same tests run on a real PostgreSQL server instead: the
//! conformance suite for both backends.
#![allow(dead_code)]

#[cfg(feature = "postgres")]
pub mod postgres;

use std::time::Duration;

use authkv::{Clock, Concurrency, Config, Engine, ManualClock};

/// Unix seconds the manual clock starts at in tests.
pub const T0: u64 = 1_700_000_000;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub clock: ManualClock,
    pub engine: Engine,
    /// The database of a PostgreSQL engine.
    pub url: Option<String>,
}

/// Whether this run tests the PostgreSQL backend.
pub fn on_postgres() -> bool {
    std::env::var("AUTHKV_TEST_BACKEND").is_ok_and(|backend| backend == "postgres")
}

/// Open the engine under test: the file in `dir`, or the database at `url`.
fn open(dir: &std::path::Path, url: Option<&str>, config: Config) -> Engine {
    match url {
        #[cfg(feature = "postgres")]
        Some(url) => Engine::open_postgres(url, config).expect("open on postgres"),
        #[cfg(not(feature = "postgres"))]
        Some(_) => panic!("AUTHKV_TEST_BACKEND=postgres needs --features postgres"),
        None => Engine::open(dir.join("auth.redb"), config).expect("open"),
    }
}

impl Fixture {
    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("auth.redb")
    }

    pub fn reopen(self) -> Fixture {
        self.reopen_with(|_| {})
    }

    /// Close the engine and open the same store with another configuration.
    pub fn reopen_with(self, adjust: impl FnOnce(&mut Config)) -> Fixture {
        let Fixture {
            dir,
            clock,
            engine,
            url,
        } = self;
        let mut config = engine.config().clone();
        adjust(&mut config);
        engine.close().expect("close");
        let engine = open(dir.path(), url.as_deref(), config);
        Fixture {
            dir,
            clock,
            engine,
            url,
        }
    }
}

/// Everything the store holds, as bytes: the closed file, or every row of
/// authkv's tables as PostgreSQL prints them. For "this secret is not
/// stored" checks.
pub fn stored_bytes(f: Fixture) -> Vec<u8> {
    let Fixture {
        dir, engine, url, ..
    } = f;
    drop(engine);
    match url {
        #[cfg(feature = "postgres")]
        Some(url) => postgres::all_rows(&url).into_bytes(),
        #[cfg(not(feature = "postgres"))]
        Some(_) => unreachable!("postgres fixtures need the feature"),
        None => std::fs::read(dir.path().join("auth.redb")).expect("read file"),
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
    fixture_on(on_postgres().then(database_url), adjust)
}

/// An engine on a redb file whatever the backend under test: for tests
/// about the file itself (editing it behind the engine's back).
pub fn file_fixture_with(adjust: impl FnOnce(&mut Config)) -> Fixture {
    fixture_on(None, adjust)
}

/// An engine on the database at `url`, or on a file in a new temp dir.
fn fixture_on(url: Option<String>, adjust: impl FnOnce(&mut Config)) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    let mut config = config(&clock);
    adjust(&mut config);
    let engine = open(dir.path(), url.as_deref(), config);
    Fixture {
        dir,
        clock,
        engine,
        url,
    }
}

/// A fresh database on the test server.
fn database_url() -> String {
    #[cfg(feature = "postgres")]
    return postgres::fresh_database();
    #[cfg(not(feature = "postgres"))]
    panic!("AUTHKV_TEST_BACKEND=postgres needs --features postgres")
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

/// The key a session id is stored under, as the file format documents it:
/// the first six characters read as a base-62 number (`A`–`Z`, `a`–`z`,
/// `0`–`9`), 4 bytes big-endian, then the first 28 bytes of the id's
/// SHA-256.
pub fn stored_key(id: &str) -> [u8; 32] {
    let digit = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        _ => c - b'0' + 52,
    };
    let minute = id.as_bytes()[..6]
        .iter()
        .fold(0u64, |n, &c| n * 62 + u64::from(digit(c)));
    let mut key = [0u8; 32];
    key[..4].copy_from_slice(&(minute as u32).to_be_bytes());
    key[4..].copy_from_slice(&<sha2::Sha256 as sha2::Digest>::digest(id.as_bytes())[..28]);
    key
}

/// Lowercase hex of `bytes`, as handles are shown.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
