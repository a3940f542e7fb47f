//! The embedded backend's consistency check: every index row has its
//! record and every record its index rows (an activity row at or before
//! the session's last activity; a deleted session's activity row is left
//! for GC, see `session_tables`).

use std::collections::HashSet;

use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata};

use crate::error::{Error, Result};
use crate::processes::quiet_panic;
use crate::secret::to_hex;
use crate::store::TimeIndex;
use crate::store::record::{
    TokenRecord, decode_credential, decode_limits, decode_remember, decode_session, decode_token,
};
use crate::store::redb::tables::{
    CREDENTIALS, CREDENTIALS_BY_USER, REMEMBER, REMEMBER_BY_EXPIRY, REMEMBER_BY_USER, SESSIONS,
    SESSIONS_BY_ACTIVITY, SESSIONS_BY_CREATED, SESSIONS_BY_USER, THROTTLE, THROTTLE_BY_WINDOW,
    TOKEN_LIMITS, TOKENS, TOKENS_BY_CREATED, TOKENS_BY_DIGEST, TOKENS_BY_EXPIRY, TOKENS_BY_USER,
};
use crate::store::verify_report::VerifyReport;

/// Check, in one snapshot of the file, that every record is intact (its
/// checksum and its encoding) and that the tables and their indexes agree.
/// Each area (sessions, tokens, credentials, remember-me, throttles) is
/// walked on its own: one the storage engine cannot read, or panics on, is
/// reported as a problem and the others are still checked.
pub(crate) fn verify_file(txn: &ReadTransaction) -> VerifyReport {
    let mut report = VerifyReport::default();
    let areas: [(&str, Check); 5] = [
        ("sessions", verify_sessions),
        ("tokens", verify_tokens),
        ("credentials", check_credentials),
        ("remember-me tokens", check_remember),
        ("throttles", check_throttle),
    ];
    for (area, check) in areas {
        let walked = quiet_panic::catch(|| check(txn, &mut report)).unwrap_or_else(|panic| {
            Err(Error::Corrupt {
                table: "(storage)",
                detail: format!("the storage engine failed: {panic}"),
            })
        });
        if let Err(e) = walked {
            report.problems.push(format!("{area}: unreadable: {e}"));
        }
    }
    report
}

/// Walks one area of the snapshot, adding what it finds to the report.
type Check = fn(&ReadTransaction, &mut VerifyReport) -> Result<()>;

fn verify_sessions(txn: &ReadTransaction, report: &mut VerifyReport) -> Result<()> {
    let records = txn.open_table(SESSIONS)?;
    let by_activity = txn.open_table(SESSIONS_BY_ACTIVITY)?;
    let by_created = txn.open_table(SESSIONS_BY_CREATED)?;
    let by_user = txn.open_table(SESSIONS_BY_USER)?;

    // Sessions whose activity row is still to be found.
    let mut unfiled = HashSet::new();
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
        unfiled.insert(digest);
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
            let activity = name == "sessions_by_activity";
            let Some(bytes) = records.get(&digest)? else {
                // A deleted session's activity row waits for GC.
                if !activity {
                    report
                        .problems
                        .push(format!("{name} {handle}: no session record"));
                }
                continue;
            };
            let Ok(record) = decode_session(bytes.value()) else {
                continue; // already reported above
            };
            let (fits, record_says) = match name {
                "sessions_by_activity" => (
                    TimeIndex::SessionActivity.fits_session(value, &record),
                    Some(record.last_activity),
                ),
                "sessions_by_created" => (
                    TimeIndex::SessionCreated.fits_session(value, &record),
                    Some(record.created_at),
                ),
                _ => (Some(value) == record.user_id, record.user_id),
            };
            if !fits {
                report.problems.push(format!(
                    "{name} {handle}: row says {value}, record says {record_says:?}"
                ));
            } else if activity {
                unfiled.remove(&digest);
            }
        }
    }
    for digest in unfiled {
        report.problems.push(format!(
            "sessions {}: no sessions_by_activity row at or before its last activity",
            to_hex(&digest)
        ));
    }
    let _ = records.len()?;
    Ok(())
}

/// Each credential has the user row naming its login, and each user row
/// names a credential of that user. Problems name the user, not the login.
fn check_credentials(txn: &ReadTransaction, report: &mut VerifyReport) -> Result<()> {
    let records = txn.open_table(CREDENTIALS)?;
    let by_user = txn.open_table(CREDENTIALS_BY_USER)?;
    for row in records.iter()? {
        let (login, value) = row?;
        report.records_checked += 1;
        let record = match decode_credential(value.value()) {
            Ok(record) => record,
            Err(e) => {
                let len = login.value().len();
                report
                    .problems
                    .push(format!("credentials (login of {len} bytes): {e}"));
                continue;
            }
        };
        let user = record.user_id;
        match by_user.get(user)? {
            Some(indexed) if indexed.value() == login.value() => {}
            Some(_) => report.problems.push(format!(
                "credentials user {user}: credentials_by_user names another login"
            )),
            None => report.problems.push(format!(
                "credentials user {user}: no credentials_by_user row"
            )),
        }
    }
    for row in by_user.iter()? {
        let (user, login) = row?;
        let user = user.value();
        report.index_rows_checked += 1;
        let Some(bytes) = records.get(login.value())? else {
            report.problems.push(format!(
                "credentials_by_user user {user}: no credential for its login"
            ));
            continue;
        };
        if decode_credential(bytes.value()).is_ok_and(|r| r.user_id != user) {
            report.problems.push(format!(
                "credentials_by_user user {user}: login belongs to another user"
            ));
        }
    }
    Ok(())
}

/// Each remember-me record has its user and expiry rows, and each of those
/// rows its record with the same user or expiry.
fn check_remember(txn: &ReadTransaction, report: &mut VerifyReport) -> Result<()> {
    let records = txn.open_table(REMEMBER)?;
    let by_user = txn.open_table(REMEMBER_BY_USER)?;
    let by_expiry = txn.open_table(REMEMBER_BY_EXPIRY)?;
    for row in records.iter()? {
        let (key, value) = row?;
        let selector = key.value();
        let handle = to_hex(&selector);
        report.records_checked += 1;
        let record = match decode_remember(value.value()) {
            Ok(record) => record,
            Err(e) => {
                report.problems.push(format!("remember {handle}: {e}"));
                continue;
            }
        };
        if by_user.get((record.user_id, selector))?.is_none() {
            report
                .problems
                .push(format!("remember {handle}: no remember_by_user row"));
        }
        if by_expiry.get((record.expires_at, selector))?.is_none() {
            report
                .problems
                .push(format!("remember {handle}: no remember_by_expiry row"));
        }
    }
    for (name, index) in [
        ("remember_by_user", &by_user),
        ("remember_by_expiry", &by_expiry),
    ] {
        for row in index.iter()? {
            let (key, _) = row?;
            let (value, selector) = key.value();
            report.index_rows_checked += 1;
            let handle = to_hex(&selector);
            let Some(bytes) = records.get(&selector)? else {
                report
                    .problems
                    .push(format!("{name} {handle}: no remember record"));
                continue;
            };
            let Ok(record) = decode_remember(bytes.value()) else {
                continue; // already reported above
            };
            let expected = match name {
                "remember_by_user" => record.user_id,
                _ => record.expires_at,
            };
            if expected != value {
                report.problems.push(format!(
                    "{name} {handle}: row says {value}, record says {expected}"
                ));
            }
        }
    }
    Ok(())
}

/// Each throttle counter has its window row, and each window row a counter
/// whose window starts there.
fn check_throttle(txn: &ReadTransaction, report: &mut VerifyReport) -> Result<()> {
    let counters = txn.open_table(THROTTLE)?;
    let by_window = txn.open_table(THROTTLE_BY_WINDOW)?;
    for row in counters.iter()? {
        let (key, value) = row?;
        let digest = key.value();
        let (attempts, window_start) = value.value();
        let handle = to_hex(&digest);
        report.records_checked += 1;
        if attempts == 0 {
            report
                .problems
                .push(format!("throttle {handle}: counter of zero attempts"));
        }
        if by_window.get((window_start, digest))?.is_none() {
            report
                .problems
                .push(format!("throttle {handle}: no throttle_by_window row"));
        }
    }
    for row in by_window.iter()? {
        let (key, _) = row?;
        let (window_start, digest) = key.value();
        report.index_rows_checked += 1;
        let handle = to_hex(&digest);
        match counters.get(&digest)? {
            None => report
                .problems
                .push(format!("throttle_by_window {handle}: no counter")),
            Some(counter) if counter.value().1 != window_start => {
                let stored = counter.value().1;
                report.problems.push(format!(
                    "throttle_by_window {handle}: row says {window_start}, counter says {stored}"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// What an index row points to.
enum Stored {
    Found(TokenRecord),
    Missing,
    /// Reported when the records were walked.
    Undecodable,
}

/// Tokens: every record has its digest, user, created (and, when it expires,
/// expiry) rows, and every index row points to a record with the same values.
/// Problems name the token id, never a digest.
fn verify_tokens(txn: &ReadTransaction, report: &mut VerifyReport) -> Result<()> {
    let records = txn.open_table(TOKENS)?;
    let by_digest = txn.open_table(TOKENS_BY_DIGEST)?;
    let by_user = txn.open_table(TOKENS_BY_USER)?;
    let by_expiry = txn.open_table(TOKENS_BY_EXPIRY)?;
    let by_created = txn.open_table(TOKENS_BY_CREATED)?;

    for row in records.iter()? {
        let (key, value) = row?;
        let id = key.value();
        report.records_checked += 1;
        let record = match decode_token(value.value()) {
            Ok(record) => record,
            Err(e) => {
                report.problems.push(format!("tokens {id}: {e}"));
                continue;
            }
        };
        match by_digest.get(&record.digest)?.map(|v| v.value()) {
            Some(owner) if owner == id => {}
            Some(owner) => report.problems.push(format!(
                "tokens {id}: tokens_by_digest row names token {owner}"
            )),
            None => report
                .problems
                .push(format!("tokens {id}: no tokens_by_digest row")),
        }
        if by_user.get((record.user_id, id))?.is_none() {
            report
                .problems
                .push(format!("tokens {id}: no tokens_by_user row"));
        }
        if by_created.get((record.created_at, id))?.is_none() {
            report
                .problems
                .push(format!("tokens {id}: no tokens_by_created row"));
        }
        if let Some(expires_at) = record.expires_at
            && by_expiry.get((expires_at, id))?.is_none()
        {
            report
                .problems
                .push(format!("tokens {id}: no tokens_by_expiry row"));
        }
    }
    let record_of = |id: u64| -> Result<Stored> {
        Ok(match records.get(id)? {
            None => Stored::Missing,
            Some(bytes) => decode_token(bytes.value()).map_or(Stored::Undecodable, Stored::Found),
        })
    };

    for row in by_digest.iter()? {
        let (key, value) = row?;
        let id = value.value();
        report.index_rows_checked += 1;
        match record_of(id)? {
            Stored::Found(record) if record.digest == key.value() => {}
            Stored::Found(_) => report.problems.push(format!(
                "tokens_by_digest: row for token {id} has another digest"
            )),
            Stored::Missing => report
                .problems
                .push(format!("tokens_by_digest: row for missing token {id}")),
            Stored::Undecodable => {}
        }
    }
    for row in txn.open_table(TOKEN_LIMITS)?.iter()? {
        let (key, value) = row?;
        let id = key.value();
        report.records_checked += 1;
        if let Err(e) = decode_limits(value.value()) {
            report.problems.push(format!("token_limits {id}: {e}"));
        }
        if matches!(record_of(id)?, Stored::Missing) {
            report
                .problems
                .push(format!("token_limits {id}: no token record"));
        }
    }
    let indexes = [
        ("tokens_by_user", &by_user),
        ("tokens_by_expiry", &by_expiry),
        ("tokens_by_created", &by_created),
    ];
    for (name, index) in indexes {
        for row in index.iter()? {
            let (key, _) = row?;
            let (value, id) = key.value();
            report.index_rows_checked += 1;
            let record = match record_of(id)? {
                Stored::Found(record) => record,
                Stored::Missing => {
                    report
                        .problems
                        .push(format!("{name} {id}: no token record"));
                    continue;
                }
                Stored::Undecodable => continue,
            };
            let expected = match name {
                "tokens_by_user" => Some(record.user_id),
                "tokens_by_expiry" => record.expires_at,
                _ => Some(record.created_at),
            };
            if expected != Some(value) {
                report.problems.push(format!(
                    "{name} {id}: row says {value}, record says {expected:?}"
                ));
            }
        }
    }
    Ok(())
}
