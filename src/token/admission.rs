//! Counting a token's requests against its rate limit and quota without a
//! write per request.
//!
//! The counts live in the table every process on the file shares (see
//! `store::counters`), so the workers of one host admit exactly `max` per
//! window and exactly the quota between them. Quota use is written to the
//! database in batches, by whichever process flushes next, inside its
//! flush transaction: the slot's unwritten uses are taken and subtracted
//! from the stored quota, and the slot then holds what the database holds,
//! which is how uses flushed by other hosts (PostgreSQL) reach this one.
//!
//! The stored quota is `remaining` as of the period that began at
//! `refilled_at`; a slot counts the period it is in. Periods are aligned on
//! `refilled_at + k × interval`, so every host agrees on them.

use crate::engine::Core;
use crate::error::{Result, TokenError};
use crate::store::Writes;
use crate::store::counters::{Claim, Counts};
use crate::store::record::{LimitsRecord, QuotaRecord};

/// Why a request was not admitted.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// The slot counts older limits than the ones at hand.
    Stale,
    /// Over a limit.
    Limited(TokenError),
}

/// Set a slot's counts to the start of `limits`.
fn start(counts: &mut Counts, limits: &LimitsRecord) {
    *counts = Counts {
        generation: limits.generation,
        ..Counts::default()
    };
    if let Some(quota) = limits.quota {
        counts.period_start = quota.refilled_at;
        counts.remaining = quota.remaining;
    }
}

/// Move the slot into the period `now` falls in, refilled, if it is past
/// its own. The uses not yet written belong to the old period, whose count
/// a refill replaces: they are dropped.
fn refill(quota: &QuotaRecord, counts: &mut Counts, now: u64) {
    let interval = quota.refill_interval;
    if interval == 0 || now < counts.period_start.saturating_add(interval) {
        return;
    }
    let periods = (now - counts.period_start) / interval;
    counts.period_start += periods * interval;
    counts.remaining = quota.refill_amount;
    counts.pending = 0;
}

/// Count one request at `now`, or say which limit refuses it (then nothing
/// is counted).
fn admit(limits: &LimitsRecord, counts: &mut Counts, now: u64) -> Result<(), Refusal> {
    if counts.generation != limits.generation {
        return Err(Refusal::Stale);
    }
    let window_over = now >= counts.window_end;
    if let Some(rate) = limits.rate
        && !window_over
        && counts.count >= rate.max
    {
        let retry_after = counts.window_end - now;
        return Err(Refusal::Limited(TokenError::RateLimited { retry_after }));
    }
    if let Some(quota) = &limits.quota {
        refill(quota, counts, now);
        if counts.remaining == 0 {
            let retry_after = (quota.refill_interval > 0).then(|| {
                counts
                    .period_start
                    .saturating_add(quota.refill_interval)
                    .saturating_sub(now)
            });
            return Err(Refusal::Limited(TokenError::QuotaExhausted { retry_after }));
        }
        counts.remaining -= 1;
        counts.pending += 1;
    }
    if let Some(rate) = limits.rate {
        if window_over {
            counts.window_end = now.saturating_add(rate.window);
            counts.count = 0;
        }
        counts.count += 1;
    }
    Ok(())
}

/// The stored quota after `taken` uses counted in the period that began at
/// `period_start`.
fn written(quota: QuotaRecord, period_start: u64, taken: u64) -> QuotaRecord {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match period_start.cmp(&quota.refilled_at) {
        Equal => QuotaRecord {
            remaining: quota.remaining.saturating_sub(taken),
            ..quota
        },
        Greater => QuotaRecord {
            remaining: quota.refill_amount.saturating_sub(taken),
            refilled_at: period_start,
            ..quota
        },
        // Another host wrote a later period: these uses were in one that
        // has been refilled since.
        Less => quota,
    }
}

/// Quota uses taken out of the shared counts by a flush, given back when
/// its commit fails.
#[derive(Default)]
pub(crate) struct TakenUses(Vec<(u64, Counts)>);

impl Core {
    /// Count a request of token `id` against `limits`.
    pub(crate) fn admit(&self, id: u64, limits: &LimitsRecord, now: u64) -> Result<()> {
        match self.count_in_slot(id, limits, now, false) {
            Ok(()) => Ok(()),
            Err(Refusal::Limited(refused)) => Err(refused.into()),
            Err(Refusal::Stale) => {
                // The slot counts other limits: newer ones set since this
                // summary was cached, or older ones this summary replaced.
                // The store decides.
                self.tokens_cache.invalidate(&id);
                let Some(current) = self.read(|txn| txn.token_limits(id))? else {
                    return Ok(());
                };
                match self.count_in_slot(id, &current, now, true) {
                    Ok(()) | Err(Refusal::Stale) => Ok(()),
                    Err(Refusal::Limited(refused)) => Err(refused.into()),
                }
            }
        }
    }

    /// Count in the shared slot; with `restart`, counts of other limits are
    /// replaced by a fresh start of `limits`.
    fn count_in_slot(
        &self,
        id: u64,
        limits: &LimitsRecord,
        now: u64,
        restart: bool,
    ) -> Result<(), Refusal> {
        let table = &self.backend.region().counters;
        let (outcome, evicted) = table.update(id, self.stamp.pid(), now, |counts, claim| {
            if claim == Claim::New || (restart && counts.generation != limits.generation) {
                start(counts, limits);
            }
            admit(limits, counts, now)
        });
        if let Some(evicted) = evicted.filter(|(_, counts)| counts.pending > 0) {
            self.evicted_uses.lock().push(evicted);
        }
        outcome
    }

    /// The quota `remaining` of token `id` as of `now`.
    pub(crate) fn quota_remaining(&self, id: u64, limits: &LimitsRecord, now: u64) -> u64 {
        let Some(quota) = limits.quota else {
            return 0;
        };
        let table = &self.backend.region().counters;
        let held = table.update_held(id, self.stamp.pid(), |counts| *counts);
        let mut counts = match held {
            Some(counts) if counts.generation == limits.generation => counts,
            _ => {
                let mut counts = Counts::default();
                start(&mut counts, limits);
                counts
            }
        };
        refill(&quota, &mut counts, now);
        counts.remaining
    }

    /// Whether quota use waits to be written.
    pub(crate) fn quota_uses_pending(&self) -> bool {
        !self.evicted_uses.lock().is_empty() || self.backend.region().counters.any_pending()
    }

    /// Write every quota use not yet written, inside a flush transaction.
    /// What was taken from the shared counts goes into `taken`, to be given
    /// back with [`Core::restore_uses`] if the transaction fails.
    pub(crate) fn write_quota_uses(&self, txn: &dyn Writes, taken: &mut TakenUses) -> Result<()> {
        let table = &self.backend.region().counters;
        let pid = self.stamp.pid();
        let evicted = std::mem::take(&mut *self.evicted_uses.lock());
        taken.0.extend(evicted.iter().copied());
        for (id, counts) in evicted {
            if let Some(limits) = txn.token_limits(id)?
                && let Some(quota) = limits.quota
                && limits.generation == counts.generation
            {
                let quota = written(quota, counts.period_start, counts.pending);
                let limits = LimitsRecord {
                    quota: Some(quota),
                    ..limits
                };
                txn.put_token_limits(id, Some(&limits))?;
            }
        }
        for id in table.pending_ids() {
            let stored = txn.token_limits(id)?;
            let update = table.update_held(id, pid, |counts| {
                let Some(limits) = stored.filter(|l| l.generation == counts.generation) else {
                    // Its token or limits are gone or were set anew: the
                    // uses count for nothing any more.
                    counts.pending = 0;
                    return None;
                };
                let quota = limits.quota?;
                let uses = *counts;
                let quota = written(quota, counts.period_start, counts.pending);
                counts.pending = 0;
                counts.period_start = quota.refilled_at;
                counts.remaining = quota.remaining;
                Some((uses, quota, limits))
            });
            if let Some(Some((uses, quota, limits))) = update {
                taken.0.push((id, uses));
                let limits = LimitsRecord {
                    quota: Some(quota),
                    ..limits
                };
                txn.put_token_limits(id, Some(&limits))?;
            }
        }
        Ok(())
    }

    /// Give back uses a failed flush took: they wait for the next one.
    pub(crate) fn restore_uses(&self, taken: TakenUses) {
        let table = &self.backend.region().counters;
        let pid = self.stamp.pid();
        for (id, uses) in taken.0 {
            let back = table.update_held(id, pid, |counts| {
                let same = counts.generation == uses.generation
                    && counts.period_start == uses.period_start;
                if same {
                    counts.pending += uses.pending;
                    counts.remaining = counts.remaining.saturating_sub(uses.pending);
                }
                same
            });
            if back != Some(true) {
                self.evicted_uses.lock().push((id, uses));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::RateRecord;

    fn limits(rate: Option<(u64, u64)>, quota: Option<(u64, u64, u64)>) -> LimitsRecord {
        LimitsRecord {
            rate: rate.map(|(max, window)| RateRecord { max, window }),
            quota: quota.map(|(remaining, refill_amount, refill_interval)| QuotaRecord {
                remaining,
                refill_amount,
                refill_interval,
                refilled_at: 1000,
            }),
            generation: 7,
        }
    }

    fn fresh(limits: &LimitsRecord) -> Counts {
        let mut counts = Counts::default();
        start(&mut counts, limits);
        counts
    }

    #[test]
    fn the_request_after_max_in_a_window_waits_for_the_window_to_end() {
        let limits = limits(Some((10, 60)), None);
        let mut counts = fresh(&limits);
        for second in 0..10 {
            assert_eq!(admit(&limits, &mut counts, 1000 + second), Ok(()));
        }
        let refused = admit(&limits, &mut counts, 1015);
        let expected = TokenError::RateLimited { retry_after: 45 };
        assert_eq!(refused, Err(Refusal::Limited(expected)));
        assert_eq!(admit(&limits, &mut counts, 1060), Ok(()));
    }

    #[test]
    fn a_refused_request_counts_against_neither_limit() {
        let limits = limits(Some((1, 60)), Some((5, 0, 0)));
        let mut counts = fresh(&limits);
        admit(&limits, &mut counts, 1000).unwrap();
        let before = counts;
        assert!(admit(&limits, &mut counts, 1001).is_err());
        assert_eq!(counts, before);
    }

    #[test]
    fn a_quota_refills_on_its_period_boundaries_dropping_old_unwritten_uses() {
        let limits = limits(None, Some((2, 3, 100)));
        let mut counts = fresh(&limits);
        admit(&limits, &mut counts, 1010).unwrap();
        admit(&limits, &mut counts, 1020).unwrap();
        let refused = admit(&limits, &mut counts, 1030);
        let expected = TokenError::QuotaExhausted {
            retry_after: Some(70),
        };
        assert_eq!(refused, Err(Refusal::Limited(expected)));
        admit(&limits, &mut counts, 1250).unwrap();
        assert_eq!(
            (counts.period_start, counts.remaining, counts.pending),
            (1200, 2, 1)
        );
    }

    #[test]
    fn counts_of_other_limits_are_stale() {
        let limits = limits(Some((1, 60)), None);
        let mut counts = fresh(&limits);
        counts.generation = 8;
        assert_eq!(admit(&limits, &mut counts, 1000), Err(Refusal::Stale));
    }

    #[test]
    fn written_uses_land_in_their_period() {
        let quota = limits(None, Some((50, 100, 60))).quota.unwrap();
        assert_eq!(written(quota, 1000, 7).remaining, 43);
        let later = written(quota, 1120, 7);
        assert_eq!((later.remaining, later.refilled_at), (93, 1120));
        assert_eq!(written(quota, 940, 7), quota);
    }
}
