//! What the axum integration answers: errors in Laravel's JSON shape, and
//! the `Set-Cookie` headers of the session and `XSRF-TOKEN` cookies.

use std::borrow::Cow;
use std::convert::Infallible;

use ::axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, SET_COOKIE};
use ::axum::http::{HeaderMap, HeaderValue, StatusCode};
use ::axum::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};

use crate::engine::Engine;
use crate::error::{CredentialError, Error, SessionError, TokenError};
use crate::guard::GuardError;
use crate::guard::http::HttpError;
use crate::session::Session;

/// Laravel's status for a CSRF mismatch ("Page Expired"); http has no name
/// for it.
const PAGE_EXPIRED: StatusCode = match StatusCode::from_u16(419) {
    Ok(status) => status,
    Err(_) => panic!("419 is a valid status code"),
};

/// An error answer: a status and a JSON body `{"message": "…"}`, with
/// `"errors": {"field": ["…"]}` for a validation failure (422) and a
/// `Retry-After` header for 429, the way Laravel renders its exceptions.
///
/// `From<authkv::Error>` and `From<GuardError>` pick the status, so
/// handlers returning `Result<_, ErrorResponse>` can use `?` on engine
/// calls. A storage or internal failure becomes 500 `Server Error.`; its
/// cause is kept in [`ErrorResponse::detail`] for the server's logs and is
/// never sent to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorResponse {
    status: StatusCode,
    message: Cow<'static, str>,
    field: Option<Cow<'static, str>>,
    retry_after: Option<u64>,
    detail: Option<String>,
}

impl ErrorResponse {
    /// Any status with a message.
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
            field: None,
            retry_after: None,
            detail: None,
        }
    }

    /// 400 `Bad Request.`: a header the guard cannot read.
    pub fn bad_request() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad Request.")
    }

    /// 401 `Unauthenticated.`
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthenticated.")
    }

    /// 403 `Invalid ability provided.` (Sanctum's missing-ability answer).
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Invalid ability provided.")
    }

    /// 423 `Password confirmation required.` (Laravel's `password.confirm`
    /// answer to a JSON request).
    pub fn password_confirmation_required() -> Self {
        Self::new(StatusCode::LOCKED, "Password confirmation required.")
    }

    /// 404 `Not Found.`
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found.")
    }

    /// 419 `CSRF token mismatch.`
    pub fn csrf_mismatch() -> Self {
        Self::new(PAGE_EXPIRED, "CSRF token mismatch.")
    }

    /// 422 with `message` for one input `field`, in Laravel's validation
    /// shape: `{"message": m, "errors": {field: [m]}}`.
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, message);
        e.field = Some(field.into());
        e
    }

    /// 429 with `Retry-After: retry_after` and Laravel's login-throttle
    /// message, for `field` (the login input).
    pub fn too_many_attempts(field: impl Into<Cow<'static, str>>, retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many login attempts. Please try again in {retry_after} seconds."),
        );
        e.field = Some(field.into());
        e.retry_after = Some(retry_after);
        e
    }

    /// 429 `Too Many Attempts.` (Laravel's `ThrottleRequests` answer), with
    /// `Retry-After` when the wait is known: a token over its rate limit
    /// or quota.
    pub fn too_many_requests(retry_after: Option<u64>) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
        e.retry_after = retry_after;
        e
    }

    /// 500 `Server Error.`, keeping `detail` for the server only.
    pub fn server_error(detail: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Server Error.");
        e.detail = Some(detail.into());
        e
    }

    /// The status answered.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message sent as `"message"`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The cause of a 500, for logs; never sent.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The JSON body.
    fn body(&self) -> String {
        let mut body = String::from("{\"message\":");
        push_json_string(&mut body, &self.message);
        if let Some(field) = &self.field {
            body.push_str(",\"errors\":{");
            push_json_string(&mut body, field);
            body.push_str(":[");
            push_json_string(&mut body, &self.message);
            body.push_str("]}");
        }
        body.push('}');
        body
    }
}

impl std::fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ErrorResponse {}

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body()).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<GuardError> for ErrorResponse {
    fn from(e: GuardError) -> Self {
        match e {
            GuardError::Unauthenticated => Self::unauthenticated(),
            GuardError::CsrfMismatch => Self::csrf_mismatch(),
            GuardError::Forbidden { .. } => Self::forbidden(),
            GuardError::BadRequest(_) => Self::bad_request(),
            GuardError::PasswordConfirmationRequired => Self::password_confirmation_required(),
        }
    }
}

impl From<HttpError> for ErrorResponse {
    fn from(_: HttpError) -> Self {
        Self::bad_request()
    }
}

impl From<Error> for ErrorResponse {
    /// Refused input becomes 422 naming the field, a session gone since
    /// the request was read 419 (the client fetches a fresh CSRF cookie, as
    /// after Laravel's "Page Expired"), an unknown device handle 404, a
    /// version conflict 409, an oversized payload 413, a token over its
    /// rate limit or quota 429 with `Retry-After`, guard errors their own
    /// status, and everything else 500.
    fn from(e: Error) -> Self {
        match e {
            Error::Guard(e) => e.into(),
            Error::Session(SessionError::NotFound) => Self::csrf_mismatch(),
            Error::Session(SessionError::UnknownHandle | SessionError::MalformedHandle) => {
                Self::not_found()
            }
            Error::Session(SessionError::Conflict { .. }) => {
                Self::new(StatusCode::CONFLICT, "The session changed meanwhile.")
            }
            Error::Session(SessionError::PayloadTooLarge { .. }) => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large.")
            }
            Error::Credential(e) => match e {
                CredentialError::EmptyLogin => {
                    Self::invalid("login", "The login field is required.")
                }
                CredentialError::LoginTooLong { max, .. } => Self::invalid(
                    "login",
                    format!("The login field must not be greater than {max} characters."),
                ),
                CredentialError::EmptyPassword => {
                    Self::invalid("password", "The password field is required.")
                }
                CredentialError::PasswordTooLong { max, .. } => Self::invalid(
                    "password",
                    format!("The password field must not be greater than {max} characters."),
                ),
                CredentialError::LoginTaken { .. } => {
                    Self::invalid("login", "The login has already been taken.")
                }
                other => Self::server_error(other.to_string()),
            },
            Error::Token(e) => match e {
                TokenError::EmptyName => Self::invalid("name", "The name field is required."),
                TokenError::NameTooLong { max, .. } => Self::invalid(
                    "name",
                    format!("The name field must not be greater than {max} characters."),
                ),
                TokenError::TooManyAbilities { max, .. } => Self::invalid(
                    "abilities",
                    format!("The abilities field must not have more than {max} items."),
                ),
                e @ (TokenError::EmptyAbility { .. } | TokenError::AbilityTooLong { .. }) => {
                    Self::invalid("abilities", format!("Invalid ability: {e}."))
                }
                TokenError::RateLimited { retry_after } => {
                    Self::too_many_requests(Some(retry_after))
                }
                TokenError::QuotaExhausted { retry_after } => Self::too_many_requests(retry_after),
                e @ TokenError::InvalidLimits { .. } => Self::invalid("limits", format!("{e}.")),
                other => Self::server_error(other.to_string()),
            },
            other => Self::server_error(other.to_string()),
        }
    }
}

/// Append `s` to `out` as a JSON string literal.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `Set-Cookie` headers for a response: the session cookie (HttpOnly) and
/// the script-readable `XSRF-TOKEN` cookie of a session, or the header that
/// clears the session cookie. Return it as a response part —
/// `(cookies, StatusCode::NO_CONTENT)` — or [`SessionCookies::append_to`]
/// a header map. Attributes come from `Config::guard`; Laravel sends both
/// cookies again whenever the session changes id (login, logout).
///
/// In a response tuple, put it after any header array: axum's
/// `[(SET_COOKIE, …)]` part replaces earlier `Set-Cookie` headers, while
/// this part appends.
#[derive(Clone, Debug)]
pub struct SessionCookies(Vec<HeaderValue>);

impl SessionCookies {
    /// The session cookie ([`Engine::session_set_cookie`]) and the
    /// `XSRF-TOKEN` cookie ([`Engine::xsrf_set_cookie`]) of `session`.
    ///
    /// # Errors
    /// 500 when the configured cookie name or attributes cannot be rendered.
    pub fn issue(engine: &Engine, session: &Session) -> Result<Self, ErrorResponse> {
        Ok(Self(vec![
            header_value(engine.session_set_cookie(session))?,
            header_value(engine.xsrf_set_cookie(session))?,
        ]))
    }

    /// The header that removes the session cookie
    /// ([`Engine::clear_session_cookie`]), for a session destroyed outright.
    /// The `XSRF-TOKEN` cookie is left: without its session it matches
    /// nothing.
    ///
    /// # Errors
    /// As [`SessionCookies::issue`].
    pub fn clear(engine: &Engine) -> Result<Self, ErrorResponse> {
        Ok(Self(vec![header_value(engine.clear_session_cookie())?]))
    }

    /// Append the headers to `headers`, keeping any `Set-Cookie` already
    /// there, and mark the response `Cache-Control: no-store` so that no
    /// cache keeps a session id.
    pub fn append_to(&self, headers: &mut HeaderMap) {
        for value in &self.0 {
            headers.append(SET_COOKIE, value.clone());
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

impl IntoResponseParts for SessionCookies {
    type Error = Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Infallible> {
        self.append_to(res.headers_mut());
        Ok(res)
    }
}

/// A rendered `Set-Cookie` value as a header. A rendering failure is the
/// server's configuration, never the client's fault: 500.
fn header_value(rendered: crate::Result<String>) -> Result<HeaderValue, ErrorResponse> {
    let rendered = rendered.map_err(|e| ErrorResponse::server_error(format!("Set-Cookie: {e}")))?;
    HeaderValue::try_from(rendered)
        .map_err(|e| ErrorResponse::server_error(format!("Set-Cookie value: {e}")))
}
