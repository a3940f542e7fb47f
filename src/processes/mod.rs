//! Many processes on one database file: the shared change log that keeps
//! every process's caches coherent, the files open in this process, fork
//! detection, the housekeeping lease, and damage found in the file.

pub(crate) mod coherence;
pub(crate) mod fork;
pub(crate) mod lease;
pub(crate) mod open_files;
pub(crate) mod quiet_panic;
pub(crate) mod shared_memory;
