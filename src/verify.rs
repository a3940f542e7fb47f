//! Consistency check: every index row has its record and every record its
//! index rows. Used by tests after every random sequence and by operators.

use redb::{ReadableTable, ReadableTableMetadata};

use crate::engine::{
    Engine, SESSIONS, SESSIONS_BY_ACTIVITY, SESSIONS_BY_CREATED, SESSIONS_BY_USER,
};
use crate::error::Result;
use crate::record::decode_session;
use crate::secret::to_hex;

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
    /// Check, in one snapshot, that the tables and their indexes agree.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the file cannot be read. Damaged
    /// records are reported as problems, not errors.
    pub fn verify(&self) -> Result<VerifyReport> {
        self.core.read(|txn| {
            let mut report = VerifyReport::default();
            let records = txn.open_table(SESSIONS)?;
            let by_activity = txn.open_table(SESSIONS_BY_ACTIVITY)?;
            let by_created = txn.open_table(SESSIONS_BY_CREATED)?;
            let by_user = txn.open_table(SESSIONS_BY_USER)?;

            for row in records.iter()? {
                let (key, value) = row?;
                let digest = key.value();
                let handle = to_hex(&digest);
                report.records_checked += 1;
                let record = match decode_session(value.value()) {
                    Ok(record) => record,
                    Err(e) => {
                        report.problems.push(format!("sessions {handle}: {e}"));
                        continue;
                    }
                };
                if by_activity.get((record.last_activity, digest))?.is_none() {
                    report
                        .problems
                        .push(format!("sessions {handle}: no sessions_by_activity row"));
                }
                if by_created.get((record.created_at, digest))?.is_none() {
                    report
                        .problems
                        .push(format!("sessions {handle}: no sessions_by_created row"));
                }
                if let Some(user) = record.user_id
                    && by_user.get((user, digest))?.is_none()
                {
                    report
                        .problems
                        .push(format!("sessions {handle}: no sessions_by_user row"));
                }
            }

            let indexes = [
                ("sessions_by_activity", &by_activity),
                ("sessions_by_created", &by_created),
                ("sessions_by_user", &by_user),
            ];
            for (name, index) in indexes {
                for row in index.iter()? {
                    let (key, _) = row?;
                    let (value, digest) = key.value();
                    report.index_rows_checked += 1;
                    let handle = to_hex(&digest);
                    let Some(bytes) = records.get(&digest)? else {
                        report
                            .problems
                            .push(format!("{name} {handle}: no session record"));
                        continue;
                    };
                    let Ok(record) = decode_session(bytes.value()) else {
                        continue; // already reported above
                    };
                    let expected = match name {
                        "sessions_by_activity" => Some(record.last_activity),
                        "sessions_by_created" => Some(record.created_at),
                        _ => record.user_id,
                    };
                    if expected != Some(value) {
                        report.problems.push(format!(
                            "{name} {handle}: row says {value}, record says {expected:?}"
                        ));
                    }
                }
            }
            let _ = records.len()?;
            Ok(report)
        })
    }
}
