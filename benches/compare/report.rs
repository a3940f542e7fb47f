//! The one table: a row per (workload, system) with ops/s, p50, p99, the
//! durable writes it made, and the ratio against authkv measured in the
//! same run; printed as text and written as Markdown.

use std::fmt::Write as _;
use std::time::Duration;

use crate::measure::Measured;

/// What the last column compares for a row's workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// authkv ops/s ÷ peer ops/s: above 1 means authkv is faster.
    Throughput,
    /// peer writes ÷ authkv writes: above 1 means authkv writes less.
    Writes,
}

/// One line of the table.
#[derive(Clone, Debug)]
pub struct Row {
    /// The workload, shared by its systems' rows.
    pub workload: String,
    /// The system (authkv's row is the baseline of its workload).
    pub system: String,
    /// Throughput and latencies, when timed one operation at a time.
    pub measured: Option<Measured>,
    /// The wall time of a single run (GC), instead of percentiles.
    pub single_run: Option<Duration>,
    /// Durable writes made during the timed part.
    pub writes: Option<u64>,
    /// Bytes dirtied towards the disk per operation.
    pub written: Option<f64>,
    /// What the ratio column compares.
    pub compare: Compare,
}

/// Every row of the run, with the configuration lines printed above them.
#[derive(Default)]
pub struct Report {
    /// Lines describing the machine and each system's configuration.
    pub header: Vec<String>,
    /// Lines printed under the table.
    pub notes: Vec<String>,
    rows: Vec<Row>,
}

/// `12.3 µs`, `4.56 ms`, `1.23 s`.
pub fn duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 10.0 {
        format!("{us:.2} µs")
    } else if us < 1000.0 {
        format!("{us:.1} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// `512 B`, `66.1 KiB`, `1.2 MiB`.
fn bytes(n: f64) -> String {
    if n < 1024.0 {
        format!("{n:.0} B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else {
        format!("{:.1} MiB", n / (1024.0 * 1024.0))
    }
}

fn rate(per_sec: f64) -> String {
    if per_sec >= 1e6 {
        format!("{:.2}M", per_sec / 1e6)
    } else if per_sec >= 1e3 {
        format!("{:.1}k", per_sec / 1e3)
    } else {
        format!("{per_sec:.1}")
    }
}

impl Row {
    fn ops_per_sec(&self) -> Option<f64> {
        self.measured.map(|m| m.ops_per_sec())
    }

    fn cells(&self, baseline: Option<&Row>) -> [String; 8] {
        let (p50, p99) = match (self.measured, self.single_run) {
            (_, Some(run)) => (format!("one run: {}", duration(run)), "—".to_owned()),
            (Some(m), None) => (duration(m.p50), duration(m.p99)),
            (None, None) => ("—".to_owned(), "—".to_owned()),
        };
        [
            self.workload.clone(),
            self.system.clone(),
            self.ops_per_sec().map_or("—".to_owned(), rate),
            p50,
            p99,
            self.writes.map_or("—".to_owned(), |w| w.to_string()),
            self.written.map_or("—".to_owned(), bytes),
            self.ratio(baseline),
        ]
    }

    fn ratio(&self, baseline: Option<&Row>) -> String {
        let Some(base) = baseline else {
            return "—".to_owned();
        };
        if self.system == "authkv" {
            return "baseline".to_owned();
        }
        self.ratio_to(base)
    }

    /// `base` against this row: `base` ops/s ÷ this row's, or for writes
    /// this row's writes ÷ `base`'s.
    fn ratio_to(&self, base: &Row) -> String {
        match self.compare {
            Compare::Throughput => match (base.ops_per_sec(), self.ops_per_sec()) {
                (Some(a), Some(p)) if p > 0.0 => format!("{:.2}×", a / p),
                _ => "—".to_owned(),
            },
            Compare::Writes => match (base.writes, self.writes) {
                (Some(0), Some(0)) => "1.00× (writes)".to_owned(),
                (Some(0), Some(_)) => "∞ (writes; authkv 0)".to_owned(),
                (Some(a), Some(p)) => format!("{:.1}× (writes)", p as f64 / a as f64),
                _ => "—".to_owned(),
            },
        }
    }
}

const HEADINGS: [&str; 8] = [
    "workload",
    "system",
    "ops/s",
    "p50",
    "p99",
    "writes",
    "disk/op",
    "authkv ÷ peer",
];

impl Report {
    /// Add a row; print it at once so that a long run shows progress.
    pub fn push(&mut self, row: Row) {
        let cells = row.cells(self.baseline_of(&row.workload));
        eprintln!("  {:<18} {}", cells[1], cells[2..].join("  "));
        self.rows.push(row);
    }

    fn baseline_of(&self, workload: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.workload == workload && r.system == "authkv")
    }

    /// One line per workload that has a row of `system` and of any of
    /// `peers`: `system` against each of them, as the last column compares
    /// authkv (`system` in place of authkv).
    #[cfg(feature = "postgres")]
    pub fn versus(&self, system: &str, peers: &[&str]) -> Vec<String> {
        let mut lines = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for row in &self.rows {
            if seen.contains(&row.workload.as_str()) {
                continue;
            }
            seen.push(&row.workload);
            let of = |name: &str| {
                self.rows
                    .iter()
                    .find(|r| r.workload == row.workload && r.system == name)
            };
            let Some(base) = of(system) else {
                continue;
            };
            let against: Vec<String> = peers
                .iter()
                .filter_map(|&peer| of(peer).map(|r| format!("{} {peer}", r.ratio_to(base))))
                .collect();
            if !against.is_empty() {
                lines.push(format!("{}: {}.", row.workload, against.join(", ")));
            }
        }
        lines
    }

    /// The cells of every row; a workload's name only on its first row.
    fn table(&self) -> Vec<[String; 8]> {
        let mut previous = "";
        self.rows
            .iter()
            .map(|r| {
                let mut cells = r.cells(self.baseline_of(&r.workload));
                if r.workload == previous {
                    cells[0].clear();
                }
                previous = &r.workload;
                cells
            })
            .collect()
    }

    /// The header, the table with aligned columns, and the notes.
    pub fn text(&self) -> String {
        let rows = self.table();
        let mut widths = HEADINGS.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                let pad = w - cell.chars().count();
                if i < 2 {
                    let _ = write!(out, "{cell}{}  ", " ".repeat(pad));
                } else {
                    let _ = write!(out, "{}{cell}  ", " ".repeat(pad));
                }
            }
            out.trim_end().to_owned()
        };
        let mut out = String::new();
        for h in &self.header {
            let _ = writeln!(out, "{h}");
        }
        out.push('\n');
        let _ = writeln!(out, "{}", line(&HEADINGS.map(String::from)));
        for (i, row) in rows.iter().enumerate() {
            if i > 0 && !row[0].is_empty() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", line(row));
        }
        out.push('\n');
        for n in &self.notes {
            let _ = writeln!(out, "{n}");
        }
        out
    }

    /// The same as Markdown: header and notes as a list, the table as a
    /// pipe table.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for h in &self.header {
            let _ = writeln!(out, "- {h}");
        }
        out.push('\n');
        let _ = writeln!(out, "| {} |", HEADINGS.join(" | "));
        let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|");
        for row in self.table() {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out.push('\n');
        for n in &self.notes {
            let _ = writeln!(out, "- {n}");
        }
        out
    }
}
