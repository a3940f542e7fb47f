//! The Authorization parser never panics; a bearer token it returns is a
//! non-empty run of visible ASCII at the end of the header.
#![no_main]

use authkv::http::bearer_token;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|header: &str| {
    if let Ok(Some(token)) = bearer_token(header) {
        assert!(!token.is_empty());
        assert!(token.bytes().all(|b| b.is_ascii_graphic()));
        assert!(header.trim_end_matches([' ', '\t']).ends_with(token));
    }
});
