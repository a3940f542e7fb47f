//! Consistency check of the store. Used by tests after every random
//! sequence and by operators (`authkv verify`).

use std::ops::ControlFlow;

use crate::engine::Engine;
use crate::error::Result;
use crate::session_auth::csrf_bytes;
use crate::store::{Backend, Reads};

/// What [`Engine::verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Records read and decoded.
    pub records_checked: u64,
    /// Index rows checked against their records.
    pub index_rows_checked: u64,
    /// One line per disagreement, naming the table and the public handle.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// True when nothing disagrees.
    pub fn is_consistent(&self) -> bool {
        self.problems.is_empty()
    }
}

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
        match &self.core.backend {
            Backend::File(_) => self
                .core
                .read_file(|txn| Ok(crate::store::redb::verify::verify_file(txn))),
            #[cfg(feature = "postgres")]
            Backend::Server(_) => self.core.read(verify_rows),
        }
    }
}

/// Read every record back, reporting those that are not valid.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
fn verify_rows(txn: &dyn Reads) -> Result<VerifyReport> {
    let mut report = VerifyReport::default();
    let mut problems = Vec::new();
    let mut checked = 0;
    // The walks below never break.
    let _ = txn.each_session(&mut |(digest, record)| {
        checked += 1;
        if let Err(e) = csrf_bytes(record.csrf.as_bytes()) {
            problems.push(format!("sessions {}: {e}", crate::secret::to_hex(&digest)));
        }
        Ok(ControlFlow::Continue(()))
    })?;
    let _ = txn.each_token(&mut |_| {
        checked += 1;
        Ok(ControlFlow::Continue(()))
    })?;
    let _ = txn.each_login(&mut |(user_id, login)| {
        checked += 1;
        if txn
            .credential(&login)?
            .is_none_or(|record| record.user_id != user_id)
        {
            problems.push(format!(
                "credentials of user {user_id}: login and row disagree"
            ));
        }
        Ok(ControlFlow::Continue(()))
    })?;
    report.records_checked = checked;
    report.problems = problems;
    Ok(report)
}
