//! Password hashing: argon2id PHC strings made with the configured costs,
//! their verification (counted, so tests can prove a verification ran), the
//! check that says when a stored hash is due for a rehash, and the dummy hash
//! an unknown login is verified against.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{self, PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::engine::{Core, Counters};
use crate::error::{CredentialError, Error, Result};
use crate::secret::{RANDOM_LEN, random_alnum, random_bytes};

/// Salt length: the 16 bytes argon2's authors and OWASP recommend.
const SALT_LEN: usize = 16;

/// Argon2id cost parameters for new password hashes. The default is OWASP's
/// recommendation (m=19456 KiB, t=2, p=1). Hashes stored with other costs
/// are rehashed on the next successful login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordParams {
    /// Memory in KiB; at least 8 × `p_cost`.
    pub m_cost: u32,
    /// Passes over the memory; at least 1.
    pub t_cost: u32,
    /// Lanes; 1 to 2^24 - 1.
    pub p_cost: u32,
}

impl PasswordParams {
    /// OWASP's argon2id recommendation: 19 MiB, two passes, one lane.
    pub const OWASP: PasswordParams = PasswordParams::new(19_456, 2, 1);

    /// Costs in argon2's units; checked when the engine opens.
    pub const fn new(m_cost: u32, t_cost: u32, p_cost: u32) -> Self {
        Self {
            m_cost,
            t_cost,
            p_cost,
        }
    }

    /// argon2's own validation of the three costs.
    pub(crate) fn to_argon2(self) -> Result<Params, argon2::Error> {
        Params::new(self.m_cost, self.t_cost, self.p_cost, None)
    }
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// Hash `password` into an argon2id v19 PHC string with a fresh random salt.
pub(crate) fn hash_password(params: PasswordParams, password: &[u8]) -> Result<String> {
    let hashing = |e: &dyn std::fmt::Display| CredentialError::Hashing(e.to_string());
    let params = params.to_argon2().map_err(|e| hashing(&e))?;
    let salt = random_bytes::<SALT_LEN>()?;
    let phc = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_with_salt(password, &salt)
        .map_err(|e| hashing(&e))?;
    Ok(phc.to_string())
}

/// A stored hash that does not parse or verify is a damaged record. The
/// detail is argon2's message, which never quotes the hash.
fn corrupt(e: &dyn std::fmt::Display) -> Error {
    Error::Corrupt {
        table: "credentials",
        detail: format!("stored password hash unusable: {e}"),
    }
}

/// Whether `password` matches the PHC string, using the costs recorded in
/// the string. The output comparison is constant time (`phc::Output`'s eq).
fn verify_phc(password: &[u8], phc: &str) -> Result<bool> {
    let parsed = PasswordHash::new(phc).map_err(|e| corrupt(&e))?;
    match Argon2::default().verify_password(password, &parsed) {
        Ok(()) => Ok(true),
        Err(password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(corrupt(&e)),
    }
}

/// True when `phc` was not made by argon2id v19 with exactly `params` and the
/// default output length: a successful login should store a fresh hash.
pub(crate) fn needs_rehash(phc: &str, params: PasswordParams) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let cost = |name: &str| parsed.params.get_decimal(name);
    parsed.algorithm.as_str() != "argon2id"
        || parsed.version != Some(Version::V0x13.into())
        || cost("m") != Some(params.m_cost)
        || cost("t") != Some(params.t_cost)
        || cost("p") != Some(params.p_cost)
        || parsed.hash.as_ref().map(|h| h.len()) != Some(Params::DEFAULT_OUTPUT_LEN)
}

impl Core {
    /// Verify `password` against `phc`, counting the verification.
    pub(crate) fn verify_password_hash(&self, password: &[u8], phc: &str) -> Result<bool> {
        Counters::add(&self.counters.password_verifications, 1);
        verify_phc(password, phc)
    }

    /// The hash an unknown login is verified against: a random password
    /// hashed with the configured costs, so that its verification costs what
    /// a real one does. Made once per engine, on first use.
    pub(crate) fn dummy_phc(&self) -> Result<&str> {
        if let Some(phc) = self.dummy_phc.get() {
            return Ok(phc);
        }
        let secret = random_alnum::<RANDOM_LEN>()?;
        let phc = hash_password(self.config.argon2, &secret)?;
        Ok(self.dummy_phc.get_or_init(|| phc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: PasswordParams = PasswordParams::new(64, 1, 1);

    #[test]
    fn hash_round_trips_and_rejects_a_wrong_password() {
        let phc = hash_password(FAST, b"correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(verify_phc(b"correct horse", &phc).expect("verify"));
        assert!(!verify_phc(b"correct hors", &phc).expect("verify"));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_salt() {
        let a = hash_password(FAST, b"pw").expect("hash");
        let b = hash_password(FAST, b"pw").expect("hash");
        assert_ne!(a, b);
    }

    #[test]
    fn rehash_is_due_exactly_when_a_cost_differs() {
        let phc = hash_password(FAST, b"pw").expect("hash");
        assert!(!needs_rehash(&phc, FAST));
        assert!(needs_rehash(&phc, PasswordParams::new(128, 1, 1)));
        assert!(needs_rehash(&phc, PasswordParams::new(64, 2, 1)));
        assert!(needs_rehash(&phc, PasswordParams::new(64, 1, 2)));
        assert!(needs_rehash("not a phc string", FAST));
    }

    #[test]
    fn an_unparsable_stored_hash_is_corrupt_and_the_message_hides_it() {
        let err = verify_phc(b"pw", "$argon2id$v=19$m=64,t=1,p=1$@@@").expect_err("unparsable");
        assert!(matches!(
            err,
            Error::Corrupt {
                table: "credentials",
                ..
            }
        ));
        assert!(!err.to_string().contains("@@@"));
    }

    #[test]
    fn invalid_costs_are_refused_by_argon2() {
        assert!(PasswordParams::new(4, 1, 1).to_argon2().is_err());
        assert!(PasswordParams::new(64, 0, 1).to_argon2().is_err());
        assert!(PasswordParams::new(64, 1, 0).to_argon2().is_err());
        assert!(PasswordParams::OWASP.to_argon2().is_ok());
    }
}
