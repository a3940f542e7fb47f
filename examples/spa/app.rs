//! The application of the `spa_server` example: Laravel Sanctum's SPA flow
//! on authkv and axum. Shared, through `#[path]`, by the example binary and
//! by the tests that drive it over HTTP and in Chromium, so that they test
//! exactly the server a reader runs.
//!
//! Routes (JSON in and out; errors as `{"message": …}` like Laravel):
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /` | anyone | the SPA page (`index.html`, embedded) |
//! | `GET /sanctum/csrf-cookie` | anyone | session + `XSRF-TOKEN` cookies, 204 |
//! | `POST /login` | session + CSRF | `{login, password}`: 200 user, 422, 429 |
//! | `POST /logout` | authenticated | session: new anonymous session; token: revoked |
//! | `GET /api/user` | authenticated | the user, how they authenticated, abilities |
//! | `POST /api/tokens` | `tokens:write` | `{name, abilities}`: 201, plaintext once |
//! | `GET /api/tokens` | `tokens:read` | the user's tokens |
//! | `DELETE /api/tokens/{id}` | `tokens:write` | revoke one of the user's tokens |
//! | `GET /api/sessions` | authenticated | the user's devices, the current one marked |
//! | `DELETE /api/sessions/others` | authenticated | log out every other device |

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use authkv::axum::{
    Authenticated, CurrentSession, ErrorResponse, SessionCookies, attempt, create_token, login,
    logout, revoke_other_sessions, revoke_token, start_session,
};
use authkv::http::StatefulDomains;
use authkv::{AttemptOutcome, Config, Engine, GuardSession};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::header::{CACHE_CONTROL, USER_AGENT};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, serve as axum_serve};
use serde_json::{Value, json};

/// The demo user's id, login and display name.
pub const DEMO_USER_ID: u64 = 1;
/// The login of the demo user seeded at start.
pub const DEMO_LOGIN: &str = "demo@example.com";
const DEMO_NAME: &str = "Demo User";

/// The SPA page: plain HTML and JavaScript, no build step.
const INDEX_HTML: &str = include_str!("index.html");

/// Largest JSON body accepted by `/login` and `/api/tokens`.
const MAX_BODY: usize = 16 * 1024;

type Handler<T = Response> = Result<T, ErrorResponse>;

/// The engine configuration of the demo.
pub fn config() -> Config {
    let mut config = Config::default();
    // The page is served by this server, so the first-party origin is the
    // host:port the browser addressed: 127.0.0.1 or localhost, on a port
    // known only after binding when port 0 is asked for. The guard matches
    // Referer/Origin against the request's own Host instead of a list, and
    // Sanctum's default list (localhost:3000, 127.0.0.1:8000, …) is emptied
    // so that no other local dev server counts as first-party.
    config.guard.same_host_is_stateful = true;
    config.guard.stateful_domains = StatefulDomains::default();
    // Only because the demo serves plain http on loopback: a browser never
    // sends a Secure cookie back over http. Behind TLS keep the default.
    config.guard.cookie.secure = false;
    // Flush coalesced touches and collect expired rows off the request path.
    config.background_interval = Some(Duration::from_secs(30));
    config
}

/// Give the demo user its login and `password` (an argon2 hash: call it on
/// a blocking thread, or before serving).
///
/// # Errors
/// As [`Engine::set_password`].
pub fn seed_demo(engine: &Engine, password: &str) -> authkv::Result<()> {
    engine.set_password(DEMO_USER_ID, DEMO_LOGIN, password)
}

/// Every route of the demo, with the engine as state.
pub fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/sanctum/csrf-cookie", get(csrf_cookie))
        .route("/login", post(login_route))
        .route("/logout", post(logout_route))
        .route("/api/user", get(user))
        .route("/api/tokens", post(tokens_create).get(tokens_list))
        .route("/api/tokens/{id}", delete(tokens_delete))
        .route("/api/sessions", get(sessions_list))
        .route("/api/sessions/others", delete(sessions_logout_others))
        .with_state(engine)
}

/// Serve the demo on `listener` until the process ends. The peer address
/// is recorded in sessions and keys the login throttle.
///
/// # Errors
/// When accepting connections fails for good.
pub async fn serve(listener: tokio::net::TcpListener, engine: Arc<Engine>) -> std::io::Result<()> {
    let app = router(engine).into_make_service_with_connect_info::<SocketAddr>();
    axum_serve(listener, app).await
}

async fn index() -> impl IntoResponse {
    ([(CACHE_CONTROL, "no-store")], Html(INDEX_HTML))
}

/// Sanctum's CSRF cookie route: keep the visitor's live session or start
/// an anonymous one (a durable write, on the blocking pool), and send both
/// cookies.
async fn csrf_cookie(
    State(engine): State<Arc<Engine>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    CurrentSession(session): CurrentSession,
) -> Handler {
    let session = match session {
        Some(session) => session,
        None => start_session(&engine, &peer.ip().to_string(), user_agent(&headers)).await?,
    };
    Ok((
        SessionCookies::issue(&engine, &session)?,
        StatusCode::NO_CONTENT,
    )
        .into_response())
}

/// Password login: CSRF is checked by `CurrentSession` before the body is
/// read; `attempt` (argon2, throttled per login and ip) and `login` (the
/// id rotates) run on the blocking pool.
async fn login_route(
    State(engine): State<Arc<Engine>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    CurrentSession(session): CurrentSession,
    body: Bytes,
) -> Handler {
    let session = session.ok_or_else(ErrorResponse::csrf_mismatch)?;
    let body = json_body(&body)?;
    let login_name = required_string(&body, "login")?;
    let password = required_string(&body, "password")?;
    let ip = peer.ip().to_string();
    match attempt(&engine, login_name, password, &ip).await? {
        AttemptOutcome::Authenticated { user_id } => {
            let session = login(&engine, &session, user_id).await?;
            let cookies = SessionCookies::issue(&engine, &session)?;
            Ok((cookies, Json(user_json(user_id, "session", &["*"]))).into_response())
        }
        AttemptOutcome::InvalidCredentials => Err(ErrorResponse::invalid(
            "login",
            "These credentials do not match our records.",
        )),
        AttemptOutcome::Throttled { retry_after } => {
            Err(ErrorResponse::too_many_attempts("login", retry_after))
        }
        other => Err(ErrorResponse::server_error(format!(
            "unexpected attempt outcome {other:?}"
        ))),
    }
}

/// Log out. A session is invalidated — data cleared, id and CSRF token
/// rotated — and the visitor gets the new anonymous session's cookies; a
/// token logs out by being revoked.
async fn logout_route(State(engine): State<Arc<Engine>>, auth: Authenticated) -> Handler {
    if let Some(session) = auth.session() {
        let anonymous = logout(&engine, session.id()).await?;
        let cookies = SessionCookies::issue(&engine, &anonymous)?;
        return Ok((cookies, StatusCode::NO_CONTENT).into_response());
    }
    if let Some(id) = auth.token_id() {
        revoke_token(&engine, id).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn user(auth: Authenticated) -> Json<Value> {
    let via = if auth.session().is_some() {
        "session"
    } else {
        "token"
    };
    let abilities: Vec<&str> = auth
        .abilities
        .as_slice()
        .iter()
        .map(String::as_str)
        .collect();
    Json(user_json(auth.user_id(), via, &abilities))
}

/// Create a token: `{name, abilities}` (abilities default to `["*"]`, as
/// Sanctum's). The plaintext is in this answer only.
async fn tokens_create(
    State(engine): State<Arc<Engine>>,
    auth: Authenticated,
    body: Bytes,
) -> Handler {
    auth.require(&["tokens:write"])?;
    let body = json_body(&body)?;
    let name = required_string(&body, "name")?;
    let abilities = match body.get("abilities") {
        None | Some(Value::Null) => vec!["*".to_owned()],
        Some(Value::Array(list)) => list
            .iter()
            .map(|a| a.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ErrorResponse::invalid(
                    "abilities",
                    "The abilities field must be a list of strings.",
                )
            })?,
        Some(_) => {
            return Err(ErrorResponse::invalid(
                "abilities",
                "The abilities field must be a list of strings.",
            ));
        }
    };
    let token = create_token(&engine, auth.user_id(), name, abilities, None).await?;
    let mut answer = token_json(&token.info);
    answer["plainTextToken"] = Value::from(token.plain_text.expose());
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

async fn tokens_list(
    State(engine): State<Arc<Engine>>,
    auth: Authenticated,
) -> Handler<Json<Value>> {
    auth.require(&["tokens:read"])?;
    let tokens = engine.user_tokens(auth.user_id())?;
    Ok(Json(Value::Array(tokens.iter().map(token_json).collect())))
}

/// Revoke one of the caller's own tokens; another user's id is a 404, as
/// an unknown one.
async fn tokens_delete(
    State(engine): State<Arc<Engine>>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Handler {
    auth.require(&["tokens:write"])?;
    let id: u64 = id.parse().map_err(|_| ErrorResponse::not_found())?;
    let owned = engine
        .user_tokens(auth.user_id())?
        .iter()
        .any(|t| t.id == id);
    if !owned || !revoke_token(&engine, id).await? {
        return Err(ErrorResponse::not_found());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The caller's devices, oldest first; the session making the request is
/// marked `current` (by its public handle: ids are never shown).
async fn sessions_list(
    State(engine): State<Arc<Engine>>,
    auth: Authenticated,
) -> Handler<Json<Value>> {
    let current = auth.session().map(GuardSession::handle);
    let list = engine.user_sessions(auth.user_id())?;
    let list = list
        .iter()
        .map(|s| {
            json!({
                "handle": s.handle,
                "ip": s.ip,
                "user_agent": s.user_agent,
                "created_at": s.created_at,
                "last_activity": s.last_activity,
                "current": current.as_deref() == Some(s.handle.as_str()),
            })
        })
        .collect();
    Ok(Json(Value::Array(list)))
}

/// Log out every other device of the caller (all of them for a token).
async fn sessions_logout_others(
    State(engine): State<Arc<Engine>>,
    auth: Authenticated,
) -> Handler<Json<Value>> {
    let revoked = revoke_other_sessions(
        &engine,
        auth.user_id(),
        auth.session().map(GuardSession::id),
    )
    .await?;
    Ok(Json(json!({ "revoked": revoked })))
}

fn user_json(id: u64, via: &str, abilities: &[&str]) -> Value {
    let (name, email) = if id == DEMO_USER_ID {
        (DEMO_NAME.to_owned(), DEMO_LOGIN.to_owned())
    } else {
        (format!("User {id}"), String::new())
    };
    json!({ "id": id, "name": name, "email": email, "via": via, "abilities": abilities })
}

fn token_json(t: &authkv::TokenInfo) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "abilities": t.abilities.as_slice(),
        "created_at": t.created_at,
        "last_used_at": t.last_used_at,
        "expires_at": t.expires_at,
        "expired": t.expired,
    })
}

/// A JSON object body, or 400.
fn json_body(bytes: &[u8]) -> Result<Value, ErrorResponse> {
    if bytes.len() > MAX_BODY {
        return Err(ErrorResponse::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large.",
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(ErrorResponse::new(
            StatusCode::BAD_REQUEST,
            "The body must be a JSON object.",
        )),
    }
}

/// A non-empty string field, or 422 in Laravel's words.
fn required_string<'a>(body: &'a Value, field: &'static str) -> Result<&'a str, ErrorResponse> {
    match body.get(field).and_then(Value::as_str) {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(ErrorResponse::invalid(
            field,
            format!("The {field} field is required."),
        )),
    }
}

fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}
