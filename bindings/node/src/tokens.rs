//! Personal access tokens: create, authenticate, list, revoke, prune,
//! import Sanctum rows, and their rate limits and quotas.

use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

use crate::convert::{Id, NewTokenObject, TokenInfoObject, TokenLimitsObject, TokenObject};
use crate::engine::NativeEngine;
use crate::errors::js;
use crate::job::Job;

#[napi]
impl NativeEngine {
    /// A new token for `userId`, with a rate limit and/or quota when
    /// `limits` has one; its plain text is shown once.
    #[napi]
    pub fn create_token(
        &self,
        user_id: Id,
        name: String,
        abilities: Vec<String>,
        expires_at: Option<Id>,
        limits: Option<TokenLimitsObject>,
    ) -> napi::Result<AsyncTask<Job<NewTokenObject>>> {
        let limits = limits
            .as_ref()
            .map(authkv::TokenLimits::from)
            .unwrap_or_default();
        self.job(move |e| {
            let expires_at = expires_at.map(|v| v.0);
            let made =
                e.create_token_with_limits(user_id.0, &name, &abilities, expires_at, &limits);
            js(made).map(|t| NewTokenObject {
                id: Id(t.id),
                plain_text: t.plain_text.expose().to_owned(),
                info: TokenInfoObject::from(t.info),
            })
        })
    }

    /// Replace token `id`'s limits (none: unlimited); the counts start
    /// over. `NotFound` for an unknown id.
    #[napi]
    pub fn set_token_limits(
        &self,
        id: Id,
        limits: TokenLimitsObject,
    ) -> napi::Result<AsyncTask<Job<()>>> {
        let limits = authkv::TokenLimits::from(&limits);
        self.job(move |e| js(e.set_token_limits(id.0, &limits)))
    }

    /// Token `id`'s limits with the quota's uses left as of now, or `null`
    /// (unknown or unlimited token).
    #[napi]
    pub fn token_limits(&self, id: Id) -> napi::Result<Option<TokenLimitsObject>> {
        self.with(|e| js(e.token_limits(id.0)).map(|l| l.map(TokenLimitsObject::from)))
    }

    /// The token a client sent, or `null` (malformed, wrong checksum,
    /// unknown, revoked or expired); `RateLimited` or `QuotaExhausted` when
    /// it is over its limits.
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
