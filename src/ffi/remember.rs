//! Remember-me tokens over the C ABI: issue one at login, log in with one
//! (it rotates; a replayed old copy is theft, reported with its own status
//! and the user's id), and revoke a user's.

use std::ffi::c_char;

use crate::credential::remember::RememberOutcome;

use super::boundary::{Failure, run};
use super::buffer::secret_buffer;
use super::handle::{self, authkv_engine};
use super::slice;
use super::status::authkv_status;

/// Characters in a remember-me token, `selector:validator` (16 + 1 + 40).
pub const AUTHKV_REMEMBER_TOKEN_LEN: usize = 57;
/// Bytes a remember-me token buffer must hold: the token and a NUL.
pub const AUTHKV_REMEMBER_TOKEN_SIZE: usize = 58;

/// Remember this device for `user_id` ("remember me" at login): the token
/// for the remember-me cookie (57 characters and a NUL) is written to
/// `token_out`, which must hold `AUTHKV_REMEMBER_TOKEN_SIZE` bytes. It stays
/// valid for `remember_lifetime_secs`; only digests of it are stored.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NULL_POINTER`; `AUTHKV_BUFFER_TOO_SMALL`,
/// when `*required_size` (optional, may be NULL) receives the size needed;
/// or a storage status. Nothing is stored unless the call succeeds; outputs
/// are only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `token_out` valid for writes of
/// `token_out_size` bytes; `required_size` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_remember_create(
    engine: *const authkv_engine,
    user_id: u64,
    token_out: *mut c_char,
    token_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    run("authkv_remember_create", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        unsafe {
            let engine = handle::engine(engine)?;
            let out = secret_buffer(
                token_out,
                token_out_size,
                AUTHKV_REMEMBER_TOKEN_SIZE,
                "token_out",
                required_size,
            )?;
            let token = engine.create_remember_token(user_id)?;
            out.write(token.expose())
        }
    })
}

/// Log in with the remember-me cookie's value `token` (`token_len` bytes;
/// any bytes are accepted). A valid token is rotated in one transaction:
/// the user goes to `*user_id_out` and the new token (send it back in the
/// cookie) to `token_out`, which must hold `AUTHKV_REMEMBER_TOKEN_SIZE`
/// bytes; the presented token stops working. A known token whose validator
/// is no longer current is a stolen copy replayed after the device used
/// it: every remember-me token of that user is revoked. Validators are
/// compared in constant time.
///
/// Returns `AUTHKV_OK`; `AUTHKV_UNAUTHENTICATED` for a malformed, unknown,
/// revoked or expired token (clear the cookie; nothing was written);
/// `AUTHKV_THEFT_DETECTED` with the victim's id in `*user_id_out` (also
/// revoke their sessions and tell them); `AUTHKV_NULL_POINTER`;
/// `AUTHKV_BUFFER_TOO_SMALL`, when `*required_size` (optional, may be NULL)
/// receives the size needed, checked before the token is used; or a
/// storage status. `token_out` is written only on success, `*user_id_out`
/// on success and on `AUTHKV_THEFT_DETECTED`. Thread-safe. Two requests
/// racing with one cookie look like a replay to the second: consume the
/// cookie once per client.
///
/// # Safety
/// `engine` must be NULL or a live handle; `token` valid for reads of
/// `token_len` bytes; `user_id_out` NULL or valid for a write; `token_out`
/// valid for writes of `token_out_size` bytes; `required_size` NULL or valid
/// for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn authkv_remember_consume(
    engine: *const authkv_engine,
    token: *const c_char,
    token_len: usize,
    user_id_out: *mut u64,
    token_out: *mut c_char,
    token_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    run("authkv_remember_consume", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        unsafe {
            let engine = handle::engine(engine)?;
            let raw = slice::bytes(token.cast::<u8>(), token_len, "token")?;
            let user_id_out = slice::out(user_id_out, "user_id_out")?;
            let out = secret_buffer(
                token_out,
                token_out_size,
                AUTHKV_REMEMBER_TOKEN_SIZE,
                "token_out",
                required_size,
            )?;
            let invalid = || {
                Failure::new(
                    authkv_status::AUTHKV_UNAUTHENTICATED,
                    "the remember-me token does not authenticate (malformed, unknown, revoked \
                     or expired)",
                )
            };
            // A token is 57 ASCII characters; other text is never looked up.
            let text = match std::str::from_utf8(raw) {
                Ok(text) if text.len() == AUTHKV_REMEMBER_TOKEN_LEN => text,
                _ => return Err(invalid()),
            };
            match engine.consume_remember_token(text)? {
                RememberOutcome::Authenticated { user_id, token } => {
                    out.write(token.expose())?;
                    slice::write(user_id_out, user_id);
                    Ok(())
                }
                RememberOutcome::TheftDetected { user_id } => {
                    slice::write(user_id_out, user_id);
                    Err(Failure::new(
                        authkv_status::AUTHKV_THEFT_DETECTED,
                        format!(
                            "a rotated-away remember-me token of user {user_id} was replayed; \
                             every remember-me token of that user has been revoked"
                        ),
                    ))
                }
                _ => Err(invalid()),
            }
        }
    })
}

/// Revoke every remember-me token of `user_id` ("log out everywhere"); the
/// number revoked is written to `*revoked_out`.
///
/// Returns `AUTHKV_OK`, `AUTHKV_NULL_POINTER`, or a storage status (then
/// nothing was revoked). Outputs are only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `revoked_out` NULL or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_remember_revoke_user(
    engine: *const authkv_engine,
    user_id: u64,
    revoked_out: *mut usize,
) -> authkv_status {
    run("authkv_remember_revoke_user", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let revoked_out = slice::out(revoked_out, "revoked_out")?;
        let revoked = engine.revoke_remember_tokens(user_id)?;
        // SAFETY: the caller guarantees `revoked_out` is writable.
        unsafe { slice::write(revoked_out, revoked) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Engine};

    #[test]
    fn the_buffer_size_fits_the_tokens_the_engine_issues() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Engine::open(dir.path().join("r.redb"), Config::default()).expect("open");
        let token = engine.create_remember_token(1).expect("create");
        assert_eq!(token.expose().len(), AUTHKV_REMEMBER_TOKEN_LEN);
        assert_eq!(AUTHKV_REMEMBER_TOKEN_SIZE, AUTHKV_REMEMBER_TOKEN_LEN + 1);
        engine.close().expect("close");
    }
}
