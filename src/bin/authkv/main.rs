//! `authkv`: the operators' command-line tool for an authkv database —
//! statistics, consistency checks, garbage collection, session and token
//! administration, password resets, and imports from and exports for
//! Laravel. Built with the `cli` feature.
//!
//! Data goes to stdout, messages to stderr, and the exit status says what
//! happened (see [`Exit`]), so scripts can rely on all three.

mod command;
mod commands;
mod help;
mod import;
mod output;
mod password;
mod progress;
mod stdout;
mod time;
mod usage;
mod values;

use std::process::ExitCode;

/// The exit statuses, documented in `--help` and README; never renumbered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The command did what it was asked.
    Ok = 0,
    /// The operation failed: not found, refused by the library, I/O, or an
    /// import aborted on bad rows (nothing imported).
    Failed = 1,
    /// The command line is wrong; the database was not opened.
    Usage = 2,
    /// The database cannot be opened: missing (without `--create`), locked,
    /// not an authkv file, or from a newer schema.
    CannotOpen = 3,
    /// `verify` found problems.
    Inconsistent = 4,
    /// `import --skip-bad-rows` skipped bad rows; the good ones were imported.
    BadRows = 5,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A command that did not succeed: the status to exit with and the message
/// for stderr.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub exit: Exit,
    /// What went wrong, for stderr.
    pub message: String,
}

impl Failure {
    /// A failure with its own exit status.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }

    /// An operation that failed (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Exit::Failed, message)
    }

    /// stdout's reader went away (`| head`): stop, say nothing, exit 0.
    pub fn closed_stdout() -> Self {
        Self::new(Exit::Ok, "")
    }
}

impl From<authkv::Error> for Failure {
    fn from(error: authkv::Error) -> Self {
        Self::failed(error.to_string())
    }
}

fn main() -> ExitCode {
    let cli = match usage::parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(exit) => return exit.into(),
    };
    match commands::run(cli) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!("authkv: {}", failure.message);
            }
            failure.exit.into()
        }
    }
}
