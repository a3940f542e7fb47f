//! A row as read from either format: its line and its cells by column
//! name, with the typed reads the Laravel columns need.

use crate::time::{parse_digits, parse_timestamp};

/// One cell of a row, whatever the file's format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// SQL's NULL, or an absent column.
    Null,
    /// Text (every CSV cell, JSON strings).
    Text(String),
    /// A JSON number, as its text.
    Number(String),
    /// A JSON array of strings.
    List(Vec<String>),
    /// Any other JSON value, by kind, for the error message.
    Other(&'static str),
}

/// A row as read: its line and its cells by column name.
pub struct Row {
    /// The line it starts on (1-based).
    pub line: usize,
    /// Its cells, by column name.
    pub cells: Vec<(String, Cell)>,
}

/// A row that cannot be imported, and why.
pub struct Bad {
    /// The line it starts on.
    pub line: usize,
    /// What is wrong, never quoting a secret column.
    pub message: String,
}

impl Row {
    /// The cell of `column`; an absent column reads as NULL.
    pub fn cell(&self, column: &str) -> &Cell {
        let found = self.cells.iter().find(|(name, _)| name == column);
        found.map_or(&Cell::Null, |(_, cell)| cell)
    }

    /// A text column that may be NULL.
    pub fn text(&self, column: &str) -> Result<Option<&str>, String> {
        match self.cell(column) {
            Cell::Null => Ok(None),
            Cell::Text(text) => Ok(Some(text)),
            _ => Err(format!("{column} must be text")),
        }
    }

    /// A text column that must not be NULL.
    pub fn required_text(&self, column: &str) -> Result<&str, String> {
        self.text(column)?
            .ok_or_else(|| format!("{column} is missing or NULL"))
    }

    /// A whole-number column that may be NULL.
    pub fn whole(&self, column: &str) -> Result<Option<u64>, String> {
        match self.cell(column) {
            Cell::Null => Ok(None),
            Cell::Text(text) | Cell::Number(text) => parse_digits(text)
                .map(Some)
                .ok_or_else(|| format!("{column} must be a whole number")),
            _ => Err(format!("{column} must be a whole number")),
        }
    }

    /// A whole-number column that must not be NULL.
    pub fn required_whole(&self, column: &str) -> Result<u64, String> {
        self.whole(column)?
            .ok_or_else(|| format!("{column} is missing or NULL"))
    }

    /// A time column (unix seconds or a datetime) that may be NULL.
    pub fn timestamp(&self, column: &str) -> Result<Option<u64>, String> {
        match self.cell(column) {
            Cell::Null => Ok(None),
            Cell::Text(text) | Cell::Number(text) => parse_timestamp(text)
                .map(Some)
                .map_err(|e| format!("{column}: {e}")),
            _ => Err(format!("{column} must be a time")),
        }
    }

    /// Sanctum's `abilities`: JSON text (CSV, and JSON lines from a plain
    /// dump) or a JSON array; NULL grants nothing.
    pub fn abilities(&self) -> Result<Vec<String>, String> {
        let bad = || "abilities must be a JSON array of strings, like [\"*\"]".to_owned();
        match self.cell("abilities") {
            Cell::Null => Ok(Vec::new()),
            Cell::List(items) => Ok(items.clone()),
            Cell::Text(text) => serde_json::from_str::<Option<Vec<String>>>(text)
                .map(Option::unwrap_or_default)
                .map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}
