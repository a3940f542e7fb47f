//! Cache coherence between every handle on one database file: other
//! processes on the host, and other engines on the same file in this one.
//!
//! Each engine keeps decoded records in memory so that a request reads no
//! page. Another handle's commit must reach those caches before the
//! committing call returns, yet a cached lookup must not pay a read
//! transaction (a µs in redb's multi-process mode). The design follows
//! SQLite's `-shm` wal-index: a small shared region (see `shared_memory`)
//! holds two counters and a ring of changed keys.
//!
//! - **Writer**, holding redb's write lock (one writer at a time across
//!   every process): takes a ticket (`begun += 1`), appends the keys its
//!   transaction changed to the ring, publishes the new `log_head`, commits,
//!   and only then moves `ended` up to its ticket. Its call returns after
//!   that. A writer that dies between the two leaves `begun != ended`; the
//!   next writer's ticket is larger, so its `ended` repairs the gap.
//! - **Reader**, on every cached lookup: one load of `begun` compared with
//!   the value this engine last caught up to — a few nanoseconds. When it
//!   moved and `begun == ended`, the engine replays the ring from where it
//!   stopped, dropping each logged key from its caches (or the whole cache
//!   when it fell more than the ring behind). While `begun != ended` a
//!   commit is under way (or its writer died): lookups read the store and
//!   cache nothing until it ends.
//! - **Fill**: a record read from a snapshot is cached only if `begun` still
//!   equals the value seen before the snapshot, checked under the cache
//!   shard's lock. A writer takes its ticket before it logs a key, so a
//!   snapshot older than a commit can never be cached after a replay of
//!   that commit has dropped the key.
//!
//! So once a revoking call has returned, no handle on the host serves the
//! revoked record from its cache: its next lookup sees `begun` moved.

use std::sync::atomic::{AtomicU64, Ordering, fence};

use parking_lot::Mutex;

use crate::cache::Changed;
use crate::processes::shared_memory::{LOG_SLOTS, Region};

const KIND_SESSION: u64 = 1;
const KIND_TOKEN: u64 = 2;

/// A writer's ticket: dropping it (after the commit returned or failed)
/// marks the commit ended.
pub(crate) struct Publication<'a> {
    region: &'a Region,
    ticket: u64,
}

impl Drop for Publication<'_> {
    fn drop(&mut self) {
        self.region.ended.fetch_max(self.ticket, Ordering::AcqRel);
    }
}

/// Announce, before the commit, the records a transaction changed. Called
/// with redb's write lock held. `None` when there is nothing to announce
/// and no dead writer's gap to repair.
pub(crate) fn publish<'a>(region: &'a Region, changed: &[Changed]) -> Option<Publication<'a>> {
    if changed.is_empty()
        && region.begun.load(Ordering::Acquire) == region.ended.load(Ordering::Acquire)
    {
        return None;
    }
    let ticket = region.begun.fetch_add(1, Ordering::AcqRel) + 1;
    let mut head = region.log_head.load(Ordering::Acquire);
    for record in changed {
        write_slot(region, head, record);
        head += 1;
    }
    region.log_head.store(head, Ordering::Release);
    Some(Publication { region, ticket })
}

fn write_slot(region: &Region, position: u64, record: &Changed) {
    let slot = &region.slots[(position % LOG_SLOTS as u64) as usize];
    slot.seq.store(0, Ordering::Relaxed);
    fence(Ordering::Release);
    let (kind, key) = encode(record);
    slot.words[0].store(kind, Ordering::Relaxed);
    for (word, value) in slot.words[1..].iter().zip(key) {
        word.store(value, Ordering::Relaxed);
    }
    slot.seq.store(position + 1, Ordering::Release);
}

fn encode(record: &Changed) -> (u64, [u64; 4]) {
    match record {
        Changed::Session(digest) => {
            let mut key = [0u64; 4];
            for (word, bytes) in key.iter_mut().zip(digest.chunks_exact(8)) {
                *word = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
            }
            (KIND_SESSION, key)
        }
        Changed::Token(id) => (KIND_TOKEN, [*id, 0, 0, 0]),
    }
}

fn decode(kind: u64, key: [u64; 4]) -> Option<Changed> {
    match kind {
        KIND_SESSION => {
            let mut digest = [0u8; 32];
            for (bytes, word) in digest.chunks_exact_mut(8).zip(key) {
                bytes.copy_from_slice(&word.to_le_bytes());
            }
            Some(Changed::Session(digest))
        }
        KIND_TOKEN => Some(Changed::Token(key[0])),
        _ => None,
    }
}

/// What one engine has applied of the shared log.
pub(crate) struct Follower {
    /// The `begun` value the caches are current with (`u64::MAX`: none).
    seen: AtomicU64,
    /// The log position replayed up to; its lock orders catch-ups.
    log_pos: Mutex<u64>,
}

/// How a follower brings its caches up to date.
pub(crate) trait Invalidate {
    /// Drop one changed record.
    fn invalidate(&self, changed: &Changed);
    /// Drop everything: the log no longer holds what was missed.
    fn invalidate_all(&self);
}

impl Follower {
    /// A follower whose caches are empty: it needs nothing logged before now.
    pub(crate) fn new(region: &Region) -> Self {
        Self {
            seen: AtomicU64::new(u64::MAX),
            log_pos: Mutex::new(region.log_head.load(Ordering::Acquire)),
        }
    }

    /// The counter value under which the caches may serve and be filled, or
    /// `None` while a commit is under way. The fast path is one load and
    /// one compare.
    #[inline]
    pub(crate) fn view(&self, region: &Region, caches: &impl Invalidate) -> Option<u64> {
        let begun = region.begun.load(Ordering::Acquire);
        if begun == self.seen.load(Ordering::Acquire) {
            return Some(begun);
        }
        self.catch_up(region, caches)
    }

    /// Whether nothing was begun since `view` returned `seen`: a record read
    /// after that call may be cached.
    #[inline]
    pub(crate) fn unchanged(region: &Region, seen: u64) -> bool {
        region.begun.load(Ordering::Acquire) == seen
    }

    #[cold]
    fn catch_up(&self, region: &Region, caches: &impl Invalidate) -> Option<u64> {
        let mut log_pos = self.log_pos.lock();
        loop {
            let begun = region.begun.load(Ordering::Acquire);
            if begun == self.seen.load(Ordering::Acquire) {
                return Some(begun);
            }
            if region.ended.load(Ordering::Acquire) != begun {
                return None;
            }
            let head = region.log_head.load(Ordering::Acquire);
            if !replay(region, *log_pos, head, caches) {
                caches.invalidate_all();
            }
            *log_pos = head;
            if region.begun.load(Ordering::Acquire) == begun {
                self.seen.store(begun, Ordering::Release);
                return Some(begun);
            }
        }
    }
}

/// Drop the keys logged at `from..to`; false when some were overwritten
/// (or the region was reset), so the caller must drop everything.
fn replay(region: &Region, from: u64, to: u64, caches: &impl Invalidate) -> bool {
    if to < from || to - from > LOG_SLOTS as u64 {
        return false;
    }
    for position in from..to {
        let slot = &region.slots[(position % LOG_SLOTS as u64) as usize];
        let before = slot.seq.load(Ordering::Acquire);
        let kind = slot.words[0].load(Ordering::Relaxed);
        let mut key = [0u64; 4];
        for (value, word) in key.iter_mut().zip(&slot.words[1..]) {
            *value = word.load(Ordering::Relaxed);
        }
        fence(Ordering::Acquire);
        let after = slot.seq.load(Ordering::Relaxed);
        if before != position + 1 || after != before {
            return false;
        }
        match decode(kind, key) {
            Some(changed) => caches.invalidate(&changed),
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processes::shared_memory::SharedMemory;
    use std::cell::RefCell;

    #[derive(Default)]
    struct Seen {
        dropped: RefCell<Vec<Changed>>,
        all: RefCell<u32>,
    }

    impl Invalidate for Seen {
        fn invalidate(&self, changed: &Changed) {
            self.dropped.borrow_mut().push(*changed);
        }
        fn invalidate_all(&self) {
            *self.all.borrow_mut() += 1;
        }
    }

    #[test]
    fn a_follower_replays_exactly_the_keys_committed_since() {
        let region = SharedMemory::private();
        let follower = Follower::new(&region);
        let seen = Seen::default();
        let first = follower.view(&region, &seen).expect("quiet");
        let changes = [Changed::Session([7; 32]), Changed::Token(42)];
        drop(publish(&region, &changes));
        assert!(!Follower::unchanged(&region, first));
        assert!(follower.view(&region, &seen).is_some());
        assert_eq!(*seen.dropped.borrow(), changes);
        assert_eq!(*seen.all.borrow(), 0);
    }

    #[test]
    fn caches_are_bypassed_while_a_commit_is_under_way_and_after_its_writer_died() {
        let region = SharedMemory::private();
        let follower = Follower::new(&region);
        let seen = Seen::default();
        let publication = publish(&region, &[Changed::Token(1)]);
        assert!(follower.view(&region, &seen).is_none());
        // The writer dies: its ticket never ends.
        std::mem::forget(publication);
        assert!(follower.view(&region, &seen).is_none());
        // The next writer, even with nothing to log, repairs the gap.
        drop(publish(&region, &[]));
        assert!(follower.view(&region, &seen).is_some());
        assert_eq!(*seen.dropped.borrow(), [Changed::Token(1)]);
    }

    #[test]
    fn a_follower_more_than_the_ring_behind_drops_everything() {
        let region = SharedMemory::private();
        let follower = Follower::new(&region);
        let seen = Seen::default();
        let many: Vec<Changed> = (0..LOG_SLOTS as u64 + 1).map(Changed::Token).collect();
        drop(publish(&region, &many));
        assert!(follower.view(&region, &seen).is_some());
        assert_eq!(*seen.all.borrow(), 1);
        assert!(seen.dropped.borrow().is_empty());
    }

    #[test]
    fn a_quiet_writer_publishes_nothing() {
        let region = SharedMemory::private();
        assert!(publish(&region, &[]).is_none());
        assert_eq!(region.begun.load(Ordering::Relaxed), 0);
    }
}
