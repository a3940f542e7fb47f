//! Remember-me tokens, improving on Laravel's recaller: the cookie value is
//! `selector:validator`, only digests are stored, the validator rotates on
//! every use, and a stale validator shown for a known selector is read as a
//! stolen cookie and revokes every remembered device of that user.
//!
//! The selector names one remembered device for the token's whole life and
//! never changes; each use stores a new validator in the same record. So a
//! rotated-away token is recognised without keeping any extra row: its
//! selector still finds the record, and its validator no longer matches.
//! One row per device, however often it logs in, and the old token stays
//! recognisable exactly as long as the device stays remembered.

use crate::engine::gc::{DeletedCount, GcRun};
use crate::engine::{Core, Engine};
use crate::error::{Error, Result};
use crate::secret::{Digest, ct_eq, random_alnum, secret_string, sha256, to_hex};
use crate::store::record::RememberRecord;
use crate::store::{RowKey, TimeIndex, Writes};

/// Characters of `[A-Za-z0-9]` in a selector (≈95 bits: unguessable, and
/// never looked up unless it is well formed).
const SELECTOR_LEN: usize = 16;
/// Characters of `[A-Za-z0-9]` in a validator (≈238 bits).
const VALIDATOR_LEN: usize = 40;
/// `selector:validator`.
const TOKEN_LEN: usize = SELECTOR_LEN + 1 + VALIDATOR_LEN;

secret_string!(
    /// A remember-me token, `selector:validator` (57 characters), the value
    /// of the remember-me cookie. `Debug` never shows it.
    RememberToken
);

/// What presenting a remember-me token led to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum RememberOutcome {
    /// The token was valid: log the user in and replace the cookie with
    /// `token`. The presented token no longer works.
    Authenticated {
        /// The remembered user.
        user_id: u64,
        /// The rotated token to send back in the cookie.
        token: RememberToken,
    },
    /// The selector is known but the validator is not its current one: an
    /// old copy of the cookie was replayed after the device had used it, so
    /// someone else holds it. Every remember-me token of the user has been
    /// revoked; the application may also revoke the user's sessions and
    /// tell the user.
    TheftDetected {
        /// The user whose tokens were revoked.
        user_id: u64,
    },
    /// Malformed, unknown, revoked or expired: clear the cookie. Nothing was
    /// written.
    Invalid,
}

/// The selector and validator digests of a well-formed token; `None` for
/// anything else, which is `Invalid` without a table read.
fn parse(text: &str) -> Option<(Digest, Digest)> {
    let bytes = text.as_bytes();
    if bytes.len() != TOKEN_LEN || bytes[SELECTOR_LEN] != b':' {
        return None;
    }
    let (selector, validator) = (&bytes[..SELECTOR_LEN], &bytes[SELECTOR_LEN + 1..]);
    let alnum = |part: &[u8]| part.iter().all(u8::is_ascii_alphanumeric);
    (alnum(selector) && alnum(validator)).then(|| (sha256(selector), sha256(validator)))
}

/// A fresh validator and its digest.
fn new_validator() -> Result<([u8; VALIDATOR_LEN], Digest)> {
    let validator = random_alnum::<VALIDATOR_LEN>()?;
    let digest = sha256(&validator);
    Ok((validator, digest))
}

/// `selector:validator` as the cookie text.
fn token_text(selector: &[u8], validator: &[u8]) -> RememberToken {
    let mut text = String::with_capacity(TOKEN_LEN);
    text.extend(selector.iter().map(|&c| char::from(c)));
    text.push(':');
    text.extend(validator.iter().map(|&c| char::from(c)));
    RememberToken::new(text)
}

/// Delete every remember-me token of `user_id`; returns how many.
pub(crate) fn revoke_user_remembered(txn: &dyn Writes, user_id: u64) -> Result<usize> {
    let doomed = txn.user_remember_selectors(user_id)?;
    for selector in &doomed {
        let record = txn.remember(selector)?.ok_or_else(|| Error::Corrupt {
            table: "remember_by_user",
            detail: format!("index row for missing token {}", to_hex(selector)),
        })?;
        txn.remove_remember(selector, &record)?;
    }
    Ok(doomed.len())
}

impl Core {
    /// Delete tokens whose `expires_at <= now`.
    pub(crate) fn collect_remember(&self, now: u64, run: &mut GcRun<'_>) -> Result<()> {
        let count: DeletedCount = |report| &mut report.remember_tokens_deleted;
        let index = TimeIndex::RememberExpiry;
        self.collect_due(index, now, run, count, |txn, due| {
            let mut deleted = 0;
            for &(expires_at, row) in due {
                txn.unindex(index, expires_at, row)?;
                let RowKey::Digest(selector) = row else {
                    continue;
                };
                if let Some(record) = txn.remember(&selector)?
                    && record.expires_at == expires_at
                {
                    txn.remove_remember(&selector, &record)?;
                    deleted += 1;
                }
            }
            Ok(deleted)
        })
    }
}

impl Engine {
    /// Remember this device for `user_id` ("remember me" at login): returns
    /// the token for the remember-me cookie, valid for
    /// `Config::remember_lifetime`. Only digests of it are stored.
    ///
    /// # Errors
    /// [`Error::Random`] when the random source fails, [`Error::Storage`]
    /// when the commit fails; then nothing is stored.
    pub fn create_remember_token(&self, user_id: u64) -> Result<RememberToken> {
        let core = &self.core;
        let now = core.now();
        let (validator, validator_digest) = new_validator()?;
        let record = RememberRecord {
            user_id,
            validator: validator_digest,
            created_at: now,
            rotated_at: now,
            expires_at: now.saturating_add(core.config.remember_lifetime.as_secs()),
        };
        core.write(|txn| {
            // A selector collision (95 random bits) is retried, never
            // overwritten.
            loop {
                let selector = random_alnum::<SELECTOR_LEN>()?;
                let digest = sha256(&selector);
                if txn.remember(&digest)?.is_none() {
                    txn.insert_remember(&digest, &record)?;
                    return Ok(token_text(&selector, &validator));
                }
            }
        })
    }

    /// Log in with a remember-me cookie. A valid token yields the user and
    /// a rotated token (the presented one stops working) written in one
    /// transaction; its lifetime starts again. A known selector with a
    /// validator that is not the current one is a replayed, stolen cookie:
    /// every token of that user is revoked ([`RememberOutcome::TheftDetected`]).
    /// Malformed, unknown and expired tokens are [`RememberOutcome::Invalid`]
    /// and write nothing; malformed ones read nothing either. Validators are
    /// compared in constant time.
    ///
    /// Two requests racing with the same cookie look like a replay to the
    /// second one; an application that fires parallel requests should
    /// consume the cookie once per client and share the resulting session.
    ///
    /// # Errors
    /// [`Error::Storage`] or [`Error::Corrupt`] when the record cannot be
    /// read or the commit fails; then nothing changes.
    pub fn consume_remember_token(&self, text: &str) -> Result<RememberOutcome> {
        let Some((selector, presented)) = parse(text) else {
            return Ok(RememberOutcome::Invalid);
        };
        let core = &self.core;
        let now = core.now();
        core.count_lookup();
        let record = core.read(|txn| txn.remember(&selector))?;
        // Decide the write-free outcomes from a read transaction.
        if record.is_none_or(|r| r.expires_at <= now) {
            return Ok(RememberOutcome::Invalid);
        }
        let (validator, validator_digest) = new_validator()?;
        let lifetime = core.config.remember_lifetime.as_secs();
        core.write(|txn| {
            // Judge again inside the transaction: another request may have
            // rotated or revoked the token since the read.
            let Some(current) = txn.remember(&selector)? else {
                return Ok(RememberOutcome::Invalid);
            };
            if current.expires_at <= now {
                return Ok(RememberOutcome::Invalid);
            }
            let user_id = current.user_id;
            if !ct_eq(&current.validator, &presented) {
                revoke_user_remembered(txn, user_id)?;
                return Ok(RememberOutcome::TheftDetected { user_id });
            }
            let rotated = RememberRecord {
                validator: validator_digest,
                rotated_at: now,
                expires_at: now.saturating_add(lifetime),
                ..current.clone()
            };
            txn.remove_remember(&selector, &current)?;
            txn.insert_remember(&selector, &rotated)?;
            let token = token_text(&text.as_bytes()[..SELECTOR_LEN], &validator);
            Ok(RememberOutcome::Authenticated { user_id, token })
        })
    }

    /// Revoke every remember-me token of `user_id` ("log out everywhere").
    /// Returns how many were deleted.
    ///
    /// # Errors
    /// [`Error::Storage`] when the commit fails; then nothing is deleted.
    pub fn revoke_remember_tokens(&self, user_id: u64) -> Result<usize> {
        self.core.write(|txn| revoke_user_remembered(txn, user_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_the_exact_shape() {
        let good = format!("{}:{}", "a".repeat(16), "B".repeat(40));
        assert!(parse(&good).is_some());
        for bad in [
            String::new(),
            "a".repeat(57),
            format!("{}:{}", "a".repeat(15), "B".repeat(41)),
            format!("{}:{}", "a".repeat(16), "B".repeat(39)),
            format!("{}:{}", "a".repeat(16), "B".repeat(41)),
            format!("{}:{}-", "a".repeat(16), "B".repeat(39)),
            format!("{}é:{}", "a".repeat(14), "B".repeat(40)),
            format!("{}:{}é", "a".repeat(16), "B".repeat(38)),
        ] {
            assert!(parse(&bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn token_text_has_the_cookie_shape() {
        let (validator, _) = new_validator().expect("random");
        let selector = random_alnum::<SELECTOR_LEN>().expect("random");
        let token = token_text(&selector, &validator);
        assert_eq!(token.expose().len(), TOKEN_LEN);
        assert!(parse(token.expose()).is_some());
    }
}
