//! The Cookie request header: find one named cookie.

use super::{HttpError, MAX_COOKIES, all_cookie_octets, check_len, is_token, trim_ows};

/// Finds cookie `name` in a Cookie header (an RFC 6265 cookie-string).
///
/// Pairs are separated by `;`; optional whitespace around a pair and around its `=` is
/// tolerated, and empty segments (`;;a=1;`) are ignored. A value in double quotes is
/// returned without the quotes. A malformed pair — no `=`, a name that is not a token,
/// a value with bytes outside cookie-octet (spaces, commas, unbalanced quotes, non-ASCII)
/// — is skipped. Names are compared case-sensitively and the first well-formed pair with
/// the name wins. Returns `Ok(None)` when no such pair exists.
///
/// # Errors
///
/// [`HttpError::HeaderTooLong`] when `header` is over
/// [`MAX_HEADER_LEN`](super::MAX_HEADER_LEN) bytes, and [`HttpError::TooManyCookies`]
/// when it has more than [`MAX_COOKIES`] non-empty segments (malformed ones included).
pub fn find_cookie<'a>(header: &'a str, name: &str) -> Result<Option<&'a str>, HttpError> {
    check_len("Cookie", header)?;
    let mut pairs = 0usize;
    let mut found = None;
    for segment in header.split(';') {
        let segment = trim_ows(segment);
        if segment.is_empty() {
            continue;
        }
        pairs += 1;
        if pairs > MAX_COOKIES {
            return Err(HttpError::TooManyCookies { max: MAX_COOKIES });
        }
        // Only a segment that starts with the name can be the cookie: the
        // others are counted, not parsed.
        if found.is_none()
            && segment.starts_with(name)
            && let Some((pair_name, value)) = parse_cookie_pair(segment)
            && pair_name == name
        {
            found = Some(value);
        }
    }
    Ok(found)
}

/// Splits one trimmed `name=value` segment; `None` when it is malformed.
fn parse_cookie_pair(segment: &str) -> Option<(&str, &str)> {
    let (name, value) = segment.split_once('=')?;
    let name = trim_ows(name);
    if !is_token(name) {
        return None;
    }
    let value = trim_ows(value);
    let value = match value.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"')?,
        None => value,
    };
    all_cookie_octets(value.as_bytes()).then_some((name, value))
}
