//! SQLite (bundled, through rusqlite) with Laravel's own `sessions` and
//! `personal_access_tokens` tables: WAL, `synchronous=FULL`, a 64 MiB page
//! cache (authkv's default), cached prepared statements, one connection per
//! thread. Ids and tokens are stored as SHA-256 hex, as authkv stores
//! digests; expiry is judged on read.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use authkv::ManualClock;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::fixture::{
    IP, SessionSeed, TokenSeed, USER_AGENT, hash_equals, laravel_payload, random_alnum, sha256_hex,
    split_token,
};
use crate::peer::{GcPolicy, IDLE, Peer, Store, Touch, Worker, idle_expired};

/// Laravel's migrations, as its schema builder emits them for SQLite.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS "sessions" (
    "id" varchar NOT NULL,
    "user_id" integer,
    "ip_address" varchar,
    "user_agent" text,
    "payload" text NOT NULL,
    "last_activity" integer NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "sessions_user_id_index" ON "sessions" ("user_id");
CREATE INDEX IF NOT EXISTS "sessions_last_activity_index" ON "sessions" ("last_activity");
CREATE TABLE IF NOT EXISTS "personal_access_tokens" (
    "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
    "tokenable_type" varchar NOT NULL,
    "tokenable_id" integer NOT NULL,
    "name" text NOT NULL,
    "token" varchar NOT NULL,
    "abilities" text,
    "last_used_at" datetime,
    "expires_at" datetime,
    "created_at" datetime,
    "updated_at" datetime
);
CREATE INDEX IF NOT EXISTS "personal_access_tokens_tokenable_type_tokenable_id_index"
    ON "personal_access_tokens" ("tokenable_type", "tokenable_id");
CREATE UNIQUE INDEX IF NOT EXISTS "personal_access_tokens_token_unique"
    ON "personal_access_tokens" ("token");
CREATE INDEX IF NOT EXISTS "personal_access_tokens_expires_at_index"
    ON "personal_access_tokens" ("expires_at");
"#;

/// The settings every connection gets, printed at the top of the run.
pub const SETTINGS: &str = "journal_mode=WAL, synchronous=FULL, cache_size=64 MiB, \
     busy_timeout=10 s, cached prepared statements, one connection per thread";

/// A unix time as SQLite's integer.
fn int(v: u64) -> i64 {
    i64::try_from(v).expect("unix seconds fit in an i64")
}

/// A connection with the run's settings; `synchronous=OFF` instead of
/// `FULL` when not `durable` (the day, which counts writes).
fn connect(path: &Path, durable: bool) -> Connection {
    let conn = Connection::open(path).expect("SQLite opens the file");
    conn.busy_timeout(Duration::from_secs(10))
        .expect("SQLite takes a busy timeout");
    let synchronous = if durable { "FULL" } else { "OFF" };
    conn.pragma_update(None, "synchronous", synchronous)
        .expect("SQLite takes the synchronous setting");
    conn.pragma_update(None, "cache_size", -65_536)
        .expect("SQLite takes a cache size");
    conn.set_prepared_statement_cache_capacity(32);
    conn
}

/// One SQLite variant on a file shared with the other variant.
pub struct SqlitePeer {
    name: String,
    path: PathBuf,
    touch: Touch,
    gc_policy: GcPolicy,
    durable: bool,
    clock: ManualClock,
    writes: AtomicU64,
    /// Loading and GC run here; requests run on per-thread connections.
    admin: Mutex<Connection>,
}

impl SqlitePeer {
    /// Open `path` (creating Laravel's tables when missing) as the variant
    /// named `name`, with `synchronous=FULL` when `durable`.
    pub fn open(
        path: &Path,
        name: &str,
        (touch, gc_policy): (Touch, GcPolicy),
        durable: bool,
        clock: &ManualClock,
    ) -> Self {
        let admin = connect(path, durable);
        let mode: String = admin
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .expect("SQLite switches to WAL");
        assert_eq!(mode, "wal", "SQLite runs in WAL mode");
        admin
            .execute_batch(SCHEMA)
            .expect("SQLite creates Laravel's tables");
        Self {
            name: name.to_owned(),
            path: path.to_owned(),
            touch,
            gc_policy,
            durable,
            clock: clock.clone(),
            writes: AtomicU64::new(0),
            admin: Mutex::new(admin),
        }
    }

    /// The bundled SQLite's version.
    pub fn version() -> &'static str {
        rusqlite::version()
    }

    fn count_write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// Insert logged-in sessions in large transactions (loading, not measured).
    fn insert_sessions(&self, seeds: &[SessionSeed]) {
        let mut conn = self
            .admin
            .lock()
            .expect("the admin connection is not poisoned");
        for chunk in seeds.chunks(100_000) {
            let tx = conn.transaction().expect("SQLite begins");
            {
                let mut insert = tx
                    .prepare_cached("INSERT INTO sessions VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                    .expect("SQLite prepares the insert");
                for s in chunk {
                    insert
                        .execute(params![
                            sha256_hex(&s.id),
                            int(s.user_id),
                            IP,
                            USER_AGENT,
                            laravel_payload(&s.csrf, Some(s.user_id)),
                            int(s.at)
                        ])
                        .expect("SQLite inserts a session");
                }
            }
            tx.commit().expect("SQLite commits the load");
        }
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("SQLite checkpoints");
    }

    /// Insert Sanctum token rows (loading, not measured). Times are unix
    /// seconds in the `datetime` columns, which SQLite stores as integers.
    fn insert_tokens(&self, tokens: &[TokenSeed]) {
        let mut conn = self
            .admin
            .lock()
            .expect("the admin connection is not poisoned");
        let tx = conn.transaction().expect("SQLite begins");
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO personal_access_tokens (id, tokenable_type, tokenable_id, name, \
                     token, abilities, last_used_at, expires_at, created_at, updated_at) \
                     VALUES (?1, 'App\\Models\\User', ?2, 'bench', ?3, '[\"*\"]', ?4, NULL, ?4, ?4)",
                )
                .expect("SQLite prepares the insert");
            for t in tokens {
                insert
                    .execute(params![int(t.id), int(t.user_id), t.digest_hex, int(t.at)])
                    .expect("SQLite inserts a token");
            }
        }
        tx.commit().expect("SQLite commits the load");
    }
}

impl Store for SqlitePeer {
    fn load_sessions(&self, seeds: &[SessionSeed]) {
        self.insert_sessions(seeds);
    }

    fn load_tokens(&self, tokens: &[TokenSeed]) {
        self.insert_tokens(tokens);
    }
}

impl Peer for SqlitePeer {
    fn name(&self) -> &str {
        &self.name
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(SqliteWorker {
            conn: connect(&self.path, self.durable),
            peer: self,
        })
    }

    fn commits(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    fn gc(&self) -> u64 {
        let cutoff = self.clock.now().saturating_sub(IDLE);
        let conn = self
            .admin
            .lock()
            .expect("the admin connection is not poisoned");
        let deleted = conn
            .prepare_cached("DELETE FROM sessions WHERE last_activity <= ?1")
            .and_then(|mut s| s.execute([int(cutoff)]))
            .expect("SQLite deletes expired sessions");
        if deleted > 0 {
            self.count_write();
        }
        deleted as u64
    }

    fn gc_policy(&self) -> GcPolicy {
        self.gc_policy
    }
}

/// One thread's connection.
struct SqliteWorker<'a> {
    conn: Connection,
    peer: &'a SqlitePeer,
}

impl SqliteWorker<'_> {
    /// Run one autocommit write statement; count it when it changed a row.
    fn write(&self, sql: &str, params: impl rusqlite::Params) -> usize {
        let changed = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut s| s.execute(params))
            .expect("SQLite runs the write");
        if changed > 0 {
            self.peer.count_write();
        }
        changed
    }
}

impl Worker for SqliteWorker<'_> {
    fn session_request(&mut self, id: &str) -> Option<u64> {
        if id.len() != 40 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None; // Laravel's isValidId
        }
        let now = self.peer.clock.now();
        let key = sha256_hex(id);
        let (user_id, _payload, last_activity) = self
            .conn
            .prepare_cached("SELECT user_id, payload, last_activity FROM sessions WHERE id = ?1")
            .and_then(|mut s| {
                s.query_row([&key], |r| {
                    Ok((
                        r.get::<_, Option<i64>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .optional()
            })
            .expect("SQLite reads the session")?;
        let last_activity = last_activity as u64;
        if idle_expired(last_activity, now) {
            return None;
        }
        if self.peer.touch.due(Some(last_activity), now) {
            self.write(
                "UPDATE sessions SET last_activity = ?1 WHERE id = ?2",
                params![int(now), key],
            );
        }
        user_id.map(|u| u as u64)
    }

    fn token_request(&mut self, token: &str) -> Option<u64> {
        let (id, secret) = split_token(token)?;
        let now = self.peer.clock.now();
        let (user_id, digest, _abilities, last_used_at, expires_at) = self
            .conn
            .prepare_cached(
                "SELECT tokenable_id, token, abilities, last_used_at, expires_at \
                 FROM personal_access_tokens WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([int(id)], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                    ))
                })
                .optional()
            })
            .expect("SQLite reads the token")?;
        if !hash_equals(&digest, &sha256_hex(secret)) {
            return None;
        }
        if expires_at.is_some_and(|e| now > e as u64) {
            return None;
        }
        if self.peer.touch.due(last_used_at.map(|t| t as u64), now) {
            self.write(
                "UPDATE personal_access_tokens SET last_used_at = ?1, updated_at = ?1 \
                 WHERE id = ?2",
                params![int(now), int(id)],
            );
        }
        Some(user_id as u64)
    }

    fn login(&mut self, user_id: u64) -> String {
        let now = self.peer.clock.now();
        let visitor = random_alnum(40);
        let visitor_key = sha256_hex(&visitor);
        self.write(
            "INSERT INTO sessions VALUES (?1, NULL, ?2, ?3, ?4, ?5)",
            params![
                visitor_key,
                IP,
                USER_AGENT,
                laravel_payload(&random_alnum(40), None),
                int(now)
            ],
        );
        let id = random_alnum(40);
        let payload = laravel_payload(&random_alnum(40), Some(user_id));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("SQLite begins a write transaction");
        {
            let (ip, agent, last_activity) = tx
                .prepare_cached(
                    "SELECT ip_address, user_agent, last_activity FROM sessions WHERE id = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([&visitor_key], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                        ))
                    })
                })
                .expect("SQLite finds the visitor's session");
            assert!(!idle_expired(last_activity as u64, now), "visitor is live");
            tx.prepare_cached("DELETE FROM sessions WHERE id = ?1")
                .and_then(|mut s| s.execute([&visitor_key]))
                .expect("SQLite deletes the visitor row");
            tx.prepare_cached("INSERT INTO sessions VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .and_then(|mut s| {
                    s.execute(params![
                        sha256_hex(&id),
                        int(user_id),
                        ip,
                        agent,
                        payload,
                        int(now)
                    ])
                })
                .expect("SQLite inserts the rotated session");
        }
        tx.commit().expect("SQLite commits the login");
        self.peer.count_write();
        id
    }

    fn save(&mut self, id: &str, payload: &[u8]) -> bool {
        let now = self.peer.clock.now();
        let payload = std::str::from_utf8(payload).expect("the bench's payloads are text");
        let changed = self.write(
            "UPDATE sessions SET payload = ?1, last_activity = ?2 \
             WHERE id = ?3 AND last_activity >= ?4",
            params![
                payload,
                int(now),
                sha256_hex(id),
                int(now.saturating_sub(IDLE))
            ],
        );
        changed == 1
    }
}
