//! Redis as session drivers use it: a hash per session (Laravel's columns)
//! plus a sorted set of ids by `last_activity` for GC, and a hash per
//! personal access token. The bench starts its own `redis-server` on a free
//! loopback port and kills it when dropped, also on a panic. One command is
//! one round trip: no pipelining on the request path.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use authkv::ManualClock;

use crate::fixture::{
    IP, SessionSeed, TokenSeed, USER_AGENT, hash_equals, laravel_payload, random_alnum, sha256_hex,
    split_token,
};
use crate::peer::{IDLE, Peer, Store, Touch, Worker, dirtied_bytes, idle_expired};
use crate::resp::{Reply, Resp};

/// The persistence the server runs with, printed at the top of the run.
pub const SETTINGS: &str = "--save '' --appendonly yes --appendfsync everysec \
     (AOF written per command, fsynced once a second: up to ~1 s of writes can be lost)";

/// A `redis-server` child process on 127.0.0.1; killed on drop.
pub struct RedisServer {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
    /// `redis-server --version`'s `v=` field.
    pub version: String,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Start a server with [`SETTINGS`] in a fresh directory.
    ///
    /// # Errors
    /// A sentence saying why Redis is skipped: the binary is missing, or
    /// the server did not come up.
    pub fn start() -> Result<Self, String> {
        let probe = Command::new("redis-server")
            .arg("--version")
            .output()
            .map_err(|e| format!("redis-server is not installed ({e})"))?;
        let text = String::from_utf8_lossy(&probe.stdout);
        let version = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix("v="))
            .unwrap_or("unknown")
            .to_owned();
        let dir = tempfile::tempdir().map_err(|e| format!("no directory for Redis: {e}"))?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free loopback port: {e}"))?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
            ])
            .arg("--dir")
            .arg(dir.path())
            .args(["--daemonize", "no", "--logfile", ""])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server did not start ({e})"))?;
        let server = Self {
            child,
            port,
            version,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut conn) = Resp::connect(port)
                && matches!(conn.command(&[b"PING"]), Reply::Status(s) if s == "PONG")
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!("redis-server did not answer on port {port}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // Killing a child that already exited fails harmlessly.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One Redis variant on keys shared with the other variant.
pub struct RedisPeer {
    name: String,
    port: u16,
    /// The server's process id, for its I/O counters.
    pid: String,
    prefix: String,
    touch: Touch,
    clock: ManualClock,
    writes: AtomicU64,
    /// Loading and GC run here; requests run on per-thread connections.
    admin: Mutex<Resp>,
}

impl RedisPeer {
    /// A variant named `name` on `server`, its keys starting with `prefix`.
    pub fn new(
        server: &RedisServer,
        name: &str,
        prefix: &str,
        touch: Touch,
        clock: &ManualClock,
    ) -> Self {
        Self {
            name: name.to_owned(),
            port: server.port,
            pid: server.child.id().to_string(),
            prefix: prefix.to_owned(),
            touch,
            clock: clock.clone(),
            writes: AtomicU64::new(0),
            admin: Mutex::new(Resp::connect(server.port).expect("Redis accepts a connection")),
        }
    }

    fn session_key(&self, hex: &str) -> String {
        format!("{}session:{hex}", self.prefix)
    }

    fn by_activity(&self) -> String {
        format!("{}sessions:by_activity", self.prefix)
    }

    fn token_key(&self, id: u64) -> String {
        format!("{}pat:{id}", self.prefix)
    }

    /// Store sessions, pipelined 1,000 at a time (loading, not measured).
    fn insert_sessions(&self, seeds: &[SessionSeed]) {
        let mut admin = self
            .admin
            .lock()
            .expect("the admin connection is not poisoned");
        let zset = self.by_activity().into_bytes();
        for chunk in seeds.chunks(1000) {
            let mut commands = Vec::with_capacity(chunk.len() * 2);
            for s in chunk {
                let hex = sha256_hex(&s.id);
                commands.push(vec![
                    b"HSET".to_vec(),
                    self.session_key(&hex).into_bytes(),
                    b"user_id".to_vec(),
                    s.user_id.to_string().into_bytes(),
                    b"ip_address".to_vec(),
                    IP.as_bytes().to_vec(),
                    b"user_agent".to_vec(),
                    USER_AGENT.as_bytes().to_vec(),
                    b"payload".to_vec(),
                    laravel_payload(&s.csrf, Some(s.user_id)).into_bytes(),
                    b"last_activity".to_vec(),
                    s.at.to_string().into_bytes(),
                ]);
                commands.push(vec![
                    b"ZADD".to_vec(),
                    zset.clone(),
                    s.at.to_string().into_bytes(),
                    hex.into_bytes(),
                ]);
            }
            admin.pipeline(&commands);
        }
    }

    /// Store Sanctum token rows as hashes (loading, not measured).
    fn insert_tokens(&self, tokens: &[TokenSeed]) {
        let mut admin = self
            .admin
            .lock()
            .expect("the admin connection is not poisoned");
        for chunk in tokens.chunks(1000) {
            let commands: Vec<Vec<Vec<u8>>> = chunk
                .iter()
                .map(|t| {
                    let at = t.at.to_string().into_bytes();
                    vec![
                        b"HSET".to_vec(),
                        self.token_key(t.id).into_bytes(),
                        b"tokenable_type".to_vec(),
                        b"App\\Models\\User".to_vec(),
                        b"tokenable_id".to_vec(),
                        t.user_id.to_string().into_bytes(),
                        b"name".to_vec(),
                        b"bench".to_vec(),
                        b"token".to_vec(),
                        t.digest_hex.clone().into_bytes(),
                        b"abilities".to_vec(),
                        b"[\"*\"]".to_vec(),
                        b"last_used_at".to_vec(),
                        at.clone(),
                        b"created_at".to_vec(),
                        at.clone(),
                        b"updated_at".to_vec(),
                        at,
                    ]
                })
                .collect();
            admin.pipeline(&commands);
        }
    }
}

impl Store for RedisPeer {
    fn load_sessions(&self, seeds: &[SessionSeed]) {
        self.insert_sessions(seeds);
    }

    fn load_tokens(&self, tokens: &[TokenSeed]) {
        self.insert_tokens(tokens);
    }

    /// Rewrite the AOF now and wait for it: loading grows the AOF past
    /// Redis's automatic rewrite threshold, and a rewrite forked during a
    /// timed row would take a core from every system.
    fn settle_load(&self) {
        let mut admin = self
            .admin
            .lock()
            .expect("the admin connection is not poisoned");
        let wait_for_rewrite = |admin: &mut Resp| loop {
            let info = admin.command(&[b"INFO", b"persistence"]).into_bulk();
            let info = String::from_utf8_lossy(info.as_deref().unwrap_or_default()).into_owned();
            let busy = info.lines().any(|line| {
                matches!(
                    line.trim(),
                    "aof_rewrite_in_progress:1" | "aof_rewrite_scheduled:1"
                )
            });
            if !busy {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        wait_for_rewrite(&mut admin);
        admin.command(&[b"BGREWRITEAOF"]);
        wait_for_rewrite(&mut admin);
    }
}

impl Peer for RedisPeer {
    fn name(&self) -> &str {
        &self.name
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(RedisWorker {
            conn: Resp::connect(self.port).expect("Redis accepts a connection"),
            peer: self,
        })
    }

    fn commits(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    fn bytes_written(&self) -> Option<u64> {
        dirtied_bytes(&self.pid)
    }

    fn gc(&self) -> u64 {
        let cutoff = self.clock.now().saturating_sub(IDLE).to_string();
        let zset = self.by_activity();
        let mut admin = self
            .admin
            .lock()
            .expect("the admin connection is not poisoned");
        let mut deleted = 0;
        loop {
            let members: Vec<Vec<u8>> = admin
                .command(&[
                    b"ZRANGEBYSCORE",
                    zset.as_bytes(),
                    b"-inf",
                    cutoff.as_bytes(),
                    b"LIMIT",
                    b"0",
                    b"1000",
                ])
                .into_array()
                .into_iter()
                .filter_map(Reply::into_bulk)
                .collect();
            if members.is_empty() {
                return deleted;
            }
            let keys: Vec<Vec<u8>> = members
                .iter()
                .map(|m| self.session_key(&String::from_utf8_lossy(m)).into_bytes())
                .collect();
            let mut del: Vec<&[u8]> = vec![b"DEL"];
            del.extend(keys.iter().map(Vec::as_slice));
            if let Reply::Int(n) = admin.command(&del) {
                deleted += n as u64;
            }
            let mut zrem: Vec<&[u8]> = vec![b"ZREM", zset.as_bytes()];
            zrem.extend(members.iter().map(Vec::as_slice));
            admin.command(&zrem);
            self.writes.fetch_add(2, Ordering::Relaxed);
        }
    }
}

/// One thread's connection.
struct RedisWorker<'a> {
    conn: Resp,
    peer: &'a RedisPeer,
}

/// Field `name` of an HGETALL reply (`[name, value, name, value, …]`).
fn field<'r>(fields: &'r [Reply], name: &str) -> Option<&'r [u8]> {
    fields.chunks(2).find_map(|pair| match pair {
        [Reply::Bulk(Some(n)), Reply::Bulk(Some(v))] if n == name.as_bytes() => Some(v.as_slice()),
        _ => None,
    })
}

/// A decimal field; `None` when absent or empty.
fn number(bytes: Option<&[u8]>) -> Option<u64> {
    std::str::from_utf8(bytes?).ok()?.parse().ok()
}

impl RedisWorker<'_> {
    /// Send one write command and count it.
    fn write(&mut self, args: &[&[u8]]) -> Reply {
        self.peer.writes.fetch_add(1, Ordering::Relaxed);
        self.conn.command(args)
    }

    /// HSET a session's fields and ZADD it by activity.
    fn put_session(&mut self, hex: &str, user: Option<u64>, payload: &[u8], now: u64) {
        let user = user.map(|u| u.to_string()).unwrap_or_default();
        let now = now.to_string();
        let key = self.peer.session_key(hex);
        self.write(&[
            b"HSET",
            key.as_bytes(),
            b"user_id",
            user.as_bytes(),
            b"ip_address",
            IP.as_bytes(),
            b"user_agent",
            USER_AGENT.as_bytes(),
            b"payload",
            payload,
            b"last_activity",
            now.as_bytes(),
        ]);
        let zset = self.peer.by_activity();
        self.write(&[b"ZADD", zset.as_bytes(), now.as_bytes(), hex.as_bytes()]);
    }

    /// Move a session's `last_activity` (hash field and sorted set).
    fn touch_session(&mut self, key: &str, hex: &str, now: u64) {
        let now = now.to_string();
        self.write(&[b"HSET", key.as_bytes(), b"last_activity", now.as_bytes()]);
        let zset = self.peer.by_activity();
        self.write(&[b"ZADD", zset.as_bytes(), now.as_bytes(), hex.as_bytes()]);
    }
}

impl Worker for RedisWorker<'_> {
    fn session_request(&mut self, id: &str) -> Option<u64> {
        if id.len() != 40 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let now = self.peer.clock.now();
        let hex = sha256_hex(id);
        let key = self.peer.session_key(&hex);
        let fields = self
            .conn
            .command(&[b"HGETALL", key.as_bytes()])
            .into_array();
        let last_activity = number(field(&fields, "last_activity"))?;
        let user_id = number(field(&fields, "user_id"));
        let _payload = field(&fields, "payload")?.to_vec();
        if idle_expired(last_activity, now) {
            return None;
        }
        if self.peer.touch.due(Some(last_activity), now) {
            self.touch_session(&key, &hex, now);
        }
        user_id
    }

    fn token_request(&mut self, token: &str) -> Option<u64> {
        let (id, secret) = split_token(token)?;
        let now = self.peer.clock.now();
        let key = self.peer.token_key(id);
        let fields = self
            .conn
            .command(&[b"HGETALL", key.as_bytes()])
            .into_array();
        let digest = std::str::from_utf8(field(&fields, "token")?).ok()?;
        if !hash_equals(digest, &sha256_hex(secret)) {
            return None;
        }
        if number(field(&fields, "expires_at")).is_some_and(|e| now > e) {
            return None;
        }
        let user_id = number(field(&fields, "tokenable_id"))?;
        let _abilities = field(&fields, "abilities").map(<[u8]>::to_vec);
        if self
            .peer
            .touch
            .due(number(field(&fields, "last_used_at")), now)
        {
            let now = now.to_string();
            self.write(&[
                b"HSET",
                key.as_bytes(),
                b"last_used_at",
                now.as_bytes(),
                b"updated_at",
                now.as_bytes(),
            ]);
        }
        Some(user_id)
    }

    fn login(&mut self, user_id: u64) -> String {
        let now = self.peer.clock.now();
        let visitor = sha256_hex(&random_alnum(40));
        let payload = laravel_payload(&random_alnum(40), None);
        self.put_session(&visitor, None, payload.as_bytes(), now);
        let key = self.peer.session_key(&visitor);
        let fields = self
            .conn
            .command(&[b"HGETALL", key.as_bytes()])
            .into_array();
        let last_activity =
            number(field(&fields, "last_activity")).expect("the visitor's session is stored");
        assert!(!idle_expired(last_activity, now), "visitor is live");
        self.write(&[b"DEL", key.as_bytes()]);
        let zset = self.peer.by_activity();
        self.write(&[b"ZREM", zset.as_bytes(), visitor.as_bytes()]);
        let id = random_alnum(40);
        let payload = laravel_payload(&random_alnum(40), Some(user_id));
        self.put_session(&sha256_hex(&id), Some(user_id), payload.as_bytes(), now);
        id
    }

    fn save(&mut self, id: &str, payload: &[u8]) -> bool {
        let now = self.peer.clock.now();
        let hex = sha256_hex(id);
        let key = self.peer.session_key(&hex);
        let last = self
            .conn
            .command(&[b"HGET", key.as_bytes(), b"last_activity"])
            .into_bulk();
        let Some(last) = number(last.as_deref()) else {
            return false;
        };
        if idle_expired(last, now) {
            return false;
        }
        let at = now.to_string();
        self.write(&[
            b"HSET",
            key.as_bytes(),
            b"payload",
            payload,
            b"last_activity",
            at.as_bytes(),
        ]);
        let zset = self.peer.by_activity();
        self.write(&[b"ZADD", zset.as_bytes(), at.as_bytes(), hex.as_bytes()]);
        true
    }
}
