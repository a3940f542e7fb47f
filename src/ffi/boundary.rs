//! The panic boundary every export runs inside, and the calling thread's last
//! error message that it records.
//!
//! An export is written as `run("authkv_x", || { … Ok(()) })`: the closure
//! returns `Err(Failure)` for a refused call, and a panic anywhere inside is
//! caught and reported as `AUTHKV_PANIC`. Nothing unwinds into the host.

use std::cell::{Cell, RefCell};
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{Error, TokenError};

use super::status::authkv_status;

/// Why a call failed: the status to return and the message to record.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: authkv_status,
    pub message: String,
    /// Seconds the caller should wait before trying again, when known.
    pub retry_after: Option<u64>,
}

impl Failure {
    /// A failure with this status and message.
    pub(crate) fn new(status: authkv_status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// `AUTHKV_NULL_POINTER` for the argument named `what`.
    pub(crate) fn null(what: &str) -> Self {
        Self::new(
            authkv_status::AUTHKV_NULL_POINTER,
            format!("{what} is NULL"),
        )
    }

    /// `AUTHKV_INVALID_ARGUMENT` with this message.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(authkv_status::AUTHKV_INVALID_ARGUMENT, message)
    }

    /// `AUTHKV_THROTTLED`: try again in `retry_after` seconds (also what
    /// `authkv_last_retry_after` then reports).
    pub(crate) fn throttled(retry_after: u64, message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(authkv_status::AUTHKV_THROTTLED, message)
        }
    }

    /// `AUTHKV_MISUSE` with this message.
    pub(crate) fn misuse(message: impl Into<String>) -> Self {
        Self::new(authkv_status::AUTHKV_MISUSE, message)
    }

    /// Prefix the message with what it concerns (a file, an argument).
    pub(crate) fn context(mut self, what: &str) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let retry_after = match &error {
            Error::Token(TokenError::RateLimited { retry_after }) => Some(*retry_after),
            Error::Token(TokenError::QuotaExhausted { retry_after }) => *retry_after,
            _ => None,
        };
        Self {
            retry_after,
            ..Self::new(authkv_status::from(&error), error.to_string())
        }
    }
}

thread_local! {
    /// The message of the last failed call on this thread; `None` after a
    /// call that succeeded.
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
    /// The wait named by the last failed call on this thread, 0 for none.
    static LAST_RETRY_AFTER: Cell<u64> = const { Cell::new(0) };
}

/// Record `message` as this thread's last error. Interior NULs (which no
/// message of ours contains) become spaces so the text is never cut short.
fn set_last_error(message: String) {
    let mut bytes = message.into_bytes();
    for b in bytes.iter_mut().filter(|b| **b == 0) {
        *b = b' ';
    }
    let text = CString::new(bytes).unwrap_or_default();
    // During thread teardown the slot may be gone; the message is then lost,
    // which is all that can happen to it.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = Some(text));
}

fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = None);
    set_retry_after(0);
}

fn set_retry_after(seconds: u64) {
    let _ = LAST_RETRY_AFTER.try_with(|slot| slot.set(seconds));
}

/// The text of a caught panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "a panic without a message"
    }
}

/// Run the body of the export `name`: clear the thread's last error, run
/// `body` with panics caught, record the message of a failure, and return
/// the status.
pub(crate) fn run(name: &str, body: impl FnOnce() -> Result<(), Failure>) -> authkv_status {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => authkv_status::AUTHKV_OK,
        Ok(Err(failure)) => {
            set_last_error(format!("{name}: {}", failure.message));
            set_retry_after(failure.retry_after.unwrap_or(0));
            failure.status
        }
        Err(payload) => {
            set_last_error(format!(
                "{name}: internal panic: {}",
                panic_text(payload.as_ref())
            ));
            authkv_status::AUTHKV_PANIC
        }
    }
}

/// Run an export that returns a value and cannot fail (a free function, a
/// getter); a panic yields `fallback`. The last error is left alone.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Run a `_free` export: a panic is swallowed (there is no status to
/// return it in) and the last error is left alone.
pub(crate) fn guard_free(body: impl FnOnce()) {
    guard_value((), body);
}

/// The message of the most recent failed authkv call on the calling thread.
///
/// Returns a NUL-terminated string, never NULL: the empty string when the
/// most recent call succeeded or no call was made. The message names the
/// function and what was wrong; it never contains a secret.
///
/// The text is owned by the library and valid until the next authkv call on
/// the same thread (the `_free` functions, `authkv_status_str`,
/// `authkv_version*` and this function leave it in place). Each thread has
/// its own message, so concurrent failures on other threads never overwrite
/// it.
#[unsafe(no_mangle)]
pub extern "C" fn authkv_last_error() -> *const c_char {
    guard_value(c"".as_ptr(), || {
        LAST_ERROR
            .try_with(|slot| slot.borrow().as_ref().map(|s| s.as_ptr()))
            .ok()
            .flatten()
            .unwrap_or(c"".as_ptr())
    })
}

/// Seconds the most recent failed authkv call on the calling thread asked
/// the client to wait: the rest of the throttle window after
/// `AUTHKV_THROTTLED`, the rest of a token's rate-limit window after
/// `AUTHKV_RATE_LIMITED`, the time until its quota refills after
/// `AUTHKV_QUOTA_EXHAUSTED` (send it as `Retry-After`). 0 when that call
/// named no wait (a quota that never refills) or succeeded.
///
/// Per thread, kept until the next authkv call on it, like
/// `authkv_last_error`.
#[unsafe(no_mangle)]
pub extern "C" fn authkv_last_retry_after() -> u64 {
    guard_value(0, || LAST_RETRY_AFTER.try_with(Cell::get).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last_error() -> String {
        // SAFETY: authkv_last_error returns a NUL-terminated string that
        // stays valid until the next call on this thread.
        unsafe { CStr::from_ptr(authkv_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_inside_returns_panic_and_sets_the_message() {
        let status = run("authkv_test", || panic!("boom at step 3"));
        assert_eq!(status, authkv_status::AUTHKV_PANIC);
        assert_eq!(last_error(), "authkv_test: internal panic: boom at step 3");
    }

    #[test]
    fn a_panic_with_a_formatted_message_keeps_the_text() {
        let step = 4;
        let status = run("authkv_test", || panic!("boom at step {step}"));
        assert_eq!(status, authkv_status::AUTHKV_PANIC);
        assert!(last_error().ends_with("boom at step 4"));
    }

    #[test]
    fn a_failure_returns_its_status_and_message() {
        let status = run("authkv_test", || Err(Failure::null("out")));
        assert_eq!(status, authkv_status::AUTHKV_NULL_POINTER);
        assert_eq!(last_error(), "authkv_test: out is NULL");
    }

    #[test]
    fn success_clears_the_previous_message() {
        run("authkv_test", || Err(Failure::invalid("bad")));
        assert!(!last_error().is_empty());
        assert_eq!(run("authkv_test", || Ok(())), authkv_status::AUTHKV_OK);
        assert_eq!(last_error(), "");
    }

    #[test]
    fn messages_are_per_thread() {
        run("authkv_test", || Err(Failure::invalid("here")));
        std::thread::spawn(|| {
            assert_eq!(last_error(), "");
            run("authkv_test", || Err(Failure::invalid("there")));
        })
        .join()
        .expect("thread");
        assert_eq!(last_error(), "authkv_test: here");
    }

    #[test]
    fn interior_nul_does_not_cut_the_message() {
        run("authkv_test", || Err(Failure::invalid("a\0b")));
        assert_eq!(last_error(), "authkv_test: a b");
    }

    #[test]
    fn guard_value_returns_the_fallback_on_panic() {
        assert_eq!(guard_value(7, || panic!("inside a getter")), 7);
        assert_eq!(guard_value(7, || 8), 8);
    }
}
