//! Schema migrations, run at open: a file written by an older authkv is
//! brought to this build's schema, in one write transaction, before any
//! record is read. Processes still running the older build must be stopped
//! first: they would not read the new records.
//!
//! - 1 → 2: every record (sessions, tokens, credentials, remember-me) gets
//!   its CRC-32C appended (see `checksum`).
//! - 2 → 3: sessions record when the password was last confirmed (none
//!   yet for the sessions already stored).
//! - 3 → 4: the `token_limits` table (empty: no token has limits yet).
//! - 4 → 5: session keys begin with the id's minute; the sessions stored
//!   so far keep their plain SHA-256 keys, and `meta` marks the time
//!   before which they were created (see `session::legacy_keys`).

use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use rkyv::{Archive, Deserialize};

use super::SCHEMA_VERSION;
use super::open_files::Store;
use crate::error::Result;
use crate::session::id::LEGACY_KEYS_BEFORE;
use crate::store::CommitSettings;
use crate::store::changes::{Changed, note_changed};
use crate::store::record::{SessionRecord, decode, encode};
use crate::store::redb::checksum;
use crate::store::redb::tables::{
    CREDENTIALS, META, REMEMBER, SESSIONS, SESSIONS_BY_CREATED, TOKEN_LIMITS, TOKENS,
};

/// The schema version a file records, if it records one.
fn stored_version(meta: &impl ReadableTable<&'static str, &'static str>) -> Result<Option<u64>> {
    Ok(meta
        .get("schema_version")?
        .and_then(|v| v.value().parse().ok()))
}

fn version_in(txn: &ReadTransaction) -> Result<Option<u64>> {
    stored_version(&txn.open_table(META)?)
}

/// Bring the file to [`SCHEMA_VERSION`] when it is older.
pub(crate) fn migrate(store: &Store, settings: CommitSettings) -> Result<()> {
    let older = store
        .read(version_in)?
        .is_some_and(|version| version < SCHEMA_VERSION);
    if !older {
        return Ok(());
    }
    store.write(settings, |txn| {
        let mut meta = txn.open_table(META)?;
        // Another process may have migrated it meanwhile.
        let Some(found) = stored_version(&meta)?.filter(|v| *v < SCHEMA_VERSION) else {
            return Ok(());
        };
        if found < 2 {
            seal_records(txn)?;
        }
        if found < 3 {
            add_password_confirmation(txn)?;
        }
        txn.open_table(TOKEN_LIMITS)?;
        if found < 5
            && let Some(before) = mark_legacy_session_keys(txn)?
        {
            meta.insert(LEGACY_KEYS_BEFORE, before.to_string().as_str())?;
        }
        meta.insert("schema_version", SCHEMA_VERSION.to_string().as_str())?;
        Ok(())
    })
}

/// The time before which every stored session was created (the newest
/// creation plus one second), or `None` when no session is stored.
fn mark_legacy_session_keys(txn: &WriteTransaction) -> Result<Option<u64>> {
    let by_created = txn.open_table(SESSIONS_BY_CREATED)?;
    let newest = by_created.last()?;
    Ok(newest.map(|(key, _)| key.value().0.saturating_add(1)))
}

/// A session as schemas 1 and 2 stored it.
#[derive(Archive, Deserialize)]
#[cfg_attr(test, derive(rkyv::Serialize))]
struct SessionRecordV2 {
    user_id: Option<u64>,
    ip: String,
    user_agent: String,
    payload: Vec<u8>,
    csrf: String,
    created_at: u64,
    last_activity: u64,
    version: u64,
}

/// Rewrite every session in schema 3's layout, confirmed at no time.
fn add_password_confirmation(txn: &WriteTransaction) -> Result<()> {
    let mut sessions = txn.open_table(SESSIONS)?;
    let mut rows = Vec::new();
    for row in sessions.iter()? {
        let (key, value) = row?;
        let old: SessionRecordV2 = decode("sessions", value.value())?;
        let record = SessionRecord {
            user_id: old.user_id,
            ip: old.ip,
            user_agent: old.user_agent,
            payload: old.payload,
            csrf: old.csrf,
            created_at: old.created_at,
            last_activity: old.last_activity,
            version: old.version,
            password_confirmed_at: None,
        };
        rows.push((key.value(), encode(&record)?));
    }
    for (key, bytes) in &rows {
        sessions.insert(key, bytes.as_slice())?;
        note_changed(Changed::Session(*key));
    }
    Ok(())
}

/// Read every row of a table holding records and write it back sealed;
/// `$noted` tells the caches which records changed (credentials and
/// remember-me records are not cached).
macro_rules! seal_table {
    ($txn:expr, $table:expr, $owned:expr, $key:expr, $noted:expr) => {{
        let mut table = $txn.open_table($table)?;
        let mut rows = Vec::new();
        for row in table.iter()? {
            let (key, value) = row?;
            rows.push(($owned(key.value()), checksum::seal(value.value().to_vec())));
        }
        for (key, sealed) in &rows {
            table.insert($key(key), sealed.as_slice())?;
            $noted(key);
        }
    }};
}

fn seal_records(txn: &WriteTransaction) -> Result<()> {
    seal_table!(txn, SESSIONS, |k| k, |k: &[u8; 32]| *k, |k: &[u8; 32]| {
        note_changed(Changed::Session(*k))
    });
    seal_table!(txn, TOKENS, |k| k, |k: &u64| *k, |k: &u64| note_changed(
        Changed::Token(*k)
    ));
    seal_table!(
        txn,
        CREDENTIALS,
        |k: &str| k.to_owned(),
        String::as_str,
        |_| {}
    );
    seal_table!(txn, REMEMBER, |k| k, |k: &[u8; 32]| *k, |_| {});
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::password::PasswordParams;
    use crate::engine::Engine;
    use crate::engine::config::Config;

    /// Turn the file into what version 1 wrote: records without checksums.
    fn make_version_1(engine: &Engine) {
        let core = &engine.core;
        core.backend
            .file()
            .expect("a file")
            .write(core.commit_settings(), |txn| {
                let strip = |sealed: &[u8]| sealed[..sealed.len() - checksum::LEN].to_vec();
                // Sessions in their old layout, without the confirmation.
                let old_layout = |sealed: &[u8]| -> Result<Vec<u8>> {
                    let record: SessionRecord = decode("sessions", sealed)?;
                    let old = SessionRecordV2 {
                        user_id: record.user_id,
                        ip: record.ip,
                        user_agent: record.user_agent,
                        payload: record.payload,
                        csrf: record.csrf,
                        created_at: record.created_at,
                        last_activity: record.last_activity,
                        version: record.version,
                    };
                    Ok(rkyv::to_bytes::<rkyv::rancor::Error>(&old)
                        .expect("encode")
                        .into_vec())
                };
                let mut sessions = txn.open_table(SESSIONS)?;
                let mut rows = Vec::new();
                for row in sessions.iter()? {
                    let (k, v) = row?;
                    rows.push((k.value(), old_layout(v.value())?));
                }
                for (key, value) in rows {
                    sessions.insert(key, value.as_slice())?;
                }
                let mut tokens = txn.open_table(TOKENS)?;
                let rows: Vec<_> = tokens
                    .iter()?
                    .map(|row| row.map(|(k, v)| (k.value(), strip(v.value()))))
                    .collect::<std::result::Result<_, _>>()?;
                for (key, value) in rows {
                    tokens.insert(key, value.as_slice())?;
                }
                let mut credentials = txn.open_table(CREDENTIALS)?;
                let rows: Vec<_> = credentials
                    .iter()?
                    .map(|row| row.map(|(k, v)| (k.value().to_owned(), strip(v.value()))))
                    .collect::<std::result::Result<_, _>>()?;
                for (key, value) in rows {
                    credentials.insert(key.as_str(), value.as_slice())?;
                }
                txn.open_table(META)?.insert("schema_version", "1")?;
                Ok(())
            })
            .expect("rewrite as version 1");
    }

    #[test]
    fn a_version_1_file_is_sealed_at_open_and_reads_as_before() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v1.redb");
        let config = Config {
            argon2: PasswordParams::new(8, 1, 1),
            ..Config::default()
        };
        let engine = Engine::open(&path, config.clone()).expect("open");
        let visitor = engine.create_session("1.2.3.4", "ua").expect("create");
        let session = engine.login(visitor.id.expose(), 7).expect("login");
        let id = session.id.expose().to_owned();
        engine.save_session(&id, b"cart", None).expect("save");
        let token = engine.create_token(7, "ci", ["read"], None).expect("token");
        engine
            .set_password(7, "ada", "a long password")
            .expect("password");
        make_version_1(&engine);
        engine.close().expect("close");

        let engine = Engine::open(&path, config).expect("open a version 1 file");
        let loaded = engine.load_session(&id).expect("load").expect("live");
        assert_eq!(
            (loaded.user_id, loaded.payload.as_slice()),
            (Some(7), &b"cart"[..])
        );
        let auth = engine
            .authenticate_token(token.plain_text.expose())
            .expect("auth")
            .expect("valid");
        assert_eq!(auth.user_id, 7);
        assert!(
            engine
                .verify_password(7, "a long password")
                .expect("verify")
        );
        assert!(engine.verify().expect("verify").is_consistent());
        let version = engine
            .core
            .backend
            .file()
            .expect("a file")
            .read(version_in)
            .expect("read");
        assert_eq!(version, Some(SCHEMA_VERSION));
    }
}
