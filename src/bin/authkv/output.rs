//! What the commands print on stdout: aligned text for people, or (with
//! `--json`) one JSON document for scripts — an array for listings, an
//! object otherwise. Text output escapes control characters, so a hostile
//! user agent or token name cannot drive the operator's terminal.

use std::path::Path;

use authkv::{
    Exported, GcReport, NewToken, SessionInfo, Stats, TokenInfo, TokenLimits, VerifyReport,
};
use serde_json::{Value, json};

use crate::time::{format_duration, format_utc};

/// `s` with every control character written as a `\u{..}` escape.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

fn time(secs: u64) -> String {
    format_utc(secs)
}

fn opt_time(secs: Option<u64>) -> String {
    secs.map_or_else(|| "-".to_owned(), format_utc)
}

/// Rows of cells as columns padded to their widest cell; the last column
/// is not padded.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push('\n');
    }
    out
}

/// One line of `key value` pairs, keys aligned.
fn pairs(items: &[(&str, String)]) -> String {
    let width = items.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (key, value) in items {
        out.push_str(&format!("{key:<width$}  {value}\n"));
    }
    out
}

/// One compact JSON document and a line break.
fn document(value: &Value) -> String {
    format!("{value}\n")
}

/// `stats`.
/// `file` is the database file and its size, `None` for PostgreSQL.
pub fn stats(stats: &Stats, file: Option<(&Path, u64)>, json: bool) -> String {
    if json {
        let mut value = json!({
            "sessions": stats.sessions,
            "tokens": stats.tokens,
            "credentials": stats.credentials,
            "remember_tokens": stats.remember_tokens,
        });
        match file {
            Some((path, bytes)) => {
                value["file"] = json!(path.to_string_lossy());
                value["file_bytes"] = json!(bytes);
            }
            None => value["store"] = json!("postgresql"),
        }
        return document(&value);
    }
    let mut shown = match file {
        Some((path, bytes)) => vec![
            ("file", clean(&path.to_string_lossy())),
            ("file_bytes", bytes.to_string()),
        ],
        None => vec![("store", "postgresql".to_owned())],
    };
    shown.extend([
        ("sessions", stats.sessions.to_string()),
        ("tokens", stats.tokens.to_string()),
        ("credentials", stats.credentials.to_string()),
        ("remember_tokens", stats.remember_tokens.to_string()),
    ]);
    pairs(&shown)
}

/// `verify`: a summary when consistent, else one problem per line.
pub fn verify(report: &VerifyReport, json: bool) -> String {
    if json {
        return document(&json!({
            "consistent": report.is_consistent(),
            "records_checked": report.records_checked,
            "index_rows_checked": report.index_rows_checked,
            "problems": report.problems,
        }));
    }
    if report.is_consistent() {
        return format!(
            "consistent: {} records and {} index rows checked\n",
            report.records_checked, report.index_rows_checked
        );
    }
    report.problems.iter().map(|p| clean(p) + "\n").collect()
}

fn gc_json(report: &GcReport) -> Value {
    json!({
        "sessions_deleted": report.sessions_deleted,
        "tokens_deleted": report.tokens_deleted,
        "throttles_deleted": report.throttles_deleted,
        "remember_tokens_deleted": report.remember_tokens_deleted,
        "records_examined": report.records_examined,
        "batches": report.batches,
    })
}

/// The counts of a GC run, as one sentence.
pub fn gc_line(report: &GcReport) -> String {
    format!(
        "deleted {} sessions, {} tokens, {} throttle counters, {} remember-me tokens \
         in {} batches",
        report.sessions_deleted,
        report.tokens_deleted,
        report.throttles_deleted,
        report.remember_tokens_deleted,
        report.batches
    )
}

/// `gc`'s totals.
pub fn gc(report: &GcReport, json: bool) -> String {
    if json {
        document(&gc_json(report))
    } else {
        gc_line(report) + "\n"
    }
}

/// `sessions list`.
pub fn sessions(user: u64, list: &[SessionInfo], json: bool) -> String {
    if json {
        let items = list.iter().map(|s| {
            json!({
                "handle": s.handle,
                "user_id": user,
                "ip": s.ip,
                "user_agent": s.user_agent,
                "created_at": s.created_at,
                "last_activity": s.last_activity,
            })
        });
        return document(&Value::Array(items.collect()));
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                s.handle.clone(),
                clean(&s.ip),
                time(s.created_at),
                time(s.last_activity),
                clean(&s.user_agent),
            ]
        })
        .collect();
    table(
        &["HANDLE", "IP", "CREATED", "LAST ACTIVITY", "USER AGENT"],
        &rows,
    )
}

/// A count of deleted things, e.g. from `sessions revoke-user`.
pub fn count(key: &str, what: &str, n: usize, json: bool) -> String {
    if json {
        document(&json!({ key: n }))
    } else {
        format!("{what}: {n}\n")
    }
}

/// A confirmation: `value` with --json, else `sentence`.
pub fn done(value: &Value, sentence: &str, json: bool) -> String {
    if json {
        document(value)
    } else {
        format!("{sentence}\n")
    }
}

fn token_json(token: &TokenInfo, user: u64) -> Value {
    json!({
        "id": token.id,
        "user_id": user,
        "name": token.name,
        "abilities": token.abilities.as_slice(),
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "expired": token.expired,
    })
}

/// A token's rate limit as JSON: `{"max", "window_secs"}`, or null.
fn rate_json(limits: Option<&TokenLimits>) -> Value {
    limits.and_then(|l| l.rate_limit).map_or(
        Value::Null,
        |rate| json!({ "max": rate.max, "window_secs": rate.window.as_secs() }),
    )
}

/// A token's quota as JSON: `{"remaining", "refill_amount",
/// "refill_interval_secs"}` (the interval null when it never refills), or
/// null.
fn quota_json(limits: Option<&TokenLimits>) -> Value {
    limits.and_then(|l| l.quota).map_or(Value::Null, |quota| {
        json!({
            "remaining": quota.remaining,
            "refill_amount": quota.refill_amount,
            "refill_interval_secs": quota.refill_interval.map(|d| d.as_secs()),
        })
    })
}

/// `tokens create`: the plaintext alone, or with --json the token's
/// fields, its limits and the plaintext under `"token"`.
pub fn new_token(token: &NewToken, user: u64, limits: &TokenLimits, json: bool) -> String {
    if json {
        let mut value = token_json(&token.info, user);
        value["rate_limit"] = rate_json(Some(limits));
        value["quota"] = quota_json(Some(limits));
        value["token"] = json!(token.plain_text.expose());
        return document(&value);
    }
    format!("{}\n", token.plain_text.expose())
}

/// `tokens list`.
pub fn tokens(user: u64, list: &[TokenInfo], json: bool) -> String {
    if json {
        let items = list.iter().map(|t| token_json(t, user));
        return document(&Value::Array(items.collect()));
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                clean(&t.name),
                time(t.created_at),
                opt_time(t.last_used_at),
                opt_time(t.expires_at),
                if t.expired { "expired" } else { "active" }.to_owned(),
                clean(&t.abilities.as_slice().join(" ")),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "NAME",
            "CREATED",
            "LAST USED",
            "EXPIRES",
            "STATE",
            "ABILITIES",
        ],
        &rows,
    )
}

/// `tokens limits`: token `id`'s rate limit and quota, one per line, each
/// `unlimited` when not set; with --json `{"id", "rate_limit", "quota"}`
/// as in `export`.
pub fn limits(id: u64, limits: &TokenLimits, json: bool) -> String {
    if json {
        return document(&json!({
            "id": id,
            "rate_limit": rate_json(Some(limits)),
            "quota": quota_json(Some(limits)),
        }));
    }
    let rate = limits.rate_limit.map_or_else(
        || "unlimited".to_owned(),
        |rate| {
            format!(
                "{} requests per {}",
                rate.max,
                format_duration(rate.window.as_secs())
            )
        },
    );
    let quota = limits.quota.map_or_else(
        || "unlimited".to_owned(),
        |quota| match quota.refill_interval {
            Some(every) => format!(
                "{} uses left, refilled to {} every {}",
                quota.remaining,
                quota.refill_amount,
                format_duration(every.as_secs())
            ),
            None => format!("{} uses left, never refilled", quota.remaining),
        },
    );
    pairs(&[
        ("token", id.to_string()),
        ("rate_limit", rate),
        ("quota", quota),
    ])
}

/// `import`'s summary.
pub fn imported(what: &str, imported: usize, bad_rows: usize, json: bool) -> String {
    if json {
        return document(&json!({ "imported": imported, "bad_rows": bad_rows }));
    }
    format!("imported {imported} {what}; {bad_rows} bad rows skipped\n")
}

/// One `export` line.
pub fn exported(record: &Exported) -> Option<String> {
    let value = match record {
        Exported::Session(s) => json!({
            "type": "session",
            "handle": s.handle,
            "user_id": s.user_id,
            "ip": s.ip,
            "user_agent": s.user_agent,
            "created_at": s.created_at,
            "last_activity": s.last_activity,
        }),
        Exported::Token(t) => json!({
            "type": "token",
            "id": t.id,
            "user_id": t.user_id,
            "name": t.name,
            "abilities": t.abilities,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "expires_at": t.expires_at,
            "rate_limit": rate_json(t.limits.as_ref()),
            "quota": quota_json(t.limits.as_ref()),
        }),
        Exported::Credential(c) => json!({
            "type": "credential",
            "user_id": c.user_id,
            "login": c.login,
        }),
        // A kind added to the library later is left out until it is
        // reviewed for secrets here.
        _ => return None,
    };
    Some(document(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_in_text() {
        assert_eq!(clean("ok é"), "ok é");
        assert_eq!(clean("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\u{a}");
    }

    #[test]
    fn limits_show_unlimited_or_each_limit() {
        assert_eq!(
            limits(7, &TokenLimits::default(), false),
            "token       7\nrate_limit  unlimited\nquota       unlimited\n"
        );
        assert_eq!(
            limits(7, &TokenLimits::default(), true),
            "{\"id\":7,\"quota\":null,\"rate_limit\":null}\n"
        );
        let set = TokenLimits {
            rate_limit: Some(authkv::RateLimit {
                max: 100,
                window: std::time::Duration::from_secs(60),
            }),
            quota: Some(authkv::Quota {
                remaining: 40,
                refill_amount: 50,
                refill_interval: Some(std::time::Duration::from_secs(86_400)),
            }),
        };
        let text = limits(7, &set, false);
        assert!(text.contains("100 requests per 1m"), "{text}");
        assert!(
            text.contains("40 uses left, refilled to 50 every 1d"),
            "{text}"
        );
        let value: Value = serde_json::from_str(&limits(7, &set, true)).expect("JSON");
        assert_eq!(
            value["rate_limit"],
            json!({ "max": 100, "window_secs": 60 })
        );
        assert_eq!(
            value["quota"],
            json!({ "remaining": 40, "refill_amount": 50, "refill_interval_secs": 86_400 })
        );
    }

    #[test]
    fn tables_align_columns_and_leave_the_last_unpadded() {
        let rows = vec![
            vec!["1".to_owned(), "long name".to_owned(), "x".to_owned()],
            vec!["22".to_owned(), "n".to_owned(), "y y".to_owned()],
        ];
        assert_eq!(
            table(&["ID", "NAME", "LAST"], &rows),
            "ID  NAME       LAST\n1   long name  x\n22  n          y y\n"
        );
    }
}
