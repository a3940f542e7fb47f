//! The tables of an authkv redb file: records keyed by digest or id, and
//! index tables whose keys alone carry the indexed value.

use redb::{
    Key, ReadOnlyTable, ReadTransaction, ReadableTable, Table, TableDefinition, Value,
    WriteTransaction,
};

use crate::error::Result;
use crate::secret::Digest;
use crate::store::TimeIndex;

pub(crate) const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
pub(crate) const SESSIONS: TableDefinition<Digest, &[u8]> = TableDefinition::new("sessions");
pub(crate) const SESSIONS_BY_ACTIVITY: TableDefinition<(u64, Digest), ()> =
    TableDefinition::new("sessions_by_activity");
pub(crate) const SESSIONS_BY_CREATED: TableDefinition<(u64, Digest), ()> =
    TableDefinition::new("sessions_by_created");
pub(crate) const SESSIONS_BY_USER: TableDefinition<(u64, Digest), ()> =
    TableDefinition::new("sessions_by_user");
pub(crate) const TOKENS: TableDefinition<u64, &[u8]> = TableDefinition::new("tokens");
pub(crate) const TOKENS_BY_DIGEST: TableDefinition<Digest, u64> =
    TableDefinition::new("tokens_by_digest");
pub(crate) const TOKENS_BY_USER: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("tokens_by_user");
pub(crate) const TOKENS_BY_EXPIRY: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("tokens_by_expiry");
pub(crate) const TOKENS_BY_CREATED: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("tokens_by_created");
/// Token id → its rate limit and quota (only tokens given limits).
pub(crate) const TOKEN_LIMITS: TableDefinition<u64, &[u8]> = TableDefinition::new("token_limits");
pub(crate) const CREDENTIALS: TableDefinition<&str, &[u8]> = TableDefinition::new("credentials");
pub(crate) const CREDENTIALS_BY_USER: TableDefinition<u64, &str> =
    TableDefinition::new("credentials_by_user");
/// SHA-256 of the (login, ip) pair → (failures, unix seconds the window began).
pub(crate) const THROTTLE: TableDefinition<Digest, (u64, u64)> = TableDefinition::new("throttle");
pub(crate) const THROTTLE_BY_WINDOW: TableDefinition<(u64, Digest), ()> =
    TableDefinition::new("throttle_by_window");
pub(crate) const REMEMBER: TableDefinition<Digest, &[u8]> = TableDefinition::new("remember");
pub(crate) const REMEMBER_BY_USER: TableDefinition<(u64, Digest), ()> =
    TableDefinition::new("remember_by_user");
pub(crate) const REMEMBER_BY_EXPIRY: TableDefinition<(u64, Digest), ()> =
    TableDefinition::new("remember_by_expiry");

/// `meta` key holding the highest token id ever handed out or imported, so
/// that an id is never issued twice even after its token was deleted.
pub(crate) const LAST_TOKEN_ID: &str = "tokens_last_id";

/// How many tables [`create_tables`] makes.
pub(crate) const TABLE_COUNT: usize = 18;

/// Open every table once so that read transactions never meet a missing one.
pub(crate) fn create_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(META)?;
    txn.open_table(SESSIONS)?;
    txn.open_table(SESSIONS_BY_ACTIVITY)?;
    txn.open_table(SESSIONS_BY_CREATED)?;
    txn.open_table(SESSIONS_BY_USER)?;
    txn.open_table(TOKENS)?;
    txn.open_table(TOKENS_BY_DIGEST)?;
    txn.open_table(TOKENS_BY_USER)?;
    txn.open_table(TOKENS_BY_EXPIRY)?;
    txn.open_table(TOKENS_BY_CREATED)?;
    txn.open_table(TOKEN_LIMITS)?;
    txn.open_table(CREDENTIALS)?;
    txn.open_table(CREDENTIALS_BY_USER)?;
    txn.open_table(THROTTLE)?;
    txn.open_table(THROTTLE_BY_WINDOW)?;
    txn.open_table(REMEMBER)?;
    txn.open_table(REMEMBER_BY_USER)?;
    txn.open_table(REMEMBER_BY_EXPIRY)?;
    Ok(())
}

/// The index table behind a digest-keyed [`TimeIndex`]; `None` for the
/// token indexes, keyed by id.
pub(crate) fn digest_index(
    index: TimeIndex,
) -> Option<TableDefinition<'static, (u64, Digest), ()>> {
    match index {
        TimeIndex::SessionActivity => Some(SESSIONS_BY_ACTIVITY),
        TimeIndex::SessionCreated => Some(SESSIONS_BY_CREATED),
        TimeIndex::ThrottleWindow => Some(THROTTLE_BY_WINDOW),
        TimeIndex::RememberExpiry => Some(REMEMBER_BY_EXPIRY),
        TimeIndex::TokenExpiry | TimeIndex::TokenCreated => None,
    }
}

/// The index table behind a token [`TimeIndex`].
pub(crate) fn id_index(index: TimeIndex) -> TableDefinition<'static, (u64, u64), ()> {
    match index {
        TimeIndex::TokenExpiry => TOKENS_BY_EXPIRY,
        _ => TOKENS_BY_CREATED,
    }
}

/// Read and write transactions alike open tables; reads are written once
/// for both.
pub(crate) trait OpenTables {
    /// The table type this transaction opens.
    type Opened<'a, K: Key + 'static, V: Value + 'static>: ReadableTable<K, V>
    where
        Self: 'a;

    /// Open `table`.
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        table: TableDefinition<'static, K, V>,
    ) -> Result<Self::Opened<'_, K, V>>;
}

impl OpenTables for ReadTransaction {
    type Opened<'a, K: Key + 'static, V: Value + 'static> = ReadOnlyTable<K, V>;

    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        table: TableDefinition<'static, K, V>,
    ) -> Result<ReadOnlyTable<K, V>> {
        Ok(self.open_table(table)?)
    }
}

impl OpenTables for WriteTransaction {
    type Opened<'a, K: Key + 'static, V: Value + 'static> = Table<'a, K, V>;

    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        table: TableDefinition<'static, K, V>,
    ) -> Result<Table<'_, K, V>> {
        Ok(self.open_table(table)?)
    }
}
