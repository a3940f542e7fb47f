//! `Engine::verify`: the store's own consistency check (see the backends).

use crate::engine::Engine;
use crate::error::Result;
use crate::store::verify_report::VerifyReport;

impl Engine {
    /// Check that the store is intact. On the embedded backend, in one
    /// snapshot: every record's checksum and encoding, and that the tables
    /// and their indexes agree; an area the storage engine cannot read is a
    /// problem, and the others are still checked. On PostgreSQL, whose
    /// indexes are the server's own: every row reads back as a valid
    /// record.
    ///
    /// # Errors
    /// [`crate::Error::Storage`], [`crate::Error::Server`] or
    /// [`crate::Error::Corrupt`] when nothing can be read at all. Damaged
    /// records are reported as problems, not errors.
    pub fn verify(&self) -> Result<VerifyReport> {
        self.core.stamp.check()?;
        self.core.backend.verify()
    }
}
