//! How the guard recognises first-party requests and names and renders its
//! cookies: part of the engine's configuration.

use crate::guard::http::{CookieOptions, StatefulDomains};

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
    /// How a first-party write proves it comes from the application's own
    /// pages. Default [`CsrfMode::Token`].
    pub csrf: CsrfMode,
    /// In the fetch-metadata modes, also accept `Sec-Fetch-Site:
    /// same-site` (a page on a sibling subdomain). Default false: only
    /// `same-origin`.
    pub csrf_accepts_same_site: bool,
}

/// How the guard checks that a first-party write (a method other than GET,
/// HEAD and OPTIONS) is not forged by another site.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsrfMode {
    /// The session's CSRF token must come back in the `_token` field or
    /// the `X-CSRF-TOKEN` / `X-XSRF-TOKEN` header (Laravel's way).
    #[default]
    Token,
    /// The browser's own word: allowed when `Sec-Fetch-Site` is
    /// `same-origin` (or `same-site`, with
    /// [`GuardConfig::csrf_accepts_same_site`]), else when the `Origin`
    /// header names a stateful domain; refused when `Sec-Fetch-Site` is
    /// `cross-site` or when neither header is present. For an SPA on
    /// another subdomain that cannot read the `XSRF-TOKEN` cookie.
    FetchMetadata,
    /// Allowed when either check passes.
    Either,
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
            csrf: CsrfMode::Token,
            csrf_accepts_same_site: false,
        }
    }
}
