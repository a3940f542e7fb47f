//! Set-Cookie values over the C ABI: the session cookie, the
//! script-readable `XSRF-TOKEN` cookie, and the cookie that clears the
//! session at logout, rendered with the engine's cookie options.

use std::ffi::c_char;

use super::boundary::{Failure, run};
use super::buffer::{authkv_string, new_string};
use super::handle::{self, authkv_engine};
use super::session::{AUTHKV_CSRF_TOKEN_LEN, session_id};
use super::slice;
use super::status::authkv_status;

/// A CSRF token argument: 40 characters of `[A-Za-z0-9]`.
///
/// # Safety
/// As for [`slice::bytes`].
unsafe fn csrf_token<'a>(ptr: *const c_char, len: usize) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from the caller.
    let raw = unsafe { slice::bytes(ptr.cast::<u8>(), len, "csrf_token") }?;
    match std::str::from_utf8(raw) {
        Ok(token)
            if raw.len() == AUTHKV_CSRF_TOKEN_LEN && raw.iter().all(u8::is_ascii_alphanumeric) =>
        {
            Ok(token)
        }
        _ => Err(Failure::invalid(format!(
            "csrf_token is malformed ({len} bytes; a CSRF token is {AUTHKV_CSRF_TOKEN_LEN} \
             characters of [A-Za-z0-9])"
        ))),
    }
}

/// Store the rendering in `*out` as a library-owned string.
fn render(
    out: *mut *mut authkv_string,
    value: impl FnOnce() -> crate::Result<String>,
) -> Result<(), Failure> {
    let out = slice::out(out, "out")?;
    let text = value()?;
    // SAFETY: the caller guarantees `out` is writable.
    unsafe { slice::write(out, new_string(&text)) };
    Ok(())
}

/// Store in `*out` the `Set-Cookie` value (without the `Set-Cookie: `
/// name) that carries the session id `id`: `authkv_session=<id>; Path=/;
/// Max-Age=<idle lifetime>; Secure; HttpOnly; SameSite=Lax` with the
/// engine's cookie options (no Max-Age with `expire_on_close`; `__Host-` in
/// front with `cookie_host_prefix`). Send it after every call that issues
/// a session id. Free the string with `authkv_string_free`. Nothing is
/// looked up.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NOT_FOUND` for an id that is not 40
/// characters of [A-Za-z0-9]; `AUTHKV_NULL_POINTER`. `*out` is only written
/// on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `id` valid for reads of `id_len`
/// bytes; `out` NULL or valid for a write of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_cookie_session(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    out: *mut *mut authkv_string,
) -> authkv_status {
    run("authkv_cookie_session", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, id) = unsafe { (handle::engine(engine)?, session_id(id, id_len, "id")?) };
        render(out, || engine.render_session_cookie(id))
    })
}

/// Store in `*out` the `Set-Cookie` value of the `XSRF-TOKEN` cookie
/// carrying the CSRF token `csrf_token`: like the session cookie but not
/// HttpOnly, so the page's scripts can read it and send it back as
/// `X-XSRF-TOKEN`. Send it whenever the session's CSRF token changes. Free
/// the string with `authkv_string_free`.
///
/// Returns `AUTHKV_OK`; `AUTHKV_INVALID_ARGUMENT` for a token that is not 40
/// characters of [A-Za-z0-9]; `AUTHKV_NULL_POINTER`. `*out` is only written
/// on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `csrf_token` valid for reads of
/// `csrf_token_len` bytes; `out` NULL or valid for a write of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_cookie_xsrf(
    engine: *const authkv_engine,
    csrf_token: *const c_char,
    csrf_token_len: usize,
    out: *mut *mut authkv_string,
) -> authkv_status {
    run("authkv_cookie_xsrf", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, token) = unsafe {
            (
                handle::engine(engine)?,
                self::csrf_token(csrf_token, csrf_token_len)?,
            )
        };
        render(out, || engine.render_xsrf_cookie(token))
    })
}

/// Store in `*out` the `Set-Cookie` value that removes the session cookie
/// (at logout): an empty value, `Max-Age=0` and an `Expires` in the past,
/// with the same Path, Domain and flags as `authkv_cookie_session`. Free
/// the string with `authkv_string_free`.
///
/// Returns `AUTHKV_OK` or `AUTHKV_NULL_POINTER`. `*out` is only written on
/// success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `out` NULL or valid for a write
/// of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_cookie_clear_session(
    engine: *const authkv_engine,
    out: *mut *mut authkv_string,
) -> authkv_status {
    run("authkv_cookie_clear_session", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        render(out, || engine.clear_session_cookie())
    })
}
