//! Progress on stderr for the commands that can run long on a large file
//! (import, export, gc): an indicatif bar when stderr is a terminal and
//! `--quiet` was not given, else a hidden bar that callers update all the
//! same. gc alone also writes progress lines where there is no terminal,
//! which logs of cron jobs already hold.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use authkv::GcReport;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::gc_line;

/// What a bar counts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Records or rows.
    Items,
    /// Bytes read.
    Bytes,
}

/// A bar on stderr for `len` units (`None`: a spinner), hidden when
/// `quiet` or when stderr is not a terminal.
pub fn bar(
    quiet: bool,
    message: impl Into<Cow<'static, str>>,
    len: Option<u64>,
    unit: Unit,
) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
    phase(&bar, message, len, unit);
    bar
}

/// Start the next phase of a job on the same bar.
pub fn phase(
    bar: &ProgressBar,
    message: impl Into<Cow<'static, str>>,
    len: Option<u64>,
    unit: Unit,
) {
    let template = match (len, unit) {
        (Some(_), Unit::Items) => "{msg} [{bar:30}] {human_pos}/{human_len} ({eta} left)",
        (Some(_), Unit::Bytes) => "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta} left)",
        (None, Unit::Items) => "{spinner} {elapsed} {wide_msg}",
        (None, Unit::Bytes) => "{spinner} {elapsed} {bytes} {wide_msg}",
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(message);
    bar.set_position(0);
    match len {
        Some(len) => {
            bar.disable_steady_tick();
            bar.set_length(len);
        }
        None => {
            // A spinner turns while the work gives no news.
            bar.unset_length();
            bar.enable_steady_tick(Duration::from_millis(120));
        }
    }
}

/// How often `gc` may print a progress line.
const LINE_EVERY: Duration = Duration::from_secs(1);

/// `gc`'s progress: a spinner with the counts so far on a terminal, else a
/// line after the first batch and then at most once a second.
pub struct GcProgress {
    bar: ProgressBar,
    lines: bool,
    last_line: Option<Instant>,
}

impl GcProgress {
    /// Progress for a GC run; nothing at all when `quiet`.
    pub fn new(quiet: bool) -> Self {
        let bar = bar(quiet, "gc", None, Unit::Items);
        Self {
            lines: !quiet && bar.is_hidden(),
            bar,
            last_line: None,
        }
    }

    /// Show the counts after a batch.
    pub fn update(&mut self, so_far: &GcReport) {
        if !self.bar.is_hidden() {
            let examined = so_far.records_examined;
            self.bar
                .set_message(format!("gc: examined {examined}, {}", gc_line(so_far)));
        }
        if !self.lines || self.last_line.is_some_and(|at| at.elapsed() < LINE_EVERY) {
            return;
        }
        eprintln!("authkv: gc: so far {}", gc_line(so_far));
        self.last_line = Some(Instant::now());
    }

    /// Take the bar off the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
