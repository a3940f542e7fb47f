//! The embedded backend: one redb file, records sealed with a checksum and
//! encoded with rkyv, each index a table of its own.

pub(crate) mod checksum;
pub(crate) mod combine;
pub(crate) mod commit;
mod copy;
pub(crate) mod group_commit;
pub(crate) mod migrate;
pub(crate) mod open;
pub(crate) mod open_files;
mod reads;
mod session_tables;
mod summaries;
pub(crate) mod tables;
pub(crate) mod verify;
mod writes;

/// Schema version of the file this build writes and reads.
pub const SCHEMA_VERSION: u64 = 5;
