//! Backup and compaction of the file. Compaction writes a backup beside
//! the file and renames it over it, with the file held exclusively
//! throughout.

use std::path::Path;

use crate::engine::Engine;
use crate::engine::config::Concurrency;
use crate::error::{Error, OpenError, Result};

impl Engine {
    /// Write a consistent copy of the database, as of one moment, to a new
    /// file at `path` (which must not exist), while reads and writes go on.
    /// The copy holds every commit that returned before the call began, is
    /// durable when the call returns, and is as compact as a fresh import.
    /// Returns how many rows it copied.
    ///
    /// # Errors
    /// [`OpenError::Io`] when `path` exists or cannot be written (a partial
    /// copy is removed); [`Error::Corrupt`] when the live file is damaged.
    pub fn backup_to(&self, path: impl AsRef<Path>) -> Result<u64> {
        self.core.stamp.check()?;
        self.core.backend.file()?.copy_to(path.as_ref())
    }

    /// Rewrite the file without the free space that deletions left, by a
    /// backup renamed over it, and return the engine open on the compacted
    /// file. Needs the file to itself: opened with
    /// [`Concurrency::Exclusive`] and no other engine on it in this process.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the file is shared; the errors of
    /// [`Engine::backup_to`] and [`Engine::open`]. On failure before the
    /// rename the file is unchanged.
    pub fn compact(self) -> Result<Engine> {
        let core = &self.core;
        if core.config.concurrency != Concurrency::Exclusive {
            return Err(Error::InvalidConfig(
                "compaction needs the file to itself: open it with Concurrency::Exclusive \
                 (stop the processes sharing it)"
                    .into(),
            ));
        }
        let file = core.backend.file()?;
        if file.shared_in_process() {
            return Err(Error::InvalidConfig(
                "compaction needs the file to itself: another engine in this process has it open"
                    .into(),
            ));
        }
        self.flush()?;
        let path = file.path.clone();
        let mut copy_name = path.clone().into_os_string();
        copy_name.push(".compacting");
        let copy = std::path::PathBuf::from(copy_name);
        let _ = std::fs::remove_file(&copy); // left by an interrupted run
        self.backup_to(&copy)?;
        // Held exclusively until here: nobody else wrote to the old file, and
        // whoever opens the path from now on gets the copy.
        std::fs::rename(&copy, &path).map_err(OpenError::Io)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(OpenError::Io)?;
        }
        let config = core.config.clone();
        self.close()?;
        Engine::open(&path, config)
    }
}
