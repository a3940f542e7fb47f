//! Stored records, serialized with rkyv and sealed with a CRC-32C. Bytes
//! read from the file are checked against their checksum and then decoded
//! through rkyv's validation, so a damaged record is an [`Error::Corrupt`],
//! never another record's data and never undefined behaviour. The archive
//! format is unaligned, so values are read in place from redb's pages
//! without a copy.

use rkyv::api::high::{HighDeserializer, HighSerializer, HighValidator};
use rkyv::bytecheck::CheckBytes;
use rkyv::ser::allocator::ArenaHandle;
use rkyv::util::AlignedVec;
use rkyv::{Archive, Deserialize, Serialize, rancor};

use crate::error::Error;
use crate::secret::Digest;
use crate::store::redb::checksum;

/// A server-side session, keyed by a digest of its id (see `session::id`).
#[derive(Archive, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct SessionRecord {
    /// The authenticated user, once logged in.
    pub user_id: Option<u64>,
    /// Client ip address (at most `Config::max_ip` bytes).
    pub ip: String,
    /// Client user agent (truncated to `Config::max_user_agent` bytes).
    pub user_agent: String,
    /// Opaque application data.
    pub payload: Vec<u8>,
    /// The CSRF token bound to this session (40 characters).
    pub csrf: String,
    /// Unix seconds at creation (kept across id rotation).
    pub created_at: u64,
    /// Unix seconds of the last recorded activity.
    pub last_activity: u64,
    /// Bumped on every payload, user or CSRF change; never by a touch.
    pub version: u64,
    /// Unix seconds when the user last proved the password (at login or a
    /// confirmation); `None` for a guest or after logout.
    pub password_confirmed_at: Option<u64>,
}

/// A personal access token, keyed by its id. Holds the digest of the secret,
/// never the secret.
#[derive(Archive, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct TokenRecord {
    /// The user the token acts for.
    pub user_id: u64,
    /// A label chosen by its owner ("deploy script").
    pub name: String,
    /// What the token may do; `*` grants everything.
    pub abilities: Vec<String>,
    /// Unix seconds at creation.
    pub created_at: u64,
    /// Unix seconds of the last written use; a newer one may be pending.
    pub last_used_at: Option<u64>,
    /// Unix seconds after which the token no longer authenticates.
    pub expires_at: Option<u64>,
    /// SHA-256 of everything after `{id}|` in the plaintext.
    pub digest: [u8; 32],
}

impl std::fmt::Debug for TokenRecord {
    /// Leaves out the digest: it would let a guessed plaintext be checked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("abilities", &self.abilities)
            .field("created_at", &self.created_at)
            .field("last_used_at", &self.last_used_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A token's rate limit and usage quota, keyed by token id; only tokens
/// given limits have one.
#[derive(Archive, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LimitsRecord {
    /// At most `max` requests per `window` seconds.
    pub rate: Option<RateRecord>,
    /// Uses left, refilled every interval.
    pub quota: Option<QuotaRecord>,
    /// Random, new whenever the limits are set: counts kept for older
    /// limits are dropped.
    pub generation: u64,
}

/// A rate limit: `max` requests per `window` seconds.
#[derive(Archive, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateRecord {
    pub max: u64,
    pub window: u64,
}

/// A usage quota as last written: what was left at `refilled_at`'s
/// period, less the uses flushed since.
#[derive(Archive, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QuotaRecord {
    pub remaining: u64,
    /// What `remaining` is reset to at each refill.
    pub refill_amount: u64,
    /// Seconds between refills; 0 never refills.
    pub refill_interval: u64,
    /// Unix seconds the current period began (creation, the last change of
    /// limits, or the last refill written).
    pub refilled_at: u64,
}

/// A user's password credential, keyed by login.
#[derive(Archive, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct CredentialRecord {
    /// The user this login belongs to.
    pub user_id: u64,
    /// The argon2id PHC string.
    pub phc: String,
}

impl std::fmt::Debug for CredentialRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialRecord")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// One remembered device, keyed by the SHA-256 of its selector. The
/// selector is fixed for the device; the validator changes on every use.
#[derive(Archive, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct RememberRecord {
    /// The user the device logs in as.
    pub user_id: u64,
    /// SHA-256 of the current validator.
    pub validator: Digest,
    /// Unix seconds when the device was first remembered.
    pub created_at: u64,
    /// Unix seconds of the last rotation (equals `created_at` before any).
    pub rotated_at: u64,
    /// Unix seconds from which the token is no longer accepted.
    pub expires_at: u64,
}

/// Serialize and seal a record for storage.
pub(crate) fn encode<T>(record: &T) -> Result<Vec<u8>, Error>
where
    T: for<'a> Serialize<HighSerializer<AlignedVec, ArenaHandle<'a>, rancor::Error>>,
{
    rkyv::to_bytes::<rancor::Error>(record)
        .map(|bytes| checksum::seal(bytes.into_vec()))
        .map_err(|e| Error::Corrupt {
            table: "(encode)",
            detail: e.to_string(),
        })
}

/// The archived record inside stored `bytes` read from `table`, checked
/// against its checksum and validated, read in place.
pub(crate) fn access<'a, A>(table: &'static str, bytes: &'a [u8]) -> Result<&'a A, Error>
where
    A: rkyv::Portable + for<'b> CheckBytes<HighValidator<'b, rancor::Error>>,
{
    let record = checksum::open(bytes).map_err(|detail| Error::Corrupt { table, detail })?;
    rkyv::access::<A, rancor::Error>(record).map_err(|e| Error::Corrupt {
        table,
        detail: e.to_string(),
    })
}

/// Check, validate and decode a record read from `table`.
pub(crate) fn decode<T>(table: &'static str, bytes: &[u8]) -> Result<T, Error>
where
    T: Archive,
    T::Archived: for<'a> CheckBytes<HighValidator<'a, rancor::Error>>
        + Deserialize<T, HighDeserializer<rancor::Error>>,
{
    let archived = access::<T::Archived>(table, bytes)?;
    rkyv::deserialize::<T, rancor::Error>(archived).map_err(|e| Error::Corrupt {
        table,
        detail: e.to_string(),
    })
}

/// Validate and decode a session record read from table `sessions`.
pub(crate) fn decode_session(bytes: &[u8]) -> Result<SessionRecord, Error> {
    decode("sessions", bytes)
}

/// Validate and decode a token record read from table `tokens`.
pub(crate) fn decode_token(bytes: &[u8]) -> Result<TokenRecord, Error> {
    decode("tokens", bytes)
}

/// Validate and decode a limits record read from table `token_limits`.
pub(crate) fn decode_limits(bytes: &[u8]) -> Result<LimitsRecord, Error> {
    decode("token_limits", bytes)
}

/// Validate and decode a credential record read from table `credentials`.
pub(crate) fn decode_credential(bytes: &[u8]) -> Result<CredentialRecord, Error> {
    decode("credentials", bytes)
}

/// Validate and decode a remember-me record read from table `remember`.
pub(crate) fn decode_remember(bytes: &[u8]) -> Result<RememberRecord, Error> {
    decode("remember", bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SessionRecord {
        SessionRecord {
            user_id: Some(7),
            ip: "203.0.113.9".into(),
            user_agent: "Mozilla/5.0".into(),
            payload: b"{\"cart\":[1,2]}".to_vec(),
            csrf: "c".repeat(40),
            created_at: 1_000,
            last_activity: 1_060,
            version: 3,
            password_confirmed_at: None,
        }
    }

    #[test]
    fn session_record_round_trips() {
        let bytes = encode(&sample()).expect("encode");
        assert!(decode_session(&bytes).expect("decode") == sample());
    }

    #[test]
    fn decoding_works_at_any_alignment() {
        let bytes = encode(&sample()).expect("encode");
        let mut shifted = vec![0u8];
        shifted.extend_from_slice(&bytes);
        assert!(decode_session(&shifted[1..]).expect("decode") == sample());
    }

    #[test]
    fn any_flipped_byte_is_corrupt_never_other_data() {
        let bytes = encode(&sample()).expect("encode");
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x01;
            assert!(
                matches!(decode_session(&flipped), Err(Error::Corrupt { .. })),
                "byte {i}"
            );
        }
    }

    #[test]
    fn damaged_bytes_are_a_corrupt_error_not_a_panic() {
        let bytes = encode(&sample()).expect("encode");
        for cut in 0..bytes.len() {
            let _ = decode_session(&bytes[..cut]);
        }
        let mut flipped = bytes.clone();
        for i in 0..flipped.len() {
            flipped[i] ^= 0xff;
            let _ = decode_session(&flipped);
            flipped[i] ^= 0xff;
        }
        assert!(matches!(decode_session(&[]), Err(Error::Corrupt { .. })));
        assert!(matches!(
            decode_session(&[0xff; 7]),
            Err(Error::Corrupt { .. })
        ));
    }

    fn token_sample() -> TokenRecord {
        TokenRecord {
            user_id: 42,
            name: "deploy".into(),
            abilities: vec!["server:update".into(), "*".into()],
            created_at: 1_000,
            last_used_at: Some(1_500),
            expires_at: None,
            digest: [7; 32],
        }
    }

    #[test]
    fn token_record_round_trips_at_any_alignment() {
        let bytes = encode(&token_sample()).expect("encode");
        assert_eq!(decode_token(&bytes).expect("decode"), token_sample());
        let mut shifted = vec![0u8];
        shifted.extend_from_slice(&bytes);
        assert_eq!(decode_token(&shifted[1..]).expect("decode"), token_sample());
    }

    #[test]
    fn damaged_token_bytes_are_a_corrupt_error_not_a_panic() {
        let bytes = encode(&token_sample()).expect("encode");
        for cut in 0..bytes.len() {
            let _ = decode_token(&bytes[..cut]);
        }
        let mut flipped = bytes.clone();
        for i in 0..flipped.len() {
            flipped[i] ^= 0xff;
            let _ = decode_token(&flipped);
            flipped[i] ^= 0xff;
        }
        assert!(matches!(
            decode_token(&[]),
            Err(Error::Corrupt {
                table: "tokens",
                ..
            })
        ));
    }

    #[test]
    fn credential_and_remember_records_round_trip() {
        let credential = CredentialRecord {
            user_id: 9,
            phc: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA".into(),
        };
        let bytes = encode(&credential).expect("encode");
        assert!(decode_credential(&bytes).expect("decode") == credential);
        let remember = RememberRecord {
            user_id: 9,
            validator: [7; 32],
            created_at: 10,
            rotated_at: 20,
            expires_at: 30,
        };
        let bytes = encode(&remember).expect("encode");
        assert!(decode_remember(&bytes).expect("decode") == remember);
        assert!(matches!(
            decode_remember(&bytes[..3]),
            Err(Error::Corrupt {
                table: "remember",
                ..
            })
        ));
    }

    #[test]
    fn credential_debug_hides_the_hash() {
        let credential = CredentialRecord {
            user_id: 9,
            phc: "$argon2id$secret".into(),
        };
        let shown = format!("{credential:?}");
        assert!(shown.contains('9') && !shown.contains("argon2id"));
    }
}
