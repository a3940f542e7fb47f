//! The C ABI (`include/authkv.h`, generated from this module by cbindgen).
//! Rust code uses [`crate::Engine`] directly; these functions exist for C,
//! PHP, Python and Node hosts.
//!
//! Conventions, the same for every function (the header states them once at
//! the top and each function's comment refers to them):
//!
//! - Every export runs inside `boundary::run`: a panic becomes
//!   `AUTHKV_PANIC`, a refusal a status plus a message for
//!   `authkv_last_error()`.
//! - Inputs are `(pointer, length)` views borrowed for the call (`slice.rs`);
//!   text is UTF-8 without NUL bytes, not NUL-terminated.
//! - Outputs are written only on success. Fixed-size secrets go into caller
//!   buffers with a NUL (`buffer::SecretBuffer`), checked before anything
//!   is committed; variable data comes back in library-owned objects with a
//!   `_free` that accepts NULL (`buffer::into_owned`).
//! - An `authkv_engine` handle is thread-safe; `authkv_open` of a file that
//!   is already open shares its engine (`handle.rs`).
//!
//! Adding an area (tokens, credentials, …) means one new file here that
//! follows `session.rs`: parse arguments with `slice.rs`, resolve the engine
//! with `handle::engine`, call the Rust API, write outputs last, and map any
//! new error enum in `status.rs` (the compiler asks for it).

// The header lists items in this order: basics, then the engine, then each
// area. (Blank lines keep rustfmt from sorting the groups.)
mod version;

mod status;

mod boundary;

mod options;

mod open_options;

mod handle;

mod engine;

mod buffer;

mod session;

mod csrf;

mod devices;

mod abilities;

mod token;

mod token_list;

mod token_limits;

mod credential;

mod remember;

mod guard;

mod cookie;

mod slice;

pub use abilities::{AUTHKV_ABILITIES_MAX, AUTHKV_ABILITY_MAX_LEN, authkv_abilities};
pub use boundary::{authkv_last_error, authkv_last_retry_after};
pub use buffer::{authkv_bytes, authkv_str, authkv_string, authkv_string_free};
pub use cookie::{authkv_cookie_clear_session, authkv_cookie_session, authkv_cookie_xsrf};
pub use credential::{
    AUTHKV_LOGIN_MAX_LEN, AUTHKV_PASSWORD_MAX_LEN, authkv_password_attempt, authkv_password_change,
    authkv_password_set, authkv_password_verify,
};
pub use csrf::{authkv_session_csrf_rotate, authkv_session_csrf_token, authkv_session_csrf_verify};
pub use devices::{
    AUTHKV_SESSION_HANDLE_LEN, AUTHKV_SESSION_HANDLE_SIZE, authkv_session_info,
    authkv_session_list, authkv_session_list_free, authkv_session_list_user, authkv_session_revoke,
    authkv_session_revoke_user,
};
pub use engine::{
    authkv_close, authkv_engine_stats, authkv_flush, authkv_gc, authkv_gc_report, authkv_open,
    authkv_set_time, authkv_stats, authkv_verify,
};
pub use guard::{
    AUTHKV_VIA_SESSION, AUTHKV_VIA_TOKEN, authkv_guard_authenticate,
    authkv_guard_authenticate_lean, authkv_principal, authkv_principal_free,
    authkv_principal_require, authkv_request,
};
pub use handle::authkv_engine;
pub use options::{
    AUTHKV_CREATE_IF_MISSING, AUTHKV_CREATE_IF_MISSING_OR_EMPTY, AUTHKV_CREATE_NEVER,
    AUTHKV_CSRF_EITHER, AUTHKV_CSRF_FETCH_METADATA, AUTHKV_CSRF_TOKEN, AUTHKV_SAME_SITE_LAX,
    AUTHKV_SAME_SITE_NONE, AUTHKV_SAME_SITE_STRICT, AUTHKV_TOKEN_PREFIX_MAX_LEN, authkv_options,
    authkv_options_default,
};
pub use remember::{
    AUTHKV_REMEMBER_TOKEN_LEN, AUTHKV_REMEMBER_TOKEN_SIZE, authkv_remember_consume,
    authkv_remember_create, authkv_remember_revoke_user,
};
pub use session::{
    AUTHKV_CSRF_TOKEN_LEN, AUTHKV_CSRF_TOKEN_SIZE, AUTHKV_SESSION_ID_LEN, AUTHKV_SESSION_ID_SIZE,
    authkv_session, authkv_session_create, authkv_session_destroy, authkv_session_free,
    authkv_session_invalidate, authkv_session_load, authkv_session_login,
    authkv_session_regenerate, authkv_session_save,
};
pub use status::{authkv_status, authkv_status_str};
pub use token::{
    AUTHKV_TOKEN_ID_MAX_LEN, AUTHKV_TOKEN_MAX_LEN, AUTHKV_TOKEN_MAX_SIZE, AUTHKV_TOKEN_SECRET_LEN,
    authkv_token, authkv_token_authenticate, authkv_token_can, authkv_token_cant,
    authkv_token_create, authkv_token_free, authkv_token_import_sanctum, authkv_token_prune,
    authkv_token_revoke, authkv_token_revoke_user,
};
pub use token_limits::{
    authkv_token_create_limited, authkv_token_get_limits, authkv_token_limits,
    authkv_token_set_limits,
};
pub use token_list::{
    authkv_token_info, authkv_token_list, authkv_token_list_free, authkv_token_list_user,
};
pub use version::{
    AUTHKV_VERSION_MAJOR, AUTHKV_VERSION_MINOR, AUTHKV_VERSION_NUMBER, AUTHKV_VERSION_PATCH,
    authkv_version, authkv_version_str,
};
