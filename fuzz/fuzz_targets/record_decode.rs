//! Decoding arbitrary bytes as a stored record is a clean error or a value,
//! never a panic or undefined behaviour.
#![no_main]

use authkv::fuzzing::decode_session;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = decode_session(bytes);
});
