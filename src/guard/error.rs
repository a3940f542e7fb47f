//! Why the guard refused a request, each reason with its HTTP status.

use crate::guard::http::HttpError;

/// Why the guard refused a request. Each maps to an HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuardError {
    /// Neither a logged-in session nor a valid bearer token (401).
    Unauthenticated,
    /// A first-party write without the session's CSRF token (419).
    CsrfMismatch,
    /// Authenticated, but an ability is missing (403).
    Forbidden {
        /// The ability (or alternatives) that was required.
        missing: String,
    },
    /// A header broke a parser limit (400).
    BadRequest(HttpError),
    /// The action needs a recent proof of the password, which this
    /// principal lacks (423, Laravel's `password.confirm` for JSON).
    PasswordConfirmationRequired,
}

impl GuardError {
    /// The HTTP status a server should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            GuardError::Unauthenticated => 401,
            GuardError::CsrfMismatch => 419,
            GuardError::Forbidden { .. } => 403,
            GuardError::BadRequest(_) => 400,
            GuardError::PasswordConfirmationRequired => 423,
        }
    }
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuardError::Unauthenticated => {
                f.write_str("unauthenticated: no logged-in session and no valid bearer token")
            }
            GuardError::CsrfMismatch => f.write_str("CSRF token mismatch"),
            GuardError::Forbidden { missing } => write!(f, "forbidden: missing ability {missing}"),
            GuardError::BadRequest(e) => write!(f, "bad request: {e}"),
            GuardError::PasswordConfirmationRequired => {
                f.write_str("password confirmation required: confirm the password first")
            }
        }
    }
}

impl std::error::Error for GuardError {}

impl From<HttpError> for GuardError {
    fn from(e: HttpError) -> Self {
        GuardError::BadRequest(e)
    }
}
