//! Origin/Referer parsing and stateful-domain matching never panic; a
//! parsed origin is http(s) with a lower-cased host, and a wildcard match
//! is always on a label boundary of the host.
#![no_main]

use authkv::http::{StatefulDomains, parse_origin};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str)| {
    let (url, pattern) = input;
    let Ok(Some(origin)) = parse_origin(url) else {
        return;
    };
    assert_eq!(origin.host, origin.host.to_ascii_lowercase());
    assert!(!origin.host.contains(['/', '@', '?', '#']));
    let wildcard = StatefulDomains::new(["*.example.com"]).expect("valid pattern");
    if wildcard.matches(&origin) {
        assert!(origin.host.ends_with(".example.com"), "{url}");
    }
    if let Ok(list) = StatefulDomains::new([pattern]) {
        let _ = list.matches(&origin);
    }
    let _ = StatefulDomains::laravel_defaults().matches(&origin);
});
