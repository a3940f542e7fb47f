//! The token parser never panics and accepts exactly what could be genuine:
//! an optional `digits|` id, then the prefix, 40 alphanumerics and their
//! CRC-32 (or, with legacy tokens allowed, 40 alphanumerics alone).
#![no_main]

use authkv::fuzzing::{crc32b_hex, parse_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, bool, bool)| {
    let (text, use_prefix, allow_legacy) = input;
    let prefix = if use_prefix { "akv_" } else { "" };
    let Some((id, secret)) = parse_token(text, prefix, allow_legacy) else {
        return;
    };
    assert!(id != Some(0));
    assert!(text.ends_with(secret));
    let legacy =
        allow_legacy && secret.len() == 40 && secret.bytes().all(|b| b.is_ascii_alphanumeric());
    if !legacy {
        let body = secret.strip_prefix(prefix).expect("prefix checked");
        assert_eq!(body.len(), 48);
        let (random, checksum) = body.split_at(40);
        assert!(random.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(crc32b_hex(random.as_bytes()), checksum);
    }
});
