//! Server-side sessions: create, load (with throttled touches), save with an
//! optional expected version, login/regenerate/invalidate rotation, destroy,
//! CSRF tokens, and a user's list of devices with revocation. Only a
//! digest of a session id is stored (see `id`).

pub(crate) mod auth;
pub(crate) mod id;
mod legacy_keys;

pub(crate) use id::session_digest;

use std::sync::Arc;

use crate::engine::{Core, Engine, Touch};
use crate::error::{Error, Result, SessionError};
use crate::secret::{
    Digest, RANDOM_LEN, ct_eq, digest_from_hex, random_alnum, secret_string, to_hex,
};
use crate::store::record::SessionRecord;
use crate::store::{Reads, Writes};

secret_string!(
    /// A session id: 40 characters of `[A-Za-z0-9]`, the cookie value.
    /// `Debug` never shows it.
    SessionId
);

secret_string!(
    /// A CSRF token: 40 characters of `[A-Za-z0-9]`, bound to one session.
    /// `Debug` never shows it.
    CsrfToken
);

/// A live session as the application sees it.
#[derive(Clone)]
#[non_exhaustive]
pub struct Session {
    /// The id to send back in the session cookie.
    pub id: SessionId,
    /// The logged-in user, if any.
    pub user_id: Option<u64>,
    /// The session's CSRF token (for the `XSRF-TOKEN` cookie or a form field).
    pub csrf_token: CsrfToken,
    /// Opaque application data.
    pub payload: Vec<u8>,
    /// Client ip address recorded at creation.
    pub ip: String,
    /// Client user agent recorded at creation (truncated).
    pub user_agent: String,
    /// Unix seconds at creation.
    pub created_at: u64,
    /// Unix seconds of the last activity, including a pending touch.
    pub last_activity: u64,
    /// Version of the payload, user and CSRF token; pass it to
    /// [`Engine::save_session`] to detect concurrent writers.
    pub version: u64,
    /// The key the session is stored under, the source of its handle.
    key: Digest,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("csrf_token", &self.csrf_token)
            .field("payload_len", &self.payload.len())
            .field("ip", &self.ip)
            .field("user_agent", &self.user_agent)
            .field("created_at", &self.created_at)
            .field("last_activity", &self.last_activity)
            .field("version", &self.version)
            .finish()
    }
}

impl Session {
    /// This session's public handle: the hex of the key it is stored under
    /// (derived from a digest of its id, see `id`), as
    /// [`Engine::user_sessions`] lists it. Lets a "your devices" page mark
    /// the session making the request without ever showing an id.
    pub fn handle(&self) -> String {
        to_hex(&self.key)
    }
}

/// One of a user's sessions, as shown on a "your devices" page. Carries a
/// public handle, never the session id.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// Hex of the session's stored key, a digest of its id: safe to show,
    /// usable to revoke.
    pub handle: String,
    /// Client ip address recorded at creation.
    pub ip: String,
    /// Client user agent recorded at creation.
    pub user_agent: String,
    /// Unix seconds at creation.
    pub created_at: u64,
    /// Unix seconds of the last activity, including a pending touch.
    pub last_activity: u64,
}

/// A live session's stored record, shared with the cache, and its
/// `last_activity` including a pending touch.
pub(crate) struct LoadedSession {
    pub key: Digest,
    pub record: Arc<SessionRecord>,
    pub last_activity: u64,
}

/// A fresh 40-character CSRF token.
pub(crate) fn new_token() -> Result<String> {
    let chars = random_alnum::<RANDOM_LEN>()?;
    Ok(chars.iter().map(|&c| char::from(c)).collect())
}

/// Truncate to at most `max` bytes without splitting a character.
pub(crate) fn truncate_on_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Delete every session of `user_id` except `keep`, returning the digests
/// deleted; the caller drops their pending touches after commit.
pub(crate) fn revoke_user_sessions(
    txn: &dyn Writes,
    user_id: u64,
    keep: Option<Digest>,
) -> Result<Vec<Digest>> {
    let mut doomed = txn.user_session_digests(user_id)?;
    doomed.retain(|digest| Some(*digest) != keep);
    for digest in &doomed {
        let record = txn.session(digest)?.ok_or_else(|| Error::Corrupt {
            table: "sessions_by_user",
            detail: format!("index row for missing session {}", to_hex(digest)),
        })?;
        txn.remove_session(digest, &record)?;
    }
    Ok(doomed)
}

/// An id drawn at `now` whose key no stored session has, and that key. A
/// collision of 202 random bits within a minute is astronomically
/// unlikely; it is retried, never overwritten.
fn fresh_id(txn: &dyn Reads, now: u64) -> Result<(SessionId, Digest)> {
    fresh_id_from(txn, || id::new_session_id(now))
}

fn fresh_id_from(
    txn: &dyn Reads,
    mut generate: impl FnMut() -> Result<String>,
) -> Result<(SessionId, Digest)> {
    loop {
        let id = generate()?;
        let digest = session_digest(&id).ok_or(SessionError::MalformedId)?;
        if txn.session(&digest)?.is_none() {
            return Ok((SessionId::new(id), digest));
        }
    }
}

impl Core {
    /// The live record behind `digest` in a write transaction, judged with
    /// its pending touch; `NotFound` when absent or expired.
    pub(crate) fn live_record(
        &self,
        txn: &dyn Reads,
        digest: &Digest,
        now: u64,
    ) -> Result<SessionRecord> {
        self.count_lookup();
        let record = txn.session(digest)?.ok_or(SessionError::NotFound)?;
        self.judged_live(digest, record, now)
    }

    /// [`Core::live_record`] of session `id`, whose key is `key`, found
    /// under its legacy key while such may remain (see `legacy_keys`),
    /// and the key it is stored under: one read when found under `key`.
    pub(crate) fn live_session(
        &self,
        txn: &dyn Reads,
        id: &str,
        key: Digest,
        now: u64,
    ) -> Result<(Digest, SessionRecord)> {
        self.count_lookup();
        let found = self.find_stored(id, key, |key| txn.session(&key))?;
        let (digest, record) = found.ok_or(SessionError::NotFound)?;
        Ok((digest, self.judged_live(&digest, record, now)?))
    }

    /// `record`, stored under `digest`, unless it expired by `now` (its
    /// pending touch counted).
    fn judged_live(
        &self,
        digest: &Digest,
        record: SessionRecord,
        now: u64,
    ) -> Result<SessionRecord> {
        let last_activity = self.effective_activity(digest, &record);
        if self.session_expired(record.created_at, last_activity, now) {
            return Err(SessionError::NotFound.into());
        }
        Ok(record)
    }

    /// Drop the pending touches of deleted sessions.
    pub(crate) fn forget_touches(&self, deleted: &[Digest]) {
        let mut touches = self.touches.lock();
        for digest in deleted {
            touches.remove(&Touch::Session(*digest));
        }
    }

    /// `last_activity` including a touch not yet flushed.
    pub(crate) fn effective_activity(&self, digest: &Digest, record: &SessionRecord) -> u64 {
        self.pending_touch(digest)
            .map_or(record.last_activity, |t| t.max(record.last_activity))
    }
}

impl Core {
    /// The stored record of a session: from the cache, else from a snapshot
    /// (then cached).
    fn session_record(&self, digest: &Digest) -> Result<Option<Arc<SessionRecord>>> {
        self.cached(&self.sessions_cache, *digest, |txn| {
            Ok(txn.session(digest)?.map(Arc::new))
        })
    }
}

fn to_session(id: SessionId, key: Digest, record: impl Into<Owned>, last_activity: u64) -> Session {
    let Owned(record) = record.into();
    Session {
        id,
        key,
        user_id: record.user_id,
        csrf_token: CsrfToken::new(record.csrf),
        payload: record.payload,
        ip: record.ip,
        user_agent: record.user_agent,
        created_at: record.created_at,
        last_activity,
        version: record.version,
    }
}

/// A record owned by the caller: moved when it is, cloned from the cache's
/// shared copy otherwise.
struct Owned(SessionRecord);

impl From<SessionRecord> for Owned {
    fn from(record: SessionRecord) -> Self {
        Owned(record)
    }
}

impl From<Arc<SessionRecord>> for Owned {
    fn from(record: Arc<SessionRecord>) -> Self {
        Owned(Arc::unwrap_or_clone(record))
    }
}

/// What a rotation does to the record besides the new id.
enum Rotation {
    /// New id and CSRF token, user set (login).
    Login(u64),
    /// New id and CSRF token, data kept.
    Regenerate,
    /// New id and CSRF token, data and user cleared (logout).
    Invalidate,
}

impl Engine {
    /// Start a session for a visitor: a fresh id and CSRF token, no user.
    ///
    /// # Errors
    /// [`SessionError::IpTooLong`] when `ip` exceeds `Config::max_ip`; nothing
    /// is stored. [`Error::Storage`] when the commit fails.
    pub fn create_session(&self, ip: &str, user_agent: &str) -> Result<Session> {
        let core = &self.core;
        let max_ip = core.config.max_ip;
        if ip.len() > max_ip {
            return Err(SessionError::IpTooLong {
                len: ip.len(),
                max: max_ip,
            }
            .into());
        }
        let user_agent = truncate_on_char_boundary(user_agent, core.config.max_user_agent);
        let now = core.now();
        let record = SessionRecord {
            user_id: None,
            ip: ip.to_owned(),
            user_agent: user_agent.to_owned(),
            payload: Vec::new(),
            csrf: new_token()?,
            created_at: now,
            last_activity: now,
            version: 0,
            password_confirmed_at: None,
        };
        let (id, key) = core.write_combined(|txn| {
            let (id, key) = fresh_id(txn, now)?;
            txn.insert_session(&key, &record)?;
            Ok((id, key))
        })?;
        Ok(to_session(id, key, record, now))
    }

    /// Load a live session. A malformed, unknown or expired id is `Ok(None)`;
    /// a malformed id reads no table. When `last_activity` is at least
    /// `touch_interval` old it moves to now in memory, written by the next
    /// flush; otherwise the load writes nothing.
    ///
    /// # Errors
    /// [`Error::Storage`] or [`Error::Corrupt`] when the record cannot be read.
    pub fn load_session(&self, id: &str) -> Result<Option<Session>> {
        Ok(self.load_record(id)?.map(|loaded| {
            to_session(
                SessionId::new(id.to_owned()),
                loaded.key,
                loaded.record,
                loaded.last_activity,
            )
        }))
    }

    /// [`Engine::load_session`] without copying the record out of the
    /// cache, for callers (the C ABI) that copy it into their own shape.
    pub(crate) fn load_record(&self, id: &str) -> Result<Option<LoadedSession>> {
        self.core
            .find_session(id, |key| self.load_record_by_digest(&key))
    }

    /// [`Engine::load_record`] for an id already hashed.
    pub(crate) fn load_record_by_digest(&self, digest: &Digest) -> Result<Option<LoadedSession>> {
        let digest = *digest;
        let core = &self.core;
        let now = core.now();
        core.count_lookup();
        let Some(record) = core.session_record(&digest)? else {
            return Ok(None);
        };
        let Some(last_activity) =
            core.live_activity(&digest, record.created_at, record.last_activity, now)
        else {
            return Ok(None);
        };
        Ok(Some(LoadedSession {
            key: digest,
            record,
            last_activity,
        }))
    }

    /// Replace a session's payload. With `expected_version`, the write
    /// happens only if the stored version still equals it. Returns the new
    /// version. Also records activity now.
    ///
    /// # Errors
    /// [`SessionError::PayloadTooLarge`] over `Config::max_payload`,
    /// [`SessionError::NotFound`] for an unknown or expired id,
    /// [`SessionError::Conflict`] when the version moved; in each case
    /// nothing changes.
    pub fn save_session(
        &self,
        id: &str,
        payload: &[u8],
        expected_version: Option<u64>,
    ) -> Result<u64> {
        let core = &self.core;
        let max = core.config.max_payload;
        if payload.len() > max {
            return Err(SessionError::PayloadTooLarge {
                len: payload.len(),
                max,
            }
            .into());
        }
        let key = session_digest(id).ok_or(SessionError::NotFound)?;
        let now = core.now();
        let version = core.write_combined(|txn| {
            let (digest, old) = core.live_session(txn, id, key, now)?;
            if let Some(expected) = expected_version
                && expected != old.version
            {
                return Err(SessionError::Conflict {
                    expected,
                    actual: old.version,
                }
                .into());
            }
            let new = SessionRecord {
                payload: payload.to_vec(),
                last_activity: now.max(old.last_activity),
                version: old.version + 1,
                ..old.clone()
            };
            txn.replace_session(&digest, &old, &new)?;
            Ok(new.version)
        })?;
        Ok(version)
    }

    /// Log `user_id` in on this session: the id and CSRF token rotate, the
    /// old row is deleted (fixation protection), the payload is kept.
    ///
    /// # Errors
    /// [`SessionError::NotFound`] for an unknown or expired id.
    pub fn login(&self, id: &str, user_id: u64) -> Result<Session> {
        self.rotate(id, Rotation::Login(user_id))
    }

    /// Give the session a new id and CSRF token, keeping user and payload.
    ///
    /// # Errors
    /// [`SessionError::NotFound`] for an unknown or expired id.
    pub fn regenerate_session(&self, id: &str) -> Result<Session> {
        self.rotate(id, Rotation::Regenerate)
    }

    /// Log out: clear the user and payload, rotate the id and the CSRF token,
    /// delete the old row. The visitor keeps a fresh anonymous session.
    ///
    /// # Errors
    /// [`SessionError::NotFound`] for an unknown or expired id.
    pub fn invalidate_session(&self, id: &str) -> Result<Session> {
        self.rotate(id, Rotation::Invalidate)
    }

    fn rotate(&self, id: &str, rotation: Rotation) -> Result<Session> {
        let core = &self.core;
        let key = session_digest(id).ok_or(SessionError::NotFound)?;
        let now = core.now();
        let csrf = new_token()?;
        let (digest, new_id, new_key, record) = core.write_combined(|txn| {
            let (digest, old) = core.live_session(txn, id, key, now)?;
            let mut new = SessionRecord {
                csrf: csrf.clone(),
                last_activity: now.max(old.last_activity),
                version: old.version + 1,
                ..old.clone()
            };
            match rotation {
                // Logging in proves the password (the caller's `attempt`).
                Rotation::Login(user) => {
                    new.user_id = Some(user);
                    new.password_confirmed_at = Some(now);
                }
                Rotation::Regenerate => {}
                Rotation::Invalidate => {
                    new.user_id = None;
                    new.payload.clear();
                    new.password_confirmed_at = None;
                }
            }
            txn.remove_session(&digest, &old)?;
            let (new_id, new_key) = fresh_id(txn, now)?;
            txn.insert_session(&new_key, &new)?;
            Ok((digest, new_id, new_key, new))
        })?;
        core.touches.lock().remove(&Touch::Session(digest));
        let last_activity = record.last_activity;
        Ok(to_session(new_id, new_key, record, last_activity))
    }

    /// Delete a session. Returns whether a stored session was deleted
    /// (`false` for an unknown or malformed id).
    ///
    /// # Errors
    /// [`Error::Storage`] when the commit fails.
    pub fn destroy_session(&self, id: &str) -> Result<bool> {
        let Some(digest) = self.core.resolve_session_key(id)? else {
            return Ok(false);
        };
        let deleted = self.delete_by_digest(&digest)?;
        Ok(deleted)
    }

    fn delete_by_digest(&self, digest: &Digest) -> Result<bool> {
        let core = &self.core;
        core.count_lookup();
        // An unknown id or handle is answered from a read snapshot: no write
        // transaction, so no commit and no fsync.
        let stored = core.read(|txn| Ok(txn.session(digest)?.is_some()))?;
        if !stored {
            return Ok(false);
        }
        let deleted = core.write(|txn| match txn.session(digest)? {
            Some(record) => {
                txn.remove_session(digest, &record)?;
                Ok(true)
            }
            None => Ok(false),
        })?;
        core.touches.lock().remove(&Touch::Session(*digest));
        Ok(deleted)
    }

    /// The CSRF token of a live session (a read: it may touch).
    ///
    /// # Errors
    /// [`Error::Storage`] or [`Error::Corrupt`] when the record cannot be read.
    pub fn csrf_token(&self, id: &str) -> Result<Option<CsrfToken>> {
        Ok(self.load_session(id)?.map(|s| s.csrf_token))
    }

    /// Whether `candidate` is this live session's CSRF token, compared in
    /// constant time. Empty, wrong and another session's tokens are `false`,
    /// and so is any token for an unknown or expired session.
    ///
    /// # Errors
    /// [`Error::Storage`] or [`Error::Corrupt`] when the record cannot be read.
    pub fn verify_csrf(&self, id: &str, candidate: &str) -> Result<bool> {
        if candidate.is_empty() {
            return Ok(false);
        }
        Ok(self
            .load_session(id)?
            .is_some_and(|s| ct_eq(s.csrf_token.expose().as_bytes(), candidate.as_bytes())))
    }

    /// Give a live session a new CSRF token and return it.
    ///
    /// # Errors
    /// [`SessionError::NotFound`] for an unknown or expired id.
    pub fn rotate_csrf(&self, id: &str) -> Result<CsrfToken> {
        let core = &self.core;
        let key = session_digest(id).ok_or(SessionError::NotFound)?;
        let now = core.now();
        let csrf = new_token()?;
        core.write(|txn| {
            let (digest, old) = core.live_session(txn, id, key, now)?;
            let new = SessionRecord {
                csrf: csrf.clone(),
                version: old.version + 1,
                ..old.clone()
            };
            txn.replace_session(&digest, &old, &new)
        })?;
        Ok(CsrfToken::new(csrf))
    }

    /// A user's live sessions, oldest first by creation.
    ///
    /// # Errors
    /// [`Error::Storage`] or [`Error::Corrupt`] when a record cannot be read.
    pub fn user_sessions(&self, user_id: u64) -> Result<Vec<SessionInfo>> {
        let core = &self.core;
        let now = core.now();
        let mut list = core.read(|txn| {
            let mut list = Vec::new();
            for digest in txn.user_session_digests(user_id)? {
                core.count_lookup();
                let Some(record) = txn.session(&digest)? else {
                    continue;
                };
                let last_activity = core.effective_activity(&digest, &record);
                if core.session_expired(record.created_at, last_activity, now) {
                    continue;
                }
                list.push(SessionInfo {
                    handle: to_hex(&digest),
                    ip: record.ip,
                    user_agent: record.user_agent,
                    created_at: record.created_at,
                    last_activity,
                });
            }
            Ok(list)
        })?;
        list.sort_by(|a, b| (a.created_at, &a.handle).cmp(&(b.created_at, &b.handle)));
        Ok(list)
    }

    /// Revoke one session by its public handle (from [`Engine::user_sessions`]).
    ///
    /// # Errors
    /// [`SessionError::MalformedHandle`] when `handle` is not 64 hex
    /// characters, [`SessionError::UnknownHandle`] when no session has it.
    pub fn revoke_session(&self, handle: &str) -> Result<()> {
        let digest = digest_from_hex(handle).ok_or(SessionError::MalformedHandle)?;
        if self.delete_by_digest(&digest)? {
            Ok(())
        } else {
            Err(SessionError::UnknownHandle.into())
        }
    }

    /// Revoke every session of `user_id` except the one with id `keep`
    /// ("log out other devices"). Returns how many were deleted.
    ///
    /// # Errors
    /// [`Error::Storage`] when the commit fails; then nothing is deleted.
    pub fn revoke_user_sessions(&self, user_id: u64, keep: Option<&str>) -> Result<usize> {
        let core = &self.core;
        let keep = match keep {
            Some(id) => core.resolve_session_key(id)?,
            None => None,
        };
        let deleted = core.write(|txn| revoke_user_sessions(txn, user_id, keep))?;
        core.forget_touches(&deleted);
        Ok(deleted.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::redb::tables::create_tables;
    use redb::Database;
    use redb::backends::InMemoryBackend;

    fn record() -> SessionRecord {
        SessionRecord {
            user_id: None,
            ip: String::new(),
            user_agent: String::new(),
            payload: b"original".to_vec(),
            csrf: "c".repeat(40),
            created_at: 1,
            last_activity: 1,
            version: 0,
            password_confirmed_at: None,
        }
    }

    #[test]
    fn a_colliding_id_is_drawn_again_never_overwritten() {
        let db = Database::builder()
            .create_with_backend(InMemoryBackend::new())
            .expect("db");
        let txn = db.begin_write().expect("txn");
        create_tables(&txn).expect("tables");
        let taken = "A".repeat(40);
        let taken_key = session_digest(&taken).expect("well formed");
        txn.insert_session(&taken_key, &record()).expect("insert");
        let mut draws = vec!["B".repeat(40), taken.clone()];
        let (id, digest) =
            fresh_id_from(&txn, || Ok(draws.pop().expect("a draw left"))).expect("fresh id");
        assert_eq!(id.expose(), "B".repeat(40));
        assert_eq!(Some(digest), session_digest(id.expose()));
        assert!(draws.is_empty(), "the taken id was drawn and rejected");
        let kept = txn.session(&taken_key).expect("get").expect("kept");
        assert_eq!(kept.payload, b"original");
    }

    #[test]
    fn truncation_never_splits_a_character() {
        assert_eq!(truncate_on_char_boundary("héllo", 2), "h");
        assert_eq!(truncate_on_char_boundary("héllo", 3), "hé");
        assert_eq!(truncate_on_char_boundary("abc", 10), "abc");
    }
}
