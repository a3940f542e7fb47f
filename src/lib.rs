//! authkv keeps the server side of web authentication — sessions, CSRF
//! tokens, personal access tokens, password credentials and login throttles —
//! in one redb file inside the application's process, or, for several hosts,
//! in a PostgreSQL database they share ([`Engine::open_postgres`], with the
//! `postgres` feature).
//!
//! ```no_run
//! use authkv::{Config, Engine};
//! # fn main() -> authkv::Result<()> {
//! let engine = Engine::open("app.redb", Config::default())?;
//! let visitor = engine.create_session("203.0.113.9", "Mozilla/5.0")?;
//! let user = engine.login(visitor.id.expose(), 42)?; // the id rotates
//! let again = engine.load_session(user.id.expose())?.expect("live session");
//! assert_eq!(again.user_id, Some(42));
//! # Ok(()) }
//! ```

// Layers, top to bottom: the faces (`ffi`, `axum`, the CLI) → `guard` →
// the rules (`session`, `token`, `credential`) → `engine` (caches,
// configuration, housekeeping) → `store` (the storage boundary, with one
// folder per backend); `error`, `secret` and `processes` serve them all.
#[cfg(feature = "axum")]
pub mod axum;
mod crc32;
mod credential;
mod engine;
mod error;
pub mod ffi;
mod guard;
mod processes;
mod secret;
mod session;
mod store;
mod token;

pub use credential::confirm::ConfirmOutcome;
pub use credential::password::PasswordParams;
pub use credential::remember::{RememberOutcome, RememberToken};
pub use credential::{AttemptOutcome, MAX_LOGIN_LEN, MAX_PASSWORD_LEN};
pub use engine::clock::{Clock, ManualClock};
pub use engine::config::{Concurrency, Config, Create};
pub use engine::export::{Exported, ExportedCredential, ExportedSession, ExportedToken};
pub use engine::gc::GcReport;
pub use engine::import::{LaravelSession, SanctumToken};
pub use engine::{Engine, Stats};
pub use error::{CredentialError, Error, OpenError, RejectedRow, Result, SessionError, TokenError};
pub use guard::http;
pub use guard::{CsrfMode, GuardConfig, GuardError, Principal, Request, Via};
pub use session::auth::GuardSession;
pub use session::{CsrfToken, Session, SessionId, SessionInfo};
pub use store::redb::SCHEMA_VERSION;
pub use store::verify_report::VerifyReport;
pub use token::ability::{Abilities, WILDCARD};
pub use token::limits::{Quota, RateLimit, TokenLimits};
pub use token::{AuthenticatedToken, NewToken, PlainTextToken, TokenInfo};

/// Internals the benches time on their own; not part of the API.
#[doc(hidden)]
pub mod bench_support {
    /// The CRC-32C every stored record is sealed with and checked against.
    pub fn record_checksum(bytes: &[u8]) -> u32 {
        crate::store::redb::checksum::crc32c(bytes)
    }
}

/// Internals reachable only from the fuzz targets (`--cfg fuzzing`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    /// Validate and decode arbitrary bytes as a stored session record.
    pub fn decode_session(bytes: &[u8]) -> bool {
        crate::store::record::decode_session(bytes).is_ok()
    }

    /// The digest of a session id, `None` when the id is malformed.
    pub fn session_digest(id: &str) -> Option<[u8; 32]> {
        crate::session::session_digest(id)
    }

    /// The strict token parse: `(id, secret)` when `text` could be genuine.
    pub fn parse_token<'a>(
        text: &'a str,
        prefix: &str,
        allow_legacy: bool,
    ) -> Option<(Option<u64>, &'a str)> {
        crate::token::format::parse(text, prefix, allow_legacy).map(|t| (t.id, t.secret))
    }

    /// Lowercase hex CRC-32 (PHP's `crc32b`) of `bytes`.
    pub fn crc32b_hex(bytes: &[u8]) -> String {
        String::from_utf8_lossy(&crate::crc32::crc32b_hex(bytes)).into_owned()
    }
}

/// The README's Rust examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
