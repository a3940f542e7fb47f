//! Laravel's two tables as the library's rows: which columns each needs and
//! how each is checked. Error messages never quote a secret column (a
//! session id or payload, a token digest).

use authkv::{LaravelSession, SanctumToken};
use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::row::Row;
use crate::output::clean;

/// Columns a Sanctum CSV header must have.
pub const SANCTUM_COLUMNS: &[&str] = &[
    "id",
    "tokenable_type",
    "tokenable_id",
    "name",
    "token",
    "abilities",
    "created_at",
];

/// Columns a sessions CSV header must have.
pub const SESSION_COLUMNS: &[&str] = &["id", "payload", "last_activity"];

/// PHP's `base64_encode` alphabet; padding optional, as hand-edited or
/// re-encoded dumps may drop it.
const PAYLOAD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A Laravel `sessions` row.
pub fn session(row: &Row) -> Result<LaravelSession, String> {
    // Never echo id or payload: they are the cookie and the user's data.
    let id = row.required_text("id")?;
    if id.len() != 40 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("id is not a 40-character [A-Za-z0-9] session id".into());
    }
    let payload = PAYLOAD_BASE64
        .decode(row.required_text("payload")?)
        .map_err(|e| format!("payload is not base64: {e}"))?;
    Ok(LaravelSession {
        id: id.to_owned(),
        user_id: row.whole("user_id")?,
        ip: row.text("ip_address")?.unwrap_or_default().to_owned(),
        user_agent: row.text("user_agent")?.unwrap_or_default().to_owned(),
        payload,
        last_activity: row.required_whole("last_activity")?,
    })
}

/// A Sanctum `personal_access_tokens` row; every row must carry the
/// `tokenable_type` in `expected` (the first row's, when not chosen).
pub fn sanctum(row: &Row, expected: &mut Option<String>) -> Result<SanctumToken, String> {
    let kind = row.required_text("tokenable_type")?;
    match expected {
        None => *expected = Some(kind.to_owned()),
        Some(expected) if expected == kind => {}
        Some(expected) => {
            return Err(format!(
                "tokenable_type {:?} is not {:?}, the first row's or --tokenable-type's: \
                 authkv tokens belong to one kind of user",
                clean(kind),
                clean(expected)
            ));
        }
    }
    // Never echo the digest: with it a guessed token can be checked offline.
    let digest = row.required_text("token")?;
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("token is not 64 hex characters (Sanctum stores the sha256)".into());
    }
    Ok(SanctumToken {
        id: row.required_whole("id")?,
        user_id: row.required_whole("tokenable_id")?,
        name: row.required_text("name")?.to_owned(),
        sha256_hex: digest.to_owned(),
        abilities: row.abilities()?,
        created_at: row
            .timestamp("created_at")?
            .ok_or("created_at is missing or NULL")?,
        last_used_at: row.timestamp("last_used_at")?,
        expires_at: row.timestamp("expires_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::row::Cell;

    fn row(cells: &[(&str, &str)]) -> Row {
        let cells = cells
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Cell::Text((*v).to_owned())));
        Row {
            line: 1,
            cells: cells.collect(),
        }
    }

    #[test]
    fn session_errors_never_show_the_id_or_payload() {
        let secret = "s3cr3t".repeat(7);
        let e = session(&row(&[
            ("id", &secret),
            ("payload", ""),
            ("last_activity", "1"),
        ]))
        .expect_err("42 characters");
        assert!(!e.contains(&secret), "{e}");
        let id = "A".repeat(40);
        let e = session(&row(&[
            ("id", &id),
            ("payload", "s3cr3t!"),
            ("last_activity", "1"),
        ]))
        .expect_err("not base64");
        assert!(!e.contains(&id) && !e.contains("s3cr3t"), "{e}");
    }

    #[test]
    fn payloads_are_php_base64_with_or_without_padding() {
        let decode = |text: &str| PAYLOAD_BASE64.decode(text).ok();
        // PHP: base64_encode("\xfb\xff\x00\x10\x83")
        assert_eq!(decode("+/8AEIM="), Some(vec![0xfb, 0xff, 0x00, 0x10, 0x83]));
        assert_eq!(decode("Zm8"), Some(b"fo".to_vec()));
        assert_eq!(decode(""), Some(Vec::new()));
        for bad in ["Z", "Zm9v Yg==", "Zm9v\n", "Zm-_", "Zg===", "é"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
