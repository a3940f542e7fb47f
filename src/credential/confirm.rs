//! Fresh re-authentication: sensitive actions (changing the e-mail or the
//! password, deleting the account, creating an API token) ask for a recent
//! proof of the password, as Laravel's `password.confirm` and NIST SP
//! 800-63B-4's reauthentication do. Each session records when its user
//! last proved the password: logging in sets it, `confirm_password` sets it
//! again, logging out clears it, regenerating the id keeps it.

use std::time::Duration;

use crate::credential::throttle::{clear_throttle, throttle_key};
use crate::credential::{Counted, check_password, credential_of_user};
use crate::engine::Engine;
use crate::error::{Result, SessionError};
use crate::session::session_digest;
use crate::store::record::SessionRecord;

/// The answer to [`Engine::confirm_password`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfirmOutcome {
    /// The password is right: the session is fresh from now.
    Confirmed,
    /// The password is wrong; the failure was counted.
    InvalidPassword,
    /// Too many recent failures for this user; nothing was checked.
    Throttled {
        /// Seconds until a confirmation is admitted again.
        retry_after: u64,
    },
}

impl Engine {
    /// Confirm the password of the user logged in on session `id`, before
    /// a sensitive action. Throttled like [`Engine::attempt`] (the failures
    /// of one user counted together, `Config::throttle_max_attempts` per
    /// `Config::throttle_window`), with exactly one argon2 verification per
    /// admitted try. On success the session is fresh from now.
    ///
    /// # Errors
    /// [`SessionError::NotFound`] for an unknown or expired session,
    /// [`SessionError::NotLoggedIn`] for a guest's,
    /// [`crate::CredentialError::EmptyPassword`] and
    /// [`crate::CredentialError::PasswordTooLong`] for refused input;
    /// storage errors.
    pub fn confirm_password(&self, id: &str, password: &str) -> Result<ConfirmOutcome> {
        check_password(password)?;
        let core = &self.core;
        let dummy = core.dummy_phc()?;
        let session_key = session_digest(id).ok_or(SessionError::NotFound)?;
        let now = core.now();
        let (digest, session) = core.read(|txn| core.live_session(txn, id, session_key, now))?;
        let user_id = session.user_id.ok_or(SessionError::NotLoggedIn)?;
        let key = throttle_key(&format!("\0confirm {user_id}"), "");
        let record = match core.count_then_read(&key, now, |txn| {
            Ok(credential_of_user(txn, user_id)?.map(|(_, record)| record))
        })? {
            Counted::Throttled(retry_after) => {
                return Ok(ConfirmOutcome::Throttled { retry_after });
            }
            Counted::Proceed(record) => record,
        };
        let phc = record.as_ref().map_or(dummy, |record| record.phc.as_str());
        if !core.verify_password_hash(password.as_bytes(), phc)? || record.is_none() {
            return Ok(ConfirmOutcome::InvalidPassword);
        }
        core.write(|txn| {
            clear_throttle(txn, &key)?;
            let old = core.live_record(txn, &digest, now)?;
            if old.user_id != Some(user_id) {
                // Logged out or in as someone else meanwhile.
                return Err(SessionError::NotLoggedIn.into());
            }
            let new = SessionRecord {
                password_confirmed_at: Some(now),
                ..old.clone()
            };
            txn.replace_session(&digest, &old, &new)
        })?;
        Ok(ConfirmOutcome::Confirmed)
    }

    /// Whether the user on session `id` proved the password within
    /// `max_age` (at login or by [`Engine::confirm_password`]). `false` for
    /// an unknown, expired or guest session.
    ///
    /// # Errors
    /// Storage errors.
    pub fn is_fresh(&self, id: &str, max_age: Duration) -> Result<bool> {
        let now = self.core.now();
        Ok(self.load_record(id)?.is_some_and(|loaded| {
            loaded.record.user_id.is_some()
                && fresh(loaded.record.password_confirmed_at, max_age, now)
        }))
    }
}

/// Whether a proof at `confirmed_at` is younger than `max_age` at `now`.
pub(crate) fn fresh(confirmed_at: Option<u64>, max_age: Duration, now: u64) -> bool {
    confirmed_at.is_some_and(|at| now.saturating_sub(at) <= max_age.as_secs())
}
