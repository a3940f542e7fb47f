//! Values crossing into JavaScript: ids as exact numbers, and the
//! crate's records as plain objects.

use napi::bindgen_prelude::{
    Buffer, FromNapiValue, ToNapiValue, TypeName, ValidateNapiValue, ValueType,
};
use napi::{check_status, sys};
use napi_derive::napi;

use crate::errors::invalid;

/// `Number.MAX_SAFE_INTEGER`: every integer up to it is exact in a double.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A user, token or version number: from JavaScript a non-negative integer
/// `number` or a `bigint` below 2^64; to JavaScript a `number` up to
/// `Number.MAX_SAFE_INTEGER` and a `bigint` above, so it is always exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Id(pub u64);

impl TypeName for Id {
    fn type_name() -> &'static str {
        "number | bigint"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Id {
    unsafe fn validate(
        _env: sys::napi_env,
        _value: sys::napi_value,
    ) -> napi::Result<sys::napi_value> {
        // `from_napi_value` checks the type and says which was expected.
        Ok(std::ptr::null_mut())
    }
}

impl FromNapiValue for Id {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut kind = 0;
        // SAFETY: env and value come from napi for this call.
        check_status!(unsafe { sys::napi_typeof(env, value, &mut kind) })?;
        if kind == sys::ValueType::napi_number {
            let mut number = 0f64;
            // SAFETY: as above; the value is a number.
            check_status!(unsafe { sys::napi_get_value_double(env, value, &mut number) })?;
            if number.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER as f64).contains(&number) {
                return Ok(Id(number as u64));
            }
            return Err(invalid(format!(
                "{number} is not an id: ids are integers from 0 to 2^53 - 1 as numbers (larger \
                 ones as bigint)"
            )));
        }
        if kind == sys::ValueType::napi_bigint {
            let (mut out, mut lossless) = (0u64, false);
            // SAFETY: as above; the value is a bigint.
            check_status!(unsafe {
                sys::napi_get_value_bigint_uint64(env, value, &mut out, &mut lossless)
            })?;
            if lossless {
                return Ok(Id(out));
            }
            return Err(invalid("a bigint id must be from 0 to 2^64 - 1"));
        }
        Err(invalid("an id must be a number or a bigint"))
    }
}

impl ToNapiValue for Id {
    unsafe fn to_napi_value(env: sys::napi_env, id: Id) -> napi::Result<sys::napi_value> {
        let mut out = std::ptr::null_mut();
        if id.0 <= MAX_SAFE_INTEGER {
            // SAFETY: env comes from napi for this call.
            check_status!(unsafe { sys::napi_create_double(env, id.0 as f64, &mut out) })?;
        } else {
            // SAFETY: as above.
            check_status!(unsafe { sys::napi_create_bigint_uint64(env, id.0, &mut out) })?;
        }
        Ok(out)
    }
}

/// A live session (`Session` in index.d.ts).
#[napi(object)]
pub struct SessionObject {
    pub id: String,
    pub user_id: Option<Id>,
    pub csrf_token: String,
    pub payload: Buffer,
    pub ip: String,
    pub user_agent: String,
    pub created_at: Id,
    pub last_activity: Id,
    pub version: Id,
    /// The public handle (hex of the stored key, a digest of the id).
    pub handle: String,
}

impl From<authkv::Session> for SessionObject {
    fn from(s: authkv::Session) -> Self {
        let handle = s.handle();
        SessionObject {
            id: s.id.expose().to_owned(),
            user_id: s.user_id.map(Id),
            csrf_token: s.csrf_token.expose().to_owned(),
            payload: s.payload.into(),
            ip: s.ip,
            user_agent: s.user_agent,
            created_at: Id(s.created_at),
            last_activity: Id(s.last_activity),
            version: Id(s.version),
            handle,
        }
    }
}

/// One of a user's sessions by public handle (`SessionInfo`).
#[napi(object)]
pub struct SessionInfoObject {
    pub handle: String,
    pub ip: String,
    pub user_agent: String,
    pub created_at: Id,
    pub last_activity: Id,
}

impl From<authkv::SessionInfo> for SessionInfoObject {
    fn from(s: authkv::SessionInfo) -> Self {
        SessionInfoObject {
            handle: s.handle,
            ip: s.ip,
            user_agent: s.user_agent,
            created_at: Id(s.created_at),
            last_activity: Id(s.last_activity),
        }
    }
}

/// A stored token, never its secret (`TokenInfo`).
#[napi(object)]
pub struct TokenInfoObject {
    pub id: Id,
    pub name: String,
    pub abilities: Vec<String>,
    pub created_at: Id,
    pub last_used_at: Option<Id>,
    pub expires_at: Option<Id>,
    pub expired: bool,
}

impl From<authkv::TokenInfo> for TokenInfoObject {
    fn from(t: authkv::TokenInfo) -> Self {
        TokenInfoObject {
            id: Id(t.id),
            name: t.name,
            abilities: t.abilities.as_slice().to_vec(),
            created_at: Id(t.created_at),
            last_used_at: t.last_used_at.map(Id),
            expires_at: t.expires_at.map(Id),
            expired: t.expired,
        }
    }
}

/// A token just created (`NewToken`).
#[napi(object)]
pub struct NewTokenObject {
    pub id: Id,
    pub plain_text: String,
    pub info: TokenInfoObject,
}

/// A token that authenticated (`AuthenticatedToken`), and a principal
/// (`Principal`) when `via` is set.
#[napi(object)]
pub struct TokenObject {
    pub id: Id,
    pub user_id: Id,
    pub abilities: Vec<String>,
}

/// The engine's counters and sizes (`Stats`).
#[napi(object)]
pub struct StatsObject {
    pub sessions: Id,
    pub tokens: Id,
    pub credentials: Id,
    pub remember_tokens: Id,
    pub write_commits: Id,
    pub durable_syncs: Id,
    pub cached_records: Id,
    pub cached_summaries: Id,
    pub touches_pending: Id,
    pub lookups: Id,
    pub gc_examined: Id,
    pub gc_deleted: Id,
    pub background_errors: Id,
    pub password_verifications: Id,
}

impl From<authkv::Stats> for StatsObject {
    fn from(s: authkv::Stats) -> Self {
        StatsObject {
            sessions: Id(s.sessions),
            tokens: Id(s.tokens),
            credentials: Id(s.credentials),
            remember_tokens: Id(s.remember_tokens),
            write_commits: Id(s.write_commits),
            durable_syncs: Id(s.durable_syncs),
            cached_records: Id(s.cached_records),
            cached_summaries: Id(s.cached_summaries),
            touches_pending: Id(s.touches_pending),
            lookups: Id(s.lookups),
            gc_examined: Id(s.gc_examined),
            gc_deleted: Id(s.gc_deleted),
            background_errors: Id(s.background_errors),
            password_verifications: Id(s.password_verifications),
        }
    }
}

/// What one collection did (`GcReport`).
#[napi(object)]
pub struct GcReportObject {
    pub sessions_deleted: Id,
    pub tokens_deleted: Id,
    pub throttles_deleted: Id,
    pub remember_tokens_deleted: Id,
    pub records_examined: Id,
    pub batches: Id,
    pub lease_held_elsewhere: bool,
    /// Pending touches written (housekeeping only; 0 for `gc`).
    pub touches_flushed: Id,
}

impl GcReportObject {
    pub fn new(r: authkv::GcReport, touches_flushed: usize) -> Self {
        GcReportObject {
            sessions_deleted: Id(r.sessions_deleted),
            tokens_deleted: Id(r.tokens_deleted),
            throttles_deleted: Id(r.throttles_deleted),
            remember_tokens_deleted: Id(r.remember_tokens_deleted),
            records_examined: Id(r.records_examined),
            batches: Id(r.batches),
            lease_held_elsewhere: r.lease_held_elsewhere,
            touches_flushed: Id(touches_flushed as u64),
        }
    }
}

/// What a consistency check found (`VerifyReport`).
#[napi(object)]
pub struct VerifyReportObject {
    pub records_checked: Id,
    pub index_rows_checked: Id,
    pub problems: Vec<String>,
}

/// A token's rate limit (`RateLimit`): `max` requests per `window`
/// seconds.
#[napi(object)]
pub struct RateLimitObject {
    pub max: Id,
    pub window: Id,
}

/// A token's quota (`Quota`): `remaining` uses, reset to `refillAmount`
/// every `refillInterval` seconds when one is given.
#[napi(object)]
pub struct QuotaObject {
    pub remaining: Id,
    pub refill_amount: Id,
    pub refill_interval: Option<Id>,
}

/// A token's limits (`TokenLimits`); both absent: unlimited.
#[napi(object)]
pub struct TokenLimitsObject {
    pub rate_limit: Option<RateLimitObject>,
    pub quota: Option<QuotaObject>,
}

impl From<&TokenLimitsObject> for authkv::TokenLimits {
    fn from(l: &TokenLimitsObject) -> Self {
        use std::time::Duration;
        authkv::TokenLimits {
            rate_limit: l.rate_limit.as_ref().map(|r| authkv::RateLimit {
                max: r.max.0,
                window: Duration::from_secs(r.window.0),
            }),
            quota: l.quota.as_ref().map(|q| authkv::Quota {
                remaining: q.remaining.0,
                refill_amount: q.refill_amount.0,
                refill_interval: q.refill_interval.map(|i| Duration::from_secs(i.0)),
            }),
        }
    }
}

impl From<authkv::TokenLimits> for TokenLimitsObject {
    fn from(l: authkv::TokenLimits) -> Self {
        TokenLimitsObject {
            rate_limit: l.rate_limit.map(|r| RateLimitObject {
                max: Id(r.max),
                window: Id(r.window.as_secs()),
            }),
            quota: l.quota.map(|q| QuotaObject {
                remaining: Id(q.remaining),
                refill_amount: Id(q.refill_amount),
                refill_interval: q.refill_interval.map(|i| Id(i.as_secs())),
            }),
        }
    }
}
