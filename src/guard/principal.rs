//! What the guard reads of a request and what it answers: who is calling,
//! how, and what they may do.

use crate::guard::GuardError;
use crate::session::auth::GuardSession;
use crate::token::ability::Abilities;

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
    /// The `Sec-Fetch-Site` header, which browsers send with every request
    /// (`same-origin`, `same-site`, `cross-site` or `none`).
    pub sec_fetch_site: Option<&'a str>,
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
            .field("sec_fetch_site", &self.sec_fetch_site)
            .finish()
    }
}

/// How a principal authenticated.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Via {
    /// By session cookie; the session as the guard read it (load its
    /// payload with [`crate::Engine::load_session`] when a route needs it).
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
