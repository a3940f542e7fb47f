//! A token's rate limit and usage quota, as an application sets them:
//! validated, stored beside the token, and read back with the use counted
//! so far. How requests are counted against them is `token::admission`.

use std::time::Duration;

use crate::engine::Engine;
use crate::error::{Result, TokenError};
use crate::secret::random_bytes;
use crate::store::record::{LimitsRecord, QuotaRecord, RateRecord};
use crate::token::NewToken;

/// Longest rate-limit window or refill interval: 100 years, far beyond any
/// use, and small enough that times derived from it never overflow.
pub(crate) const MAX_LIMIT_SECONDS: u64 = 100 * 366 * 86_400;

/// At most `max` requests per `window`, counted from the window's first
/// request (Laravel's `RateLimiter`); the next one is refused until the
/// window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests admitted per window (at least 1).
    pub max: u64,
    /// The window, in whole seconds (one second to 100 years).
    pub window: Duration,
}

/// A number of uses, optionally reset to `refill_amount` every
/// `refill_interval` (counted from when the quota was set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Uses left.
    pub remaining: u64,
    /// What `remaining` is reset to at each refill.
    pub refill_amount: u64,
    /// How often it refills, in whole seconds (one second to 100 years);
    /// `None` never refills.
    pub refill_interval: Option<Duration>,
}

/// What a token may use: either, both or neither.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenLimits {
    /// Requests per window.
    pub rate_limit: Option<RateLimit>,
    /// Uses in all, refilled or not.
    pub quota: Option<Quota>,
}

impl TokenLimits {
    /// Whether nothing is limited.
    pub fn is_unlimited(&self) -> bool {
        self.rate_limit.is_none() && self.quota.is_none()
    }

    /// The record to store, counting from `now`, or `None` when nothing is
    /// limited.
    pub(crate) fn record(&self, now: u64) -> Result<Option<LimitsRecord>> {
        if self.is_unlimited() {
            return Ok(None);
        }
        let rate = match self.rate_limit {
            Some(rate) => {
                if rate.max == 0 {
                    return Err(invalid("a rate limit's max must be at least 1"));
                }
                let window = whole_seconds(
                    rate.window,
                    "a rate limit's window must be a whole number of seconds, from 1 to 100 years",
                )?;
                Some(RateRecord {
                    max: rate.max,
                    window,
                })
            }
            None => None,
        };
        let quota = match self.quota {
            Some(quota) => {
                let refill_interval = match quota.refill_interval {
                    Some(interval) => {
                        if quota.refill_amount == 0 {
                            return Err(invalid(
                                "a refilled quota's refill_amount must be at least 1",
                            ));
                        }
                        whole_seconds(
                            interval,
                            "a quota's refill_interval must be a whole number of seconds, \
                             from 1 to 100 years",
                        )?
                    }
                    None => 0,
                };
                Some(QuotaRecord {
                    remaining: quota.remaining,
                    refill_amount: quota.refill_amount,
                    refill_interval,
                    refilled_at: now,
                })
            }
            None => None,
        };
        Ok(Some(LimitsRecord {
            rate,
            quota,
            generation: u64::from_le_bytes(random_bytes()?),
        }))
    }

    /// The limits a record holds, with `remaining` as given.
    pub(crate) fn of(record: &LimitsRecord, remaining: u64) -> Self {
        TokenLimits {
            rate_limit: record.rate.map(|rate| RateLimit {
                max: rate.max,
                window: Duration::from_secs(rate.window),
            }),
            quota: record.quota.map(|quota| Quota {
                remaining,
                refill_amount: quota.refill_amount,
                refill_interval: (quota.refill_interval > 0)
                    .then(|| Duration::from_secs(quota.refill_interval)),
            }),
        }
    }
}

fn invalid(reason: &'static str) -> crate::Error {
    TokenError::InvalidLimits { reason }.into()
}

/// `duration` in seconds, refused (with `reason`) unless it is a whole
/// number of them, from one to [`MAX_LIMIT_SECONDS`].
fn whole_seconds(duration: Duration, reason: &'static str) -> Result<u64> {
    let seconds = duration.as_secs();
    if duration.subsec_nanos() != 0 || !(1..=MAX_LIMIT_SECONDS).contains(&seconds) {
        return Err(invalid(reason));
    }
    Ok(seconds)
}

impl Engine {
    /// [`Engine::create_token`] with a rate limit and/or quota, stored in
    /// the same transaction as the token.
    ///
    /// # Errors
    /// As [`Engine::create_token`], and [`TokenError::InvalidLimits`]:
    /// nothing is stored.
    pub fn create_token_with_limits<I, S>(
        &self,
        user_id: u64,
        name: &str,
        abilities: I,
        expires_at: Option<u64>,
        limits: &TokenLimits,
    ) -> Result<NewToken>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let record = limits.record(self.core.now())?;
        self.create_token_limited(user_id, name, abilities, expires_at, record.as_ref())
    }

    /// Replace token `id`'s limits (unlimited removes them). The counts
    /// start over: the window is empty and the quota is `remaining`, its
    /// refill period starting now, on every host at its next request.
    ///
    /// # Errors
    /// [`TokenError::InvalidLimits`], [`TokenError::UnknownToken`]: nothing
    /// is changed. [`crate::Error::Storage`] when the commit fails.
    pub fn set_token_limits(&self, id: u64, limits: &TokenLimits) -> Result<()> {
        let core = &self.core;
        let record = limits.record(core.now())?;
        core.write(|txn| {
            if txn.token(id)?.is_none() {
                return Err(TokenError::UnknownToken { id }.into());
            }
            txn.put_token_limits(id, record.as_ref())
        })
    }

    /// Token `id`'s limits, with the quota's `remaining` as of now: its
    /// uses on this host counted, also those not yet written, and a refill
    /// that is due applied. `None` for an unknown or unlimited token.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] or [`crate::Error::Corrupt`] when the record
    /// cannot be read.
    pub fn token_limits(&self, id: u64) -> Result<Option<TokenLimits>> {
        let core = &self.core;
        let Some(record) = core.read(|txn| txn.token_limits(id))? else {
            return Ok(None);
        };
        let remaining = core.quota_remaining(id, &record, core.now());
        Ok(Some(TokenLimits::of(&record, remaining)))
    }
}
