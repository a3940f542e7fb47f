//! Sessions: idle and absolute expiry judged on every read (and GC's own
//! boundary), throttled touches, versioned saves, id rotation on login,
//! regenerate and invalidate, CSRF rotation and the user index.

use std::collections::HashMap;

use authkv::{Engine, Error, GuardError, Request, SessionError, Via};

use super::{ABSOLUTE_S, IDLE_S, Step, TOUCH_S};

#[derive(Clone, Debug)]
struct Session {
    user: Option<u64>,
    payload: Vec<u8>,
    csrf: String,
    created: u64,
    last_activity: u64,
    version: u64,
}

fn read_expired(m: &Session, now: u64) -> bool {
    now.checked_sub(IDLE_S).is_some_and(|c| m.last_activity < c)
        || now.checked_sub(ABSOLUTE_S).is_some_and(|c| m.created <= c)
}

fn gc_expired(m: &Session, now: u64) -> bool {
    now.checked_sub(IDLE_S)
        .is_some_and(|c| m.last_activity <= c)
        || now.checked_sub(ABSOLUTE_S).is_some_and(|c| m.created <= c)
}

/// A read of a live session moves its activity to now once it is at least
/// the touch interval old.
fn touch(m: &mut Session, now: u64) {
    if now - m.last_activity >= TOUCH_S && now > m.last_activity {
        m.last_activity = now;
    }
}

fn is_not_found<T>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Session(SessionError::NotFound)))
}

/// Stored sessions by id, and every id ever seen (plus two that never
/// existed) to pick operands from.
pub(super) struct Sessions {
    stored: HashMap<String, Session>,
    known: Vec<String>,
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            stored: HashMap::new(),
            known: vec!["not-an-id".into(), "Z".repeat(40)],
        }
    }
}

impl Sessions {
    /// Any id ever seen, stored or not, or one that never existed.
    pub(super) fn any_id(&self, s: &mut Step<'_>) -> String {
        s.pick(&self.known)
    }

    /// Half the time a live session (most known ids are long gone, and
    /// logins need live ones to reach their rules), else any.
    fn stored_or_known(&self, s: &mut Step<'_>) -> String {
        let now = s.now;
        self.pick_stored(s, |m| !read_expired(m, now))
    }

    /// Half the time a stored session that `wanted` accepts, else any id.
    /// Candidates keep the order they were made in, so that a seed replays
    /// the same sequence (the ids themselves are random).
    fn pick_stored(&self, s: &mut Step<'_>, wanted: impl Fn(&Session) -> bool) -> String {
        let stored: Vec<String> = self
            .known
            .iter()
            .filter(|id| self.stored.get(*id).is_some_and(&wanted))
            .cloned()
            .collect();
        s.pick_near(&stored, &self.known)
    }

    pub(super) fn count(&self) -> u64 {
        self.stored.len() as u64
    }

    /// Forget every stored session of `user` except `keep` (expired ones
    /// too: they are still stored); returns how many.
    pub(super) fn revoke_user(&mut self, user: u64, keep: Option<&str>) -> usize {
        let doomed: Vec<String> = self
            .stored
            .iter()
            .filter(|(id, m)| m.user == Some(user) && Some(id.as_str()) != keep)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &doomed {
            self.stored.remove(id);
        }
        doomed.len()
    }

    /// Forget what GC deletes at `now`; returns how many.
    pub(super) fn collect(&mut self, now: u64) -> u64 {
        let before = self.stored.len();
        self.stored.retain(|_, m| !gc_expired(m, now));
        (before - self.stored.len()) as u64
    }

    /// In the order the ids were seen, so that choices made from them do
    /// not depend on the random ids (a fuzzer's input must replay).
    pub(super) fn instants(&self, out: &mut Vec<u64>) {
        for m in self.known.iter().filter_map(|id| self.stored.get(id)) {
            out.extend([m.last_activity + IDLE_S, m.created + ABSOLUTE_S]);
        }
    }

    /// One session operation, checked against the model.
    pub(super) fn step(&mut self, s: &mut Step<'_>) {
        let (e, now) = (s.e, s.now);
        match s.below(12) {
            0 | 1 => self.create(e, now),
            2 => self.load(s),
            3 => self.authenticate(s),
            4 => self.save(s),
            5..=7 => self.rotate(s),
            8 => {
                let id = s.pick(&self.known);
                let existed = e.destroy_session(&id).expect("destroy");
                assert_eq!(existed, self.stored.remove(&id).is_some(), "{}", s.at);
            }
            9 => {
                let id = s.pick(&self.known);
                let result = e.rotate_csrf(&id);
                match self.stored.get_mut(&id).filter(|m| !read_expired(m, now)) {
                    None => assert!(is_not_found(&result), "{}", s.at),
                    Some(m) => {
                        m.csrf = result.expect("rotate").expose().to_owned();
                        m.version += 1;
                    }
                }
            }
            10 => {
                let user = s.below(4);
                let keep = if s.chance(2) {
                    Some(s.pick(&self.known))
                } else {
                    None
                };
                let count = e
                    .revoke_user_sessions(user, keep.as_deref())
                    .expect("revoke");
                assert_eq!(count, self.revoke_user(user, keep.as_deref()), "{}", s.at);
            }
            _ => {
                let user = s.below(4);
                let listed = e.user_sessions(user).expect("list");
                let live = self
                    .stored
                    .values()
                    .filter(|m| m.user == Some(user) && !read_expired(m, now))
                    .count();
                assert_eq!(listed.len(), live, "{}", s.at);
            }
        }
    }

    fn create(&mut self, e: &Engine, now: u64) {
        let created = e.create_session("10.0.0.1", "model").expect("create");
        self.stored.insert(
            created.id.expose().to_owned(),
            Session {
                user: None,
                payload: vec![],
                csrf: created.csrf_token.expose().to_owned(),
                created: now,
                last_activity: now,
                version: 0,
            },
        );
        self.known.push(created.id.expose().to_owned());
    }

    fn load(&mut self, s: &mut Step<'_>) {
        let id = s.pick(&self.known);
        let got = s.e.load_session(&id).expect("load");
        if self.stored.get(&id).is_some_and(|m| read_expired(m, s.now)) {
            s.hit("an expired session reads as absent");
        }
        let (now, at) = (s.now, &s.at);
        let live = self.stored.get_mut(&id).filter(|m| !read_expired(m, now));
        match (got, live) {
            (None, None) => {}
            (Some(got), Some(m)) => {
                touch(m, now);
                assert_eq!(got.user_id, m.user, "{at}");
                assert_eq!(got.payload, m.payload, "{at}");
                assert_eq!(got.csrf_token.expose(), m.csrf, "{at}");
                assert_eq!(got.version, m.version, "{at}");
                assert_eq!(got.created_at, m.created, "{at}");
                assert_eq!(got.last_activity, m.last_activity, "{at}");
            }
            (got, live) => panic!("{at}: engine {got:?} vs model {live:?}"),
        }
    }

    /// The request guard reading a session by its cookie: the same expiry
    /// and touch rules as a load, and a principal only with a user.
    fn authenticate(&mut self, s: &mut Step<'_>) {
        let now = s.now;
        let id = self.pick_stored(s, |m| m.user.is_some() && !read_expired(m, now));
        let cookie = format!("authkv_session={id}");
        let request = Request {
            method: "GET",
            cookie: Some(&cookie),
            referer: Some("http://localhost/"),
            ..Request::default()
        };
        let got = s.e.authenticate(&request);
        let (now, at) = (s.now, s.at.clone());
        let Some(m) = self.stored.get_mut(&id).filter(|m| !read_expired(m, now)) else {
            assert!(
                matches!(got, Err(Error::Guard(GuardError::Unauthenticated))),
                "{at}: {got:?}"
            );
            return;
        };
        touch(m, now);
        let principal = match (got, m.user) {
            (Err(Error::Guard(GuardError::Unauthenticated)), None) => {
                s.hit("the guard refuses a live session without a user");
                return;
            }
            (Ok(principal), Some(user)) if principal.user_id == user => {
                s.hit("the guard authenticates a logged-in session");
                principal
            }
            (got, user) => panic!("{at}: engine {got:?} vs model user {user:?}"),
        };
        let Via::Session(seen) = principal.via else {
            panic!("{at}: authenticated by a token");
        };
        assert_eq!(seen.id(), id, "{at}");
        assert_eq!(seen.user_id, m.user, "{at}");
        assert_eq!(seen.csrf_token(), m.csrf, "{at}");
        assert_eq!(seen.version, m.version, "{at}");
        assert_eq!(seen.created_at, m.created, "{at}");
        assert_eq!(seen.last_activity, m.last_activity, "{at}");
    }

    fn save(&mut self, s: &mut Step<'_>) {
        let id = s.pick(&self.known);
        let payload = vec![s.below(256) as u8; s.below(64) as usize];
        let expected = match s.below(3) {
            0 => None,
            1 => self.stored.get(&id).map(|m| m.version),
            _ => Some(s.below(4)),
        };
        let result = s.e.save_session(&id, &payload, expected);
        let (now, at) = (s.now, &s.at);
        match self.stored.get_mut(&id).filter(|m| !read_expired(m, now)) {
            None => assert!(is_not_found(&result), "{at}"),
            Some(m) => match expected {
                Some(v) if v != m.version => assert!(
                    matches!(result, Err(Error::Session(SessionError::Conflict { .. }))),
                    "{at}"
                ),
                _ => {
                    m.version += 1;
                    m.payload = payload;
                    m.last_activity = now;
                    assert_eq!(result.expect("save"), m.version, "{at}");
                }
            },
        }
    }

    /// Login, regenerate or invalidate: each rotates the id and the CSRF
    /// token and deletes the old row.
    fn rotate(&mut self, s: &mut Step<'_>) {
        let id = self.stored_or_known(s);
        let kind = s.below(3);
        let user = s.below(4);
        let result = match kind {
            0 => s.e.login(&id, user),
            1 => s.e.regenerate_session(&id),
            _ => s.e.invalidate_session(&id),
        };
        let (now, at) = (s.now, &s.at);
        let live = self
            .stored
            .get(&id)
            .filter(|m| !read_expired(m, now))
            .cloned();
        match live {
            None => assert!(is_not_found(&result), "{at}"),
            Some(mut m) => {
                let rotated = result.expect("rotate");
                self.stored.remove(&id);
                match kind {
                    0 => m.user = Some(user),
                    1 => {}
                    _ => {
                        m.user = None;
                        m.payload.clear();
                    }
                }
                assert_ne!(rotated.csrf_token.expose(), m.csrf, "{at}");
                m.csrf = rotated.csrf_token.expose().to_owned();
                m.version += 1;
                m.last_activity = now;
                assert_eq!(
                    (rotated.user_id, &rotated.payload),
                    (m.user, &m.payload),
                    "{at}"
                );
                self.stored.insert(rotated.id.expose().to_owned(), m);
                self.known.push(rotated.id.expose().to_owned());
            }
        }
    }
}
