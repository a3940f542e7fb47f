//! HTTP header parsing and Set-Cookie rendering: Cookie, Authorization, Origin/Referer, the
//! stateful-domain list, and the CSRF method rule.
//!
//! Every byte handed to this module comes from the network. The parsers are strict and
//! bounded: a header longer than [`MAX_HEADER_LEN`] or a Cookie header with more than
//! [`MAX_COOKIES`] pairs is refused with an error, anything else that does not parse is
//! simply "absent" (`Ok(None)`). Parsers return borrowed slices of their input and never
//! allocate in proportion to it; nothing here panics.
//!
//! Decisions where the specifications leave room:
//!
//! * Surrounding optional whitespace (SP, HTAB) is not part of a field value (RFC 9110
//!   §5.5), so every parser ignores it at both ends of the value.
//! * Cookie names are compared case-sensitively. The first *well-formed* pair with the
//!   wanted name wins; malformed pairs are skipped. Every non-empty `;`-separated segment
//!   counts towards [`MAX_COOKIES`], well-formed or not, and the whole header is always
//!   scanned so the verdict does not depend on where the wanted cookie sits.
//! * An [`Origin`] always carries its effective port: an explicit default port
//!   (`http://h:80`) and no port (`http://h`) are the same origin. A stateful-domain
//!   pattern without a port therefore means "the scheme's default port", a pattern with a
//!   port means exactly that port.
//! * Rendering refuses what a browser would silently drop or misread, rather than
//!   emitting it.

use std::fmt;

mod authorization;
mod cookie;
mod origin;
mod set_cookie;

pub use authorization::bearer_token;
pub use cookie::find_cookie;
pub use origin::{Origin, Scheme, StatefulDomains, parse_origin};
pub(crate) use origin::{OriginView, parse_origin_view};
pub use set_cookie::{
    CookieOptions, SameSite, cookie_name, render_clear_cookie, render_set_cookie,
};

/// Longest header value accepted, in bytes; any longer value is refused.
pub const MAX_HEADER_LEN: usize = 8 * 1024;

/// Most cookie pairs accepted in one Cookie header.
pub const MAX_COOKIES: usize = 128;

/// Largest cookie (name plus value, in bytes) that browsers keep (RFC 6265 §6.1); larger
/// cookies are refused by the renderer instead of being silently dropped by the browser.
pub const MAX_COOKIE_SIZE: usize = 4096;

/// Longest host name accepted (the DNS limit).
pub(crate) const MAX_HOST_LEN: usize = 253;

/// Longest cookie Path attribute browsers keep.
pub(crate) const MAX_PATH_LEN: usize = 1024;

/// Cookie-name prefix that binds a cookie to one host (Secure, Path=/, no Domain).
pub(crate) const HOST_PREFIX: &str = "__Host-";

/// Cookie-name prefix that requires the Secure attribute.
pub(crate) const SECURE_PREFIX: &str = "__Secure-";

/// A date in the past, sent with a cleared cookie for clients that ignore Max-Age.
pub(crate) const EPOCH_DATE: &str = "Thu, 01 Jan 1970 00:00:00 GMT";

/// Errors of the header parsers and the Set-Cookie renderer.
///
/// Messages name the header or attribute at fault, never the value it carried.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// A header value is longer than allowed.
    HeaderTooLong {
        /// Name of the header.
        header: &'static str,
        /// Length of the value, in bytes.
        len: usize,
        /// The limit, in bytes.
        max: usize,
    },
    /// A Cookie header holds more pairs than allowed.
    TooManyCookies {
        /// The limit on pairs.
        max: usize,
    },
    /// A cookie name to render is not an RFC 6265 token.
    InvalidCookieName,
    /// A cookie value to render holds bytes outside RFC 6265 cookie-octet.
    InvalidCookieValue,
    /// A cookie Domain attribute is not a plain host name.
    InvalidDomain,
    /// A cookie Path attribute is malformed.
    InvalidPath,
    /// A `__Host-` cookie was given a Domain attribute.
    HostPrefixWithDomain,
    /// `SameSite=None` was asked for a cookie without the Secure attribute.
    SameSiteNoneWithoutSecure,
    /// Cookie name plus value exceed what browsers keep.
    CookieTooLarge {
        /// Name plus value, in bytes.
        len: usize,
        /// The limit, in bytes.
        max: usize,
    },
    /// A stateful-domain pattern does not parse.
    InvalidStatefulDomain {
        /// Zero-based position of the pattern in the list given.
        index: usize,
    },
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HeaderTooLong { header, len, max } => {
                write!(f, "{header} header is {len} bytes, over the limit of {max}")
            }
            Self::TooManyCookies { max } => {
                write!(f, "Cookie header holds more than {max} cookie pairs")
            }
            Self::InvalidCookieName => f.write_str("cookie name is not an RFC 6265 token"),
            Self::InvalidCookieValue => {
                f.write_str("cookie value holds bytes outside RFC 6265 cookie-octet")
            }
            Self::InvalidDomain => f.write_str(
                "cookie Domain is not a plain host name \
                 (letters, digits, '-' and '.', no empty labels)",
            ),
            Self::InvalidPath => f.write_str(
                "cookie Path must start with '/' and hold only visible ASCII other than ';' \
                 (at most 1024 bytes)",
            ),
            Self::HostPrefixWithDomain => {
                f.write_str("a __Host- cookie cannot carry a Domain attribute")
            }
            Self::SameSiteNoneWithoutSecure => {
                f.write_str("SameSite=None requires the Secure attribute")
            }
            Self::CookieTooLarge { len, max } => write!(
                f,
                "cookie name and value are {len} bytes, over the {max}-byte limit browsers keep"
            ),
            Self::InvalidStatefulDomain { index } => write!(
                f,
                "stateful domain pattern #{index} is not host, host:port, [ipv6][:port] \
                 or *.domain[:port]"
            ),
        }
    }
}

impl std::error::Error for HttpError {}

/// Refuses a header value longer than [`MAX_HEADER_LEN`].
pub(crate) fn check_len(header: &'static str, value: &str) -> Result<(), HttpError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(HttpError::HeaderTooLong {
            header,
            len: value.len(),
            max: MAX_HEADER_LEN,
        });
    }
    Ok(())
}

/// Strips optional whitespace (SP and HTAB) from both ends.
pub(crate) fn trim_ows(s: &str) -> &str {
    let is_ows = |b: &u8| matches!(b, b' ' | b'\t');
    let bytes = s.as_bytes();
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    // Both ends sit next to an ASCII byte, so on character boundaries.
    &s[start..end]
}

/// RFC 9110 `tchar`, the same set as RFC 6265's `token` (CHAR minus CTLs and separators).
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A non-empty run of `tchar`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// RFC 6265 `cookie-octet`: visible ASCII except `"`, `,`, `;` and `\`.
pub(crate) fn is_cookie_octet(b: u8) -> bool {
    // One range and four exclusions, without branches, so that
    // `all_cookie_octets` can test many bytes at once.
    (b.wrapping_sub(0x21) < 0x5E) & (b != b'"') & (b != b',') & (b != b';') & (b != b'\\')
}

/// Whether every byte is a `cookie-octet`. It reads every byte rather than
/// stopping at the first bad one: the check runs on the session cookie of
/// every request, and a loop without an early exit is vectorised.
pub(crate) fn all_cookie_octets(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |all, &b| all & is_cookie_octet(b))
}

/// Does `name` start with `prefix`, compared ASCII case-insensitively as browsers do?
pub(crate) fn has_prefix(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Is `method` a reading method exempt from the CSRF check: exactly `GET`, `HEAD` or
/// `OPTIONS`?
///
/// Methods are case-sensitive (RFC 9110 §9.1): `get` is a different, unknown method and
/// therefore needs the CSRF token, so a spelling trick can never skip the check.
#[must_use]
pub fn is_reading_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

#[cfg(test)]
mod tests;
