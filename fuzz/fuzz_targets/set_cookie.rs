//! Set-Cookie rendering never panics and never lets a name or value add an
//! attribute: what it renders is exactly `name=value;` followed by known
//! attributes only.
#![no_main]

use authkv::http::{CookieOptions, cookie_name, render_set_cookie};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str, bool, Option<&str>)| {
    let (name, value, host_prefix, domain) = input;
    let opts = CookieOptions {
        host_prefix,
        domain: domain.map(str::to_owned),
        ..CookieOptions::default()
    };
    if let Ok(rendered) = render_set_cookie(name, value, &opts, true) {
        let prefix = format!("{}={};", cookie_name(name, &opts), value);
        assert!(rendered.starts_with(&prefix), "{rendered}");
        assert!(!rendered.contains(['\r', '\n']));
        for attribute in rendered[prefix.len()..].split(';').map(str::trim) {
            let known = ["Path=", "Domain=", "Max-Age=", "Expires=", "SameSite="]
                .iter()
                .any(|p| attribute.starts_with(p))
                || matches!(attribute, "Secure" | "HttpOnly");
            assert!(known, "unexpected attribute {attribute:?} in {rendered}");
        }
    }
});
