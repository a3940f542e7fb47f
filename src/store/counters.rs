//! Per-token usage counters (rate-limit window, quota) in the region every
//! process on one file shares, so that the workers of a host count one
//! token's requests together, exactly, without writing to the database.
//!
//! A fixed table of one-cache-line slots, found by hashing the token id
//! and probing a group of [`PROBE`] slots. Each slot has a lock word that
//! holds the pid of the process inside it: the critical section is a few
//! loads and stores, and a process that died holding it (SIGKILL at that
//! very instant) is found dead after a moment of spinning and its lock
//! taken over. A slot's key changes only under its lock.

use std::sync::atomic::{AtomicU64, Ordering};

/// Slots in the table: 16,384 tokens counted at once per host (1 MiB).
pub(crate) const COUNTER_SLOTS: usize = 16_384;
/// Slots a token may live in, starting at its hash.
const PROBE: usize = 16;
/// Spins on a held lock before checking whether its holder still lives.
const SPINS_BEFORE_CHECK: u32 = 1 << 14;

/// What a slot counts for its token. Plain numbers, copied out of the slot
/// under its lock and written back before it is released.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// The token limits these counts belong to (their `generation`).
    pub generation: u64,
    /// Unix seconds the rate-limit window ends; 0 before the first request.
    pub window_end: u64,
    /// Requests admitted in the current window.
    pub count: u64,
    /// Unix seconds the current quota period began.
    pub period_start: u64,
    /// Quota left, as this host sees it.
    pub remaining: u64,
    /// Quota used on this host and not yet written to the database.
    pub pending: u64,
}

impl Counts {
    /// Whether forgetting these counts loses nothing: the window is over
    /// and every use is written.
    fn idle(&self, now: u64) -> bool {
        self.window_end <= now && self.pending == 0
    }
}

/// One token's slot: a cache line.
#[repr(C, align(64))]
pub(crate) struct CounterSlot {
    /// 0 when free, else the pid of the process holding it.
    lock: AtomicU64,
    /// The token id; 0 when the slot is empty (ids start at 1).
    key: AtomicU64,
    words: [AtomicU64; 6],
}

/// The table, a part of the shared region.
#[repr(C)]
pub(crate) struct CounterTable {
    /// Non-zero once any slot was claimed: until then a flush need not
    /// look through the slots.
    used: CounterSlot,
    slots: [CounterSlot; COUNTER_SLOTS],
}

/// Where a token's counts came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The slot already counted this token.
    Held,
    /// A new slot: the counts are zero and must be initialised.
    New,
}

/// A token whose counts were dropped to make room, with what they held
/// (its unwritten quota use must still be written).
pub(crate) type Evicted = Option<(u64, Counts)>;

impl CounterTable {
    /// Run `update` on `id`'s counts under its slot's lock, claiming a slot
    /// when the token has none: an empty one, else one whose counts are
    /// idle, else the one whose window ends first (returned as evicted).
    pub(crate) fn update<R>(
        &self,
        id: u64,
        pid: u32,
        now: u64,
        update: impl FnOnce(&mut Counts, Claim) -> R,
    ) -> (R, Evicted) {
        if let Some(slot) = self.find(id) {
            let locked = SlotLock::take(slot, pid);
            if slot.key.load(Ordering::Relaxed) == id {
                return (locked.update(|counts| update(counts, Claim::Held)), None);
            }
        }
        let (slot, locked) = self.claim(id, pid, now);
        let previous = slot.key.load(Ordering::Relaxed);
        let evicted = (previous != 0 && previous != id).then(|| (previous, locked.read()));
        if previous == id {
            // Claimed by another process between the search and the lock.
            return (locked.update(|counts| update(counts, Claim::Held)), None);
        }
        slot.key.store(id, Ordering::Relaxed);
        if self.used.key.load(Ordering::Relaxed) == 0 {
            self.used.key.store(1, Ordering::Relaxed);
        }
        let out = locked.update(|counts| {
            *counts = Counts::default();
            update(counts, Claim::New)
        });
        (out, evicted)
    }

    /// Run `update` on `id`'s counts if a slot holds them; never claims.
    pub(crate) fn update_held<R>(
        &self,
        id: u64,
        pid: u32,
        update: impl FnOnce(&mut Counts) -> R,
    ) -> Option<R> {
        let slot = self.find(id)?;
        let locked = SlotLock::take(slot, pid);
        (slot.key.load(Ordering::Relaxed) == id).then(|| locked.update(update))
    }

    /// Ids of the tokens with quota use not yet written (read without the
    /// locks: a use counted meanwhile waits for the next flush).
    pub(crate) fn pending_ids(&self) -> Vec<u64> {
        self.pending().collect()
    }

    /// Whether any token has quota use not yet written (stops at the
    /// first; nothing is read before any slot was ever claimed).
    pub(crate) fn any_pending(&self) -> bool {
        self.pending().next().is_some()
    }

    fn pending(&self) -> impl Iterator<Item = u64> + '_ {
        // No slot was ever claimed: nothing to read.
        let claimed = self.used.key.load(Ordering::Relaxed) != 0;
        let slots = if claimed { &self.slots[..] } else { &[] };
        slots
            .iter()
            .filter(|slot| slot.words[5].load(Ordering::Relaxed) != 0)
            .map(|slot| slot.key.load(Ordering::Relaxed))
            .filter(|&id| id != 0)
    }

    /// Empty every slot (a side file being initialised).
    pub(crate) fn reset(&self) {
        for slot in std::iter::once(&self.used).chain(&self.slots) {
            slot.lock.store(0, Ordering::Relaxed);
            slot.key.store(0, Ordering::Relaxed);
            for word in &slot.words {
                word.store(0, Ordering::Relaxed);
            }
        }
    }

    fn group(&self, id: u64) -> impl Iterator<Item = &CounterSlot> {
        // Fibonacci hashing: consecutive ids land far apart.
        let start = (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 50) as usize;
        (0..PROBE).map(move |i| &self.slots[(start + i) % COUNTER_SLOTS])
    }

    fn find(&self, id: u64) -> Option<&CounterSlot> {
        self.group(id)
            .find(|slot| slot.key.load(Ordering::Relaxed) == id)
    }

    /// A slot for `id`, locked: one holding it (claimed meanwhile), an
    /// empty one, an idle one, else the one whose window ends first.
    fn claim(&self, id: u64, pid: u32, now: u64) -> (&CounterSlot, SlotLock<'_>) {
        let mut oldest: Option<(&CounterSlot, u64)> = None;
        for slot in self.group(id) {
            let key = slot.key.load(Ordering::Relaxed);
            if key == 0 || key == id {
                let locked = SlotLock::take(slot, pid);
                let key = slot.key.load(Ordering::Relaxed);
                if key == 0 || key == id {
                    return (slot, locked);
                }
                continue;
            }
            let locked = SlotLock::take(slot, pid);
            let counts = locked.read();
            if counts.idle(now) {
                return (slot, locked);
            }
            if oldest.is_none_or(|(_, end)| counts.window_end < end) {
                oldest = Some((slot, counts.window_end));
            }
        }
        let slot = match oldest {
            Some((slot, _)) => slot,
            None => self.group(id).next().unwrap_or(&self.slots[0]),
        };
        (slot, SlotLock::take(slot, pid))
    }
}

/// A slot's lock, released on drop.
struct SlotLock<'a>(&'a CounterSlot);

impl<'a> SlotLock<'a> {
    fn take(slot: &'a CounterSlot, pid: u32) -> Self {
        let me = u64::from(pid);
        let mut spins = 0u32;
        loop {
            let holder = slot.lock.load(Ordering::Relaxed);
            if holder == 0 {
                if slot
                    .lock
                    .compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return SlotLock(slot);
                }
            } else if spins >= SPINS_BEFORE_CHECK {
                spins = 0;
                if !process_alive(holder)
                    && slot
                        .lock
                        .compare_exchange(holder, me, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                {
                    return SlotLock(slot);
                }
                std::thread::yield_now();
            }
            spins += 1;
            std::hint::spin_loop();
        }
    }

    fn read(&self) -> Counts {
        let w = &self.0.words;
        Counts {
            generation: w[0].load(Ordering::Relaxed),
            window_end: w[1].load(Ordering::Relaxed),
            count: w[2].load(Ordering::Relaxed),
            period_start: w[3].load(Ordering::Relaxed),
            remaining: w[4].load(Ordering::Relaxed),
            pending: w[5].load(Ordering::Relaxed),
        }
    }

    fn update<R>(&self, update: impl FnOnce(&mut Counts) -> R) -> R {
        let mut counts = self.read();
        let out = update(&mut counts);
        let w = &self.0.words;
        w[0].store(counts.generation, Ordering::Relaxed);
        w[1].store(counts.window_end, Ordering::Relaxed);
        w[2].store(counts.count, Ordering::Relaxed);
        w[3].store(counts.period_start, Ordering::Relaxed);
        w[4].store(counts.remaining, Ordering::Relaxed);
        w[5].store(counts.pending, Ordering::Relaxed);
        out
    }
}

impl Drop for SlotLock<'_> {
    fn drop(&mut self) {
        self.0.lock.store(0, Ordering::Release);
    }
}

/// Whether process `pid` exists (a zombie counts as gone: it runs no more).
fn process_alive(pid: u64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && !is_zombie(pid)
}

fn is_zombie(pid: libc::pid_t) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Box<CounterTable> {
        // SAFETY: every field is an atomic integer, for which zero is valid.
        unsafe { Box::<CounterTable>::new_zeroed().assume_init() }
    }

    #[test]
    fn a_token_keeps_its_slot_and_counts_between_calls() {
        let table = table();
        let pid = std::process::id();
        let (claim, _) = table.update(7, pid, 100, |c, claim| {
            c.count = 1;
            claim
        });
        assert_eq!(claim, Claim::New);
        let (count, evicted) = table.update(7, pid, 100, |c, claim| {
            assert_eq!(claim, Claim::Held);
            c.count += 1;
            c.count
        });
        assert_eq!((count, evicted), (2, None));
    }

    #[test]
    fn a_full_group_gives_up_an_idle_slot_before_a_busy_one() {
        let table = table();
        let pid = std::process::id();
        // Ids hashing to one group: find PROBE + 1 of them.
        let start = |id: u64| (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 50) as usize;
        let ids: Vec<u64> = (1..u64::MAX)
            .filter(|&id| start(id) == start(1))
            .take(PROBE + 1)
            .collect();
        for (i, &id) in ids[..PROBE].iter().enumerate() {
            table.update(id, pid, 100, |c, _| {
                c.window_end = 200;
                c.pending = u64::from(i != 3); // the fourth is idle at 200
            });
        }
        let (claim, evicted) = table.update(ids[PROBE], pid, 200, |_, claim| claim);
        assert_eq!(claim, Claim::New);
        assert_eq!(evicted.map(|(id, _)| id), Some(ids[3]));
        assert_eq!(table.update_held(ids[3], pid, |_| ()), None);
    }

    #[test]
    fn a_lock_left_by_a_dead_process_is_taken_over() {
        let table = table();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        table.update(9, std::process::id(), 1, |c, _| c.count = 5);
        table.slots.iter().for_each(|slot| {
            if slot.key.load(Ordering::Relaxed) == 9 {
                slot.lock.store(u64::from(dead), Ordering::Relaxed);
            }
        });
        let count = table.update_held(9, std::process::id(), |c| c.count);
        assert_eq!(count, Some(5));
    }
}
