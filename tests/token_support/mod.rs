//! Helpers shared by the token test files: Sanctum test vectors, an
//! independent CRC-32, and short forms of common calls.
#![allow(dead_code)]

use authkv::{Config, Engine, Error, NewToken, TokenError};

use crate::common::{Fixture, T0};

/// Sanctum test vector: a plaintext and the `token` column stored for it.
pub const VECTOR_TEXT: &str = "17|Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf5";
pub const VECTOR_SHA256: &str = "583c62f76933c291fdd5b72da85fa056b9529f39a2408c987d2b21289e1b9cb8";
/// The same random part minted with `token_prefix = "akv_"`.
pub const PREFIXED_TEXT: &str = "17|akv_Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf5";
pub const PREFIXED_SHA256: &str =
    "a235ebf9b23dd703f95348303d8617653b38a195624118fd2fdd917afb382cd3";
/// A pre-checksum Sanctum token (40 characters) and its stored digest.
pub const LEGACY_SECRET: &str = "Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt";
pub const LEGACY_SHA256: &str = "590927c82df032e8860d1deca3bbcb17d8377a2a7837b83b4fe0c30d3990b6a0";

pub const HOUR: u64 = 3600;

pub fn create(f: &Fixture, user: u64, expires_at: Option<u64>) -> NewToken {
    f.engine
        .create_token(user, "api", ["*"], expires_at)
        .expect("create token")
}

pub fn authenticates(engine: &Engine, text: &str) -> bool {
    engine
        .authenticate_token(text)
        .expect("authenticate")
        .is_some()
}

pub fn lookups(engine: &Engine) -> u64 {
    engine.stats().expect("stats").lookups
}

pub fn commits(engine: &Engine) -> u64 {
    engine.stats().expect("stats").write_commits
}

pub fn err_token(e: Error) -> TokenError {
    match e {
        Error::Token(t) => t,
        other => panic!("expected a token error, got {other:?}"),
    }
}

/// Bit-at-a-time CRC-32 (IEEE), written independently of the library's
/// table-driven one.
pub fn crc32b(bytes: &[u8]) -> String {
    let mut crc = u32::MAX;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    format!("{:08x}", !crc)
}

/// Close the fixture's engine and open the same file with a changed config.
pub fn reopen_with(f: Fixture, adjust: impl FnOnce(&mut Config)) -> Fixture {
    f.reopen_with(adjust)
}

pub fn import_vector(f: &Fixture, sha256: &str) {
    f.engine
        .import_sanctum_token(17, 5, "imported", sha256, ["read"], T0 - 100, None, None)
        .expect("import");
}
