//! clap value parsers for the argument kinds clap does not know: ids and
//! counts as plain ASCII digits (no sign, no spaces), session handles and
//! rate limits. Their errors are the message clap shows.

use std::time::Duration;

use authkv::RateLimit;

use crate::time::{parse_digits, parse_duration};

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

/// A rate limit `MAX/D`, as in `100/1m`: at most MAX requests (at least
/// one) per window D, a duration.
pub fn rate_limit(text: &str) -> Result<RateLimit, String> {
    let bad = || format!("rate limit {text:?} must be MAX/D, as in 100/1m or 5000/1h");
    let (max, window) = text.split_once('/').ok_or_else(bad)?;
    let max = parse_digits(max).ok_or_else(bad)?;
    if max == 0 {
        return Err(format!(
            "rate limit {text:?} admits no request: MAX must be at least 1"
        ));
    }
    let window = parse_duration(window)?;
    Ok(RateLimit {
        max,
        window: Duration::from_secs(window),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_are_max_per_duration() {
        assert_eq!(
            rate_limit("100/1m"),
            Ok(RateLimit {
                max: 100,
                window: Duration::from_secs(60)
            })
        );
        assert_eq!(rate_limit("1/1s").map(|r| r.max), Ok(1));
        for bad in [
            "", "100", "/1m", "100/", "0/1m", "100/0s", "-1/1m", "1/1m/2", "100/60",
        ] {
            assert!(rate_limit(bad).is_err(), "{bad:?}");
        }
    }
}
