//! The request guard: who is calling, decided from a request's raw headers
//! the way Laravel's `auth:sanctum` decides it — a first-party SPA by its
//! session cookie (with CSRF on writes), anyone else by a bearer token —
//! minus the holes of the original (the path-glob domain match, adopted
//! session ids, unchecked token checksums).

use crate::ability::Abilities;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::http::{
    CookieOptions, HttpError, OriginView, StatefulDomains, bearer_token, cookie_name, find_cookie,
    is_reading_method, parse_origin_view, render_clear_cookie, render_set_cookie,
};
use crate::secret::ct_eq;
use crate::session::Session;
use crate::session_auth::GuardSession;

/// How the guard recognises first-party requests and names its cookies.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GuardConfig {
    /// Origins whose requests are authenticated by session cookie.
    /// Default: Sanctum's list (`localhost`, `localhost:3000`, `127.0.0.1`,
    /// `127.0.0.1:8000`, `::1`).
    pub stateful_domains: StatefulDomains,
    /// Also treat a Referer/Origin naming the request's own `Host` as
    /// first-party (a same-origin SPA). Default false, as Sanctum.
    pub same_host_is_stateful: bool,
    /// Name of the session cookie. Default `authkv_session`.
    pub session_cookie: String,
    /// Name of the script-readable CSRF cookie. Default `XSRF-TOKEN`.
    pub xsrf_cookie: String,
    /// Attributes shared by both cookies. `max_age` is ignored: it follows
    /// the idle lifetime, or is absent when `expire_on_close` is set.
    pub cookie: CookieOptions,
    /// Send the session cookie without Max-Age, so the browser drops it
    /// when it closes. Default false.
    pub expire_on_close: bool,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            stateful_domains: StatefulDomains::laravel_defaults(),
            same_host_is_stateful: false,
            session_cookie: "authkv_session".into(),
            xsrf_cookie: "XSRF-TOKEN".into(),
            cookie: CookieOptions::default(),
            expire_on_close: false,
        }
    }
}

/// The parts of an HTTP request the guard reads, borrowed from the server's
/// own request type. Absent headers are `None`.
#[derive(Clone, Copy, Default)]
pub struct Request<'a> {
    /// The method, as sent (`GET`, `POST`, …).
    pub method: &'a str,
    /// The `Cookie` header.
    pub cookie: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// The `Referer` header.
    pub referer: Option<&'a str>,
    /// The `Host` header.
    pub host: Option<&'a str>,
    /// The `X-CSRF-TOKEN` header.
    pub csrf_token: Option<&'a str>,
    /// The `X-XSRF-TOKEN` header (the `XSRF-TOKEN` cookie echoed by scripts).
    pub xsrf_token: Option<&'a str>,
    /// The `_token` form field, when the server parsed the body.
    pub form_token: Option<&'a str>,
}

impl std::fmt::Debug for Request<'_> {
    /// Shows whether each secret-bearing header is present, never its value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let present = |h: Option<&str>| h.map(|_| "<present>");
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("cookie", &present(self.cookie))
            .field("authorization", &present(self.authorization))
            .field("origin", &self.origin)
            .field("referer", &self.referer)
            .field("host", &self.host)
            .field("csrf_token", &present(self.csrf_token))
            .field("xsrf_token", &present(self.xsrf_token))
            .field("form_token", &present(self.form_token))
            .finish()
    }
}

/// How a principal authenticated.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Via {
    /// By session cookie; the session as the guard read it (load its
    /// payload with [`Engine::load_session`] when a route needs it).
    Session(GuardSession),
    /// By bearer token; the token's id.
    Token(u64),
}

/// Who is calling, and what they may do.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Principal {
    /// The authenticated user.
    pub user_id: u64,
    /// Everything for a session user; the token's abilities otherwise.
    pub abilities: Abilities,
    /// The session or token that proved it.
    pub via: Via,
}

impl Principal {
    /// Succeeds when the principal has every ability in `all` and, when
    /// `any` is not empty, at least one in `any`.
    ///
    /// # Errors
    /// [`GuardError::Forbidden`] naming the first missing ability (or, for
    /// `any`, the whole list).
    pub fn require_abilities(&self, all: &[&str], any: &[&str]) -> Result<(), GuardError> {
        if let Some(missing) = all.iter().find(|a| self.abilities.cant(a)) {
            return Err(GuardError::Forbidden {
                missing: (*missing).to_owned(),
            });
        }
        if !any.is_empty() && !self.abilities.can_any(any) {
            return Err(GuardError::Forbidden {
                missing: any.join(" or "),
            });
        }
        Ok(())
    }
}

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
}

impl GuardError {
    /// The HTTP status a server should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            GuardError::Unauthenticated => 401,
            GuardError::CsrfMismatch => 419,
            GuardError::Forbidden { .. } => 403,
            GuardError::BadRequest(_) => 400,
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
        }
    }
}

impl std::error::Error for GuardError {}

impl From<HttpError> for GuardError {
    fn from(e: HttpError) -> Self {
        GuardError::BadRequest(e)
    }
}

impl Engine {
    /// Decide who sent `request`.
    ///
    /// 1. First-party (the Referer, else the Origin, names a stateful
    ///    domain): for methods other than GET, HEAD and OPTIONS the
    ///    `_token` field, else `X-CSRF-TOKEN`, else `X-XSRF-TOKEN` must equal
    ///    the session's CSRF token (constant time) — bearer requests
    ///    included. A session with a user gives that user, all abilities.
    /// 2. Otherwise, or without a logged-in session, the bearer token gives
    ///    the token's user with the token's abilities.
    ///
    /// # Errors
    /// [`GuardError::CsrfMismatch`], [`GuardError::Unauthenticated`] or
    /// [`GuardError::BadRequest`] (as [`Error::Guard`]); storage errors.
    pub fn authenticate(&self, request: &Request<'_>) -> Result<Principal> {
        let guard = &self.core.config.guard;
        if self.is_first_party(request)? {
            // The name on the wire: `__Host-` in front when configured, as
            // `session_set_cookie` renders it.
            let name = cookie_name(&guard.session_cookie, &guard.cookie);
            let session = match request.cookie {
                Some(header) => match find_cookie(header, &name).map_err(GuardError::from)? {
                    Some(id) => self.guard_session(id)?,
                    None => None,
                },
                None => None,
            };
            if !is_reading_method(request.method) {
                let presented = request
                    .form_token
                    .or(request.csrf_token)
                    .or(request.xsrf_token)
                    .unwrap_or("");
                let matches = session.as_ref().is_some_and(|s| {
                    !presented.is_empty() && ct_eq(s.csrf_token().as_bytes(), presented.as_bytes())
                });
                if !matches {
                    return Err(GuardError::CsrfMismatch.into());
                }
            }
            if let Some(session) = session
                && let Some(user_id) = session.user_id
            {
                return Ok(Principal {
                    user_id,
                    abilities: Abilities::all(),
                    via: Via::Session(session),
                });
            }
        }
        let token = match request.authorization {
            Some(header) => bearer_token(header).map_err(GuardError::from)?,
            None => None,
        };
        if let Some(text) = token
            && let Some(token) = self.authenticate_token(text)?
        {
            return Ok(Principal {
                user_id: token.user_id,
                abilities: token.abilities,
                via: Via::Token(token.id),
            });
        }
        Err(GuardError::Unauthenticated.into())
    }

    /// Whether the Referer (else the Origin) names a stateful domain.
    fn is_first_party(&self, request: &Request<'_>) -> Result<bool> {
        let guard = &self.core.config.guard;
        let Some(source) = request.referer.or(request.origin) else {
            return Ok(false);
        };
        let Some(origin) = parse_origin_view(source).map_err(GuardError::from)? else {
            return Ok(false);
        };
        Ok(guard.stateful_domains.matches_view(&origin)
            || (guard.same_host_is_stateful && names_host(&origin, request.host)))
    }

    /// The `Set-Cookie` value carrying this session's id.
    ///
    /// # Errors
    /// [`GuardError::BadRequest`] when the configured cookie name or
    /// attributes are invalid.
    pub fn session_set_cookie(&self, session: &Session) -> Result<String> {
        self.render_session_cookie(session.id.expose())
    }

    /// The `Set-Cookie` value of the script-readable `XSRF-TOKEN` cookie.
    ///
    /// # Errors
    /// As [`Engine::session_set_cookie`].
    pub fn xsrf_set_cookie(&self, session: &Session) -> Result<String> {
        self.render_xsrf_cookie(session.csrf_token.expose())
    }

    /// The session cookie for the session id `id`, for callers (the C ABI)
    /// that hold the id rather than a loaded [`Session`].
    pub(crate) fn render_session_cookie(&self, id: &str) -> Result<String> {
        let opts = self.cookie_options();
        Ok(
            render_set_cookie(&self.core.config.guard.session_cookie, id, &opts, true)
                .map_err(GuardError::from)?,
        )
    }

    /// The `XSRF-TOKEN` cookie for the CSRF token `token`.
    pub(crate) fn render_xsrf_cookie(&self, token: &str) -> Result<String> {
        let opts = self.cookie_options();
        Ok(
            render_set_cookie(&self.core.config.guard.xsrf_cookie, token, &opts, false)
                .map_err(GuardError::from)?,
        )
    }

    /// The `Set-Cookie` value that removes the session cookie at logout.
    ///
    /// # Errors
    /// As [`Engine::session_set_cookie`].
    pub fn clear_session_cookie(&self) -> Result<String> {
        let opts = self.cookie_options();
        Ok(
            render_clear_cookie(&self.core.config.guard.session_cookie, &opts, true)
                .map_err(GuardError::from)?,
        )
    }

    fn cookie_options(&self) -> CookieOptions {
        let config = &self.core.config;
        let mut opts = config.guard.cookie.clone();
        opts.max_age = (!config.guard.expire_on_close).then_some(config.idle_lifetime.as_secs());
        opts
    }
}

/// Whether `origin` is the request's own `Host` (`host[:port]`).
fn names_host(origin: &OriginView<'_>, host: Option<&str>) -> bool {
    let Some(host) = host else {
        return false;
    };
    let scheme = origin.scheme.as_str();
    let url = format!("{scheme}://{host}");
    matches!(parse_origin_view(&url), Ok(Some(own)) if own.same_as(origin))
}

impl From<GuardError> for Error {
    fn from(e: GuardError) -> Self {
        Error::Guard(e)
    }
}
