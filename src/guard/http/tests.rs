//! Table-driven tests of the parser and the renderer, one row per case.

use super::origin::*;
use super::set_cookie::*;
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

#[test]
fn cookie_octets_are_visible_ascii_but_quote_comma_semicolon_backslash() {
    for b in 0..=u8::MAX {
        let octet = (0x21..=0x7E).contains(&b) && !b"\",;\\".contains(&b);
        assert_eq!(is_cookie_octet(b), octet, "byte {b:#04x}");
        assert_eq!(all_cookie_octets(&[b'a', b, b'z']), octet, "byte {b:#04x}");
    }
    assert!(all_cookie_octets(b""));
}
