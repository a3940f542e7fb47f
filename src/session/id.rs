//! Session ids that begin with the minute they were drawn, so that the
//! records of sessions started together sit side by side in the file.
//!
//! Sessions mostly expire in the order they started, so GC then deletes
//! neighbouring records, a few pages a batch, rather than records spread
//! over every page of a large file (100k expired of 1M: ~0.5 s against
//! ~1.8 s).
//!
//! An id keeps Laravel's shape, 40 characters of `[A-Za-z0-9]`: six
//! base-62 digits of the unix minute, then 34 random characters (~202
//! bits). Its key, the only form stored, is the first six characters read
//! as a base-62 number (modulo 2^32, 4 bytes big-endian) followed by the
//! first 28 bytes of the id's SHA-256. Every well-formed id has such a key,
//! an imported Laravel id too (its first characters are merely random), so
//! the key is a function of the id alone. Sessions stored before ids
//! carried their minute are filed under the plain SHA-256 (see
//! [`LEGACY_KEYS_BEFORE`]).

use crate::error::Result;
use crate::secret::{ALPHABET, Digest, RANDOM_LEN, is_alnum_of_len, random_alnum, sha256};

/// Characters of an id that spell its minute.
const MINUTE_LEN: usize = 6;

/// `meta` key present while the store may still hold sessions filed under
/// the plain SHA-256 of their id: its value is the unix second before
/// which every such session was created. GC removes it once no stored
/// session is that old.
pub(crate) const LEGACY_KEYS_BEFORE: &str = "legacy_session_keys_before";

/// A fresh session id drawn at unix second `now`.
pub(crate) fn new_session_id(now: u64) -> Result<String> {
    let mut minute = now / 60;
    let mut id = [0u8; RANDOM_LEN];
    for digit in id[..MINUTE_LEN].iter_mut().rev() {
        *digit = ALPHABET[(minute % 62) as usize];
        minute /= 62;
    }
    id[MINUTE_LEN..].copy_from_slice(&random_alnum::<{ RANDOM_LEN - MINUTE_LEN }>()?);
    Ok(id.iter().map(|&c| char::from(c)).collect())
}

/// The key of a well-formed session id; `None` for anything else, which
/// callers treat as "no session" without reading a table.
pub(crate) fn session_digest(id: &str) -> Option<Digest> {
    if !is_alnum_of_len(id, RANDOM_LEN) {
        return None;
    }
    let bytes = id.as_bytes();
    let minute = bytes[..MINUTE_LEN]
        .iter()
        .fold(0u64, |n, &c| n * 62 + base62_value(c));
    let mut key = [0u8; 32];
    key[..4].copy_from_slice(&(minute as u32).to_be_bytes());
    key[4..].copy_from_slice(&sha256(bytes)[..28]);
    Some(key)
}

/// The key a session stored before ids carried their minute has.
pub(crate) fn legacy_digest(id: &str) -> Digest {
    sha256(id.as_bytes())
}

/// The value of one character of [`ALPHABET`] (the caller checked it is
/// alphanumeric).
fn base62_value(c: u8) -> u64 {
    u64::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        _ => c.wrapping_sub(b'0') + 52,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_has_laravels_shape_and_starts_with_its_minute() {
        let id = new_session_id(1_700_000_000).expect("id");
        assert!(is_alnum_of_len(&id, RANDOM_LEN));
        let key = session_digest(&id).expect("well formed");
        assert_eq!(u32::from_be_bytes(key[..4].try_into().unwrap()), 28_333_333);
        assert_eq!(&key[4..], &sha256(id.as_bytes())[..28]);
    }

    #[test]
    fn later_minutes_sort_after_earlier_ones_and_one_minute_shares_a_prefix() {
        let keys: Vec<Digest> = [
            0,
            59,
            60,
            3_600,
            1_699_999_980,
            1_700_000_039,
            4_000_000_000,
        ]
        .iter()
        .map(|&at| session_digest(&new_session_id(at).expect("id")).expect("key"))
        .collect();
        assert_eq!(keys[0][..4], keys[1][..4], "one minute, one prefix");
        assert_eq!(keys[4][..4], keys[5][..4], "one minute, one prefix");
        for pair in [(1, 2), (2, 3), (3, 4), (5, 6)] {
            assert!(keys[pair.0][..4] < keys[pair.1][..4], "{pair:?}");
        }
    }

    #[test]
    fn every_character_reads_as_its_place_in_the_alphabet() {
        for (place, &c) in ALPHABET.iter().enumerate() {
            assert_eq!(base62_value(c), place as u64);
        }
    }

    #[test]
    fn two_draws_in_one_minute_differ() {
        let a = new_session_id(1_700_000_000).expect("id");
        let b = new_session_id(1_700_000_000).expect("id");
        assert_eq!(a[..MINUTE_LEN], b[..MINUTE_LEN]);
        assert_ne!(a, b);
        assert_ne!(session_digest(&a), session_digest(&b));
    }

    #[test]
    fn a_laravel_id_has_a_key_and_a_malformed_one_has_none() {
        let laravel = "aB3dE5gH7jK9mN1pQ2sT4vW6yZ8bC0dF2hJ4kL6n";
        let key = session_digest(laravel).expect("any 40 alphanumerics");
        assert_eq!(&key[4..], &sha256(laravel.as_bytes())[..28]);
        assert_ne!(key, legacy_digest(laravel));
        for bad in [
            "",
            "short",
            &"a".repeat(41),
            &format!("{}-", "a".repeat(39)),
        ] {
            assert_eq!(session_digest(bad), None, "{bad:?}");
        }
        assert_eq!(session_digest(&format!("{}é", "a".repeat(38))), None);
    }
}
