//! authkv's errors as the JavaScript errors `lib/errors.js` understands:
//! the C ABI's status number in front of the crate's message, and for a
//! token over its rate limit or quota the seconds to wait:
//! `[authkv:110 retry-after=45] …`, `[authkv:111] …` for a quota that never
//! refills.

use std::panic::{AssertUnwindSafe, catch_unwind};

use authkv::TokenError;
use authkv::ffi::authkv_status;

/// The status of an argument the caller got wrong (`AUTHKV_INVALID_ARGUMENT`).
pub const INVALID_ARGUMENT: u32 = authkv_status::AUTHKV_INVALID_ARGUMENT as u32;
/// The status of a call not allowed in this state (`AUTHKV_MISUSE`).
pub const MISUSE: u32 = authkv_status::AUTHKV_MISUSE as u32;
/// The status of a call on a closed engine (`AUTHKV_CLOSED`).
pub const CLOSED: u32 = authkv_status::AUTHKV_CLOSED as u32;
/// The status of a panic inside a call (`AUTHKV_PANIC`).
pub const PANIC: u32 = authkv_status::AUTHKV_PANIC as u32;

/// A JavaScript error carrying `status` and `message`.
pub fn failure(status: u32, message: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(
        napi::Status::GenericFailure,
        format!("[authkv:{status}] {message}"),
    )
}

/// A refused argument.
pub fn invalid(message: impl std::fmt::Display) -> napi::Error {
    failure(INVALID_ARGUMENT, message)
}

/// The JavaScript error for an error of the crate, with the status the C
/// ABI gives it (and the wait of a rate limit or quota, as the C ABI's
/// `authkv_last_retry_after`).
pub fn from_authkv(error: &authkv::Error) -> napi::Error {
    let status = authkv_status::from(error) as u32;
    let retry_after = match error {
        authkv::Error::Token(TokenError::RateLimited { retry_after }) => Some(*retry_after),
        authkv::Error::Token(TokenError::QuotaExhausted { retry_after }) => *retry_after,
        _ => None,
    };
    match retry_after {
        Some(seconds) => napi::Error::new(
            napi::Status::GenericFailure,
            format!("[authkv:{status} retry-after={seconds}] {error}"),
        ),
        None => failure(status, error),
    }
}

/// Run `call`, turning the crate's errors and a panic into JavaScript
/// errors: a panic ends this call only, never the Node process.
pub fn guarded<T>(call: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(failure(PANIC, format!("authkv panicked: {what}")))
        }
    }
}

/// `result` with the crate's error turned into a JavaScript one.
pub fn js<T>(result: authkv::Result<T>) -> napi::Result<T> {
    result.map_err(|e| from_authkv(&e))
}
