//! Personal access tokens over the C ABI: create (the plaintext into a
//! caller buffer), authenticate (a library-owned `authkv_token`), ability
//! checks on it, revoke, prune and import of Sanctum rows.

use std::ffi::c_char;

use super::abilities::{self, AbilitiesKeep, authkv_abilities};
use super::boundary::{Failure, guard_free, run};
use super::buffer::{free_owned, into_owned, secret_buffer};
use super::handle::{self, authkv_engine};
use super::options::AUTHKV_TOKEN_PREFIX_MAX_LEN;
use super::slice;
use super::status::authkv_status;
use crate::token::limits::TokenLimits;

/// Most decimal digits of a token id (the part before `|`).
pub const AUTHKV_TOKEN_ID_MAX_LEN: usize = 20;
/// Characters after the prefix: 40 of `[A-Za-z0-9]` and an 8-digit CRC-32.
pub const AUTHKV_TOKEN_SECRET_LEN: usize = 48;
/// Longest plaintext token, `{id}|{prefix}{secret}`, in bytes.
pub const AUTHKV_TOKEN_MAX_LEN: usize =
    AUTHKV_TOKEN_ID_MAX_LEN + 1 + AUTHKV_TOKEN_PREFIX_MAX_LEN + AUTHKV_TOKEN_SECRET_LEN;
/// Bytes a token buffer must hold: the longest plaintext and a NUL.
pub const AUTHKV_TOKEN_MAX_SIZE: usize = AUTHKV_TOKEN_MAX_LEN + 1;

/// A token that authenticated, as `authkv_token_authenticate` returns it.
/// Library-owned and read-only: free it with `authkv_token_free`. Every
/// pointer inside stays valid until then. It may be read from any thread.
#[repr(C)]
#[derive(Debug)]
#[allow(non_camel_case_types)]
pub struct authkv_token {
    /// The token's id.
    pub id: u64,
    /// The user the token acts for.
    pub user_id: u64,
    /// What the token may do (`*` grants everything).
    pub abilities: authkv_abilities,
}

/// The `has_x` / `x` pair of an optional time.
pub(super) fn optional(has: bool, value: u64) -> Option<u64> {
    has.then_some(value)
}

/// Create a personal access token for `user_id`, named `name` (1 to 255
/// bytes), with `abilities` (newline-separated, at most 64 of 1 to 255
/// bytes each; `(NULL, 0)` for none) and, when `has_expires_at`, an expiry
/// at `expires_at` (unix seconds). Its id is written to `*id_out`; the
/// plaintext `{id}|{prefix}{secret}` and a NUL to `token_out`, which must
/// hold `AUTHKV_TOKEN_MAX_SIZE` bytes. The plaintext is shown once: only its
/// SHA-256 is stored.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NULL_POINTER`; `AUTHKV_INVALID_ARGUMENT` (an
/// empty or long name, an empty, long or 65th ability — the message gives
/// its position —, invalid UTF-8, a NUL byte); `AUTHKV_BUFFER_TOO_SMALL`,
/// when `*required_size` (optional, may be NULL) receives the size needed;
/// or a storage status. Nothing is stored unless the call succeeds; outputs
/// are only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `name` and `abilities` valid for
/// reads of their lengths; `id_out` NULL or valid for a write; `token_out`
/// valid for writes of `token_out_size` bytes; `required_size` NULL or valid
/// for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn authkv_token_create(
    engine: *const authkv_engine,
    user_id: u64,
    name: *const c_char,
    name_len: usize,
    abilities: *const c_char,
    abilities_len: usize,
    has_expires_at: bool,
    expires_at: u64,
    id_out: *mut u64,
    token_out: *mut c_char,
    token_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    run("authkv_token_create", || {
        // SAFETY: forwarded from the caller.
        unsafe {
            create_into(
                engine,
                user_id,
                (name, name_len),
                (abilities, abilities_len),
                optional(has_expires_at, expires_at),
                &TokenLimits::default(),
                id_out,
                (token_out, token_out_size, required_size),
            )
        }
    })
}

/// The body of the token-creating exports: read the arguments, create,
/// write the id and the plaintext.
///
/// # Safety
/// As `authkv_token_create`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn create_into(
    engine: *const authkv_engine,
    user_id: u64,
    (name, name_len): (*const c_char, usize),
    (abilities, abilities_len): (*const c_char, usize),
    expires_at: Option<u64>,
    limits: &TokenLimits,
    id_out: *mut u64,
    (token_out, token_out_size, required_size): (*mut c_char, usize, *mut usize),
) -> Result<(), Failure> {
    // SAFETY: each call forwards the caller's guarantees for its pointer.
    unsafe {
        let engine = handle::engine(engine)?;
        let name = slice::text(name, name_len, "name")?;
        let abilities = abilities::list(abilities, abilities_len, "abilities")?;
        let id_out = slice::out(id_out, "id_out")?;
        let out = secret_buffer(
            token_out,
            token_out_size,
            AUTHKV_TOKEN_MAX_SIZE,
            "token_out",
            required_size,
        )?;
        let token =
            engine.create_token_with_limits(user_id, name, abilities, expires_at, limits)?;
        out.write(token.plain_text.expose())?;
        slice::write(id_out, token.id);
    }
    Ok(())
}

/// The failure for a token that does not authenticate.
fn unauthenticated(detail: &str) -> Failure {
    Failure::new(
        authkv_status::AUTHKV_UNAUTHENTICATED,
        format!("the token does not authenticate ({detail})"),
    )
}

/// Authenticate a token as a client sent it (the text after `Bearer `:
/// `{id}|{secret}`, or a bare secret) and store a library-owned
/// `authkv_token` in `*out`; free it with `authkv_token_free`. Any bytes
/// are accepted: text that cannot be a token (too long, not UTF-8, a bad
/// checksum, a legacy token while `allow_legacy_tokens` is off) reads
/// nothing. A use is noted in memory at most once per `touch_interval`.
///
/// Returns `AUTHKV_OK`; `AUTHKV_UNAUTHENTICATED` for a malformed, unknown,
/// revoked or expired token; `AUTHKV_NULL_POINTER`; or a storage status.
/// `*out` is only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `token` valid for reads of
/// `token_len` bytes; `out` NULL or valid for a write of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_authenticate(
    engine: *const authkv_engine,
    token: *const c_char,
    token_len: usize,
    out: *mut *mut authkv_token,
) -> authkv_status {
    run("authkv_token_authenticate", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let out = slice::out(out, "out")?;
        if token_len > AUTHKV_TOKEN_MAX_LEN {
            return Err(unauthenticated(&format!(
                "{token_len} bytes is longer than any token"
            )));
        }
        // SAFETY: forwarded from the caller.
        let raw = unsafe { slice::bytes(token.cast::<u8>(), token_len, "token") }?;
        let text = std::str::from_utf8(raw).map_err(|_| unauthenticated("not UTF-8"))?;
        let found = engine
            .authenticate_token(text)?
            .ok_or_else(|| unauthenticated("malformed, unknown, revoked or expired"))?;
        let keep = AbilitiesKeep::new(found.abilities.as_slice());
        let token = into_owned(keep, |keep| authkv_token {
            id: found.id,
            user_id: found.user_id,
            abilities: keep.view(),
        });
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { slice::write(out, token) };
        Ok(())
    })
}

/// Free a token returned by `authkv_token_authenticate`.
///
/// Calling with NULL is a harmless no-op. Must not be called twice with the
/// same value. Does not change the thread's last error message.
///
/// # Safety
/// `token` must be NULL or a pointer from `authkv_token_authenticate` that
/// has not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_free(token: *mut authkv_token) {
    // SAFETY: forwarded from the caller's contract.
    guard_free(|| unsafe { free_owned::<authkv_token, AbilitiesKeep>(token) });
}

/// The shared body of `authkv_token_can` and `authkv_token_cant`.
///
/// # Safety
/// As for `authkv_token_can`.
unsafe fn check_ability(
    name: &str,
    token: *const authkv_token,
    ability: *const c_char,
    ability_len: usize,
    negate: bool,
    out: *mut bool,
) -> authkv_status {
    run(name, || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        unsafe {
            let token = slice::input(token, "token")?;
            let ability = slice::bytes(ability.cast::<u8>(), ability_len, "ability")?;
            let out = slice::out(out, if negate { "cant_out" } else { "can_out" })?;
            let granted = abilities::entries(&token.abilities)?;
            slice::write(out, abilities::grants(&granted, ability) != negate);
        }
        Ok(())
    })
}

/// Whether `token` grants `ability` (`ability_len` bytes): listed exactly
/// (case-sensitive), or `*` is listed. The answer goes to `*can_out`.
///
/// Returns `AUTHKV_OK` (whatever the answer) or `AUTHKV_NULL_POINTER`.
/// Reads only the token; thread-safe.
///
/// # Safety
/// `token` must be NULL or a live `authkv_token`; `ability` valid for reads
/// of `ability_len` bytes; `can_out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_can(
    token: *const authkv_token,
    ability: *const c_char,
    ability_len: usize,
    can_out: *mut bool,
) -> authkv_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        check_ability(
            "authkv_token_can",
            token,
            ability,
            ability_len,
            false,
            can_out,
        )
    }
}

/// Whether `token` lacks `ability`: the negation of `authkv_token_can`,
/// written to `*cant_out`. Statuses and safety as for `authkv_token_can`.
///
/// # Safety
/// As for `authkv_token_can`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_cant(
    token: *const authkv_token,
    ability: *const c_char,
    ability_len: usize,
    cant_out: *mut bool,
) -> authkv_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        check_ability(
            "authkv_token_cant",
            token,
            ability,
            ability_len,
            true,
            cant_out,
        )
    }
}

/// Revoke (delete) the token with id `token_id`; it stops authenticating at
/// once.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NOT_FOUND` when no token has this id
/// (nothing changed); `AUTHKV_NULL_POINTER`; or a storage status.
/// Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_revoke(
    engine: *const authkv_engine,
    token_id: u64,
) -> authkv_status {
    run("authkv_token_revoke", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        if engine.revoke_token(token_id)? {
            Ok(())
        } else {
            Err(Failure::new(
                authkv_status::AUTHKV_NOT_FOUND,
                format!("no token has id {token_id}"),
            ))
        }
    })
}

/// Revoke every token of `user_id` in one transaction; the number revoked
/// is written to `*revoked_out`.
///
/// Returns `AUTHKV_OK`, `AUTHKV_NULL_POINTER`, or a storage status (then
/// nothing was revoked). Outputs are only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `revoked_out` NULL or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_revoke_user(
    engine: *const authkv_engine,
    user_id: u64,
    revoked_out: *mut usize,
) -> authkv_status {
    run("authkv_token_revoke_user", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let revoked_out = slice::out(revoked_out, "revoked_out")?;
        let revoked = engine.revoke_user_tokens(user_id)?;
        // SAFETY: the caller guarantees `revoked_out` is writable.
        unsafe { slice::write(revoked_out, revoked) };
        Ok(())
    })
}

/// Delete tokens expired for more than `hours`, as `sanctum:prune-expired
/// --hours=N`: those whose own expiry is more than `hours` past and, with
/// `token_expiration_secs`, those created more than that plus `hours` ago.
/// Tokens with neither are kept. The number deleted goes to `*pruned_out`.
/// (`authkv_gc` prunes with `token_prune_hours` too.)
///
/// Returns `AUTHKV_OK`, `AUTHKV_NULL_POINTER`, or a storage status (batches
/// committed before the failure stay committed). Outputs are only written
/// on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `pruned_out` NULL or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_prune(
    engine: *const authkv_engine,
    hours: u64,
    pruned_out: *mut u64,
) -> authkv_status {
    run("authkv_token_prune", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let pruned_out = slice::out(pruned_out, "pruned_out")?;
        let pruned = engine.prune_expired_tokens(hours)?;
        // SAFETY: the caller guarantees `pruned_out` is writable.
        unsafe { slice::write(pruned_out, pruned) };
        Ok(())
    })
}

/// Store a row copied from Laravel's `personal_access_tokens` so that the
/// plaintext its owner already holds keeps authenticating: `token_id` (the
/// `id` column, at least 1), `user_id` (`tokenable_id`), `name`,
/// `sha256_hex` (the `token` column: 64 hex characters), `abilities`
/// (newline-separated; decode the column's JSON first), and the times in
/// unix seconds (`last_used_at` / `expires_at` apply only when their
/// `has_` flag is true). The id is never issued again by
/// `authkv_token_create`.
///
/// Returns `AUTHKV_OK`; `AUTHKV_INVALID_ARGUMENT` (id 0, a malformed
/// digest, the name and ability limits of `authkv_token_create`);
/// `AUTHKV_ALREADY_EXISTS` when the id or the digest is stored already;
/// `AUTHKV_NULL_POINTER`; or a storage status. Nothing is stored unless the
/// call succeeds. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `name`, `sha256_hex` and
/// `abilities` valid for reads of their lengths.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn authkv_token_import_sanctum(
    engine: *const authkv_engine,
    token_id: u64,
    user_id: u64,
    name: *const c_char,
    name_len: usize,
    sha256_hex: *const c_char,
    sha256_hex_len: usize,
    abilities: *const c_char,
    abilities_len: usize,
    created_at: u64,
    has_last_used_at: bool,
    last_used_at: u64,
    has_expires_at: bool,
    expires_at: u64,
) -> authkv_status {
    run("authkv_token_import_sanctum", || {
        // SAFETY: each call forwards the caller's guarantees for its pointer.
        let (engine, name, digest, abilities) = unsafe {
            (
                handle::engine(engine)?,
                slice::text(name, name_len, "name")?,
                slice::text(sha256_hex, sha256_hex_len, "sha256_hex")?,
                abilities::list(abilities, abilities_len, "abilities")?,
            )
        };
        engine.import_sanctum_token(
            token_id,
            user_id,
            name,
            digest,
            abilities,
            created_at,
            optional(has_last_used_at, last_used_at),
            optional(has_expires_at, expires_at),
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::abilities::{AUTHKV_ABILITIES_MAX, AUTHKV_ABILITY_MAX_LEN};
    use crate::token::{MAX_ABILITIES, MAX_ABILITY_LEN};

    #[test]
    fn header_limits_are_the_ones_the_engine_enforces() {
        assert_eq!(AUTHKV_ABILITIES_MAX, MAX_ABILITIES);
        assert_eq!(AUTHKV_ABILITY_MAX_LEN, MAX_ABILITY_LEN);
        assert_eq!(AUTHKV_TOKEN_MAX_LEN, 101);
        assert_eq!(AUTHKV_TOKEN_MAX_SIZE, 102);
    }

    #[test]
    fn the_longest_plaintext_fills_the_buffer_exactly() {
        let prefix = "p".repeat(AUTHKV_TOKEN_PREFIX_MAX_LEN);
        let secret = crate::token::format::mint_secret(&prefix).expect("random");
        let longest = format!("{}|{secret}", u64::MAX);
        assert_eq!(longest.len(), AUTHKV_TOKEN_MAX_LEN);
        assert_eq!(u64::MAX.to_string().len(), AUTHKV_TOKEN_ID_MAX_LEN);
    }
}
