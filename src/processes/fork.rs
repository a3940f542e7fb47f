//! Fork detection. A child of `fork()` shares its parent's open file
//! description, and so redb's locks: committing through the inherited
//! handle corrupts the file. Every engine remembers the fork generation it
//! was opened in; a `pthread_atfork` child handler moves the generation, so
//! one relaxed load tells a handle that it now lives in a child.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// How many times this process image has been forked into a child: 0 in
/// the process that ran `main`, moved by each `fork()` in the child only.
static GENERATION: AtomicU64 = AtomicU64::new(0);

static REGISTER: Once = Once::new();

/// Runs in the child, single-threaded, right after `fork()` returns there.
extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// The process an engine was opened in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProcessStamp {
    generation: u64,
    pid: u32,
}

impl ProcessStamp {
    /// The calling process, with the fork handler installed.
    pub(crate) fn current() -> Self {
        REGISTER.call_once(|| {
            // SAFETY: `in_child` only moves an atomic, which is what a fork
            // handler may do.
            unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        });
        Self {
            generation: GENERATION.load(Ordering::Relaxed),
            pid: std::process::id(),
        }
    }

    /// Whether the caller runs in the process this stamp was taken in.
    /// The process that took the stamp (the current one wherever
    /// [`ProcessStamp::check`] passes).
    #[inline]
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    #[inline]
    pub(crate) fn is_current(&self) -> bool {
        GENERATION.load(Ordering::Relaxed) == self.generation
    }

    /// [`Error::Forked`] in a child of the process this stamp was taken in.
    #[inline]
    pub(crate) fn check(&self) -> Result<()> {
        if self.is_current() {
            Ok(())
        } else {
            Err(Error::Forked {
                opened_in: self.pid,
                used_in: std::process::id(),
            })
        }
    }
}
