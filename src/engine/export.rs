//! Export of what an operator may see: sessions by public handle, tokens
//! by id, credentials by user and login. Nothing that authenticates, or that
//! would authenticate once loaded into another store, ever leaves: no
//! session id, CSRF token or payload, no token plaintext or token digest
//! (Sanctum stores exactly that digest), no password hash.

use std::ops::ControlFlow;

use crate::engine::{Core, Engine};
use crate::error::Result;
use crate::secret::to_hex;
use crate::store::Reads;
use crate::store::record::TokenRecord;
use crate::token::limits::TokenLimits;

/// A stored session without its secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportedSession {
    /// Hex of the session's stored key, a digest of its id: the public
    /// handle that [`Engine::revoke_session`] takes and "your devices"
    /// pages show.
    pub handle: String,
    /// The logged-in user, if any.
    pub user_id: Option<u64>,
    /// Client ip address recorded at creation.
    pub ip: String,
    /// Client user agent recorded at creation.
    pub user_agent: String,
    /// Unix seconds at creation.
    pub created_at: u64,
    /// Unix seconds of the last activity, including a pending touch.
    pub last_activity: u64,
}

/// A stored personal access token without its secret or digest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportedToken {
    /// The token's id.
    pub id: u64,
    /// The user the token acts for.
    pub user_id: u64,
    /// The name given at creation.
    pub name: String,
    /// What the token may do.
    pub abilities: Vec<String>,
    /// Unix seconds at creation.
    pub created_at: u64,
    /// Unix seconds of the last use, including one not yet flushed.
    pub last_used_at: Option<u64>,
    /// Unix seconds after which the token stops working, if set.
    pub expires_at: Option<u64>,
    /// Its rate limit and quota, `None` when it has neither; the quota's
    /// `remaining` as [`Engine::token_limits`] reports it (this host's
    /// uses not yet written counted).
    pub limits: Option<TokenLimits>,
}

/// A stored password credential: who signs in with which login. The hash
/// is never exported.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportedCredential {
    /// The user.
    pub user_id: u64,
    /// The login the user signs in with.
    pub login: String,
}

/// One record handed out by [`Engine::export`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exported {
    /// A session.
    Session(ExportedSession),
    /// A personal access token.
    Token(ExportedToken),
    /// A password credential.
    Credential(ExportedCredential),
}

impl Engine {
    /// Hand every stored session (ordered by handle), token (by id) and
    /// credential (by user id) to `visit`, from one consistent snapshot,
    /// without their secrets (see [`Exported`]). Sessions and tokens that
    /// have expired but were not yet collected are included: their times
    /// say so. `visit` returns [`ControlFlow::Break`] to stop early (say,
    /// when its output fails). Records are streamed, never collected, so a
    /// large file costs no memory.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the file cannot be read,
    /// [`crate::Error::Corrupt`] when a record cannot be decoded.
    pub fn export(&self, mut visit: impl FnMut(Exported) -> ControlFlow<()>) -> Result<()> {
        let core = &self.core;
        core.read(|txn| {
            let sessions = txn.each_session(&mut |(digest, record)| {
                let last_activity = core.effective_activity(&digest, &record);
                Ok(visit(Exported::Session(ExportedSession {
                    handle: to_hex(&digest),
                    user_id: record.user_id,
                    ip: record.ip,
                    user_agent: record.user_agent,
                    created_at: record.created_at,
                    last_activity,
                })))
            })?;
            if sessions.is_break() {
                return Ok(());
            }
            let now = core.now();
            let tokens = txn.each_token(&mut |(id, record)| {
                let token = exported_token(core, txn, id, record, now)?;
                Ok(visit(Exported::Token(token)))
            })?;
            if tokens.is_break() {
                return Ok(());
            }
            let _finished_or_stopped = txn.each_login(&mut |(user_id, login)| {
                Ok(visit(Exported::Credential(ExportedCredential {
                    user_id,
                    login,
                })))
            })?;
            Ok(())
        })
    }

    /// Token `id` as [`Engine::export`] hands it out (no secret, no
    /// digest), its limits included; `None` when no token has the id.
    ///
    /// # Errors
    /// [`crate::Error::Storage`] when the store cannot be read,
    /// [`crate::Error::Corrupt`] when a record cannot be decoded.
    pub fn export_token(&self, id: u64) -> Result<Option<ExportedToken>> {
        let core = &self.core;
        core.read(|txn| {
            let Some(record) = txn.token(id)? else {
                return Ok(None);
            };
            exported_token(core, txn, id, record, core.now()).map(Some)
        })
    }
}

/// A stored token without its secrets, read in `txn`; the quota's
/// `remaining` as of `now`, counting this host's uses not yet written.
fn exported_token(
    core: &Core,
    txn: &dyn Reads,
    id: u64,
    record: TokenRecord,
    now: u64,
) -> Result<ExportedToken> {
    let limits = txn.token_limits(id)?.map(|limits| {
        let remaining = core.quota_remaining(id, &limits, now);
        TokenLimits::of(&limits, remaining)
    });
    Ok(ExportedToken {
        id,
        user_id: record.user_id,
        last_used_at: core.effective_last_used(id, &record),
        name: record.name,
        abilities: record.abilities,
        created_at: record.created_at,
        expires_at: record.expires_at,
        limits,
    })
}
