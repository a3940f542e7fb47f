//! The request guard, as `auth:sanctum` decides: one row per case.

mod common;

use authkv::http::{CookieOptions, StatefulDomains};
use authkv::{Error, GuardError, Request, Via};
use common::*;

const SPA: &str = "http://localhost:3000";

struct World {
    f: Fixture,
    /// Cookie header carrying a logged-in session of user 7.
    cookie: String,
    csrf: String,
    other_csrf: String,
    /// Bearer header of user 9's token with ability `orders:read`.
    bearer: String,
    token_id: u64,
}

fn world() -> World {
    world_with(|_| {})
}

fn world_with(adjust: impl FnOnce(&mut authkv::Config)) -> World {
    let f = fixture_with(adjust);
    let s = f
        .engine
        .create_session("127.0.0.1", "browser")
        .expect("create");
    let s = f.engine.login(s.id.expose(), 7).expect("login");
    let other = f
        .engine
        .create_session("127.0.0.1", "other")
        .expect("create");
    let token = f
        .engine
        .create_token(9, "cli", ["orders:read"], None)
        .expect("token");
    World {
        cookie: format!("theme=dark; authkv_session={}", s.id.expose()),
        csrf: s.csrf_token.expose().to_owned(),
        other_csrf: other.csrf_token.expose().to_owned(),
        bearer: format!("Bearer {}", token.plain_text.expose()),
        token_id: token.id,
        f,
    }
}

/// What the guard answered: the user and how, or the HTTP status.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Session(u64),
    Token(u64),
    Status(u16),
}

fn outcome(w: &World, request: &Request<'_>) -> Outcome {
    match w.f.engine.authenticate(request) {
        Ok(p) => match p.via {
            Via::Session(_) => Outcome::Session(p.user_id),
            Via::Token(id) => {
                assert_eq!(id, w.token_id);
                Outcome::Token(p.user_id)
            }
            other => panic!("unexpected principal via {other:?}"),
        },
        Err(Error::Guard(e)) => Outcome::Status(e.http_status()),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn guard_decides_each_request_as_sanctum_does() {
    let w = world();
    let cookie = Some(w.cookie.as_str());
    let bearer = Some(w.bearer.as_str());
    let csrf = Some(w.csrf.as_str());
    let spa = Some(SPA);
    let base = Request {
        method: "GET",
        ..Request::default()
    };
    let wrong_csrf = "x".repeat(40);
    let mut altered = w.bearer.clone();
    let last = altered.pop().expect("non-empty");
    altered.push(if last == '0' { '1' } else { '0' });
    let huge_cookie = "a".repeat(9000);
    let huge_authorization = "B".repeat(9000);
    let rows: Vec<(&str, Request<'_>, Outcome)> = vec![
        (
            "first-party GET with a logged-in session",
            Request {
                cookie,
                referer: spa,
                ..base
            },
            Outcome::Session(7),
        ),
        (
            "Origin is used when there is no Referer",
            Request {
                cookie,
                origin: spa,
                ..base
            },
            Outcome::Session(7),
        ),
        (
            "HEAD needs no CSRF token",
            Request {
                method: "HEAD",
                cookie,
                referer: spa,
                ..base
            },
            Outcome::Session(7),
        ),
        (
            "OPTIONS needs no CSRF token",
            Request {
                method: "OPTIONS",
                cookie,
                referer: spa,
                ..base
            },
            Outcome::Session(7),
        ),
        (
            "POST with X-XSRF-TOKEN",
            Request {
                method: "POST",
                cookie,
                referer: spa,
                xsrf_token: csrf,
                ..base
            },
            Outcome::Session(7),
        ),
        (
            "PUT with X-CSRF-TOKEN",
            Request {
                method: "PUT",
                cookie,
                referer: spa,
                csrf_token: csrf,
                ..base
            },
            Outcome::Session(7),
        ),
        (
            "DELETE with the _token field",
            Request {
                method: "DELETE",
                cookie,
                referer: spa,
                form_token: csrf,
                ..base
            },
            Outcome::Session(7),
        ),
        (
            "POST without a CSRF token",
            Request {
                method: "POST",
                cookie,
                referer: spa,
                ..base
            },
            Outcome::Status(419),
        ),
        (
            "POST with an empty CSRF token",
            Request {
                method: "POST",
                cookie,
                referer: spa,
                xsrf_token: Some(""),
                ..base
            },
            Outcome::Status(419),
        ),
        (
            "POST with a wrong CSRF token",
            Request {
                method: "POST",
                cookie,
                referer: spa,
                xsrf_token: Some(&wrong_csrf),
                ..base
            },
            Outcome::Status(419),
        ),
        (
            "POST with another session's CSRF token",
            Request {
                method: "POST",
                cookie,
                referer: spa,
                xsrf_token: Some(&w.other_csrf),
                ..base
            },
            Outcome::Status(419),
        ),
        (
            "lower-case method is not a reading method",
            Request {
                method: "get",
                cookie,
                referer: spa,
                ..base
            },
            Outcome::Status(419),
        ),
        (
            "first-party POST without any session",
            Request {
                method: "POST",
                referer: spa,
                xsrf_token: csrf,
                ..base
            },
            Outcome::Status(419),
        ),
        (
            "bearer token from a third party",
            Request {
                authorization: bearer,
                ..base
            },
            Outcome::Token(9),
        ),
        (
            "bearer POST from a third party needs no CSRF",
            Request {
                method: "POST",
                authorization: bearer,
                ..base
            },
            Outcome::Token(9),
        ),
        (
            "first-party bearer POST still needs CSRF",
            Request {
                method: "POST",
                authorization: bearer,
                referer: spa,
                ..base
            },
            Outcome::Status(419),
        ),
        (
            "first-party bearer GET without a session uses the token",
            Request {
                authorization: bearer,
                referer: spa,
                ..base
            },
            Outcome::Token(9),
        ),
        (
            "session wins over bearer for first-party",
            Request {
                cookie,
                authorization: bearer,
                referer: spa,
                ..base
            },
            Outcome::Session(7),
        ),
        (
            "session cookie from a third party is ignored",
            Request { cookie, ..base },
            Outcome::Status(401),
        ),
        (
            "session cookie from an unlisted port is ignored",
            Request {
                cookie,
                referer: Some("http://localhost:4000"),
                ..base
            },
            Outcome::Status(401),
        ),
        ("nothing at all", base, Outcome::Status(401)),
        (
            "Basic credentials are not a bearer token",
            Request {
                authorization: Some("Basic dTpw"),
                ..base
            },
            Outcome::Status(401),
        ),
        (
            "a token with one character changed",
            Request {
                authorization: Some(&altered),
                ..base
            },
            Outcome::Status(401),
        ),
        (
            "an oversized Cookie header is a bad request",
            Request {
                cookie: Some(&huge_cookie),
                referer: spa,
                ..base
            },
            Outcome::Status(400),
        ),
        (
            "an oversized Authorization header is a bad request",
            Request {
                authorization: Some(&huge_authorization),
                ..base
            },
            Outcome::Status(400),
        ),
    ];
    for (case, request, expected) in &rows {
        assert_eq!(&outcome(&w, request), expected, "{case}");
    }
}

#[test]
fn path_glob_trick_does_not_make_a_request_first_party() {
    let w = world_with(|c| {
        c.guard.stateful_domains = StatefulDomains::new(["*.example.com"]).expect("domains");
    });
    let cookie = Some(w.cookie.as_str());
    let base = Request {
        method: "GET",
        cookie,
        ..Request::default()
    };
    let via_subdomain = Request {
        referer: Some("https://app.example.com/dash"),
        ..base
    };
    assert_eq!(outcome(&w, &via_subdomain), Outcome::Session(7));
    let trick = Request {
        referer: Some("https://evil.test/x.example.com/"),
        ..base
    };
    assert_eq!(outcome(&w, &trick), Outcome::Status(401));
    let bare = Request {
        referer: Some("https://example.com/"),
        ..base
    };
    assert_eq!(outcome(&w, &bare), Outcome::Status(401));
}

#[test]
fn same_host_counts_as_first_party_only_when_configured() {
    let w = world();
    let request = Request {
        method: "GET",
        cookie: Some(&w.cookie),
        referer: Some("https://app.test/page"),
        host: Some("app.test"),
        ..Request::default()
    };
    assert_eq!(outcome(&w, &request), Outcome::Status(401));
    let w = world_with(|c| c.guard.same_host_is_stateful = true);
    let request = Request {
        cookie: Some(&w.cookie),
        ..request
    };
    assert_eq!(outcome(&w, &request), Outcome::Session(7));
    let other_port = Request {
        host: Some("app.test:8443"),
        ..request
    };
    assert_eq!(outcome(&w, &other_port), Outcome::Status(401));
}

#[test]
fn expired_session_and_revoked_token_are_unauthenticated() {
    let w = world();
    let base = Request {
        method: "GET",
        ..Request::default()
    };
    let by_token = Request {
        authorization: Some(&w.bearer),
        ..base
    };
    assert_eq!(outcome(&w, &by_token), Outcome::Token(9));
    w.f.engine.revoke_token(w.token_id).expect("revoke");
    assert_eq!(outcome(&w, &by_token), Outcome::Status(401));
    let by_session = Request {
        cookie: Some(&w.cookie),
        referer: Some(SPA),
        ..base
    };
    assert_eq!(outcome(&w, &by_session), Outcome::Session(7));
    w.f.clock.advance(IDLE + 1);
    assert_eq!(outcome(&w, &by_session), Outcome::Status(401));
}

#[test]
fn anonymous_session_is_not_a_principal() {
    let w = world();
    let anon =
        w.f.engine
            .create_session("127.0.0.1", "ua")
            .expect("create");
    let cookie = format!("authkv_session={}", anon.id.expose());
    let request = Request {
        method: "GET",
        cookie: Some(&cookie),
        referer: Some(SPA),
        ..Request::default()
    };
    assert_eq!(outcome(&w, &request), Outcome::Status(401));
}

#[test]
fn abilities_are_required_with_a_forbidden_error_naming_the_missing_one() {
    let w = world();
    let token =
        w.f.engine
            .authenticate(&Request {
                method: "GET",
                authorization: Some(&w.bearer),
                ..Request::default()
            })
            .expect("token");
    token
        .require_abilities(&["orders:read"], &[])
        .expect("granted");
    let err = token
        .require_abilities(&["orders:read", "orders:write"], &[])
        .expect_err("missing");
    assert_eq!(
        err,
        GuardError::Forbidden {
            missing: "orders:write".into()
        }
    );
    assert_eq!(err.http_status(), 403);
    assert!(err.to_string().contains("orders:write"));
    token
        .require_abilities(&[], &["orders:write", "orders:read"])
        .expect("any of");
    let err = token
        .require_abilities(&[], &["a", "b"])
        .expect_err("none of");
    assert_eq!(err.http_status(), 403);
    let session =
        w.f.engine
            .authenticate(&Request {
                method: "GET",
                cookie: Some(&w.cookie),
                referer: Some(SPA),
                ..Request::default()
            })
            .expect("session");
    session
        .require_abilities(&["anything", "at:all"], &["x"])
        .expect("session users can do everything");
}

#[test]
fn every_guard_error_maps_to_its_http_status() {
    assert_eq!(GuardError::Unauthenticated.http_status(), 401);
    assert_eq!(GuardError::CsrfMismatch.http_status(), 419);
    assert_eq!(
        GuardError::Forbidden {
            missing: "x".into()
        }
        .http_status(),
        403
    );
    let bad = GuardError::BadRequest(authkv::http::HttpError::TooManyCookies { max: 128 });
    assert_eq!(bad.http_status(), 400);
}

#[test]
fn rendered_cookies_carry_the_configured_attributes() {
    let w = world();
    let s = w.f.engine.create_session("1.2.3.4", "ua").expect("create");
    let session = w.f.engine.session_set_cookie(&s).expect("render");
    assert!(
        session.starts_with(&format!("authkv_session={};", s.id.expose())),
        "{session}"
    );
    for attribute in [
        "Path=/",
        "Max-Age=7200",
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
    ] {
        assert!(
            session.contains(attribute),
            "{attribute} missing in {session}"
        );
    }
    let xsrf = w.f.engine.xsrf_set_cookie(&s).expect("render");
    assert!(xsrf.starts_with(&format!("XSRF-TOKEN={};", s.csrf_token.expose())));
    assert!(!xsrf.contains("HttpOnly"), "scripts must read it: {xsrf}");
    assert!(xsrf.contains("Max-Age=7200") && xsrf.contains("SameSite=Lax"));
    let clear = w.f.engine.clear_session_cookie().expect("render");
    assert!(
        clear.starts_with("authkv_session=;") && clear.contains("Max-Age=0"),
        "{clear}"
    );
}

#[test]
fn expire_on_close_and_host_prefix_change_the_session_cookie() {
    let f = fixture_with(|c| {
        c.guard.expire_on_close = true;
        c.guard.cookie = CookieOptions {
            host_prefix: true,
            ..CookieOptions::default()
        };
    });
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let cookie = f.engine.session_set_cookie(&s).expect("render");
    assert!(cookie.starts_with("__Host-authkv_session="), "{cookie}");
    assert!(!cookie.contains("Max-Age"), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
    let f = fixture_with(|c| {
        c.guard.cookie = CookieOptions {
            host_prefix: true,
            domain: Some("example.com".into()),
            ..CookieOptions::default()
        };
    });
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    assert!(matches!(
        f.engine.session_set_cookie(&s),
        Err(Error::Guard(GuardError::BadRequest(_)))
    ));
}

#[test]
fn a_rendered_session_cookie_sent_back_authenticates_the_same_session() {
    let f = fixture();
    for _ in 0..50 {
        let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
        let s = f.engine.login(s.id.expose(), 3).expect("login");
        let set_cookie = f.engine.session_set_cookie(&s).expect("render");
        let pair = set_cookie.split(';').next().expect("name=value");
        let cookie = format!("other=1; {pair}; trailing=2");
        let principal = f
            .engine
            .authenticate(&Request {
                method: "GET",
                cookie: Some(&cookie),
                referer: Some(SPA),
                ..Request::default()
            })
            .expect("authenticated");
        match principal.via {
            Via::Session(loaded) => assert_eq!(loaded.id(), s.id.expose()),
            other => panic!("expected the session, got {other:?}"),
        }
    }
}

#[test]
fn a_host_prefixed_session_cookie_sent_back_authenticates() {
    let f = fixture_with(|c| {
        c.guard.cookie = CookieOptions {
            host_prefix: true,
            ..CookieOptions::default()
        };
    });
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let s = f.engine.login(s.id.expose(), 5).expect("login");
    let set_cookie = f.engine.session_set_cookie(&s).expect("render");
    let pair = set_cookie.split(';').next().expect("name=value");
    assert!(pair.starts_with("__Host-authkv_session="), "{pair}");
    let principal = f
        .engine
        .authenticate(&Request {
            method: "GET",
            cookie: Some(pair),
            referer: Some(SPA),
            ..Request::default()
        })
        .expect("authenticated by the prefixed cookie");
    assert_eq!(principal.user_id, 5);
    let unprefixed = format!("authkv_session={}", s.id.expose());
    let refused = f.engine.authenticate(&Request {
        method: "GET",
        cookie: Some(&unprefixed),
        referer: Some(SPA),
        ..Request::default()
    });
    assert!(
        matches!(refused, Err(Error::Guard(GuardError::Unauthenticated))),
        "a cookie without the prefix could have been set by a sibling host"
    );
}

#[test]
fn debug_of_a_request_never_shows_its_secrets() {
    let request = Request {
        method: "POST",
        cookie: Some("authkv_session=SECRETSESSIONID"),
        authorization: Some("Bearer 1|SECRETTOKEN"),
        xsrf_token: Some("SECRETCSRF"),
        referer: Some(SPA),
        ..Request::default()
    };
    let shown = format!("{request:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(
        shown.contains("POST") && shown.contains("<present>"),
        "{shown}"
    );
}
