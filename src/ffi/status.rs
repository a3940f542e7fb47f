//! The status codes every C function returns, their static descriptions, and
//! the mapping from [`crate::Error`] to a code.

use std::ffi::{CStr, c_char};

use crate::error::{CredentialError, Error, OpenError, SessionError, TokenError};
use crate::guard::GuardError;

use super::boundary::guard_value;

/// What a call did. Every authkv function that can fail returns one.
///
/// `AUTHKV_OK` is 0; every other value names one outcome a caller may need
/// to tell apart. The numbers are part of the ABI: they are never
/// renumbered or reused, and new codes are added inside their group:
///
/// - 1–99: the call itself was wrong; nothing was changed.
/// - 100–199: the request was understood and refused; a web handler maps
///   these to a response (404, 409, 419, 401, 403, 429, …; each code
///   names its HTTP status where one fits).
/// - 200–299: the database file could not be opened.
/// - 300–399: the library or its storage failed.
///
/// In C the type is `uint32_t` (fixed width whatever the compiler's enum
/// size); in C++ it is an enum with `uint32_t` as its underlying type.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum authkv_status {
    /// Success.
    AUTHKV_OK = 0,
    /// A pointer argument was NULL where a value is required (or NULL with
    /// a non-zero length).
    AUTHKV_NULL_POINTER = 1,
    /// An argument is malformed or out of range: invalid UTF-8, an embedded
    /// NUL, a length past its limit, a bad option value, a malformed handle.
    AUTHKV_INVALID_ARGUMENT = 2,
    /// An output buffer is smaller than the documented size; the size needed
    /// is reported through the call's `required_size` argument.
    AUTHKV_BUFFER_TOO_SMALL = 3,
    /// A payload is larger than the engine's `max_payload`.
    AUTHKV_PAYLOAD_TOO_LARGE = 4,
    /// The call is not allowed in this state: setting the time of an engine
    /// with a system clock, opening an already open file with different
    /// options, or using a handle inherited across `fork()`.
    AUTHKV_MISUSE = 5,
    /// No such live session (unknown, malformed, expired or destroyed id),
    /// or no session with that handle.
    AUTHKV_NOT_FOUND = 100,
    /// The stored version differs from the expected one: another request
    /// wrote first. Nothing was written.
    AUTHKV_CONFLICT = 101,
    /// The CSRF token does not match the session's (HTTP 419).
    AUTHKV_CSRF_MISMATCH = 102,
    /// The request carries no valid credentials (HTTP 401).
    AUTHKV_UNAUTHENTICATED = 103,
    /// The principal lacks the ability asked for (HTTP 403).
    AUTHKV_FORBIDDEN = 104,
    /// Too many attempts; retry later (HTTP 429).
    AUTHKV_THROTTLED = 105,
    /// The login, token id or token digest is already taken (HTTP 409).
    AUTHKV_ALREADY_EXISTS = 106,
    /// Unknown login or wrong password, indistinguishable by design (HTTP
    /// 401, or the form's error). A login attempt counted the failure
    /// against its (login, ip) throttle.
    AUTHKV_INVALID_CREDENTIALS = 107,
    /// A remember-me cookie was replayed after its device had used it: it
    /// was stolen. Every remember-me token of the user has been revoked, and
    /// the call reports which user (HTTP 401; warn the user).
    AUTHKV_THEFT_DETECTED = 108,
    /// The action needs a recent proof of the password
    /// (`authkv_session_confirm_password`); HTTP 423.
    AUTHKV_CONFIRMATION_REQUIRED = 109,
    /// The token used up its rate limit for this window (HTTP 429); the
    /// seconds until it ends are in `authkv_last_retry_after()`.
    AUTHKV_RATE_LIMITED = 110,
    /// The token used up its quota (HTTP 429); the seconds until it refills
    /// are in `authkv_last_retry_after()` (0: it never does).
    AUTHKV_QUOTA_EXHAUSTED = 111,
    /// Another process holds the database file for itself alone (opened
    /// with `exclusive`), or this open asks for that while others have it
    /// open, or the two opened it in different modes.
    AUTHKV_LOCKED = 200,
    /// The file exists but is not a redb database.
    AUTHKV_NOT_REDB = 201,
    /// The file is a redb database that authkv did not create.
    AUTHKV_NOT_AUTHKV = 202,
    /// The file was written by a newer authkv than this library.
    AUTHKV_SCHEMA_TOO_NEW = 203,
    /// The operating system refused a read or write (permissions, missing
    /// directory, full disk).
    AUTHKV_IO = 300,
    /// The file is damaged: a stored record failed its checksum or
    /// validation, the storage engine failed on it, or it is truncated or
    /// empty. From the first sign of damage the engine writes nothing more
    /// to the file (writes return this status; reads that succeed are
    /// served), so it can be repaired or restored.
    AUTHKV_CORRUPT = 301,
    /// The storage engine failed for another reason.
    AUTHKV_STORAGE = 302,
    /// The engine has been closed.
    AUTHKV_CLOSED = 303,
    /// An unexpected internal failure (for example the OS random source).
    AUTHKV_INTERNAL = 304,
    /// The library panicked; the call had no effect that was committed
    /// partially. The message says where.
    AUTHKV_PANIC = 305,
    /// The database server (PostgreSQL) failed, went away or did not answer
    /// in time; the call did not commit (unless the connection broke during
    /// the commit itself). Retry later.
    AUTHKV_UNAVAILABLE = 306,
    /// The operation is not offered by the engine's storage backend.
    AUTHKV_UNSUPPORTED = 307,
}

use authkv_status::*;

impl authkv_status {
    /// Every status, in numeric order.
    pub(crate) const ALL: [authkv_status; 30] = [
        AUTHKV_OK,
        AUTHKV_NULL_POINTER,
        AUTHKV_INVALID_ARGUMENT,
        AUTHKV_BUFFER_TOO_SMALL,
        AUTHKV_PAYLOAD_TOO_LARGE,
        AUTHKV_MISUSE,
        AUTHKV_NOT_FOUND,
        AUTHKV_CONFLICT,
        AUTHKV_CSRF_MISMATCH,
        AUTHKV_UNAUTHENTICATED,
        AUTHKV_FORBIDDEN,
        AUTHKV_THROTTLED,
        AUTHKV_ALREADY_EXISTS,
        AUTHKV_INVALID_CREDENTIALS,
        AUTHKV_THEFT_DETECTED,
        AUTHKV_CONFIRMATION_REQUIRED,
        AUTHKV_RATE_LIMITED,
        AUTHKV_QUOTA_EXHAUSTED,
        AUTHKV_LOCKED,
        AUTHKV_NOT_REDB,
        AUTHKV_NOT_AUTHKV,
        AUTHKV_SCHEMA_TOO_NEW,
        AUTHKV_IO,
        AUTHKV_CORRUPT,
        AUTHKV_STORAGE,
        AUTHKV_CLOSED,
        AUTHKV_INTERNAL,
        AUTHKV_PANIC,
        AUTHKV_UNAVAILABLE,
        AUTHKV_UNSUPPORTED,
    ];

    /// The status with this number, if there is one.
    pub fn from_code(code: u32) -> Option<authkv_status> {
        Self::ALL.iter().copied().find(|s| *s as u32 == code)
    }

    /// A static, NUL-terminated description.
    pub fn description(self) -> &'static CStr {
        match self {
            AUTHKV_OK => c"success",
            AUTHKV_NULL_POINTER => c"a required pointer argument is NULL",
            AUTHKV_INVALID_ARGUMENT => c"an argument is malformed or out of range",
            AUTHKV_BUFFER_TOO_SMALL => c"an output buffer is too small",
            AUTHKV_PAYLOAD_TOO_LARGE => c"the payload is larger than max_payload",
            AUTHKV_MISUSE => c"the call is not allowed in this state",
            AUTHKV_NOT_FOUND => c"not found",
            AUTHKV_CONFLICT => c"version conflict: the record changed since it was read",
            AUTHKV_CSRF_MISMATCH => c"CSRF token mismatch",
            AUTHKV_UNAUTHENTICATED => c"unauthenticated",
            AUTHKV_FORBIDDEN => c"forbidden",
            AUTHKV_THROTTLED => c"too many attempts",
            AUTHKV_ALREADY_EXISTS => c"already exists",
            AUTHKV_INVALID_CREDENTIALS => c"invalid login or password",
            AUTHKV_THEFT_DETECTED => c"a stolen remember-me token was replayed",
            AUTHKV_CONFIRMATION_REQUIRED => c"the action needs a recent password confirmation",
            AUTHKV_RATE_LIMITED => c"the token's rate limit is used up for now",
            AUTHKV_QUOTA_EXHAUSTED => c"the token's quota is used up",
            AUTHKV_LOCKED => c"database is locked by another process",
            AUTHKV_NOT_REDB => c"not a redb database file",
            AUTHKV_NOT_AUTHKV => c"not an authkv database",
            AUTHKV_SCHEMA_TOO_NEW => c"database schema is newer than this library",
            AUTHKV_IO => c"I/O error",
            AUTHKV_CORRUPT => c"database is corrupt",
            AUTHKV_STORAGE => c"storage error",
            AUTHKV_CLOSED => c"engine is closed",
            AUTHKV_INTERNAL => c"internal error",
            AUTHKV_PANIC => c"internal panic",
            AUTHKV_UNAVAILABLE => c"the database server failed or could not be reached",
            AUTHKV_UNSUPPORTED => c"not supported by this storage backend",
        }
    }
}

impl From<&Error> for authkv_status {
    fn from(error: &Error) -> Self {
        match error {
            Error::Open(open) => match open {
                OpenError::Locked => AUTHKV_LOCKED,
                OpenError::NotRedb(_) => AUTHKV_NOT_REDB,
                OpenError::NotAuthkv => AUTHKV_NOT_AUTHKV,
                OpenError::SchemaTooNew { .. } => AUTHKV_SCHEMA_TOO_NEW,
                OpenError::Io(_) | OpenError::Missing => AUTHKV_IO,
                OpenError::Corrupt(_) => AUTHKV_CORRUPT,
                OpenError::Unreachable(_) => AUTHKV_UNAVAILABLE,
            },
            Error::Session(session) => match session {
                SessionError::NotFound | SessionError::UnknownHandle => AUTHKV_NOT_FOUND,
                SessionError::NotLoggedIn => AUTHKV_UNAUTHENTICATED,
                SessionError::MalformedHandle
                | SessionError::IpTooLong { .. }
                | SessionError::MalformedId
                | SessionError::FromTheFuture { .. } => AUTHKV_INVALID_ARGUMENT,
                SessionError::DuplicateId => AUTHKV_ALREADY_EXISTS,
                SessionError::Conflict { .. } => AUTHKV_CONFLICT,
                SessionError::PayloadTooLarge { .. } => AUTHKV_PAYLOAD_TOO_LARGE,
            },
            Error::Token(token) => match token {
                TokenError::DuplicateId { .. } | TokenError::DuplicateDigest { .. } => {
                    AUTHKV_ALREADY_EXISTS
                }
                TokenError::IdsExhausted => AUTHKV_INTERNAL,
                TokenError::RateLimited { .. } => AUTHKV_RATE_LIMITED,
                TokenError::QuotaExhausted { .. } => AUTHKV_QUOTA_EXHAUSTED,
                TokenError::UnknownToken { .. } => AUTHKV_NOT_FOUND,
                _ => AUTHKV_INVALID_ARGUMENT,
            },
            Error::Credential(credential) => match credential {
                CredentialError::LoginTaken { .. } => AUTHKV_ALREADY_EXISTS,
                CredentialError::NoCredential { .. } => AUTHKV_NOT_FOUND,
                CredentialError::Hashing(_) => AUTHKV_INTERNAL,
                _ => AUTHKV_INVALID_ARGUMENT,
            },
            Error::Guard(guard) => match guard {
                GuardError::Unauthenticated => AUTHKV_UNAUTHENTICATED,
                GuardError::CsrfMismatch => AUTHKV_CSRF_MISMATCH,
                GuardError::Forbidden { .. } => AUTHKV_FORBIDDEN,
                GuardError::PasswordConfirmationRequired => AUTHKV_CONFIRMATION_REQUIRED,
                _ => AUTHKV_INVALID_ARGUMENT,
            },
            Error::Corrupt { .. } => AUTHKV_CORRUPT,
            Error::Storage(storage) => match storage {
                redb::Error::Io(_) | redb::Error::PreviousIo => AUTHKV_IO,
                redb::Error::Corrupted(_) => AUTHKV_CORRUPT,
                redb::Error::DatabaseAlreadyOpen | redb::Error::LockProtocolMismatch => {
                    AUTHKV_LOCKED
                }
                redb::Error::DatabaseClosed => AUTHKV_CLOSED,
                _ => AUTHKV_STORAGE,
            },
            Error::Server(_) => AUTHKV_UNAVAILABLE,
            Error::Unsupported(_) => AUTHKV_UNSUPPORTED,
            Error::Random(_) => AUTHKV_INTERNAL,
            Error::Closed => AUTHKV_CLOSED,
            Error::Forked { .. } => AUTHKV_MISUSE,
            Error::InvalidConfig(_) | Error::ImportRejected(_) => AUTHKV_INVALID_ARGUMENT,
        }
    }
}

/// A static, NUL-terminated English description of `status`, or
/// "unknown status code" for a number this library does not define.
///
/// Never NULL; the text lives as long as the library is loaded. Thread-safe.
/// Does not change the thread's last error message.
#[unsafe(no_mangle)]
pub extern "C" fn authkv_status_str(status: u32) -> *const c_char {
    guard_value(c"unknown status code".as_ptr(), || {
        authkv_status::from_code(status)
            .map_or(c"unknown status code", authkv_status::description)
            .as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_sorted_and_round_trip() {
        let mut seen = HashSet::new();
        let mut previous = None;
        for status in authkv_status::ALL {
            let code = status as u32;
            assert!(seen.insert(code), "{status:?} reuses {code}");
            assert!(
                previous.is_none_or(|p| p < code),
                "ALL is not in numeric order at {status:?}"
            );
            previous = Some(code);
            assert_eq!(authkv_status::from_code(code), Some(status));
        }
        let defined = (0..=1000)
            .filter(|c| authkv_status::from_code(*c).is_some())
            .count();
        assert_eq!(defined, authkv_status::ALL.len());
    }

    #[test]
    fn published_numbers_never_change() {
        let pinned = [
            (AUTHKV_OK, 0),
            (AUTHKV_NULL_POINTER, 1),
            (AUTHKV_INVALID_ARGUMENT, 2),
            (AUTHKV_BUFFER_TOO_SMALL, 3),
            (AUTHKV_PAYLOAD_TOO_LARGE, 4),
            (AUTHKV_MISUSE, 5),
            (AUTHKV_NOT_FOUND, 100),
            (AUTHKV_CONFLICT, 101),
            (AUTHKV_CSRF_MISMATCH, 102),
            (AUTHKV_UNAUTHENTICATED, 103),
            (AUTHKV_FORBIDDEN, 104),
            (AUTHKV_THROTTLED, 105),
            (AUTHKV_ALREADY_EXISTS, 106),
            (AUTHKV_INVALID_CREDENTIALS, 107),
            (AUTHKV_THEFT_DETECTED, 108),
            (AUTHKV_CONFIRMATION_REQUIRED, 109),
            (AUTHKV_RATE_LIMITED, 110),
            (AUTHKV_QUOTA_EXHAUSTED, 111),
            (AUTHKV_LOCKED, 200),
            (AUTHKV_NOT_REDB, 201),
            (AUTHKV_NOT_AUTHKV, 202),
            (AUTHKV_SCHEMA_TOO_NEW, 203),
            (AUTHKV_IO, 300),
            (AUTHKV_CORRUPT, 301),
            (AUTHKV_STORAGE, 302),
            (AUTHKV_CLOSED, 303),
            (AUTHKV_INTERNAL, 304),
            (AUTHKV_PANIC, 305),
            (AUTHKV_UNAVAILABLE, 306),
            (AUTHKV_UNSUPPORTED, 307),
        ];
        assert_eq!(pinned.len(), authkv_status::ALL.len());
        for (status, code) in pinned {
            assert_eq!(status as u32, code, "{status:?}");
        }
    }

    #[test]
    fn every_code_in_the_header_has_a_description() {
        let header =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/authkv.h"))
                .expect("read include/authkv.h");
        let mut found = 0;
        for line in header.lines() {
            let line = line.trim().trim_end_matches(',');
            let Some((name, value)) = line.split_once(" = ") else {
                continue;
            };
            if !name.starts_with("AUTHKV_") {
                continue;
            }
            let Ok(code) = value.parse::<u32>() else {
                continue;
            };
            let status = authkv_status::from_code(code)
                .unwrap_or_else(|| panic!("{name} = {code} is not in authkv_status::ALL"));
            assert_eq!(format!("{status:?}"), name);
            found += 1;
        }
        assert_eq!(found, authkv_status::ALL.len(), "header and enum disagree");
    }

    #[test]
    fn status_str_describes_known_codes_and_names_unknown_ones() {
        for status in authkv_status::ALL {
            // SAFETY: authkv_status_str returns a static NUL-terminated string.
            let text = unsafe { CStr::from_ptr(authkv_status_str(status as u32)) };
            assert!(!text.is_empty());
            assert_ne!(text, c"unknown status code", "{status:?}");
        }
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(authkv_status_str(99)) };
        assert_eq!(unknown, c"unknown status code");
    }

    fn io_error() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied")
    }

    #[test]
    fn errors_map_to_the_status_a_caller_acts_on() {
        let cases: Vec<(Error, authkv_status)> = vec![
            (OpenError::Locked.into(), AUTHKV_LOCKED),
            (OpenError::NotRedb("x".into()).into(), AUTHKV_NOT_REDB),
            (OpenError::NotAuthkv.into(), AUTHKV_NOT_AUTHKV),
            (
                OpenError::SchemaTooNew {
                    found: 9,
                    supported: 1,
                }
                .into(),
                AUTHKV_SCHEMA_TOO_NEW,
            ),
            (OpenError::Io(io_error()).into(), AUTHKV_IO),
            (SessionError::NotFound.into(), AUTHKV_NOT_FOUND),
            (SessionError::UnknownHandle.into(), AUTHKV_NOT_FOUND),
            (
                SessionError::MalformedHandle.into(),
                AUTHKV_INVALID_ARGUMENT,
            ),
            (
                SessionError::IpTooLong { len: 50, max: 45 }.into(),
                AUTHKV_INVALID_ARGUMENT,
            ),
            (
                SessionError::Conflict {
                    expected: 1,
                    actual: 2,
                }
                .into(),
                AUTHKV_CONFLICT,
            ),
            (
                SessionError::PayloadTooLarge { len: 9, max: 8 }.into(),
                AUTHKV_PAYLOAD_TOO_LARGE,
            ),
            (
                Error::Corrupt {
                    table: "sessions",
                    detail: "x".into(),
                },
                AUTHKV_CORRUPT,
            ),
            (Error::Storage(redb::Error::Io(io_error())), AUTHKV_IO),
            (Error::Storage(redb::Error::PreviousIo), AUTHKV_IO),
            (
                Error::Storage(redb::Error::Corrupted("x".into())),
                AUTHKV_CORRUPT,
            ),
            (
                Error::Storage(redb::Error::DatabaseAlreadyOpen),
                AUTHKV_LOCKED,
            ),
            (Error::Storage(redb::Error::DatabaseClosed), AUTHKV_CLOSED),
            (
                Error::Storage(redb::Error::TransactionInProgress),
                AUTHKV_STORAGE,
            ),
            (Error::Random("x".into()), AUTHKV_INTERNAL),
            (Error::Server("x".into()), AUTHKV_UNAVAILABLE),
            (Error::Unsupported("x"), AUTHKV_UNSUPPORTED),
            (
                Error::Open(OpenError::Unreachable("x".into())),
                AUTHKV_UNAVAILABLE,
            ),
            (Error::Closed, AUTHKV_CLOSED),
            (
                Error::Forked {
                    opened_in: 1,
                    used_in: 2,
                },
                AUTHKV_MISUSE,
            ),
            (Error::InvalidConfig("x".into()), AUTHKV_INVALID_ARGUMENT),
        ];
        for (error, status) in cases {
            assert_eq!(authkv_status::from(&error), status, "{error:?}");
        }
    }
}
