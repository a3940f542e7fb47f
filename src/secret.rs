//! Secrets: unbiased random identifiers from the OS, SHA-256 digests, and
//! constant-time comparison. Nothing here logs or formats a secret.

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

use crate::error::Error;

/// SHA-256 output: the only form in which a secret is ever stored.
pub(crate) type Digest = [u8; 32];

/// Length of session ids, CSRF tokens and token secrets (Laravel's 40).
pub(crate) const RANDOM_LEN: usize = 40;

/// The characters of ids and tokens, in the order base-62 digits count.
pub(crate) const ALPHABET: &[u8; 62] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Largest multiple of 62 that fits in a byte: bytes at or above it are
/// rejected so that every character is equally likely.
const REJECT_FROM: u8 = 248;

/// `N` characters of `[A-Za-z0-9]` from getrandom, by rejection sampling.
pub(crate) fn random_alnum<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    let mut filled = 0;
    let mut pool = [0u8; 64];
    while filled < N {
        getrandom::fill(&mut pool).map_err(|e| Error::Random(e.to_string()))?;
        for &byte in pool.iter().filter(|&&b| b < REJECT_FROM) {
            if filled == N {
                break;
            }
            out[filled] = ALPHABET[usize::from(byte % 62)];
            filled += 1;
        }
    }
    Ok(out)
}

/// `N` random bytes from getrandom (salts).
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| Error::Random(e.to_string()))?;
    Ok(out)
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> Digest {
    Sha256::digest(bytes).into()
}

/// Equality whose running time does not depend on where the inputs differ.
/// Inputs of different lengths are unequal (the length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// True when `s` is exactly `len` characters of `[A-Za-z0-9]`.
pub(crate) fn is_alnum_of_len(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Lowercase hex of a digest.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// Parse 64 hex characters (either case) into a digest.
pub(crate) fn digest_from_hex(s: &str) -> Option<Digest> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// Declare a string newtype that holds a secret: it is never shown by `Debug`
/// and compares in constant time.
macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            pub(crate) fn new(value: String) -> Self {
                Self(value)
            }

            /// The secret text. Handle with care: send it to its owner only.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                crate::secret::ct_eq(self.0.as_bytes(), other.0.as_bytes())
            }
        }

        impl Eq for $name {}
    };
}
pub(crate) use secret_string;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_alphanumeric_and_distinct() {
        let a = random_alnum::<40>().expect("random");
        let b = random_alnum::<40>().expect("random");
        assert!(a.iter().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn random_characters_cover_the_whole_alphabet_evenly() {
        let mut counts = [0u32; 128];
        for _ in 0..2000 {
            for c in random_alnum::<40>().expect("random") {
                counts[usize::from(c)] += 1;
            }
        }
        // 80,000 draws over 62 symbols: about 1290 each. A modulo bias of
        // 256 % 62 would give the first 8 symbols ~25% more.
        for &c in ALPHABET {
            let n = counts[usize::from(c)];
            assert!(
                (1100..1500).contains(&n),
                "symbol {} drawn {n} times",
                c as char
            );
        }
    }

    #[test]
    fn hex_round_trips_a_digest() {
        let d = sha256(b"abc");
        assert_eq!(
            to_hex(&d),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(digest_from_hex(&to_hex(&d)), Some(d));
        assert_eq!(digest_from_hex("zz"), None);
    }

    #[test]
    fn constant_time_equality_rejects_different_lengths() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(!ct_eq(b"", b"a"));
    }
}
