//! The request guard (`auth:sanctum`) and the Set-Cookie values a response
//! sends. The guard is the hot path of every request: it answers a
//! session user as a bare number, so that the common case creates no
//! object on the way back.

use authkv::http::{
    CookieOptions, cookie_name, find_cookie, render_clear_cookie, render_set_cookie,
};
use authkv::{Engine, Error, GuardError, Request, Via};
use napi::bindgen_prelude::Either;
use napi_derive::napi;

use crate::convert::{Id, MAX_SAFE_INTEGER};
use crate::engine::NativeEngine;
use crate::errors::{invalid, js};

/// What `guard` answers for "no session user and no valid bearer token".
const UNAUTHENTICATED: f64 = -1.0;
/// What `guard` answers for a first-party write without its CSRF token.
const CSRF_MISMATCH: f64 = -2.0;

/// A principal that is not a plain session user: a token's, or a session
/// user whose id needs a bigint.
#[napi(object)]
pub struct PrincipalObject {
    /// `"session"` or `"token"`.
    pub via: String,
    pub user_id: Id,
    pub token_id: Option<Id>,
    pub abilities: Vec<String>,
}

/// The attributes of the session and `XSRF-TOKEN` cookies.
#[napi(object)]
pub struct CookieSettings {
    pub secure: bool,
    /// `"lax"`, `"strict"` or `"none"`.
    pub same_site: String,
    pub path: String,
    pub domain: Option<String>,
    /// Seconds; absent for a cookie that ends with the browser session.
    pub max_age: Option<Id>,
}

/// Decide who sent `request`: a number ≥ 0 is the user of the session
/// cookie (all abilities); -1 is unauthenticated, -2 a CSRF mismatch; an
/// object is a token's principal (or a session user above 2^53 - 1).
pub fn decide(e: &Engine, request: &Request<'_>) -> napi::Result<Either<f64, PrincipalObject>> {
    match e.authenticate(request) {
        Ok(principal) => Ok(match principal.via {
            Via::Session(_) if principal.user_id <= MAX_SAFE_INTEGER => {
                Either::A(principal.user_id as f64)
            }
            Via::Session(_) => Either::B(PrincipalObject {
                via: "session".into(),
                user_id: Id(principal.user_id),
                token_id: None,
                abilities: principal.abilities.as_slice().to_vec(),
            }),
            Via::Token(id) => Either::B(PrincipalObject {
                via: "token".into(),
                user_id: Id(principal.user_id),
                token_id: Some(Id(id)),
                abilities: principal.abilities.as_slice().to_vec(),
            }),
            _ => Either::A(UNAUTHENTICATED),
        }),
        Err(Error::Guard(GuardError::Unauthenticated)) => Ok(Either::A(UNAUTHENTICATED)),
        Err(Error::Guard(GuardError::CsrfMismatch)) => Ok(Either::A(CSRF_MISMATCH)),
        Err(other) => js(Err(other)),
    }
}

/// The guard's CSRF check alone, in the engine's `csrfMode`: `true` when
/// `request` passes (any GET, HEAD or OPTIONS does), `false` for a CSRF
/// mismatch; a header the parser refuses is an `InvalidArgument`.
pub fn csrf_passes(e: &Engine, request: &Request<'_>) -> napi::Result<bool> {
    match e.verify_request_csrf(request) {
        Ok(()) => Ok(true),
        Err(Error::Guard(GuardError::CsrfMismatch)) => Ok(false),
        Err(other) => js(Err(other)),
    }
}

fn cookie_options(engine: &Engine) -> CookieOptions {
    let config = engine.config();
    let mut opts = config.guard.cookie.clone();
    opts.max_age = (!config.guard.expire_on_close).then_some(config.idle_lifetime.as_secs());
    opts
}

#[napi]
impl NativeEngine {
    /// The session id the guard reads from a `Cookie` header, or `null`.
    #[napi]
    pub fn session_id_from_cookie(&self, header: String) -> napi::Result<Option<String>> {
        self.with(|e| {
            let guard = &e.config().guard;
            let name = cookie_name(&guard.session_cookie, &guard.cookie);
            find_cookie(&header, &name)
                .map(|id| id.map(str::to_owned))
                .map_err(|err| invalid(format!("Cookie header: {err}")))
        })
    }

    /// The session cookie's name as sent (with `__Host-` when configured).
    #[napi(getter)]
    pub fn session_cookie_name(&self) -> napi::Result<String> {
        self.with(|e| {
            let guard = &e.config().guard;
            Ok(cookie_name(&guard.session_cookie, &guard.cookie).into_owned())
        })
    }

    /// The `XSRF-TOKEN` cookie's name as sent.
    #[napi(getter)]
    pub fn xsrf_cookie_name(&self) -> napi::Result<String> {
        self.with(|e| {
            let guard = &e.config().guard;
            Ok(cookie_name(&guard.xsrf_cookie, &guard.cookie).into_owned())
        })
    }

    /// The attributes both cookies are rendered with.
    #[napi(getter)]
    pub fn cookie_settings(&self) -> napi::Result<CookieSettings> {
        self.with(|e| {
            let opts = cookie_options(e);
            Ok(CookieSettings {
                secure: opts.secure,
                same_site: opts.same_site.as_str().to_ascii_lowercase(),
                path: opts.path,
                domain: opts.domain,
                max_age: opts.max_age.map(Id),
            })
        })
    }

    /// The `Set-Cookie` value carrying a session id (HttpOnly).
    #[napi]
    pub fn session_cookie(&self, id: String) -> napi::Result<String> {
        self.with(|e| {
            render_set_cookie(
                &e.config().guard.session_cookie,
                &id,
                &cookie_options(e),
                true,
            )
            .map_err(|err| invalid(format!("session cookie: {err}")))
        })
    }

    /// The `Set-Cookie` value of the script-readable `XSRF-TOKEN` cookie.
    #[napi]
    pub fn xsrf_cookie(&self, token: String) -> napi::Result<String> {
        self.with(|e| {
            render_set_cookie(
                &e.config().guard.xsrf_cookie,
                &token,
                &cookie_options(e),
                false,
            )
            .map_err(|err| invalid(format!("XSRF-TOKEN cookie: {err}")))
        })
    }

    /// The `Set-Cookie` value that removes the session cookie.
    #[napi]
    pub fn clear_session_cookie(&self) -> napi::Result<String> {
        self.with(|e| {
            render_clear_cookie(&e.config().guard.session_cookie, &cookie_options(e), true)
                .map_err(|err| invalid(format!("session cookie: {err}")))
        })
    }
}
