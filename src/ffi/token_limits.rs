//! A token's rate limit and quota over the C ABI: one plain struct, set at
//! creation or later, read back with the quota counted so far.

use std::ffi::c_char;
use std::time::Duration;

use super::boundary::run;
use super::handle::{self, authkv_engine};
use super::slice;
use super::status::authkv_status;
use super::token::{create_into, optional};
use crate::token::limits::{Quota, RateLimit, TokenLimits};

/// A token's limits. A request over either is refused with
/// `AUTHKV_RATE_LIMITED` or `AUTHKV_QUOTA_EXHAUSTED` (HTTP 429) before
/// anything else runs; counting writes nothing per request.
///
/// Start from a zeroed struct: all `has_` flags false means unlimited.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
#[allow(non_camel_case_types)]
pub struct authkv_token_limits {
    /// Whether `rate_max` / `rate_window` apply.
    pub has_rate_limit: bool,
    /// Requests admitted per window (at least 1).
    pub rate_max: u64,
    /// The window in seconds (1 to 100 years), from its first request.
    pub rate_window: u64,
    /// Whether the quota fields apply.
    pub has_quota: bool,
    /// Uses left (when read back: as of now, counting this host's uses
    /// not yet written).
    pub quota_remaining: u64,
    /// What `quota_remaining` is reset to at each refill.
    pub quota_refill_amount: u64,
    /// Seconds between refills (at most 100 years); 0 never refills.
    pub quota_refill_interval: u64,
}

impl authkv_token_limits {
    fn to_limits(self) -> TokenLimits {
        TokenLimits {
            rate_limit: self.has_rate_limit.then(|| RateLimit {
                max: self.rate_max,
                window: Duration::from_secs(self.rate_window),
            }),
            quota: self.has_quota.then(|| Quota {
                remaining: self.quota_remaining,
                refill_amount: self.quota_refill_amount,
                refill_interval: (self.quota_refill_interval > 0)
                    .then(|| Duration::from_secs(self.quota_refill_interval)),
            }),
        }
    }

    fn of(limits: &TokenLimits) -> Self {
        let rate = limits.rate_limit;
        let quota = limits.quota;
        authkv_token_limits {
            has_rate_limit: rate.is_some(),
            rate_max: rate.map_or(0, |r| r.max),
            rate_window: rate.map_or(0, |r| r.window.as_secs()),
            has_quota: quota.is_some(),
            quota_remaining: quota.map_or(0, |q| q.remaining),
            quota_refill_amount: quota.map_or(0, |q| q.refill_amount),
            quota_refill_interval: quota
                .and_then(|q| q.refill_interval)
                .map_or(0, |i| i.as_secs()),
        }
    }
}

/// `authkv_token_create` with `*limits` stored in the same transaction.
///
/// Returns what `authkv_token_create` returns, and
/// `AUTHKV_INVALID_ARGUMENT` for limits out of range (a zero `rate_max`,
/// a zero `rate_window` or `quota_refill_interval` where it applies, a
/// zero `quota_refill_amount` with a refill interval). Nothing is stored
/// unless the call succeeds. Thread-safe.
///
/// # Safety
/// As `authkv_token_create`; `limits` NULL or valid for a read.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn authkv_token_create_limited(
    engine: *const authkv_engine,
    user_id: u64,
    name: *const c_char,
    name_len: usize,
    abilities: *const c_char,
    abilities_len: usize,
    has_expires_at: bool,
    expires_at: u64,
    limits: *const authkv_token_limits,
    id_out: *mut u64,
    token_out: *mut c_char,
    token_out_size: usize,
    required_size: *mut usize,
) -> authkv_status {
    run("authkv_token_create_limited", || {
        // SAFETY: forwarded from the caller.
        unsafe {
            let limits = slice::input(limits, "limits")?.to_limits();
            create_into(
                engine,
                user_id,
                (name, name_len),
                (abilities, abilities_len),
                optional(has_expires_at, expires_at),
                &limits,
                id_out,
                (token_out, token_out_size, required_size),
            )
        }
    })
}

/// Replace token `id`'s limits with `*limits` (all `has_` flags false
/// removes them). The counts start over on every host.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NOT_FOUND` for an unknown token;
/// `AUTHKV_INVALID_ARGUMENT` for limits out of range;
/// `AUTHKV_NULL_POINTER`; or a storage status. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `limits` NULL or valid for a
/// read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_set_limits(
    engine: *const authkv_engine,
    id: u64,
    limits: *const authkv_token_limits,
) -> authkv_status {
    run("authkv_token_set_limits", || {
        // SAFETY: forwarded from the caller.
        let (engine, limits) =
            unsafe { (handle::engine(engine)?, slice::input(limits, "limits")?) };
        engine.set_token_limits(id, &limits.to_limits())?;
        Ok(())
    })
}

/// Write token `id`'s limits to `*out`, `quota_remaining` as of now. A
/// token without limits (or no such token) gives all `has_` flags false.
///
/// Returns `AUTHKV_OK`; `AUTHKV_NULL_POINTER`; or a storage status. `*out`
/// is only written on success. Thread-safe.
///
/// # Safety
/// `engine` must be NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_token_get_limits(
    engine: *const authkv_engine,
    id: u64,
    out: *mut authkv_token_limits,
) -> authkv_status {
    run("authkv_token_get_limits", || {
        // SAFETY: forwarded from the caller.
        let engine = unsafe { handle::engine(engine) }?;
        let out = slice::out(out, "out")?;
        let limits = engine.token_limits(id)?.unwrap_or_default();
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { slice::write(out, authkv_token_limits::of(&limits)) };
        Ok(())
    })
}
