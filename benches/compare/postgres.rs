//! PostgreSQL, on a server the bench starts itself (`initdb` and `pg_ctl`
//! in a temporary directory, Unix socket only, fsync on) and stops at the
//! end, also on a panic:
//!
//! - Laravel's *database* session driver and Sanctum's tokens: the
//!   `sessions` and `personal_access_tokens` tables as Laravel's PostgreSQL
//!   schema grammar creates them, prepared statements, one connection per
//!   thread, the same reads, writes and touch rules as the SQLite peer;
//! - authkv itself on the same server (`Engine::open_postgres`), through
//!   [`AuthkvPeer`], each store in a schema of its own.
//!
//! *disk/op* of these rows is the WAL the server generated (the log every
//! commit flushes), read from `pg_current_wal_insert_lsn()`: the server's
//! processes come and go with connections, so their `/proc` counters cannot
//! be summed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::postgres::{Client, NoTls, Statement};
use authkv::ManualClock;

use crate::Scale;
use crate::authkv_peer::AuthkvPeer;
use crate::fixture::{
    IP, SessionSeed, TokenSeed, USER_AGENT, hash_equals, laravel_payload, random_alnum, sha256_hex,
    split_token,
};
use crate::peer::{GcPolicy, IDLE, Peer, Store, Touch, Worker, idle_expired};

/// The server's settings, printed at the top of the run.
pub const SETTINGS: &str = "fsync=on, synchronous_commit=on, full_page_writes=on, \
     wal_sync_method=fdatasync, shared_buffers=512MB, max_connections=200, other settings \
     initdb's defaults; Unix socket only";

/// Laravel's `sessions` migration and Sanctum's `personal_access_tokens`
/// migration, as Laravel's PostgreSQL schema grammar emits them.
const SCHEMA: &str = r#"
create table "sessions" ("id" varchar(255) not null, "user_id" bigint null,
    "ip_address" varchar(45) null, "user_agent" text null, "payload" text not null,
    "last_activity" integer not null);
alter table "sessions" add primary key ("id");
create index "sessions_user_id_index" on "sessions" ("user_id");
create index "sessions_last_activity_index" on "sessions" ("last_activity");
create table "personal_access_tokens" ("id" bigserial not null primary key,
    "tokenable_type" varchar(255) not null, "tokenable_id" bigint not null,
    "name" text not null, "token" varchar(64) not null, "abilities" text null,
    "last_used_at" timestamp(0) without time zone null,
    "expires_at" timestamp(0) without time zone null,
    "created_at" timestamp(0) without time zone null,
    "updated_at" timestamp(0) without time zone null);
create index "personal_access_tokens_tokenable_type_tokenable_id_index"
    on "personal_access_tokens" ("tokenable_type", "tokenable_id");
alter table "personal_access_tokens" add constraint "personal_access_tokens_token_unique"
    unique ("token");
create index "personal_access_tokens_expires_at_index" on "personal_access_tokens" ("expires_at");
"#;

/// Rows per multi-row insert while loading.
const LOAD_BATCH: usize = 5_000;

/// Where a server program is: on `PATH`, or in Debian's versioned folder.
fn bin(program: &str) -> Result<PathBuf, String> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.filter_map(|d| d.ok().map(|d| d.path().join("bin")))
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    on_path
        .into_iter()
        .chain(versions.into_iter().rev())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("{program} is not installed (Debian: the postgresql package)"))
}

/// Run a server program, as the `postgres` user when this is root (the
/// server refuses to run as root).
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let binary = bin(program)?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let mut command = if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(&binary);
        command
    } else {
        Command::new(&binary)
    };
    let output = command
        .args(args)
        .output()
        .map_err(|e| format!("{program} did not start ({e})"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn utf8(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("{} is not UTF-8", path.display()))
}

/// The cluster the bench started: stopped, and its directory removed, on drop.
struct Cluster {
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Ok(data) = utf8(&self.data) {
            let _ = run("pg_ctl", &["-D", data, "-m", "fast", "-w", "stop"]);
        }
    }
}

/// A PostgreSQL server: one the bench started, or (test mode) the one
/// `AUTHKV_TEST_POSTGRES` names.
pub struct PostgresServer {
    url: String,
    /// `SHOW server_version`.
    pub version: String,
    /// What the header says about where the server runs.
    pub origin: String,
    /// Schema names start with this (unique on a server shared with others).
    tag: String,
    /// Schemas made on a server the bench did not start, dropped at the end.
    made: Mutex<Vec<String>>,
    cluster: Option<Cluster>,
}

impl PostgresServer {
    /// Start a server with [`SETTINGS`] in a fresh directory.
    ///
    /// # Errors
    /// A sentence saying why PostgreSQL is skipped.
    pub fn start() -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("authkv-bench-pg-")
            .tempdir()
            .map_err(|e| format!("no directory for PostgreSQL: {e}"))?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
                .map_err(|e| format!("cannot open the directory to the server's user: {e}"))?;
        }
        let data = dir.path().join("data");
        let log = dir.path().join("server.log");
        run(
            "initdb",
            &[
                "-D",
                utf8(&data)?,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        )?;
        let port = 30_000 + (std::process::id() % 20_000) as u16;
        let options = format!(
            "-k {} -p {port} -c listen_addresses='' -c fsync=on -c synchronous_commit=on \
             -c full_page_writes=on -c wal_sync_method=fdatasync -c shared_buffers=512MB \
             -c max_connections=200",
            dir.path().display()
        );
        let started = run(
            "pg_ctl",
            &[
                "-D",
                utf8(&data)?,
                "-o",
                &options,
                "-l",
                utf8(&log)?,
                "-w",
                "start",
            ],
        );
        let url = format!(
            "host={} port={port} user=postgres dbname=postgres",
            dir.path().display()
        );
        let cluster = Cluster { data, _dir: dir };
        if let Err(why) = started {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("{why} {}", log.trim()));
        }
        Self::on(url, "own server", Some(cluster))
    }

    /// The server `url` names (test mode), with schemas dropped at the end.
    ///
    /// # Errors
    /// A sentence saying why PostgreSQL is skipped.
    pub fn existing(url: &str) -> Result<Self, String> {
        Self::on(url.to_owned(), "AUTHKV_TEST_POSTGRES", None)
    }

    fn on(url: String, origin: &str, cluster: Option<Cluster>) -> Result<Self, String> {
        let mut client =
            Client::connect(&url, NoTls).map_err(|e| format!("PostgreSQL did not answer ({e})"))?;
        let version: String = client
            .query_one("SHOW server_version", &[])
            .map_err(|e| format!("PostgreSQL did not say its version ({e})"))?
            .get(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Ok(Self {
            url,
            version,
            origin: origin.to_owned(),
            tag: format!("bench{}_{nanos}", std::process::id()),
            made: Mutex::new(Vec::new()),
            cluster,
        })
    }

    /// A new schema `name` and a connection string whose tables live in
    /// it; commits wait for the WAL flush only when `durable` (the day
    /// counts writes and runs with `synchronous_commit=off`).
    fn schema(&self, name: &str, durable: bool) -> String {
        let schema = format!("{}_{name}", self.tag);
        let mut client =
            Client::connect(&self.url, NoTls).expect("PostgreSQL accepts a connection");
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("PostgreSQL makes a schema");
        if self.cluster.is_none() {
            self.made
                .lock()
                .expect("the schema list is not poisoned")
                .push(schema.clone());
        }
        let sync = if durable {
            ""
        } else {
            " -c synchronous_commit=off"
        };
        format!("{} options='-c search_path={schema}{sync}'", self.url)
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let made = std::mem::take(self.made.get_mut().unwrap_or_else(|e| e.into_inner()));
        if made.is_empty() {
            return;
        }
        if let Ok(mut client) = Client::connect(&self.url, NoTls) {
            for schema in made {
                let _ = client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
            }
        }
    }
}

/// Reads the server's WAL position.
pub struct WalMeter(Mutex<Client>);

impl WalMeter {
    /// A meter on the server `url` names.
    pub fn new(url: &str) -> Self {
        Self(Mutex::new(
            Client::connect(url, NoTls).expect("PostgreSQL accepts a connection"),
        ))
    }

    /// Bytes of WAL the server has generated so far.
    pub fn bytes(&self) -> Option<u64> {
        let mut client = self.0.lock().ok()?;
        let row = client
            .query_one(
                "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint",
                &[],
            )
            .ok()?;
        u64::try_from(row.get::<_, i64>(0)).ok()
    }
}

/// `VACUUM (ANALYZE)` the `tables` of the store `url` names and end with a
/// checkpoint, so that neither autovacuum nor a checkpoint of the load runs
/// in a timed row, and the planner knows the tables.
pub fn vacuum(url: &str, tables: &[&str]) {
    let mut client = Client::connect(url, NoTls).expect("PostgreSQL accepts a connection");
    for table in tables {
        client
            .batch_execute(&format!("VACUUM (ANALYZE) {table}"))
            .expect("PostgreSQL vacuums");
    }
    if let Err(e) = client.batch_execute("CHECKPOINT") {
        eprintln!("PostgreSQL did not checkpoint after loading: {e}");
    }
}

/// Rows written to `authkv_listeners` (inserts and updates) in the store
/// `url` names, as the statistics collector counted them: read after the
/// engine closed, when its listener's counts have been reported.
pub fn listener_writes(url: &str) -> Option<u64> {
    let mut client = Client::connect(url, NoTls).ok()?;
    for _ in 0..20 {
        let _ = client.batch_execute("SELECT pg_stat_clear_snapshot()");
        let row = client
            .query_opt(
                "SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables \
                 WHERE relname = 'authkv_listeners' AND schemaname = current_schema()",
                &[],
            )
            .ok()??;
        let writes: i64 = row.get(0);
        if writes > 0 {
            return u64::try_from(writes).ok();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// A unix time as Laravel's `integer` column.
fn int(v: u64) -> i32 {
    i32::try_from(v).expect("unix seconds fit in an integer column until 2038")
}

fn big(v: u64) -> i64 {
    i64::try_from(v).expect("ids fit in a bigint")
}

/// A unix time as a `timestamp(0)` value.
fn timestamp(v: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(v)
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// One Laravel variant on a schema, shared with the other variant in the
/// main store.
pub struct PostgresPeer {
    name: String,
    url: String,
    touch: Touch,
    gc_policy: GcPolicy,
    clock: ManualClock,
    writes: AtomicU64,
    /// Loading and GC run here; requests run on per-thread connections.
    admin: Mutex<Client>,
    wal: WalMeter,
}

impl PostgresPeer {
    /// The variant named `name` on the schema `url` names, creating
    /// Laravel's tables there when missing.
    pub fn open(
        url: &str,
        name: &str,
        (touch, gc_policy): (Touch, GcPolicy),
        clock: &ManualClock,
    ) -> Self {
        let mut admin = Client::connect(url, NoTls).expect("PostgreSQL accepts a connection");
        let missing: bool = admin
            .query_one("SELECT to_regclass('sessions') IS NULL", &[])
            .expect("PostgreSQL answers")
            .get(0);
        if missing {
            admin
                .batch_execute(SCHEMA)
                .expect("PostgreSQL creates Laravel's tables");
        }
        Self {
            name: name.to_owned(),
            url: url.to_owned(),
            touch,
            gc_policy,
            clock: clock.clone(),
            writes: AtomicU64::new(0),
            admin: Mutex::new(admin),
            wal: WalMeter::new(url),
        }
    }

    fn count_write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    fn admin(&self) -> std::sync::MutexGuard<'_, Client> {
        self.admin
            .lock()
            .expect("the admin connection is not poisoned")
    }
}

impl Store for PostgresPeer {
    /// Multi-row inserts of [`LOAD_BATCH`] rows, one transaction per chunk.
    fn load_sessions(&self, seeds: &[SessionSeed]) {
        let mut admin = self.admin();
        let mut tx = admin.transaction().expect("PostgreSQL begins");
        let insert = tx
            .prepare(
                "INSERT INTO sessions (id, user_id, ip_address, user_agent, payload, last_activity) \
                 SELECT * FROM unnest($1::varchar[], $2::bigint[], $3::varchar[], $4::text[], \
                 $5::text[], $6::integer[])",
            )
            .expect("PostgreSQL prepares the insert");
        for batch in seeds.chunks(LOAD_BATCH) {
            let ids: Vec<String> = batch.iter().map(|s| sha256_hex(&s.id)).collect();
            let users: Vec<i64> = batch.iter().map(|s| big(s.user_id)).collect();
            let ips = vec![IP; batch.len()];
            let agents = vec![USER_AGENT; batch.len()];
            let payloads: Vec<String> = batch
                .iter()
                .map(|s| laravel_payload(&s.csrf, Some(s.user_id)))
                .collect();
            let at: Vec<i32> = batch.iter().map(|s| int(s.at)).collect();
            tx.execute(&insert, &[&ids, &users, &ips, &agents, &payloads, &at])
                .expect("PostgreSQL inserts sessions");
        }
        tx.commit().expect("PostgreSQL commits the load");
    }

    fn load_tokens(&self, tokens: &[TokenSeed]) {
        let mut admin = self.admin();
        let mut tx = admin.transaction().expect("PostgreSQL begins");
        let insert = tx
            .prepare(
                "INSERT INTO personal_access_tokens (id, tokenable_type, tokenable_id, name, token, \
                 abilities, last_used_at, expires_at, created_at, updated_at) \
                 SELECT id, 'App\\Models\\User', owner, 'bench', token, '[\"*\"]', at, NULL, at, at \
                 FROM unnest($1::bigint[], $2::bigint[], $3::varchar[], $4::timestamp[]) \
                 AS t(id, owner, token, at)",
            )
            .expect("PostgreSQL prepares the insert");
        for batch in tokens.chunks(LOAD_BATCH) {
            let ids: Vec<i64> = batch.iter().map(|t| big(t.id)).collect();
            let owners: Vec<i64> = batch.iter().map(|t| big(t.user_id)).collect();
            let digests: Vec<&str> = batch.iter().map(|t| t.digest_hex.as_str()).collect();
            let at: Vec<SystemTime> = batch.iter().map(|t| timestamp(t.at)).collect();
            tx.execute(&insert, &[&ids, &owners, &digests, &at])
                .expect("PostgreSQL inserts tokens");
        }
        // The ids were given: move the sequence past them, as a restore would.
        tx.batch_execute(
            "SELECT setval(pg_get_serial_sequence('personal_access_tokens', 'id'), \
             greatest(coalesce(max(id), 0), 1)) FROM personal_access_tokens",
        )
        .expect("PostgreSQL moves the id sequence");
        tx.commit().expect("PostgreSQL commits the load");
    }

    fn settle_load(&self) {
        vacuum(&self.url, &["sessions", "personal_access_tokens"]);
    }
}

impl Peer for PostgresPeer {
    fn name(&self) -> &str {
        &self.name
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(PostgresWorker::new(self))
    }

    fn commits(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    fn bytes_written(&self) -> Option<u64> {
        self.wal.bytes()
    }

    /// Laravel's `DatabaseSessionHandler::gc`: one `DELETE`.
    fn gc(&self) -> u64 {
        let cutoff = int(self.clock.now().saturating_sub(IDLE));
        let deleted = self
            .admin()
            .execute("DELETE FROM sessions WHERE last_activity <= $1", &[&cutoff])
            .expect("PostgreSQL deletes expired sessions");
        if deleted > 0 {
            self.count_write();
        }
        deleted
    }

    fn gc_policy(&self) -> GcPolicy {
        self.gc_policy
    }
}

/// The statements a worker prepares once on its connection.
struct Prepared {
    read_session: Statement,
    touch_session: Statement,
    read_token: Statement,
    touch_token: Statement,
    insert_session: Statement,
    read_visitor: Statement,
    delete_session: Statement,
    save: Statement,
}

/// One thread's connection.
struct PostgresWorker<'a> {
    client: Client,
    sql: Prepared,
    peer: &'a PostgresPeer,
}

impl<'a> PostgresWorker<'a> {
    fn new(peer: &'a PostgresPeer) -> Self {
        let mut client =
            Client::connect(&peer.url, NoTls).expect("PostgreSQL accepts a connection");
        let mut prepare = |sql: &str| client.prepare(sql).expect("PostgreSQL prepares");
        let sql = Prepared {
            read_session: prepare(
                "SELECT user_id, payload, last_activity FROM sessions WHERE id = $1",
            ),
            touch_session: prepare("UPDATE sessions SET last_activity = $1 WHERE id = $2"),
            read_token: prepare(
                "SELECT tokenable_id, token, abilities, last_used_at, expires_at \
                 FROM personal_access_tokens WHERE id = $1",
            ),
            touch_token: prepare(
                "UPDATE personal_access_tokens SET last_used_at = $1, updated_at = $1 \
                 WHERE id = $2",
            ),
            insert_session: prepare(
                "INSERT INTO sessions (id, user_id, ip_address, user_agent, payload, \
                 last_activity) VALUES ($1, $2, $3, $4, $5, $6)",
            ),
            read_visitor: prepare(
                "SELECT ip_address, user_agent, last_activity FROM sessions WHERE id = $1",
            ),
            delete_session: prepare("DELETE FROM sessions WHERE id = $1"),
            save: prepare(
                "UPDATE sessions SET payload = $1, last_activity = $2 \
                 WHERE id = $3 AND last_activity >= $4",
            ),
        };
        Self { client, sql, peer }
    }
}

/// Run one autocommit write on `client`; count it when it changed a row.
fn write(
    (client, peer): (&mut Client, &PostgresPeer),
    statement: &Statement,
    params: &[&(dyn ::postgres::types::ToSql + Sync)],
) -> u64 {
    let changed = client
        .execute(statement, params)
        .expect("PostgreSQL runs the write");
    if changed > 0 {
        peer.count_write();
    }
    changed
}

impl Worker for PostgresWorker<'_> {
    fn session_request(&mut self, id: &str) -> Option<u64> {
        if id.len() != 40 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None; // Laravel's isValidId
        }
        let now = self.peer.clock.now();
        let key = sha256_hex(id);
        let row = self
            .client
            .query_opt(&self.sql.read_session, &[&key])
            .expect("PostgreSQL reads the session")?;
        let user_id: Option<i64> = row.get(0);
        let _payload: &str = row.get(1);
        let last_activity = u64::try_from(row.get::<_, i32>(2)).unwrap_or(0);
        if idle_expired(last_activity, now) {
            return None;
        }
        if self.peer.touch.due(Some(last_activity), now) {
            let on = (&mut self.client, self.peer);
            write(on, &self.sql.touch_session, &[&int(now), &key]);
        }
        user_id.map(|u| u as u64)
    }

    fn token_request(&mut self, token: &str) -> Option<u64> {
        let (id, secret) = split_token(token)?;
        let now = self.peer.clock.now();
        let row = self
            .client
            .query_opt(&self.sql.read_token, &[&big(id)])
            .expect("PostgreSQL reads the token")?;
        let user_id: i64 = row.get(0);
        let digest: &str = row.get(1);
        let _abilities: Option<&str> = row.get(2);
        let last_used_at: Option<SystemTime> = row.get(3);
        let expires_at: Option<SystemTime> = row.get(4);
        if !hash_equals(digest, &sha256_hex(secret)) {
            return None;
        }
        if expires_at.is_some_and(|e| now > unix(e)) {
            return None;
        }
        if self.peer.touch.due(last_used_at.map(unix), now) {
            let on = (&mut self.client, self.peer);
            write(on, &self.sql.touch_token, &[&timestamp(now), &big(id)]);
        }
        Some(user_id as u64)
    }

    fn login(&mut self, user_id: u64) -> String {
        let now = self.peer.clock.now();
        let visitor_key = sha256_hex(&random_alnum(40));
        write(
            (&mut self.client, self.peer),
            &self.sql.insert_session,
            &[
                &visitor_key,
                &None::<i64>,
                &IP,
                &USER_AGENT,
                &laravel_payload(&random_alnum(40), None),
                &int(now),
            ],
        );
        let id = random_alnum(40);
        let payload = laravel_payload(&random_alnum(40), Some(user_id));
        let mut tx = self.client.transaction().expect("PostgreSQL begins");
        let row = tx
            .query_one(&self.sql.read_visitor, &[&visitor_key])
            .expect("PostgreSQL finds the visitor's session");
        let (ip, agent): (String, String) = (row.get(0), row.get(1));
        let last_activity = u64::try_from(row.get::<_, i32>(2)).unwrap_or(0);
        assert!(!idle_expired(last_activity, now), "visitor is live");
        tx.execute(&self.sql.delete_session, &[&visitor_key])
            .expect("PostgreSQL deletes the visitor row");
        tx.execute(
            &self.sql.insert_session,
            &[
                &sha256_hex(&id),
                &Some(big(user_id)),
                &ip,
                &agent,
                &payload,
                &int(now),
            ],
        )
        .expect("PostgreSQL inserts the rotated session");
        tx.commit().expect("PostgreSQL commits the login");
        self.peer.count_write();
        id
    }

    fn save(&mut self, id: &str, payload: &[u8]) -> bool {
        let now = self.peer.clock.now();
        let payload = std::str::from_utf8(payload).expect("the bench's payloads are text");
        let changed = write(
            (&mut self.client, self.peer),
            &self.sql.save,
            &[
                &payload,
                &int(now),
                &sha256_hex(id),
                &int(now.saturating_sub(IDLE)),
            ],
        );
        changed == 1
    }
}

/// Every PostgreSQL system of one store: authkv on the server, then
/// Laravel's variant that writes on every request and the throttled one.
pub struct PgSystems {
    /// authkv opened with `Engine::open_postgres`.
    pub authkv: AuthkvPeer,
    /// Laravel, then throttled.
    pub laravel: [PostgresPeer; 2],
    /// authkv's store, for its statistics after it closed.
    pub authkv_url: String,
}

/// The name of authkv's rows on PostgreSQL.
pub const AUTHKV: &str = "authkv PostgreSQL";
/// The names of the Laravel variants' rows and of the GC row.
pub const LARAVEL: [&str; 3] = ["PostgreSQL Laravel", "PostgreSQL throttled", "PostgreSQL"];

impl PgSystems {
    /// The main store: durable commits, both Laravel variants on one
    /// schema, every system on `clock`.
    pub fn main(
        server: &PostgresServer,
        clock: &ManualClock,
        policies: [(Touch, GcPolicy); 2],
    ) -> Self {
        let authkv_url = server.schema("authkv", true);
        let laravel_url = server.schema("laravel", true);
        Self {
            authkv: AuthkvPeer::open_postgres(&authkv_url, AUTHKV, clock),
            laravel: [
                PostgresPeer::open(&laravel_url, LARAVEL[0], policies[0], clock),
                PostgresPeer::open(&laravel_url, LARAVEL[1], policies[1], clock),
            ],
            authkv_url,
        }
    }

    /// The day's stores: a schema and a clock each, commits without
    /// waiting for the WAL flush (the day counts writes).
    pub fn day(
        server: &PostgresServer,
        clocks: [&ManualClock; 3],
        policies: [(Touch, GcPolicy); 2],
    ) -> Self {
        let authkv_url = server.schema("day_authkv", false);
        Self {
            authkv: AuthkvPeer::open_postgres(&authkv_url, AUTHKV, clocks[0]),
            laravel: [
                PostgresPeer::open(
                    &server.schema("day_laravel", false),
                    LARAVEL[0],
                    policies[0],
                    clocks[1],
                ),
                PostgresPeer::open(
                    &server.schema("day_throttled", false),
                    LARAVEL[1],
                    policies[1],
                    clocks[2],
                ),
            ],
            authkv_url,
        }
    }

    /// What loading fills, with labels for the loading times: authkv's
    /// import and the Laravel tables (the variants share them in the main
    /// store, so only the first is loaded unless `each`).
    pub fn stores(&self, each: bool) -> Vec<(&'static str, &dyn Store)> {
        let mut stores: Vec<(&'static str, &dyn Store)> =
            vec![(AUTHKV, &self.authkv), ("PostgreSQL", &self.laravel[0])];
        if each {
            stores.push(("PostgreSQL", &self.laravel[1]));
        }
        stores
    }

    /// Every system with its timed calls: fewer for the variant that
    /// writes durably on every request.
    pub fn all(&self, scale: &Scale) -> Vec<(&dyn Peer, usize)> {
        vec![
            (&self.authkv, scale.reads),
            (&self.laravel[0], scale.writes),
            (&self.laravel[1], scale.reads),
        ]
    }

    /// The systems warmed before the lookup rows: authkv (its caches) and
    /// the throttled variant (the server's buffers), whose reads do not write.
    pub fn caching(&self) -> Vec<&dyn Peer> {
        vec![&self.authkv, &self.laravel[1]]
    }

    /// authkv and the throttled variant, `n` calls each.
    pub fn best(&self, n: usize) -> Vec<(&dyn Peer, usize)> {
        vec![(&self.authkv, n), (&self.laravel[1], n)]
    }

    /// The GC rows' systems and labels.
    pub fn collectors(&self) -> Vec<(&dyn Peer, &'static str)> {
        vec![(&self.authkv, AUTHKV), (&self.laravel[0], LARAVEL[2])]
    }

    /// Every system for the day.
    pub fn peers(&self) -> Vec<&dyn Peer> {
        vec![&self.authkv, &self.laravel[0], &self.laravel[1]]
    }
}
