//! The hot-path cache: decoded session and token records kept in memory so
//! that authenticating a request reads no page and decodes nothing.
//!
//! Every write transaction notes the records it changed (see
//! `store::changes`) and announces them, through `store::coherence`, to
//! every handle on the file — this engine included — before it commits.
//! The next lookup drops those entries first, moving the cache's epoch. A
//! reader that missed reads the record from a snapshot and fills the cache
//! only if the epoch is still the one it saw before that snapshot and the
//! file's change counter has not moved (both checked under the entry's
//! shard lock), so a record read before a commit can never be cached after
//! the commit's invalidation.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::engine::flat_map::{FlatMap, SlotKey};
use crate::secret::Digest;
use crate::store::changes::Changed;

/// Independent locks, so readers on different records rarely meet.
const SHARDS: usize = 16;

/// Which shard a key lives in, and which record it names.
pub(crate) trait ShardKey: SlotKey {
    /// A number spread evenly over keys.
    fn spread(&self) -> usize;
    /// The record, as a commit reports changing it.
    fn record(&self) -> Changed;
    /// A key stored in empty slots (never compared while they are empty).
    const FILLER: Self;
}

/// A session key is the id's minute (bytes 0–3, shared by every session
/// of a minute) followed by SHA-256 output, which is uniform: byte 4
/// chooses the shard, bytes 8–15 the slot.
impl ShardKey for Digest {
    fn spread(&self) -> usize {
        usize::from(self[4])
    }

    fn record(&self) -> Changed {
        Changed::Session(*self)
    }

    const FILLER: Self = [0; 32];
}

impl SlotKey for Digest {
    fn slot_hash(&self) -> u64 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&self[8..16]);
        u64::from_le_bytes(word)
    }
}

impl ShardKey for u64 {
    fn spread(&self) -> usize {
        // Token ids are sequential: the low bits spread them.
        (*self % SHARDS as u64) as usize
    }

    fn record(&self) -> Changed {
        Changed::Token(*self)
    }

    const FILLER: Self = 0;
}

/// An odd constant with well-mixed bits (2^64 / φ).
const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

impl SlotKey for u64 {
    fn slot_hash(&self) -> u64 {
        // Ids are sequential and, once tokens come and go, unevenly spread:
        // a multiply scatters any pattern of them over the slots, its top
        // bits folded down into the low ones the table uses.
        let h = (*self / SHARDS as u64).wrapping_mul(MIX);
        h ^ (h >> 32)
    }
}

type Shard<K, V> = Mutex<FlatMap<K, V>>;

/// A bounded map from keys to decoded records (`V` is cheap to clone: an
/// `Arc` of a full record, or a small copied summary).
pub(crate) struct RecordCache<K, V> {
    shards: Vec<Shard<K, V>>,
    per_shard: usize,
    epoch: AtomicU64,
}

impl<K: ShardKey, V: Clone> RecordCache<K, V> {
    /// A cache holding at most about `capacity` records (0 disables it).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(FlatMap::new(K::FILLER)))
                .collect(),
            per_shard: capacity.div_ceil(SHARDS),
            epoch: AtomicU64::new(0),
        }
    }

    fn shard(&self, key: &K) -> &Shard<K, V> {
        &self.shards[key.spread() % SHARDS]
    }

    /// The cached record, if any.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.shard(key).lock().get(key).cloned()
    }

    /// Read before taking the snapshot a fill will come from.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Cache `value`, read from a snapshot taken after `epoch_seen` was read,
    /// unless a write invalidated anything since or `still_current` (asked
    /// under the shard lock) says the file changed. A full shard drops the
    /// entry nearest the newcomer's home slot first.
    pub(crate) fn fill(
        &self,
        key: K,
        value: V,
        epoch_seen: u64,
        still_current: impl FnOnce() -> bool,
    ) {
        if self.per_shard == 0 {
            return;
        }
        let mut shard = self.shard(&key).lock();
        if self.epoch.load(Ordering::Acquire) != epoch_seen || !still_current() {
            return;
        }
        if shard.len() >= self.per_shard && shard.get(&key).is_none() {
            shard.evict_near(&key);
        }
        shard.insert(key, value);
    }

    /// Drop `key` after a commit changed it.
    pub(crate) fn invalidate(&self, key: &K) {
        let mut shard = self.shard(key).lock();
        shard.remove(key);
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Drop every entry.
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            let mut shard = shard.lock();
            shard.clear();
            self.epoch.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Records cached now.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;

    #[test]
    fn sessions_drawn_in_one_minute_spread_over_every_shard_and_slot() {
        use crate::session::id::new_session_id;
        use crate::session::session_digest;
        let mut per_shard = [0usize; SHARDS];
        let mut slot_bits = [0usize; SHARDS];
        for _ in 0..100 * SHARDS {
            let id = new_session_id(1_700_000_000).expect("id");
            let key = session_digest(&id).expect("well formed");
            per_shard[key.spread() % SHARDS] += 1;
            slot_bits[(key.slot_hash() % SHARDS as u64) as usize] += 1;
        }
        // 100 expected in each; below 40 is six standard deviations off.
        assert!(per_shard.iter().all(|&n| n > 40), "{per_shard:?}");
        assert!(slot_bits.iter().all(|&n| n > 40), "{slot_bits:?}");
    }

    #[test]
    fn a_fill_after_an_invalidation_is_refused() {
        let cache: RecordCache<u64, Arc<&str>> = RecordCache::new(100);
        let seen = cache.epoch();
        cache.invalidate(&1); // a commit lands between the read and the fill
        cache.fill(1, Arc::new("stale"), seen, || true);
        assert!(cache.get(&1).is_none());
        cache.fill(1, Arc::new("fresh"), cache.epoch(), || true);
        assert_eq!(cache.get(&1).as_deref(), Some(&"fresh"));
    }

    #[test]
    fn a_fill_vetoed_by_the_file_is_refused_and_clear_empties_every_shard() {
        let cache: RecordCache<u64, u64> = RecordCache::new(100);
        cache.fill(1, 1, cache.epoch(), || false);
        assert!(cache.get(&1).is_none());
        for i in 0..50 {
            cache.fill(i, i, cache.epoch(), || true);
        }
        let seen = cache.epoch();
        cache.clear();
        assert_eq!(cache.len(), 0);
        cache.fill(7, 7, seen, || true);
        assert!(cache.get(&7).is_none(), "a fill from before the clear");
    }

    #[test]
    fn capacity_is_bounded() {
        let cache: RecordCache<u64, u64> = RecordCache::new(32);
        for i in 0..1000 {
            cache.fill(i, i, cache.epoch(), || true);
        }
        assert!(cache.len() <= 32, "{}", cache.len());
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let cache: RecordCache<u64, u64> = RecordCache::new(0);
        cache.fill(1, 1, cache.epoch(), || true);
        assert!(cache.get(&1).is_none());
    }
}
