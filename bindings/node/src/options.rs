//! The options of `new Engine(path, options)`: the crate's `Config`, with
//! the names of the C ABI's `authkv_options` in camelCase. `index.js`
//! checks their types; the values are checked here and by the crate.

use std::time::Duration;

use authkv::http::{SameSite, StatefulDomains, render_set_cookie};
use authkv::{Clock, Concurrency, Config, Create, CsrfMode, ManualClock, PasswordParams};
use napi_derive::napi;

use crate::errors::invalid;

/// Every option; an absent one keeps the crate's default.
#[napi(object)]
#[derive(Default)]
pub struct OpenOptions {
    pub idle_lifetime_secs: Option<f64>,
    pub absolute_lifetime_secs: Option<f64>,
    pub touch_interval_secs: Option<f64>,
    pub max_payload: Option<f64>,
    pub max_user_agent: Option<f64>,
    pub max_ip: Option<f64>,
    pub gc_batch_size: Option<f64>,
    pub background_interval_secs: Option<f64>,
    pub cache_size: Option<f64>,
    pub cache_entries: Option<f64>,
    pub auth_cache_entries: Option<f64>,
    pub manual_clock: Option<bool>,
    pub manual_clock_start: Option<f64>,
    pub durable_commits: Option<bool>,
    pub token_prefix: Option<String>,
    pub token_expiration_secs: Option<f64>,
    pub allow_legacy_tokens: Option<bool>,
    pub token_prune_hours: Option<f64>,
    pub argon2_m_cost: Option<f64>,
    pub argon2_t_cost: Option<f64>,
    pub argon2_p_cost: Option<f64>,
    pub throttle_max_attempts: Option<f64>,
    pub throttle_window_secs: Option<f64>,
    pub remember_lifetime_secs: Option<f64>,
    /// Patterns (`host[:port]`, `*.example.com`); empty: no first party.
    pub stateful_domains: Option<Vec<String>>,
    pub same_host_is_stateful: Option<bool>,
    pub session_cookie: Option<String>,
    pub xsrf_cookie: Option<String>,
    pub cookie_secure: Option<bool>,
    /// `"lax"`, `"strict"` or `"none"`.
    pub cookie_same_site: Option<String>,
    pub cookie_path: Option<String>,
    pub cookie_domain: Option<String>,
    pub cookie_host_prefix: Option<bool>,
    pub expire_on_close: Option<bool>,
    pub exclusive: Option<bool>,
    pub quick_repair: Option<bool>,
    /// `"ifMissing"`, `"ifMissingOrEmpty"` or `"never"`.
    pub create: Option<String>,
    /// `"token"`, `"fetch-metadata"` or `"either"`.
    pub csrf_mode: Option<String>,
    pub csrf_accepts_same_site: Option<bool>,
}

/// A non-negative integer option.
fn whole(value: f64, name: &str) -> napi::Result<u64> {
    if value.fract() == 0.0 && (0.0..=crate::convert::MAX_SAFE_INTEGER as f64).contains(&value) {
        Ok(value as u64)
    } else {
        Err(invalid(format!(
            "option {name}: {value} is not an integer from 0 to 2^53 - 1"
        )))
    }
}

fn small(value: f64, name: &str) -> napi::Result<u32> {
    u32::try_from(whole(value, name)?)
        .map_err(|_| invalid(format!("option {name}: {value} exceeds 2^32 - 1")))
}

fn size(value: f64, name: &str) -> napi::Result<usize> {
    usize::try_from(whole(value, name)?)
        .map_err(|_| invalid(format!("option {name}: {value} is too large")))
}

fn seconds(value: f64, name: &str) -> napi::Result<Duration> {
    Ok(Duration::from_secs(whole(value, name)?))
}

/// Seconds where 0 means "none" (as in the C ABI).
fn optional_seconds(value: f64, name: &str) -> napi::Result<Option<Duration>> {
    let secs = whole(value, name)?;
    Ok((secs != 0).then(|| Duration::from_secs(secs)))
}

impl OpenOptions {
    /// The crate's configuration these options describe, and the manual
    /// clock when one was asked for.
    pub fn to_config(&self) -> napi::Result<(Config, Option<ManualClock>)> {
        let mut c = Config::default();
        macro_rules! set {
            ($field:ident, $target:expr, $conv:ident) => {
                if let Some(v) = self.$field {
                    $target = $conv(v, stringify!($field))?;
                }
            };
        }
        set!(idle_lifetime_secs, c.idle_lifetime, seconds);
        set!(
            absolute_lifetime_secs,
            c.absolute_lifetime,
            optional_seconds
        );
        set!(touch_interval_secs, c.touch_interval, seconds);
        set!(max_payload, c.max_payload, size);
        set!(max_user_agent, c.max_user_agent, size);
        set!(max_ip, c.max_ip, size);
        set!(gc_batch_size, c.gc_batch_size, size);
        set!(
            background_interval_secs,
            c.background_interval,
            optional_seconds
        );
        set!(cache_size, c.cache_size, size);
        set!(cache_entries, c.cache_entries, size);
        set!(auth_cache_entries, c.auth_cache_entries, size);
        set!(token_expiration_secs, c.token_expiration, optional_seconds);
        set!(token_prune_hours, c.token_prune_hours, whole);
        set!(throttle_max_attempts, c.throttle_max_attempts, small);
        set!(throttle_window_secs, c.throttle_window, seconds);
        set!(remember_lifetime_secs, c.remember_lifetime, seconds);
        let mut argon2 = c.argon2;
        set!(argon2_m_cost, argon2.m_cost, small);
        set!(argon2_t_cost, argon2.t_cost, small);
        set!(argon2_p_cost, argon2.p_cost, small);
        c.argon2 = PasswordParams::new(argon2.m_cost, argon2.t_cost, argon2.p_cost);
        if let Some(v) = self.durable_commits {
            c.durable_commits = v;
        }
        if let Some(v) = self.allow_legacy_tokens {
            c.allow_legacy_tokens = v;
        }
        if let Some(v) = self.quick_repair {
            c.quick_repair = v;
        }
        if let Some(v) = &self.token_prefix {
            c.token_prefix = v.clone();
        }
        if self.exclusive == Some(true) {
            c.concurrency = Concurrency::Exclusive;
        }
        c.create = match self.create.as_deref() {
            None | Some("ifMissing") => Create::IfMissing,
            Some("ifMissingOrEmpty") => Create::IfMissingOrEmpty,
            Some("never") => Create::Never,
            Some(other) => {
                return Err(invalid(format!(
                    "option create: {other:?} is not \"ifMissing\", \"ifMissingOrEmpty\" or \"never\""
                )));
            }
        };
        let manual = match (self.manual_clock, self.manual_clock_start) {
            (Some(true), start) => {
                let start = match start {
                    Some(s) => whole(s, "manual_clock_start")?,
                    None => Clock::System.now(),
                };
                Some(ManualClock::new(start))
            }
            (_, Some(_)) => {
                return Err(invalid("option manualClockStart needs manualClock: true"));
            }
            _ => None,
        };
        if let Some(clock) = &manual {
            c.clock = Clock::Manual(clock.clone());
        }
        self.guard(&mut c)?;
        Ok((c, manual))
    }

    /// The guard's settings, with both cookies rendered once so that a name
    /// or attribute a browser would drop is refused at open.
    fn guard(&self, c: &mut Config) -> napi::Result<()> {
        let g = &mut c.guard;
        if let Some(patterns) = &self.stateful_domains {
            g.stateful_domains = StatefulDomains::new(patterns.iter().map(String::as_str))
                .map_err(|e| invalid(format!("option statefulDomains: {e}")))?;
        }
        if let Some(v) = self.same_host_is_stateful {
            g.same_host_is_stateful = v;
        }
        if let Some(v) = &self.csrf_mode {
            g.csrf = match v.to_ascii_lowercase().as_str() {
                "token" => CsrfMode::Token,
                "fetch-metadata" => CsrfMode::FetchMetadata,
                "either" => CsrfMode::Either,
                _ => {
                    return Err(invalid(format!(
                        "option csrfMode must be \"token\", \"fetch-metadata\" or \"either\", not {v:?}"
                    )));
                }
            };
        }
        if let Some(v) = self.csrf_accepts_same_site {
            g.csrf_accepts_same_site = v;
        }
        if let Some(v) = &self.session_cookie {
            g.session_cookie = v.clone();
        }
        if let Some(v) = &self.xsrf_cookie {
            g.xsrf_cookie = v.clone();
        }
        if let Some(v) = self.cookie_secure {
            g.cookie.secure = v;
        }
        if let Some(v) = &self.cookie_same_site {
            g.cookie.same_site = match v.to_ascii_lowercase().as_str() {
                "lax" => SameSite::Lax,
                "strict" => SameSite::Strict,
                "none" => SameSite::None,
                _ => {
                    return Err(invalid(format!(
                        "option cookieSameSite: {v:?} is not \"lax\", \"strict\" or \"none\""
                    )));
                }
            };
        }
        if let Some(v) = &self.cookie_path {
            g.cookie.path = v.clone();
        }
        if let Some(v) = &self.cookie_domain {
            g.cookie.domain = (!v.is_empty()).then(|| v.clone());
        }
        if let Some(v) = self.cookie_host_prefix {
            g.cookie.host_prefix = v;
        }
        if let Some(v) = self.expire_on_close {
            g.expire_on_close = v;
        }
        for (what, name) in [
            ("sessionCookie", &g.session_cookie),
            ("xsrfCookie", &g.xsrf_cookie),
        ] {
            render_set_cookie(name, "x", &g.cookie, true).map_err(|e| {
                invalid(format!(
                    "option {what}: {name:?} with these cookie options: {e}"
                ))
            })?;
        }
        Ok(())
    }
}
