//! Set-Cookie rendering for the session, XSRF-TOKEN and clearing cookies;
//! names, values and attributes are validated so no header can carry an
//! injected attribute.

use std::borrow::Cow;

use super::*;

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
    if !all_cookie_octets(value.as_bytes()) {
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
