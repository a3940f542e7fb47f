//! `import sanctum|sessions FILE`: Laravel's `personal_access_tokens` or
//! `sessions` table, exported as CSV or JSON lines. Every row is read and
//! checked first; then all good rows go to the library's batch import, which
//! stores them in one transaction or not at all. Bad rows are reported by
//! line on stderr, never with a secret column's value.

use std::io::Read;

use authkv::{Engine, Error, LaravelSession, SanctumToken};

use crate::Failure;
use crate::base64;
use crate::command::{Format, ImportArgs, ImportKind};
use crate::csv;
use crate::json::{self, Json};
use crate::output::clean;
use crate::time::{parse_digits, parse_timestamp};

/// Columns a Sanctum CSV header must have.
const SANCTUM_COLUMNS: &[&str] = &[
    "id",
    "tokenable_type",
    "tokenable_id",
    "name",
    "token",
    "abilities",
    "created_at",
];

/// Columns a sessions CSV header must have.
const SESSION_COLUMNS: &[&str] = &["id", "payload", "last_activity"];

/// What an import did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Rows stored.
    pub imported: usize,
    /// Rows reported and skipped.
    pub bad_rows: usize,
}

/// One cell of a row, whatever the file's format.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cell {
    Null,
    Text(String),
    Number(String),
    List(Vec<String>),
    Other(&'static str),
}

/// A row as read: its line and its cells by column name.
struct Row {
    line: usize,
    cells: Vec<(String, Cell)>,
}

/// A row that cannot be imported, and why.
struct Bad {
    line: usize,
    message: String,
}

impl Row {
    /// The cell of `column`; an absent column reads as NULL.
    fn cell(&self, column: &str) -> &Cell {
        let found = self.cells.iter().find(|(name, _)| name == column);
        found.map_or(&Cell::Null, |(_, cell)| cell)
    }

    fn text(&self, column: &str) -> Result<Option<&str>, String> {
        match self.cell(column) {
            Cell::Null => Ok(None),
            Cell::Text(text) => Ok(Some(text)),
            _ => Err(format!("{column} must be text")),
        }
    }

    fn required_text(&self, column: &str) -> Result<&str, String> {
        self.text(column)?
            .ok_or_else(|| format!("{column} is missing or NULL"))
    }

    fn whole(&self, column: &str) -> Result<Option<u64>, String> {
        match self.cell(column) {
            Cell::Null => Ok(None),
            Cell::Text(text) | Cell::Number(text) => parse_digits(text)
                .map(Some)
                .ok_or_else(|| format!("{column} must be a whole number")),
            _ => Err(format!("{column} must be a whole number")),
        }
    }

    fn required_whole(&self, column: &str) -> Result<u64, String> {
        self.whole(column)?
            .ok_or_else(|| format!("{column} is missing or NULL"))
    }

    fn timestamp(&self, column: &str) -> Result<Option<u64>, String> {
        match self.cell(column) {
            Cell::Null => Ok(None),
            Cell::Text(text) | Cell::Number(text) => parse_timestamp(text)
                .map(Some)
                .map_err(|e| format!("{column}: {e}")),
            _ => Err(format!("{column} must be a time")),
        }
    }

    fn abilities(&self) -> Result<Vec<String>, String> {
        let from_json = |value: &Json| -> Option<Vec<String>> {
            match value {
                Json::Null => Some(Vec::new()),
                Json::Arr(items) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect(),
                _ => None,
            }
        };
        let bad = || "abilities must be a JSON array of strings, like [\"*\"]".to_owned();
        match self.cell("abilities") {
            Cell::Null => Ok(Vec::new()),
            Cell::List(items) => Ok(items.clone()),
            Cell::Text(text) => json::parse(text)
                .ok()
                .as_ref()
                .and_then(from_json)
                .ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

/// The file's text: UTF-8, byte order mark dropped.
fn read_input(args: &ImportArgs) -> Result<String, Failure> {
    let name = args.file.display();
    let bytes = if args.file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::failed(format!("cannot read stdin: {e}")))?;
        bytes
    } else {
        std::fs::read(&args.file).map_err(|e| Failure::failed(format!("{name}: {e}")))?
    };
    let text = String::from_utf8(bytes)
        .map_err(|e| Failure::failed(format!("{name}: not UTF-8 text: {e}")))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// CSV rows under a header of Laravel's column names. A header without a
/// required column fails the whole file.
fn csv_rows(text: &str, required: &[&str]) -> Result<Vec<Result<Row, Bad>>, Failure> {
    let mut records = csv::records(text).into_iter();
    let header = match records.next() {
        None => return Ok(Vec::new()),
        Some(Err(bad)) => {
            let message = format!("line {}: the header row: {}", bad.line, bad.message);
            return Err(Failure::failed(message));
        }
        Some(Ok(header)) => header
            .fields
            .into_iter()
            .map(|f| f.text)
            .collect::<Vec<_>>(),
    };
    for (i, name) in header.iter().enumerate() {
        if header[..i].contains(name) {
            return Err(Failure::failed(format!(
                "the header names column {:?} twice",
                clean(name)
            )));
        }
    }
    if let Some(missing) = required.iter().find(|c| !header.iter().any(|h| h == *c)) {
        return Err(Failure::failed(format!(
            "the header row has no {missing} column (required: {})",
            required.join(", ")
        )));
    }
    let rows = records.map(|record| {
        let record = record.map_err(|bad| Bad {
            line: bad.line,
            message: bad.message,
        })?;
        if record.fields.len() != header.len() {
            return Err(Bad {
                line: record.line,
                message: format!(
                    "{} fields, but the header has {}",
                    record.fields.len(),
                    header.len()
                ),
            });
        }
        let cells = header.iter().zip(record.fields).map(|(name, field)| {
            let null = !field.quoted && matches!(field.text.as_str(), "" | "NULL" | "\\N");
            let cell = if null {
                Cell::Null
            } else {
                Cell::Text(field.text)
            };
            (name.clone(), cell)
        });
        Ok(Row {
            line: record.line,
            cells: cells.collect(),
        })
    });
    Ok(rows.collect())
}

/// One JSON object per non-blank line.
fn jsonl_rows(text: &str) -> Vec<Result<Row, Bad>> {
    let lines = text.split('\n').enumerate();
    let lines = lines.filter(|(_, line)| !line.trim().is_empty());
    lines
        .map(|(index, line)| {
            let line_no = index + 1;
            let bad = |message: String| Bad {
                line: line_no,
                message,
            };
            let value = json::parse(line.strip_suffix('\r').unwrap_or(line))
                .map_err(|e| bad(format!("not JSON: {e}")))?;
            let Json::Obj(pairs) = value else {
                return Err(bad(format!("{} is not a JSON object", value.kind())));
            };
            let cells = pairs.into_iter().map(|(key, value)| {
                let cell = match value {
                    Json::Null => Cell::Null,
                    Json::Str(s) => Cell::Text(s),
                    Json::Num(n) => Cell::Number(n),
                    Json::Arr(items) => {
                        let texts: Option<Vec<String>> = items
                            .iter()
                            .map(|i| i.as_str().map(str::to_owned))
                            .collect();
                        texts.map_or(Cell::Other("an array of non-strings"), Cell::List)
                    }
                    other => Cell::Other(other.kind()),
                };
                (key, cell)
            });
            Ok(Row {
                line: line_no,
                cells: cells.collect(),
            })
        })
        .collect()
}

/// A Laravel `sessions` row.
fn session_row(row: &Row) -> Result<LaravelSession, String> {
    // Never echo id or payload: they are the cookie and the user's data.
    let id = row.required_text("id")?;
    if id.len() != 40 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("id is not a 40-character [A-Za-z0-9] session id".into());
    }
    let payload = base64::decode(row.required_text("payload")?)
        .map_err(|e| format!("payload is not base64: {e}"))?;
    Ok(LaravelSession {
        id: id.to_owned(),
        user_id: row.whole("user_id")?,
        ip: row.text("ip_address")?.unwrap_or_default().to_owned(),
        user_agent: row.text("user_agent")?.unwrap_or_default().to_owned(),
        payload,
        last_activity: row.required_whole("last_activity")?,
    })
}

/// A Sanctum `personal_access_tokens` row; every row must carry the
/// `tokenable_type` in `expected` (the first row's, when not chosen).
fn sanctum_row(row: &Row, expected: &mut Option<String>) -> Result<SanctumToken, String> {
    let kind = row.required_text("tokenable_type")?;
    match expected {
        None => *expected = Some(kind.to_owned()),
        Some(expected) if expected == kind => {}
        Some(expected) => {
            return Err(format!(
                "tokenable_type {:?} is not {:?}, the first row's or --tokenable-type's: \
                 authkv tokens belong to one kind of user",
                clean(kind),
                clean(expected)
            ));
        }
    }
    // Never echo the digest: with it a guessed token can be checked offline.
    let digest = row.required_text("token")?;
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("token is not 64 hex characters (Sanctum stores the sha256)".into());
    }
    Ok(SanctumToken {
        id: row.required_whole("id")?,
        user_id: row.required_whole("tokenable_id")?,
        name: row.required_text("name")?.to_owned(),
        sha256_hex: digest.to_owned(),
        abilities: row.abilities()?,
        created_at: row
            .timestamp("created_at")?
            .ok_or("created_at is missing or NULL")?,
        last_used_at: row.timestamp("last_used_at")?,
        expires_at: row.timestamp("expires_at")?,
    })
}

/// Read, check and import the file `args` names.
///
/// Exit 1 (nothing imported) when a row is bad and `--skip-bad-rows` is
/// off; otherwise the outcome, with `bad_rows > 0` meaning exit 5.
pub fn run(engine: &Engine, args: &ImportArgs) -> Result<Outcome, Failure> {
    let text = read_input(args)?;
    let required = match args.kind {
        ImportKind::Sanctum => SANCTUM_COLUMNS,
        ImportKind::Sessions => SESSION_COLUMNS,
    };
    let rows = match args.format {
        Format::Csv => csv_rows(&text, required)?,
        Format::Jsonl => jsonl_rows(&text),
    };
    drop(text);
    let report = |line: usize, message: &str| {
        eprintln!("authkv: {}: line {line}: {message}", args.file.display());
    };
    let imported = match args.kind {
        ImportKind::Sanctum => {
            let mut expected = args.tokenable_type.clone();
            let (good, bad_rows) = checked(rows, &report, |row| sanctum_row(row, &mut expected));
            store(good, bad_rows, args.skip_bad_rows, &report, |rows| {
                engine.import_sanctum_tokens(rows)
            })?
        }
        ImportKind::Sessions => {
            let (good, bad_rows) = checked(rows, &report, session_row);
            store(good, bad_rows, args.skip_bad_rows, &report, |rows| {
                engine.import_sessions(rows)
            })?
        }
    };
    Ok(imported)
}

/// Convert every readable row; report the others. Returns the good rows
/// with their lines, and how many were bad.
fn checked<T>(
    rows: Vec<Result<Row, Bad>>,
    report: &dyn Fn(usize, &str),
    mut convert: impl FnMut(&Row) -> Result<T, String>,
) -> (Vec<(usize, T)>, usize) {
    let mut good = Vec::with_capacity(rows.len());
    let mut bad_rows = 0;
    for row in rows {
        let row = row.and_then(|row| {
            let line = row.line;
            let value = convert(&row).map_err(|message| Bad { line, message })?;
            Ok((line, value))
        });
        match row {
            Ok(row) => good.push(row),
            Err(bad) => {
                report(bad.line, &bad.message);
                bad_rows += 1;
            }
        }
    }
    (good, bad_rows)
}

fn aborted(bad_rows: usize) -> Failure {
    Failure::failed(format!(
        "import aborted: {bad_rows} bad rows; nothing was imported (fix them, or pass \
         --skip-bad-rows to import the good rows)"
    ))
}

/// Import the checked rows in one batch. Rows the database refuses (an id
/// already stored, a limit) are reported by line like unreadable ones;
/// with `skip` they are dropped and the rest imported, else nothing is.
fn store<T>(
    rows: Vec<(usize, T)>,
    mut bad_rows: usize,
    skip: bool,
    report: &dyn Fn(usize, &str),
    import: impl Fn(&[T]) -> authkv::Result<usize>,
) -> Result<Outcome, Failure> {
    if bad_rows > 0 && !skip {
        return Err(aborted(bad_rows));
    }
    let (mut lines, mut items): (Vec<usize>, Vec<T>) = rows.into_iter().unzip();
    loop {
        match import(&items) {
            Ok(imported) => return Ok(Outcome { imported, bad_rows }),
            Err(Error::ImportRejected(rejected)) => {
                bad_rows += rejected.len();
                let mut refused = Vec::with_capacity(rejected.len());
                for row in &rejected {
                    report(lines[row.index], &row.error.to_string());
                    refused.push(row.index);
                }
                if !skip {
                    return Err(aborted(bad_rows));
                }
                let mut keep = vec![true; items.len()];
                for index in refused {
                    keep[index] = false;
                }
                let rows = std::mem::take(&mut lines)
                    .into_iter()
                    .zip(std::mem::take(&mut items));
                (lines, items) = rows.zip(keep).filter(|(_, k)| *k).map(|(r, _)| r).unzip();
            }
            Err(other) => return Err(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_nulls_are_unquoted_empty_null_or_backslash_n() {
        let rows = csv_rows("id,a,b,c,d\n1,,NULL,\\N,\"NULL\"\n", &["id"]).expect("rows");
        let row = rows.into_iter().next().expect("a row").ok().expect("good");
        assert_eq!(row.cell("a"), &Cell::Null);
        assert_eq!(row.cell("b"), &Cell::Null);
        assert_eq!(row.cell("c"), &Cell::Null);
        assert_eq!(row.cell("d"), &Cell::Text("NULL".into()));
        assert_eq!(row.cell("absent"), &Cell::Null);
    }

    #[test]
    fn a_header_without_a_required_column_fails_the_file() {
        let e = csv_rows("id,payload\n", SESSION_COLUMNS)
            .err()
            .expect("fails");
        assert!(e.message.contains("last_activity"), "{}", e.message);
        let e = csv_rows("id,id,payload\n", &["id"]).err().expect("fails");
        assert!(e.message.contains("twice"), "{}", e.message);
    }

    #[test]
    fn abilities_are_json_text_or_a_json_array() {
        let rows = jsonl_rows(
            "{\"abilities\":\"[\\\"a\\\",\\\"b\\\"]\"}\n{\"abilities\":[\"c\"]}\n{\"abilities\":\"*\"}\n{\"abilities\":[1]}",
        );
        let abilities: Vec<Result<Vec<String>, String>> = rows
            .iter()
            .map(|r| r.as_ref().ok().expect("row").abilities())
            .collect();
        assert_eq!(abilities[0], Ok(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(abilities[1], Ok(vec!["c".to_owned()]));
        assert!(abilities[2].is_err() && abilities[3].is_err());
    }

    #[test]
    fn jsonl_lines_are_numbered_counting_blank_ones() {
        let rows = jsonl_rows("{}\n\n[1]\n{\"a\":\n");
        let lines: Vec<Result<usize, usize>> = rows
            .iter()
            .map(|r| r.as_ref().map(|r| r.line).map_err(|b| b.line))
            .collect();
        assert_eq!(lines, [Ok(1), Err(3), Err(4)]);
    }

    #[test]
    fn session_errors_never_show_the_id() {
        let secret = "s3cr3t".repeat(7);
        let text = format!("{{\"id\":\"{secret}\",\"payload\":\"\",\"last_activity\":1}}");
        let row = jsonl_rows(&text)
            .into_iter()
            .next()
            .expect("row")
            .ok()
            .expect("good");
        let e = session_row(&row).expect_err("41 characters");
        assert!(!e.contains(&secret));
    }
}
