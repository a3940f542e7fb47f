//! CSV rows under a header of Laravel's column names, read by the `csv`
//! crate. One thing it does not report is which fields were quoted, and
//! dumps need it: SQL's NULL is an unquoted empty field, NULL or `\N`,
//! while a quoted `"NULL"` is text. So each record's raw text is walked
//! again to mark its quoted fields; the walk also refuses the quoting
//! mistakes the crate forgives (text after a closing quote, a quote inside
//! an unquoted field), which would otherwise import a silently changed
//! value.

use csv::{ReaderBuilder, StringRecord};

use super::row::{Bad, Cell, Row};
use crate::Failure;
use crate::output::clean;

/// One record's fields and whether each was quoted.
struct Record {
    line: usize,
    fields: Vec<(String, bool)>,
}

/// Every record of `text`, blank lines skipped, each by the line it starts
/// on (1-based).
fn records(text: &str) -> Vec<Result<Record, Bad>> {
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut record = StringRecord::new();
    loop {
        let at = reader.position().clone();
        match reader.read_record(&mut record) {
            Ok(false) => return out,
            Ok(true) => {
                let start = usize::try_from(at.byte()).unwrap_or(usize::MAX);
                let line = usize::try_from(at.line()).unwrap_or(usize::MAX);
                out.push(quoting(text, start, line, &record));
            }
            // The input is a &str read from memory: neither UTF-8 nor I/O
            // errors can happen, but a record is skipped rather than lost.
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let line = usize::try_from(line).unwrap_or(usize::MAX);
                out.push(Err(Bad {
                    line,
                    message: e.to_string(),
                }));
            }
        }
    }
}

/// Mark the quoted fields of `record`, whose raw text starts at byte
/// `start` of `text` (after any blank lines, which are skipped here).
fn quoting(
    text: &str,
    start: usize,
    mut line: usize,
    record: &StringRecord,
) -> Result<Record, Bad> {
    let raw = text.as_bytes();
    let mut pos = start;
    while let Some(b'\r' | b'\n') = raw.get(pos) {
        line += usize::from(raw[pos] == b'\n');
        pos += 1;
    }
    let bad = |message: String| Bad { line, message };
    let mut fields = Vec::with_capacity(record.len());
    for (i, field) in record.iter().enumerate() {
        if i > 0 {
            pos += 1; // the comma the crate split on
        }
        let quoted = raw.get(pos) == Some(&b'"');
        if quoted {
            // Quotes around it, and each quote inside written twice.
            let end = pos + field.len() + field.matches('"').count() + 2;
            if end > raw.len() {
                return Err(bad("a quoted field is never closed".into()));
            }
            let after = raw.get(end);
            if raw[end - 1] != b'"' || !matches!(after, None | Some(b',' | b'\r' | b'\n')) {
                return Err(bad(format!(
                    "field {} has text after its closing quote",
                    i + 1
                )));
            }
            pos = end;
        } else {
            if field.contains('"') {
                return Err(bad(format!(
                    "field {} has a double quote but is not quoted (quote the field and \
                     double the quote)",
                    i + 1
                )));
            }
            pos += field.len();
        }
        fields.push((field.to_owned(), quoted));
    }
    Ok(Record { line, fields })
}

/// CSV rows under their header. A header without a `required` column, or
/// naming one twice, fails the whole file.
pub fn rows(text: &str, required: &[&str]) -> Result<Vec<Result<Row, Bad>>, Failure> {
    let mut records = records(text).into_iter();
    let header: Vec<String> = match records.next() {
        None => return Ok(Vec::new()),
        Some(Err(bad)) => {
            let message = format!("line {}: the header row: {}", bad.line, bad.message);
            return Err(Failure::failed(message));
        }
        Some(Ok(header)) => header.fields.into_iter().map(|(name, _)| name).collect(),
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
        let record = record?;
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
        let cells = header
            .iter()
            .zip(record.fields)
            .map(|(name, (text, quoted))| {
                let null = !quoted && matches!(text.as_str(), "" | "NULL" | "\\N");
                let cell = if null { Cell::Null } else { Cell::Text(text) };
                (name.clone(), cell)
            });
        Ok(Row {
            line: record.line,
            cells: cells.collect(),
        })
    });
    Ok(rows.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(record: &Result<Record, Bad>) -> Vec<(&str, bool)> {
        let record = record.as_ref().ok().expect("a good record");
        record
            .fields
            .iter()
            .map(|(t, q)| (t.as_str(), *q))
            .collect()
    }

    fn line(record: &Result<Record, Bad>) -> Result<usize, usize> {
        record.as_ref().map(|r| r.line).map_err(|b| b.line)
    }

    #[test]
    fn reads_quoted_fields_with_commas_quotes_and_line_breaks() {
        let records = records("id,name\r\n1,\"a, \"\"b\"\"\r\nc\"\n\n2,plain\n");
        assert_eq!(records.len(), 3);
        assert_eq!(fields(&records[0]), [("id", false), ("name", false)]);
        assert_eq!(fields(&records[1]), [("1", false), ("a, \"b\"\r\nc", true)]);
        assert_eq!(
            records.iter().map(line).collect::<Vec<_>>(),
            [Ok(1), Ok(2), Ok(5)]
        );
        assert_eq!(fields(&records[2]), [("2", false), ("plain", false)]);
    }

    #[test]
    fn marks_quoted_fields_and_keeps_empty_and_non_ascii_ones() {
        let records = records("NULL,\"NULL\",,\"\",\"é,😀\",ü");
        let quoted: Vec<bool> = fields(&records[0]).iter().map(|f| f.1).collect();
        assert_eq!(quoted, [false, true, false, true, true, false]);
        let texts: Vec<&str> = fields(&records[0]).iter().map(|f| f.0).collect();
        assert_eq!(texts, ["NULL", "NULL", "", "", "é,😀", "ü"]);
    }

    #[test]
    fn misquoted_records_are_reported_by_line_and_the_next_ones_still_read() {
        let records = records("a,b\nx\"y,z\n\"q\"r,s\nc,d\n\"open");
        assert_eq!(records.len(), 5);
        assert_eq!(fields(&records[0]), [("a", false), ("b", false)]);
        assert_eq!(line(&records[1]), Err(2));
        assert_eq!(line(&records[2]), Err(3));
        assert_eq!(fields(&records[3]), [("c", false), ("d", false)]);
        let last = records[4].as_ref().err().expect("unterminated");
        assert_eq!(last.line, 5);
        assert!(last.message.contains("never closed"), "{}", last.message);
    }

    #[test]
    fn nulls_are_unquoted_empty_null_or_backslash_n() {
        let rows = rows("id,a,b,c,d\n1,,NULL,\\N,\"NULL\"\n", &["id"]).expect("rows");
        let row = rows.into_iter().next().expect("a row").ok().expect("good");
        assert_eq!(row.cell("a"), &Cell::Null);
        assert_eq!(row.cell("b"), &Cell::Null);
        assert_eq!(row.cell("c"), &Cell::Null);
        assert_eq!(row.cell("d"), &Cell::Text("NULL".into()));
        assert_eq!(row.cell("absent"), &Cell::Null);
    }

    #[test]
    fn a_header_without_a_required_column_fails_the_file() {
        let e = rows("id,payload\n", &["id", "last_activity"])
            .err()
            .expect("fails");
        assert!(e.message.contains("last_activity"), "{}", e.message);
        let e = rows("id,id,payload\n", &["id"]).err().expect("fails");
        assert!(e.message.contains("twice"), "{}", e.message);
    }
}
