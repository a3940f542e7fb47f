//! A session's CSRF token over the C ABI: read it, check a candidate in
//! constant time, rotate it. A mismatch is a status, `AUTHKV_CSRF_MISMATCH`,
//! so a handler maps it straight to HTTP 419.

use std::ffi::c_char;

use crate::engine::Engine;
use crate::secret::ct_eq;
use crate::session::CsrfToken;

use super::boundary::{Failure, run};
use super::buffer::secret_buffer;
use super::handle::{self, authkv_engine};
use super::session::{AUTHKV_CSRF_TOKEN_SIZE, not_found, session_id};
use super::slice;
use super::status::authkv_status;

/// Write the CSRF token of the live session with this id to `csrf_out`
/// (40 characters and a NUL; at least `AUTHKV_CSRF_TOKEN_SIZE` bytes). This
/// is a read: like `authkv_session_load` it may touch the session.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NOT_FOUND` (unknown, expired or malformed
/// id); `AUTHKV_NULL_POINTER`; `AUTHKV_BUFFER_TOO_SMALL`, when
/// `*required_size` (optional, may be NULL) receives the size needed; or a
/// storage status. Outputs are only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `id` valid for reads of `id_len`
/// bytes; `csrf_out` valid for writes of `csrf_out_size` bytes;
/// `required_size` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_csrf_token(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    csrf_out: *mut c_char,
    csrf_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        csrf_into(
            "authkv_session_csrf_token",
            (engine, id, id_len),
            (csrf_out, csrf_out_size, required_size),
            |engine, id| engine.csrf_token(id)?.ok_or_else(not_found),
        )
    }
}

/// The shared body of the calls that write a session's CSRF token into a
/// caller buffer: check the handle, the id and the buffer (before `get`
/// changes anything), then write what `get` returns.
///
/// # Safety
/// As for `authkv_session_csrf_token`.
unsafe fn csrf_into(
    name: &'static str,
    (engine, id, id_len): (*const authkv_engine, *const c_char, usize),
    (csrf_out, csrf_out_size, required_size): (*mut c_char, usize, *mut usize),
    get: impl FnOnce(&Engine, &str) -> Result<CsrfToken, Failure>,
) -> authkv_status {
    run(name, || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        unsafe {
            let engine = handle::engine(engine)?;
            let id = session_id(id, id_len, "id")?;
            let out = secret_buffer(
                csrf_out,
                csrf_out_size,
                AUTHKV_CSRF_TOKEN_SIZE,
                "csrf_out",
                required_size,
            )?;
            let token = get(engine, id)?;
            out.write(token.expose())
        }
    })
}

/// Check `token` (`token_len` bytes, as sent by the client in a form field
/// or an `X-CSRF-TOKEN` / `X-XSRF-TOKEN` header) against the CSRF token of
/// the live session with this id. The comparison takes the same time
/// wherever the two differ. Any bytes are accepted: an empty, non-UTF-8 or
/// wrong-length token is simply a mismatch. Like a load, it may touch the
/// session.
///
/// Returns `AUTHKV_OK` when the token matches; `AUTHKV_CSRF_MISMATCH` when
/// the session is live and the token differs; `AUTHKV_NOT_FOUND` when no
/// live session has this id (a request without a session fails CSRF too);
/// `AUTHKV_NULL_POINTER`; or a storage status. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `id` and `token` valid for reads
/// of their lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_csrf_verify(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    token: *const c_char,
    token_len: usize,
) -> authkv_status {
    run("authkv_session_csrf_verify", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, id, token) = unsafe {
            (
                handle::engine(engine)?,
                session_id(id, id_len, "id")?,
                slice::bytes(token.cast::<u8>(), token_len, "token")?,
            )
        };
        let expected = engine.csrf_token(id)?.ok_or_else(not_found)?;
        if ct_eq(expected.expose().as_bytes(), token) {
            Ok(())
        } else {
            Err(Failure::new(
                authkv_status::AUTHKV_CSRF_MISMATCH,
                "the CSRF token does not match the session's",
            ))
        }
    })
}

/// Give the live session with this id a new CSRF token and write it to
/// `csrf_out` as for `authkv_session_csrf_token`. The old token stops
/// matching at once; the session id does not change.
///
/// Returns as `authkv_session_csrf_token`. Nothing changes unless the call
/// succeeds; outputs are only written on success. Thread-safe.
///
/// # Safety
/// As for `authkv_session_csrf_token`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_csrf_rotate(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    csrf_out: *mut c_char,
    csrf_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        csrf_into(
            "authkv_session_csrf_rotate",
            (engine, id, id_len),
            (csrf_out, csrf_out_size, required_size),
            |engine, id| Ok(engine.rotate_csrf(id)?),
        )
    }
}
