//! Personal access tokens: create, authenticate, list, revoke, prune and
//! import Sanctum rows.

use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

use crate::convert::{Id, NewTokenObject, TokenInfoObject, TokenObject};
use crate::engine::NativeEngine;
use crate::errors::js;
use crate::job::Job;

#[napi]
impl NativeEngine {
    /// A new token for `userId`; its plain text is shown once.
    #[napi]
    pub fn create_token(
        &self,
        user_id: Id,
        name: String,
        abilities: Vec<String>,
        expires_at: Option<Id>,
    ) -> napi::Result<AsyncTask<Job<NewTokenObject>>> {
        self.job(move |e| {
            js(e.create_token(user_id.0, &name, &abilities, expires_at.map(|v| v.0))).map(|t| {
                NewTokenObject {
                    id: Id(t.id),
                    plain_text: t.plain_text.expose().to_owned(),
                    info: TokenInfoObject::from(t.info),
                }
            })
        })
    }

    /// The token a client sent, or `null` (malformed, wrong checksum,
    /// unknown, revoked or expired).
    #[napi]
    pub fn authenticate_token(&self, text: String) -> napi::Result<Option<TokenObject>> {
        self.with(|e| {
            js(e.authenticate_token(&text)).map(|t| {
                t.map(|t| TokenObject {
                    id: Id(t.id),
                    user_id: Id(t.user_id),
                    abilities: t.abilities.as_slice().to_vec(),
                })
            })
        })
    }

    /// The user's stored tokens, oldest first, expired ones included.
    #[napi]
    pub fn user_tokens(&self, user_id: Id) -> napi::Result<Vec<TokenInfoObject>> {
        self.with(|e| {
            js(e.user_tokens(user_id.0))
                .map(|list| list.into_iter().map(TokenInfoObject::from).collect())
        })
    }

    /// Delete one token; resolves to whether it existed.
    #[napi]
    pub fn revoke_token(&self, id: Id) -> napi::Result<AsyncTask<Job<bool>>> {
        self.job(move |e| js(e.revoke_token(id.0)))
    }

    /// Delete every token of the user; resolves to how many.
    #[napi]
    pub fn revoke_user_tokens(&self, user_id: Id) -> napi::Result<AsyncTask<Job<Id>>> {
        self.job(move |e| js(e.revoke_user_tokens(user_id.0)).map(|n| Id(n as u64)))
    }

    /// Delete tokens expired for more than `hours`; resolves to how many.
    #[napi]
    pub fn prune_tokens(&self, hours: Id) -> napi::Result<AsyncTask<Job<Id>>> {
        self.job(move |e| js(e.prune_expired_tokens(hours.0)).map(Id))
    }

    /// Store a row of Laravel's `personal_access_tokens` so that its plain
    /// text keeps working.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn import_sanctum_token(
        &self,
        id: Id,
        user_id: Id,
        name: String,
        sha256_hex: String,
        abilities: Vec<String>,
        created_at: Id,
        last_used_at: Option<Id>,
        expires_at: Option<Id>,
    ) -> napi::Result<AsyncTask<Job<()>>> {
        self.job(move |e| {
            js(e.import_sanctum_token(
                id.0,
                user_id.0,
                &name,
                &sha256_hex,
                &abilities,
                created_at.0,
                last_used_at.map(|v| v.0),
                expires_at.map(|v| v.0),
            ))
        })
    }
}
