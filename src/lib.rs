//! authkv keeps the server side of web authentication — sessions, CSRF
//! tokens, personal access tokens, password credentials and login throttles —
//! in one redb file inside the application's process.
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

mod ability;
#[cfg(feature = "axum")]
pub mod axum;
mod backup;
mod cache;
mod checksum;
mod clock;
mod config;
mod crc32;
mod credential;
mod engine;
mod error;
mod export;
pub mod ffi;
mod gc;
mod group_commit;
mod guard;
mod housekeeping;
pub mod http;
mod import;
mod migrate;
mod password;
mod processes;
mod record;
mod remember;
mod secret;
mod session;
mod session_auth;
mod store;
mod throttle;
mod token;
mod token_auth;
mod token_format;
mod token_prune;
mod verify;

pub use ability::{Abilities, WILDCARD};
pub use clock::{Clock, ManualClock};
pub use config::{Concurrency, Config, Create};
pub use credential::{AttemptOutcome, MAX_LOGIN_LEN, MAX_PASSWORD_LEN};
pub use engine::{Engine, SCHEMA_VERSION, Stats};
pub use error::{CredentialError, Error, OpenError, RejectedRow, Result, SessionError, TokenError};
pub use export::{Exported, ExportedCredential, ExportedSession, ExportedToken};
pub use gc::GcReport;
pub use guard::{GuardConfig, GuardError, Principal, Request, Via};
pub use import::{LaravelSession, SanctumToken};
pub use password::PasswordParams;
pub use remember::{RememberOutcome, RememberToken};
pub use session::{CsrfToken, Session, SessionId, SessionInfo};
pub use session_auth::GuardSession;
pub use token::{AuthenticatedToken, NewToken, PlainTextToken, TokenInfo};
pub use verify::VerifyReport;

/// Internals the benches time on their own; not part of the API.
#[doc(hidden)]
pub mod bench_support {
    /// The CRC-32C every stored record is sealed with and checked against.
    pub fn record_checksum(bytes: &[u8]) -> u32 {
        crate::checksum::crc32c(bytes)
    }
}

/// Internals reachable only from the fuzz targets (`--cfg fuzzing`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    /// Validate and decode arbitrary bytes as a stored session record.
    pub fn decode_session(bytes: &[u8]) -> bool {
        crate::record::decode_session(bytes).is_ok()
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
        crate::token_format::parse(text, prefix, allow_legacy).map(|t| (t.id, t.secret))
    }

    /// Lowercase hex CRC-32 (PHP's `crc32b`) of `bytes`.
    pub fn crc32b_hex(bytes: &[u8]) -> String {
        String::from_utf8_lossy(&crate::crc32::crc32b_hex(bytes)).into_owned()
    }
}
