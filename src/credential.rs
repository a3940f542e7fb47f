//! Password credentials: one login per user and one user per login, argon2id
//! hashes, login attempts with throttling and rehash-on-login, password
//! confirmation and password change.
//!
//! Logins and passwords are compared byte for byte: an application that
//! wants case-insensitive logins normalizes them before calling. The C ABI
//! checks that a login is UTF-8 before it reaches the `&str` API here.

use redb::{ReadableTable, Table, WriteTransaction};

use crate::engine::{CREDENTIALS, CREDENTIALS_BY_USER, Engine};
use crate::error::{CredentialError, Error, Result};
use crate::password::{hash_password, needs_rehash};
use crate::record::{CredentialRecord, decode_credential, encode};
use crate::remember::RememberTables;
use crate::session::{SessionTables, session_digest};
use crate::throttle::{Policy, ThrottleTables, throttle_key};
use crate::token::TokenTables;

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

fn check_password(password: &str) -> Result<(), CredentialError> {
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

/// The credential table and its user index, opened in one write transaction.
pub(crate) struct CredentialTables<'txn> {
    records: Table<'txn, &'static str, &'static [u8]>,
    by_user: Table<'txn, u64, &'static str>,
}

impl<'txn> CredentialTables<'txn> {
    pub(crate) fn open(txn: &'txn WriteTransaction) -> Result<Self> {
        Ok(Self {
            records: txn.open_table(CREDENTIALS)?,
            by_user: txn.open_table(CREDENTIALS_BY_USER)?,
        })
    }

    fn get(&self, login: &str) -> Result<Option<CredentialRecord>> {
        self.records
            .get(login)?
            .map(|bytes| decode_credential(bytes.value()))
            .transpose()
    }

    fn login_of(&self, user_id: u64) -> Result<Option<String>> {
        Ok(self
            .by_user
            .get(user_id)?
            .map(|login| login.value().to_owned()))
    }

    /// Write (or overwrite) a record and its user row.
    fn insert(&mut self, login: &str, record: &CredentialRecord) -> Result<()> {
        self.records.insert(login, encode(record)?.as_slice())?;
        self.by_user.insert(record.user_id, login)?;
        Ok(())
    }

    /// The login and record of `user_id`, which must have both.
    fn of_user(&self, user_id: u64) -> Result<(String, CredentialRecord)> {
        let login = self
            .login_of(user_id)?
            .ok_or(CredentialError::NoCredential { user_id })?;
        let record = self.get(&login)?.ok_or_else(|| Error::Corrupt {
            table: "credentials_by_user",
            detail: format!("user {user_id}: row names a login with no credential"),
        })?;
        Ok((login, record))
    }
}

/// What the counting transaction of an attempt found.
enum Counted {
    Throttled(u64),
    Proceed(Option<CredentialRecord>),
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
        let owner = core.read(|txn| {
            let records = txn.open_table(CREDENTIALS)?;
            records
                .get(login)?
                .map(|bytes| decode_credential(bytes.value()).map(|r| r.user_id))
                .transpose()
        })?;
        if owner.is_some_and(|owner| owner != user_id) {
            return Err(taken().into());
        }
        let phc = hash_password(core.config.argon2, password.as_bytes())?;
        core.write(|txn| {
            let mut tables = CredentialTables::open(txn)?;
            if tables.get(login)?.is_some_and(|r| r.user_id != user_id) {
                return Err(taken().into());
            }
            if let Some(old_login) = tables.login_of(user_id)?
                && old_login != login
            {
                tables.records.remove(old_login.as_str())?;
            }
            tables.insert(login, &CredentialRecord { user_id, phc })
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
        if let Some(retry_after) = core.throttled_for(&key, now)? {
            return Ok(AttemptOutcome::Throttled { retry_after });
        }
        let policy = Policy::of(&core.config);
        let counted = core.write(|txn| {
            let mut throttle = ThrottleTables::open(txn)?;
            if let Some(retry_after) = throttle.get(&key)?.and_then(|c| policy.retry_after(c, now))
            {
                return Ok(Counted::Throttled(retry_after));
            }
            throttle.count_failure(&key, now, policy)?;
            core.count_lookup();
            Ok(Counted::Proceed(CredentialTables::open(txn)?.get(login)?))
        })?;
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
            ThrottleTables::open(txn)?.clear(&key)?;
            if let Some(phc) = rehashed {
                let mut tables = CredentialTables::open(txn)?;
                // Only replace the hash that was verified: a password set
                // meanwhile wins.
                if tables.get(login)?.as_ref() == Some(&record) {
                    let user_id = record.user_id;
                    tables.insert(login, &CredentialRecord { user_id, phc })?;
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
        let record = core.read(|txn| {
            let by_user = txn.open_table(CREDENTIALS_BY_USER)?;
            let records = txn.open_table(CREDENTIALS)?;
            let Some(login) = by_user.get(user_id)? else {
                return Ok(None);
            };
            records
                .get(login.value())?
                .map(|bytes| decode_credential(bytes.value()))
                .transpose()
        })?;
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
        let has_credential = core.read(|txn| {
            let by_user = txn.open_table(CREDENTIALS_BY_USER)?;
            Ok(by_user.get(user_id)?.is_some())
        })?;
        if !has_credential {
            return Err(CredentialError::NoCredential { user_id }.into());
        }
        let phc = hash_password(core.config.argon2, new_password.as_bytes())?;
        let keep = keep_session.and_then(session_digest);
        let (revoked_sessions, revoked_tokens) = core.write(|txn| {
            let mut credentials = CredentialTables::open(txn)?;
            let (login, _) = credentials.of_user(user_id)?;
            credentials.insert(&login, &CredentialRecord { user_id, phc })?;
            let sessions = SessionTables::open(txn)?.revoke_user(user_id, keep)?;
            RememberTables::open(txn)?.revoke_user(user_id)?;
            let tokens = if revoke_tokens {
                TokenTables::open(txn)?.revoke_user(user_id)?
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
