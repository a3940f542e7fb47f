//! Data on stdout. A reader that goes away early (`authkv export | head -1`)
//! is not a failure: the command stops writing and exits 0 without a word,
//! as `grep` or `cat` end quietly on SIGPIPE.

use std::io::{ErrorKind, Write};

use crate::Failure;

/// Write `text` to stdout and flush it.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(failure)
}

/// The failure a write to stdout ended in: a closed pipe ends the command
/// quietly, anything else is exit 1.
pub fn failure(error: std::io::Error) -> Failure {
    if error.kind() == ErrorKind::BrokenPipe {
        Failure::closed_stdout()
    } else {
        Failure::failed(format!("cannot write to stdout: {error}"))
    }
}
