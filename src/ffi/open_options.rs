//! The options of one `authkv_open`, copied out of the caller's
//! `authkv_options` (whose text the library may not keep), turned into a
//! [`Config`] with range checks, and compared when a file is opened twice.

use std::fmt::Display;
use std::time::Duration;

use crate::credential::password::PasswordParams;
use crate::engine::clock::{Clock, ManualClock};
use crate::engine::config::{Concurrency, Config, Create};
use crate::guard::http::{CookieOptions, SameSite, StatefulDomains, render_set_cookie};
use crate::guard::{CsrfMode, GuardConfig};

use super::boundary::Failure;
use super::options::{
    AUTHKV_CREATE_IF_MISSING, AUTHKV_CREATE_IF_MISSING_OR_EMPTY, AUTHKV_CREATE_NEVER,
    AUTHKV_CSRF_EITHER, AUTHKV_CSRF_FETCH_METADATA, AUTHKV_CSRF_TOKEN, AUTHKV_SAME_SITE_LAX,
    AUTHKV_SAME_SITE_NONE, AUTHKV_SAME_SITE_STRICT, authkv_options,
};
use super::slice;

/// Longest text option accepted, in bytes (the domain list is the long one).
const MAX_OPTION_TEXT: usize = 16 * 1024;

/// Every option of an open, owned. Field names are the C field names, so a
/// message about a difference names the field the caller set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpenOptions {
    idle_lifetime_secs: u64,
    absolute_lifetime_secs: u64,
    touch_interval_secs: u64,
    max_payload: usize,
    max_user_agent: usize,
    max_ip: usize,
    gc_batch_size: usize,
    background_interval_secs: u64,
    cache_size: usize,
    manual_clock_start: u64,
    durable_commits: bool,
    manual_clock: bool,
    token_prefix: String,
    token_expiration_secs: u64,
    allow_legacy_tokens: bool,
    token_prune_hours: u64,
    argon2_m_cost: u32,
    argon2_t_cost: u32,
    argon2_p_cost: u32,
    throttle_max_attempts: u32,
    throttle_window_secs: u64,
    remember_lifetime_secs: u64,
    stateful_domains: String,
    same_host_is_stateful: bool,
    session_cookie: String,
    xsrf_cookie: String,
    cookie_secure: bool,
    cookie_same_site: u32,
    cookie_path: String,
    cookie_domain: String,
    cookie_host_prefix: bool,
    expire_on_close: bool,
    exclusive: bool,
    quick_repair: bool,
    create: u32,
    csrf_mode: u32,
    csrf_accepts_same_site: bool,
}

/// Copy one text option, checking its length, UTF-8 and NUL bytes.
///
/// # Safety
/// As for [`slice::text`].
unsafe fn text_option(
    ptr: *const std::ffi::c_char,
    len: usize,
    what: &str,
) -> Result<String, Failure> {
    if len > MAX_OPTION_TEXT {
        return Err(Failure::invalid(format!(
            "opts.{what} of {len} bytes exceeds the limit of {MAX_OPTION_TEXT} bytes"
        )));
    }
    // SAFETY: forwarded from the caller.
    let text = unsafe { slice::text(ptr, len, &format!("opts.{what}")) }?;
    Ok(text.to_owned())
}

/// A value as a message shows it: text quoted, numbers and flags plain.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for String {
    fn shown(&self) -> String {
        format!("{self:?}")
    }
}

macro_rules! shown_plain {
    ($($ty:ty),*) => {$(
        impl Shown for $ty {
            fn shown(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
shown_plain!(u32, u64, usize, bool);

/// An option refused by a check of its own.
fn refused(what: &str, why: impl Display) -> Failure {
    Failure::invalid(format!("invalid configuration: {what}: {why}"))
}

impl OpenOptions {
    /// Copy `opts`, text included.
    ///
    /// # Safety
    /// The text fields of `opts` must be valid for reads of their lengths.
    pub(crate) unsafe fn copy(opts: &authkv_options) -> Result<Self, Failure> {
        let text = |ptr, len, what| {
            // SAFETY: each text field is valid for its length (the caller's
            // guarantee).
            unsafe { text_option(ptr, len, what) }
        };
        Ok(Self {
            idle_lifetime_secs: opts.idle_lifetime_secs,
            absolute_lifetime_secs: opts.absolute_lifetime_secs,
            touch_interval_secs: opts.touch_interval_secs,
            max_payload: opts.max_payload,
            max_user_agent: opts.max_user_agent,
            max_ip: opts.max_ip,
            gc_batch_size: opts.gc_batch_size,
            background_interval_secs: opts.background_interval_secs,
            cache_size: opts.cache_size,
            manual_clock_start: opts.manual_clock_start,
            durable_commits: opts.durable_commits,
            manual_clock: opts.manual_clock,
            token_prefix: text(opts.token_prefix, opts.token_prefix_len, "token_prefix")?,
            token_expiration_secs: opts.token_expiration_secs,
            allow_legacy_tokens: opts.allow_legacy_tokens,
            token_prune_hours: opts.token_prune_hours,
            argon2_m_cost: opts.argon2_m_cost,
            argon2_t_cost: opts.argon2_t_cost,
            argon2_p_cost: opts.argon2_p_cost,
            throttle_max_attempts: opts.throttle_max_attempts,
            throttle_window_secs: opts.throttle_window_secs,
            remember_lifetime_secs: opts.remember_lifetime_secs,
            stateful_domains: text(
                opts.stateful_domains,
                opts.stateful_domains_len,
                "stateful_domains",
            )?,
            same_host_is_stateful: opts.same_host_is_stateful,
            session_cookie: text(
                opts.session_cookie,
                opts.session_cookie_len,
                "session_cookie",
            )?,
            xsrf_cookie: text(opts.xsrf_cookie, opts.xsrf_cookie_len, "xsrf_cookie")?,
            cookie_secure: opts.cookie_secure,
            cookie_same_site: opts.cookie_same_site,
            cookie_path: text(opts.cookie_path, opts.cookie_path_len, "cookie_path")?,
            cookie_domain: text(opts.cookie_domain, opts.cookie_domain_len, "cookie_domain")?,
            cookie_host_prefix: opts.cookie_host_prefix,
            expire_on_close: opts.expire_on_close,
            exclusive: opts.exclusive,
            quick_repair: opts.quick_repair,
            create: opts.create,
            csrf_mode: opts.csrf_mode,
            csrf_accepts_same_site: opts.csrf_accepts_same_site,
        })
    }

    /// The stateful-domain list: empty text is no domain at all; otherwise
    /// every comma-separated pattern must parse.
    fn stateful_domains(&self) -> Result<StatefulDomains, Failure> {
        if self.stateful_domains.is_empty() {
            return Ok(StatefulDomains::default());
        }
        StatefulDomains::new(self.stateful_domains.split(',')).map_err(|e| {
            refused(
                "stateful_domains",
                format!("{e} (patterns are separated by commas, counted from 0)"),
            )
        })
    }

    fn csrf_mode(&self) -> Result<CsrfMode, Failure> {
        match self.csrf_mode {
            AUTHKV_CSRF_TOKEN => Ok(CsrfMode::Token),
            AUTHKV_CSRF_FETCH_METADATA => Ok(CsrfMode::FetchMetadata),
            AUTHKV_CSRF_EITHER => Ok(CsrfMode::Either),
            other => Err(refused(
                "csrf_mode",
                format!(
                    "{other} is not AUTHKV_CSRF_TOKEN (0), AUTHKV_CSRF_FETCH_METADATA (1) or \
                     AUTHKV_CSRF_EITHER (2)"
                ),
            )),
        }
    }

    fn same_site(&self) -> Result<SameSite, Failure> {
        match self.cookie_same_site {
            AUTHKV_SAME_SITE_LAX => Ok(SameSite::Lax),
            AUTHKV_SAME_SITE_STRICT => Ok(SameSite::Strict),
            AUTHKV_SAME_SITE_NONE => Ok(SameSite::None),
            other => Err(refused(
                "cookie_same_site",
                format!(
                    "{other} is not AUTHKV_SAME_SITE_LAX (0), AUTHKV_SAME_SITE_STRICT (1) or \
                     AUTHKV_SAME_SITE_NONE (2)"
                ),
            )),
        }
    }

    /// The guard's configuration, with both cookies rendered once so that a
    /// name or attribute a browser would drop is refused at open, not on
    /// the first response.
    fn guard(&self) -> Result<GuardConfig, Failure> {
        let cookie = CookieOptions {
            secure: self.cookie_secure,
            same_site: self.same_site()?,
            path: self.cookie_path.clone(),
            domain: (!self.cookie_domain.is_empty()).then(|| self.cookie_domain.clone()),
            max_age: None,
            host_prefix: self.cookie_host_prefix,
        };
        for (what, name) in [
            ("session_cookie", &self.session_cookie),
            ("xsrf_cookie", &self.xsrf_cookie),
        ] {
            render_set_cookie(name, "x", &cookie, true)
                .map_err(|e| refused(what, format!("{name:?} with these cookie options: {e}")))?;
        }
        Ok(GuardConfig {
            stateful_domains: self.stateful_domains()?,
            same_host_is_stateful: self.same_host_is_stateful,
            session_cookie: self.session_cookie.clone(),
            xsrf_cookie: self.xsrf_cookie.clone(),
            cookie,
            expire_on_close: self.expire_on_close,
            csrf: self.csrf_mode()?,
            csrf_accepts_same_site: self.csrf_accepts_same_site,
        })
    }

    /// The engine configuration these options describe. The guard's
    /// settings are checked here; the rest by [`Config`] itself when the
    /// engine opens.
    pub(crate) fn to_config(&self) -> Result<Config, Failure> {
        let seconds = Duration::from_secs;
        let nonzero = |s: u64| (s != 0).then(|| seconds(s));
        Ok(Config {
            idle_lifetime: seconds(self.idle_lifetime_secs),
            absolute_lifetime: nonzero(self.absolute_lifetime_secs),
            touch_interval: seconds(self.touch_interval_secs),
            max_payload: self.max_payload,
            max_user_agent: self.max_user_agent,
            max_ip: self.max_ip,
            clock: if self.manual_clock {
                Clock::Manual(ManualClock::new(self.manual_clock_start))
            } else {
                Clock::System
            },
            gc_batch_size: self.gc_batch_size,
            background_interval: nonzero(self.background_interval_secs),
            cache_size: self.cache_size,
            // Hosts of the C ABI get the default hot-path caches.
            cache_entries: Config::default().cache_entries,
            auth_cache_entries: Config::default().auth_cache_entries,
            concurrency: if self.exclusive {
                Concurrency::Exclusive
            } else {
                Concurrency::MultiProcess
            },
            create: match self.create {
                AUTHKV_CREATE_IF_MISSING => Create::IfMissing,
                AUTHKV_CREATE_IF_MISSING_OR_EMPTY => Create::IfMissingOrEmpty,
                AUTHKV_CREATE_NEVER => Create::Never,
                other => {
                    return Err(refused(
                        "opts.create",
                        format!("{other} is not an AUTHKV_CREATE_ value"),
                    ));
                }
            },
            durable_commits: self.durable_commits,
            quick_repair: self.quick_repair,
            token_prefix: self.token_prefix.clone(),
            token_expiration: nonzero(self.token_expiration_secs),
            allow_legacy_tokens: self.allow_legacy_tokens,
            token_prune_hours: self.token_prune_hours,
            argon2: PasswordParams::new(self.argon2_m_cost, self.argon2_t_cost, self.argon2_p_cost),
            throttle_max_attempts: self.throttle_max_attempts,
            throttle_window: seconds(self.throttle_window_secs),
            remember_lifetime: seconds(self.remember_lifetime_secs),
            guard: self.guard()?,
            // The PostgreSQL backend's connection settings keep their
            // defaults from C: the connection string carries the rest.
            pool_size: Config::default().pool_size,
            server_timeout: Config::default().server_timeout,
        })
    }

    /// The first field in which `self` and `other` differ, with both values.
    pub(crate) fn first_difference(&self, other: &Self) -> Option<(&'static str, String, String)> {
        macro_rules! compare {
            ($($field:ident),*) => {$(
                if self.$field != other.$field {
                    return Some((
                        stringify!($field),
                        self.$field.shown(),
                        other.$field.shown(),
                    ));
                }
            )*};
        }
        compare!(
            idle_lifetime_secs,
            absolute_lifetime_secs,
            touch_interval_secs,
            max_payload,
            max_user_agent,
            max_ip,
            gc_batch_size,
            background_interval_secs,
            cache_size,
            manual_clock_start,
            durable_commits,
            manual_clock,
            token_prefix,
            token_expiration_secs,
            allow_legacy_tokens,
            token_prune_hours,
            argon2_m_cost,
            argon2_t_cost,
            argon2_p_cost,
            throttle_max_attempts,
            throttle_window_secs,
            remember_lifetime_secs,
            stateful_domains,
            same_host_is_stateful,
            session_cookie,
            xsrf_cookie,
            cookie_secure,
            cookie_same_site,
            cookie_path,
            cookie_domain,
            cookie_host_prefix,
            expire_on_close,
            exclusive,
            quick_repair,
            create,
            csrf_mode,
            csrf_accepts_same_site
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::status::authkv_status;

    fn defaults() -> OpenOptions {
        // SAFETY: the defaults point at static text.
        unsafe { OpenOptions::copy(&authkv_options::defaults()) }.expect("defaults copy")
    }

    /// Options with one text field replaced by `text`.
    fn with_text(
        set: impl FnOnce(&mut authkv_options, *const std::ffi::c_char, usize),
        text: &str,
    ) -> Result<Config, Failure> {
        let mut options = authkv_options::defaults();
        set(&mut options, text.as_ptr().cast(), text.len());
        // SAFETY: `text` outlives the call.
        unsafe { OpenOptions::copy(&options) }?.to_config()
    }

    #[test]
    fn defaults_equal_the_rust_defaults() {
        let config = defaults().to_config().expect("valid");
        assert_eq!(format!("{config:?}"), format!("{:?}", Config::default()));
        assert_eq!(
            config.guard.stateful_domains,
            StatefulDomains::laravel_defaults()
        );
    }

    #[test]
    fn zero_means_none_for_optional_durations() {
        let mut options = defaults();
        options.absolute_lifetime_secs = 0;
        options.background_interval_secs = 0;
        options.token_expiration_secs = 0;
        let config = options.to_config().expect("valid");
        assert_eq!(config.absolute_lifetime, None);
        assert_eq!(config.background_interval, None);
        assert_eq!(config.token_expiration, None);
        options.absolute_lifetime_secs = 30;
        options.token_expiration_secs = 60;
        let config = options.to_config().expect("valid");
        assert_eq!(config.absolute_lifetime, Some(Duration::from_secs(30)));
        assert_eq!(config.token_expiration, Some(Duration::from_secs(60)));
    }

    #[test]
    fn manual_clock_starts_at_the_given_time() {
        let mut options = defaults();
        options.manual_clock = true;
        options.manual_clock_start = 1_700_000_000;
        assert_eq!(
            options.to_config().expect("valid").clock.now(),
            1_700_000_000
        );
    }

    #[test]
    fn first_difference_names_the_field_and_both_values() {
        let a = defaults();
        assert_eq!(a.first_difference(&a), None);
        let mut b = a.clone();
        b.max_ip = 64;
        b.manual_clock = true;
        assert_eq!(
            a.first_difference(&b),
            Some(("max_ip", "45".to_string(), "64".to_string()))
        );
        let mut c = a.clone();
        c.token_prefix = "akv_".into();
        assert_eq!(
            a.first_difference(&c),
            Some(("token_prefix", "\"\"".to_string(), "\"akv_\"".to_string()))
        );
    }

    #[test]
    fn empty_domain_list_means_none_and_a_bad_pattern_is_named() {
        let none = with_text(
            |o, p, l| (o.stateful_domains, o.stateful_domains_len) = (p, l),
            "",
        )
        .expect("empty list");
        assert_eq!(none.guard.stateful_domains, StatefulDomains::default());
        let listed = with_text(
            |o, p, l| (o.stateful_domains, o.stateful_domains_len) = (p, l),
            "app.test, *.example.com:8443",
        )
        .expect("two patterns");
        assert_eq!(
            listed.guard.stateful_domains,
            StatefulDomains::new(["app.test", "*.example.com:8443"]).expect("patterns")
        );
        let err = with_text(
            |o, p, l| (o.stateful_domains, o.stateful_domains_len) = (p, l),
            "app.test,,x",
        )
        .expect_err("empty pattern");
        assert_eq!(err.status, authkv_status::AUTHKV_INVALID_ARGUMENT);
        assert!(err.message.contains("stateful_domains"), "{}", err.message);
        assert!(err.message.contains("#1"), "{}", err.message);
    }

    #[test]
    fn cookie_settings_a_browser_would_drop_are_refused_at_open() {
        let err = with_text(
            |o, p, l| (o.session_cookie, o.session_cookie_len) = (p, l),
            "a b",
        )
        .expect_err("space in a name");
        assert!(err.message.contains("session_cookie"), "{}", err.message);
        let err = with_text(
            |o, p, l| (o.cookie_path, o.cookie_path_len) = (p, l),
            "no-slash",
        )
        .expect_err("path");
        assert!(err.message.contains("Path"), "{}", err.message);
        let mut options = defaults();
        options.cookie_same_site = 7;
        let err = options.to_config().expect_err("same site");
        assert!(err.message.contains("cookie_same_site"), "{}", err.message);
        options.cookie_same_site = AUTHKV_SAME_SITE_NONE;
        options.cookie_secure = false;
        assert!(options.to_config().is_err(), "SameSite=None needs Secure");
        let mut options = defaults();
        options.cookie_host_prefix = true;
        options.cookie_domain = "example.com".into();
        assert!(options.to_config().is_err(), "__Host- forbids a Domain");
    }

    #[test]
    fn text_options_must_be_utf8_without_nul() {
        let mut options = authkv_options::defaults();
        let bad = [b'a', 0xff];
        options.token_prefix = bad.as_ptr().cast();
        options.token_prefix_len = bad.len();
        // SAFETY: `bad` outlives the call.
        let err = unsafe { OpenOptions::copy(&options) }.expect_err("utf8");
        assert_eq!(
            err.message,
            "opts.token_prefix is not valid UTF-8 (invalid byte at offset 1)"
        );
        options.token_prefix = std::ptr::null();
        options.token_prefix_len = 3;
        // SAFETY: NULL is never read.
        let err = unsafe { OpenOptions::copy(&options) }.expect_err("null");
        assert_eq!(err.status, authkv_status::AUTHKV_NULL_POINTER);
    }

    #[test]
    fn the_prefix_limit_in_the_header_is_the_one_config_enforces() {
        use super::super::options::AUTHKV_TOKEN_PREFIX_MAX_LEN;
        let mut options = defaults();
        options.token_prefix = "p".repeat(AUTHKV_TOKEN_PREFIX_MAX_LEN);
        let config = options.to_config().expect("guard valid");
        assert!(config.validate().is_ok());
        options.token_prefix.push('p');
        let config = options.to_config().expect("guard valid");
        assert!(config.validate().is_err());
    }
}
