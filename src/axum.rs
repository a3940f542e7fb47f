//! authkv inside an [axum] 0.8 server (feature `axum`).
//!
//! * [`Authenticated`] — an extractor that runs [`Engine::authenticate`] on
//!   the request's headers (the `auth:sanctum` guard: session cookie with
//!   CSRF for first-party requests, bearer token otherwise) and hands the
//!   handler the [`Principal`], or answers 401, 419, 400 or 500 as Laravel
//!   does, with a JSON body `{"message": …}`.
//! * [`Authenticated::require`] / [`Authenticated::require_any`] — abilities
//!   for one route, answering 403.
//! * [`CurrentSession`] — the visitor's session from the cookie, logged in or
//!   not, with the CSRF token checked on writes: for `/login` and
//!   `/sanctum/csrf-cookie`.
//! * [`SessionCookies`] — the `Set-Cookie` headers for the session and
//!   `XSRF-TOKEN` cookies (or the clearing one), as a response part.
//! * [`ErrorResponse`] — the error answer, convertible from
//!   [`authkv::Error`](crate::Error) and [`GuardError`](crate::GuardError) so
//!   handlers can use `?`.
//! * [`run_blocking`], [`start_session`], [`login`], [`logout`],
//!   [`attempt`], [`create_token`], [`revoke_token`],
//!   [`revoke_other_sessions`] — the durable writes (an fsync each; an argon2
//!   verification for `attempt`) moved onto tokio's blocking pool so that
//!   they never stall the executor.
//!
//! Reads — authenticating a request, loading a session, listing tokens or
//! devices — take microseconds and write nothing (touches stay in memory),
//! so the extractors and the listing calls run inline on the executor.
//!
//! The engine comes from the router state: any state `S` with
//! `Arc<Engine>: FromRef<S>` (an `Arc<Engine>` itself, or an app state with a
//! `FromRef` impl). Only headers are read, never the body, so a `_token` form
//! field is not seen: SPAs send `X-XSRF-TOKEN` (or `X-CSRF-TOKEN`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use ::axum::{Router, routing::get};
//! use authkv::axum::{Authenticated, ErrorResponse};
//!
//! async fn orders(auth: Authenticated) -> Result<String, ErrorResponse> {
//!     auth.require(&["orders:read"])?; // 403 without the ability
//!     Ok(format!("orders of user {}", auth.user_id()))
//! }
//!
//! # fn app(engine: Arc<authkv::Engine>) -> Router {
//! Router::new().route("/api/orders", get(orders)).with_state(engine)
//! # }
//! ```
//!
//! [axum]: https://docs.rs/axum/0.8

use std::borrow::Cow;
use std::sync::Arc;

use ::axum::extract::{FromRef, FromRequestParts};
use ::axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN, REFERER};
use ::axum::http::request::Parts;
use ::axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::engine::Engine;
use crate::guard::http::{cookie_name, find_cookie, is_reading_method};
use crate::guard::{Principal, Request, Via};
use crate::secret::ct_eq;
use crate::session::Session;
use crate::session::auth::GuardSession;

mod blocking;
mod response;
#[cfg(test)]
mod tests;

pub use blocking::{
    attempt, create_token, login, logout, revoke_other_sessions, revoke_token, run_blocking,
    start_session,
};
pub use response::{ErrorResponse, SessionCookies};

/// The `X-CSRF-TOKEN` request header.
const X_CSRF_TOKEN: HeaderName = HeaderName::from_static("x-csrf-token");
/// The `X-XSRF-TOKEN` request header (the `XSRF-TOKEN` cookie echoed back).
const X_XSRF_TOKEN: HeaderName = HeaderName::from_static("x-xsrf-token");
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// The authenticated caller of a route, decided by [`Engine::authenticate`].
///
/// Rejections ([`ErrorResponse`]): 401 `Unauthenticated.` when neither a
/// logged-in first-party session nor a valid bearer token is presented,
/// 419 `CSRF token mismatch.` for a first-party write without the session's
/// token, 400 for a header that is not visible ASCII or breaks a parser
/// limit, 500 when the file cannot be read. Runs inline: the guard reads
/// and never writes.
#[derive(Clone, Debug)]
pub struct Authenticated(pub Principal);

impl Authenticated {
    /// Who is calling, with their abilities and what proved it.
    pub fn principal(&self) -> &Principal {
        &self.0
    }

    /// The authenticated user.
    pub fn user_id(&self) -> u64 {
        self.0.user_id
    }

    /// The session, when the caller authenticated by session cookie (its
    /// payload is not read: load it with `Engine::load_session`).
    pub fn session(&self) -> Option<&GuardSession> {
        match &self.0.via {
            Via::Session(session) => Some(session),
            Via::Token(_) => None,
        }
    }

    /// The token's id, when the caller authenticated by bearer token.
    pub fn token_id(&self) -> Option<u64> {
        match self.0.via {
            Via::Token(id) => Some(id),
            Via::Session(_) => None,
        }
    }

    /// Succeeds when the caller has every one of `abilities` (a session
    /// user has all of them; a token those it was created with).
    ///
    /// # Errors
    /// 403 `Invalid ability provided.` (Sanctum's message) otherwise.
    pub fn require(&self, abilities: &[&str]) -> Result<(), ErrorResponse> {
        Ok(self.0.require_abilities(abilities, &[])?)
    }

    /// Succeeds when the caller has at least one of `abilities`.
    ///
    /// # Errors
    /// 403 `Invalid ability provided.` otherwise.
    pub fn require_any(&self, abilities: &[&str]) -> Result<(), ErrorResponse> {
        Ok(self.0.require_abilities(&[], abilities)?)
    }
}

impl std::ops::Deref for Authenticated {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<S> FromRequestParts<S> for Authenticated
where
    Arc<Engine>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ErrorResponse;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ErrorResponse> {
        let engine = Arc::<Engine>::from_ref(state);
        let principal = with_guard_request(parts, |request| engine.authenticate(request))??;
        Ok(Authenticated(principal))
    }
}

/// The visitor's live session from the session cookie — anonymous or
/// logged in, `None` without a cookie or for an unknown or expired id —
/// with the CSRF token checked on writes, as Laravel's `web` middleware
/// does: for any method but GET, HEAD and OPTIONS, `X-CSRF-TOKEN` or
/// `X-XSRF-TOKEN` must equal the session's token (constant time), whatever
/// the Origin.
///
/// Use it where a visitor need not be logged in: a login route, the
/// `/sanctum/csrf-cookie` route. Rejections: 419 `CSRF token mismatch.` for
/// a write without a session or with a wrong token, 400 and 500 as
/// [`Authenticated`]. Runs inline: a load only touches in memory.
#[derive(Clone, Debug)]
pub struct CurrentSession(pub Option<Session>);

impl<S> FromRequestParts<S> for CurrentSession
where
    Arc<Engine>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ErrorResponse;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ErrorResponse> {
        let engine = Arc::<Engine>::from_ref(state);
        with_guard_request(parts, |request| current_session(&engine, request))?.map(CurrentSession)
    }
}

/// Load the session named by the request's cookie and check CSRF on writes.
fn current_session(
    engine: &Engine,
    request: &Request<'_>,
) -> Result<Option<Session>, ErrorResponse> {
    let guard = &engine.config().guard;
    let name = cookie_name(&guard.session_cookie, &guard.cookie);
    let session = match request.cookie {
        Some(header) => match find_cookie(header, &name)? {
            Some(id) => engine.load_session(id)?,
            None => None,
        },
        None => None,
    };
    if !is_reading_method(request.method) {
        let presented = request.csrf_token.or(request.xsrf_token).unwrap_or("");
        let matches = session.as_ref().is_some_and(|s| {
            !presented.is_empty() && ct_eq(s.csrf_token.expose().as_bytes(), presented.as_bytes())
        });
        if !matches {
            return Err(ErrorResponse::csrf_mismatch());
        }
    }
    Ok(session)
}

/// Build the guard's [`Request`] from the request head and hand it to `f`:
/// method, `Cookie` (several `Cookie` headers, as HTTP/2 may send, are
/// joined with `; `), `Authorization`, `Origin`, `Referer`, `Host` (else the
/// URI's authority), `X-CSRF-TOKEN` and `X-XSRF-TOKEN`. The form field
/// `_token` is never read. For servers that call the engine themselves, in
/// a middleware for instance.
///
/// # Errors
/// 400 `Bad Request.` when one of these headers is not visible ASCII.
pub fn with_guard_request<T>(
    parts: &Parts,
    f: impl FnOnce(&Request<'_>) -> T,
) -> Result<T, ErrorResponse> {
    let headers = &parts.headers;
    let cookie = joined_cookies(headers)?;
    let host = match header_str(headers, &HOST)? {
        Some(host) => Some(host),
        None => parts.uri.authority().map(|a| a.as_str()),
    };
    let request = Request {
        method: parts.method.as_str(),
        cookie: cookie.as_deref(),
        authorization: header_str(headers, &AUTHORIZATION)?,
        origin: header_str(headers, &ORIGIN)?,
        referer: header_str(headers, &REFERER)?,
        host,
        csrf_token: header_str(headers, &X_CSRF_TOKEN)?,
        xsrf_token: header_str(headers, &X_XSRF_TOKEN)?,
        form_token: None,
        sec_fetch_site: header_str(headers, &SEC_FETCH_SITE)?,
    };
    Ok(f(&request))
}

/// The first value of a header as text; 400 when it is not visible ASCII.
fn header_str<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'h str>, ErrorResponse> {
    headers
        .get(name)
        .map(|value| value.to_str().map_err(|_| ErrorResponse::bad_request()))
        .transpose()
}

/// Every `Cookie` header as one cookie-string; borrowed when there is one.
fn joined_cookies(headers: &HeaderMap) -> Result<Option<Cow<'_, str>>, ErrorResponse> {
    fn text(v: &HeaderValue) -> Result<&str, ErrorResponse> {
        v.to_str().map_err(|_| ErrorResponse::bad_request())
    }
    let mut values = headers.get_all(COOKIE).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    let first = text(first)?;
    let mut joined: Option<String> = None;
    for value in values {
        let all = joined.get_or_insert_with(|| first.to_owned());
        all.push_str("; ");
        all.push_str(text(value)?);
    }
    Ok(Some(joined.map_or(Cow::Borrowed(first), Cow::Owned)))
}
