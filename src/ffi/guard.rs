//! The request guard over the C ABI: a request's headers in, the principal
//! (who is calling, how, with which abilities) out, as Laravel's
//! `auth:sanctum` decides it; and the ability check a route makes on it.

use std::ffi::c_char;
use std::time::Duration;

use crate::error::Error;
use crate::guard::{GuardError, Principal, Request, Via};
use crate::session::LoadedSession;
use crate::token::ability::Abilities;

use super::abilities::{self, AbilitiesKeep, authkv_abilities};
use super::boundary::{Failure, guard_free, run};
use super::buffer::{free_owned, into_owned};
use super::handle::{self, authkv_engine};
use super::session::{SessionKeep, authkv_session};
use super::slice;
use super::status::authkv_status;

/// `authkv_principal.via`: authenticated by the session cookie of a
/// first-party request.
pub const AUTHKV_VIA_SESSION: u32 = 1;
/// `authkv_principal.via`: authenticated by a bearer token.
pub const AUTHKV_VIA_TOKEN: u32 = 2;

/// The parts of an HTTP request the guard reads, borrowed for the call:
/// each a (pointer, length) view of the raw header value, UTF-8 without NUL
/// bytes. A NULL pointer with length 0 is an absent header; a non-NULL
/// pointer with length 0 is a header sent empty (the two differ: an empty
/// Referer still hides the Origin). Every view must be UTF-8; a value the
/// decision reads that is longer than 8 KiB is refused. The caller
/// allocates it; the library keeps no pointer from it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_request {
    /// The method as sent (`GET`, `POST`, …; case-sensitive). Required.
    pub method: *const c_char,
    /// Length of `method` in bytes.
    pub method_len: usize,
    /// The `Cookie` header.
    pub cookie: *const c_char,
    /// Length of `cookie` in bytes.
    pub cookie_len: usize,
    /// The `Authorization` header.
    pub authorization: *const c_char,
    /// Length of `authorization` in bytes.
    pub authorization_len: usize,
    /// The `Origin` header.
    pub origin: *const c_char,
    /// Length of `origin` in bytes.
    pub origin_len: usize,
    /// The `Referer` header.
    pub referer: *const c_char,
    /// Length of `referer` in bytes.
    pub referer_len: usize,
    /// The `Host` header.
    pub host: *const c_char,
    /// Length of `host` in bytes.
    pub host_len: usize,
    /// The `X-CSRF-TOKEN` header.
    pub csrf_token: *const c_char,
    /// Length of `csrf_token` in bytes.
    pub csrf_token_len: usize,
    /// The `X-XSRF-TOKEN` header (the `XSRF-TOKEN` cookie echoed by scripts).
    pub xsrf_token: *const c_char,
    /// Length of `xsrf_token` in bytes.
    pub xsrf_token_len: usize,
    /// The `_token` field of a submitted form, when the host parsed the body.
    pub form_token: *const c_char,
    /// Length of `form_token` in bytes.
    pub form_token_len: usize,
    /// The `Sec-Fetch-Site` header (read in the fetch-metadata CSRF modes).
    pub sec_fetch_site: *const c_char,
    /// Length of `sec_fetch_site` in bytes.
    pub sec_fetch_site_len: usize,
}

/// Who sent a request, as `authkv_guard_authenticate` returns it.
/// Library-owned and read-only: free it with `authkv_principal_free`. Every
/// pointer inside stays valid until then. It may be read from any thread.
#[repr(C)]
#[derive(Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_principal {
    /// The authenticated user.
    pub user_id: u64,
    /// `AUTHKV_VIA_SESSION` or `AUTHKV_VIA_TOKEN`.
    pub via: u32,
    /// The token's id when `via` is `AUTHKV_VIA_TOKEN`; 0 otherwise.
    pub token_id: u64,
    /// The loaded session when `via` is `AUTHKV_VIA_SESSION` (its payload,
    /// version and CSRF token); NULL otherwise. Owned by the principal: do
    /// not pass it to `authkv_session_free`.
    pub session: *const authkv_session,
    /// What the principal may do: `*` (everything) for a session user, the
    /// token's abilities otherwise.
    pub abilities: authkv_abilities,
    /// Whether the session's user proved the password at login or by
    /// `authkv_session_confirm_password` (false for a token).
    pub has_password_confirmed_at: bool,
    /// Unix seconds of that proof; 0 when `has_password_confirmed_at` is
    /// false.
    pub password_confirmed_at: u64,
}

/// The abilities, and the session (zero or one) a principal points into.
type PrincipalKeep = (AbilitiesKeep, Option<SessionKeep>, Vec<authkv_session>);

/// One optional header: NULL with length 0 is absent.
///
/// # Safety
/// As for [`slice::text`].
unsafe fn header<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() && len == 0 {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { slice::text(ptr, len, what) }.map(Some)
}

/// The request the Rust guard reads, borrowing the caller's views.
///
/// # Safety
/// Every view in `r` must be valid for reads of its length.
unsafe fn request<'a>(r: &authkv_request) -> Result<Request<'a>, Failure> {
    // SAFETY: every view is valid for its length (the caller's guarantee).
    unsafe {
        let method = slice::text(r.method, r.method_len, "request.method")?;
        if method.is_empty() {
            return Err(Failure::invalid("request.method is empty"));
        }
        Ok(Request {
            method,
            cookie: header(r.cookie, r.cookie_len, "request.cookie")?,
            authorization: header(
                r.authorization,
                r.authorization_len,
                "request.authorization",
            )?,
            origin: header(r.origin, r.origin_len, "request.origin")?,
            referer: header(r.referer, r.referer_len, "request.referer")?,
            host: header(r.host, r.host_len, "request.host")?,
            csrf_token: header(r.csrf_token, r.csrf_token_len, "request.csrf_token")?,
            xsrf_token: header(r.xsrf_token, r.xsrf_token_len, "request.xsrf_token")?,
            form_token: header(r.form_token, r.form_token_len, "request.form_token")?,
            sec_fetch_site: header(
                r.sec_fetch_site,
                r.sec_fetch_site_len,
                "request.sec_fetch_site",
            )?,
        })
    }
}

/// Build the library-owned principal; `session` is the full session
/// (payload included) when the principal came by session cookie.
fn new_principal(principal: Principal, session: Option<LoadedSession>) -> *mut authkv_principal {
    let abilities = AbilitiesKeep::new(principal.abilities.as_slice());
    let (via, token_id, confirmed_at) = match &principal.via {
        Via::Session(session) => (AUTHKV_VIA_SESSION, 0, session.password_confirmed_at),
        Via::Token(id) => (AUTHKV_VIA_TOKEN, *id, None),
    };
    let session = session.as_ref();
    let session_keep = session.map(SessionKeep::new);
    // The view points into `session_keep`'s heap buffers, which stay put
    // when the keep is moved into the owned object below.
    let views: Vec<authkv_session> = match (&session_keep, session) {
        (Some(keep), Some(session)) => vec![keep.view(session)],
        _ => Vec::new(),
    };
    let keep: PrincipalKeep = (abilities, session_keep, views);
    into_owned(keep, |(abilities, _, views)| authkv_principal {
        user_id: principal.user_id,
        via,
        token_id,
        session: views
            .first()
            .map_or(std::ptr::null(), |s| s as *const authkv_session),
        abilities: abilities.view(),
        has_password_confirmed_at: confirmed_at.is_some(),
        password_confirmed_at: confirmed_at.unwrap_or(0),
    })
}

/// Decide who sent `request`, the way `auth:sanctum` does, and store a
/// library-owned principal in `*out`; free it with `authkv_principal_free`.
///
/// 1. First-party requests — the Referer, else the Origin, names one of
///    `stateful_domains` (matched on scheme, host and port only) — are
///    authenticated by the session cookie: for methods other than GET, HEAD
///    and OPTIONS the `_token` field, else `X-CSRF-TOKEN`, else
///    `X-XSRF-TOKEN` must equal the session's CSRF token, bearer requests
///    included. A session with a user gives that user, with every ability.
/// 2. Otherwise, or without a logged-in session, the `Bearer` token of the
///    Authorization header gives its user with the token's abilities.
///
/// Returns `AUTHKV_OK`; `AUTHKV_UNAUTHENTICATED` (HTTP 401) when neither
/// proves a user; `AUTHKV_CSRF_MISMATCH` (HTTP 419); `AUTHKV_INVALID_ARGUMENT`
/// (HTTP 400) for a bad header — any header not UTF-8 or holding a NUL
/// byte, or one the decision reads longer than 8 KiB or (Cookie) with more
/// than 128 pairs — or an empty method; `AUTHKV_NULL_POINTER`; or a
/// storage status. `*out` is only written on success. Thread-safe; a load
/// may touch the session and a token use is noted, in memory.
///
/// # Safety
/// `engine` must be NULL or a live handle; `request` NULL or a valid
/// `authkv_request` whose views are valid for reads of their lengths; `out`
/// NULL or valid for a write of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_guard_authenticate(
    engine: *const authkv_engine,
    request: *const authkv_request,
    out: *mut *mut authkv_principal,
) -> authkv_status {
    run("authkv_guard_authenticate", || {
        // SAFETY: forwarded from the caller.
        unsafe { authenticate_into(engine, request, out, WithSession::Loaded) }
    })
}

/// `authkv_guard_authenticate` without loading the session: the principal's
/// `session` is always NULL. The guard itself reads only a small summary
/// of the session, which stays cached for every live session, so this call
/// costs what the decision costs; load the session (`authkv_session_load`
/// with the id from the cookie) only for a request that needs its payload.
///
/// Returns what `authkv_guard_authenticate` returns. Thread-safe.
///
/// # Safety
/// As `authkv_guard_authenticate`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_guard_authenticate_lean(
    engine: *const authkv_engine,
    request: *const authkv_request,
    out: *mut *mut authkv_principal,
) -> authkv_status {
    run("authkv_guard_authenticate_lean", || {
        // SAFETY: forwarded from the caller.
        unsafe { authenticate_into(engine, request, out, WithSession::Left) }
    })
}

/// Whether a principal by session cookie carries the loaded session.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WithSession {
    Loaded,
    Left,
}

/// The body of the guard exports.
///
/// # Safety
/// As `authkv_guard_authenticate`.
unsafe fn authenticate_into(
    engine: *const authkv_engine,
    request: *const authkv_request,
    out: *mut *mut authkv_principal,
    with_session: WithSession,
) -> Result<(), Failure> {
    // SAFETY: each call forwards the caller's guarantees for its pointer.
    let (engine, request) = unsafe {
        let engine = handle::engine(engine)?;
        let raw = slice::input(request, "request")?;
        (engine, self::request(raw)?)
    };
    let out = slice::out(out, "out")?;
    let principal = engine.authenticate(&request)?;
    // The full session, payload included, is read only when asked for: the
    // guard itself does not read it.
    let session = match (&principal.via, with_session) {
        (Via::Session(seen), WithSession::Loaded) => Some(
            engine
                .load_record_by_digest(seen.digest())?
                .ok_or(Error::Guard(GuardError::Unauthenticated))?,
        ),
        _ => None,
    };
    // SAFETY: the caller guarantees `out` is writable.
    unsafe { slice::write(out, new_principal(principal, session)) };
    Ok(())
}

/// Free a principal returned by `authkv_guard_authenticate`, its session
/// included.
///
/// Calling with NULL is a harmless no-op. Must not be called twice with the
/// same value. Does not change the thread's last error message.
///
/// # Safety
/// `principal` must be NULL or a pointer from `authkv_guard_authenticate`
/// that has not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_principal_free(principal: *mut authkv_principal) {
    // SAFETY: forwarded from the caller's contract.
    guard_free(|| unsafe { free_owned::<authkv_principal, PrincipalKeep>(principal) });
}

/// Check a route's ability requirements (Sanctum's `abilities` and
/// `ability` middleware): the principal must have every ability in `all`
/// and, when `any` is not empty, at least one in `any`. Both are
/// newline-separated lists, `(NULL, 0)` for none.
///
/// Returns `AUTHKV_OK`; `AUTHKV_FORBIDDEN` (HTTP 403) with a message naming
/// the first missing ability of `all`, or the whole `any` list;
/// `AUTHKV_INVALID_ARGUMENT` (invalid UTF-8, a NUL byte, a list over 64
/// abilities of 255 bytes); `AUTHKV_NULL_POINTER`. Reads only the
/// principal; thread-safe.
///
/// # Safety
/// `principal` must be NULL or a live principal; `all` and `any` valid for
/// reads of their lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_principal_require(
    principal: *const authkv_principal,
    all: *const c_char,
    all_len: usize,
    any: *const c_char,
    any_len: usize,
) -> authkv_status {
    run("authkv_principal_require", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (principal, all, any) = unsafe {
            (
                slice::input(principal, "principal")?,
                abilities::list(all, all_len, "all")?,
                abilities::list(any, any_len, "any")?,
            )
        };
        // SAFETY: the principal's list is the library's (caller's guarantee).
        let granted = unsafe { abilities::entries(&principal.abilities) }?;
        // The Rust rule decides, on a principal holding the same abilities.
        let check = Principal {
            user_id: principal.user_id,
            abilities: Abilities::new(granted.iter().map(|a| String::from_utf8_lossy(a))),
            via: Via::Token(principal.token_id),
        };
        check
            .require_abilities(&all, &any)
            .map_err(|e| Failure::from(Error::from(e)))?;
        Ok(())
    })
}

/// Refuse a principal whose user did not prove the password within
/// `max_age_secs` (at login or by `authkv_session_confirm_password`), as a
/// sensitive route does before it acts: a bearer token carries no such
/// proof.
///
/// Returns `AUTHKV_OK`; `AUTHKV_CONFIRMATION_REQUIRED` (HTTP 423);
/// `AUTHKV_NULL_POINTER`. Reads only the principal and the engine's clock;
/// thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `principal` NULL or a live
/// principal.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_principal_require_fresh(
    engine: *const authkv_engine,
    principal: *const authkv_principal,
    max_age_secs: u64,
) -> authkv_status {
    run("authkv_principal_require_fresh", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, principal) = unsafe {
            (
                handle::engine(engine)?,
                slice::input(principal, "principal")?,
            )
        };
        let confirmed_at = (principal.via == AUTHKV_VIA_SESSION
            && principal.has_password_confirmed_at)
            .then_some(principal.password_confirmed_at);
        if crate::credential::confirm::fresh(
            confirmed_at,
            Duration::from_secs(max_age_secs),
            engine.config().clock.now(),
        ) {
            Ok(())
        } else {
            Err(Failure::from(Error::from(
                GuardError::PasswordConfirmationRequired,
            )))
        }
    })
}
