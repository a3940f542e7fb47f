//! Login throttling: failed logins counted per (login, ip) in a window that
//! opens at the first failure and resets once it has passed (the decay of
//! Laravel's RateLimiter). Counters are keyed by a SHA-256 of the pair, so
//! the file holds no login or ip text for them, and indexed by window start
//! so that GC deletes spent counters at O(expired).

use crate::engine::Core;
use crate::engine::config::Config;
use crate::engine::gc::{DeletedCount, GcRun};
use crate::error::Result;
use crate::secret::{Digest, sha256};
use crate::store::summary::Counter;
use crate::store::{RowKey, TimeIndex, Writes};

/// The counter key of a (login, ip) pair. The login's length comes first so
/// that no two pairs share an encoding (`"a|b", "c"` vs `"a", "b|c"`). The
/// digest hides the pair from a casual read of the file; a determined reader
/// can still test guesses, which is why it is not called encryption.
pub(crate) fn throttle_key(login: &str, ip: &str) -> Digest {
    let mut encoded = Vec::with_capacity(8 + login.len() + 1 + ip.len());
    encoded.extend_from_slice(&(login.len() as u64).to_le_bytes());
    encoded.extend_from_slice(login.as_bytes());
    encoded.push(b'|');
    encoded.extend_from_slice(ip.as_bytes());
    sha256(&encoded)
}

/// The configured limit: `max` failures per `window` seconds.
#[derive(Clone, Copy)]
pub(crate) struct Policy {
    max: u64,
    window: u64,
}

impl Policy {
    pub(crate) fn of(config: &Config) -> Self {
        Self {
            max: u64::from(config.throttle_max_attempts),
            window: config.throttle_window.as_secs(),
        }
    }

    /// The window of `counter` is still open at `now`.
    fn open(self, counter: Counter, now: u64) -> bool {
        now < counter.window_start.saturating_add(self.window)
    }

    /// Seconds until `counter` admits another attempt; `None` when it admits
    /// one now.
    pub(crate) fn retry_after(self, counter: Counter, now: u64) -> Option<u64> {
        let end = counter.window_start.saturating_add(self.window);
        (counter.attempts >= self.max && now < end).then(|| end - now)
    }
}

/// Count one failure under `key`: in the open window, or in a new one from
/// `now`.
pub(crate) fn count_failure(
    txn: &dyn Writes,
    key: &Digest,
    now: u64,
    policy: Policy,
) -> Result<()> {
    let old = txn.throttle(key)?;
    let new = match old {
        Some(c) if policy.open(c, now) => Counter {
            attempts: c.attempts.saturating_add(1),
            ..c
        },
        _ => Counter {
            attempts: 1,
            window_start: now,
        },
    };
    txn.put_throttle(key, old, new)
}

/// Forget the counter under `key` (after a successful login). Returns
/// whether one existed.
pub(crate) fn clear_throttle(txn: &dyn Writes, key: &Digest) -> Result<bool> {
    let Some(old) = txn.throttle(key)? else {
        return Ok(false);
    };
    txn.remove_throttle(key, old)?;
    Ok(true)
}

impl Core {
    /// Seconds until the counter of `key` admits an attempt, from a read
    /// transaction, so that a locked-out caller costs no write.
    pub(crate) fn throttled_for(&self, key: &Digest, now: u64) -> Result<Option<u64>> {
        let counter = self.read(|txn| txn.throttle(key))?;
        Ok(counter.and_then(|counter| Policy::of(&self.config).retry_after(counter, now)))
    }

    /// Delete counters whose window has passed (`window_start + window <=
    /// now`). The cutoff uses the current window, the same rule `attempt`
    /// applies, so a changed window never leaves a counter both spent and kept.
    pub(crate) fn collect_throttles(&self, now: u64, run: &mut GcRun<'_>) -> Result<()> {
        let Some(cutoff) = now.checked_sub(self.config.throttle_window.as_secs()) else {
            return Ok(());
        };
        let count: DeletedCount = |report| &mut report.throttles_deleted;
        let index = TimeIndex::ThrottleWindow;
        self.collect_due(index, cutoff, run, count, |txn, due| {
            let mut deleted = 0;
            for &(window_start, row) in due {
                txn.unindex(index, window_start, row)?;
                let RowKey::Digest(key) = row else { continue };
                if let Some(counter) = txn.throttle(&key)?
                    && counter.window_start == window_start
                {
                    txn.remove_throttle(&key, counter)?;
                    deleted += 1;
                }
            }
            Ok(deleted)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_login_and_ip_unambiguously() {
        assert_ne!(throttle_key("a|b", "c"), throttle_key("a", "b|c"));
        assert_ne!(
            throttle_key("bob", "1.1.1.1"),
            throttle_key("bob", "1.1.1.2")
        );
        assert_eq!(
            throttle_key("bob", "1.1.1.1"),
            throttle_key("bob", "1.1.1.1")
        );
    }

    #[test]
    fn retry_after_counts_down_to_the_window_end() {
        let policy = Policy { max: 5, window: 60 };
        let at = |attempts| Counter {
            attempts,
            window_start: 100,
        };
        assert_eq!(policy.retry_after(at(4), 100), None);
        assert_eq!(policy.retry_after(at(5), 100), Some(60));
        assert_eq!(policy.retry_after(at(5), 159), Some(1));
        assert_eq!(policy.retry_after(at(5), 160), None);
        assert!(policy.open(at(1), 159));
        assert!(!policy.open(at(1), 160));
    }
}
