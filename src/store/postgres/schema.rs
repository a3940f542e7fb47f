//! The tables authkv keeps in PostgreSQL, created and upgraded by authkv
//! itself: each migration runs once, in a transaction, recorded in
//! `authkv_migrations`, under an advisory lock so that hosts starting
//! together do not race. Columns are plain so that a person can read them in
//! `psql`: times are unix seconds, secrets appear only as SHA-256 digests.

use postgres::Client;

use super::pool::server_error;
use crate::error::{Error, OpenError, Result};

/// Advisory lock key held while migrating ("authkv" in ASCII).
const MIGRATION_LOCK: i64 = 0x61_75_74_68_6b_76;

/// The migrations, in order; the index + 1 is the version.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE authkv_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE authkv_sessions (
    digest        bytea  PRIMARY KEY,
    user_id       bigint,
    ip            text   NOT NULL,
    user_agent    text   NOT NULL,
    payload       bytea  NOT NULL,
    csrf          text   NOT NULL,
    created_at    bigint NOT NULL,
    last_activity bigint NOT NULL,
    version       bigint NOT NULL
);
CREATE INDEX authkv_sessions_by_user ON authkv_sessions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX authkv_sessions_by_activity ON authkv_sessions (last_activity);
CREATE INDEX authkv_sessions_by_created ON authkv_sessions (created_at);
CREATE TABLE authkv_tokens (
    id           bigint PRIMARY KEY,
    user_id      bigint NOT NULL,
    name         text   NOT NULL,
    abilities    text[] NOT NULL,
    digest       bytea  NOT NULL UNIQUE,
    created_at   bigint NOT NULL,
    last_used_at bigint,
    expires_at   bigint
);
CREATE INDEX authkv_tokens_by_user ON authkv_tokens (user_id, id);
CREATE INDEX authkv_tokens_by_expiry ON authkv_tokens (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX authkv_tokens_by_created ON authkv_tokens (created_at);
CREATE TABLE authkv_credentials (
    login   text   PRIMARY KEY,
    user_id bigint NOT NULL UNIQUE,
    phc     text   NOT NULL
);
CREATE TABLE authkv_throttle (
    key          bytea  PRIMARY KEY,
    attempts     bigint NOT NULL,
    window_start bigint NOT NULL
);
CREATE INDEX authkv_throttle_by_window ON authkv_throttle (window_start);
CREATE TABLE authkv_remember (
    selector   bytea  PRIMARY KEY,
    user_id    bigint NOT NULL,
    validator  bytea  NOT NULL,
    created_at bigint NOT NULL,
    rotated_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX authkv_remember_by_user ON authkv_remember (user_id);
CREATE INDEX authkv_remember_by_expiry ON authkv_remember (expires_at);
CREATE SEQUENCE authkv_change_seq;
CREATE TABLE authkv_listeners (
    id          bigint      PRIMARY KEY,
    seen        bigint      NOT NULL,
    lease_until timestamptz NOT NULL
);
",
    r"
ALTER TABLE authkv_sessions ADD COLUMN password_confirmed_at bigint;
",
    r"
CREATE TABLE authkv_token_limits (
    id                    bigint PRIMARY KEY REFERENCES authkv_tokens (id) ON DELETE CASCADE,
    rate_max              bigint,
    rate_window           bigint,
    quota_remaining       bigint,
    quota_refill_amount   bigint,
    quota_refill_interval bigint,
    quota_refilled_at     bigint,
    generation            bigint NOT NULL
);
",
    // Session keys begin with the id's minute; the sessions stored so far
    // keep their plain SHA-256 keys, marked as in the file's migration.
    r"
INSERT INTO authkv_meta (key, value)
SELECT 'legacy_session_keys_before', (max(created_at) + 1)::text
FROM authkv_sessions
HAVING count(*) > 0
ON CONFLICT (key) DO NOTHING;
",
];

/// The schema version this build writes and reads.
pub(crate) const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Bring the database to [`SCHEMA_VERSION`], refusing one from a newer
/// authkv.
pub(crate) fn migrate(client: &mut Client) -> Result<()> {
    let mut txn = client.transaction().map_err(server_error)?;
    txn.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(server_error)?;
    txn.batch_execute(
        "CREATE TABLE IF NOT EXISTS authkv_migrations (
             version    integer     PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .map_err(server_error)?;
    let row = txn
        .query_one(
            "SELECT coalesce(max(version), 0) FROM authkv_migrations",
            &[],
        )
        .map_err(server_error)?;
    let found = usize::try_from(row.get::<_, i32>(0)).map_err(|_| Error::Corrupt {
        table: "authkv_migrations",
        detail: "negative version".into(),
    })?;
    if found > SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew {
            found: found as u64,
            supported: SCHEMA_VERSION as u64,
        }
        .into());
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(found) {
        txn.batch_execute(migration).map_err(server_error)?;
        let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
        txn.execute(
            "INSERT INTO authkv_migrations (version) VALUES ($1)",
            &[&version],
        )
        .map_err(server_error)?;
    }
    txn.commit().map_err(server_error)
}
