//! A user's personal access tokens over the C ABI ("your tokens"): the
//! library-owned list and its `_free`.

use super::abilities::{AbilitiesKeep, authkv_abilities};
use super::boundary::{guard_free, run};
use super::buffer::{NulTerminated, authkv_str, free_owned, into_owned};
use super::handle::{self, authkv_engine};
use super::slice;
use super::status::authkv_status;

/// One of a user's tokens. Never carries the secret or its digest.
#[repr(C)]
#[derive(Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_token_info {
    /// The token's id, usable with `authkv_token_revoke`.
    pub id: u64,
    /// The name given at creation.
    pub name: authkv_str,
    /// What the token may do.
    pub abilities: authkv_abilities,
    /// Unix seconds at creation.
    pub created_at: u64,
    /// Whether the token was ever used.
    pub has_last_used_at: bool,
    /// Unix seconds of the last use, including one not yet flushed; 0 when
    /// `has_last_used_at` is false.
    pub last_used_at: u64,
    /// Whether the token has its own expiry.
    pub has_expires_at: bool,
    /// Unix seconds after which the token stops working; 0 when
    /// `has_expires_at` is false.
    pub expires_at: u64,
    /// Whether the token no longer authenticates (its own expiry or
    /// `token_expiration_secs` has passed); it stays listed until pruned.
    pub expired: bool,
}

/// A library-owned list of tokens, oldest first. Free it with
/// `authkv_token_list_free`; every pointer inside stays valid until then.
#[repr(C)]
#[derive(Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_token_list {
    /// `len` entries; NULL when `len` is 0.
    pub items: *const authkv_token_info,
    /// Number of entries.
    pub len: usize,
}

/// The entries, their names and their ability lists.
type ListKeep = (
    Vec<authkv_token_info>,
    Vec<NulTerminated>,
    Vec<AbilitiesKeep>,
);

/// Store in `*out` a library-owned list of the stored tokens of `user_id`,
/// oldest first, expired ones not yet pruned included (marked `expired`);
/// empty when there are none. Free it with `authkv_token_list_free`.
///
/// Returns `AUTHKV_OK`, `AUTHKV_NULL_POINTER`, or a storage status. `*out` is
/// only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `out` NULL or valid for a write
/// of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_list_user(
    engine: *const authkv_engine,
    user_id: u64,
    out: *mut *mut authkv_token_list,
) -> authkv_status {
    run("authkv_token_list_user", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let out = slice::out(out, "out")?;
        let tokens = engine.user_tokens(user_id)?;
        let mut names = Vec::with_capacity(tokens.len());
        let mut lists = Vec::with_capacity(tokens.len());
        let mut items = Vec::with_capacity(tokens.len());
        for info in &tokens {
            let name = NulTerminated::new(info.name.as_bytes());
            let abilities = AbilitiesKeep::new(info.abilities.as_slice());
            items.push(authkv_token_info {
                id: info.id,
                name: name.as_str(),
                abilities: abilities.view(),
                created_at: info.created_at,
                has_last_used_at: info.last_used_at.is_some(),
                last_used_at: info.last_used_at.unwrap_or(0),
                has_expires_at: info.expires_at.is_some(),
                expires_at: info.expires_at.unwrap_or(0),
                expired: info.expired,
            });
            names.push(name);
            lists.push(abilities);
        }
        let keep: ListKeep = (items, names, lists);
        let list = into_owned(keep, |(items, _, _)| authkv_token_list {
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

/// Free a list returned by `authkv_token_list_user`.
///
/// Calling with NULL is a harmless no-op. Must not be called twice with the
/// same value. Does not change the thread's last error message.
///
/// # Safety
/// `list` must be NULL or a pointer from `authkv_token_list_user` that has
/// not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_list_free(list: *mut authkv_token_list) {
    // SAFETY: forwarded from the caller's contract.
    guard_free(|| unsafe { free_owned::<authkv_token_list, ListKeep>(list) });
}
