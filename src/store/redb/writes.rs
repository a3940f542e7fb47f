//! Writes: each record changes together with its index rows, and an index
//! row moves only when its key changed, so a write rewrites as few pages as
//! it can.

use redb::WriteTransaction;

use super::session_tables::SessionTables;
use super::tables::{
    CREDENTIALS, CREDENTIALS_BY_USER, LAST_TOKEN_ID, META, REMEMBER, REMEMBER_BY_EXPIRY,
    REMEMBER_BY_USER, SESSIONS_BY_ACTIVITY, THROTTLE, THROTTLE_BY_WINDOW, TOKEN_LIMITS, TOKENS,
    TOKENS_BY_CREATED, TOKENS_BY_DIGEST, TOKENS_BY_EXPIRY, TOKENS_BY_USER, digest_index, id_index,
};
use crate::error::Result;
use crate::secret::Digest;
use crate::store::changes::{Changed, note_changed};
use crate::store::record::{
    CredentialRecord, LimitsRecord, RememberRecord, SessionRecord, TokenRecord, encode,
};
use crate::store::summary::Counter;
use crate::store::{Reads, RowKey, TimeIndex, Writes};

impl Writes for WriteTransaction {
    fn insert_session(&self, digest: &Digest, record: &SessionRecord) -> Result<()> {
        SessionTables::open(self)?.insert(digest, record)
    }

    fn remove_session(&self, digest: &Digest, record: &SessionRecord) -> Result<()> {
        SessionTables::open(self)?.remove(digest, record)
    }

    fn remove_sessions(&self, doomed: &[(Digest, SessionRecord)]) -> Result<()> {
        SessionTables::open(self)?.remove_many(doomed)
    }

    fn replace_session(
        &self,
        digest: &Digest,
        old: &SessionRecord,
        new: &SessionRecord,
    ) -> Result<()> {
        SessionTables::open(self)?.replace(digest, old, new)
    }

    fn insert_token(&self, id: u64, record: &TokenRecord) -> Result<()> {
        note_changed(Changed::Token(id));
        self.open_table(TOKENS)?
            .insert(id, encode(record)?.as_slice())?;
        self.open_table(TOKENS_BY_DIGEST)?
            .insert(&record.digest, id)?;
        self.open_table(TOKENS_BY_USER)?
            .insert((record.user_id, id), ())?;
        if let Some(expires_at) = record.expires_at {
            self.open_table(TOKENS_BY_EXPIRY)?
                .insert((expires_at, id), ())?;
        }
        self.open_table(TOKENS_BY_CREATED)?
            .insert((record.created_at, id), ())?;
        Ok(())
    }

    fn remove_token(&self, id: u64, record: &TokenRecord) -> Result<()> {
        note_changed(Changed::Token(id));
        self.open_table(TOKENS)?.remove(id)?;
        self.open_table(TOKENS_BY_DIGEST)?.remove(&record.digest)?;
        self.open_table(TOKENS_BY_USER)?
            .remove((record.user_id, id))?;
        if let Some(expires_at) = record.expires_at {
            self.open_table(TOKENS_BY_EXPIRY)?
                .remove((expires_at, id))?;
        }
        self.open_table(TOKENS_BY_CREATED)?
            .remove((record.created_at, id))?;
        self.open_table(TOKEN_LIMITS)?.remove(id)?;
        Ok(())
    }

    fn set_token_last_used(&self, id: u64, record: &TokenRecord) -> Result<()> {
        note_changed(Changed::Token(id));
        self.open_table(TOKENS)?
            .insert(id, encode(record)?.as_slice())?;
        Ok(())
    }

    fn put_token_limits(&self, id: u64, limits: Option<&LimitsRecord>) -> Result<()> {
        note_changed(Changed::Token(id));
        let mut table = self.open_table(TOKEN_LIMITS)?;
        match limits {
            Some(limits) => table.insert(id, encode(limits)?.as_slice())?,
            None => table.remove(id)?,
        };
        Ok(())
    }

    fn touch(&self, sessions: &[(Digest, u64)], tokens: &[(u64, u64)]) -> Result<usize> {
        let mut moved = 0;
        let mut tables = SessionTables::open(self)?;
        for &(digest, touched_at) in sessions {
            let Some(old) = tables.get(&digest)? else {
                continue; // deleted since
            };
            if touched_at > old.last_activity {
                let new = SessionRecord {
                    last_activity: touched_at,
                    ..old.clone()
                };
                tables.replace(&digest, &old, &new)?;
                moved += 1;
            }
        }
        drop(tables);
        for &(id, used_at) in tokens {
            let Some(mut record) = self.token(id)? else {
                continue; // revoked or pruned since
            };
            if record.last_used_at.is_none_or(|stored| stored < used_at) {
                record.last_used_at = Some(used_at);
                self.set_token_last_used(id, &record)?;
                moved += 1;
            }
        }
        Ok(moved)
    }

    fn raise_last_token_id(&self, id: u64) -> Result<()> {
        // Compared with the recorded id alone: the token `id` itself may
        // already be stored in this transaction.
        let recorded = self
            .meta(LAST_TOKEN_ID)?
            .and_then(|value| value.parse::<u64>().ok());
        if recorded.is_none_or(|recorded| id > recorded) {
            self.set_meta(LAST_TOKEN_ID, &id.to_string())?;
        }
        Ok(())
    }

    fn put_credential(&self, login: &str, record: &CredentialRecord) -> Result<()> {
        self.open_table(CREDENTIALS)?
            .insert(login, encode(record)?.as_slice())?;
        self.open_table(CREDENTIALS_BY_USER)?
            .insert(record.user_id, login)?;
        Ok(())
    }

    fn remove_credential(&self, login: &str) -> Result<()> {
        self.open_table(CREDENTIALS)?.remove(login)?;
        Ok(())
    }

    fn put_throttle(&self, key: &Digest, old: Option<Counter>, new: Counter) -> Result<()> {
        let mut by_window = self.open_table(THROTTLE_BY_WINDOW)?;
        if let Some(old) = old {
            by_window.remove((old.window_start, *key))?;
        }
        self.open_table(THROTTLE)?
            .insert(key, (new.attempts, new.window_start))?;
        by_window.insert((new.window_start, *key), ())?;
        Ok(())
    }

    fn remove_throttle(&self, key: &Digest, old: Counter) -> Result<()> {
        self.open_table(THROTTLE)?.remove(key)?;
        self.open_table(THROTTLE_BY_WINDOW)?
            .remove((old.window_start, *key))?;
        Ok(())
    }

    fn insert_remember(&self, selector: &Digest, record: &RememberRecord) -> Result<()> {
        self.open_table(REMEMBER)?
            .insert(selector, encode(record)?.as_slice())?;
        self.open_table(REMEMBER_BY_USER)?
            .insert((record.user_id, *selector), ())?;
        self.open_table(REMEMBER_BY_EXPIRY)?
            .insert((record.expires_at, *selector), ())?;
        Ok(())
    }

    fn remove_remember(&self, selector: &Digest, record: &RememberRecord) -> Result<()> {
        self.open_table(REMEMBER)?.remove(selector)?;
        self.open_table(REMEMBER_BY_USER)?
            .remove((record.user_id, *selector))?;
        self.open_table(REMEMBER_BY_EXPIRY)?
            .remove((record.expires_at, *selector))?;
        Ok(())
    }

    fn refile_activity(&self, through: (u64, Digest), alive: &[(Digest, u64)]) -> Result<()> {
        // The one table it changes, not all four of `SessionTables`.
        let mut by_activity = self.open_table(SESSIONS_BY_ACTIVITY)?;
        // A range removal rewrites each leaf once, not once a row.
        by_activity.retain_in(..=through, |_, _| false)?;
        for (digest, activity) in alive {
            by_activity.insert((*activity, *digest), ())?;
        }
        Ok(())
    }

    fn unindex(&self, index: TimeIndex, time: u64, key: RowKey) -> Result<()> {
        match (digest_index(index), key) {
            (Some(table), RowKey::Digest(digest)) => {
                self.open_table(table)?.remove((time, digest))?;
            }
            (None, RowKey::Id(id)) => {
                self.open_table(id_index(index))?.remove((time, id))?;
            }
            _ => {}
        }
        Ok(())
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.open_table(META)?.insert(key, value)?;
        Ok(())
    }

    fn remove_meta(&self, key: &str) -> Result<()> {
        self.open_table(META)?.remove(key)?;
        Ok(())
    }
}
