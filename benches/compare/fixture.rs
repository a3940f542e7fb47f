//! The data every system is loaded with: session seeds (made by authkv, then
//! copied into the peers with the same ids), personal access tokens minted
//! here in Sanctum's format, Laravel-shaped session payloads, and the small
//! encoders (hex, base64, CRC-32) that these need.

use sha2::{Digest as _, Sha256};

/// Client address recorded on every session.
pub const IP: &str = "203.0.113.9";
/// Client user agent recorded on every session.
pub const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// A logged-in session as every system stores it.
#[derive(Clone, Debug)]
pub struct SessionSeed {
    /// The cookie value (40 characters of `[A-Za-z0-9]`).
    pub id: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// The logged-in user.
    pub user_id: u64,
    /// Unix seconds of creation and last activity.
    pub at: u64,
}

/// A personal access token as every system stores it.
#[derive(Clone, Debug)]
pub struct TokenSeed {
    /// The row id (the part before `|`).
    pub id: u64,
    /// What the client sends: `{id}|{40 chars}{crc32b}`.
    pub plain: String,
    /// SHA-256 hex of everything after `|` (Sanctum's `token` column).
    pub digest_hex: String,
    /// The owner.
    pub user_id: u64,
    /// Unix seconds of creation and of the last use.
    pub at: u64,
}

/// `n` characters of `[A-Za-z0-9]` from the OS random source, drawn without
/// modulo bias (bytes of 248 and above are thrown away), as authkv and
/// Laravel draw session ids.
pub fn random_alnum(n: usize) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(n);
    let mut pool = [0u8; 64];
    while out.len() < n {
        getrandom::fill(&mut pool).expect("the OS random source is available");
        for &byte in pool.iter().filter(|&&b| b < 248) {
            if out.len() == n {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(byte % 62)]));
        }
    }
    out
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// SHA-256 of `text` as lowercase hex: how the peers store ids and tokens.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Equality of two equal-length strings that does not stop at the first
/// difference (PHP's `hash_equals`).
pub fn hash_equals(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// CRC-32 (the IEEE polynomial, reflected), as PHP's `crc32b`.
fn crc32b(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Standard base64 with padding, as PHP's `base64_encode`.
pub fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The `payload` column Laravel writes for a session: base64 of the
/// serialized attributes, here the CSRF token and, when logged in, the
/// `login_web_<sha1>` key. authkv keeps the same two facts in fields.
pub fn laravel_payload(csrf: &str, user_id: Option<u64>) -> String {
    let serialized = match user_id {
        Some(user) => format!(
            "a:2:{{s:6:\"_token\";s:40:\"{csrf}\";\
             s:50:\"login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d\";i:{user};}}"
        ),
        None => format!("a:1:{{s:6:\"_token\";s:40:\"{csrf}\";}}"),
    };
    base64(serialized.as_bytes())
}

/// `n` tokens with ids `1..=n`, owned by users `1..=n`, last used at `at`.
pub fn mint_tokens(n: usize, at: u64) -> Vec<TokenSeed> {
    (1..=n as u64)
        .map(|id| {
            let random = random_alnum(40);
            let secret = format!("{random}{:08x}", crc32b(random.as_bytes()));
            TokenSeed {
                id,
                plain: format!("{id}|{secret}"),
                digest_hex: sha256_hex(&secret),
                user_id: id,
                at,
            }
        })
        .collect()
}

/// Split `{id}|{secret}` the way Sanctum's guard does: a digits-only id and
/// a non-empty secret, else nothing.
pub fn split_token(text: &str) -> Option<(u64, &str)> {
    let (id, secret) = text.split_once('|')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || secret.is_empty() {
        return None;
    }
    Some((id.parse().ok()?, secret))
}

/// Check the encoders against PHP's known outputs; run at start-up, since a
/// `harness = false` target has no unit tests.
pub fn self_check() {
    assert_eq!(
        crc32b(b"The quick brown fox jumps over the lazy dog"),
        0x414f_a339,
        "crc32b matches PHP"
    );
    assert_eq!(base64(b"Man"), "TWFu", "base64 of a full group");
    assert_eq!(base64(b"Ma"), "TWE=", "base64 with one pad");
    assert_eq!(base64(b"M"), "TQ==", "base64 with two pads");
    assert_eq!(split_token("12|abc"), Some((12, "abc")), "token split");
    assert_eq!(split_token("x|abc"), None, "non-digit id refused");
}
