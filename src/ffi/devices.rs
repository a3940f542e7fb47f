//! A user's sessions over the C ABI ("your devices"): the library-owned
//! list, revoking one session by its public handle, and revoking all but
//! the current one.

use std::ffi::c_char;

use super::boundary::{guard_free, run};
use super::buffer::{NulTerminated, authkv_str, fill_array, free_owned, into_owned};
use super::handle::{self, authkv_engine};
use super::session::keep_session_id;
use super::slice;
use super::status::authkv_status;

/// Characters in a session's public handle (lowercase hex of the 32-byte
/// key it is stored under, a digest of its id).
pub const AUTHKV_SESSION_HANDLE_LEN: usize = 64;
/// Bytes of a handle with its terminating NUL.
pub const AUTHKV_SESSION_HANDLE_SIZE: usize = 65;

/// One of a user's sessions. Carries a public handle, never the session id:
/// safe to show, usable with `authkv_session_revoke`.
#[repr(C)]
#[derive(Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_session_info {
    /// The public handle, 64 lowercase hex characters and a NUL.
    pub handle: [c_char; AUTHKV_SESSION_HANDLE_SIZE],
    /// Client ip address recorded at creation.
    pub ip: authkv_str,
    /// Client user agent recorded at creation.
    pub user_agent: authkv_str,
    /// Unix seconds at creation.
    pub created_at: u64,
    /// Unix seconds of the last activity, including a pending touch.
    pub last_activity: u64,
}

/// A library-owned list of sessions, oldest first by creation. Free it with
/// `authkv_session_list_free`; every pointer inside stays valid until then.
#[repr(C)]
#[derive(Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_session_list {
    /// `len` entries; NULL when `len` is 0.
    pub items: *const authkv_session_info,
    /// Number of entries.
    pub len: usize,
}

/// The entries and the strings they point into.
type ListKeep = (Vec<authkv_session_info>, Vec<NulTerminated>);

/// Store in `*out` a library-owned list of the live sessions of `user_id`,
/// oldest first (empty when there are none).
///
/// Returns `AUTHKV_OK`, `AUTHKV_NULL_POINTER`, or a storage status. `*out` is
/// only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `out` NULL or valid for a write
/// of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_list_user(
    engine: *const authkv_engine,
    user_id: u64,
    out: *mut *mut authkv_session_list,
) -> authkv_status {
    run("authkv_session_list_user", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let out = slice::out(out, "out")?;
        let sessions = engine.user_sessions(user_id)?;
        let mut strings = Vec::with_capacity(sessions.len() * 2);
        let mut items = Vec::with_capacity(sessions.len());
        for info in &sessions {
            let ip = NulTerminated::new(info.ip.as_bytes());
            let user_agent = NulTerminated::new(info.user_agent.as_bytes());
            items.push(authkv_session_info {
                handle: fill_array(&info.handle),
                ip: ip.as_str(),
                user_agent: user_agent.as_str(),
                created_at: info.created_at,
                last_activity: info.last_activity,
            });
            strings.push(ip);
            strings.push(user_agent);
        }
        let keep: ListKeep = (items, strings);
        let list = into_owned(keep, |(items, _)| authkv_session_list {
            items: if items.is_empty() {
                std::ptr::null()
            } else {
                items.as_ptr()
            },
            len: items.len(),
        });
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { slice::write(out, list) };
        Ok(())
    })
}

/// Free a list returned by `authkv_session_list_user`.
///
/// Calling with NULL is a harmless no-op. Must not be called twice with the
/// same value. Does not change the thread's last error message.
///
/// # Safety
/// `list` must be NULL or a pointer from `authkv_session_list_user` that has
/// not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_list_free(list: *mut authkv_session_list) {
    // SAFETY: forwarded from the caller's contract.
    guard_free(|| unsafe { free_owned::<authkv_session_list, ListKeep>(list) });
}

/// Revoke (delete) one session by its public handle from
/// `authkv_session_list_user` (`handle_len` bytes, 64 hex characters).
///
/// Returns `AUTHKV_OK`; `AUTHKV_NOT_FOUND` when no session has this handle;
/// `AUTHKV_INVALID_ARGUMENT` when it is not 64 hex characters;
/// `AUTHKV_NULL_POINTER`; or a storage status. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `handle` valid for reads of
/// `handle_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_revoke(
    engine: *const authkv_engine,
    handle: *const c_char,
    handle_len: usize,
) -> authkv_status {
    run("authkv_session_revoke", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, handle) = unsafe {
            (
                handle::engine(engine)?,
                slice::text(handle, handle_len, "handle")?,
            )
        };
        engine.revoke_session(handle)?;
        Ok(())
    })
}

/// Revoke every session of `user_id` except the one with id `keep_id`
/// ("log out other devices"); an empty `keep_id` (length 0, the pointer may
/// be NULL) revokes them all. The number
/// revoked is written to `*revoked_out`.
///
/// A `keep_id` that is not a well-formed session id is refused with
/// `AUTHKV_INVALID_ARGUMENT` rather than treated as "keep none", so a host
/// bug cannot log the current device out by accident.
///
/// Returns `AUTHKV_OK`, `AUTHKV_INVALID_ARGUMENT`, `AUTHKV_NULL_POINTER`, or
/// a storage status (then nothing was revoked). Outputs are only written on
/// success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `keep_id` valid for reads of
/// `keep_id_len` bytes; `revoked_out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_session_revoke_user(
    engine: *const authkv_engine,
    user_id: u64,
    keep_id: *const c_char,
    keep_id_len: usize,
    revoked_out: *mut usize,
) -> authkv_status {
    run("authkv_session_revoke_user", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        // SAFETY: forwarded from the caller.
        let keep = unsafe { keep_session_id(keep_id, keep_id_len) }?;
        let revoked_out = slice::out(revoked_out, "revoked_out")?;
        let revoked = engine.revoke_user_sessions(user_id, keep)?;
        // SAFETY: the caller guarantees `revoked_out` is writable.
        unsafe { slice::write(revoked_out, revoked) };
        Ok(())
    })
}
