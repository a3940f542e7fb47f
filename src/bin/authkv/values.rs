//! clap value parsers for the argument kinds clap does not know: ids and
//! counts as plain ASCII digits (no sign, no spaces), and session handles.
//! Their errors are the message clap shows.

use crate::time::parse_digits;

/// A whole number of ASCII digits.
pub fn whole(text: &str) -> Result<u64, String> {
    parse_digits(text).ok_or_else(|| format!("{text:?} is not a whole number"))
}

/// A user id.
pub fn user_id(text: &str) -> Result<u64, String> {
    parse_digits(text).ok_or_else(|| format!("{text:?} is not a user id"))
}

/// A token id.
pub fn token_id(text: &str) -> Result<u64, String> {
    parse_digits(text).ok_or_else(|| format!("{text:?} is not a token id"))
}

/// Rows per GC transaction: at least one.
pub fn batch_size(text: &str) -> Result<usize, String> {
    match whole(text)? {
        0 => Err("--batch-size must be at least 1".into()),
        n => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
    }
}

/// A session handle: the 64 hex characters `sessions list` shows.
pub fn handle(text: &str) -> Result<String, String> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_owned())
    } else {
        Err("a session handle is 64 hex characters (from `sessions list`)".into())
    }
}
