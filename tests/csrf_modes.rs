//! The guard's CSRF modes, cell by cell: `Sec-Fetch-Site` (absent,
//! same-origin, same-site, cross-site, none) × `Origin` (absent, a stateful
//! domain, another site) × method × mode, with and without the session's
//! token. Every request comes from the SPA's page (its Referer names a
//! stateful domain), carries a logged-in session cookie, and nothing else.

mod common;

use authkv::{Config, CsrfMode, Error, GuardError, Request};
use common::*;

const REFERER: &str = "http://localhost:3000/settings";
const LISTED: &str = "http://localhost:3000";
const UNLISTED: &str = "https://evil.example";

/// The fetch-metadata verdict on a write, for each `Sec-Fetch-Site` and
/// `Origin`: (site, origin, allowed by default, allowed when same-site is
/// accepted).
const FETCH_METADATA: [(Option<&str>, Option<&str>, bool, bool); 15] = [
    (None, None, false, false),
    (None, Some(LISTED), true, true),
    (None, Some(UNLISTED), false, false),
    (Some("same-origin"), None, true, true),
    (Some("same-origin"), Some(LISTED), true, true),
    (Some("same-origin"), Some(UNLISTED), true, true),
    (Some("same-site"), None, false, true),
    (Some("same-site"), Some(LISTED), true, true),
    (Some("same-site"), Some(UNLISTED), false, true),
    (Some("cross-site"), None, false, false),
    (Some("cross-site"), Some(LISTED), false, false),
    (Some("cross-site"), Some(UNLISTED), false, false),
    (Some("none"), None, false, false),
    (Some("none"), Some(LISTED), true, true),
    (Some("none"), Some(UNLISTED), false, false),
];

struct Browser {
    f: Fixture,
    cookie: String,
    csrf: String,
}

fn browser(mode: CsrfMode, same_site: bool) -> Browser {
    let f = fixture_with(|c: &mut Config| {
        c.guard.csrf = mode;
        c.guard.csrf_accepts_same_site = same_site;
    });
    let s = f
        .engine
        .create_session("127.0.0.1", "browser")
        .expect("create");
    let s = f.engine.login(s.id.expose(), 7).expect("login");
    Browser {
        cookie: format!("authkv_session={}", s.id.expose()),
        csrf: s.csrf_token.expose().to_owned(),
        f,
    }
}

/// 200 with the session's user, else the status.
fn answer(b: &Browser, method: &str, site: Option<&str>, origin: Option<&str>, token: bool) -> u16 {
    let request = Request {
        method,
        cookie: Some(&b.cookie),
        referer: Some(REFERER),
        origin,
        sec_fetch_site: site,
        xsrf_token: token.then_some(b.csrf.as_str()),
        ..Request::default()
    };
    match b.f.engine.authenticate(&request) {
        Ok(principal) => {
            assert_eq!(principal.user_id, 7);
            200
        }
        Err(Error::Guard(e @ GuardError::CsrfMismatch)) => e.http_status(),
        Err(other) => panic!("{method} {site:?} {origin:?}: {other:?}"),
    }
}

/// The CSRF check alone (a login route outside the guard): 200 or 419.
fn csrf_only(
    b: &Browser,
    method: &str,
    site: Option<&str>,
    origin: Option<&str>,
    token: bool,
) -> u16 {
    let request = Request {
        method,
        cookie: Some(&b.cookie),
        origin,
        sec_fetch_site: site,
        xsrf_token: token.then_some(b.csrf.as_str()),
        ..Request::default()
    };
    match b.f.engine.verify_request_csrf(&request) {
        Ok(()) => 200,
        Err(Error::Guard(e @ GuardError::CsrfMismatch)) => e.http_status(),
        Err(other) => panic!("{method} {site:?} {origin:?}: {other:?}"),
    }
}

#[test]
fn every_cell_of_the_mode_matrix_answers_as_specified() {
    let mut cells = 0;
    for same_site in [false, true] {
        for mode in [CsrfMode::Token, CsrfMode::FetchMetadata, CsrfMode::Either] {
            let b = browser(mode, same_site);
            for (site, origin, by_default, with_same_site) in FETCH_METADATA {
                let metadata = if same_site {
                    with_same_site
                } else {
                    by_default
                };
                for token in [false, true] {
                    let allowed = match mode {
                        CsrfMode::Token => token,
                        CsrfMode::FetchMetadata => metadata,
                        _ => token || metadata,
                    };
                    let expected = if allowed { 200 } else { 419 };
                    let got = answer(&b, "POST", site, origin, token);
                    assert_eq!(
                        got, expected,
                        "{mode:?} same-site={same_site} POST site={site:?} origin={origin:?} \
                         token={token}"
                    );
                    assert_eq!(
                        csrf_only(&b, "POST", site, origin, token),
                        expected,
                        "the check alone, {mode:?} same-site={same_site} site={site:?} \
                         origin={origin:?} token={token}"
                    );
                    // Reading methods never need a check.
                    assert_eq!(answer(&b, "GET", site, origin, token), 200);
                    assert_eq!(csrf_only(&b, "GET", site, origin, token), 200);
                    cells += 2;
                }
            }
        }
    }
    assert_eq!(cells, 2 * 3 * 15 * 2 * 2);
}

#[test]
fn the_token_mode_ignores_fetch_metadata_entirely() {
    let b = browser(CsrfMode::Token, true);
    assert_eq!(
        answer(&b, "DELETE", Some("same-origin"), Some(LISTED), false),
        419
    );
    assert_eq!(
        answer(&b, "DELETE", Some("cross-site"), Some(UNLISTED), true),
        200
    );
}

#[test]
fn the_header_is_matched_without_regard_to_case_or_padding() {
    let b = browser(CsrfMode::FetchMetadata, false);
    assert_eq!(answer(&b, "POST", Some(" Same-Origin "), None, false), 200);
    assert_eq!(
        answer(&b, "POST", Some("CROSS-SITE"), Some(LISTED), false),
        419
    );
}
