//! Passwords (set, a throttled login attempt, confirm, change) and
//! remember-me tokens. Every call here runs argon2 or commits, so each is
//! a Promise: a login never holds up the event loop.

use authkv::{AttemptOutcome, ConfirmOutcome, RememberOutcome};
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

use crate::convert::Id;
use crate::engine::NativeEngine;
use crate::errors::{INVALID_ARGUMENT, failure, js};
use crate::job::Job;

/// What a login attempt or a remember-me cookie led to. `outcome` is
/// `"authenticated"`, `"invalidCredentials"`, `"throttled"` (with
/// `retryAfter`), `"theftDetected"` or `"invalid"`; `index.js` turns the
/// refusals into errors.
#[napi(object)]
pub struct Outcome {
    pub outcome: String,
    pub user_id: Option<Id>,
    pub retry_after: Option<Id>,
    /// The rotated remember-me token.
    pub token: Option<String>,
}

impl Outcome {
    fn named(outcome: &str) -> Self {
        Outcome {
            outcome: outcome.to_owned(),
            user_id: None,
            retry_after: None,
            token: None,
        }
    }
}

#[napi]
impl NativeEngine {
    /// Set the user's login and password (argon2id).
    #[napi]
    pub fn set_password(
        &self,
        user_id: Id,
        login: String,
        password: String,
    ) -> napi::Result<AsyncTask<Job<()>>> {
        self.job(move |e| js(e.set_password(user_id.0, &login, &password)))
    }

    /// A throttled login attempt.
    #[napi]
    pub fn attempt(
        &self,
        login: String,
        password: String,
        ip: String,
    ) -> napi::Result<AsyncTask<Job<Outcome>>> {
        self.job(move |e| {
            Ok(match js(e.attempt(&login, &password, &ip))? {
                AttemptOutcome::Authenticated { user_id } => Outcome {
                    user_id: Some(Id(user_id)),
                    ..Outcome::named("authenticated")
                },
                AttemptOutcome::InvalidCredentials => Outcome::named("invalidCredentials"),
                AttemptOutcome::Throttled { retry_after } => Outcome {
                    retry_after: Some(Id(retry_after)),
                    ..Outcome::named("throttled")
                },
                other => {
                    return Err(failure(
                        INVALID_ARGUMENT,
                        format!(
                            "login attempt ended in an outcome this addon does not know: {other:?}"
                        ),
                    ));
                }
            })
        })
    }

    /// Confirm the password of the user on session `id` (throttled): the
    /// session is fresh from now.
    #[napi]
    pub fn confirm_password(
        &self,
        id: String,
        password: String,
    ) -> napi::Result<AsyncTask<Job<Outcome>>> {
        self.job(move |e| {
            Ok(match js(e.confirm_password(&id, &password))? {
                ConfirmOutcome::Confirmed => Outcome::named("confirmed"),
                ConfirmOutcome::InvalidPassword => Outcome::named("invalidCredentials"),
                ConfirmOutcome::Throttled { retry_after } => Outcome {
                    retry_after: Some(Id(retry_after)),
                    ..Outcome::named("throttled")
                },
                other => {
                    return Err(failure(
                        INVALID_ARGUMENT,
                        format!("confirmation ended in an outcome this addon does not know: {other:?}"),
                    ));
                }
            })
        })
    }

    /// Whether the user on session `id` proved the password within
    /// `max_age_secs` (a cached lookup: answered on the calling thread).
    #[napi]
    pub fn is_fresh(&self, id: String, max_age_secs: f64) -> napi::Result<bool> {
        let max_age = std::time::Duration::from_secs(max_age_secs.max(0.0) as u64);
        self.with(|e| js(e.is_fresh(&id, max_age)))
    }

    /// Whether `password` is the user's (one argon2 run, not throttled).
    #[napi]
    pub fn verify_password(
        &self,
        user_id: Id,
        password: String,
    ) -> napi::Result<AsyncTask<Job<bool>>> {
        self.job(move |e| js(e.verify_password(user_id.0, &password)))
    }

    /// Store a new password and log the user's other devices out.
    #[napi]
    pub fn change_password(
        &self,
        user_id: Id,
        new_password: String,
        keep_session: Option<String>,
        revoke_tokens: bool,
    ) -> napi::Result<AsyncTask<Job<()>>> {
        self.job(move |e| {
            js(e.change_password(
                user_id.0,
                &new_password,
                keep_session.as_deref(),
                revoke_tokens,
            ))
        })
    }

    /// A remember-me token (`selector:validator`) for the user's cookie.
    #[napi]
    pub fn create_remember_token(&self, user_id: Id) -> napi::Result<AsyncTask<Job<String>>> {
        self.job(move |e| js(e.create_remember_token(user_id.0)).map(|t| t.expose().to_owned()))
    }

    /// Present a remember-me cookie: the user and the rotated token.
    #[napi]
    pub fn consume_remember_token(&self, token: String) -> napi::Result<AsyncTask<Job<Outcome>>> {
        self.job(move |e| {
            Ok(match js(e.consume_remember_token(&token))? {
                RememberOutcome::Authenticated { user_id, token } => Outcome {
                    user_id: Some(Id(user_id)),
                    token: Some(token.expose().to_owned()),
                    ..Outcome::named("authenticated")
                },
                RememberOutcome::TheftDetected { user_id } => Outcome {
                    user_id: Some(Id(user_id)),
                    ..Outcome::named("theftDetected")
                },
                _ => Outcome::named("invalid"),
            })
        })
    }

    /// Delete every remember-me token of the user; resolves to how many.
    #[napi]
    pub fn revoke_remember_tokens(&self, user_id: Id) -> napi::Result<AsyncTask<Job<Id>>> {
        self.job(move |e| js(e.revoke_remember_tokens(user_id.0)).map(|n| Id(n as u64)))
    }
}
