//! Password credentials and login throttling: one login per user and one
//! user per login, a clash refused with nothing changed; attempts throttled
//! per (login, ip) — `max` failures in a window that opens at the first
//! failure and is spent once `now >= start + window`, success clearing the
//! counter, a throttled attempt counting nothing; password confirmation; and
//! a password change that revokes the user's other sessions, remember-me
//! tokens and, when asked, personal access tokens.

use std::collections::BTreeMap;

use authkv::{AttemptOutcome, CredentialError, Error};

use super::remember::Remember;
use super::sessions::Sessions;
use super::tokens::Tokens;
use super::{Step, THROTTLE_MAX, THROTTLE_WINDOW_S};

const LOGINS: [&str; 4] = ["alice", "bob", "carol", "dave"];
/// A login no user ever gets.
const UNKNOWN: &str = "mallory";
const PASSWORDS: [&str; 3] = ["correct horse", "battery staple", "hunter2"];
const IPS: [&str; 2] = ["203.0.113.1", "203.0.113.2"];

#[derive(Clone, Debug)]
struct Credential {
    user: u64,
    password: String,
}

/// Failures counted for one (login, ip) in the window begun at `start`.
#[derive(Clone, Copy, Debug)]
struct Counter {
    attempts: u64,
    start: u64,
}

impl Counter {
    fn end(self) -> u64 {
        self.start + THROTTLE_WINDOW_S
    }
}

fn credential_error<T>(result: Result<T, Error>) -> Option<CredentialError> {
    match result {
        Err(Error::Credential(e)) => Some(e),
        _ => None,
    }
}

/// Credentials by login, and throttle counters by (login, ip).
#[derive(Default)]
pub(super) struct Credentials {
    by_login: BTreeMap<String, Credential>,
    counters: BTreeMap<(String, String), Counter>,
}

impl Credentials {
    pub(super) fn count(&self) -> u64 {
        self.by_login.len() as u64
    }

    /// Forget counters whose window has passed; returns how many.
    pub(super) fn collect(&mut self, now: u64) -> u64 {
        let before = self.counters.len();
        self.counters.retain(|_, c| c.end() > now);
        (before - self.counters.len()) as u64
    }

    pub(super) fn instants(&self, out: &mut Vec<u64>) {
        out.extend(self.counters.values().map(|c| c.end()));
    }

    fn of_user(&mut self, user: u64) -> Option<&mut Credential> {
        self.by_login.values_mut().find(|c| c.user == user)
    }

    /// One credential operation, checked against the model. A password
    /// change reaches into the other areas.
    pub(super) fn step(
        &mut self,
        s: &mut Step<'_>,
        sessions: &mut Sessions,
        tokens: &mut Tokens,
        remember: &mut Remember,
    ) {
        match s.below(12) {
            0 | 1 => self.set_password(s),
            2..=6 => self.attempts(s),
            7 | 8 => {
                let user = s.below(5);
                let password = s.pick(&PASSWORDS);
                let got = s.e.verify_password(user, password).expect("verify");
                let expected = self
                    .by_login
                    .values()
                    .any(|c| c.user == user && c.password == password);
                assert_eq!(got, expected, "{}: verify_password({user})", s.at);
            }
            9 | 10 => self.change_password(s, sessions, tokens, remember),
            _ => self.refused_input(s),
        }
    }

    fn set_password(&mut self, s: &mut Step<'_>) {
        let user = s.below(4);
        let login = s.pick(&LOGINS);
        let password = s.pick(&PASSWORDS);
        let result = s.e.set_password(user, login, password);
        let at = &s.at;
        if self.by_login.get(login).is_some_and(|c| c.user != user) {
            let expected = CredentialError::LoginTaken {
                login: login.to_owned(),
            };
            assert_eq!(credential_error(result), Some(expected), "{at}");
            s.hit("a login held by another user is refused");
            return;
        }
        result.unwrap_or_else(|e| panic!("{at}: set_password({user}, {login}): {e}"));
        let old = self.by_login.iter().find(|(_, c)| c.user == user);
        if old.is_some_and(|(old, _)| old != login) {
            s.hit("a new login replaces the user's old one");
        }
        self.by_login.retain(|_, c| c.user != user);
        let password = password.to_owned();
        self.by_login
            .insert(login.to_owned(), Credential { user, password });
    }

    /// A burst of attempts for one (login, ip), as a guesser makes them.
    fn attempts(&mut self, s: &mut Step<'_>) {
        let login = if s.chance(5) {
            UNKNOWN
        } else {
            s.pick(&LOGINS)
        };
        let key = (login.to_owned(), s.pick(&IPS).to_owned());
        let near: Vec<(String, String)> = self
            .counters
            .iter()
            .filter(|(_, c)| s.near(c.end()))
            .map(|(key, _)| key.clone())
            .collect();
        let (login, ip) = &s.pick_near(&near, &[key]);
        for _ in 0..=s.below(4) {
            let password = match self.by_login.get(login) {
                Some(c) if s.chance(3) => c.password.clone(),
                _ => s.pick(&PASSWORDS).to_owned(),
            };
            let got = s.e.attempt(login, &password, ip).expect("attempt");
            let expected = self.attempt(s, login, &password, ip);
            assert_eq!(got, expected, "{}: attempt({login}, {ip})", s.at);
        }
    }

    /// The model's answer to one attempt, and its effect on the counter.
    fn attempt(
        &mut self,
        s: &mut Step<'_>,
        login: &str,
        password: &str,
        ip: &str,
    ) -> AttemptOutcome {
        let now = s.now;
        let key = (login.to_owned(), ip.to_owned());
        let counter = self.counters.get(&key).copied();
        if let Some(c) = counter
            && c.attempts >= u64::from(THROTTLE_MAX)
        {
            if now < c.end() {
                s.hit("attempts past the limit are throttled until the window ends");
                return AttemptOutcome::Throttled {
                    retry_after: c.end() - now,
                };
            }
            if now == c.end() {
                s.hit("an attempt at exactly the window's end is admitted");
            }
        }
        match counter {
            Some(c) if now < c.end() => {
                self.counters.insert(
                    key.clone(),
                    Counter {
                        attempts: c.attempts + 1,
                        ..c
                    },
                );
            }
            _ => {
                if counter.is_some() {
                    s.hit("a failure after the window has passed opens a new one");
                }
                self.counters.insert(
                    key.clone(),
                    Counter {
                        attempts: 1,
                        start: now,
                    },
                );
            }
        }
        match self.by_login.get(login) {
            Some(c) if c.password == password => {
                s.hit("the right password logs in and clears the counter");
                self.counters.remove(&key);
                AttemptOutcome::Authenticated { user_id: c.user }
            }
            Some(_) => {
                s.hit("a wrong password is invalid and counted");
                AttemptOutcome::InvalidCredentials
            }
            None => {
                s.hit("an unknown login is invalid and counted");
                AttemptOutcome::InvalidCredentials
            }
        }
    }

    fn change_password(
        &mut self,
        s: &mut Step<'_>,
        sessions: &mut Sessions,
        tokens: &mut Tokens,
        remember: &mut Remember,
    ) {
        let user = s.below(4);
        let password = s.pick(&PASSWORDS);
        let keep = if s.chance(2) {
            Some(sessions.any_id(s))
        } else {
            None
        };
        let revoke_tokens = s.chance(2);
        let result =
            s.e.change_password(user, password, keep.as_deref(), revoke_tokens);
        let at = s.at.clone();
        let Some(credential) = self.of_user(user) else {
            let expected = CredentialError::NoCredential { user_id: user };
            assert_eq!(credential_error(result), Some(expected), "{at}");
            s.hit("a password change for a user without one is refused");
            return;
        };
        result.unwrap_or_else(|e| panic!("{at}: change_password({user}): {e}"));
        credential.password = password.to_owned();
        let revoked = sessions.revoke_user(user, keep.as_deref())
            + remember.revoke_user(user)
            + if revoke_tokens {
                tokens.revoke_user(user)
            } else {
                0
            };
        if revoked > 0 {
            s.hit("a password change revokes the user's other sessions and tokens");
        }
    }

    /// Refused input changes nothing and counts nothing.
    fn refused_input(&mut self, s: &mut Step<'_>) {
        let user = s.below(4);
        let login = s.pick(&LOGINS);
        let ip = s.pick(&IPS);
        let (result, expected) = match s.below(4) {
            0 => (
                s.e.set_password(user, "", "pw"),
                CredentialError::EmptyLogin,
            ),
            1 => (
                s.e.set_password(user, login, ""),
                CredentialError::EmptyPassword,
            ),
            2 => (
                s.e.attempt(login, "", ip).map(|_| ()),
                CredentialError::EmptyPassword,
            ),
            _ => (
                s.e.change_password(user, "", None, true),
                CredentialError::EmptyPassword,
            ),
        };
        assert_eq!(credential_error(result), Some(expected), "{}", s.at);
    }
}
