//! The extractors and responses through a real axum router, one request at
//! a time with `tower::ServiceExt::oneshot`.

use std::sync::Arc;

use ::axum::Router;
use ::axum::body::{Body, to_bytes};
use ::axum::http::header::{RETRY_AFTER, SET_COOKIE};
use ::axum::http::{HeaderMap, HeaderValue, Request as HttpRequest, StatusCode};
use ::axum::response::IntoResponse;
use ::axum::routing::get;
use tower::ServiceExt;

use super::*;
use crate::credential::password::PasswordParams;
use crate::engine::config::Config;
use crate::error::{CredentialError, Error, SessionError, TokenError};
use crate::guard::GuardError;

const SPA: &str = "http://localhost:3000";

struct World {
    _dir: tempfile::TempDir,
    engine: Arc<Engine>,
    router: Router,
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        argon2: PasswordParams::new(64, 1, 1), // tests only: cheap hashes
        ..Config::default()
    };
    let engine = Arc::new(Engine::open(dir.path().join("auth.redb"), config).expect("open"));
    let router = Router::new()
        .route("/me", get(me).post(me))
        .route("/orders", get(orders))
        .route("/admin", get(admin))
        .route("/visit", get(visit).post(visit))
        .with_state(Arc::clone(&engine));
    World {
        _dir: dir,
        engine,
        router,
    }
}

async fn me(auth: Authenticated) -> String {
    let via = match (auth.session(), auth.token_id()) {
        (Some(_), None) => "session".to_owned(),
        (None, Some(id)) => format!("token {id}"),
        other => panic!("one of session or token, got {other:?}"),
    };
    format!("user {} via {via}", auth.user_id())
}

async fn orders(auth: Authenticated) -> Result<&'static str, ErrorResponse> {
    auth.require(&["orders:read"])?;
    Ok("orders")
}

async fn admin(auth: Authenticated) -> Result<&'static str, ErrorResponse> {
    auth.require_any(&["admin", "root"])?;
    Ok("admin")
}

async fn visit(CurrentSession(session): CurrentSession) -> String {
    match session {
        None => "none".to_owned(),
        Some(s) => match s.user_id {
            None => "anonymous".to_owned(),
            Some(user) => format!("user {user}"),
        },
    }
}

/// Send one request; the status, headers and body text.
async fn send(w: &World, request: HttpRequest<Body>) -> (StatusCode, HeaderMap, String) {
    let response = w.router.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.expect("body");
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8 body");
    (parts.status, parts.headers, text)
}

fn get_req(uri: &str, headers: &[(&str, &str)]) -> HttpRequest<Body> {
    request("GET", uri, headers)
}

fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> HttpRequest<Body> {
    let mut builder = HttpRequest::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).expect("request")
}

/// A logged-in session of `user`: its Cookie header and CSRF token.
fn logged_in(w: &World, user: u64) -> (String, String) {
    let s = w
        .engine
        .create_session("127.0.0.1", "test")
        .expect("create");
    let s = w.engine.login(s.id.expose(), user).expect("login");
    let cookie = format!("theme=dark; authkv_session={}", s.id.expose());
    (cookie, s.csrf_token.expose().to_owned())
}

#[tokio::test]
async fn no_credentials_get_401_with_laravels_json() {
    let w = world();
    let (status, headers, body) = send(&w, get_req("/me", &[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body, r#"{"message":"Unauthenticated."}"#);
}

#[tokio::test]
async fn a_bearer_token_authenticates_and_abilities_gate_routes() {
    let w = world();
    let token = w
        .engine
        .create_token(9, "cli", ["orders:read"], None)
        .expect("token");
    let bearer = format!("Bearer {}", token.plain_text.expose());
    let auth = [("authorization", bearer.as_str())];
    let (status, _, body) = send(&w, get_req("/me", &auth)).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, format!("user 9 via token {}", token.id))
    );
    let (status, _, body) = send(&w, get_req("/orders", &auth)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "orders"));
    let (status, _, body) = send(&w, get_req("/admin", &auth)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, r#"{"message":"Invalid ability provided."}"#);
    let wrong = [("authorization", "Bearer 1|nope")];
    assert_eq!(
        send(&w, get_req("/me", &wrong)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_token_over_its_rate_limit_gets_429_with_retry_after_before_the_handler() {
    let w = world();
    let limits = crate::TokenLimits {
        rate_limit: Some(crate::RateLimit {
            max: 1,
            window: std::time::Duration::from_secs(30),
        }),
        quota: None,
    };
    let token = w
        .engine
        .create_token_with_limits(9, "cli", ["*"], None, &limits)
        .expect("token");
    let bearer = format!("Bearer {}", token.plain_text.expose());
    let auth = [("authorization", bearer.as_str())];
    assert_eq!(send(&w, get_req("/me", &auth)).await.0, StatusCode::OK);
    let (status, headers, body) = send(&w, get_req("/me", &auth)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(
        (29..=30).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    assert_eq!(body, r#"{"message":"Too Many Attempts."}"#);
}

#[tokio::test]
async fn first_party_sessions_read_freely_and_write_only_with_the_csrf_header() {
    let w = world();
    let (cookie, csrf) = logged_in(&w, 7);
    let base = [("cookie", cookie.as_str()), ("referer", SPA)];
    let (status, _, body) = send(&w, get_req("/me", &base)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "user 7 via session")
    );
    // A session user has every ability.
    assert_eq!(send(&w, get_req("/admin", &base)).await.0, StatusCode::OK);
    let (status, headers, body) = send(&w, request("POST", "/me", &base)).await;
    assert_eq!(status.as_u16(), 419);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body, r#"{"message":"CSRF token mismatch."}"#);
    for header in ["x-xsrf-token", "x-csrf-token"] {
        let with = [base[0], base[1], (header, csrf.as_str())];
        let (status, _, body) = send(&w, request("POST", "/me", &with)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "user 7 via session"),
            "{header}"
        );
    }
    // The same cookie from a page that is not first-party is no login.
    let elsewhere = [("cookie", cookie.as_str()), ("origin", "https://evil.test")];
    assert_eq!(
        send(&w, get_req("/me", &elsewhere)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn cookies_split_over_several_headers_are_joined() {
    let w = world();
    let (cookie, _) = logged_in(&w, 7);
    let (theme, session) = cookie.split_once("; ").expect("two pairs");
    let headers = [("cookie", theme), ("cookie", session), ("referer", SPA)];
    assert_eq!(send(&w, get_req("/me", &headers)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_header_that_is_not_visible_ascii_is_a_bad_request() {
    let w = world();
    for name in ["cookie", "authorization", "referer", "x-xsrf-token"] {
        let mut request = get_req("/me", &[]);
        let value = HeaderValue::from_bytes(b"caf\xe9").expect("obs-text is a valid value");
        request.headers_mut().insert(name, value);
        let (status, _, body) = send(&w, request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(body, r#"{"message":"Bad Request."}"#);
    }
    let huge = format!("Bearer {}", "a".repeat(9000));
    let (status, _, _) = send(&w, get_req("/me", &[("authorization", &huge)])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn current_session_is_optional_on_reads_and_csrf_checked_on_writes() {
    let w = world();
    assert_eq!(send(&w, get_req("/visit", &[])).await.2, "none");
    let (status, _, _) = send(&w, request("POST", "/visit", &[])).await;
    assert_eq!(
        status.as_u16(),
        419,
        "a write without a session is a mismatch"
    );
    let s = w
        .engine
        .create_session("127.0.0.1", "test")
        .expect("create");
    let cookie = format!("authkv_session={}", s.id.expose());
    let csrf = s.csrf_token.expose();
    // No Origin or Referer needed: the check does not depend on them.
    assert_eq!(
        send(&w, get_req("/visit", &[("cookie", &cookie)])).await.2,
        "anonymous"
    );
    let bad = [("cookie", cookie.as_str()), ("x-xsrf-token", "x")];
    assert_eq!(
        send(&w, request("POST", "/visit", &bad)).await.0.as_u16(),
        419
    );
    let empty = [("cookie", cookie.as_str()), ("x-xsrf-token", "")];
    assert_eq!(
        send(&w, request("POST", "/visit", &empty)).await.0.as_u16(),
        419
    );
    let good = [("cookie", cookie.as_str()), ("x-xsrf-token", csrf)];
    assert_eq!(
        send(&w, request("POST", "/visit", &good)).await.2,
        "anonymous"
    );
    let (cookie, csrf) = logged_in(&w, 5);
    let good = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    assert_eq!(send(&w, request("POST", "/visit", &good)).await.2, "user 5");
    let stale = [(
        "cookie",
        "authkv_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )];
    assert_eq!(send(&w, get_req("/visit", &stale)).await.2, "none");
}

#[tokio::test]
async fn session_cookies_become_set_cookie_headers() {
    let w = world();
    let s = w
        .engine
        .create_session("127.0.0.1", "test")
        .expect("create");
    let cookies = SessionCookies::issue(&w.engine, &s).expect("render");
    // A header array replaces what came before it; cookies appended after
    // it keep its Set-Cookie.
    let response = (
        [(SET_COOKIE, "theme=dark")],
        cookies,
        StatusCode::NO_CONTENT,
    )
        .into_response();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let set: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(set.len(), 3, "{set:?}");
    let session = format!("authkv_session={};", s.id.expose());
    let xsrf = format!("XSRF-TOKEN={};", s.csrf_token.expose());
    let text: Vec<&str> = set.iter().map(|v| v.to_str().expect("ascii")).collect();
    assert!(
        text.iter()
            .any(|t| t.starts_with(&session) && t.contains("HttpOnly"))
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with(&xsrf) && !t.contains("HttpOnly"))
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let mut headers = HeaderMap::new();
    SessionCookies::clear(&w.engine)
        .expect("render")
        .append_to(&mut headers);
    let cleared = headers[SET_COOKIE].to_str().expect("ascii");
    assert!(cleared.starts_with("authkv_session=;") && cleared.contains("Max-Age=0"));
}

#[tokio::test]
async fn error_responses_have_laravels_json_shape() {
    let body = |e: ErrorResponse| async move {
        let response = e.into_response();
        let status = response.status();
        let retry = response.headers().get(RETRY_AFTER).cloned();
        let bytes = to_bytes(response.into_body(), 1 << 16).await.expect("body");
        (
            status,
            retry,
            String::from_utf8(bytes.to_vec()).expect("utf-8"),
        )
    };
    let (status, _, text) = body(ErrorResponse::invalid("login", "Wrong \"login\"\n")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        text,
        r#"{"message":"Wrong \"login\"\n","errors":{"login":["Wrong \"login\"\n"]}}"#
    );
    let (status, retry, text) = body(ErrorResponse::too_many_attempts("login", 42)).await;
    assert_eq!(
        (status, retry),
        (StatusCode::TOO_MANY_REQUESTS, Some(HeaderValue::from(42)))
    );
    assert!(text.contains("Please try again in 42 seconds."), "{text}");
    let hidden = ErrorResponse::server_error("disk on fire");
    assert_eq!(hidden.detail(), Some("disk on fire"));
    let (status, _, text) = body(hidden).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(text, r#"{"message":"Server Error."}"#);
    let (_, _, text) = body(ErrorResponse::new(StatusCode::IM_A_TEAPOT, "\u{1}é")).await;
    assert_eq!(text, "{\"message\":\"\\u0001é\"}");
}

#[test]
fn engine_errors_map_to_the_status_a_client_should_see() {
    let status = |e: Error| ErrorResponse::from(e).status().as_u16();
    assert_eq!(status(Error::Session(SessionError::NotFound)), 419);
    assert_eq!(status(Error::Session(SessionError::UnknownHandle)), 404);
    let conflict = SessionError::Conflict {
        expected: 1,
        actual: 2,
    };
    assert_eq!(status(Error::Session(conflict)), 409);
    let taken = CredentialError::LoginTaken { login: "a".into() };
    assert_eq!(status(taken.into()), 422);
    assert_eq!(status(CredentialError::EmptyLogin.into()), 422);
    assert_eq!(status(CredentialError::EmptyPassword.into()), 422);
    assert_eq!(status(TokenError::EmptyName.into()), 422);
    assert_eq!(status(TokenError::EmptyAbility { index: 0 }.into()), 422);
    assert_eq!(status(Error::Guard(GuardError::Unauthenticated)), 401);
    assert_eq!(status(Error::Guard(GuardError::CsrfMismatch)), 419);
    assert_eq!(status(Error::Closed), 500);
    let e = ErrorResponse::from(Error::Token(TokenError::TooManyAbilities {
        count: 65,
        max: 64,
    }));
    assert_eq!(
        e.message(),
        "The abilities field must not have more than 64 items."
    );
}

#[tokio::test(flavor = "current_thread")]
async fn durable_writes_run_off_the_executor_thread() {
    let w = world();
    let here = std::thread::current().id();
    let there = run_blocking(&w.engine, |_| Ok(std::thread::current().id()))
        .await
        .expect("ran");
    assert_ne!(here, there, "the blocking pool, not the executor thread");
    w.engine
        .set_password(3, "ann@example.com", "secret")
        .expect("set");
    let visitor = start_session(&w.engine, "127.0.0.1", "test")
        .await
        .expect("start");
    let outcome = attempt(&w.engine, "ann@example.com", "secret", "127.0.0.1").await;
    assert!(matches!(
        outcome,
        Ok(crate::AttemptOutcome::Authenticated { user_id: 3 })
    ));
    let user = login(&w.engine, &visitor, 3).await.expect("login");
    assert_ne!(user.id.expose(), visitor.id.expose());
    let token = create_token(&w.engine, 3, "cli", vec!["a".into()], None)
        .await
        .expect("token");
    assert!(revoke_token(&w.engine, token.id).await.expect("revoke"));
    let other = w
        .engine
        .create_session("10.0.0.2", "phone")
        .expect("create");
    w.engine.login(other.id.expose(), 3).expect("login");
    assert_eq!(
        revoke_other_sessions(&w.engine, 3, Some(user.id.expose()))
            .await
            .expect("revoke"),
        1
    );
    let anonymous = logout(&w.engine, user.id.expose()).await.expect("logout");
    assert_eq!(anonymous.user_id, None);
    let gone = login(&w.engine, &user, 3).await;
    assert!(matches!(gone, Err(Error::Session(SessionError::NotFound))));
}

#[tokio::test(flavor = "current_thread")]
async fn a_panic_in_a_blocking_call_resumes_on_the_awaiting_task() {
    let w = world();
    let engine = Arc::clone(&w.engine);
    let task = tokio::spawn(async move {
        run_blocking(&engine, |_| -> crate::Result<()> { panic!("boom") }).await
    });
    let joined = task.await;
    assert!(joined.is_err_and(|e| e.is_panic()));
}
