//! The region of memory every handle on one database file shares: a change
//! counter and a ring of changed keys (see `coherence` for how they are
//! used), and the per-token usage counters (see `counters`). Processes share it through the side file `<database>-shm`,
//! mapped `MAP_SHARED`; an engine that is the only process on its file
//! keeps the same region on its own heap.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::counters::CounterTable;

/// Changed keys the ring holds (3 MiB); a follower further behind than
/// this forgets its whole cache instead of replaying. Sized so that a
/// burst of writes with no lookup between (a batch of logins, an import
/// in another process) stays replayable: at 8,192 a few thousand logins
/// were enough to empty every cache.
pub(crate) const LOG_SLOTS: usize = 65_536;

/// "akvshm03": layout version 3. A side file without it is initialised.
const MAGIC: u64 = u64::from_le_bytes(*b"akvshm03");

/// One changed key. `seq` is its position in the log plus one, 0 while it
/// is being written (a seqlock: read it before and after the words).
#[repr(C)]
pub(crate) struct Slot {
    pub seq: AtomicU64,
    /// The key's kind, then its 32 bytes.
    pub words: [AtomicU64; 5],
}

/// The shared state, laid out the same in every process.
#[repr(C)]
pub(crate) struct Region {
    magic: AtomicU64,
    /// Write transactions begun that changed cached records (or repaired
    /// the counters), each taking the next number as its ticket.
    pub begun: AtomicU64,
    /// The highest ticket whose commit has returned (or failed). `begun ==
    /// ended` means no such transaction is between its first change and
    /// its commit.
    pub ended: AtomicU64,
    /// Changed keys ever logged; the next one goes to `head % LOG_SLOTS`.
    pub log_head: AtomicU64,
    /// The highest ticket whose changed keys are all in the log.
    pub listed: AtomicU64,
    _reserved: [AtomicU64; 3],
    pub slots: [Slot; LOG_SLOTS],
    /// Rate-limit and quota counts of the tokens in use.
    pub counters: CounterTable,
}

/// A [`Region`] on the heap or mapped from a side file.
pub(crate) enum SharedMemory {
    Private(Box<Region>),
    Mapped(NonNull<Region>),
}

// SAFETY: the region holds only atomics, so shared access from any thread is
// sound; the mapping lives until `drop`.
unsafe impl Send for SharedMemory {}
// SAFETY: as above.
unsafe impl Sync for SharedMemory {}

impl SharedMemory {
    /// A region for this process alone.
    pub(crate) fn private() -> Self {
        // SAFETY: every field is an atomic integer, for which zero is valid.
        SharedMemory::Private(unsafe { Box::<Region>::new_zeroed().assume_init() })
    }

    /// Map the side file of `database`, creating and initialising it when
    /// it is new, under an exclusive `flock` (so that two processes never
    /// initialise it at once, and a region in use is never reset). The lock
    /// is held until the returned guard drops: processes opening the file
    /// meanwhile wait, so none sees a database file another is still
    /// creating.
    pub(crate) fn beside(database: &Path) -> io::Result<(Self, OpeningLock)> {
        let path = side_file_path(database)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let locked = OpeningLock::take(file)?;
        let file = &locked.0;
        let len = std::mem::size_of::<Region>();
        if file.metadata()?.len() < len as u64 {
            file.set_len(len as u64)?;
        }
        // SAFETY: a fresh shared read-write mapping of a file at least `len`
        // bytes long; the kernel picks the address.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let region = NonNull::new(ptr.cast::<Region>()).ok_or_else(io::Error::last_os_error)?;
        // SAFETY: mapped above, page-aligned, `len` bytes, all atomics.
        let shared = unsafe { region.as_ref() };
        if shared.magic.load(Ordering::Acquire) != MAGIC {
            shared.reset();
            shared.magic.store(MAGIC, Ordering::Release);
        }
        Ok((SharedMemory::Mapped(region), locked))
    }
}

impl std::ops::Deref for SharedMemory {
    type Target = Region;

    fn deref(&self) -> &Region {
        match self {
            SharedMemory::Private(region) => region,
            // SAFETY: mapped in `beside`, unmapped only in `drop`.
            SharedMemory::Mapped(region) => unsafe { region.as_ref() },
        }
    }
}

impl Drop for SharedMemory {
    fn drop(&mut self) {
        if let SharedMemory::Mapped(region) = self {
            // SAFETY: the mapping made in `beside`, of exactly this length;
            // no reference to it outlives `self`.
            unsafe { libc::munmap(region.as_ptr().cast(), std::mem::size_of::<Region>()) };
        }
    }
}

impl Region {
    fn reset(&self) {
        self.begun.store(0, Ordering::Relaxed);
        self.ended.store(0, Ordering::Relaxed);
        self.log_head.store(0, Ordering::Relaxed);
        self.listed.store(0, Ordering::Relaxed);
        for slot in &self.slots {
            slot.seq.store(0, Ordering::Relaxed);
        }
        self.counters.reset();
    }
}

/// `<canonical path of the database>-shm`: every path to the file that
/// resolves to the same name (symlinks, `..`) shares one side file. A
/// database not created yet is named by its canonical directory.
pub(crate) fn side_file_path(database: &Path) -> io::Result<PathBuf> {
    let canonical = match std::fs::canonicalize(database) {
        Ok(path) => path,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = match database.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let name = database.file_name().ok_or(e)?;
            std::fs::canonicalize(parent)?.join(name)
        }
        Err(e) => return Err(e),
    };
    let mut name = canonical.into_os_string();
    name.push("-shm");
    Ok(PathBuf::from(name))
}

/// The side file, locked with an exclusive `flock` until dropped.
pub(crate) struct OpeningLock(File);

impl OpeningLock {
    fn take(file: File) -> io::Result<Self> {
        // SAFETY: flock on a descriptor we own; blocks until granted.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(OpeningLock(file))
    }
}

impl Drop for OpeningLock {
    fn drop(&mut self) {
        // SAFETY: unlocks the lock taken in `take`.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}
