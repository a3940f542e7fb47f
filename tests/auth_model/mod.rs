//! A model of the session rules, and a driver that runs operations chosen
//! by any source of numbers against a real engine and the model, asserting
//! that every answer agrees. Used by the random-sequence test and by the
//! operation-sequence fuzz target.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use authkv::{Clock, Config, Engine, Error, ManualClock, SessionError};

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

#[derive(Clone, Debug)]
struct Model {
    user: Option<u64>,
    payload: Vec<u8>,
    csrf: String,
    created: u64,
    last_activity: u64,
    version: u64,
}

fn read_expired(m: &Model, now: u64) -> bool {
    now.checked_sub(IDLE_S).is_some_and(|c| m.last_activity < c)
        || now.checked_sub(ABSOLUTE_S).is_some_and(|c| m.created <= c)
}

fn gc_expired(m: &Model, now: u64) -> bool {
    now.checked_sub(IDLE_S)
        .is_some_and(|c| m.last_activity <= c)
        || now.checked_sub(ABSOLUTE_S).is_some_and(|c| m.created <= c)
}

fn is_not_found<T>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Session(SessionError::NotFound)))
}

/// The configuration the model describes.
pub fn config(clock: &ManualClock) -> Config {
    let mut c = Config::default();
    c.clock = Clock::Manual(clock.clone());
    c.idle_lifetime = Duration::from_secs(IDLE_S);
    c.absolute_lifetime = Some(Duration::from_secs(ABSOLUTE_S));
    c.touch_interval = Duration::from_secs(TOUCH_S);
    c.gc_batch_size = 3;
    c.durable_commits = false;
    c
}

/// Run `steps` operations chosen by `rng` against `e` (opened with
/// [`config`] on `clock`) and the model, asserting they agree; then check
/// `verify()`. `label` names the run in failure messages.
pub fn run(e: &Engine, clock: &ManualClock, rng: &mut dyn Chooser, steps: usize, label: &str) {
    let mut stored: HashMap<String, Model> = HashMap::new();
    let mut known: Vec<String> = vec!["not-an-id".into(), "Z".repeat(40)];
    for step in 0..steps {
        if rng.exhausted() {
            break;
        }
        let now = clock.now();
        let pick = |rng: &mut dyn Chooser, known: &Vec<String>| {
            known[rng.below(known.len() as u64) as usize].clone()
        };
        let ctx = format!("{label} step {step}");
        match rng.below(14) {
            0 | 1 => {
                let s = e.create_session("10.0.0.1", "model").expect("create");
                stored.insert(
                    s.id.expose().to_owned(),
                    Model {
                        user: None,
                        payload: vec![],
                        csrf: s.csrf_token.expose().to_owned(),
                        created: now,
                        last_activity: now,
                        version: 0,
                    },
                );
                known.push(s.id.expose().to_owned());
            }
            2 | 3 => {
                let id = pick(rng, &known);
                let got = e.load_session(&id).expect("load");
                let live = stored.get_mut(&id).filter(|m| !read_expired(m, now));
                match (got, live) {
                    (None, None) => {}
                    (Some(s), Some(m)) => {
                        if now - m.last_activity >= TOUCH_S && now > m.last_activity {
                            m.last_activity = now;
                        }
                        assert_eq!(s.user_id, m.user, "{ctx}");
                        assert_eq!(s.payload, m.payload, "{ctx}");
                        assert_eq!(s.csrf_token.expose(), m.csrf, "{ctx}");
                        assert_eq!(s.version, m.version, "{ctx}");
                        assert_eq!(s.created_at, m.created, "{ctx}");
                        assert_eq!(s.last_activity, m.last_activity, "{ctx}");
                    }
                    (got, live) => panic!("{ctx}: engine {got:?} vs model {live:?}"),
                }
            }
            4 => {
                let id = pick(rng, &known);
                let payload = vec![rng.below(256) as u8; rng.below(64) as usize];
                let expected = match rng.below(3) {
                    0 => None,
                    1 => stored.get(&id).map(|m| m.version),
                    _ => Some(rng.below(4)),
                };
                let result = e.save_session(&id, &payload, expected);
                match stored.get_mut(&id).filter(|m| !read_expired(m, now)) {
                    None => assert!(is_not_found(&result), "{ctx}"),
                    Some(m) => match expected {
                        Some(v) if v != m.version => assert!(
                            matches!(result, Err(Error::Session(SessionError::Conflict { .. }))),
                            "{ctx}"
                        ),
                        _ => {
                            m.version += 1;
                            m.payload = payload;
                            m.last_activity = now;
                            assert_eq!(result.expect("save"), m.version, "{ctx}");
                        }
                    },
                }
            }
            5..=7 => {
                let id = pick(rng, &known);
                let kind = rng.below(3);
                let user = rng.below(4);
                let result = match kind {
                    0 => e.login(&id, user),
                    1 => e.regenerate_session(&id),
                    _ => e.invalidate_session(&id),
                };
                let live = stored.get(&id).filter(|m| !read_expired(m, now)).cloned();
                match live {
                    None => assert!(is_not_found(&result), "{ctx}"),
                    Some(mut m) => {
                        let s = result.expect("rotate");
                        stored.remove(&id);
                        match kind {
                            0 => m.user = Some(user),
                            1 => {}
                            _ => {
                                m.user = None;
                                m.payload.clear();
                            }
                        }
                        assert_ne!(s.csrf_token.expose(), m.csrf, "{ctx}");
                        m.csrf = s.csrf_token.expose().to_owned();
                        m.version += 1;
                        m.last_activity = now;
                        assert_eq!((s.user_id, &s.payload), (m.user, &m.payload), "{ctx}");
                        stored.insert(s.id.expose().to_owned(), m);
                        known.push(s.id.expose().to_owned());
                    }
                }
            }
            8 => {
                let id = pick(rng, &known);
                let existed = e.destroy_session(&id).expect("destroy");
                assert_eq!(existed, stored.remove(&id).is_some(), "{ctx}");
            }
            9 => {
                let id = pick(rng, &known);
                let result = e.rotate_csrf(&id);
                match stored.get_mut(&id).filter(|m| !read_expired(m, now)) {
                    None => assert!(is_not_found(&result), "{ctx}"),
                    Some(m) => {
                        m.csrf = result.expect("rotate").expose().to_owned();
                        m.version += 1;
                    }
                }
            }
            10 => {
                let user = rng.below(4);
                let keep = if rng.below(2) == 0 {
                    Some(pick(rng, &known))
                } else {
                    None
                };
                let count = e
                    .revoke_user_sessions(user, keep.as_deref())
                    .expect("revoke");
                let doomed: Vec<String> = stored
                    .iter()
                    .filter(|(id, m)| m.user == Some(user) && Some(*id) != keep.as_ref())
                    .map(|(id, _)| id.clone())
                    .collect();
                assert_eq!(count, doomed.len(), "{ctx}");
                for id in doomed {
                    stored.remove(&id);
                }
            }
            11 => {
                let report = e.gc().expect("gc");
                let before = stored.len();
                stored.retain(|_, m| !gc_expired(m, now));
                assert_eq!(
                    report.sessions_deleted as usize,
                    before - stored.len(),
                    "{ctx}"
                );
            }
            12 => {
                e.flush().expect("flush");
            }
            _ => {
                let user = rng.below(4);
                let listed = e.user_sessions(user).expect("list");
                let live = stored
                    .values()
                    .filter(|m| m.user == Some(user) && !read_expired(m, now))
                    .count();
                assert_eq!(listed.len(), live, "{ctx}");
            }
        }
        clock.advance(rng.below(120));
    }
    assert_eq!(
        e.stats().expect("stats").sessions as usize,
        stored.len(),
        "{label}"
    );
    let report = e.verify().expect("verify");
    assert!(report.is_consistent(), "{label}: {:?}", report.problems);
}
