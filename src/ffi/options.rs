//! `authkv_options`: the C form of [`Config`], its defaults, the conversion
//! with range checks, and the comparison used when a file is opened twice.

use std::time::Duration;

use crate::clock::{Clock, ManualClock};
use crate::config::Config;

use super::boundary::{Failure, run};
use super::slice;
use super::status::authkv_status;

/// How an engine behaves. Fill it with `authkv_options_default`, change the
/// fields you need, and pass it to `authkv_open`.
///
/// The caller allocates it; the library only reads it during
/// `authkv_open`. Fields are only ever added at the end, with a MINOR
/// version bump (see `AUTHKV_VERSION_NUMBER`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub struct authkv_options {
    /// A session expires after this many seconds without activity. Must be
    /// at least 1. Default 7200 (Laravel's 120 minutes).
    pub idle_lifetime_secs: u64,
    /// A session expires this many seconds after creation however active it
    /// is; 0 means no absolute lifetime (the default).
    pub absolute_lifetime_secs: u64,
    /// A load moves a session's last activity only when it is at least this
    /// many seconds old; the move is kept in memory until the next flush.
    /// Default 60.
    pub touch_interval_secs: u64,
    /// Largest session payload accepted, in bytes. Default 1 MiB.
    pub max_payload: usize,
    /// User agents are truncated to this many bytes (on a character
    /// boundary). Default 512.
    pub max_user_agent: usize,
    /// Longest ip address accepted, in bytes. Default 45.
    pub max_ip: usize,
    /// Rows deleted per garbage-collection transaction. Must be at least 1.
    /// Default 1000.
    pub gc_batch_size: usize,
    /// When not 0, a background thread flushes touches and collects expired
    /// sessions every this many seconds. Default 0 (the host calls
    /// `authkv_flush` and `authkv_gc`).
    pub background_interval_secs: u64,
    /// Bytes of page cache. Default 64 MiB.
    pub cache_size: usize,
    /// Start time of the manual clock, in unix seconds (used only when
    /// `manual_clock` is true).
    pub manual_clock_start: u64,
    /// When true (the default) every commit is on disk before the call
    /// returns. False skips the fsync — for bulk loads and tests: a crash may
    /// lose recent commits, never consistency. Closing makes all durable.
    pub durable_commits: bool,
    /// When true, the engine's clock reads `manual_clock_start` and moves
    /// only through `authkv_set_time` (for tests). Default false: the system
    /// clock.
    pub manual_clock: bool,
}

impl authkv_options {
    /// The C form of `config` (the clock of a manual config reads its time
    /// now).
    pub(crate) fn from_config(config: &Config) -> Self {
        let (manual_clock, manual_clock_start) = match &config.clock {
            Clock::System => (false, 0),
            Clock::Manual(clock) => (true, clock.now()),
        };
        Self {
            idle_lifetime_secs: config.idle_lifetime.as_secs(),
            absolute_lifetime_secs: config.absolute_lifetime.map_or(0, |d| d.as_secs()),
            touch_interval_secs: config.touch_interval.as_secs(),
            max_payload: config.max_payload,
            max_user_agent: config.max_user_agent,
            max_ip: config.max_ip,
            gc_batch_size: config.gc_batch_size,
            background_interval_secs: config.background_interval.map_or(0, |d| d.as_secs()),
            cache_size: config.cache_size,
            manual_clock_start,
            durable_commits: config.durable_commits,
            manual_clock,
        }
    }

    /// The engine configuration these options describe. Range checks are
    /// [`Config`]'s own, made when the engine opens.
    pub(crate) fn to_config(self) -> Config {
        let seconds = Duration::from_secs;
        let nonzero = |s: u64| (s != 0).then(|| seconds(s));
        Config {
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
            durable_commits: self.durable_commits,
            ..Config::default()
        }
    }

    /// The first field in which `self` and `other` differ, with both values.
    pub(crate) fn first_difference(&self, other: &Self) -> Option<(&'static str, String, String)> {
        macro_rules! compare {
            ($($field:ident),*) => {$(
                if self.$field != other.$field {
                    return Some((
                        stringify!($field),
                        self.$field.to_string(),
                        other.$field.to_string(),
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
            manual_clock
        );
        None
    }
}

/// Fill `*out` with the default options: Laravel's lifetimes, authkv's
/// limits, the system clock, durable commits, no background thread.
///
/// Returns `AUTHKV_OK`, or `AUTHKV_NULL_POINTER` when `out` is NULL.
/// Values are only written to `*out` on success. Thread-safe.
///
/// # Safety
/// `out` must be NULL or valid for a write of `authkv_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn authkv_options_default(out: *mut authkv_options) -> authkv_status {
    run("authkv_options_default", || {
        let out = slice::out(out, "out")?;
        // SAFETY: the caller guarantees `out` is valid for a write.
        unsafe { slice::write(out, authkv_options::from_config(&Config::default())) };
        Ok(())
    })
}

/// Options for `authkv_open`: the caller's, or the defaults for NULL.
///
/// # Safety
/// Unless NULL, `opts` must point to an initialized `authkv_options`.
pub(crate) unsafe fn options_or_default(
    opts: *const authkv_options,
) -> Result<authkv_options, Failure> {
    if opts.is_null() {
        return Ok(authkv_options::from_config(&Config::default()));
    }
    // SAFETY: forwarded from the caller; non-NULL here.
    let opts = unsafe { slice::input(opts, "opts") }?;
    Ok(*opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_config() {
        let options = authkv_options::from_config(&Config::default());
        assert_eq!(options.idle_lifetime_secs, 7200);
        assert_eq!(options.absolute_lifetime_secs, 0);
        assert!(options.durable_commits);
        assert!(!options.manual_clock);
        assert_eq!(authkv_options::from_config(&options.to_config()), options);
    }

    #[test]
    fn zero_means_none_for_optional_durations() {
        let mut options = authkv_options::from_config(&Config::default());
        options.absolute_lifetime_secs = 0;
        options.background_interval_secs = 0;
        let config = options.to_config();
        assert_eq!(config.absolute_lifetime, None);
        assert_eq!(config.background_interval, None);
        options.absolute_lifetime_secs = 30;
        assert_eq!(
            options.to_config().absolute_lifetime,
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn manual_clock_starts_at_the_given_time() {
        let mut options = authkv_options::from_config(&Config::default());
        options.manual_clock = true;
        options.manual_clock_start = 1_700_000_000;
        assert_eq!(options.to_config().clock.now(), 1_700_000_000);
    }

    #[test]
    fn first_difference_names_the_field_and_both_values() {
        let a = authkv_options::from_config(&Config::default());
        assert_eq!(a.first_difference(&a), None);
        let mut b = a;
        b.max_ip = 64;
        b.manual_clock = true;
        assert_eq!(
            a.first_difference(&b),
            Some(("max_ip", "45".to_string(), "64".to_string()))
        );
    }
}
