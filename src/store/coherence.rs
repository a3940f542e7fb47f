//! Cache coherence between every handle on one database file: other
//! processes on the host, and other engines on the same file in this one.
//!
//! Each engine keeps decoded records in memory so that a request reads no
//! page. Another handle's commit must reach those caches before the
//! committing call returns, yet a cached lookup must not pay a read
//! transaction (a µs in redb's multi-process mode). The design follows
//! SQLite's `-shm` wal-index: a small shared region (see `shared_memory`)
//! holds three counters and a ring of changed keys.
//!
//! - **Writer**, holding redb's write lock (one writer at a time across
//!   every process): takes a ticket (`begun += 1`), appends the keys its
//!   transaction changed to the ring, publishes `log_head` and then
//!   `listed` (its keys are all logged), commits, and only then moves
//!   `ended` up to its ticket. Its call returns after that. A writer that
//!   dies in between leaves `begun != ended`; the next writer's ticket is
//!   larger, so its `ended` repairs the gap (and so does the next open).
//! - **Reader**, on every cached lookup: one load of `begun` compared with
//!   the value this engine last caught up to — a few nanoseconds. When it
//!   moved and `begun == ended`, the engine replays the ring from where it
//!   stopped, dropping each logged key from its caches (or everything when
//!   it fell more than the ring behind). While `begun != ended` a commit is
//!   under way: once its keys are `listed`, the keys logged since the last
//!   replay are read from the store and the rest are served as usual;
//!   before that, every lookup reads the store.
//! - **Fill**: a record read from a snapshot is cached only if `begun` still
//!   equals the value seen before the snapshot (checked under the cache
//!   shard's lock), and never while its key is changing. A writer takes its
//!   ticket before it logs a key, so a snapshot older than a commit can
//!   never be cached after a replay of that commit has dropped the key.
//!
//! So once a revoking call has returned, no handle on the host serves the
//! revoked record from its cache: its next lookup sees `begun` moved.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering, fence};

use parking_lot::{Mutex, RwLock};

use crate::store::changes::Changed;
use crate::store::shared_memory::{LOG_SLOTS, Region};

const KIND_SESSION: u64 = 1;
const KIND_TOKEN: u64 = 2;

#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
const KIND_EVERYTHING: u64 = 3;

/// A writer's ticket: dropping it (after the commit returned or failed)
/// marks the commit ended.
pub(crate) struct Publication<'a> {
    region: &'a Region,
    ticket: u64,
    /// Ended by counting (concurrent writers of one process) rather than
    /// by the highest ticket (one writer at a time, which may die).
    counted: bool,
}

impl Drop for Publication<'_> {
    fn drop(&mut self) {
        if self.counted {
            self.region.ended.fetch_add(1, Ordering::AcqRel);
        } else {
            self.region.ended.fetch_max(self.ticket, Ordering::AcqRel);
        }
    }
}

/// What a writer announces.
pub(crate) enum Announce<'c> {
    /// These records changed.
    Keys(&'c [Changed]),
    /// Anything may have changed (changes were missed): every follower
    /// drops all its caches.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Everything,
}

/// [`publish`] for a region only this process writes, by writers that may
/// commit concurrently (the database server orders their commits, not a
/// lock of the region): `appending` serializes the announcements alone,
/// and a commit counts as ended when its publication drops, so the region
/// is clean only once every commit begun has ended.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn publish_concurrent<'a>(
    region: &'a Region,
    appending: &parking_lot::Mutex<()>,
    announce: Announce<'_>,
) -> Option<Publication<'a>> {
    if let Announce::Keys([]) = announce {
        return None;
    }
    let _appending = appending.lock();
    Some(announce_commit(region, announce, true))
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
    Some(announce_commit(region, Announce::Keys(changed), false))
}

/// Take a ticket, log what changed, and mark the ticket's keys listed.
fn announce_commit<'a>(
    region: &'a Region,
    announce: Announce<'_>,
    counted: bool,
) -> Publication<'a> {
    let ticket = region.begun.fetch_add(1, Ordering::AcqRel) + 1;
    let mut head = region.log_head.load(Ordering::Acquire);
    match announce {
        Announce::Keys(changed) => {
            for record in changed {
                write_slot(region, head, record);
                head += 1;
            }
        }
        Announce::Everything => {
            write_words(region, head, KIND_EVERYTHING, [0; 4]);
            head += 1;
        }
    }
    region.log_head.store(head, Ordering::Release);
    region.listed.fetch_max(ticket, Ordering::AcqRel);
    Publication {
        region,
        ticket,
        counted,
    }
}

fn write_slot(region: &Region, position: u64, record: &Changed) {
    let (kind, key) = encode(record);
    write_words(region, position, kind, key);
}

fn write_words(region: &Region, position: u64, kind: u64, key: [u64; 4]) {
    let slot = &region.slots[(position % LOG_SLOTS as u64) as usize];
    slot.seq.store(0, Ordering::Relaxed);
    fence(Ordering::Release);
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

/// Whether a commit was announced and has not ended: its writer died, or
/// is committing right now.
pub(crate) fn unfinished_commit(region: &Region) -> bool {
    region.begun.load(Ordering::Acquire) != region.ended.load(Ordering::Acquire)
}

/// What a lookup may take from the caches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum View {
    /// Every entry is current with the file as of `begun` = this value.
    Clean(u64),
    /// A commit (`begun` = this value) is under way and its keys are known:
    /// the keys it and the commits since the last clean view changed are
    /// read from the file; every other entry is current.
    InFlight(u64),
    /// A commit is under way whose keys are not all logged yet (or were
    /// overwritten): read everything from the file.
    Unknown,
}

/// What one engine has applied of the shared log.
pub(crate) struct Follower {
    /// The `begun` value of the last clean view (`u64::MAX`: none yet).
    seen: AtomicU64,
    /// The `begun` value whose changing keys `changing` holds.
    in_flight: AtomicU64,
    /// Keys logged since the last clean view, while a commit is under way.
    changing: RwLock<HashSet<Changed>>,
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
    ///
    /// Starting at the current head is only right when no commit is under
    /// way: the head may already hold an unfinished commit's keys, which a
    /// fill before that commit ends would then miss. `Engine::open` makes
    /// sure of it, with an empty commit (which waits for any under way)
    /// before the engine serves a lookup.
    pub(crate) fn new(region: &Region) -> Self {
        Self {
            seen: AtomicU64::new(u64::MAX),
            in_flight: AtomicU64::new(u64::MAX),
            changing: RwLock::new(HashSet::new()),
            log_pos: Mutex::new(region.log_head.load(Ordering::Acquire)),
        }
    }

    /// What the caches may serve now. With no commit since the last call
    /// this is one load and one compare.
    #[inline]
    pub(crate) fn view(&self, region: &Region, caches: &impl Invalidate) -> View {
        let begun = region.begun.load(Ordering::Acquire);
        if begun == self.seen.load(Ordering::Acquire) {
            return View::Clean(begun);
        }
        if begun == self.in_flight.load(Ordering::Acquire)
            && region.ended.load(Ordering::Acquire) != begun
        {
            return View::InFlight(begun);
        }
        self.catch_up(region, caches)
    }

    /// Whether, under `view`, the caches may serve `record` or take it.
    #[inline]
    pub(crate) fn serves(&self, view: View, record: &Changed) -> bool {
        match view {
            View::Clean(_) => true,
            View::InFlight(_) => !self.changing.read().contains(record),
            View::Unknown => false,
        }
    }

    /// Whether nothing was begun since `view` returned `seen`: a record read
    /// after that call may be cached.
    #[inline]
    pub(crate) fn unchanged(region: &Region, seen: u64) -> bool {
        region.begun.load(Ordering::Acquire) == seen
    }

    #[cold]
    fn catch_up(&self, region: &Region, caches: &impl Invalidate) -> View {
        let mut log_pos = self.log_pos.lock();
        loop {
            let begun = region.begun.load(Ordering::Acquire);
            if begun == self.seen.load(Ordering::Acquire) {
                return View::Clean(begun);
            }
            if region.ended.load(Ordering::Acquire) == begun {
                let head = region.log_head.load(Ordering::Acquire);
                if region.begun.load(Ordering::Acquire) != begun {
                    // A writer began after `begun` was read, and `head` may
                    // hold its keys: replayed now, they would be consumed
                    // before its commit and missing from the in-flight set
                    // built next. Look again.
                    continue;
                }
                if !read_log(region, *log_pos, head, |changed| {
                    caches.invalidate(&changed)
                }) {
                    caches.invalidate_all();
                }
                *log_pos = head;
                // Only once the replay dropped them may the keys serve again.
                self.changing.write().clear();
                self.in_flight.store(u64::MAX, Ordering::Release);
                if region.begun.load(Ordering::Acquire) == begun {
                    self.seen.store(begun, Ordering::Release);
                    return View::Clean(begun);
                }
                continue;
            }
            if begun == self.in_flight.load(Ordering::Acquire) {
                return View::InFlight(begun);
            }
            if region.listed.load(Ordering::Acquire) != begun {
                return View::Unknown;
            }
            let head = region.log_head.load(Ordering::Acquire);
            let mut keys = HashSet::new();
            if !read_log(region, *log_pos, head, |changed| {
                keys.insert(changed);
            }) {
                return View::Unknown; // until the next clean view drops all
            }
            *self.changing.write() = keys;
            if region.begun.load(Ordering::Acquire) == begun {
                self.in_flight.store(begun, Ordering::Release);
                return View::InFlight(begun);
            }
        }
    }
}

/// Visit the keys logged at `from..to`; false when some were overwritten
/// or half written (or the region was reset).
fn read_log(region: &Region, from: u64, to: u64, mut visit: impl FnMut(Changed)) -> bool {
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
        // An unknown kind, or "everything": the caller drops all.
        match decode(kind, key) {
            Some(changed) => visit(changed),
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::shared_memory::SharedMemory;
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
        let View::Clean(first) = follower.view(&region, &seen) else {
            panic!("a quiet file is clean");
        };
        let changes = [Changed::Session([7; 32]), Changed::Token(42)];
        drop(publish(&region, &changes));
        assert!(!Follower::unchanged(&region, first));
        assert!(matches!(follower.view(&region, &seen), View::Clean(_)));
        assert_eq!(*seen.dropped.borrow(), changes);
        assert_eq!(*seen.all.borrow(), 0);
    }

    #[test]
    fn only_the_changing_keys_are_bypassed_while_a_commit_is_under_way() {
        let region = SharedMemory::private();
        let follower = Follower::new(&region);
        let seen = Seen::default();
        let publication = publish(&region, &[Changed::Token(1)]);
        let view = follower.view(&region, &seen);
        assert!(matches!(view, View::InFlight(_)), "{view:?}");
        assert!(!follower.serves(view, &Changed::Token(1)));
        assert!(follower.serves(view, &Changed::Token(2)));
        drop(publication);
        let view = follower.view(&region, &seen);
        assert!(matches!(view, View::Clean(_)), "{view:?}");
        assert!(follower.serves(view, &Changed::Token(1)));
        assert_eq!(*seen.dropped.borrow(), [Changed::Token(1)]);
    }

    #[test]
    fn keys_not_yet_listed_bypass_every_cache() {
        let region = SharedMemory::private();
        let follower = Follower::new(&region);
        let seen = Seen::default();
        // A writer took its ticket but has not listed its keys.
        region.begun.fetch_add(1, Ordering::AcqRel);
        let view = follower.view(&region, &seen);
        assert_eq!(view, View::Unknown);
        assert!(!follower.serves(view, &Changed::Token(2)));
        // It died; the next writer repairs the gap.
        drop(publish(&region, &[]));
        assert!(matches!(follower.view(&region, &seen), View::Clean(_)));
    }

    #[test]
    fn a_dead_writer_keeps_only_its_own_keys_from_the_caches_until_repaired() {
        let region = SharedMemory::private();
        let follower = Follower::new(&region);
        let seen = Seen::default();
        std::mem::forget(publish(&region, &[Changed::Token(1)]));
        let view = follower.view(&region, &seen);
        assert!(!follower.serves(view, &Changed::Token(1)));
        assert!(follower.serves(view, &Changed::Token(2)));
        drop(publish(&region, &[]));
        assert!(matches!(follower.view(&region, &seen), View::Clean(_)));
        assert_eq!(*seen.dropped.borrow(), [Changed::Token(1)]);
    }

    #[test]
    fn a_follower_more_than_the_ring_behind_drops_everything() {
        let region = SharedMemory::private();
        let follower = Follower::new(&region);
        let seen = Seen::default();
        let many: Vec<Changed> = (0..LOG_SLOTS as u64 + 1).map(Changed::Token).collect();
        drop(publish(&region, &many));
        assert!(matches!(follower.view(&region, &seen), View::Clean(_)));
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
