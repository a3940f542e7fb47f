//! The consistency check of a store whose indexes are its server's own:
//! every row must read back as a valid record.

use std::ops::ControlFlow;

use crate::error::Result;
use crate::store::Reads;
use crate::store::summary::csrf_bytes;
use crate::store::verify_report::VerifyReport;

/// Read every record back, reporting those that are not valid.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn verify_rows(txn: &dyn Reads) -> Result<VerifyReport> {
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
