//! Personal access tokens: ids never reused, authentication by plaintext or
//! bare secret, per-token `expires_at` (expired once `now > expires_at`) and
//! the global expiration (expired once `created_at <= now - expiration`),
//! throttled `last_used_at`, listing, revocation, and pruning with Sanctum's
//! strict `<` cutoffs, by hand or from GC.

use std::collections::BTreeMap;

use authkv::{Config, NewToken, TokenInfo};

use super::{HOUR, Step, TOUCH_S};

const ABILITIES: [&str; 4] = ["read", "write", "deploy", "*"];

/// A plaintext that never authenticates: wrong shape, wrong checksum, or a
/// legacy 40-character secret while legacy tokens are off.
const GARBAGE: [&str; 7] = [
    "",
    "|",
    "1|",
    "garbage",
    "Bearer 1|abc",
    "Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt",
    "1|Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt00000000",
];

/// A listed token as the model predicts it: id, name, abilities,
/// created_at, [last_used_at, expires_at], expired.
type Shown<'a> = (u64, &'a str, &'a [String], u64, [Option<u64>; 2], bool);

#[derive(Clone, Debug)]
struct Token {
    user: u64,
    name: String,
    abilities: Vec<String>,
    created_at: u64,
    /// Including a use not yet flushed.
    last_used_at: Option<u64>,
    expires_at: Option<u64>,
}

/// Stored tokens by id, and the plaintext of every token ever minted.
pub(super) struct Tokens {
    stored: BTreeMap<u64, Token>,
    minted: Vec<(u64, String)>,
    last_id: u64,
    /// `Config::token_expiration` in seconds.
    expiration: Option<u64>,
    /// `Config::token_prune_hours`.
    prune_hours: u64,
}

/// The secret part of a plaintext: everything after the first `|`.
fn secret(plain: &str) -> &str {
    plain.split_once('|').expect("minted tokens have an id").1
}

impl Tokens {
    pub(super) fn new(config: &Config) -> Self {
        Self {
            stored: BTreeMap::new(),
            minted: Vec::new(),
            last_id: 0,
            expiration: config.token_expiration.map(|d| d.as_secs()),
            prune_hours: config.token_prune_hours,
        }
    }

    pub(super) fn count(&self) -> u64 {
        self.stored.len() as u64
    }

    fn expired_own(t: &Token, now: u64) -> bool {
        t.expires_at.is_some_and(|expires_at| now > expires_at)
    }

    fn expired_global(&self, t: &Token, now: u64) -> bool {
        self.expiration.is_some_and(|expiration| {
            now.checked_sub(expiration)
                .is_some_and(|cutoff| t.created_at <= cutoff)
        })
    }

    fn expired(&self, t: &Token, now: u64) -> bool {
        Self::expired_own(t, now) || self.expired_global(t, now)
    }

    /// Sanctum's `prune-expired --hours`: `expires_at < now - hours` or
    /// `created_at < now - (expiration + hours)`.
    fn prunable(&self, t: &Token, now: u64, hours: u64) -> bool {
        let grace = hours * HOUR;
        let own = now
            .checked_sub(grace)
            .is_some_and(|cutoff| t.expires_at.is_some_and(|x| x < cutoff));
        let global = self.expiration.is_some_and(|expiration| {
            now.checked_sub(expiration + grace)
                .is_some_and(|cutoff| t.created_at < cutoff)
        });
        own || global
    }

    /// Forget what pruning with `hours` deletes at `now`; returns how many.
    fn prune(&mut self, now: u64, hours: u64) -> u64 {
        let doomed: Vec<u64> = self
            .stored
            .iter()
            .filter(|(_, t)| self.prunable(t, now, hours))
            .map(|(id, _)| *id)
            .collect();
        for id in &doomed {
            self.stored.remove(id);
        }
        doomed.len() as u64
    }

    /// Forget what GC prunes at `now` (with `token_prune_hours`).
    pub(super) fn collect(&mut self, now: u64) -> u64 {
        self.prune(now, self.prune_hours)
    }

    /// Forget every token of `user`; returns how many.
    pub(super) fn revoke_user(&mut self, user: u64) -> usize {
        let before = self.stored.len();
        self.stored.retain(|_, t| t.user != user);
        before - self.stored.len()
    }

    pub(super) fn instants(&self, out: &mut Vec<u64>) {
        let grace = self.prune_hours * HOUR;
        for t in self.stored.values() {
            if let Some(expires_at) = t.expires_at {
                out.extend([expires_at, expires_at + grace]);
            }
            if let Some(expiration) = self.expiration {
                let expires_at = t.created_at + expiration;
                out.extend([expires_at, expires_at + grace]);
            }
            if let Some(last) = t.last_used_at {
                out.push(last + TOUCH_S);
            }
        }
    }

    /// What `user_tokens` shows for a stored token at `now`.
    fn info<'a>(&self, id: u64, t: &'a Token, now: u64) -> Shown<'a> {
        (
            id,
            &t.name,
            &t.abilities,
            t.created_at,
            [t.last_used_at, t.expires_at],
            self.expired(t, now),
        )
    }

    /// One token operation, checked against the model.
    pub(super) fn step(&mut self, s: &mut Step<'_>) {
        match s.below(10) {
            0 | 1 => self.create(s),
            2..=5 => self.authenticate(s),
            6 => {
                let user = s.below(5);
                let listed = s.e.user_tokens(user).expect("list");
                let listed: Vec<_> = listed.iter().map(shown).collect();
                let expected: Vec<_> = self
                    .stored
                    .iter()
                    .filter(|(_, t)| t.user == user)
                    .map(|(id, t)| self.info(*id, t, s.now))
                    .collect();
                assert_eq!(listed, expected, "{}: user_tokens({user})", s.at);
                if listed.iter().any(|t| t.5) {
                    s.hit("user_tokens lists an expired token as expired");
                }
            }
            7 => {
                let id = if self.minted.is_empty() || s.chance(8) {
                    self.last_id + 1 + s.below(3)
                } else {
                    s.pick(&self.minted).0
                };
                let existed = s.e.revoke_token(id).expect("revoke");
                assert_eq!(
                    existed,
                    self.stored.remove(&id).is_some(),
                    "{}: revoke_token({id})",
                    s.at
                );
            }
            8 => {
                let user = s.below(5);
                let count = s.e.revoke_user_tokens(user).expect("revoke");
                assert_eq!(
                    count,
                    self.revoke_user(user),
                    "{}: revoke_user_tokens({user})",
                    s.at
                );
            }
            _ => {
                let near: Vec<u64> = (0..3)
                    .filter(|hours| self.at_prune_boundary(s.now, *hours))
                    .collect();
                let hours = s.pick_near(&near, &[0, 1, 2]);
                self.note_prune_boundaries(s, hours);
                let count = s.e.prune_expired_tokens(hours).expect("prune");
                assert_eq!(
                    count,
                    self.prune(s.now, hours),
                    "{}: prune_expired_tokens({hours})",
                    s.at
                );
                if count > 0 {
                    s.hit("prune deletes tokens expired for more than N hours");
                }
            }
        }
    }

    fn create(&mut self, s: &mut Step<'_>) {
        let user = s.below(5);
        let mut abilities = Vec::new();
        for ability in ABILITIES {
            if s.chance(2) {
                abilities.push(ability.to_owned());
            }
        }
        // Relative to now: up to two minutes past, or up to 38 minutes ahead
        // (beyond the global expiration, so either rule may decide).
        let expires_at = if s.chance(3) {
            None
        } else {
            Some((s.now + s.below(2400)).saturating_sub(120))
        };
        let name = format!("token {}", self.minted.len());
        let NewToken {
            id,
            plain_text,
            info,
            ..
        } =
            s.e.create_token(user, &name, &abilities, expires_at)
                .expect("create token");
        let at = &s.at;
        assert_eq!(id, self.last_id + 1, "{at}: ids are never reused");
        assert!(
            plain_text.expose().starts_with(&format!("{id}|")),
            "{at}: plaintext starts with its id"
        );
        let token = Token {
            user,
            name,
            abilities,
            created_at: s.now,
            last_used_at: None,
            expires_at,
        };
        assert_eq!(shown(&info), self.info(id, &token, s.now), "{at}: info");
        self.last_id = id;
        self.minted.push((id, plain_text.expose().to_owned()));
        self.stored.insert(id, token);
    }

    /// Present a plaintext: a minted one (stored or not), its bare secret,
    /// one with a character changed, another token's secret under this id,
    /// or garbage. Only a minted plaintext or secret of a stored token that
    /// has not expired authenticates.
    fn authenticate(&mut self, s: &mut Step<'_>) {
        if self.minted.is_empty() {
            let text = s.pick(&GARBAGE);
            let got = s.e.authenticate_token(text).expect("authenticate");
            assert_eq!(got, None, "{}: garbage {text:?}", s.at);
            return;
        }
        let live: Vec<(u64, String)> = self
            .minted
            .iter()
            .filter(|(id, _)| self.stored.contains_key(id))
            .cloned()
            .collect();
        let near: Vec<(u64, String)> = live
            .iter()
            .filter(|(id, _)| self.at_boundary(s, &self.stored[id]))
            .cloned()
            .collect();
        // Mostly a stored token, else any ever minted.
        let all = if live.is_empty() || s.chance(3) {
            &self.minted
        } else {
            &live
        };
        let (id, plain) = s.pick_near(&near, all);
        let (text, whose) = match s.below(8) {
            0..=3 => (plain, Some(id)),
            4 => (secret(&plain).to_owned(), Some(id)),
            5 => {
                s.hit("a one-character change is refused");
                let mut bytes = plain.into_bytes();
                let i = s.below(bytes.len() as u64) as usize;
                // One draw whatever the random text holds, so that the
                // choices after it replay.
                let set = b"aZ7f0_-|";
                let j = s.below(set.len() as u64) as usize;
                bytes[i] = if set[j] == bytes[i] {
                    set[(j + 1) % set.len()]
                } else {
                    set[j]
                };
                (String::from_utf8(bytes).expect("ascii"), None)
            }
            6 => {
                let (other, other_plain) = s.pick(&self.minted);
                if other == id {
                    (plain, Some(id))
                } else {
                    s.hit("another token's secret under an id is refused");
                    (format!("{id}|{}", secret(&other_plain)), None)
                }
            }
            _ => (s.pick(&GARBAGE).to_owned(), None),
        };
        // A client often sends a few requests in the same second.
        for _ in 0..=s.below(2) {
            self.check_use(s, &text, whose);
        }
    }

    /// Authenticate `text`, the plaintext or secret of token `whose` (or of
    /// none), and compare with the model.
    fn check_use(&mut self, s: &mut Step<'_>, text: &str, whose: Option<u64>) {
        let got = s.e.authenticate_token(text).expect("authenticate");
        let (now, at) = (s.now, s.at.clone());
        let Some(t) = whose.and_then(|id| self.stored.get(&id)) else {
            if whose.is_some() {
                s.hit("a revoked or pruned token is refused");
            }
            assert_eq!(got, None, "{at}: {text:?} must not authenticate");
            return;
        };
        let (own, global) = (Self::expired_own(t, now), self.expired_global(t, now));
        if own || global {
            s.hit(match (own, global) {
                (true, false) => "a token past its own expires_at is refused",
                (false, true) => "a token past the global expiration is refused",
                _ => "a token past both expiries is refused",
            });
            if self.expiration.is_some_and(|e| t.created_at + e == now) {
                s.hit("a token is refused at exactly created_at + expiration");
            }
            assert_eq!(got, None, "{at}: expired token {whose:?} authenticated");
            return;
        }
        if t.expires_at == Some(now) {
            s.hit("a token still works at exactly its expires_at");
        }
        let got = got.unwrap_or_else(|| panic!("{at}: live token {whose:?} refused"));
        assert_eq!((Some(got.id), got.user_id), (whose, t.user), "{at}");
        assert_eq!(got.abilities.as_slice(), t.abilities, "{at}");
        let grants = |a: &str| t.abilities.iter().any(|x| x == "*" || x == a);
        assert_eq!(got.can("write"), grants("write"), "{at}: can(write)");
        let t = self.stored.get_mut(&got.id).expect("stored");
        match t.last_used_at {
            None => {
                s.hit("a token's first use sets last_used_at");
                t.last_used_at = Some(now);
            }
            Some(last) if now > last && now - last >= TOUCH_S => {
                s.hit(if now - last == TOUCH_S {
                    "a use exactly a touch interval later moves last_used_at"
                } else {
                    "a use a touch interval later moves last_used_at"
                });
                t.last_used_at = Some(now);
            }
            Some(_) => s.hit("a use within the touch interval leaves last_used_at"),
        }
    }

    /// Whether one of the token's expiries, or its next touch, flips within
    /// a second of now.
    fn at_boundary(&self, s: &Step<'_>, t: &Token) -> bool {
        t.expires_at.is_some_and(|x| s.near(x))
            || self.expiration.is_some_and(|e| s.near(t.created_at + e))
            || t.last_used_at.is_some_and(|last| s.near(last + TOUCH_S))
    }

    /// Whether pruning with `hours` at `now` meets a token exactly at one
    /// of its cutoffs.
    fn at_prune_boundary(&self, now: u64, hours: u64) -> bool {
        let grace = hours * HOUR;
        self.stored.values().any(|t| {
            t.expires_at.is_some_and(|x| x + grace == now)
                || self
                    .expiration
                    .is_some_and(|e| t.created_at + e + grace == now)
        })
    }

    /// Record when a prune meets a token exactly at a cutoff, which the
    /// strict `<` keeps.
    fn note_prune_boundaries(&self, s: &mut Step<'_>, hours: u64) {
        let grace = hours * HOUR;
        for t in self.stored.values() {
            if t.expires_at.is_some_and(|x| x + grace == s.now) {
                s.hit("prune keeps a token whose expires_at is exactly N hours past");
            }
            if self
                .expiration
                .is_some_and(|e| t.created_at + e + grace == s.now)
            {
                s.hit("prune keeps a token exactly expiration + N hours old");
            }
        }
    }
}

/// The fields of a listed token the model predicts.
fn shown(t: &TokenInfo) -> Shown<'_> {
    (
        t.id,
        &t.name,
        t.abilities.as_slice(),
        t.created_at,
        [t.last_used_at, t.expires_at],
        t.expired,
    )
}
