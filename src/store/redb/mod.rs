//! The embedded backend: one redb file, records sealed with a checksum and
//! encoded with rkyv, each index a table of its own.

mod reads;
mod summaries;
pub(crate) mod tables;
pub(crate) mod verify;
mod writes;
