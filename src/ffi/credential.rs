//! Password credentials over the C ABI: set, a throttled login attempt,
//! confirmation and change. The answers to a login form are statuses —
//! `AUTHKV_OK`, `AUTHKV_INVALID_CREDENTIALS`, `AUTHKV_THROTTLED` with the
//! seconds to wait — so a handler maps each straight to a response.

use std::ffi::c_char;
use std::time::Duration;

use crate::credential::AttemptOutcome;
use crate::credential::confirm::ConfirmOutcome;

use super::boundary::{Failure, run};
use super::handle::{self, authkv_engine};
use super::session::{keep_session_id, session_id};
use super::slice;
use super::status::authkv_status;

/// Longest login accepted, in bytes (the longest email address).
pub const AUTHKV_LOGIN_MAX_LEN: usize = 320;
/// Longest password accepted, in bytes.
pub const AUTHKV_PASSWORD_MAX_LEN: usize = 4096;

/// The failure for a password that does not match.
fn invalid_credentials() -> Failure {
    Failure::new(
        authkv_status::AUTHKV_INVALID_CREDENTIALS,
        "the login or the password is wrong",
    )
}

/// Set the password of `user_id` and the login it signs in with
/// (registration, an administrator's reset), hashed with argon2id at the
/// configured costs. A user has one login: a different one replaces the old
/// one. Sessions and tokens are left alone (see `authkv_password_change`).
/// Logins and passwords are compared byte for byte: normalize them (case,
/// Unicode form) before calling if the application wants that.
///
/// Returns `AUTHKV_OK`; `AUTHKV_ALREADY_EXISTS` when another user holds
/// `login`; `AUTHKV_INVALID_ARGUMENT` (an empty login or password, a login
/// over `AUTHKV_LOGIN_MAX_LEN` or a password over `AUTHKV_PASSWORD_MAX_LEN`
/// bytes, invalid UTF-8, a NUL byte); `AUTHKV_NULL_POINTER`; or a storage
/// status. Nothing changes unless the call succeeds. Thread-safe; takes as
/// long as one argon2 hash.
///
/// # Safety
/// `engine` must be NULL or a live handle; `login` and `password` valid for
/// reads of their lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_password_set(
    engine: *const authkv_engine,
    user_id: u64,
    login: *const c_char,
    login_len: usize,
    password: *const c_char,
    password_len: usize,
) -> authkv_status {
    run("authkv_password_set", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, login, password) = unsafe {
            (
                handle::engine(engine)?,
                slice::text(login, login_len, "login")?,
                slice::text(password, password_len, "password")?,
            )
        };
        engine.set_password(user_id, login, password)?;
        Ok(())
    })
}

/// Try to log in with `login` and `password` from the client address `ip`
/// (at most `max_ip` bytes). The (login, ip) throttle is checked first; the
/// attempt is counted before the password is checked; exactly one argon2
/// verification runs, also for an unknown login, so timing does not tell
/// which logins exist; on success the counter is cleared and an outdated
/// hash is rehashed.
///
/// Returns `AUTHKV_OK` with the user in `*user_id_out`;
/// `AUTHKV_INVALID_CREDENTIALS` for an unknown login or a wrong password
/// (the failure was counted); `AUTHKV_THROTTLED` after
/// `throttle_max_attempts` failures within `throttle_window_secs`, with the
/// seconds until an attempt is admitted again in `*retry_after_out` (send
/// it as `Retry-After`; no password was checked); `AUTHKV_INVALID_ARGUMENT`
/// for refused input (nothing counted); `AUTHKV_NULL_POINTER`; or a storage
/// status. `*user_id_out` is written only on success and `*retry_after_out`
/// only on `AUTHKV_THROTTLED`. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `login`, `password` and `ip`
/// valid for reads of their lengths; `user_id_out` and `retry_after_out`
/// NULL or valid for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn authkv_password_attempt(
    engine: *const authkv_engine,
    login: *const c_char,
    login_len: usize,
    password: *const c_char,
    password_len: usize,
    ip: *const c_char,
    ip_len: usize,
    user_id_out: *mut u64,
    retry_after_out: *mut u64,
) -> authkv_status {
    run("authkv_password_attempt", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, login, password, ip) = unsafe {
            (
                handle::engine(engine)?,
                slice::text(login, login_len, "login")?,
                slice::text(password, password_len, "password")?,
                slice::text(ip, ip_len, "ip")?,
            )
        };
        let user_id_out = slice::out(user_id_out, "user_id_out")?;
        let retry_after_out = slice::out(retry_after_out, "retry_after_out")?;
        match engine.attempt(login, password, ip)? {
            AttemptOutcome::Authenticated { user_id } => {
                // SAFETY: the caller guarantees `user_id_out` is writable.
                unsafe { slice::write(user_id_out, user_id) };
                Ok(())
            }
            AttemptOutcome::Throttled { retry_after } => {
                // SAFETY: the caller guarantees `retry_after_out` is writable.
                unsafe { slice::write(retry_after_out, retry_after) };
                Err(Failure::throttled(
                    retry_after,
                    format!("too many failed logins from this address; retry in {retry_after} s"),
                ))
            }
            _ => Err(invalid_credentials()),
        }
    })
}

/// Confirm the password of a logged-in user (before a sensitive action).
/// Runs exactly one argon2 verification, also for a user without a
/// password. Not throttled and never rehashes.
///
/// Returns `AUTHKV_OK` when `password` is the user's;
/// `AUTHKV_INVALID_CREDENTIALS` when it is not or the user has no password;
/// `AUTHKV_INVALID_ARGUMENT` (an empty or over-long password, invalid
/// UTF-8, a NUL byte); `AUTHKV_NULL_POINTER`; or a storage status.
/// Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `password` valid for reads of
/// `password_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_password_verify(
    engine: *const authkv_engine,
    user_id: u64,
    password: *const c_char,
    password_len: usize,
) -> authkv_status {
    run("authkv_password_verify", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, password) = unsafe {
            (
                handle::engine(engine)?,
                slice::text(password, password_len, "password")?,
            )
        };
        if engine.verify_password(user_id, password)? {
            Ok(())
        } else {
            Err(invalid_credentials())
        }
    })
}

/// Change the password of `user_id` (who proved the old one, for example
/// with `authkv_password_verify`). In one transaction: the new hash is
/// stored; every session of the user is revoked except `keep_id` (the
/// session making the change; `(NULL, 0)` keeps none); every remember-me
/// token of the user is revoked; and, when `revoke_tokens` is true, every
/// personal access token too.
///
/// A `keep_id` that is not a well-formed session id is refused with
/// `AUTHKV_INVALID_ARGUMENT` rather than read as "keep none", so a host bug
/// cannot log the current device out by accident.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NOT_FOUND` when the user has no password;
/// `AUTHKV_INVALID_ARGUMENT` (an empty or over-long password, a malformed
/// `keep_id`, invalid UTF-8); `AUTHKV_NULL_POINTER`; or a storage status.
/// Nothing changes unless the call succeeds. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `new_password` and `keep_id`
/// valid for reads of their lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_password_change(
    engine: *const authkv_engine,
    user_id: u64,
    new_password: *const c_char,
    new_password_len: usize,
    keep_id: *const c_char,
    keep_id_len: usize,
    revoke_tokens: bool,
) -> authkv_status {
    run("authkv_password_change", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, password) = unsafe {
            (
                handle::engine(engine)?,
                slice::text(new_password, new_password_len, "new_password")?,
            )
        };
        // SAFETY: forwarded from the caller.
        let keep = unsafe { keep_session_id(keep_id, keep_id_len) }?;
        engine.change_password(user_id, password, keep, revoke_tokens)?;
        Ok(())
    })
}

/// Confirm the password of the user logged in on session `id`, before a
/// sensitive action: on success the session is fresh from now (see
/// `authkv_principal_require_fresh`). Throttled like
/// `authkv_password_attempt` (a user's failures counted together), with
/// exactly one argon2 verification per admitted try.
///
/// Returns `AUTHKV_OK`; `AUTHKV_INVALID_CREDENTIALS` for a wrong password
/// (counted); `AUTHKV_THROTTLED` with the seconds to wait in
/// `*retry_after_out`; `AUTHKV_NOT_FOUND` for an unknown or expired
/// session; `AUTHKV_UNAUTHENTICATED` for a guest session;
/// `AUTHKV_INVALID_ARGUMENT` (an empty or over-long password, invalid
/// UTF-8); `AUTHKV_NULL_POINTER`; or a storage status. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `id` and `password` valid for
/// reads of their lengths; `retry_after_out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_confirm_password(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    password: *const c_char,
    password_len: usize,
    retry_after_out: *mut u64,
) -> authkv_status {
    run("authkv_session_confirm_password", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, id, password) = unsafe {
            (
                handle::engine(engine)?,
                session_id(id, id_len, "id")?,
                slice::text(password, password_len, "password")?,
            )
        };
        let retry_after_out = slice::out(retry_after_out, "retry_after_out")?;
        match engine.confirm_password(id, password)? {
            ConfirmOutcome::Confirmed => Ok(()),
            ConfirmOutcome::Throttled { retry_after } => {
                // SAFETY: the caller guarantees `retry_after_out` is writable.
                unsafe { slice::write(retry_after_out, retry_after) };
                Err(Failure::throttled(
                    retry_after,
                    format!("too many failed confirmations; retry in {retry_after} s"),
                ))
            }
            _ => Err(invalid_credentials()),
        }
    })
}

/// Whether the user on session `id` proved the password within
/// `max_age_secs`, in `*fresh_out` (false for an unknown, expired or guest
/// session).
///
/// Returns `AUTHKV_OK`; `AUTHKV_NULL_POINTER`; or a storage status.
///
/// # Safety
/// `engine` must be NULL or a live handle; `id` valid for reads of
/// `id_len` bytes; `fresh_out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_is_fresh(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    max_age_secs: u64,
    fresh_out: *mut bool,
) -> authkv_status {
    run("authkv_session_is_fresh", || {
        // SAFETY: forwarded from the caller.
        let (engine, raw) = unsafe {
            (
                handle::engine(engine)?,
                slice::bytes(id.cast(), id_len, "id")?,
            )
        };
        let fresh_out = slice::out(fresh_out, "fresh_out")?;
        // A malformed id names no session: not fresh.
        let fresh = match std::str::from_utf8(raw) {
            Ok(id) => engine.is_fresh(id, Duration::from_secs(max_age_secs))?,
            Err(_) => false,
        };
        // SAFETY: the caller guarantees `fresh_out` is writable.
        unsafe { slice::write(fresh_out, fresh) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_limits_are_the_ones_the_engine_enforces() {
        assert_eq!(AUTHKV_LOGIN_MAX_LEN, crate::MAX_LOGIN_LEN);
        assert_eq!(AUTHKV_PASSWORD_MAX_LEN, crate::MAX_PASSWORD_LEN);
    }
}
