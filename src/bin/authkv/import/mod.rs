//! `import sanctum|sessions FILE`: Laravel's `personal_access_tokens` or
//! `sessions` table, exported as CSV or JSON lines. Every row is read and
//! checked first; then all good rows go to the library's batch import, which
//! stores them in one transaction or not at all. Bad rows are reported by
//! line on stderr, never with a secret column's value.

mod csv_rows;
mod jsonl_rows;
mod row;
mod tables;

use std::io::Read;

use authkv::{Engine, Error};
use indicatif::ProgressBar;

use self::row::{Bad, Row};
use self::tables::{SANCTUM_COLUMNS, SESSION_COLUMNS};
use crate::Failure;
use crate::command::{Format, ImportArgs, ImportKind};
use crate::progress::{self, Unit};

/// What an import did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Rows stored.
    pub imported: usize,
    /// Rows reported and skipped.
    pub bad_rows: usize,
}

/// The file's text: UTF-8, byte order mark dropped. The bar counts the
/// bytes read.
fn read_input(args: &ImportArgs, bar: &ProgressBar) -> Result<String, Failure> {
    let name = args.file.display();
    let mut bytes = Vec::new();
    if args.file.as_os_str() == "-" {
        progress::phase(bar, "reading stdin", None, Unit::Bytes);
        bar.wrap_read(std::io::stdin().lock())
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::failed(format!("cannot read stdin: {e}")))?;
    } else {
        let fail = |e: std::io::Error| Failure::failed(format!("{name}: {e}"));
        let file = std::fs::File::open(&args.file).map_err(fail)?;
        let len = file.metadata().map_err(fail)?.len();
        progress::phase(bar, "reading", Some(len), Unit::Bytes);
        bar.wrap_read(file).read_to_end(&mut bytes).map_err(fail)?;
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| Failure::failed(format!("{name}: not UTF-8 text: {e}")))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// Read, check and import the file `args` names.
///
/// Exit 1 (nothing imported) when a row is bad and `--skip-bad-rows` is
/// off; otherwise the outcome, with `bad_rows > 0` meaning exit 5.
pub fn run(engine: &Engine, args: &ImportArgs) -> Result<Outcome, Failure> {
    let format = args.format().map_err(Failure::failed)?;
    let bar = progress::bar(args.quiet.quiet, "reading", None, Unit::Bytes);
    let outcome = import(engine, args, format, &bar);
    bar.finish_and_clear();
    outcome
}

fn import(
    engine: &Engine,
    args: &ImportArgs,
    format: Format,
    bar: &ProgressBar,
) -> Result<Outcome, Failure> {
    let text = read_input(args, bar)?;
    let required = match args.kind {
        ImportKind::Sanctum => SANCTUM_COLUMNS,
        ImportKind::Sessions => SESSION_COLUMNS,
    };
    progress::phase(bar, "parsing rows", None, Unit::Items);
    let rows = match format {
        Format::Csv => csv_rows::rows(&text, required)?,
        Format::Jsonl => jsonl_rows::rows(&text),
    };
    drop(text);
    let report = |line: usize, message: &str| {
        let file = args.file.display();
        bar.suspend(|| eprintln!("authkv: {file}: line {line}: {message}"));
    };
    let count = u64::try_from(rows.len()).unwrap_or(u64::MAX);
    progress::phase(bar, "checking", Some(count), Unit::Items);
    let skip = args.skip_bad_rows;
    match args.kind {
        ImportKind::Sanctum => {
            let mut expected = args.tokenable_type.clone();
            let convert = |row: &Row| tables::sanctum(row, &mut expected);
            let (good, bad_rows) = checked(rows, &report, bar, convert);
            storing(bar, good.len());
            store(good, bad_rows, skip, &report, |rows| {
                engine.import_sanctum_tokens(rows)
            })
        }
        ImportKind::Sessions => {
            let (good, bad_rows) = checked(rows, &report, bar, tables::session);
            storing(bar, good.len());
            store(good, bad_rows, skip, &report, |rows| {
                engine.import_sessions(rows)
            })
        }
    }
}

/// The last phase: one transaction, which gives no news until it is done.
fn storing(bar: &ProgressBar, rows: usize) {
    progress::phase(bar, format!("storing {rows} rows"), None, Unit::Items);
}

/// Convert every readable row; report the others. Returns the good rows
/// with their lines, and how many were bad.
fn checked<T>(
    rows: Vec<Result<Row, Bad>>,
    report: &dyn Fn(usize, &str),
    bar: &ProgressBar,
    mut convert: impl FnMut(&Row) -> Result<T, String>,
) -> (Vec<(usize, T)>, usize) {
    let mut good = Vec::with_capacity(rows.len());
    let mut bad_rows = 0;
    for row in rows {
        bar.inc(1);
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
