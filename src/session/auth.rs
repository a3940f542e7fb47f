//! The request guard's view of a session: its cached summary (see
//! `store::summary`), judged for expiry with pending touches, so that
//! authenticating a request allocates nothing.

use crate::engine::{Core, Engine, Touch};
use crate::error::Result;
use crate::secret::{Digest, RANDOM_LEN, to_hex};
use crate::store::summary::SessionAuth;

/// The session a request authenticated with, as the guard read it: its id,
/// user, CSRF token, times and version, but not its payload (load it with
/// [`Engine::load_session`] when a route needs it). `Debug` never shows the
/// id or the token.
#[derive(Clone, Copy)]
pub struct GuardSession {
    id: [u8; RANDOM_LEN],
    /// The key the session is stored under, so that loading the full
    /// record (the C ABI's principal does) needs no second hash.
    digest: Digest,
    csrf: [u8; RANDOM_LEN],
    /// The logged-in user, if any.
    pub user_id: Option<u64>,
    /// Unix seconds at creation.
    pub created_at: u64,
    /// Unix seconds of the last activity, including a pending touch.
    pub last_activity: u64,
    /// Version of the payload, user and CSRF token.
    pub version: u64,
    /// Unix seconds when the user last proved the password (login or
    /// [`Engine::confirm_password`]).
    pub password_confirmed_at: Option<u64>,
}

impl GuardSession {
    /// The session id, the cookie value. Handle with care.
    pub fn id(&self) -> &str {
        ascii(&self.id)
    }

    /// The session's CSRF token. Handle with care.
    pub fn csrf_token(&self) -> &str {
        ascii(&self.csrf)
    }

    /// This session's public handle, as [`crate::Session::handle`] gives it.
    pub fn handle(&self) -> String {
        to_hex(&self.digest)
    }

    /// The key the session is stored under.
    pub(crate) fn digest(&self) -> &Digest {
        &self.digest
    }
}

impl std::fmt::Debug for GuardSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardSession")
            .field("id", &"<redacted>")
            .field("csrf_token", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("created_at", &self.created_at)
            .field("last_activity", &self.last_activity)
            .field("version", &self.version)
            .field("password_confirmed_at", &self.password_confirmed_at)
            .finish()
    }
}

/// The text of an id or token made of `[A-Za-z0-9]`.
fn ascii(bytes: &[u8; RANDOM_LEN]) -> &str {
    // Both arrays are only ever filled from well-formed ids and checked
    // tokens, so this never fails; an empty string would be the safe answer.
    std::str::from_utf8(bytes).unwrap_or_default()
}

impl Core {
    /// The guard's summary of a session: from the cache, else from a
    /// snapshot (then cached).
    pub(crate) fn session_auth(&self, digest: &Digest) -> Result<Option<SessionAuth>> {
        self.cached(&self.session_auth_cache, *digest, |txn| {
            txn.session_auth(digest)
        })
    }

    /// The session's `last_activity` as of `now`, or `None` when it has
    /// expired. When it is at least `touch_interval` old it moves to now in
    /// memory, for the next flush to write.
    ///
    /// A stored time younger than the interval is final: a pending touch is
    /// only ever noted for a session idle for the whole interval, and any
    /// write since then stored a time at least as new. Such a request —
    /// nearly all of them — takes no lock.
    pub(crate) fn live_activity(
        &self,
        digest: &Digest,
        created_at: u64,
        stored: u64,
        now: u64,
    ) -> Option<u64> {
        let interval = self.config.touch_interval.as_secs();
        if now.saturating_sub(stored) < interval {
            return (!self.session_expired(created_at, stored, now)).then_some(stored);
        }
        let mut touches = self.touches.lock();
        let pending = touches.get(&Touch::Session(*digest)).copied();
        let last_activity = pending.map_or(stored, |t| t.max(stored));
        if self.session_expired(created_at, last_activity, now) {
            return None;
        }
        if now.saturating_sub(last_activity) >= interval && now > last_activity {
            touches.insert(Touch::Session(*digest), now);
            return Some(now);
        }
        Some(last_activity)
    }
}

impl Engine {
    /// The live session `id` as the guard sees it; `None` for a malformed,
    /// unknown or expired id. Touches as [`Engine::load_session`] does.
    pub(crate) fn guard_session(&self, id: &str) -> Result<Option<GuardSession>> {
        self.core
            .find_session(id, |key| self.guard_session_at(id, key))
    }

    /// [`Engine::guard_session`] of the session stored under `digest`;
    /// `id` is well formed.
    fn guard_session_at(&self, id: &str, digest: Digest) -> Result<Option<GuardSession>> {
        let core = &self.core;
        let now = core.now();
        core.count_lookup();
        let Some(auth) = core.session_auth(&digest)? else {
            return Ok(None);
        };
        let Some(last_activity) =
            core.live_activity(&digest, auth.created_at, auth.last_activity, now)
        else {
            return Ok(None);
        };
        let mut id_bytes = [0u8; RANDOM_LEN];
        id_bytes.copy_from_slice(id.as_bytes()); // checked: 40 bytes
        Ok(Some(GuardSession {
            id: id_bytes,
            digest,
            csrf: auth.csrf,
            user_id: auth.user_id,
            created_at: auth.created_at,
            last_activity,
            version: auth.version,
            password_confirmed_at: auth.password_confirmed_at,
        }))
    }
}
