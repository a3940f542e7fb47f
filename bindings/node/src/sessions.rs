//! Sessions: create, load, save, the three rotations, destroy, CSRF, and a
//! user's devices. Loads and CSRF checks are cached lookups made on the
//! event loop; everything that commits is a Promise.

use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi_derive::napi;

use crate::convert::{Id, SessionInfoObject, SessionObject};
use crate::engine::NativeEngine;
use crate::errors::js;
use crate::job::Job;

#[napi]
impl NativeEngine {
    /// Start a visitor's session: a fresh id and CSRF token, no user.
    #[napi]
    pub fn create_session(
        &self,
        ip: String,
        user_agent: String,
    ) -> napi::Result<AsyncTask<Job<SessionObject>>> {
        self.job(move |e| js(e.create_session(&ip, &user_agent)).map(SessionObject::from))
    }

    /// The live session with this id, or `null`.
    #[napi]
    pub fn load_session(&self, id: String) -> napi::Result<Option<SessionObject>> {
        self.with(|e| js(e.load_session(&id)).map(|s| s.map(SessionObject::from)))
    }

    /// The live session's payload as UTF-8 text, its user, CSRF token and
    /// version — what a session store reads per request — or `null`.
    #[napi]
    pub fn load_session_text(&self, id: String) -> napi::Result<Option<StoredSession>> {
        self.with(|e| {
            js(e.load_session(&id)).map(|s| {
                s.map(|s| StoredSession {
                    payload: String::from_utf8_lossy(&s.payload).into_owned(),
                    user_id: s.user_id.map(Id),
                    csrf_token: s.csrf_token.expose().to_owned(),
                    version: Id(s.version),
                })
            })
        })
    }

    /// Replace the payload (with `expectedVersion`, only if nobody wrote
    /// since); resolves to the new version.
    #[napi]
    pub fn save_session(
        &self,
        id: String,
        payload: Buffer,
        expected_version: Option<Id>,
    ) -> napi::Result<AsyncTask<Job<Id>>> {
        let payload = payload.to_vec();
        self.job(move |e| js(e.save_session(&id, &payload, expected_version.map(|v| v.0))).map(Id))
    }

    /// Log `userId` in: id and CSRF token rotate, the old id dies.
    #[napi]
    pub fn login(&self, id: String, user_id: Id) -> napi::Result<AsyncTask<Job<SessionObject>>> {
        self.job(move |e| js(e.login(&id, user_id.0)).map(SessionObject::from))
    }

    /// New id and CSRF token; user and payload kept.
    #[napi]
    pub fn regenerate_session(&self, id: String) -> napi::Result<AsyncTask<Job<SessionObject>>> {
        self.job(move |e| js(e.regenerate_session(&id)).map(SessionObject::from))
    }

    /// Log out: user and payload cleared, id and CSRF token rotated.
    #[napi]
    pub fn invalidate_session(&self, id: String) -> napi::Result<AsyncTask<Job<SessionObject>>> {
        self.job(move |e| js(e.invalidate_session(&id)).map(SessionObject::from))
    }

    /// Delete the session; resolves to whether one was deleted.
    #[napi]
    pub fn destroy_session(&self, id: String) -> napi::Result<AsyncTask<Job<bool>>> {
        self.job(move |e| js(e.destroy_session(&id)))
    }

    /// The live session's CSRF token, or `null`.
    #[napi]
    pub fn csrf_token(&self, id: String) -> napi::Result<Option<String>> {
        self.with(|e| js(e.csrf_token(&id)).map(|t| t.map(|t| t.expose().to_owned())))
    }

    /// Whether `candidate` is the live session's CSRF token (constant time).
    #[napi]
    pub fn verify_csrf(&self, id: String, candidate: String) -> napi::Result<bool> {
        self.with(|e| js(e.verify_csrf(&id, &candidate)))
    }

    /// A new CSRF token for the session.
    #[napi]
    pub fn rotate_csrf(&self, id: String) -> napi::Result<AsyncTask<Job<String>>> {
        self.job(move |e| js(e.rotate_csrf(&id)).map(|t| t.expose().to_owned()))
    }

    /// The user's live sessions, oldest first, by public handle.
    #[napi]
    pub fn user_sessions(&self, user_id: Id) -> napi::Result<Vec<SessionInfoObject>> {
        self.with(|e| {
            js(e.user_sessions(user_id.0))
                .map(|list| list.into_iter().map(SessionInfoObject::from).collect())
        })
    }

    /// Delete one session by its public handle.
    #[napi]
    pub fn revoke_session(&self, handle: String) -> napi::Result<AsyncTask<Job<()>>> {
        self.job(move |e| js(e.revoke_session(&handle)))
    }

    /// Delete every session of the user but `keep`; resolves to how many.
    #[napi]
    pub fn revoke_user_sessions(
        &self,
        user_id: Id,
        keep: Option<String>,
    ) -> napi::Result<AsyncTask<Job<Id>>> {
        self.job(move |e| {
            js(e.revoke_user_sessions(user_id.0, keep.as_deref())).map(|n| Id(n as u64))
        })
    }
}

/// A session as a store reads it (`loadSessionText`).
#[napi(object)]
pub struct StoredSession {
    pub payload: String,
    pub user_id: Option<Id>,
    pub csrf_token: String,
    pub version: Id,
}
