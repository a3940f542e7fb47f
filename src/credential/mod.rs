//! Password credentials: one login per user and one user per login, argon2id
//! hashes, login attempts with throttling and rehash-on-login, password
//! confirmation and password change.
//!
//! Logins and passwords are compared byte for byte: an application that
//! wants case-insensitive logins normalizes them before calling. The C ABI
//! checks that a login is UTF-8 before it reaches the `&str` API here.

pub(crate) mod confirm;
pub(crate) mod password;
pub(crate) mod remember;
pub(crate) mod throttle;

use crate::credential::password::{hash_password, needs_rehash};
use crate::credential::remember::revoke_user_remembered;
use crate::credential::throttle::{Policy, clear_throttle, count_failure, throttle_key};
use crate::engine::Engine;
use crate::error::{CredentialError, Error, Result};
use crate::session::{revoke_user_sessions, session_digest};
use crate::store::Reads;
use crate::store::record::CredentialRecord;
use crate::token::revoke_user_tokens;

/// Longest login accepted, in bytes: the longest email address (RFC 3696).
pub const MAX_LOGIN_LEN: usize = 320;

/// Longest password accepted, in bytes. Far beyond any real password, and
/// low enough that hashing cannot be used to burn CPU on huge inputs.
pub const MAX_PASSWORD_LEN: usize = 4096;

/// What a login attempt led to. These are the expected answers to a login
/// form, so they are values, not errors: the server maps them to "welcome",
/// "wrong login or password" and "too many attempts, retry in N s" (HTTP
/// 429 with `Retry-After`). Errors are kept for refused input and storage
/// failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// Login and password match; the (login, ip) failure counter is cleared.
    Authenticated {
        /// The user the login belongs to.
        user_id: u64,
    },
    /// Unknown login or wrong password (indistinguishable by design); the
    /// failure was counted.
    InvalidCredentials,
    /// Too many recent failures for this (login, ip); no password was
    /// checked and nothing was counted.
    Throttled {
        /// Seconds until an attempt is admitted again.
        retry_after: u64,
    },
}

fn check_login(login: &str) -> Result<(), CredentialError> {
    if login.is_empty() {
        return Err(CredentialError::EmptyLogin);
    }
    if login.len() > MAX_LOGIN_LEN {
        return Err(CredentialError::LoginTooLong {
            len: login.len(),
            max: MAX_LOGIN_LEN,
        });
    }
    Ok(())
}

pub(crate) fn check_password(password: &str) -> Result<(), CredentialError> {
    if password.is_empty() {
        return Err(CredentialError::EmptyPassword);
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(CredentialError::PasswordTooLong {
            len: password.len(),
            max: MAX_PASSWORD_LEN,
        });
    }
    Ok(())
}

/// The login and record of `user_id`, which must have both.
pub(crate) fn credential_of_user(
    txn: &dyn Reads,
    user_id: u64,
) -> Result<Option<(String, CredentialRecord)>> {
    let Some(login) = txn.login_of(user_id)? else {
        return Ok(None);
    };
    let record = txn.credential(&login)?.ok_or_else(|| Error::Corrupt {
        table: "credentials_by_user",
        detail: format!("user {user_id}: row names a login with no credential"),
    })?;
    Ok(Some((login, record)))
}

/// What the counting transaction of an attempt found.
pub(crate) enum Counted {
    /// Too many failures: seconds until the next attempt is admitted.
    Throttled(u64),
    /// The failure is counted; the credential to check (if any).
    Proceed(Option<CredentialRecord>),
}

impl crate::engine::Core {
    /// Admit an attempt under `key`: refused while throttled (from a read,
    /// so a locked-out caller costs no write), else counted as a failure
    /// and `read` run, in one transaction, before any password is checked,
    /// so that parallel guesses cannot slip past the limit.
    pub(crate) fn count_then_read(
        &self,
        key: &crate::secret::Digest,
        now: u64,
        read: impl FnOnce(&dyn crate::store::Writes) -> Result<Option<CredentialRecord>>,
    ) -> Result<Counted> {
        if let Some(retry_after) = self.throttled_for(key, now)? {
            return Ok(Counted::Throttled(retry_after));
        }
        let policy = Policy::of(&self.config);
        self.write(|txn| {
            if let Some(retry_after) = txn.throttle(key)?.and_then(|c| policy.retry_after(c, now)) {
                return Ok(Counted::Throttled(retry_after));
            }
            count_failure(txn, key, now, policy)?;
            self.count_lookup();
            Ok(Counted::Proceed(read(txn)?))
        })
    }
}

impl Engine {
    /// Set the password of `user_id` and the login it signs in with
    /// (registration, an administrator's reset). A user has one login:
    /// setting another one replaces the old login in the same transaction.
    /// Sessions and remember-me tokens are left alone; see
    /// [`Engine::change_password`] for a user changing their password.
    ///
    /// # Errors
    /// [`CredentialError::EmptyLogin`], [`CredentialError::LoginTooLong`],
    /// [`CredentialError::EmptyPassword`], [`CredentialError::PasswordTooLong`]
    /// for refused input, [`CredentialError::LoginTaken`] when another user
    /// holds `login`, [`CredentialError::Hashing`] when argon2 fails; in each
    /// case nothing changes.
    pub fn set_password(&self, user_id: u64, login: &str, password: &str) -> Result<()> {
        check_login(login)?;
        check_password(password)?;
        let core = &self.core;
        let taken = || CredentialError::LoginTaken {
            login: login.to_owned(),
        };
        // Refuse a taken login before spending a hash on it.
        let owner = core.read(|txn| Ok(txn.credential(login)?.map(|r| r.user_id)))?;
        if owner.is_some_and(|owner| owner != user_id) {
            return Err(taken().into());
        }
        let phc = hash_password(core.config.argon2, password.as_bytes())?;
        core.write(|txn| {
            if txn.credential(login)?.is_some_and(|r| r.user_id != user_id) {
                return Err(taken().into());
            }
            if let Some(old_login) = txn.login_of(user_id)?
                && old_login != login
            {
                txn.remove_credential(&old_login)?;
            }
            txn.put_credential(login, &CredentialRecord { user_id, phc })
        })
    }

    /// Try to log in. In order: the (login, ip) throttle is checked (a
    /// locked-out caller costs no write and no hash); the attempt is counted
    /// as a failure and the credential read, in one transaction, before the
    /// password is checked, so parallel guesses cannot slip past the limit;
    /// exactly one argon2 verification runs, against a dummy hash with the
    /// configured costs when the login is unknown, so timing does not tell
    /// which logins exist; on success the counter is cleared and, when the
    /// stored hash was made with other costs than `Config::argon2`, the
    /// password is rehashed.
    ///
    /// Failures allowed: `Config::throttle_max_attempts` per
    /// `Config::throttle_window`, counted from the first failure.
    ///
    /// # Errors
    /// [`CredentialError::EmptyLogin`], [`CredentialError::LoginTooLong`],
    /// [`CredentialError::EmptyPassword`], [`CredentialError::PasswordTooLong`],
    /// [`CredentialError::IpTooLong`] for refused input (nothing is counted);
    /// [`Error::Storage`] or [`Error::Corrupt`] when the file fails.
    pub fn attempt(&self, login: &str, password: &str, ip: &str) -> Result<AttemptOutcome> {
        check_login(login)?;
        check_password(password)?;
        let core = &self.core;
        let max_ip = core.config.max_ip;
        if ip.len() > max_ip {
            return Err(CredentialError::IpTooLong {
                len: ip.len(),
                max: max_ip,
            }
            .into());
        }
        // Made before the first attempt of any kind, so even the very first
        // unknown login does not take longer than a known one.
        let dummy = core.dummy_phc()?;
        let key = throttle_key(login, ip);
        let now = core.now();
        let counted = core.count_then_read(&key, now, |txn| txn.credential(login))?;
        let record = match counted {
            Counted::Throttled(retry_after) => {
                return Ok(AttemptOutcome::Throttled { retry_after });
            }
            Counted::Proceed(record) => record,
        };
        let Some(record) = record else {
            core.verify_password_hash(password.as_bytes(), dummy)?;
            return Ok(AttemptOutcome::InvalidCredentials);
        };
        if !core.verify_password_hash(password.as_bytes(), &record.phc)? {
            return Ok(AttemptOutcome::InvalidCredentials);
        }
        let rehashed = if needs_rehash(&record.phc, core.config.argon2) {
            Some(hash_password(core.config.argon2, password.as_bytes())?)
        } else {
            None
        };
        core.write(|txn| {
            clear_throttle(txn, &key)?;
            if let Some(phc) = rehashed {
                // Only replace the hash that was verified: a password set
                // meanwhile wins.
                if txn.credential(login)?.as_ref() == Some(&record) {
                    let user_id = record.user_id;
                    txn.put_credential(login, &CredentialRecord { user_id, phc })?;
                }
            }
            Ok(())
        })?;
        Ok(AttemptOutcome::Authenticated {
            user_id: record.user_id,
        })
    }

    /// Confirm the password of a logged-in user (before a sensitive action).
    /// Runs exactly one argon2 verification, also for a user without a
    /// password (then `false`). Not throttled and never rehashes: the user
    /// is already authenticated by their session.
    ///
    /// # Errors
    /// [`CredentialError::EmptyPassword`], [`CredentialError::PasswordTooLong`]
    /// for refused input; [`Error::Storage`] or [`Error::Corrupt`] when the
    /// file fails.
    pub fn verify_password(&self, user_id: u64, password: &str) -> Result<bool> {
        check_password(password)?;
        let core = &self.core;
        let dummy = core.dummy_phc()?;
        core.count_lookup();
        let record = core.read(|txn| Ok(credential_of_user(txn, user_id)?.map(|(_, r)| r)))?;
        match record {
            Some(record) => core.verify_password_hash(password.as_bytes(), &record.phc),
            None => {
                core.verify_password_hash(password.as_bytes(), dummy)?;
                Ok(false)
            }
        }
    }

    /// Change the password of `user_id` (the user already proved the old
    /// one, e.g. with [`Engine::verify_password`]). In one transaction: the
    /// new hash is stored, every other session of the user is revoked
    /// (`keep_session`, the session making the change, survives; a malformed
    /// id keeps none), every remember-me token of the user is revoked, and,
    /// when `revoke_tokens` is set, every personal access token too.
    ///
    /// # Errors
    /// [`CredentialError::EmptyPassword`], [`CredentialError::PasswordTooLong`]
    /// for refused input, [`CredentialError::NoCredential`] when the user has
    /// no password; in each case nothing changes.
    pub fn change_password(
        &self,
        user_id: u64,
        new_password: &str,
        keep_session: Option<&str>,
        revoke_tokens: bool,
    ) -> Result<()> {
        check_password(new_password)?;
        let core = &self.core;
        let has_credential = core.read(|txn| Ok(txn.login_of(user_id)?.is_some()))?;
        if !has_credential {
            return Err(CredentialError::NoCredential { user_id }.into());
        }
        let phc = hash_password(core.config.argon2, new_password.as_bytes())?;
        let keep = keep_session.and_then(session_digest);
        let (revoked_sessions, revoked_tokens) = core.write(|txn| {
            let (login, _) = credential_of_user(txn, user_id)?
                .ok_or(CredentialError::NoCredential { user_id })?;
            txn.put_credential(&login, &CredentialRecord { user_id, phc })?;
            let sessions = revoke_user_sessions(txn, user_id, keep)?;
            revoke_user_remembered(txn, user_id)?;
            let tokens = if revoke_tokens {
                revoke_user_tokens(txn, user_id)?
            } else {
                Vec::new()
            };
            Ok((sessions, tokens))
        })?;
        core.forget_touches(&revoked_sessions);
        core.forget_token_touches(&revoked_tokens);
        Ok(())
    }
}
