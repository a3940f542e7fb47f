//! Remember-me tokens: `selector:validator`, rotated on every use (same
//! selector, new validator, lifetime restarted); an old validator shown for
//! a known selector is a stolen cookie and revokes every token of the user;
//! malformed, unknown and expired tokens (`expires_at <= now`) are invalid
//! and change nothing; GC deletes expired ones.

use authkv::RememberOutcome;

use super::{REMEMBER_S, Step};

const SELECTOR_LEN: usize = 16;
const VALIDATOR_LEN: usize = 40;

/// Texts that are never a remember-me token's shape, or are its shape with
/// a selector nobody was given.
const GARBAGE: [&str; 5] = [
    "",
    "garbage",
    "AAAAAAAAAAAAAAAA-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
    "AAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
    "AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
];

/// One remembered device.
#[derive(Clone, Debug)]
struct Device {
    selector: String,
    user: u64,
    validator: String,
    expires_at: u64,
}

/// The selector and validator of a well-formed token.
fn parse(text: &str) -> Option<(&str, &str)> {
    let (selector, validator) = text.split_once(':')?;
    let alnum = |part: &str, len: usize| {
        part.len() == len && part.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    (alnum(selector, SELECTOR_LEN) && alnum(validator, VALIDATOR_LEN))
        .then_some((selector, validator))
}

/// Stored devices and every token ever handed out, both in the order they
/// were made, so that choices made from them do not depend on the random
/// selectors (a fuzzer's input must replay).
#[derive(Default)]
pub(super) struct Remember {
    stored: Vec<Device>,
    issued: Vec<String>,
}

impl Remember {
    pub(super) fn count(&self) -> u64 {
        self.stored.len() as u64
    }

    /// Forget every token of `user`; returns how many.
    pub(super) fn revoke_user(&mut self, user: u64) -> usize {
        let before = self.stored.len();
        self.stored.retain(|d| d.user != user);
        before - self.stored.len()
    }

    /// Forget what GC deletes at `now` (`expires_at <= now`).
    pub(super) fn collect(&mut self, now: u64) -> u64 {
        let before = self.stored.len();
        self.stored.retain(|d| d.expires_at > now);
        (before - self.stored.len()) as u64
    }

    pub(super) fn instants(&self, out: &mut Vec<u64>) {
        out.extend(self.stored.iter().map(|d| d.expires_at));
    }

    /// One remember-me operation, checked against the model.
    pub(super) fn step(&mut self, s: &mut Step<'_>) {
        match s.below(8) {
            0 | 1 => {
                let user = s.below(4);
                let token = s.e.create_remember_token(user).expect("create");
                let text = token.expose();
                let (selector, validator) =
                    parse(text).unwrap_or_else(|| panic!("{}: new token {text:?} malformed", s.at));
                let fresh = self.stored.iter().all(|d| d.selector != selector);
                assert!(fresh, "{}: selector handed out twice", s.at);
                self.stored.push(Device {
                    selector: selector.to_owned(),
                    user,
                    validator: validator.to_owned(),
                    expires_at: s.now + REMEMBER_S,
                });
                self.issued.push(text.to_owned());
            }
            2..=6 => {
                let text = self.presented(s);
                self.consume(s, &text);
            }
            _ => {
                let user = s.below(4);
                let count = s.e.revoke_remember_tokens(user).expect("revoke");
                assert_eq!(count, self.revoke_user(user), "{}: revoke({user})", s.at);
            }
        }
    }

    /// A token to present: a device's current one, any ever handed out
    /// (rotated away, revoked or expired), a known selector with a forged
    /// validator, or garbage.
    fn presented(&self, s: &mut Step<'_>) -> String {
        if self.issued.is_empty() {
            return s.pick(&GARBAGE).to_owned();
        }
        match s.below(6) {
            0..=2 if !self.stored.is_empty() => {
                let text = |d: &Device| format!("{}:{}", d.selector, d.validator);
                let current: Vec<String> = self.stored.iter().map(text).collect();
                let near: Vec<String> = self
                    .stored
                    .iter()
                    .filter(|d| s.near(d.expires_at))
                    .map(text)
                    .collect();
                s.pick_near(&near, &current)
            }
            0..=3 => s.pick(&self.issued),
            4 => {
                let issued = s.pick(&self.issued);
                format!("{}{}", &issued[..=SELECTOR_LEN], "x".repeat(VALIDATOR_LEN))
            }
            _ => s.pick(&GARBAGE).to_owned(),
        }
    }

    fn consume(&mut self, s: &mut Step<'_>, text: &str) {
        let got = s.e.consume_remember_token(text).expect("consume");
        let (now, at) = (s.now, s.at.clone());
        let found = parse(text).and_then(|(selector, validator)| {
            let index = self.stored.iter().position(|d| d.selector == selector)?;
            Some((index, validator))
        });
        let Some((index, validator)) = found else {
            assert_eq!(got, RememberOutcome::Invalid, "{at}: {text:?}");
            return;
        };
        let device = self.stored[index].clone();
        if device.expires_at <= now {
            s.hit("an expired remember-me token is invalid and kept for gc");
            if device.expires_at == now {
                s.hit("a remember-me token is invalid at exactly its expiry");
            }
            assert_eq!(got, RememberOutcome::Invalid, "{at}: expired {text:?}");
            return;
        }
        if device.validator != validator {
            s.hit("a stale validator is theft and revokes the user's tokens");
            let expected = RememberOutcome::TheftDetected {
                user_id: device.user,
            };
            assert_eq!(got, expected, "{at}: replayed {text:?}");
            self.revoke_user(device.user);
            return;
        }
        let RememberOutcome::Authenticated { user_id, token } = got else {
            panic!("{at}: current token {text:?} gave {got:?}");
        };
        s.hit("a valid remember-me token logs in and rotates");
        let rotated = token.expose();
        assert_eq!(user_id, device.user, "{at}");
        let (same_selector, new_validator) =
            parse(rotated).unwrap_or_else(|| panic!("{at}: rotated token malformed"));
        assert_eq!(same_selector, device.selector, "{at}: the selector is kept");
        assert_ne!(new_validator, validator, "{at}: the validator changes");
        self.stored[index] = Device {
            validator: new_validator.to_owned(),
            expires_at: now + REMEMBER_S,
            ..device
        };
        self.issued.push(rotated.to_owned());
    }
}
