//! Records as rows: the boundary's reads and writes in SQL. Inside a write
//! transaction, every read of a record locks its row (`FOR UPDATE`), so that
//! a read-then-write (a compare-and-swap on a session's version, a login
//! rotation, a token id) is as serial as on the embedded backend, where one
//! writer runs at a time.

use std::cell::RefCell;
use std::ops::ControlFlow;

use postgres::Row;
use postgres::types::ToSql;

use super::pool::{Conn, server_error};
use crate::error::{Error, Result};
use crate::secret::Digest;
use crate::store::changes::{Changed, note_changed};
use crate::store::record::{
    CredentialRecord, LimitsRecord, QuotaRecord, RateRecord, RememberRecord, SessionRecord,
    TokenRecord,
};
use crate::store::summary::Counter;
use crate::store::summary::TokenAuth;
use crate::store::summary::{SessionAuth, csrf_bytes};
use crate::store::{Counts, Flow, Reads, RowKey, TimeIndex, Visit, Writes};

/// `authkv_meta` key of the highest token id ever handed out or imported.
const LAST_TOKEN_ID: &str = "tokens_last_id";

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// A query as it runs outside a transaction, and as it runs inside one,
/// locking the rows it reads.
macro_rules! lockable {
    ($sql:expr) => {
        ($sql, concat!($sql, " FOR UPDATE"))
    };
}

/// The oldest sessions by `$column`, at or before `$1`, at most `$2`, with
/// the indexed time, the digest and the whole record.
macro_rules! due_sessions {
    ($column:literal) => {
        lockable_skipping!(concat!(
            "SELECT ",
            $column,
            ", digest, user_id, ip, user_agent, payload, csrf, created_at, \
             last_activity, version, password_confirmed_at FROM authkv_sessions WHERE ",
            $column,
            " <= $1 ORDER BY ",
            $column,
            " LIMIT $2"
        ))
    };
}

/// A batch query outside a transaction, and inside one, skipping rows
/// another transaction has locked.
macro_rules! lockable_skipping {
    ($sql:expr) => {
        ($sql, concat!($sql, " FOR UPDATE SKIP LOCKED"))
    };
}

/// The oldest rows of `$table` by `$column`, at or before `$1`, at most
/// `$2`, with their `$key`; inside a transaction rows another transaction
/// is changing are skipped (left for the next run).
macro_rules! due {
    ($table:literal, $column:literal, $key:literal) => {
        lockable_skipping!(concat!(
            "SELECT ",
            $column,
            ", ",
            $key,
            " FROM ",
            $table,
            " WHERE ",
            $column,
            " <= $1 ORDER BY ",
            $column,
            " LIMIT $2"
        ))
    };
}

/// Reads and writes over one connection: in autocommit (reads) or inside a
/// transaction the caller began (writes, which lock what they read).
pub(crate) struct Rows<'c> {
    conn: RefCell<&'c mut Conn>,
    locking: bool,
}

/// Unsigned values are stored in `bigint` bit for bit (ids and user ids
/// above 2^63 read back exactly; times never get there).
fn int(value: u64) -> i64 {
    value as i64
}

fn uint(value: i64) -> u64 {
    value as u64
}

fn digest(table: &'static str, bytes: &[u8]) -> Result<Digest> {
    Digest::try_from(bytes).map_err(|_| Error::Corrupt {
        table,
        detail: format!("a digest of {} bytes", bytes.len()),
    })
}

impl<'c> Rows<'c> {
    /// Reads outside a transaction: each statement sees what is committed.
    pub(crate) fn autocommit(conn: &'c mut Conn) -> Self {
        Self {
            conn: RefCell::new(conn),
            locking: false,
        }
    }

    /// Reads and writes in the transaction the caller began on `conn`.
    pub(crate) fn in_transaction(conn: &'c mut Conn) -> Self {
        Self {
            conn: RefCell::new(conn),
            locking: true,
        }
    }

    /// The form of a [`lockable!`] query for this connection's state.
    fn pick(&self, (plain, locking): (&'static str, &'static str)) -> &'static str {
        if self.locking { locking } else { plain }
    }

    fn query(&self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>> {
        let mut conn = self.conn.borrow_mut();
        let statement = conn.statement(sql)?;
        conn.client.query(&statement, params).map_err(server_error)
    }

    fn query_opt(&self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>> {
        let mut conn = self.conn.borrow_mut();
        let statement = conn.statement(sql)?;
        conn.client
            .query_opt(&statement, params)
            .map_err(server_error)
    }

    fn execute(&self, sql: &'static str, params: Params<'_>) -> Result<u64> {
        let mut conn = self.conn.borrow_mut();
        let statement = conn.statement(sql)?;
        conn.client
            .execute(&statement, params)
            .map_err(server_error)
    }

    /// Call `each` with every row `sql` returns, streamed, until it breaks.
    fn each_row(
        &self,
        sql: &'static str,
        each: &mut dyn FnMut(&Row) -> Result<Flow>,
    ) -> Result<Flow> {
        let rows = self.query(sql, &[])?;
        for row in &rows {
            if each(row)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Send `payload` to every listener when the transaction commits.
    pub(crate) fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        self.execute("SELECT pg_notify($1, $2)", &[&channel, &payload])
            .map(|_| ())
    }
}

fn session_of(row: &Row, at: usize) -> SessionRecord {
    SessionRecord {
        user_id: row.get::<_, Option<i64>>(at).map(uint),
        ip: row.get(at + 1),
        user_agent: row.get(at + 2),
        payload: row.get(at + 3),
        csrf: row.get(at + 4),
        created_at: uint(row.get(at + 5)),
        last_activity: uint(row.get(at + 6)),
        version: uint(row.get(at + 7)),
        password_confirmed_at: row.get::<_, Option<i64>>(at + 8).map(uint),
    }
}

fn token_of(row: &Row, at: usize) -> Result<TokenRecord> {
    Ok(TokenRecord {
        user_id: uint(row.get(at)),
        name: row.get(at + 1),
        abilities: row.get(at + 2),
        digest: digest("authkv_tokens", row.get(at + 3))?,
        created_at: uint(row.get(at + 4)),
        last_used_at: row.get::<_, Option<i64>>(at + 5).map(uint),
        expires_at: row.get::<_, Option<i64>>(at + 6).map(uint),
    })
}

/// The limits in columns `at..at + 7` of a row (all NULL: none).
fn limits_of(row: &Row, at: usize) -> Option<LimitsRecord> {
    let generation = row.get::<_, Option<i64>>(at + 6)?;
    let column = |i: usize| row.get::<_, Option<i64>>(at + i).map(uint);
    let rate = column(0)
        .zip(column(1))
        .map(|(max, window)| RateRecord { max, window });
    let quota = column(2).map(|remaining| QuotaRecord {
        remaining,
        refill_amount: column(3).unwrap_or(0),
        refill_interval: column(4).unwrap_or(0),
        refilled_at: column(5).unwrap_or(0),
    });
    Some(LimitsRecord {
        rate,
        quota,
        generation: uint(generation),
    })
}

fn remember_of(row: &Row) -> Result<RememberRecord> {
    Ok(RememberRecord {
        user_id: uint(row.get(0)),
        validator: digest("authkv_remember", row.get(1))?,
        created_at: uint(row.get(2)),
        rotated_at: uint(row.get(3)),
        expires_at: uint(row.get(4)),
    })
}

impl Reads for Rows<'_> {
    fn session(&self, digest: &Digest) -> Result<Option<SessionRecord>> {
        let sql = self.pick(lockable!(
            "SELECT user_id, ip, user_agent, payload, csrf, created_at, last_activity, version, \
             password_confirmed_at FROM authkv_sessions WHERE digest = $1"
        ));
        let row = self.query_opt(sql, &[&&digest[..]])?;
        Ok(row.map(|row| session_of(&row, 0)))
    }

    fn session_auth(&self, digest: &Digest) -> Result<Option<SessionAuth>> {
        let row = self.query_opt(
            "SELECT user_id, csrf, created_at, last_activity, version, password_confirmed_at \
             FROM authkv_sessions WHERE digest = $1",
            &[&&digest[..]],
        )?;
        row.map(|row| {
            Ok(SessionAuth {
                user_id: row.get::<_, Option<i64>>(0).map(uint),
                csrf: csrf_bytes(row.get::<_, &str>(1).as_bytes())?,
                created_at: uint(row.get(2)),
                last_activity: uint(row.get(3)),
                version: uint(row.get(4)),
                password_confirmed_at: row.get::<_, Option<i64>>(5).map(uint),
            })
        })
        .transpose()
    }

    fn user_session_digests(&self, user_id: u64) -> Result<Vec<Digest>> {
        let rows = self.query(
            "SELECT digest FROM authkv_sessions WHERE user_id = $1 ORDER BY digest",
            &[&int(user_id)],
        )?;
        rows.iter()
            .map(|row| digest("authkv_sessions", row.get(0)))
            .collect()
    }

    fn token(&self, id: u64) -> Result<Option<TokenRecord>> {
        let sql = self.pick(lockable!(
            "SELECT user_id, name, abilities, digest, created_at, last_used_at, expires_at \
             FROM authkv_tokens WHERE id = $1"
        ));
        let row = self.query_opt(sql, &[&int(id)])?;
        row.map(|row| token_of(&row, 0)).transpose()
    }

    fn token_auth(&self, id: u64) -> Result<Option<TokenAuth>> {
        // One round trip: the limits come with the token.
        let row = self.query_opt(
            "SELECT t.user_id, t.name, t.abilities, t.digest, t.created_at, t.last_used_at, \
             t.expires_at, l.rate_max, l.rate_window, l.quota_remaining, \
             l.quota_refill_amount, l.quota_refill_interval, l.quota_refilled_at, l.generation \
             FROM authkv_tokens t LEFT JOIN authkv_token_limits l ON l.id = t.id WHERE t.id = $1",
            &[&int(id)],
        )?;
        row.map(|row| Ok(TokenAuth::of(&token_of(&row, 0)?, limits_of(&row, 7))))
            .transpose()
    }

    fn token_limits(&self, id: u64) -> Result<Option<LimitsRecord>> {
        let sql = self.pick(lockable!(
            "SELECT rate_max, rate_window, quota_remaining, quota_refill_amount, \
             quota_refill_interval, quota_refilled_at, generation \
             FROM authkv_token_limits WHERE id = $1"
        ));
        let row = self.query_opt(sql, &[&int(id)])?;
        Ok(row.and_then(|row| limits_of(&row, 0)))
    }

    fn token_id(&self, digest: &Digest) -> Result<Option<u64>> {
        let row = self.query_opt(
            "SELECT id FROM authkv_tokens WHERE digest = $1",
            &[&&digest[..]],
        )?;
        Ok(row.map(|row| uint(row.get(0))))
    }

    fn user_token_ids(&self, user_id: u64) -> Result<Vec<u64>> {
        let rows = self.query(
            "SELECT id FROM authkv_tokens WHERE user_id = $1 ORDER BY id",
            &[&int(user_id)],
        )?;
        Ok(rows.iter().map(|row| uint(row.get(0))).collect())
    }

    fn last_token_id(&self) -> Result<u64> {
        if self.locking {
            // Writers handing out ids queue on this row.
            self.execute(
                "INSERT INTO authkv_meta (key, value) VALUES ($1, '0') ON CONFLICT DO NOTHING",
                &[&LAST_TOKEN_ID],
            )?;
            self.execute(
                "SELECT value FROM authkv_meta WHERE key = $1 FOR UPDATE",
                &[&LAST_TOKEN_ID],
            )?;
        }
        let row = self.query_opt(
            "SELECT greatest( \
                 coalesce((SELECT max(id) FROM authkv_tokens), 0)::numeric, \
                 coalesce((SELECT value::numeric FROM authkv_meta WHERE key = $1), 0))::text",
            &[&LAST_TOKEN_ID],
        )?;
        let text: String = row.map_or_else(|| "0".into(), |row| row.get(0));
        text.parse::<u64>().map_err(|_| Error::Corrupt {
            table: "authkv_meta",
            detail: format!("{LAST_TOKEN_ID} is not a number"),
        })
    }

    fn credential(&self, login: &str) -> Result<Option<CredentialRecord>> {
        let sql = self.pick(lockable!(
            "SELECT user_id, phc FROM authkv_credentials WHERE login = $1"
        ));
        let row = self.query_opt(sql, &[&login])?;
        Ok(row.map(|row| CredentialRecord {
            user_id: uint(row.get(0)),
            phc: row.get(1),
        }))
    }

    fn login_of(&self, user_id: u64) -> Result<Option<String>> {
        let row = self.query_opt(
            "SELECT login FROM authkv_credentials WHERE user_id = $1",
            &[&int(user_id)],
        )?;
        Ok(row.map(|row| row.get(0)))
    }

    fn throttle(&self, key: &Digest) -> Result<Option<Counter>> {
        if self.locking {
            // Concurrent first failures of one (login, ip) must queue too,
            // and a row that does not exist yet cannot be locked.
            let mut first = [0u8; 8];
            first.copy_from_slice(&key[..8]);
            self.execute(
                "SELECT pg_advisory_xact_lock($1)",
                &[&i64::from_le_bytes(first)],
            )?;
        }
        let sql = self.pick(lockable!(
            "SELECT attempts, window_start FROM authkv_throttle WHERE key = $1"
        ));
        let row = self.query_opt(sql, &[&&key[..]])?;
        Ok(row.map(|row| Counter {
            attempts: uint(row.get(0)),
            window_start: uint(row.get(1)),
        }))
    }

    fn remember(&self, selector: &Digest) -> Result<Option<RememberRecord>> {
        let sql = self.pick(lockable!(
            "SELECT user_id, validator, created_at, rotated_at, expires_at \
             FROM authkv_remember WHERE selector = $1"
        ));
        let row = self.query_opt(sql, &[&&selector[..]])?;
        row.map(|row| remember_of(&row)).transpose()
    }

    fn user_remember_selectors(&self, user_id: u64) -> Result<Vec<Digest>> {
        let rows = self.query(
            "SELECT selector FROM authkv_remember WHERE user_id = $1 ORDER BY selector",
            &[&int(user_id)],
        )?;
        rows.iter()
            .map(|row| digest("authkv_remember", row.get(0)))
            .collect()
    }

    fn due(&self, index: TimeIndex, upper: u64, limit: usize) -> Result<Vec<(u64, RowKey)>> {
        let sql = self.pick(match index {
            TimeIndex::SessionActivity => due!("authkv_sessions", "last_activity", "digest"),
            TimeIndex::SessionCreated => due!("authkv_sessions", "created_at", "digest"),
            TimeIndex::TokenExpiry => due!("authkv_tokens", "expires_at", "id"),
            TimeIndex::TokenCreated => due!("authkv_tokens", "created_at", "id"),
            TimeIndex::ThrottleWindow => due!("authkv_throttle", "window_start", "key"),
            TimeIndex::RememberExpiry => due!("authkv_remember", "expires_at", "selector"),
        });
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query(sql, &[&int(upper.min(i64::MAX as u64)), &limit])?;
        rows.iter()
            .map(|row| {
                let time = uint(row.get(0));
                let key = match index {
                    TimeIndex::TokenExpiry | TimeIndex::TokenCreated => {
                        RowKey::Id(uint(row.get(1)))
                    }
                    _ => RowKey::Digest(digest("authkv_sessions", row.get(1))?),
                };
                Ok((time, key))
            })
            .collect()
    }

    fn due_sessions(
        &self,
        index: TimeIndex,
        upper: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Digest, Option<SessionRecord>)>> {
        // The whole batch in one round trip; rows another transaction is
        // changing are left for the next run.
        let sql = self.pick(match index {
            TimeIndex::SessionCreated => due_sessions!("created_at"),
            _ => due_sessions!("last_activity"),
        });
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query(sql, &[&int(upper.min(i64::MAX as u64)), &limit])?;
        rows.iter()
            .map(|row| {
                let record = session_of(row, 2);
                Ok((
                    uint(row.get(0)),
                    digest("authkv_sessions", row.get(1))?,
                    Some(record),
                ))
            })
            .collect()
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        // Locked in a transaction, so that two hosts taking the
        // housekeeping lease at once queue on its row.
        let sql = self.pick(lockable!("SELECT value FROM authkv_meta WHERE key = $1"));
        let row = self.query_opt(sql, &[&key])?;
        Ok(row.map(|row| row.get(0)))
    }

    fn counts(&self) -> Result<Counts> {
        let row = self.query_opt(
            "SELECT (SELECT count(*) FROM authkv_sessions), (SELECT count(*) FROM authkv_tokens), \
             (SELECT count(*) FROM authkv_credentials), (SELECT count(*) FROM authkv_remember)",
            &[],
        )?;
        let count = |at: usize| row.as_ref().map_or(0, |row| uint(row.get(at)));
        Ok(Counts {
            sessions: count(0),
            tokens: count(1),
            credentials: count(2),
            remember_tokens: count(3),
        })
    }

    fn each_session(&self, each: &mut Visit<'_, (Digest, SessionRecord)>) -> Result<Flow> {
        self.each_row(
            "SELECT digest, user_id, ip, user_agent, payload, csrf, created_at, last_activity, \
             version, password_confirmed_at FROM authkv_sessions ORDER BY digest",
            &mut |row| each((digest("authkv_sessions", row.get(0))?, session_of(row, 1))),
        )
    }

    fn each_token(&self, each: &mut Visit<'_, (u64, TokenRecord)>) -> Result<Flow> {
        self.each_row(
            "SELECT id, user_id, name, abilities, digest, created_at, last_used_at, expires_at \
             FROM authkv_tokens ORDER BY id",
            &mut |row| each((uint(row.get(0)), token_of(row, 1)?)),
        )
    }

    fn each_login(&self, each: &mut Visit<'_, (u64, String)>) -> Result<Flow> {
        self.each_row(
            "SELECT user_id, login FROM authkv_credentials ORDER BY user_id",
            &mut |row| each((uint(row.get(0)), row.get(1))),
        )
    }
}

impl Writes for Rows<'_> {
    fn insert_session(&self, digest: &Digest, record: &SessionRecord) -> Result<()> {
        note_changed(Changed::Session(*digest));
        self.execute(
            "INSERT INTO authkv_sessions (digest, user_id, ip, user_agent, payload, csrf, \
             created_at, last_activity, version, password_confirmed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &&digest[..],
                &record.user_id.map(int),
                &record.ip,
                &record.user_agent,
                &record.payload,
                &record.csrf,
                &int(record.created_at),
                &int(record.last_activity),
                &int(record.version),
                &record.password_confirmed_at.map(int),
            ],
        )?;
        Ok(())
    }

    fn remove_session(&self, digest: &Digest, _record: &SessionRecord) -> Result<()> {
        note_changed(Changed::Session(*digest));
        self.execute(
            "DELETE FROM authkv_sessions WHERE digest = $1",
            &[&&digest[..]],
        )?;
        Ok(())
    }

    fn remove_sessions(&self, doomed: &[(Digest, SessionRecord)]) -> Result<()> {
        if doomed.is_empty() {
            return Ok(());
        }
        for (digest, _) in doomed {
            note_changed(Changed::Session(*digest));
        }
        let digests: Vec<&[u8]> = doomed.iter().map(|(digest, _)| &digest[..]).collect();
        self.execute(
            "DELETE FROM authkv_sessions WHERE digest = ANY($1)",
            &[&digests],
        )?;
        Ok(())
    }

    fn replace_session(
        &self,
        digest: &Digest,
        _old: &SessionRecord,
        new: &SessionRecord,
    ) -> Result<()> {
        note_changed(Changed::Session(*digest));
        self.execute(
            "UPDATE authkv_sessions SET user_id = $2, ip = $3, user_agent = $4, payload = $5, \
             csrf = $6, created_at = $7, last_activity = $8, version = $9, \
             password_confirmed_at = $10 WHERE digest = $1",
            &[
                &&digest[..],
                &new.user_id.map(int),
                &new.ip,
                &new.user_agent,
                &new.payload,
                &new.csrf,
                &int(new.created_at),
                &int(new.last_activity),
                &int(new.version),
                &new.password_confirmed_at.map(int),
            ],
        )?;
        Ok(())
    }

    fn insert_token(&self, id: u64, record: &TokenRecord) -> Result<()> {
        note_changed(Changed::Token(id));
        self.execute(
            "INSERT INTO authkv_tokens (id, user_id, name, abilities, digest, created_at, \
             last_used_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &int(id),
                &int(record.user_id),
                &record.name,
                &record.abilities,
                &&record.digest[..],
                &int(record.created_at),
                &record.last_used_at.map(int),
                &record.expires_at.map(int),
            ],
        )?;
        Ok(())
    }

    fn remove_token(&self, id: u64, _record: &TokenRecord) -> Result<()> {
        note_changed(Changed::Token(id));
        self.execute("DELETE FROM authkv_tokens WHERE id = $1", &[&int(id)])?;
        Ok(())
    }

    fn set_token_last_used(&self, id: u64, record: &TokenRecord) -> Result<()> {
        note_changed(Changed::Token(id));
        self.execute(
            "UPDATE authkv_tokens SET last_used_at = $2 WHERE id = $1",
            &[&int(id), &record.last_used_at.map(int)],
        )?;
        Ok(())
    }

    fn put_token_limits(&self, id: u64, limits: Option<&LimitsRecord>) -> Result<()> {
        note_changed(Changed::Token(id));
        let Some(limits) = limits else {
            self.execute("DELETE FROM authkv_token_limits WHERE id = $1", &[&int(id)])?;
            return Ok(());
        };
        let rate = limits.rate;
        let quota = limits.quota;
        self.execute(
            "INSERT INTO authkv_token_limits (id, rate_max, rate_window, quota_remaining, \
             quota_refill_amount, quota_refill_interval, quota_refilled_at, generation) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET \
             rate_max = $2, rate_window = $3, quota_remaining = $4, \
             quota_refill_amount = $5, quota_refill_interval = $6, \
             quota_refilled_at = $7, generation = $8",
            &[
                &int(id),
                &rate.map(|r| int(r.max)),
                &rate.map(|r| int(r.window)),
                &quota.map(|q| int(q.remaining)),
                &quota.map(|q| int(q.refill_amount)),
                &quota.map(|q| int(q.refill_interval)),
                &quota.map(|q| int(q.refilled_at)),
                &int(limits.generation),
            ],
        )?;
        Ok(())
    }

    fn touch(&self, sessions: &[(Digest, u64)], tokens: &[(u64, u64)]) -> Result<usize> {
        if sessions.is_empty() && tokens.is_empty() {
            return Ok(0);
        }
        let digests: Vec<&[u8]> = sessions.iter().map(|(digest, _)| &digest[..]).collect();
        let times: Vec<i64> = sessions.iter().map(|&(_, at)| int(at)).collect();
        let ids: Vec<i64> = tokens.iter().map(|&(id, _)| int(id)).collect();
        let used: Vec<i64> = tokens.iter().map(|&(_, at)| int(at)).collect();
        // One statement for the whole flush, whatever its size.
        let moved = self.query(
            "WITH s AS (UPDATE authkv_sessions SET last_activity = t.at \
                 FROM unnest($1::bytea[], $2::bigint[]) AS t(digest, at) \
                 WHERE authkv_sessions.digest = t.digest AND authkv_sessions.last_activity < t.at \
                 RETURNING authkv_sessions.digest), \
             k AS (UPDATE authkv_tokens SET last_used_at = t.at \
                 FROM unnest($3::bigint[], $4::bigint[]) AS t(id, at) \
                 WHERE authkv_tokens.id = t.id \
                 AND (authkv_tokens.last_used_at IS NULL OR authkv_tokens.last_used_at < t.at) \
                 RETURNING authkv_tokens.id) \
             SELECT digest, NULL::bigint FROM s UNION ALL SELECT NULL, id FROM k",
            &[&digests, &times, &ids, &used],
        )?;
        for row in &moved {
            match row.get::<_, Option<&[u8]>>(0) {
                Some(bytes) => note_changed(Changed::Session(digest("authkv_sessions", bytes)?)),
                None => note_changed(Changed::Token(uint(row.get(1)))),
            }
        }
        Ok(moved.len())
    }

    fn raise_last_token_id(&self, id: u64) -> Result<()> {
        self.execute(
            "INSERT INTO authkv_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE \
             SET value = EXCLUDED.value \
             WHERE authkv_meta.value::numeric < EXCLUDED.value::numeric",
            &[&LAST_TOKEN_ID, &id.to_string()],
        )?;
        Ok(())
    }

    fn put_credential(&self, login: &str, record: &CredentialRecord) -> Result<()> {
        self.execute(
            "INSERT INTO authkv_credentials (login, user_id, phc) VALUES ($1, $2, $3) \
             ON CONFLICT (login) DO UPDATE SET user_id = EXCLUDED.user_id, phc = EXCLUDED.phc",
            &[&login, &int(record.user_id), &record.phc],
        )?;
        Ok(())
    }

    fn remove_credential(&self, login: &str) -> Result<()> {
        self.execute("DELETE FROM authkv_credentials WHERE login = $1", &[&login])?;
        Ok(())
    }

    fn put_throttle(&self, key: &Digest, _old: Option<Counter>, new: Counter) -> Result<()> {
        self.execute(
            "INSERT INTO authkv_throttle (key, attempts, window_start) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET attempts = EXCLUDED.attempts, \
             window_start = EXCLUDED.window_start",
            &[&&key[..], &int(new.attempts), &int(new.window_start)],
        )?;
        Ok(())
    }

    fn remove_throttle(&self, key: &Digest, _old: Counter) -> Result<()> {
        self.execute("DELETE FROM authkv_throttle WHERE key = $1", &[&&key[..]])?;
        Ok(())
    }

    fn insert_remember(&self, selector: &Digest, record: &RememberRecord) -> Result<()> {
        self.execute(
            "INSERT INTO authkv_remember (selector, user_id, validator, created_at, rotated_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &&selector[..],
                &int(record.user_id),
                &&record.validator[..],
                &int(record.created_at),
                &int(record.rotated_at),
                &int(record.expires_at),
            ],
        )?;
        Ok(())
    }

    fn remove_remember(&self, selector: &Digest, _record: &RememberRecord) -> Result<()> {
        self.execute(
            "DELETE FROM authkv_remember WHERE selector = $1",
            &[&&selector[..]],
        )?;
        Ok(())
    }

    fn unindex(&self, _index: TimeIndex, _time: u64, _key: RowKey) -> Result<()> {
        // Indexes are the server's own and never disagree with their rows.
        Ok(())
    }

    fn refile_activity(&self, _through: (u64, Digest), _alive: &[(Digest, u64)]) -> Result<()> {
        // The server's index on last_activity follows every update.
        Ok(())
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.execute(
            "INSERT INTO authkv_meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn remove_meta(&self, key: &str) -> Result<()> {
        self.execute("DELETE FROM authkv_meta WHERE key = $1", &[&key])?;
        Ok(())
    }
}
