//! Session lifecycle over the C ABI: create, load, save, login, regenerate,
//! invalidate and destroy, and the library-owned `authkv_session` a load
//! returns.
//!
//! Every function that hands out a new session id writes it, and the CSRF
//! token, into caller buffers of `AUTHKV_SESSION_ID_SIZE` /
//! `AUTHKV_CSRF_TOKEN_SIZE` bytes, checked before anything is written to the
//! database.

use std::ffi::c_char;

use crate::session::{LoadedSession, Session};

use super::boundary::{Failure, guard_free, run};
use super::buffer::{
    NulTerminated, SecretBuffer, authkv_bytes, authkv_str, fill_array, free_owned, into_owned,
    secret_buffer,
};
use super::handle::{self, authkv_engine};
use super::slice;
use super::status::authkv_status;

/// Characters in a session id (`[A-Za-z0-9]`).
pub const AUTHKV_SESSION_ID_LEN: usize = 40;
/// Bytes a session id buffer must hold: the id and a terminating NUL.
pub const AUTHKV_SESSION_ID_SIZE: usize = 41;
/// Characters in a CSRF token (`[A-Za-z0-9]`).
pub const AUTHKV_CSRF_TOKEN_LEN: usize = 40;
/// Bytes a CSRF token buffer must hold: the token and a terminating NUL.
pub const AUTHKV_CSRF_TOKEN_SIZE: usize = 41;

/// A live session, as `authkv_session_load` returns it. Library-owned and
/// read-only: free it with `authkv_session_free`. Every pointer inside stays
/// valid until then. It may be read from any thread.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct authkv_session {
    /// The application's opaque data (empty for a new session).
    pub payload: authkv_bytes,
    /// Version of payload, user and CSRF token; pass it to
    /// `authkv_session_save` to detect a concurrent writer.
    pub version: u64,
    /// Whether a user is logged in on this session.
    pub has_user: bool,
    /// The logged-in user; 0 when `has_user` is false.
    pub user_id: u64,
    /// The session's CSRF token, NUL-terminated.
    pub csrf_token: [c_char; AUTHKV_CSRF_TOKEN_SIZE],
    /// Client ip address recorded at creation.
    pub ip: authkv_str,
    /// Client user agent recorded at creation (truncated to
    /// `max_user_agent`).
    pub user_agent: authkv_str,
    /// Unix seconds at creation.
    pub created_at: u64,
    /// Unix seconds of the last activity, including a pending touch.
    pub last_activity: u64,
}

impl std::fmt::Debug for authkv_session {
    /// Never shows the CSRF token or the payload's bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("authkv_session")
            .field("payload_len", &self.payload.len)
            .field("version", &self.version)
            .field("has_user", &self.has_user)
            .field("user_id", &self.user_id)
            .field("created_at", &self.created_at)
            .field("last_activity", &self.last_activity)
            .finish_non_exhaustive()
    }
}

/// The heap buffers an `authkv_session` points into: payload, ip and user
/// agent.
pub(crate) struct SessionKeep(NulTerminated, NulTerminated, NulTerminated);

impl SessionKeep {
    /// Copy the variable-size parts of the loaded record.
    pub(crate) fn new(loaded: &LoadedSession) -> Self {
        let record = &loaded.record;
        Self(
            NulTerminated::new(&record.payload),
            NulTerminated::new(record.ip.as_bytes()),
            NulTerminated::new(record.user_agent.as_bytes()),
        )
    }

    /// The struct a caller reads, pointing into these buffers.
    pub(crate) fn view(&self, loaded: &LoadedSession) -> authkv_session {
        let record = &loaded.record;
        authkv_session {
            payload: self.0.as_bytes(),
            version: record.version,
            has_user: record.user_id.is_some(),
            user_id: record.user_id.unwrap_or(0),
            csrf_token: fill_array(&record.csrf),
            ip: self.1.as_str(),
            user_agent: self.2.as_str(),
            created_at: record.created_at,
            last_activity: loaded.last_activity,
        }
    }
}

/// A session id argument. An id that is not 40 characters of
/// `[A-Za-z0-9]` cannot name a session: it is `AUTHKV_NOT_FOUND`, the same
/// as an unknown id, and no table is read. The message gives the length
/// only, never the bytes.
///
/// # Safety
/// As for [`slice::bytes`].
pub(crate) unsafe fn session_id<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from the caller.
    let raw = unsafe { slice::bytes(ptr.cast::<u8>(), len, what) }?;
    let well_formed =
        raw.len() == AUTHKV_SESSION_ID_LEN && raw.iter().all(u8::is_ascii_alphanumeric);
    match std::str::from_utf8(raw) {
        Ok(id) if well_formed => Ok(id),
        _ => Err(Failure::new(
            authkv_status::AUTHKV_NOT_FOUND,
            format!(
                "{what} is malformed ({len} bytes; a session id is {AUTHKV_SESSION_ID_LEN} \
                 characters of [A-Za-z0-9]): no such session"
            ),
        )),
    }
}

/// The optional `keep_id` of a call that revokes a user's other sessions:
/// `None` for length 0. A malformed id is refused with
/// `AUTHKV_INVALID_ARGUMENT` rather than read as "keep none", so a host bug
/// cannot log the current device out by accident.
///
/// # Safety
/// As for [`slice::bytes`].
pub(crate) unsafe fn keep_session_id<'a>(
    ptr: *const c_char,
    len: usize,
) -> Result<Option<&'a str>, Failure> {
    if len == 0 {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    match unsafe { session_id(ptr, len, "keep_id") } {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.status == authkv_status::AUTHKV_NOT_FOUND => Err(Failure::invalid(format!(
            "keep_id is malformed ({len} bytes; a session id is {AUTHKV_SESSION_ID_LEN} \
             characters of [A-Za-z0-9]); pass a length of 0 to keep no session"
        ))),
        Err(e) => Err(e),
    }
}

/// The two caller buffers a new id and CSRF token go into.
pub(crate) struct IdBuffers {
    id: SecretBuffer,
    csrf: SecretBuffer,
}

impl IdBuffers {
    /// Check both buffers before the operation runs.
    ///
    /// # Safety
    /// `required_size` must be NULL or valid for a write.
    pub(crate) unsafe fn check(
        id_out: *mut c_char,
        id_out_size: usize,
        csrf_out: *mut c_char,
        csrf_out_size: usize,
        required_size: *mut usize,
    ) -> Result<Self, Failure> {
        // SAFETY: forwarded from the caller.
        let id = unsafe {
            secret_buffer(
                id_out,
                id_out_size,
                AUTHKV_SESSION_ID_SIZE,
                "id_out",
                required_size,
            )
        }?;
        // SAFETY: forwarded from the caller.
        let csrf = unsafe {
            secret_buffer(
                csrf_out,
                csrf_out_size,
                AUTHKV_CSRF_TOKEN_SIZE,
                "csrf_out",
                required_size,
            )
        }?;
        Ok(Self { id, csrf })
    }

    /// Write the session's id and CSRF token.
    ///
    /// # Safety
    /// The buffers must be valid for writes of the sizes given to `check`.
    pub(crate) unsafe fn write(self, session: &Session) -> Result<(), Failure> {
        // SAFETY: forwarded from the caller.
        unsafe {
            self.id.write(session.id.expose())?;
            self.csrf.write(session.csrf_token.expose())
        }
    }
}

/// Start a session for a visitor: a fresh id and CSRF token, no user, an
/// empty payload. The id (40 characters and a NUL) is written to `id_out`,
/// the CSRF token to `csrf_out`; each buffer must hold at least
/// `AUTHKV_SESSION_ID_SIZE` / `AUTHKV_CSRF_TOKEN_SIZE` (41) bytes.
///
/// `ip` (at most `max_ip` bytes) and `user_agent` (truncated to
/// `max_user_agent`) are UTF-8 without NUL bytes, `(NULL, 0)` for empty.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NULL_POINTER`; `AUTHKV_INVALID_ARGUMENT`
/// (invalid UTF-8, a NUL byte, an ip past `max_ip`);
/// `AUTHKV_BUFFER_TOO_SMALL`, when `*required_size` (optional, may be NULL)
/// receives the size needed; or a storage status. Nothing is stored unless
/// the call succeeds, and outputs are only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; each `(pointer, length)` input
/// valid for reads of its length; `id_out` / `csrf_out` valid for writes of
/// their stated sizes; `required_size` NULL or valid for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn authkv_session_create(
    engine: *const authkv_engine,
    ip: *const c_char,
    ip_len: usize,
    user_agent: *const c_char,
    user_agent_len: usize,
    id_out: *mut c_char,
    id_out_size: usize,
    csrf_out: *mut c_char,
    csrf_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    run("authkv_session_create", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        unsafe {
            let engine = handle::engine(engine)?;
            let ip = slice::text(ip, ip_len, "ip")?;
            let user_agent = slice::text(user_agent, user_agent_len, "user_agent")?;
            let out =
                IdBuffers::check(id_out, id_out_size, csrf_out, csrf_out_size, required_size)?;
            let session = engine.create_session(ip, user_agent)?;
            out.write(&session)
        }
    })
}

/// Load the live session with this id and store a library-owned copy in
/// `*out`; free it with `authkv_session_free`. When `last_activity` is at
/// least `touch_interval` old it moves to now, in memory until the next
/// flush; otherwise a load writes nothing.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NOT_FOUND` for an unknown, expired,
/// destroyed or malformed id (a malformed id reads nothing);
/// `AUTHKV_NULL_POINTER`; or a storage status. `*out` is only written on
/// success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `id` valid for reads of `id_len`
/// bytes; `out` NULL or valid for a write of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_load(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    out: *mut *mut authkv_session,
) -> authkv_status {
    run("authkv_session_load", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, id) = unsafe { (handle::engine(engine)?, session_id(id, id_len, "id")?) };
        let out = slice::out(out, "out")?;
        let session = engine.load_record(id)?.ok_or_else(not_found)?;
        let loaded = into_owned(SessionKeep::new(&session), |keep| keep.view(&session));
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { slice::write(out, loaded) };
        Ok(())
    })
}

/// The failure for an id that names no live session.
pub(crate) fn not_found() -> Failure {
    Failure::new(
        authkv_status::AUTHKV_NOT_FOUND,
        "no live session has this id (unknown, expired or destroyed)",
    )
}

/// Free a session returned by `authkv_session_load`.
///
/// Calling with NULL is a harmless no-op. Must not be called twice with the
/// same value. Does not change the thread's last error message.
///
/// # Safety
/// `session` must be NULL or a pointer from `authkv_session_load` that has
/// not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_free(session: *mut authkv_session) {
    // SAFETY: forwarded from the caller's contract.
    guard_free(|| unsafe { free_owned::<authkv_session, SessionKeep>(session) });
}

/// Replace a session's payload (`payload_len` bytes, `(NULL, 0)` for empty)
/// and record activity now. With `check_version` true, the write happens only
/// if the stored version still equals `expected_version`. The new version is
/// written to `*version_out`.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NOT_FOUND` (unknown, expired or malformed
/// id); `AUTHKV_CONFLICT` when the version moved (the message gives both
/// versions); `AUTHKV_PAYLOAD_TOO_LARGE` past `max_payload`;
/// `AUTHKV_NULL_POINTER`; or a storage status. Nothing changes unless the
/// call succeeds; outputs are only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `id` and `payload` valid for
/// reads of their lengths; `version_out` NULL or valid for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn authkv_session_save(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    payload: *const u8,
    payload_len: usize,
    check_version: bool,
    expected_version: u64,
    version_out: *mut u64,
) -> authkv_status {
    run("authkv_session_save", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, id, payload) = unsafe {
            (
                handle::engine(engine)?,
                session_id(id, id_len, "id")?,
                slice::bytes(payload, payload_len, "payload")?,
            )
        };
        let version_out = slice::out(version_out, "version_out")?;
        let expected = check_version.then_some(expected_version);
        let version = engine.save_session(id, payload, expected)?;
        // SAFETY: the caller guarantees `version_out` is writable.
        unsafe { slice::write(version_out, version) };
        Ok(())
    })
}

/// Which rotation a session function performs.
#[derive(Clone, Copy)]
enum Rotation {
    Login(u64),
    Regenerate,
    Invalidate,
}

/// The shared body of login, regenerate and invalidate.
///
/// # Safety
/// As for `authkv_session_login`.
#[allow(clippy::too_many_arguments)]
unsafe fn rotate(
    name: &str,
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    rotation: Rotation,
    id_out: *mut c_char,
    id_out_size: usize,
    csrf_out: *mut c_char,
    csrf_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    run(name, || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        unsafe {
            let engine = handle::engine(engine)?;
            let id = session_id(id, id_len, "id")?;
            let out =
                IdBuffers::check(id_out, id_out_size, csrf_out, csrf_out_size, required_size)?;
            let session = match rotation {
                Rotation::Login(user) => engine.login(id, user),
                Rotation::Regenerate => engine.regenerate_session(id),
                Rotation::Invalidate => engine.invalidate_session(id),
            }?;
            out.write(&session)
        }
    })
}

/// Log `user_id` in on this session: the id and the CSRF token rotate and
/// the old id stops working at once (fixation protection); the payload is
/// kept. The new id and token are written to `id_out` / `csrf_out` as for
/// `authkv_session_create`.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NOT_FOUND` (unknown, expired or malformed
/// id); `AUTHKV_NULL_POINTER`; `AUTHKV_BUFFER_TOO_SMALL` (with
/// `*required_size`, optional); or a storage status. Nothing changes unless
/// the call succeeds; outputs are only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `id` valid for reads of `id_len`
/// bytes; `id_out` / `csrf_out` valid for writes of their stated sizes;
/// `required_size` NULL or valid for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn authkv_session_login(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    user_id: u64,
    id_out: *mut c_char,
    id_out_size: usize,
    csrf_out: *mut c_char,
    csrf_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        rotate(
            "authkv_session_login",
            engine,
            id,
            id_len,
            Rotation::Login(user_id),
            id_out,
            id_out_size,
            csrf_out,
            csrf_out_size,
            required_size,
        )
    }
}

/// Give the session a new id and CSRF token, keeping user and payload; the
/// old id stops working. Outputs, statuses and safety as for
/// `authkv_session_login`.
///
/// # Safety
/// As for `authkv_session_login`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn authkv_session_regenerate(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    id_out: *mut c_char,
    id_out_size: usize,
    csrf_out: *mut c_char,
    csrf_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        rotate(
            "authkv_session_regenerate",
            engine,
            id,
            id_len,
            Rotation::Regenerate,
            id_out,
            id_out_size,
            csrf_out,
            csrf_out_size,
            required_size,
        )
    }
}

/// Log out: clear the user and the payload, rotate the id and the CSRF
/// token; the old id stops working and the visitor keeps a fresh anonymous
/// session. Outputs, statuses and safety as for `authkv_session_login`.
///
/// # Safety
/// As for `authkv_session_login`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn authkv_session_invalidate(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
    id_out: *mut c_char,
    id_out_size: usize,
    csrf_out: *mut c_char,
    csrf_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        rotate(
            "authkv_session_invalidate",
            engine,
            id,
            id_len,
            Rotation::Invalidate,
            id_out,
            id_out_size,
            csrf_out,
            csrf_out_size,
            required_size,
        )
    }
}

/// Delete the session with this id, expired or not.
///
/// Returns `AUTHKV_OK` when a session was deleted; `AUTHKV_NOT_FOUND` when
/// none had this id (nothing changed; a logout handler may ignore it);
/// `AUTHKV_NULL_POINTER`; or a storage status. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `id` valid for reads of `id_len`
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_destroy(
    engine: *const authkv_engine,
    id: *const c_char,
    id_len: usize,
) -> authkv_status {
    run("authkv_session_destroy", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, id) = unsafe { (handle::engine(engine)?, session_id(id, id_len, "id")?) };
        if engine.destroy_session(id)? {
            Ok(())
        } else {
            Err(Failure::new(
                authkv_status::AUTHKV_NOT_FOUND,
                "no stored session has this id",
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_ids_are_not_found_and_the_message_hides_the_bytes() {
        for bad in [
            "",
            "short",
            "abcdefghijklmnopqrstuvwxyz0123456789ABC!",
            &"a".repeat(41),
        ] {
            // SAFETY: `bad` is valid for its length.
            let err = unsafe { session_id(bad.as_ptr().cast(), bad.len(), "id") }.expect_err(bad);
            assert_eq!(err.status, authkv_status::AUTHKV_NOT_FOUND);
            assert!(
                bad.is_empty() || !err.message.contains(bad),
                "{}",
                err.message
            );
        }
        let good = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";
        // SAFETY: as above.
        let parsed = unsafe { session_id(good.as_ptr().cast(), good.len(), "id") };
        assert_eq!(parsed.ok(), Some(good));
    }

    #[test]
    fn non_utf8_id_is_not_found() {
        let bad = [0xffu8; 40];
        // SAFETY: `bad` is valid for its length.
        let err = unsafe { session_id(bad.as_ptr().cast(), bad.len(), "id") }.expect_err("bytes");
        assert_eq!(err.status, authkv_status::AUTHKV_NOT_FOUND);
    }
}
