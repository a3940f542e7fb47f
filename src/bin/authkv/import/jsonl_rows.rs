//! JSON-lines rows: one JSON object per non-blank line, keys as column
//! names, read with serde_json.

use serde_json::Value;

use super::row::{Bad, Cell, Row};

/// What kind of JSON value this is, for error messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON value as a cell. Numbers keep their text, so only whole ones
/// in range read as whole numbers later.
fn cell(value: Value) -> Cell {
    match value {
        Value::Null => Cell::Null,
        Value::String(s) => Cell::Text(s),
        Value::Number(n) => Cell::Number(n.to_string()),
        Value::Array(items) => {
            let texts: Option<Vec<String>> = items
                .into_iter()
                .map(|i| match i {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
            texts.map_or(Cell::Other("an array of non-strings"), Cell::List)
        }
        other => Cell::Other(kind(&other)),
    }
}

/// One row per non-blank line, numbered as an editor counts lines.
pub fn rows(text: &str) -> Vec<Result<Row, Bad>> {
    let lines = text.split('\n').enumerate();
    let lines = lines.filter(|(_, line)| !line.trim().is_empty());
    lines
        .map(|(index, line)| {
            let line_no = index + 1;
            let bad = |message: String| Bad {
                line: line_no,
                message,
            };
            let value: Value =
                serde_json::from_str(line).map_err(|e| bad(format!("not JSON: {e}")))?;
            let Value::Object(object) = value else {
                return Err(bad(format!("{} is not a JSON object", kind(&value))));
            };
            let cells = object.into_iter().map(|(key, value)| (key, cell(value)));
            Ok(Row {
                line: line_no,
                cells: cells.collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_counting_blank_ones() {
        let rows = rows("{}\n\n[1]\n{\"a\":\n");
        let lines: Vec<Result<usize, usize>> = rows
            .iter()
            .map(|r| r.as_ref().map(|r| r.line).map_err(|b| b.line))
            .collect();
        assert_eq!(lines, [Ok(1), Err(3), Err(4)]);
    }

    #[test]
    fn abilities_are_json_text_or_a_json_array() {
        let rows = rows(
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
    fn only_whole_numbers_in_range_are_whole() {
        let rows = rows("{\"a\":7,\"b\":-1,\"c\":1.5,\"d\":18446744073709551616,\"e\":true}");
        let row = rows[0].as_ref().ok().expect("row");
        assert_eq!(row.whole("a"), Ok(Some(7)));
        for column in ["b", "c", "d", "e"] {
            assert!(row.whole(column).is_err(), "{column}");
        }
    }
}
