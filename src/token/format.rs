//! The text of a personal access token: minting
//! `{id}|{prefix}{40 [A-Za-z0-9]}{crc32b}` and parsing what a client sends.
//! Parsing is strict and reads nothing: a token that cannot be genuine is
//! rejected here, before any table is touched.

use crate::crc32::crc32b_hex;
use crate::error::Result;
use crate::secret::{Digest, RANDOM_LEN, random_alnum, sha256};

/// Hex digits of the CRC-32 that ends a checksummed secret.
const CHECKSUM_LEN: usize = 8;

/// Most decimal digits of a u64 (`18446744073709551615`).
const MAX_ID_DIGITS: usize = 20;

/// A token as presented by a client, after the strict parse.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParsedToken<'a> {
    /// The id before `|`, when the client sent one.
    pub id: Option<u64>,
    /// Everything after `|` (or the whole text): what is hashed.
    pub secret: &'a str,
}

impl ParsedToken<'_> {
    /// SHA-256 of the secret: the form in which it is stored.
    pub(crate) fn digest(&self) -> Digest {
        sha256(self.secret.as_bytes())
    }
}

/// Parse `text` as `digits|secret` or a bare secret. The secret must be
/// `prefix` + 40 alphanumerics + their CRC-32 in lowercase hex, with a
/// matching checksum; or, when `allow_legacy`, the 40 alphanumerics alone
/// (Sanctum before checksums). Anything else is `None`.
pub(crate) fn parse<'a>(
    text: &'a str,
    prefix: &str,
    allow_legacy: bool,
) -> Option<ParsedToken<'a>> {
    let (id, secret) = match text.split_once('|') {
        Some((id, secret)) => (Some(parse_id(id)?), secret),
        None => (None, text),
    };
    let well_formed = checksum_matches(secret, prefix)
        || (allow_legacy && is_alnum(secret.as_bytes(), RANDOM_LEN));
    well_formed.then_some(ParsedToken { id, secret })
}

/// 1–20 ASCII digits that fit a u64 and are not 0 (ids start at 1).
/// No sign, no spaces; leading zeros are allowed, as `ctype_digit` allows
/// them in Sanctum's guard.
fn parse_id(text: &str) -> Option<u64> {
    let digits = text.as_bytes();
    if digits.is_empty() || digits.len() > MAX_ID_DIGITS || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    text.parse::<u64>().ok().filter(|&id| id != 0)
}

/// Whether `secret` is `prefix` + 40 alphanumerics + the lowercase hex
/// CRC-32 of those 40.
fn checksum_matches(secret: &str, prefix: &str) -> bool {
    let Some((head, rest)) = secret.as_bytes().split_at_checked(prefix.len()) else {
        return false;
    };
    if head != prefix.as_bytes() {
        return false;
    }
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN {
        return false;
    }
    let (random, checksum) = rest.split_at(RANDOM_LEN);
    is_alnum(random, RANDOM_LEN) && checksum == crc32b_hex(random).as_slice()
}

fn is_alnum(bytes: &[u8], len: usize) -> bool {
    bytes.len() == len && bytes.iter().all(u8::is_ascii_alphanumeric)
}

/// A new secret: `prefix` + 40 random alphanumerics + their CRC-32. The
/// plaintext handed out is `{id}|{secret}`.
pub(crate) fn mint_secret(prefix: &str) -> Result<String> {
    let random = random_alnum::<RANDOM_LEN>()?;
    let checksum = crc32b_hex(&random);
    let mut secret = String::with_capacity(prefix.len() + RANDOM_LEN + CHECKSUM_LEN);
    secret.push_str(prefix);
    secret.extend(random.iter().chain(&checksum).map(|&b| char::from(b)));
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR: &str = "Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf5";
    const LEGACY: &str = "Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt";

    fn parses(text: &str) -> bool {
        parse(text, "", false).is_some()
    }

    #[test]
    fn id_and_secret_are_split_at_the_first_bar() {
        let text = format!("17|{VECTOR}");
        let parsed = parse(&text, "", false).expect("valid");
        assert_eq!(
            parsed,
            ParsedToken {
                id: Some(17),
                secret: VECTOR
            }
        );
        let bare = parse(VECTOR, "", false).expect("valid");
        assert_eq!(
            bare,
            ParsedToken {
                id: None,
                secret: VECTOR
            }
        );
    }

    #[test]
    fn ids_must_be_plain_digits_that_fit_a_u64() {
        assert!(parses(&format!("00017|{VECTOR}")));
        assert!(parses(&format!("18446744073709551615|{VECTOR}")));
        for id in [
            "",
            "0",
            "000",
            "+17",
            "-1",
            " 17",
            "17 ",
            "1_7",
            "0x11",
            "١٧",
            "18446744073709551616",
            "000000000000000000017",
        ] {
            assert!(!parses(&format!("{id}|{VECTOR}")), "id {id:?}");
        }
    }

    #[test]
    fn the_checksum_must_match_the_random_part() {
        assert!(parses(VECTOR));
        let bytes = VECTOR.as_bytes();
        for i in 0..bytes.len() {
            for replacement in [b'A', b'z', b'0', b'f'] {
                if bytes[i] == replacement {
                    continue;
                }
                let mut changed = bytes.to_vec();
                changed[i] = replacement;
                let changed = String::from_utf8(changed).expect("ascii");
                assert!(!parses(&changed), "{changed}");
            }
        }
        let upper = format!("{LEGACY}6DFACDF5");
        assert!(!parses(&upper), "the checksum is lowercase hex");
    }

    #[test]
    fn the_configured_prefix_is_required() {
        let prefixed = format!("akv_{VECTOR}");
        assert!(parse(&prefixed, "akv_", false).is_some());
        assert!(parse(VECTOR, "akv_", false).is_none());
        assert!(parse(&prefixed, "", false).is_none());
        assert!(parse(&format!("akv-{VECTOR}"), "akv_", false).is_none());
    }

    #[test]
    fn legacy_secrets_need_the_flag() {
        assert!(parse(LEGACY, "", false).is_none());
        assert!(parse(LEGACY, "", true).is_some());
        assert!(parse(&format!("5|{LEGACY}"), "akv_", true).is_some());
        assert!(parse(&LEGACY[..39], "", true).is_none());
        assert!(parse(&format!("{LEGACY}x"), "", true).is_none());
        assert!(parse(&format!("{}-", &LEGACY[..39]), "", true).is_none());
    }

    #[test]
    fn multibyte_text_never_panics_and_never_parses() {
        for text in [
            "é".repeat(24),
            format!("{}é{}", &VECTOR[..39], &VECTOR[41..]),
            "1|é".into(),
        ] {
            assert!(parse(&text, "", true).is_none(), "{text}");
        }
    }

    #[test]
    fn minted_secrets_parse_and_carry_the_prefix() {
        for prefix in ["", "akv_"] {
            let secret = mint_secret(prefix).expect("random");
            assert_eq!(secret.len(), prefix.len() + 48);
            assert!(secret.starts_with(prefix));
            assert!(parse(&secret, prefix, false).is_some());
            assert!(parse(&format!("9|{secret}"), prefix, false).is_some());
        }
    }
}
