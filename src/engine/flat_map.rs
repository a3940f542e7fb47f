//! A flat open-addressed map for the hot-path caches: each entry is one
//! slot holding its key beside its value, aligned to cache lines, found by
//! linear probing from its home slot. A lookup of a cached summary among a
//! million then costs one random memory access (a session summary's slot
//! is two adjacent cache lines) where a general hash map costs two: its
//! control bytes, then its bucket.
//!
//! Tables of 2 MiB and more ask the kernel for transparent huge pages, so
//! that the random access does not also miss the TLB: with 4 KiB pages a
//! table of a million summaries spans 64k pages, far more than the TLB
//! holds, and on a virtual machine each TLB miss walks two page tables.

/// Largest share of slots in use before the table doubles: linear probing
/// stays short (about 1.5 slots per hit) below it.
const MAX_LOAD: (usize, usize) = (5, 8);

/// The smallest table.
const MIN_SLOTS: usize = 16;

/// Size of a transparent huge page on x86-64 and most aarch64 kernels.
const HUGE_PAGE: usize = 2 << 20;

/// A key that picks its own home slot: keys are digests (already uniform)
/// or token ids, so no general-purpose hash is needed.
pub(crate) trait SlotKey: Eq + Copy {
    /// A number whose low bits are spread evenly over keys.
    fn slot_hash(&self) -> u64;
}

/// One entry, or none, on whole cache lines of its own.
#[repr(C, align(64))]
struct Slot<K, V> {
    key: K,
    value: Option<V>,
}

impl<K: Copy, V> Slot<K, V> {
    fn empty(key: K) -> Self {
        Self { key, value: None }
    }
}

/// A map of at most a caller-chosen number of entries, growing by doubling.
pub(crate) struct FlatMap<K, V> {
    slots: Vec<Slot<K, V>>,
    len: usize,
    /// The key written into empty slots (never compared while empty).
    filler: K,
}

impl<K: SlotKey, V> FlatMap<K, V> {
    /// An empty map; `filler` is any key, stored in empty slots.
    pub(crate) fn new(filler: K) -> Self {
        Self {
            slots: Vec::new(),
            len: 0,
            filler,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    fn home(&self, key: &K) -> usize {
        key.slot_hash() as usize & self.mask()
    }

    /// The slot holding `key`, if any.
    fn find(&self, key: &K) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mut i = self.home(key);
        loop {
            let slot = &self.slots[i];
            slot.value.as_ref()?;
            if slot.key == *key {
                return Some(i);
            }
            i = (i + 1) & self.mask();
        }
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.find(key).and_then(|i| self.slots[i].value.as_ref())
    }

    /// Store `value` under `key`, replacing any value it had.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        if (self.len + 1) * MAX_LOAD.1 > self.slots.len() * MAX_LOAD.0 {
            self.grow();
        }
        let mut i = self.home(&key);
        loop {
            let slot = &mut self.slots[i];
            if slot.value.is_none() {
                *slot = Slot {
                    key,
                    value: Some(value),
                };
                self.len += 1;
                return;
            }
            if slot.key == key {
                slot.value = Some(value);
                return;
            }
            i = (i + 1) & self.mask();
        }
    }

    /// Remove `key`'s entry, if any.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.find(key)?;
        self.remove_at(i)
    }

    /// Remove some entry, preferring the one nearest `key`'s home slot (a
    /// full cache makes room where the newcomer will go).
    pub(crate) fn evict_near(&mut self, key: &K) {
        if self.len == 0 {
            return;
        }
        let mut i = self.home(key);
        while self.slots[i].value.is_none() {
            i = (i + 1) & self.mask();
        }
        self.remove_at(i);
    }

    /// Empty slot `i` and move later entries of its probe run back, so
    /// that every entry stays reachable from its home without tombstones.
    /// Returns what slot `i` held.
    fn remove_at(&mut self, mut hole: usize) -> Option<V> {
        let filler = self.filler;
        let removed = std::mem::replace(&mut self.slots[hole], Slot::empty(filler));
        removed.value.as_ref()?;
        self.len -= 1;
        let mask = self.mask();
        let mut i = (hole + 1) & mask;
        while self.slots[i].value.is_some() {
            let home = self.home(&self.slots[i].key);
            // The entry may fill the hole when its home is not in (hole, i].
            if (i.wrapping_sub(home) & mask) >= (i.wrapping_sub(hole) & mask) {
                self.slots.swap(hole, i);
                hole = i;
            }
            i = (i + 1) & mask;
        }
        removed.value
    }

    pub(crate) fn clear(&mut self) {
        self.slots = Vec::new();
        self.len = 0;
    }

    /// Double the table (or make the first), moving every entry.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(MIN_SLOTS);
        let filler = self.filler;
        let old = std::mem::replace(&mut self.slots, table(size, filler));
        self.len = 0;
        for slot in old {
            if let Some(value) = slot.value {
                self.insert(slot.key, value);
            }
        }
    }
}

/// `size` empty slots, on huge pages when the table is large enough.
fn table<K: Copy, V>(size: usize, filler: K) -> Vec<Slot<K, V>> {
    let mut slots = Vec::with_capacity(size);
    advise_huge_pages(&slots);
    slots.resize_with(size, || Slot::empty(filler));
    slots
}

/// Ask for transparent huge pages over the 2 MiB-aligned part of `slots`'
/// buffer, before it is first written. Only advice: a kernel without them,
/// or set to `never`, keeps 4 KiB pages.
fn advise_huge_pages<T>(slots: &Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        let start = slots.as_ptr() as usize;
        let end = start + slots.capacity() * std::mem::size_of::<T>();
        let first = start.next_multiple_of(HUGE_PAGE);
        let last = end - end % HUGE_PAGE;
        if last > first {
            // SAFETY: the range lies inside the vector's own allocation;
            // MADV_HUGEPAGE changes how it is backed, never its contents.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    last - first,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (slots, HUGE_PAGE);
}

#[cfg(test)]
mod tests {
    use super::*;

    impl SlotKey for u32 {
        fn slot_hash(&self) -> u64 {
            u64::from(*self)
        }
    }

    #[test]
    fn a_session_summary_slot_is_two_cache_lines() {
        use crate::secret::Digest;
        use crate::store::summary::SessionAuth;
        assert_eq!(std::mem::size_of::<Slot<Digest, SessionAuth>>(), 128);
    }

    #[test]
    fn a_token_summary_slot_is_two_cache_lines() {
        use crate::store::summary::TokenAuth;
        assert_eq!(std::mem::size_of::<Slot<u64, TokenAuth>>(), 128);
    }

    #[test]
    fn entries_stay_reachable_through_growth_and_removals() {
        // Keys hashing to few homes make long probe runs that wrap around.
        let mut map: FlatMap<u32, u32> = FlatMap::new(0);
        let mut model = std::collections::HashMap::new();
        let mut x = 12345u32;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let key = (x % 300) * 1024 + (x % 7); // few distinct low bits
            if step % 3 == 0 {
                assert_eq!(map.remove(&key), model.remove(&key), "remove {key}");
            } else {
                map.insert(key, step);
                model.insert(key, step);
            }
            assert_eq!(map.len(), model.len());
        }
        for (key, value) in &model {
            assert_eq!(map.get(key), Some(value), "key {key}");
        }
        for key in 0..300 * 1024 {
            if !model.contains_key(&key) {
                assert_eq!(map.get(&key), None);
            }
        }
    }

    #[test]
    fn eviction_removes_one_entry_and_clear_empties() {
        let mut map: FlatMap<u32, u32> = FlatMap::new(0);
        for key in 0..100 {
            map.insert(key, key);
        }
        map.evict_near(&7);
        assert_eq!(map.len(), 99);
        assert_eq!(map.get(&7), None, "the entry at the home slot went");
        map.clear();
        assert_eq!((map.len(), map.get(&1)), (0, None));
        map.insert(1, 1);
        assert_eq!(map.get(&1), Some(&1));
    }
}
