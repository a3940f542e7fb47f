//! What a consistency check of the store found.

/// What [`crate::Engine::verify`] found.
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
