//! A model of authkv's rules — sessions, personal access tokens, password
//! credentials with login throttling, and remember-me tokens — and a driver
//! that runs operations chosen by any source of numbers against a real engine
//! and the model, asserting that every answer agrees, then `verify()`. Used
//! by the random-sequence test and by the operation-sequence fuzz target.
//!
//! Each area keeps its own state in its own file; the driver interleaves
//! their operations with GC, flushes and a clock that mostly creeps, now and
//! then jumps an hour, and now and then lands on (or next to) the exact
//! second at which some stored thing changes state, so boundaries are met.
#![allow(dead_code)]

mod credentials;
mod remember;
mod sessions;
mod tokens;

use std::collections::BTreeMap;
use std::time::Duration;

use authkv::{Clock, Config, Engine, ManualClock, PasswordParams};

use credentials::Credentials;
use remember::Remember;
use sessions::Sessions;
use tokens::Tokens;

/// Where the driver's choices come from.
pub trait Chooser {
    /// A number below `n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64;
    /// True when the source has nothing more to give.
    fn exhausted(&self) -> bool {
        false
    }
}

/// SplitMix64: a small deterministic generator so a failing seed replays.
pub struct SplitMix(pub u64);

impl Chooser for SplitMix {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

/// Choices read from a byte string (a fuzzer's input), two bytes each.
pub struct Bytes<'a>(pub &'a [u8]);

impl Chooser for Bytes<'_> {
    fn below(&mut self, n: u64) -> u64 {
        let (value, rest) = match self.0 {
            [a, b, rest @ ..] => (u64::from(u16::from_le_bytes([*a, *b])), rest),
            [a] => (u64::from(*a), &[][..]),
            [] => (0, &[][..]),
        };
        self.0 = rest;
        value % n
    }
    fn exhausted(&self) -> bool {
        self.0.is_empty()
    }
}

const IDLE_S: u64 = 600;
const ABSOLUTE_S: u64 = 1800;
const TOUCH_S: u64 = 60;
/// Global token expiration of [`config`] (a variant turns it off).
const TOKEN_EXPIRATION_S: u64 = 1800;
const THROTTLE_MAX: u32 = 3;
const THROTTLE_WINDOW_S: u64 = 300;
const REMEMBER_S: u64 = 1200;
const HOUR: u64 = 3600;

/// The configuration the model describes. Tests may turn off
/// `token_expiration` and change `token_prune_hours`: the model reads both
/// back from the engine.
pub fn config(clock: &ManualClock) -> Config {
    let mut c = Config::default();
    c.clock = Clock::Manual(clock.clone());
    c.idle_lifetime = Duration::from_secs(IDLE_S);
    c.absolute_lifetime = Some(Duration::from_secs(ABSOLUTE_S));
    c.touch_interval = Duration::from_secs(TOUCH_S);
    c.gc_batch_size = 3;
    c.concurrency = authkv::Concurrency::Exclusive;
    c.durable_commits = false;
    c.token_expiration = Some(Duration::from_secs(TOKEN_EXPIRATION_S));
    c.token_prune_hours = 1;
    // argon2's smallest costs: thousands of hashes stay cheap.
    c.argon2 = PasswordParams::new(8, 1, 1);
    c.throttle_max_attempts = THROTTLE_MAX;
    c.throttle_window = Duration::from_secs(THROTTLE_WINDOW_S);
    c.remember_lifetime = Duration::from_secs(REMEMBER_S);
    c
}

/// How often each named rule decided an answer during a run, so a test can
/// show that the sequences it ran reached every rule.
#[derive(Clone, Debug, Default)]
pub struct Coverage(BTreeMap<&'static str, u64>);

impl Coverage {
    fn hit(&mut self, rule: &'static str) {
        *self.0.entry(rule).or_default() += 1;
    }

    /// Add another run's counts.
    pub fn merge(&mut self, other: &Coverage) {
        for (rule, count) in &other.0 {
            *self.0.entry(rule).or_default() += count;
        }
    }

    /// The rules of `expected` that never decided an answer.
    pub fn missing<'a>(&self, expected: &[&'a str]) -> Vec<&'a str> {
        expected
            .iter()
            .copied()
            .filter(|rule| !self.0.contains_key(rule))
            .collect()
    }

    /// Every rule hit, with its count.
    pub fn counts(&self) -> &BTreeMap<&'static str, u64> {
        &self.0
    }
}

/// One step's view: the engine, the time, where choices come from, and the
/// text that names the step in failure messages.
struct Step<'a> {
    e: &'a Engine,
    now: u64,
    rng: &'a mut dyn Chooser,
    cov: &'a mut Coverage,
    at: String,
}

impl Step<'_> {
    fn below(&mut self, n: u64) -> u64 {
        self.rng.below(n)
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.rng.below(one_in) == 0
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.rng.below(items.len() as u64) as usize].clone()
    }

    fn hit(&mut self, rule: &'static str) {
        self.cov.hit(rule);
    }

    /// Whether `t` is within a second of now: operands whose state flips
    /// there are worth picking more often than chance would.
    fn near(&self, t: u64) -> bool {
        t + 1 >= self.now && t <= self.now + 1
    }

    /// Mostly one of `near` (when there are any), else one of `all`.
    fn pick_near<T: Clone>(&mut self, near: &[T], all: &[T]) -> T {
        if !near.is_empty() && self.chance(2) {
            self.pick(near)
        } else {
            self.pick(all)
        }
    }
}

/// Every area's state.
struct Model {
    sessions: Sessions,
    tokens: Tokens,
    credentials: Credentials,
    remember: Remember,
}

impl Model {
    /// `gc()` deletes exactly what each area says has expired.
    fn gc(&mut self, s: &mut Step<'_>) {
        let report = s.e.gc().expect("gc");
        let at = &s.at;
        let sessions = self.sessions.collect(s.now);
        let tokens = self.tokens.collect(s.now);
        let throttles = self.credentials.collect(s.now);
        let remember = self.remember.collect(s.now);
        assert_eq!(report.sessions_deleted, sessions, "{at}: gc sessions");
        assert_eq!(report.tokens_deleted, tokens, "{at}: gc tokens");
        assert_eq!(report.throttles_deleted, throttles, "{at}: gc throttles");
        assert_eq!(
            report.remember_tokens_deleted, remember,
            "{at}: gc remember-me tokens"
        );
        for (count, rule) in [
            (sessions, "gc deletes expired sessions"),
            (tokens, "gc prunes tokens with token_prune_hours"),
            (throttles, "gc deletes spent throttle counters"),
            (remember, "gc deletes expired remember-me tokens"),
        ] {
            if count > 0 {
                s.cov.hit(rule);
            }
        }
    }

    /// The engine stores as many of each thing as the model does.
    fn assert_counts(&self, e: &Engine, at: &str) {
        let stats = e.stats().expect("stats");
        assert_eq!(stats.sessions, self.sessions.count(), "{at}: sessions");
        assert_eq!(stats.tokens, self.tokens.count(), "{at}: tokens");
        assert_eq!(
            stats.credentials,
            self.credentials.count(),
            "{at}: credentials"
        );
        assert_eq!(
            stats.remember_tokens,
            self.remember.count(),
            "{at}: remember-me tokens"
        );
    }

    /// Per area, the seconds at or after `now` at which something stored
    /// changes state.
    fn instants(&self, now: u64) -> Vec<Vec<u64>> {
        let mut areas = vec![Vec::new(); 4];
        self.sessions.instants(&mut areas[0]);
        self.tokens.instants(&mut areas[1]);
        self.credentials.instants(&mut areas[2]);
        self.remember.instants(&mut areas[3]);
        for area in &mut areas {
            area.retain(|&t| t >= now);
        }
        areas.retain(|area| !area.is_empty());
        areas
    }
}

/// Move the clock: mostly by seconds or a minute or two, sometimes by an
/// hour, sometimes to one second before, at or after an instant where a
/// rule of some area flips.
fn advance(clock: &ManualClock, rng: &mut dyn Chooser, model: &Model) {
    let now = clock.now();
    match rng.below(64) {
        0..=11 => {
            let areas = model.instants(now);
            if !areas.is_empty() {
                let area = &areas[rng.below(areas.len() as u64) as usize];
                let t = area[rng.below(area.len() as u64) as usize];
                clock.set((t + rng.below(3)).saturating_sub(1).max(now));
            }
        }
        12 => clock.advance(HOUR),
        13..=32 => clock.advance(rng.below(10)),
        _ => clock.advance(rng.below(120)),
    }
}

/// Run `steps` operations chosen by `rng` against `e` (opened with
/// [`config`] on `clock`, or a variant of it) and the model, asserting they
/// agree; then check the stored counts and `verify()`. `label` names the run
/// in failure messages. Returns which rules decided answers. After every step
/// the engine must store as many of each thing as the model keeps.
pub fn run(
    e: &Engine,
    clock: &ManualClock,
    rng: &mut dyn Chooser,
    steps: usize,
    label: &str,
) -> Coverage {
    let mut model = Model {
        sessions: Sessions::default(),
        tokens: Tokens::new(e.config()),
        credentials: Credentials::default(),
        remember: Remember::default(),
    };
    let mut cov = Coverage::default();
    for step in 0..steps {
        if rng.exhausted() {
            break;
        }
        let mut s = Step {
            e,
            now: clock.now(),
            rng: &mut *rng,
            cov: &mut cov,
            at: format!("{label} step {step}"),
        };
        match s.below(40) {
            0..=11 => model.sessions.step(&mut s),
            12..=21 => model.tokens.step(&mut s),
            22..=29 => model.credentials.step(
                &mut s,
                &mut model.sessions,
                &mut model.tokens,
                &mut model.remember,
            ),
            30..=35 => model.remember.step(&mut s),
            36 | 37 => model.gc(&mut s),
            _ => {
                e.flush().expect("flush");
            }
        }
        model.assert_counts(e, &format!("{label} step {step}"));
        advance(clock, rng, &model);
    }
    let report = e.verify().expect("verify");
    assert!(report.is_consistent(), "{label}: {:?}", report.problems);
    cov
}
