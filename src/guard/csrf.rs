//! Whether a first-party write comes from the application's own pages: by
//! the session's CSRF token, by the browser's Fetch Metadata, or by either,
//! as configured.

use crate::engine::Engine;
use crate::error::Result;
use crate::guard::Request;
use crate::guard::config::CsrfMode;
use crate::secret::ct_eq;
use crate::session::auth::GuardSession;

impl Engine {
    /// Whether `request`, a first-party write, passes the configured check.
    pub(crate) fn csrf_passes(
        &self,
        request: &Request<'_>,
        session: Option<&GuardSession>,
    ) -> Result<bool> {
        Ok(match self.core.config.guard.csrf {
            CsrfMode::Token => token_matches(request, session),
            CsrfMode::FetchMetadata => self.fetch_metadata_allows(request)?,
            CsrfMode::Either => {
                token_matches(request, session) || self.fetch_metadata_allows(request)?
            }
        })
    }

    /// `Sec-Fetch-Site: same-origin` (or `same-site` when accepted), else
    /// an `Origin` naming a stateful domain; never `cross-site`, never
    /// neither header.
    fn fetch_metadata_allows(&self, request: &Request<'_>) -> Result<bool> {
        let site = request.sec_fetch_site.map(str::trim);
        let is = |value: &str| site.is_some_and(|site| site.eq_ignore_ascii_case(value));
        if is("cross-site") {
            return Ok(false);
        }
        if is("same-origin") || (is("same-site") && self.core.config.guard.csrf_accepts_same_site) {
            return Ok(true);
        }
        self.names_stateful_domain(request.origin, request.host)
    }
}

/// The session's CSRF token came back in the form field or a header
/// (compared in constant time).
fn token_matches(request: &Request<'_>, session: Option<&GuardSession>) -> bool {
    let presented = request
        .form_token
        .or(request.csrf_token)
        .or(request.xsrf_token)
        .unwrap_or("");
    session.is_some_and(|s| {
        !presented.is_empty() && ct_eq(s.csrf_token().as_bytes(), presented.as_bytes())
    })
}
