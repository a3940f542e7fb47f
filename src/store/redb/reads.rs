//! Reads, written once for read and write transactions alike.

use std::ops::ControlFlow;

use redb::{ReadableTable, ReadableTableMetadata};

use super::summaries;
use super::tables::{
    CREDENTIALS, CREDENTIALS_BY_USER, LAST_TOKEN_ID, META, OpenTables, REMEMBER, REMEMBER_BY_USER,
    SESSIONS, SESSIONS_BY_USER, THROTTLE, TOKEN_LIMITS, TOKENS, TOKENS_BY_DIGEST, TOKENS_BY_USER,
    digest_index, id_index,
};
use crate::error::{Error, Result};
use crate::secret::Digest;
use crate::store::record::{
    CredentialRecord, LimitsRecord, RememberRecord, SessionRecord, TokenRecord, decode_credential,
    decode_limits, decode_remember, decode_session, decode_token,
};
use crate::store::summary::Counter;
use crate::store::summary::SessionAuth;
use crate::store::summary::TokenAuth;
use crate::store::{Counts, Flow, Reads, RowKey, TimeIndex, Visit};

const ALL_DIGESTS: (Digest, Digest) = ([0u8; 32], [0xffu8; 32]);

impl<T: OpenTables> Reads for T {
    fn session(&self, digest: &Digest) -> Result<Option<SessionRecord>> {
        let table = self.table(SESSIONS)?;
        let bytes = table.get(digest)?;
        bytes.map(|bytes| decode_session(bytes.value())).transpose()
    }

    fn session_auth(&self, digest: &Digest) -> Result<Option<SessionAuth>> {
        let table = self.table(SESSIONS)?;
        let bytes = table.get(digest)?;
        bytes
            .map(|bytes| summaries::session_auth(bytes.value()))
            .transpose()
    }

    fn user_session_digests(&self, user_id: u64) -> Result<Vec<Digest>> {
        let by_user = self.table(SESSIONS_BY_USER)?;
        let (low, high) = ALL_DIGESTS;
        let mut digests = Vec::new();
        for row in by_user.range((user_id, low)..=(user_id, high))? {
            digests.push(row?.0.value().1);
        }
        Ok(digests)
    }

    fn token(&self, id: u64) -> Result<Option<TokenRecord>> {
        let table = self.table(TOKENS)?;
        let bytes = table.get(id)?;
        bytes.map(|bytes| decode_token(bytes.value())).transpose()
    }

    fn token_auth(&self, id: u64) -> Result<Option<TokenAuth>> {
        let table = self.table(TOKENS)?;
        let Some(bytes) = table.get(id)? else {
            return Ok(None);
        };
        let mut auth = summaries::token_auth(bytes.value())?;
        auth.limits = self.token_limits(id)?.map(std::sync::Arc::new);
        Ok(Some(auth))
    }

    fn token_limits(&self, id: u64) -> Result<Option<LimitsRecord>> {
        let table = self.table(TOKEN_LIMITS)?;
        let bytes = table.get(id)?;
        bytes.map(|bytes| decode_limits(bytes.value())).transpose()
    }

    fn token_id(&self, digest: &Digest) -> Result<Option<u64>> {
        let table = self.table(TOKENS_BY_DIGEST)?;
        let id = table.get(digest)?;
        Ok(id.map(|id| id.value()))
    }

    fn user_token_ids(&self, user_id: u64) -> Result<Vec<u64>> {
        let by_user = self.table(TOKENS_BY_USER)?;
        let mut ids = Vec::new();
        for row in by_user.range((user_id, 0)..=(user_id, u64::MAX))? {
            ids.push(row?.0.value().1);
        }
        Ok(ids)
    }

    fn last_token_id(&self) -> Result<u64> {
        let newest = self.table(TOKENS)?.last()?.map_or(0, |(id, _)| id.value());
        let handed_out = match self.meta(LAST_TOKEN_ID)? {
            None => 0,
            Some(value) => value.parse::<u64>().map_err(|_| Error::Corrupt {
                table: "meta",
                detail: format!("{LAST_TOKEN_ID} is not a number"),
            })?,
        };
        Ok(newest.max(handed_out))
    }

    fn credential(&self, login: &str) -> Result<Option<CredentialRecord>> {
        let table = self.table(CREDENTIALS)?;
        let bytes = table.get(login)?;
        bytes
            .map(|bytes| decode_credential(bytes.value()))
            .transpose()
    }

    fn login_of(&self, user_id: u64) -> Result<Option<String>> {
        let table = self.table(CREDENTIALS_BY_USER)?;
        let login = table.get(user_id)?;
        Ok(login.map(|login| login.value().to_owned()))
    }

    fn throttle(&self, key: &Digest) -> Result<Option<Counter>> {
        let table = self.table(THROTTLE)?;
        let row = table.get(key)?;
        Ok(row.map(|row| {
            let (attempts, window_start) = row.value();
            Counter {
                attempts,
                window_start,
            }
        }))
    }

    fn remember(&self, selector: &Digest) -> Result<Option<RememberRecord>> {
        let table = self.table(REMEMBER)?;
        let bytes = table.get(selector)?;
        bytes
            .map(|bytes| decode_remember(bytes.value()))
            .transpose()
    }

    fn user_remember_selectors(&self, user_id: u64) -> Result<Vec<Digest>> {
        let by_user = self.table(REMEMBER_BY_USER)?;
        let (low, high) = ALL_DIGESTS;
        let mut selectors = Vec::new();
        for row in by_user.range((user_id, low)..=(user_id, high))? {
            selectors.push(row?.0.value().1);
        }
        Ok(selectors)
    }

    fn due(&self, index: TimeIndex, upper: u64, limit: usize) -> Result<Vec<(u64, RowKey)>> {
        let mut rows = Vec::new();
        if let Some(definition) = digest_index(index) {
            let table = self.table(definition)?;
            for row in table.range(..=(upper, ALL_DIGESTS.1))?.take(limit) {
                let (time, digest) = row?.0.value();
                rows.push((time, RowKey::Digest(digest)));
            }
        } else {
            let table = self.table(id_index(index))?;
            for row in table.range(..=(upper, u64::MAX))?.take(limit) {
                let (time, id) = row?.0.value();
                rows.push((time, RowKey::Id(id)));
            }
        }
        Ok(rows)
    }

    fn due_sessions(
        &self,
        index: TimeIndex,
        upper: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Digest, Option<SessionRecord>)>> {
        let due = self.due(index, upper, limit)?;
        let records = self.table(SESSIONS)?;
        let mut rows = Vec::with_capacity(due.len());
        for (time, key) in due {
            if let RowKey::Digest(digest) = key {
                let bytes = records.get(&digest)?;
                let record = bytes.map(|b| decode_session(b.value())).transpose()?;
                rows.push((time, digest, record));
            }
        }
        Ok(rows)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        let table = self.table(META)?;
        let value = table.get(key)?;
        Ok(value.map(|value| value.value().to_owned()))
    }

    fn counts(&self) -> Result<Counts> {
        Ok(Counts {
            sessions: self.table(SESSIONS)?.len()?,
            tokens: self.table(TOKENS)?.len()?,
            credentials: self.table(CREDENTIALS)?.len()?,
            remember_tokens: self.table(REMEMBER)?.len()?,
        })
    }

    fn each_session(&self, each: &mut Visit<'_, (Digest, SessionRecord)>) -> Result<Flow> {
        for row in self.table(SESSIONS)?.iter()? {
            let (key, value) = row?;
            if each((key.value(), decode_session(value.value())?))?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    fn each_token(&self, each: &mut Visit<'_, (u64, TokenRecord)>) -> Result<Flow> {
        for row in self.table(TOKENS)?.iter()? {
            let (key, value) = row?;
            if each((key.value(), decode_token(value.value())?))?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    fn each_login(&self, each: &mut Visit<'_, (u64, String)>) -> Result<Flow> {
        for row in self.table(CREDENTIALS_BY_USER)?.iter()? {
            let (user, login) = row?;
            if each((user.value(), login.value().to_owned()))?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }
}
