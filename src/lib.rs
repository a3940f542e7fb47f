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

mod clock;
mod config;
mod engine;
mod error;
pub mod ffi;
mod gc;
pub mod http;
mod record;
mod secret;
mod session;
mod verify;

pub use clock::{Clock, ManualClock};
pub use config::Config;
pub use engine::{Engine, SCHEMA_VERSION, Stats};
pub use error::{Error, OpenError, Result, SessionError};
pub use gc::GcReport;
pub use session::{CsrfToken, Session, SessionId, SessionInfo};
pub use verify::VerifyReport;
