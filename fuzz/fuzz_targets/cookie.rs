//! The Cookie parser never panics, and what it returns is a well-formed
//! cookie value taken from the header.
#![no_main]

use authkv::http::{HttpError, MAX_HEADER_LEN, find_cookie};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str)| {
    let (header, name) = input;
    match find_cookie(header, name) {
        Ok(Some(value)) => {
            assert!(header.contains(value));
            assert!(!value.contains([';', ' ', '"', ',', '\\']));
        }
        Ok(None) => {}
        Err(HttpError::HeaderTooLong { len, .. }) => assert!(len > MAX_HEADER_LEN),
        Err(_) => {}
    }
});
