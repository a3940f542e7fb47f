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

use std::borrow::Cow;
use std::fmt;
use std::net::Ipv6Addr;

/// Longest header value accepted, in bytes; any longer value is refused.
pub const MAX_HEADER_LEN: usize = 8 * 1024;

/// Most cookie pairs accepted in one Cookie header.
pub const MAX_COOKIES: usize = 128;

/// Largest cookie (name plus value, in bytes) that browsers keep (RFC 6265 §6.1); larger
/// cookies are refused by the renderer instead of being silently dropped by the browser.
pub const MAX_COOKIE_SIZE: usize = 4096;

/// Longest host name accepted (the DNS limit).
const MAX_HOST_LEN: usize = 253;

/// Longest cookie Path attribute browsers keep.
const MAX_PATH_LEN: usize = 1024;

/// Cookie-name prefix that binds a cookie to one host (Secure, Path=/, no Domain).
const HOST_PREFIX: &str = "__Host-";

/// Cookie-name prefix that requires the Secure attribute.
const SECURE_PREFIX: &str = "__Secure-";

/// A date in the past, sent with a cleared cookie for clients that ignore Max-Age.
const EPOCH_DATE: &str = "Thu, 01 Jan 1970 00:00:00 GMT";

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
fn check_len(header: &'static str, value: &str) -> Result<(), HttpError> {
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
fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// RFC 9110 `tchar`, the same set as RFC 6265's `token` (CHAR minus CTLs and separators).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A non-empty run of `tchar`.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// RFC 6265 `cookie-octet`: visible ASCII except `"`, `,`, `;` and `\`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// Does `name` start with `prefix`, compared ASCII case-insensitively as browsers do?
fn has_prefix(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

// ---------------------------------------------------------------------------------------
// Cookie
// ---------------------------------------------------------------------------------------

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
/// [`HttpError::HeaderTooLong`] when `header` is over [`MAX_HEADER_LEN`] bytes, and
/// [`HttpError::TooManyCookies`] when it has more than [`MAX_COOKIES`] non-empty
/// segments (malformed ones included).
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
        if found.is_none()
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
    value.bytes().all(is_cookie_octet).then_some((name, value))
}

// ---------------------------------------------------------------------------------------
// Authorization
// ---------------------------------------------------------------------------------------

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
/// [`HttpError::HeaderTooLong`] when `header` is over [`MAX_HEADER_LEN`] bytes.
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

// ---------------------------------------------------------------------------------------
// Origin / Referer
// ---------------------------------------------------------------------------------------

/// The scheme of an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http`
    Http,
    /// `https`
    Https,
}

impl Scheme {
    /// The port used when a URL of this scheme names none: 80 or 443.
    #[must_use]
    pub fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }

    /// The scheme's name in lower case.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// An origin reduced to scheme, host and effective port.
///
/// A URL with its scheme's default port written out (`http://h:80`) and one without a
/// port (`http://h`) give equal origins.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The scheme.
    pub scheme: Scheme,
    /// The host in lower case; an IPv6 address in canonical form inside brackets
    /// (`[::1]`).
    pub host: String,
    /// The effective port: the one written in the URL, else the scheme's default.
    pub port: u16,
}

impl Origin {
    /// `host` when the port is the scheme's default, else `host:port`.
    #[must_use]
    pub fn authority(&self) -> String {
        if self.port == self.scheme.default_port() {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.authority())
    }
}

/// Parses an Origin header or a Referer URL: `scheme://authority[/path][?query][#frag]`.
///
/// Only `http` and `https` (case-insensitive) are origins. Refused as "not an origin"
/// (`Ok(None)`): any other scheme, `null`, a missing `scheme://`, userinfo (`@` in the
/// authority), an empty host, a host with bytes other than letters, digits, `-`, `_`
/// and `.` or with an empty label, a bracketed IPv6 address that does not parse (zone ids
/// included), a port that is empty, zero, non-numeric or above 65535, and any control
/// character, space or non-ASCII byte anywhere. The path, query and fragment are ignored.
///
/// # Errors
///
/// [`HttpError::HeaderTooLong`] when `value` is over [`MAX_HEADER_LEN`] bytes.
pub fn parse_origin(value: &str) -> Result<Option<Origin>, HttpError> {
    check_len("Origin/Referer", value)?;
    Ok(parse_url_origin(trim_ows(value)))
}

/// The body of [`parse_origin`], after the length check.
fn parse_url_origin(value: &str) -> Option<Origin> {
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let (scheme, rest) = value.split_once("://")?;
    let scheme = if scheme.eq_ignore_ascii_case("http") {
        Scheme::Http
    } else if scheme.eq_ignore_ascii_case("https") {
        Scheme::Https
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return None;
    }
    let (host, port) = parse_host_port(authority)?;
    Some(Origin {
        scheme,
        host,
        port: port.unwrap_or(scheme.default_port()),
    })
}

/// Parses `host`, `host:port`, `[ipv6]` or `[ipv6]:port` into a normalised host and the
/// port if one was written.
fn parse_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (address, after) = bracketed.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (normalize_ipv6(address)?, port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (normalize_hostname(host)?, Some(port)),
            None => (normalize_hostname(authority)?, None),
        }
    };
    let port = match port {
        Some(port) => Some(parse_port(port)?),
        None => None,
    };
    Some((host, port))
}

/// A port of 1 to 5 digits with a value in 1..=65535.
fn parse_port(port: &str) -> Option<u16> {
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    port.parse::<u16>().ok().filter(|&p| p != 0)
}

/// An IPv6 address (no brackets, no zone) in canonical form inside brackets.
fn normalize_ipv6(address: &str) -> Option<String> {
    let address: Ipv6Addr = address.parse().ok()?;
    Some(format!("[{address}]"))
}

/// A host name of letters, digits, `-`, `_` and `.` with no empty label, lower-cased.
fn normalize_hostname(host: &str) -> Option<String> {
    let bytes_ok = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if host.is_empty()
        || host.len() > MAX_HOST_LEN
        || !bytes_ok
        || host.split('.').any(str::is_empty)
    {
        return None;
    }
    Some(host.to_ascii_lowercase())
}

// ---------------------------------------------------------------------------------------
// Stateful domains
// ---------------------------------------------------------------------------------------

/// The list of first-party domains whose requests are authenticated by session.
///
/// Patterns: `host`, `host:port`, `[::1]`, `[::1]:8000`, a bare IPv6 address such as
/// `::1` (which can carry no port), `*.example.com` and `*.example.com:8443`. Host names
/// compare case-insensitively and IPv6 addresses by value.
///
/// Ports must be listed: a pattern without a port matches only an origin on its scheme's
/// default port (`localhost` matches `http://localhost` and `http://localhost:80`, not
/// `http://localhost:3000`); a pattern with a port matches only that port, whatever the
/// scheme. `*.example.com` matches any host ending in `.example.com` on a label boundary
/// (`a.example.com`, `a.b.example.com`), never `example.com` itself nor
/// `evilexample.com`. Only the parsed authority is matched, never a path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatefulDomains {
    patterns: Vec<DomainPattern>,
}

/// One parsed stateful-domain pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DomainPattern {
    host: HostPattern,
    port: Option<u16>,
}

/// The host half of a stateful-domain pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// This normalised host exactly.
    Exact(String),
    /// Any host ending in this suffix, which starts with `.`.
    Subdomain(String),
}

impl StatefulDomains {
    /// Builds the list from patterns; surrounding whitespace of each pattern is ignored.
    ///
    /// # Errors
    ///
    /// [`HttpError::InvalidStatefulDomain`] naming the first pattern that does not parse
    /// (an empty one, one with a scheme or path, a bad port, a wildcard not of the form
    /// `*.domain`, …).
    pub fn new<I, S>(patterns: I) -> Result<Self, HttpError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Self::default();
        for pattern in patterns {
            list.add(pattern.as_ref())?;
        }
        Ok(list)
    }

    /// Laravel Sanctum's defaults: `localhost`, `localhost:3000`, `127.0.0.1`,
    /// `127.0.0.1:8000` and `::1`.
    #[must_use]
    pub fn laravel_defaults() -> Self {
        let exact = |host: &str, port| DomainPattern {
            host: HostPattern::Exact(host.to_owned()),
            port,
        };
        Self {
            patterns: vec![
                exact("localhost", None),
                exact("localhost", Some(3000)),
                exact("127.0.0.1", None),
                exact("127.0.0.1", Some(8000)),
                exact("[::1]", None),
            ],
        }
    }

    /// Appends one pattern, for instance the application URL's own `host[:port]`.
    ///
    /// # Errors
    ///
    /// [`HttpError::InvalidStatefulDomain`] when the pattern does not parse; its index is
    /// the position it would have taken.
    pub fn add(&mut self, pattern: &str) -> Result<(), HttpError> {
        let parsed =
            parse_domain_pattern(pattern.trim()).ok_or(HttpError::InvalidStatefulDomain {
                index: self.patterns.len(),
            })?;
        self.patterns.push(parsed);
        Ok(())
    }

    /// Does this origin name a stateful domain?
    #[must_use]
    pub fn matches(&self, origin: &Origin) -> bool {
        self.patterns.iter().any(|pattern| {
            let port = pattern.port.unwrap_or(origin.scheme.default_port());
            port == origin.port
                && match &pattern.host {
                    HostPattern::Exact(host) => host.eq_ignore_ascii_case(&origin.host),
                    HostPattern::Subdomain(suffix) => origin
                        .host
                        .len()
                        .checked_sub(suffix.len())
                        .filter(|&start| start > 0)
                        .and_then(|start| origin.host.get(start..))
                        .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix)),
                }
        })
    }
}

/// Parses one trimmed stateful-domain pattern.
fn parse_domain_pattern(pattern: &str) -> Option<DomainPattern> {
    if let Some(domain) = pattern.strip_prefix("*.") {
        if domain.starts_with('[') {
            return None;
        }
        let (host, port) = parse_host_port(domain)?;
        return Some(DomainPattern {
            host: HostPattern::Subdomain(format!(".{host}")),
            port,
        });
    }
    if !pattern.starts_with('[') && pattern.bytes().filter(|&b| b == b':').count() > 1 {
        return Some(DomainPattern {
            host: HostPattern::Exact(normalize_ipv6(pattern)?),
            port: None,
        });
    }
    let (host, port) = parse_host_port(pattern)?;
    Some(DomainPattern {
        host: HostPattern::Exact(host),
        port,
    })
}

// ---------------------------------------------------------------------------------------
// CSRF method rule
// ---------------------------------------------------------------------------------------

/// Is `method` a reading method exempt from the CSRF check: exactly `GET`, `HEAD` or
/// `OPTIONS`?
///
/// Methods are case-sensitive (RFC 9110 §9.1): `get` is a different, unknown method and
/// therefore needs the CSRF token, so a spelling trick can never skip the check.
#[must_use]
pub fn is_reading_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

// ---------------------------------------------------------------------------------------
// Set-Cookie
// ---------------------------------------------------------------------------------------

/// The `SameSite` attribute of a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Sent on same-site requests and top-level cross-site navigations.
    #[default]
    Lax,
    /// Sent on same-site requests only.
    Strict,
    /// Sent on every request; requires Secure.
    None,
}

impl SameSite {
    /// The attribute value as written in Set-Cookie.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lax => "Lax",
            Self::Strict => "Strict",
            Self::None => "None",
        }
    }
}

/// Cookie attributes shared by the session and `XSRF-TOKEN` cookies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieOptions {
    /// Send the Secure attribute (default true).
    pub secure: bool,
    /// The `SameSite` attribute (default Lax).
    pub same_site: SameSite,
    /// The Path attribute (default `/`).
    pub path: String,
    /// The Domain attribute (default none: the cookie stays on the exact host).
    pub domain: Option<String>,
    /// Max-Age in seconds; `None` makes a browser-session cookie (default none).
    pub max_age: Option<u64>,
    /// Give the name the `__Host-` prefix (default false). Such a cookie is always sent
    /// with Secure and `Path=/`; a Domain set together with it is an error.
    pub host_prefix: bool,
}

impl Default for CookieOptions {
    fn default() -> Self {
        Self {
            secure: true,
            same_site: SameSite::Lax,
            path: "/".to_owned(),
            domain: None,
            max_age: None,
            host_prefix: false,
        }
    }
}

/// The cookie name used on the wire: `name`, with `__Host-` in front when
/// `opts.host_prefix` is set and the name does not already start with it.
#[must_use]
pub fn cookie_name<'a>(name: &'a str, opts: &CookieOptions) -> Cow<'a, str> {
    if opts.host_prefix && !has_prefix(name, HOST_PREFIX) {
        Cow::Owned(format!("{HOST_PREFIX}{name}"))
    } else {
        Cow::Borrowed(name)
    }
}

/// Renders a Set-Cookie value:
/// `name=value; Path=/[; Domain=d][; Max-Age=n][; Secure][; HttpOnly]; SameSite=Lax`.
///
/// The name goes through [`cookie_name`]. A name starting with `__Host-` (in any case) is
/// always sent with Secure and `Path=/`; one starting with `__Secure-` always with Secure.
/// Pass `http_only` true for the session cookie, false for `XSRF-TOKEN`.
///
/// # Errors
///
/// [`HttpError::InvalidCookieName`], [`HttpError::InvalidCookieValue`],
/// [`HttpError::InvalidPath`], [`HttpError::InvalidDomain`] for bytes that could break or
/// extend the header; [`HttpError::HostPrefixWithDomain`];
/// [`HttpError::SameSiteNoneWithoutSecure`]; [`HttpError::CookieTooLarge`] when name and
/// value exceed [`MAX_COOKIE_SIZE`].
pub fn render_set_cookie(
    name: &str,
    value: &str,
    opts: &CookieOptions,
    http_only: bool,
) -> Result<String, HttpError> {
    render(name, value, opts, http_only, false)
}

/// Renders the Set-Cookie value that clears a cookie (at logout): an empty value,
/// `Max-Age=0` and an `Expires` in the past, with the same Path, Domain, Secure,
/// `HttpOnly` and `SameSite` as [`render_set_cookie`] would use, so that the browser replaces the
/// cookie it holds.
///
/// # Errors
///
/// As [`render_set_cookie`].
pub fn render_clear_cookie(
    name: &str,
    opts: &CookieOptions,
    http_only: bool,
) -> Result<String, HttpError> {
    render(name, "", opts, http_only, true)
}

/// Validates everything, then renders; `clear` swaps Max-Age for an expired one.
fn render(
    name: &str,
    value: &str,
    opts: &CookieOptions,
    http_only: bool,
    clear: bool,
) -> Result<String, HttpError> {
    let name = cookie_name(name, opts);
    if !is_token(&name) {
        return Err(HttpError::InvalidCookieName);
    }
    if !value.bytes().all(is_cookie_octet) {
        return Err(HttpError::InvalidCookieValue);
    }
    let size = name.len() + value.len();
    if size > MAX_COOKIE_SIZE {
        return Err(HttpError::CookieTooLarge {
            len: size,
            max: MAX_COOKIE_SIZE,
        });
    }
    if !is_valid_path(&opts.path) {
        return Err(HttpError::InvalidPath);
    }
    if let Some(domain) = &opts.domain
        && !is_valid_domain(domain)
    {
        return Err(HttpError::InvalidDomain);
    }
    let host_bound = has_prefix(&name, HOST_PREFIX);
    if host_bound && opts.domain.is_some() {
        return Err(HttpError::HostPrefixWithDomain);
    }
    let secure = opts.secure || host_bound || has_prefix(&name, SECURE_PREFIX);
    if opts.same_site == SameSite::None && !secure {
        return Err(HttpError::SameSiteNoneWithoutSecure);
    }
    let path = if host_bound { "/" } else { opts.path.as_str() };

    let mut out = String::with_capacity(size + path.len() + 128);
    out.push_str(&name);
    out.push('=');
    out.push_str(value);
    out.push_str("; Path=");
    out.push_str(path);
    if let Some(domain) = &opts.domain {
        out.push_str("; Domain=");
        out.push_str(domain);
    }
    if clear {
        out.push_str("; Max-Age=0; Expires=");
        out.push_str(EPOCH_DATE);
    } else if let Some(max_age) = opts.max_age {
        out.push_str("; Max-Age=");
        out.push_str(&max_age.to_string());
    }
    if secure {
        out.push_str("; Secure");
    }
    if http_only {
        out.push_str("; HttpOnly");
    }
    out.push_str("; SameSite=");
    out.push_str(opts.same_site.as_str());
    Ok(out)
}

/// A Path attribute: starts with `/`, visible ASCII other than `;`, at most 1024 bytes.
fn is_valid_path(path: &str) -> bool {
    path.starts_with('/')
        && path.len() <= MAX_PATH_LEN
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b';')
}

/// A Domain attribute: an optional leading `.`, then labels of letters, digits and `-`
/// separated by `.`, none empty, at most 253 bytes.
fn is_valid_domain(domain: &str) -> bool {
    let name = domain.strip_prefix('.').unwrap_or(domain);
    !name.is_empty()
        && name.len() <= MAX_HOST_LEN
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(scheme: Scheme, host: &str, port: u16) -> Origin {
        Origin {
            scheme,
            host: host.to_owned(),
            port,
        }
    }

    /// `n` well-formed pairs `c0=v; c1=v; ...`.
    fn cookie_header(n: usize) -> String {
        (0..n)
            .map(|i| format!("c{i}=v"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn cookie_parser_reads_the_wanted_pair() {
        let rows: &[(&str, &str, &str, Option<&str>)] = &[
            ("empty header", "", "session", None),
            ("only whitespace", "  \t ", "session", None),
            ("single pair", "session=abc", "session", Some("abc")),
            ("empty value", "session=", "session", Some("")),
            ("quoted value", "session=\"abc\"", "session", Some("abc")),
            ("quoted empty value", "session=\"\"", "session", Some("")),
            ("unbalanced opening quote", "session=\"abc", "session", None),
            ("unbalanced closing quote", "session=abc\"", "session", None),
            ("lone quote", "session=\"", "session", None),
            (
                "duplicates: first wins",
                "session=1; session=2",
                "session",
                Some("1"),
            ),
            (
                "malformed first, well-formed second",
                "session=a b; session=2",
                "session",
                Some("2"),
            ),
            ("stray semicolons", ";;a=1;", "a", Some("1")),
            ("only semicolons", ";;;", "a", None),
            ("no space after ;", "a=1;session=2", "session", Some("2")),
            (
                "spaces around =",
                "a=1;  session  =  2  ",
                "session",
                Some("2"),
            ),
            (
                "tabs around pair",
                "\tsession=2\t;a=1",
                "session",
                Some("2"),
            ),
            (
                "suffix name is distinct",
                "xsession=1; session=2",
                "session",
                Some("2"),
            ),
            (
                "prefix name is distinct",
                "session_x=1; session=2",
                "session",
                Some("2"),
            ),
            ("prefix name only", "sessionx=1", "session", None),
            ("names are case-sensitive", "SESSION=1", "session", None),
            (
                "non-ASCII in another pair",
                "a=h\u{e9}llo; session=2",
                "session",
                Some("2"),
            ),
            (
                "non-ASCII value is skipped",
                "session=h\u{e9}llo",
                "session",
                None,
            ),
            ("pair without =", "session; a=1", "session", None),
            (
                "pair without = before",
                "junk; session=2",
                "session",
                Some("2"),
            ),
            ("empty name", "=abc; session=2", "session", Some("2")),
            ("empty name is not findable", "=abc", "", None),
            ("space inside value", "session=a b", "session", None),
            ("comma inside value", "session=a,b", "session", None),
            ("backslash inside value", "session=a\\b", "session", None),
            ("= inside value", "session=a=b", "session", Some("a=b")),
            ("control byte in value", "session=a\u{1}b", "session", None),
            (
                "separator in name",
                "se(ss)ion=1; session=2",
                "session",
                Some("2"),
            ),
        ];
        for (case, header, name, want) in rows {
            assert_eq!(find_cookie(header, name), Ok(*want), "{case}");
        }
    }

    #[test]
    fn cookie_parser_bounds_pairs_and_length() {
        let exactly = cookie_header(MAX_COOKIES);
        assert_eq!(find_cookie(&exactly, "c127"), Ok(Some("v")));
        let over = cookie_header(MAX_COOKIES + 1);
        assert_eq!(
            find_cookie(&over, "c0"),
            Err(HttpError::TooManyCookies { max: MAX_COOKIES }),
            "the verdict does not depend on where the wanted pair sits"
        );
        let malformed_over = vec!["junk"; MAX_COOKIES + 1].join(";");
        assert_eq!(
            find_cookie(&malformed_over, "c0"),
            Err(HttpError::TooManyCookies { max: MAX_COOKIES })
        );
        let empty_segments = ";".repeat(MAX_HEADER_LEN);
        assert_eq!(find_cookie(&empty_segments, "a"), Ok(None));

        let prefix = "session=";
        let at_limit = format!("{prefix}{}", "a".repeat(MAX_HEADER_LEN - prefix.len()));
        assert_eq!(at_limit.len(), 8192);
        assert_eq!(
            find_cookie(&at_limit, "session").map(|v| v.map(str::len)),
            Ok(Some(MAX_HEADER_LEN - prefix.len()))
        );
        let over_limit = format!("{at_limit}a");
        assert_eq!(
            find_cookie(&over_limit, "session"),
            Err(HttpError::HeaderTooLong {
                header: "Cookie",
                len: 8193,
                max: MAX_HEADER_LEN
            })
        );
    }

    #[test]
    fn bearer_token_accepts_only_the_bearer_scheme() {
        let rows: &[(&str, &str, Option<&str>)] = &[
            ("canonical", "Bearer abc", Some("abc")),
            ("lower-case scheme", "bearer abc", Some("abc")),
            ("upper-case scheme", "BEARER abc", Some("abc")),
            ("two spaces", "Bearer  abc", Some("abc")),
            ("sanctum token", "Bearer 7|abcDEF123", Some("7|abcDEF123")),
            ("trailing whitespace trimmed", "Bearer abc \t", Some("abc")),
            ("leading whitespace ignored", "  Bearer abc", Some("abc")),
            ("missing token", "Bearer", None),
            ("missing token after space", "Bearer ", None),
            ("only spaces after scheme", "Bearer    ", None),
            ("basic scheme", "Basic dXNlcjpwYXNz", None),
            ("scheme run into token", "Bearerabc", None),
            ("scheme with suffix", "Bearerx abc", None),
            ("token with a space", "Bearer a b", None),
            ("tab as separator", "Bearer\tabc", None),
            ("token with a tab", "Bearer a\tb", None),
            ("token with CRLF", "Bearer abc\r\nX: y", None),
            ("non-ASCII token", "Bearer ab\u{e9}", None),
            ("empty header", "", None),
        ];
        for (case, header, want) in rows {
            assert_eq!(bearer_token(header), Ok(*want), "{case}");
        }
    }

    #[test]
    fn bearer_token_refuses_an_over_long_header() {
        let at_limit = format!("Bearer {}", "a".repeat(MAX_HEADER_LEN - 7));
        assert!(matches!(bearer_token(&at_limit), Ok(Some(_))));
        let over = format!("{at_limit}a");
        assert_eq!(
            bearer_token(&over),
            Err(HttpError::HeaderTooLong {
                header: "Authorization",
                len: MAX_HEADER_LEN + 1,
                max: MAX_HEADER_LEN
            })
        );
    }

    /// One origin-parser row: case, input, expected (scheme, host, port).
    type OriginRow = (
        &'static str,
        &'static str,
        Option<(Scheme, &'static str, u16)>,
    );

    #[test]
    fn origin_parser_reduces_urls_to_scheme_host_port() {
        use Scheme::{Http, Https};
        let rows: &[OriginRow] = &[
            (
                "upper-case host",
                "https://Example.COM",
                Some((Https, "example.com", 443)),
            ),
            (
                "upper-case scheme",
                "HTTPS://example.com",
                Some((Https, "example.com", 443)),
            ),
            (
                "path and query",
                "http://localhost:3000/path?q",
                Some((Http, "localhost", 3000)),
            ),
            (
                "trailing slash",
                "http://localhost/",
                Some((Http, "localhost", 80)),
            ),
            (
                "fragment only",
                "http://localhost#x",
                Some((Http, "localhost", 80)),
            ),
            (
                "query only",
                "http://localhost?x=@",
                Some((Http, "localhost", 80)),
            ),
            (
                "explicit default port",
                "http://localhost:80",
                Some((Http, "localhost", 80)),
            ),
            (
                "ipv6 with port",
                "http://[::1]:8000",
                Some((Http, "[::1]", 8000)),
            ),
            (
                "ipv6 without port",
                "http://[::1]",
                Some((Http, "[::1]", 80)),
            ),
            (
                "ipv6 canonicalised",
                "http://[0:0:0:0:0:0:0:1]/",
                Some((Http, "[::1]", 80)),
            ),
            (
                "ipv6 lower-cased",
                "https://[FE80::A]",
                Some((Https, "[fe80::a]", 443)),
            ),
            (
                "ipv4",
                "http://127.0.0.1:8000",
                Some((Http, "127.0.0.1", 8000)),
            ),
            (
                "underscore host",
                "http://my_app:8080",
                Some((Http, "my_app", 8080)),
            ),
            (
                "port with leading zero",
                "http://h:08080",
                Some((Http, "h", 8080)),
            ),
            (
                "at sign in path",
                "https://example.com/@user",
                Some((Https, "example.com", 443)),
            ),
            (
                "surrounding whitespace",
                " https://example.com\t",
                Some((Https, "example.com", 443)),
            ),
            ("unclosed ipv6", "http://[::1", None),
            ("junk after ipv6", "http://[::1]x", None),
            ("bad ipv6", "http://[::g]", None),
            ("ipv6 zone id", "http://[fe80::1%25eth0]", None),
            ("unbracketed ipv6", "http://::1", None),
            ("userinfo", "https://user:pw@example.com", None),
            (
                "userinfo without password",
                "https://user@example.com",
                None,
            ),
            ("other scheme", "ftp://example.com", None),
            ("null origin", "null", None),
            ("port too large", "https://example.com:99999", None),
            ("port overflowing u16", "https://example.com:65536", None),
            ("port zero", "https://example.com:0", None),
            ("empty port", "https://example.com:", None),
            ("non-numeric port", "https://example.com:8o", None),
            ("two ports", "https://example.com:1:2", None),
            ("scheme-relative", "//example.com", None),
            ("no authority", "https://", None),
            ("empty host with port", "https://:443", None),
            ("no slashes", "https:example.com", None),
            ("triple slash", "https:///example.com", None),
            ("empty label", "https://a..example.com", None),
            ("trailing dot", "https://example.com.", None),
            ("space inside", "https://exa mple.com", None),
            ("CRLF inside", "https://example.com\r\nX: y", None),
            (
                "backslash host trick",
                "https://evil.test\\.example.com",
                None,
            ),
            ("percent in host", "https://ex%61mple.com", None),
            ("non-ASCII host", "https://\u{e9}xample.com", None),
            ("two origins", "https://a.test https://b.test", None),
            ("empty", "", None),
        ];
        for (case, value, want) in rows {
            let want = want.map(|(scheme, host, port)| origin(scheme, host, port));
            assert_eq!(parse_origin(value), Ok(want), "{case}");
        }
    }

    #[test]
    fn origin_parser_refuses_an_over_long_value() {
        let over = format!("https://example.com/{}", "a".repeat(MAX_HEADER_LEN));
        assert!(matches!(
            parse_origin(&over),
            Err(HttpError::HeaderTooLong { .. })
        ));
        let long_host = format!("https://{}.com", "a".repeat(300));
        assert_eq!(parse_origin(&long_host), Ok(None));
    }

    #[test]
    fn origin_authority_omits_only_the_default_port() {
        let rows = [
            ("https://example.com", "example.com", "https://example.com"),
            (
                "https://example.com:443",
                "example.com",
                "https://example.com",
            ),
            (
                "http://example.com:443",
                "example.com:443",
                "http://example.com:443",
            ),
            ("http://[::1]:8000/x", "[::1]:8000", "http://[::1]:8000"),
        ];
        for (url, authority, display) in rows {
            let parsed = parse_origin(url).ok().flatten();
            assert_eq!(
                parsed.as_ref().map(Origin::authority).as_deref(),
                Some(authority),
                "{url}"
            );
            assert_eq!(
                parsed.map(|o| o.to_string()).as_deref(),
                Some(display),
                "{url}"
            );
        }
    }

    #[test]
    fn stateful_domains_match_the_authority_only() {
        let list = StatefulDomains::new([
            "localhost",
            "localhost:3000",
            "*.example.com",
            "*.secure.test:8443",
            "::1",
            "[::2]:8000",
            "App.Test",
        ]);
        let Ok(list) = list else {
            panic!("patterns should parse: {list:?}");
        };
        let rows: &[(&str, &str, bool)] = &[
            ("bare host", "http://localhost", true),
            ("bare host with slash", "http://localhost/", true),
            ("bare host over https", "https://localhost", true),
            ("explicit default port", "http://localhost:80", true),
            ("explicit https default port", "https://localhost:443", true),
            ("other scheme's default port", "http://localhost:443", false),
            ("listed port", "http://localhost:3000", true),
            ("unlisted port", "http://localhost:3001", false),
            ("wildcard one label", "https://a.example.com", true),
            ("wildcard two labels", "https://a.b.example.com/", true),
            ("wildcard apex", "https://example.com", false),
            (
                "wildcard without label boundary",
                "https://evilexample.com",
                false,
            ),
            (
                "wildcard in the path",
                "https://evil.test/x.example.com/",
                false,
            ),
            (
                "wildcard in the query",
                "https://evil.test?x.example.com",
                false,
            ),
            (
                "wildcard in userinfo",
                "https://x.example.com@evil.test",
                false,
            ),
            (
                "wildcard as a prefix",
                "https://a.example.com.evil.test",
                false,
            ),
            (
                "wildcard needs its port",
                "https://a.example.com:8443",
                false,
            ),
            ("wildcard with port", "https://a.secure.test:8443", true),
            (
                "wildcard with port, default port",
                "https://a.secure.test",
                false,
            ),
            ("ipv6 bare pattern", "http://[::1]", true),
            ("ipv6 bare pattern with port", "http://[::1]:8000", false),
            (
                "ipv6 bracketed pattern with port",
                "http://[::2]:8000",
                true,
            ),
            ("ipv6 long form", "http://[0::2]:8000", true),
            ("case-insensitive host", "HTTP://LOCALHOST", true),
            ("case-insensitive pattern", "https://app.test", true),
            ("unlisted host", "https://evil.test", false),
            ("host as prefix", "http://localhost.evil.test", false),
        ];
        for (case, url, want) in rows {
            let parsed = parse_origin(url).ok().flatten();
            let got = parsed.as_ref().is_some_and(|o| list.matches(o));
            assert_eq!(got, *want, "{case}");
        }
        // Fields are public: a hand-built origin with upper case still compares by value.
        assert!(list.matches(&origin(Scheme::Https, "A.EXAMPLE.COM", 443)));
        assert!(!list.matches(&origin(Scheme::Https, ".example.com", 443)));
    }

    #[test]
    fn stateful_domains_refuse_bad_patterns() {
        let rows: &[(&str, &str)] = &[
            ("empty", ""),
            ("scheme", "https://app.test"),
            ("path", "app.test/x"),
            ("empty port", "app.test:"),
            ("port zero", "app.test:0"),
            ("port too large", "app.test:70000"),
            ("bare star", "*"),
            ("star without dot", "*example.com"),
            ("star inside", "a.*.example.com"),
            ("wildcard ipv6", "*.[::1]"),
            ("userinfo", "user@app.test"),
            ("bad ipv6", "[::g]"),
            ("bare ipv6 with junk", "::1::2"),
            ("space inside", "app test"),
            ("empty label", "app..test"),
        ];
        for (case, pattern) in rows {
            assert_eq!(
                StatefulDomains::new(["localhost", pattern]),
                Err(HttpError::InvalidStatefulDomain { index: 1 }),
                "{case}"
            );
        }
        assert!(StatefulDomains::new([" localhost:3000 "]).is_ok());
        assert_eq!(
            StatefulDomains::new(Vec::<String>::new()),
            Ok(StatefulDomains::default())
        );
    }

    #[test]
    fn stateful_domains_laravel_defaults() {
        let defaults = StatefulDomains::laravel_defaults();
        assert_eq!(
            StatefulDomains::new([
                "localhost",
                "localhost:3000",
                "127.0.0.1",
                "127.0.0.1:8000",
                "::1"
            ]),
            Ok(defaults.clone())
        );
        let rows: &[(&str, bool)] = &[
            ("http://localhost", true),
            ("http://localhost:3000/spa", true),
            ("http://localhost:8000", false),
            ("http://127.0.0.1", true),
            ("http://127.0.0.1:8000", true),
            ("http://127.0.0.1:3000", false),
            ("http://[::1]/", true),
            ("http://[::1]:3000", false),
            ("https://example.com", false),
        ];
        for (url, want) in rows {
            let parsed = parse_origin(url).ok().flatten();
            assert_eq!(parsed.is_some_and(|o| defaults.matches(&o)), *want, "{url}");
        }
    }

    #[test]
    fn stateful_domains_add_appends_a_pattern() {
        let mut list = StatefulDomains::laravel_defaults();
        assert_eq!(list.add("app.test:8000"), Ok(()));
        assert_eq!(
            list.add("http://app.test"),
            Err(HttpError::InvalidStatefulDomain { index: 6 })
        );
        let parsed = parse_origin("http://app.test:8000/").ok().flatten();
        assert!(parsed.is_some_and(|o| list.matches(&o)));
    }

    #[test]
    fn reading_methods_are_exact_and_case_sensitive() {
        let rows: &[(&str, bool)] = &[
            ("GET", true),
            ("HEAD", true),
            ("OPTIONS", true),
            ("POST", false),
            ("PUT", false),
            ("PATCH", false),
            ("DELETE", false),
            ("get", false),
            ("Get", false),
            (" GET", false),
            ("GET ", false),
            ("", false),
        ];
        for (method, want) in rows {
            assert_eq!(is_reading_method(method), *want, "{method:?}");
        }
    }

    #[test]
    fn set_cookie_renders_each_attribute() {
        let base = CookieOptions::default();
        let rows: Vec<(&str, CookieOptions, bool, &str)> = vec![
            (
                "defaults, session cookie",
                base.clone(),
                true,
                "s=v; Path=/; Secure; HttpOnly; SameSite=Lax",
            ),
            (
                "script-readable",
                base.clone(),
                false,
                "s=v; Path=/; Secure; SameSite=Lax",
            ),
            (
                "max-age",
                CookieOptions {
                    max_age: Some(7200),
                    ..base.clone()
                },
                true,
                "s=v; Path=/; Max-Age=7200; Secure; HttpOnly; SameSite=Lax",
            ),
            (
                "not secure",
                CookieOptions {
                    secure: false,
                    ..base.clone()
                },
                true,
                "s=v; Path=/; HttpOnly; SameSite=Lax",
            ),
            (
                "strict",
                CookieOptions {
                    same_site: SameSite::Strict,
                    ..base.clone()
                },
                false,
                "s=v; Path=/; Secure; SameSite=Strict",
            ),
            (
                "none with secure",
                CookieOptions {
                    same_site: SameSite::None,
                    ..base.clone()
                },
                false,
                "s=v; Path=/; Secure; SameSite=None",
            ),
            (
                "domain and path",
                CookieOptions {
                    domain: Some(".example.com".to_owned()),
                    path: "/app".to_owned(),
                    ..base.clone()
                },
                true,
                "s=v; Path=/app; Domain=.example.com; Secure; HttpOnly; SameSite=Lax",
            ),
            (
                "host prefix forces secure and root path",
                CookieOptions {
                    host_prefix: true,
                    secure: false,
                    path: "/app".to_owned(),
                    ..base.clone()
                },
                true,
                "__Host-s=v; Path=/; Secure; HttpOnly; SameSite=Lax",
            ),
        ];
        for (case, opts, http_only, want) in rows {
            assert_eq!(
                render_set_cookie("s", "v", &opts, http_only).as_deref(),
                Ok(want),
                "{case}"
            );
        }
    }

    #[test]
    fn set_cookie_prefix_rules() {
        let host = CookieOptions {
            host_prefix: true,
            ..CookieOptions::default()
        };
        assert_eq!(cookie_name("s", &host), "__Host-s");
        assert_eq!(cookie_name("__Host-s", &host), "__Host-s");
        assert_eq!(cookie_name("s", &CookieOptions::default()), "s");
        let with_domain = CookieOptions {
            domain: Some("example.com".to_owned()),
            ..host.clone()
        };
        assert_eq!(
            render_set_cookie("s", "v", &with_domain, true),
            Err(HttpError::HostPrefixWithDomain)
        );
        assert_eq!(
            render_clear_cookie("s", &with_domain, true),
            Err(HttpError::HostPrefixWithDomain)
        );
        let insecure = CookieOptions {
            secure: false,
            ..CookieOptions::default()
        };
        let rows: &[(&str, &str, Result<&str, HttpError>)] = &[
            (
                "name written with __Host- keeps its rules",
                "__Host-s",
                Ok("__Host-s=v; Path=/; Secure; SameSite=Lax"),
            ),
            (
                "__host- in another case keeps its rules",
                "__host-s",
                Ok("__host-s=v; Path=/; Secure; SameSite=Lax"),
            ),
            (
                "__Secure- forces Secure",
                "__Secure-s",
                Ok("__Secure-s=v; Path=/; Secure; SameSite=Lax"),
            ),
            (
                "plain name honours secure=false",
                "s",
                Ok("s=v; Path=/; SameSite=Lax"),
            ),
        ];
        for (case, name, want) in rows {
            assert_eq!(
                render_set_cookie(name, "v", &insecure, false).as_deref(),
                want.as_deref(),
                "{case}"
            );
        }
        let host_named_with_domain = CookieOptions {
            domain: Some("example.com".to_owned()),
            ..CookieOptions::default()
        };
        assert_eq!(
            render_set_cookie("__Host-s", "v", &host_named_with_domain, true),
            Err(HttpError::HostPrefixWithDomain)
        );
    }

    #[test]
    fn set_cookie_refuses_same_site_none_without_secure() {
        let opts = CookieOptions {
            secure: false,
            same_site: SameSite::None,
            ..CookieOptions::default()
        };
        assert_eq!(
            render_set_cookie("s", "v", &opts, true),
            Err(HttpError::SameSiteNoneWithoutSecure)
        );
        assert_eq!(
            render_clear_cookie("s", &opts, true),
            Err(HttpError::SameSiteNoneWithoutSecure)
        );
    }

    #[test]
    fn set_cookie_refuses_injection_and_malformed_input() {
        let domain = |d: &str| CookieOptions {
            domain: Some(d.to_owned()),
            ..CookieOptions::default()
        };
        let path = |p: &str| CookieOptions {
            path: p.to_owned(),
            ..CookieOptions::default()
        };
        let default = CookieOptions::default;
        let rows: Vec<(&str, &str, &str, CookieOptions, HttpError)> = vec![
            (
                "; in name",
                "a;b",
                "v",
                default(),
                HttpError::InvalidCookieName,
            ),
            (
                "= in name",
                "a=b",
                "v",
                default(),
                HttpError::InvalidCookieName,
            ),
            (
                "space in name",
                "a b",
                "v",
                default(),
                HttpError::InvalidCookieName,
            ),
            (
                "CRLF in name",
                "x\r\nSet-Cookie: y",
                "v",
                default(),
                HttpError::InvalidCookieName,
            ),
            (
                "empty name",
                "",
                "v",
                default(),
                HttpError::InvalidCookieName,
            ),
            (
                "non-ASCII name",
                "s\u{e9}",
                "v",
                default(),
                HttpError::InvalidCookieName,
            ),
            (
                "; in value",
                "s",
                "v; Domain=evil",
                default(),
                HttpError::InvalidCookieValue,
            ),
            (
                "CRLF in value",
                "s",
                "x\r\nSet-Cookie: y",
                default(),
                HttpError::InvalidCookieValue,
            ),
            (
                "space in value",
                "s",
                "a b",
                default(),
                HttpError::InvalidCookieValue,
            ),
            (
                "comma in value",
                "s",
                "a,b",
                default(),
                HttpError::InvalidCookieValue,
            ),
            (
                "quote in value",
                "s",
                "\"v\"",
                default(),
                HttpError::InvalidCookieValue,
            ),
            (
                "backslash in value",
                "s",
                "a\\b",
                default(),
                HttpError::InvalidCookieValue,
            ),
            (
                "non-ASCII value",
                "s",
                "\u{e9}",
                default(),
                HttpError::InvalidCookieValue,
            ),
            (
                "; in domain",
                "s",
                "v",
                domain("a.com; Secure"),
                HttpError::InvalidDomain,
            ),
            (
                "CRLF in domain",
                "s",
                "v",
                domain("a.com\r\nX: y"),
                HttpError::InvalidDomain,
            ),
            (
                "empty domain",
                "s",
                "v",
                domain(""),
                HttpError::InvalidDomain,
            ),
            (
                "dot-only domain",
                "s",
                "v",
                domain("."),
                HttpError::InvalidDomain,
            ),
            (
                "empty label",
                "s",
                "v",
                domain("a..com"),
                HttpError::InvalidDomain,
            ),
            (
                "trailing dot",
                "s",
                "v",
                domain("a.com."),
                HttpError::InvalidDomain,
            ),
            (
                "port in domain",
                "s",
                "v",
                domain("a.com:80"),
                HttpError::InvalidDomain,
            ),
            (
                "underscore in domain",
                "s",
                "v",
                domain("a_b.com"),
                HttpError::InvalidDomain,
            ),
            (
                "; in path",
                "s",
                "v",
                path("/; Domain=evil"),
                HttpError::InvalidPath,
            ),
            (
                "CRLF in path",
                "s",
                "v",
                path("/\r\nX: y"),
                HttpError::InvalidPath,
            ),
            (
                "relative path",
                "s",
                "v",
                path("app"),
                HttpError::InvalidPath,
            ),
            ("empty path", "s", "v", path(""), HttpError::InvalidPath),
            (
                "space in path",
                "s",
                "v",
                path("/a b"),
                HttpError::InvalidPath,
            ),
        ];
        for (case, name, value, opts, want) in rows {
            assert_eq!(
                render_set_cookie(name, value, &opts, true),
                Err(want),
                "{case}"
            );
        }
        assert_eq!(
            render_set_cookie(
                "s",
                "v",
                &path(&format!("/{}", "a".repeat(MAX_PATH_LEN))),
                true
            ),
            Err(HttpError::InvalidPath)
        );
        let big = "a".repeat(MAX_COOKIE_SIZE);
        assert_eq!(
            render_set_cookie("s", &big, &CookieOptions::default(), true),
            Err(HttpError::CookieTooLarge {
                len: MAX_COOKIE_SIZE + 1,
                max: MAX_COOKIE_SIZE
            })
        );
        assert!(render_set_cookie("s", &big[1..], &CookieOptions::default(), true).is_ok());
    }

    #[test]
    fn clear_cookie_expires_with_the_same_attributes() {
        let opts = CookieOptions {
            domain: Some("example.com".to_owned()),
            path: "/app".to_owned(),
            max_age: Some(7200),
            same_site: SameSite::Strict,
            ..CookieOptions::default()
        };
        assert_eq!(
            render_clear_cookie("laravel_session", &opts, true).as_deref(),
            Ok(
                "laravel_session=; Path=/app; Domain=example.com; Max-Age=0; \
                Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; SameSite=Strict"
            )
        );
        let host = CookieOptions {
            host_prefix: true,
            ..CookieOptions::default()
        };
        assert_eq!(
            render_clear_cookie("XSRF-TOKEN", &host, false).as_deref(),
            Ok("__Host-XSRF-TOKEN=; Path=/; Max-Age=0; \
                Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; SameSite=Lax")
        );
        assert_eq!(
            render_clear_cookie("a;b", &CookieOptions::default(), true),
            Err(HttpError::InvalidCookieName)
        );
    }

    #[test]
    fn rendered_cookie_round_trips_through_the_parser() {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let option_sets = [
            CookieOptions::default(),
            CookieOptions {
                host_prefix: true,
                max_age: Some(7200),
                ..CookieOptions::default()
            },
        ];
        for round in 0..500 {
            let value: String = (0..40)
                .map(|_| {
                    let index = usize::try_from(next() % 62).unwrap_or(0);
                    char::from(ALPHABET[index])
                })
                .collect();
            let opts = &option_sets[round % option_sets.len()];
            let rendered = render_set_cookie("laravel_session", &value, opts, true);
            let Ok(rendered) = rendered else {
                panic!("render failed: {rendered:?}");
            };
            let pair = rendered.split(';').next().unwrap_or_default();
            let header = format!("XSRF-TOKEN=abc; {pair}; other=1");
            let name = cookie_name("laravel_session", opts);
            assert_eq!(
                find_cookie(&header, &name),
                Ok(Some(value.as_str())),
                "{header}"
            );
        }
    }

    #[test]
    fn errors_describe_the_fault_without_values() {
        let rows: Vec<(HttpError, &str)> = vec![
            (
                HttpError::HeaderTooLong {
                    header: "Cookie",
                    len: 9000,
                    max: MAX_HEADER_LEN,
                },
                "Cookie header is 9000 bytes, over the limit of 8192",
            ),
            (
                HttpError::TooManyCookies { max: MAX_COOKIES },
                "Cookie header holds more than 128 cookie pairs",
            ),
            (
                HttpError::HostPrefixWithDomain,
                "a __Host- cookie cannot carry a Domain attribute",
            ),
            (
                HttpError::InvalidStatefulDomain { index: 2 },
                "stateful domain pattern #2 is not host, host:port, [ipv6][:port] \
                 or *.domain[:port]",
            ),
        ];
        for (error, want) in rows {
            assert_eq!(error.to_string(), want);
        }
        let secret = "v; Domain=evil";
        let error = render_set_cookie("s", secret, &CookieOptions::default(), true);
        assert!(error.is_err_and(|e| !e.to_string().contains(secret)));
    }
}
