//! The Authorization request header: the `Bearer` token, if any.

use super::{HttpError, check_len, trim_ows};

/// Extracts the token of an `Authorization: Bearer <token>` header.
///
/// The scheme `Bearer` is matched case-insensitively (RFC 9110 §11.1) and must be followed
/// by one or more spaces, then the token: a non-empty run of visible ASCII with no
/// whitespace inside. Surrounding whitespace of the whole value is ignored. The token's
/// own format is not judged here (personal access tokens contain `|`). Any other scheme, a
/// missing token, a token with a space inside, or `Bearerabc` gives `Ok(None)`.
///
/// # Errors
///
/// [`HttpError::HeaderTooLong`] when `header` is over
/// [`MAX_HEADER_LEN`](super::MAX_HEADER_LEN) bytes.
pub fn bearer_token(header: &str) -> Result<Option<&str>, HttpError> {
    check_len("Authorization", header)?;
    let Some((scheme, rest)) = trim_ows(header).split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Ok(None);
    }
    Ok(Some(token))
}
