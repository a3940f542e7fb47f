//! Personal access tokens with Sanctum's semantics: mint, authenticate (with
//! the checksum checked before any read), throttled `last_used_at`, list and
//! revoke per user. Rows from Laravel's `personal_access_tokens` are
//! imported by `import`. Only the SHA-256 of a token's secret is stored.

pub(crate) mod ability;
pub(crate) mod admission;
pub(crate) mod auth;
pub(crate) mod format;
pub(crate) mod limits;
pub(crate) mod prune;

use crate::engine::{Core, Engine, Touch};
use crate::error::{Error, Result, TokenError};
use crate::secret::{Digest, ct_eq, secret_string, sha256};
use crate::store::record::{LimitsRecord, TokenRecord};
use crate::store::{Reads, Writes};
use crate::token::ability::Abilities;
use crate::token::format::{mint_secret, parse};

/// Longest token name, in bytes (Laravel's `string` column).
pub(crate) const MAX_TOKEN_NAME: usize = 255;
/// Most abilities one token may carry.
pub(crate) const MAX_ABILITIES: usize = 64;
/// Longest single ability, in bytes.
pub(crate) const MAX_ABILITY_LEN: usize = 255;

secret_string!(
    /// The plaintext of a new token, `{id}|{prefix}{40 chars}{crc32b}`: shown
    /// to its owner once and never stored. `Debug` never shows it.
    PlainTextToken
);

/// A token just created: its id and the plaintext to hand to the owner.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct NewToken {
    /// The token's id, also the part before `|` in the plaintext.
    pub id: u64,
    /// The plaintext; only its digest is stored, so it cannot be shown again.
    pub plain_text: PlainTextToken,
    /// What was stored, as [`Engine::user_tokens`] lists it.
    pub info: TokenInfo,
}

/// A token that authenticated: who it acts for and what it may do.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthenticatedToken {
    /// The token's id.
    pub id: u64,
    /// The user the token acts for.
    pub user_id: u64,
    /// What the token may do.
    pub abilities: Abilities,
}

impl AuthenticatedToken {
    /// Whether the token grants `ability` (exactly, or through `*`).
    pub fn can(&self, ability: &str) -> bool {
        self.abilities.can(ability)
    }

    /// Whether the token lacks `ability`.
    pub fn cant(&self, ability: &str) -> bool {
        self.abilities.cant(ability)
    }

    /// Whether the token grants every one of `abilities`.
    pub fn can_all<S: AsRef<str>>(&self, abilities: &[S]) -> bool {
        self.abilities.can_all(abilities)
    }

    /// Whether the token grants at least one of `abilities`.
    pub fn can_any<S: AsRef<str>>(&self, abilities: &[S]) -> bool {
        self.abilities.can_any(abilities)
    }
}

/// One of a user's tokens, as a "your tokens" page shows it. Never carries
/// the secret or its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenInfo {
    /// The token's id: usable with [`Engine::revoke_token`].
    pub id: u64,
    /// The name given at creation.
    pub name: String,
    /// What the token may do.
    pub abilities: Abilities,
    /// Unix seconds at creation.
    pub created_at: u64,
    /// Unix seconds of the last use, including one not yet flushed.
    pub last_used_at: Option<u64>,
    /// Unix seconds after which the token stops working, if set.
    pub expires_at: Option<u64>,
    /// Whether the token no longer authenticates (its own `expires_at` or
    /// `Config::token_expiration` has passed); it stays listed until pruned.
    pub expired: bool,
}

/// Delete every token of `user_id` with all its rows; returns their ids so
/// the caller can drop pending touches after the commit.
pub(crate) fn revoke_user_tokens(txn: &dyn Writes, user_id: u64) -> Result<Vec<u64>> {
    let ids = txn.user_token_ids(user_id)?;
    for &id in &ids {
        let record = txn.token(id)?.ok_or_else(|| Error::Corrupt {
            table: "tokens_by_user",
            detail: format!("index row for missing token {id}"),
        })?;
        txn.remove_token(id, &record)?;
    }
    Ok(ids)
}

/// Refuse an id or a digest that is already stored.
pub(crate) fn ensure_token_free(txn: &dyn Reads, id: u64, digest: &Digest) -> Result<()> {
    if txn.token(id)?.is_some() {
        return Err(TokenError::DuplicateId { id }.into());
    }
    if let Some(existing) = txn.token_id(digest)? {
        return Err(TokenError::DuplicateDigest { id, existing }.into());
    }
    Ok(())
}

/// Check a name and abilities against the limits; collect the abilities.
pub(crate) fn validated<I, S>(name: &str, abilities: I) -> Result<Vec<String>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    if name.is_empty() {
        return Err(TokenError::EmptyName.into());
    }
    if name.len() > MAX_TOKEN_NAME {
        let len = name.len();
        return Err(TokenError::NameTooLong {
            len,
            max: MAX_TOKEN_NAME,
        }
        .into());
    }
    let mut list = Vec::new();
    let mut count = 0;
    for (index, ability) in abilities.into_iter().enumerate() {
        count += 1;
        if count > MAX_ABILITIES {
            continue; // only counted, for the error
        }
        let ability = ability.as_ref();
        if ability.is_empty() {
            return Err(TokenError::EmptyAbility { index }.into());
        }
        if ability.len() > MAX_ABILITY_LEN {
            let len = ability.len();
            return Err(TokenError::AbilityTooLong {
                index,
                len,
                max: MAX_ABILITY_LEN,
            }
            .into());
        }
        list.push(ability.to_owned());
    }
    if count > MAX_ABILITIES {
        return Err(TokenError::TooManyAbilities {
            count,
            max: MAX_ABILITIES,
        }
        .into());
    }
    Ok(list)
}

impl Core {
    /// Whether a token has expired at `now`. Its own `expires_at` counts as
    /// passed once `now > expires_at` (Sanctum: `expires_at->isPast()`);
    /// the global expiration once `created_at <= now - expiration` (Sanctum
    /// accepts only `created_at->gt(now()->subMinutes($expiration))`).
    pub(crate) fn token_expired(&self, created_at: u64, expires_at: Option<u64>, now: u64) -> bool {
        let own = expires_at.is_some_and(|expires_at| now > expires_at);
        let global = self.config.token_expiration.is_some_and(|expiration| {
            now.checked_sub(expiration.as_secs())
                .is_some_and(|cutoff| created_at <= cutoff)
        });
        own || global
    }

    /// `last_used_at` including a use not yet flushed.
    pub(crate) fn effective_last_used(&self, id: u64, record: &TokenRecord) -> Option<u64> {
        let pending = self.touches.lock().get(&Touch::Token(id)).copied();
        pending.max(record.last_used_at)
    }

    /// Note a use at `now` in memory when the last one is at least
    /// `touch_interval` old; the next flush writes it.
    fn touch_token(&self, id: u64, last_used_at: Option<u64>, now: u64) {
        let interval = self.config.touch_interval.as_secs();
        // A use written less than an interval ago settles it without the
        // lock: a pending one could only be newer still.
        if last_used_at.is_some_and(|last| now.saturating_sub(last) < interval) {
            return;
        }
        let mut touches = self.touches.lock();
        let pending = touches.get(&Touch::Token(id)).copied();
        let due = match pending.max(last_used_at) {
            None => true,
            Some(last) => now > last && now - last >= interval,
        };
        if due {
            touches.insert(Touch::Token(id), now);
        }
    }

    /// Drop pending uses of deleted tokens: nothing is left to write.
    pub(crate) fn forget_token_touches(&self, ids: &[u64]) {
        let mut touches = self.touches.lock();
        for &id in ids {
            touches.remove(&Touch::Token(id));
        }
    }

    fn token_info(&self, id: u64, record: TokenRecord, now: u64) -> TokenInfo {
        TokenInfo {
            id,
            last_used_at: self.effective_last_used(id, &record),
            expired: self.token_expired(record.created_at, record.expires_at, now),
            name: record.name,
            abilities: Abilities::new(record.abilities),
            created_at: record.created_at,
            expires_at: record.expires_at,
        }
    }
}

impl Engine {
    /// Create a personal access token for `user_id`. The id is one more
    /// than the highest id ever issued or imported, so a revoked id never
    /// comes back. The plaintext is returned once; only its digest is kept.
    ///
    /// # Errors
    /// [`TokenError::EmptyName`], [`TokenError::NameTooLong`] (over 255
    /// bytes), [`TokenError::TooManyAbilities`] (over 64),
    /// [`TokenError::EmptyAbility`], [`TokenError::AbilityTooLong`] (over
    /// 255 bytes): nothing is stored. [`Error::Storage`] when the commit fails.
    pub fn create_token<I, S>(
        &self,
        user_id: u64,
        name: &str,
        abilities: I,
        expires_at: Option<u64>,
    ) -> Result<NewToken>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.create_token_limited(user_id, name, abilities, expires_at, None)
    }

    /// [`Engine::create_token`], storing `limits` with the token.
    pub(crate) fn create_token_limited<I, S>(
        &self,
        user_id: u64,
        name: &str,
        abilities: I,
        expires_at: Option<u64>,
        limits: Option<&LimitsRecord>,
    ) -> Result<NewToken>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let abilities = validated(name, abilities)?;
        let core = &self.core;
        let now = core.now();
        let prefix = &core.config.token_prefix;
        let mut record = TokenRecord {
            user_id,
            name: name.to_owned(),
            abilities,
            created_at: now,
            last_used_at: None,
            expires_at,
            digest: [0; 32],
        };
        let (id, secret) = core.write(|txn| {
            let id = txn
                .last_token_id()?
                .checked_add(1)
                .ok_or(TokenError::IdsExhausted)?;
            // 238 random bits never collide in practice; a collision is
            // retried rather than allowed to shadow another token.
            let secret = loop {
                let secret = mint_secret(prefix)?;
                record.digest = sha256(secret.as_bytes());
                if txn.token_id(&record.digest)?.is_none() {
                    break secret;
                }
            };
            txn.insert_token(id, &record)?;
            if limits.is_some() {
                txn.put_token_limits(id, limits)?;
            }
            txn.raise_last_token_id(id)?;
            Ok((id, secret))
        })?;
        Ok(NewToken {
            id,
            plain_text: PlainTextToken::new(format!("{id}|{secret}")),
            info: core.token_info(id, record, now),
        })
    }

    /// Authenticate a token as a client sent it (`{id}|{secret}`, or a bare
    /// secret). Malformed text, a wrong checksum, a legacy token while
    /// `Config::allow_legacy_tokens` is off, an unknown id, a wrong secret
    /// and an expired token are all `Ok(None)`; the first three read no
    /// table. A use is noted in memory at most once per `touch_interval`.
    ///
    /// A token with limits (see [`Engine::create_token_with_limits`]) is
    /// counted against them in memory shared by every process on the file;
    /// nothing is written per request.
    ///
    /// # Errors
    /// [`TokenError::RateLimited`] or [`TokenError::QuotaExhausted`] for a
    /// valid token over its limits (HTTP 429); the request is not counted.
    /// [`Error::Storage`] or [`Error::Corrupt`] when the record cannot be
    /// read; never for bad input.
    pub fn authenticate_token(&self, text: &str) -> Result<Option<AuthenticatedToken>> {
        let core = &self.core;
        let config = &core.config;
        let Some(parsed) = parse(text, &config.token_prefix, config.allow_legacy_tokens) else {
            return Ok(None);
        };
        let digest = parsed.digest();
        let now = core.now();
        let id = match parsed.id {
            Some(id) => id,
            None => {
                core.count_lookup();
                let id = core.read(|txn| txn.token_id(&digest))?;
                let Some(id) = id else {
                    return Ok(None);
                };
                id
            }
        };
        core.count_lookup();
        let Some(auth) = core.token_auth(id)? else {
            return Ok(None);
        };
        if !ct_eq(&auth.digest, &digest)
            || core.token_expired(auth.created_at, auth.expires_at, now)
        {
            return Ok(None);
        }
        if let Some(limits) = &auth.limits {
            core.admit(id, limits, now)?;
        }
        core.touch_token(id, auth.last_used_at, now);
        Ok(Some(AuthenticatedToken {
            id,
            user_id: auth.user_id,
            abilities: auth.abilities,
        }))
    }

    /// Every stored token of `user_id`, oldest first, including expired
    /// ones not yet pruned (marked `expired`) so that they can be shown and
    /// revoked.
    ///
    /// # Errors
    /// [`Error::Storage`] or [`Error::Corrupt`] when a record cannot be read.
    pub fn user_tokens(&self, user_id: u64) -> Result<Vec<TokenInfo>> {
        let core = &self.core;
        let now = core.now();
        core.read(|txn| {
            let mut list = Vec::new();
            for id in txn.user_token_ids(user_id)? {
                core.count_lookup();
                let Some(record) = txn.token(id)? else {
                    continue;
                };
                list.push(core.token_info(id, record, now));
            }
            Ok(list)
        })
    }

    /// Delete one token. Returns whether it existed.
    ///
    /// # Errors
    /// [`Error::Storage`] or [`Error::Corrupt`] when the record cannot be
    /// read or the commit fails.
    pub fn revoke_token(&self, id: u64) -> Result<bool> {
        let core = &self.core;
        core.count_lookup();
        // An unknown id is answered from a read snapshot: no write
        // transaction, so no commit and no fsync.
        let stored = core.read(|txn| Ok(txn.token(id)?.is_some()))?;
        if !stored {
            return Ok(false);
        }
        let deleted = core.write(|txn| match txn.token(id)? {
            Some(record) => txn.remove_token(id, &record).map(|()| true),
            None => Ok(false),
        })?;
        core.forget_token_touches(&[id]);
        Ok(deleted)
    }

    /// Delete every token of `user_id` in one transaction. Returns how many.
    ///
    /// # Errors
    /// [`Error::Storage`] when the commit fails; then nothing is deleted.
    /// [`Error::Corrupt`] when an index row has no record.
    pub fn revoke_user_tokens(&self, user_id: u64) -> Result<usize> {
        let core = &self.core;
        let ids = core.write(|txn| revoke_user_tokens(txn, user_id))?;
        core.forget_token_touches(&ids);
        Ok(ids.len())
    }
}
