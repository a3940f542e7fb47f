//! Origin and Referer reduced to scheme, host and port, and the list of
//! stateful (first-party) domains they are matched against.

use std::borrow::Cow;
use std::fmt;
use std::net::Ipv6Addr;

use super::*;

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
    parse_url_view(value).map(|view| Origin {
        scheme: view.scheme,
        host: view.host.to_ascii_lowercase(),
        port: view.port,
    })
}

/// An origin as [`Origin`], borrowing its host from the header (in the
/// case it was sent; IPv6 addresses are canonical, so owned), so that the
/// request guard decides "first-party?" without allocating.
#[derive(Debug)]
pub(crate) struct OriginView<'a> {
    pub scheme: Scheme,
    pub host: Cow<'a, str>,
    pub port: u16,
}

impl OriginView<'_> {
    /// Whether both name the same origin (host names compare without case).
    pub(crate) fn same_as(&self, other: &OriginView<'_>) -> bool {
        self.scheme == other.scheme
            && self.port == other.port
            && self.host.eq_ignore_ascii_case(&other.host)
    }
}

/// [`parse_origin`] without normalising the host's case.
pub(crate) fn parse_origin_view(value: &str) -> Result<Option<OriginView<'_>>, HttpError> {
    check_len("Origin/Referer", value)?;
    Ok(parse_url_view(trim_ows(value)))
}

fn parse_url_view(value: &str) -> Option<OriginView<'_>> {
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    // Every byte is ASCII (checked above), so these slices cut nothing.
    let starts = |prefix: &str| {
        value
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    let (scheme, rest) = if starts("http://") {
        (Scheme::Http, &value[7..])
    } else if starts("https://") {
        (Scheme::Https, &value[8..])
    } else {
        return None;
    };
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return None;
    }
    let (host, port) = parse_host_port(authority)?;
    Some(OriginView {
        scheme,
        host,
        port: port.unwrap_or(scheme.default_port()),
    })
}

/// Parses `host`, `host:port`, `[ipv6]` or `[ipv6]:port` into a checked host (a host
/// name as written, an IPv6 address in canonical form) and the port if one was written.
fn parse_host_port(authority: &str) -> Option<(Cow<'_, str>, Option<u16>)> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (address, after) = bracketed.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (Cow::Owned(normalize_ipv6(address)?), port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (Cow::Borrowed(check_hostname(host)?), Some(port)),
            None => (Cow::Borrowed(check_hostname(authority)?), None),
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

/// A host name of letters, digits, `-`, `_` and `.` with no empty label.
fn check_hostname(host: &str) -> Option<&str> {
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
    Some(host)
}

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
        self.matches_view(&OriginView {
            scheme: origin.scheme,
            host: Cow::Borrowed(&origin.host),
            port: origin.port,
        })
    }

    /// [`StatefulDomains::matches`] for a borrowed origin.
    pub(crate) fn matches_view(&self, origin: &OriginView<'_>) -> bool {
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
            host: HostPattern::Subdomain(format!(".{}", host.to_ascii_lowercase())),
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
        host: HostPattern::Exact(host.to_ascii_lowercase()),
        port,
    })
}
