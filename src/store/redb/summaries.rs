//! The guard's summaries read in place from stored bytes: no payload, name
//! or string is copied on a cache miss.

use crate::error::Result;
use crate::store::record::{ArchivedSessionRecord, ArchivedTokenRecord, access};
use crate::store::summary::TokenAuth;
use crate::store::summary::{SessionAuth, csrf_bytes};
use crate::token::ability::Abilities;

/// A session's summary from its stored, sealed record.
pub(crate) fn session_auth(bytes: &[u8]) -> Result<SessionAuth> {
    let archived = access::<ArchivedSessionRecord>("sessions", bytes)?;
    Ok(SessionAuth {
        user_id: archived.user_id.as_ref().map(|u| u.to_native()),
        csrf: csrf_bytes(archived.csrf.as_bytes())?,
        created_at: archived.created_at.to_native(),
        last_activity: archived.last_activity.to_native(),
        version: archived.version.to_native(),
        password_confirmed_at: archived
            .password_confirmed_at
            .as_ref()
            .map(|t| t.to_native()),
    })
}

/// A token's summary from its stored, sealed record.
pub(crate) fn token_auth(bytes: &[u8]) -> Result<TokenAuth> {
    let archived = access::<ArchivedTokenRecord>("tokens", bytes)?;
    Ok(TokenAuth {
        user_id: archived.user_id.to_native(),
        abilities: Abilities::new(archived.abilities.iter().map(|a| a.as_str())),
        created_at: archived.created_at.to_native(),
        last_used_at: archived.last_used_at.as_ref().map(|t| t.to_native()),
        expires_at: archived.expires_at.as_ref().map(|t| t.to_native()),
        digest: archived.digest,
        limits: None,
    })
}
