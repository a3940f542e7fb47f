//! Session-id parsing accepts exactly 40 ASCII alphanumerics.
#![no_main]

use authkv::fuzzing::session_digest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|id: &str| {
    let well_formed = id.len() == 40 && id.bytes().all(|b| b.is_ascii_alphanumeric());
    assert_eq!(session_digest(id).is_some(), well_formed);
});
