//! The engine's durable writes, run on tokio's blocking pool.
//!
//! Every authkv write commits durably before it returns — an fsync, about
//! 0.2 ms on an idle disk and far more on a busy one — and a password
//! attempt runs one argon2id verification, about 15 ms of CPU with OWASP's
//! costs. On an executor thread either would stall every other request that
//! thread serves, so each helper here hands its call to
//! [`tokio::task::spawn_blocking`] and awaits it. Reads (authenticate, load,
//! the lists) take microseconds and are called inline.
//!
//! All helpers must be awaited inside a tokio runtime. A panic in the
//! engine call resumes on the awaiting task, as if the call had run inline;
//! a runtime that shuts down before the call ran gives [`Error::Closed`].

use std::sync::Arc;

use crate::credential::AttemptOutcome;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::session::Session;
use crate::token::NewToken;

/// Run `f` with the engine on tokio's blocking pool and await its result:
/// the building block of the helpers below, for any other write (a
/// password change, a session save, GC).
///
/// # Errors
/// Whatever `f` returns; [`Error::Closed`] when the runtime shut down
/// before `f` ran.
pub async fn run_blocking<T, F>(engine: &Arc<Engine>, f: F) -> Result<T>
where
    F: FnOnce(&Engine) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let engine = Arc::clone(engine);
    match tokio::task::spawn_blocking(move || f(&engine)).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::Closed),
    }
}

/// [`Engine::create_session`] on the blocking pool: an anonymous session
/// for a visitor (one durable write).
///
/// # Errors
/// As [`Engine::create_session`].
pub async fn start_session(engine: &Arc<Engine>, ip: &str, user_agent: &str) -> Result<Session> {
    let (ip, user_agent) = (ip.to_owned(), user_agent.to_owned());
    run_blocking(engine, move |e| e.create_session(&ip, &user_agent)).await
}

/// [`Engine::login`] on the blocking pool: `user_id` logs in on `session`,
/// whose id and CSRF token rotate (one durable write). Send the returned
/// session's cookies with [`super::SessionCookies::issue`].
///
/// # Errors
/// As [`Engine::login`].
pub async fn login(engine: &Arc<Engine>, session: &Session, user_id: u64) -> Result<Session> {
    let id = session.id.expose().to_owned();
    run_blocking(engine, move |e| e.login(&id, user_id)).await
}

/// [`Engine::invalidate_session`] on the blocking pool: log out, keeping
/// the visitor on a fresh anonymous session with a new id and CSRF token
/// (one durable write). Send the returned session's cookies.
///
/// # Errors
/// As [`Engine::invalidate_session`].
pub async fn logout(engine: &Arc<Engine>, session_id: &str) -> Result<Session> {
    let id = session_id.to_owned();
    run_blocking(engine, move |e| e.invalidate_session(&id)).await
}

/// [`Engine::attempt`] on the blocking pool: the throttle check, the
/// counted failure (a durable write), one argon2id verification and, on
/// success, the cleared counter (another write).
///
/// # Errors
/// As [`Engine::attempt`].
pub async fn attempt(
    engine: &Arc<Engine>,
    login: &str,
    password: &str,
    ip: &str,
) -> Result<AttemptOutcome> {
    let (login, password, ip) = (login.to_owned(), password.to_owned(), ip.to_owned());
    run_blocking(engine, move |e| e.attempt(&login, &password, &ip)).await
}

/// [`Engine::create_token`] on the blocking pool (one durable write). The
/// plaintext in the result is shown to its owner once.
///
/// # Errors
/// As [`Engine::create_token`].
pub async fn create_token(
    engine: &Arc<Engine>,
    user_id: u64,
    name: &str,
    abilities: Vec<String>,
    expires_at: Option<u64>,
) -> Result<NewToken> {
    let name = name.to_owned();
    run_blocking(engine, move |e| {
        e.create_token(user_id, &name, abilities, expires_at)
    })
    .await
}

/// [`Engine::revoke_token`] on the blocking pool (one durable write).
/// Returns whether the token existed.
///
/// # Errors
/// As [`Engine::revoke_token`].
pub async fn revoke_token(engine: &Arc<Engine>, id: u64) -> Result<bool> {
    run_blocking(engine, move |e| e.revoke_token(id)).await
}

/// [`Engine::revoke_user_sessions`] on the blocking pool: log out every
/// device of `user_id` but the session with id `keep` (one durable write). Returns how many
/// sessions were revoked.
///
/// # Errors
/// As [`Engine::revoke_user_sessions`].
pub async fn revoke_other_sessions(
    engine: &Arc<Engine>,
    user_id: u64,
    keep: Option<&str>,
) -> Result<usize> {
    let keep = keep.map(str::to_owned);
    run_blocking(engine, move |e| {
        e.revoke_user_sessions(user_id, keep.as_deref())
    })
    .await
}
