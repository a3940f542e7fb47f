//! The one table (measure | result | target) with the lines describing the
//! run above it, printed and written as Markdown; and the number formats.

use std::fmt::Write as _;
use std::time::Duration;

/// Every row of the run, with the configuration lines printed above them.
#[derive(Default)]
pub struct Report {
    /// Lines describing the machine, the file and the configuration.
    pub header: Vec<String>,
    /// Lines printed under the table.
    pub notes: Vec<String>,
    rows: Vec<[String; 3]>,
}

impl Report {
    /// Add a row; `target` is empty for a measure the spec sets no bound on.
    pub fn row(&mut self, measure: impl Into<String>, result: impl Into<String>, target: &str) {
        let row = [measure.into(), result.into(), target.to_owned()];
        eprintln!("{} | {} | {}", row[0], row[1], row[2]);
        self.rows.push(row);
    }

    /// The whole report as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            let _ = writeln!(out, "- {line}");
        }
        out.push_str("\n| measure | result | target |\n| --- | --- | --- |\n");
        for [measure, result, target] in &self.rows {
            let _ = writeln!(out, "| {measure} | {result} | {target} |");
        }
        out.push('\n');
        for line in &self.notes {
            let _ = writeln!(out, "{line}\n");
        }
        out
    }
}

/// The median and the largest of `samples`.
pub fn median_max(samples: &[Duration]) -> (Duration, Duration) {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
    (median, sorted.last().copied().unwrap_or_default())
}

/// `12.3 µs`, `4.56 ms`, `1.23 s`.
pub fn duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.1} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// `63.9 MiB`.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
