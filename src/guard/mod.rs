//! The request guard: who is calling, decided from a request's raw headers
//! the way Laravel's `auth:sanctum` decides it — a first-party SPA by its
//! session cookie (with CSRF on writes), anyone else by a bearer token —
//! minus the holes of the original (the path-glob domain match, adopted
//! session ids, unchecked token checksums).

pub(crate) mod config;
mod csrf;
pub(crate) mod error;
mod fresh;
pub mod http;
mod principal;

pub use self::config::{CsrfMode, GuardConfig};
pub use self::error::GuardError;
pub use self::principal::{Principal, Request, Via};

use crate::engine::Engine;
use crate::error::Result;
use crate::guard::http::{
    CookieOptions, OriginView, bearer_token, cookie_name, find_cookie, is_reading_method,
    parse_origin_view, render_clear_cookie, render_set_cookie,
};
use crate::session::Session;
use crate::session::auth::GuardSession;
use crate::token::ability::Abilities;

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
    /// [`GuardError::BadRequest`] (as [`crate::Error::Guard`]); storage errors.
    pub fn authenticate(&self, request: &Request<'_>) -> Result<Principal> {
        if self.is_first_party(request)? {
            let session = self.cookie_session(request)?;
            if !is_reading_method(request.method) && !self.csrf_passes(request, session.as_ref())? {
                return Err(GuardError::CsrfMismatch.into());
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

    /// The live session the request's session cookie names, if any.
    fn cookie_session(&self, request: &Request<'_>) -> Result<Option<GuardSession>> {
        let guard = &self.core.config.guard;
        // The name on the wire: `__Host-` in front when configured, as
        // `session_set_cookie` renders it.
        let name = cookie_name(&guard.session_cookie, &guard.cookie);
        match request.cookie {
            Some(header) => match find_cookie(header, &name).map_err(GuardError::from)? {
                Some(id) => self.guard_session(id),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// The guard's CSRF check alone, for a route outside the guard (a login
    /// form posting before anyone is authenticated): a GET, HEAD or
    /// OPTIONS passes; any other method must pass the configured
    /// `GuardConfig::csrf` mode against the session its cookie names — the
    /// token, Fetch Metadata, or either.
    ///
    /// # Errors
    /// [`GuardError::CsrfMismatch`] (419) or [`GuardError::BadRequest`] (as
    /// [`crate::Error::Guard`]); storage errors.
    pub fn verify_request_csrf(&self, request: &Request<'_>) -> Result<()> {
        if is_reading_method(request.method) {
            return Ok(());
        }
        let session = self.cookie_session(request)?;
        if self.csrf_passes(request, session.as_ref())? {
            Ok(())
        } else {
            Err(GuardError::CsrfMismatch.into())
        }
    }

    /// Whether the Referer (else the Origin) names a stateful domain.
    fn is_first_party(&self, request: &Request<'_>) -> Result<bool> {
        self.names_stateful_domain(request.referer.or(request.origin), request.host)
    }

    /// Whether `source` (an Origin or Referer value) names a stateful
    /// domain, or the request's own host when that counts as one.
    pub(crate) fn names_stateful_domain(
        &self,
        source: Option<&str>,
        host: Option<&str>,
    ) -> Result<bool> {
        let guard = &self.core.config.guard;
        let Some(source) = source else {
            return Ok(false);
        };
        let Some(origin) = parse_origin_view(source).map_err(GuardError::from)? else {
            return Ok(false);
        };
        Ok(guard.stateful_domains.matches_view(&origin)
            || (guard.same_host_is_stateful && names_host(&origin, host)))
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
