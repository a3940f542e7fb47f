//! What only the PostgreSQL backend has: several engines ("hosts") on one
//! database, a listener that can die, a server that can stop, a statement
//! that can time out. Every other behaviour is pinned by the conformance
//! suite (the semantic tests run with `AUTHKV_TEST_BACKEND=postgres`).

mod common;

use std::time::{Duration, Instant};

use authkv::{Config, Engine, Error, OpenError};
use common::postgres::{fresh_database, init_cluster, shared_dir, start, stop};

/// The schema a connection string from `fresh_database` names.
fn schema_of(url: &str) -> &str {
    let start = url.find("search_path=").expect("a search path") + "search_path=".len();
    url[start..].trim_end_matches('\'')
}

fn client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connect")
}

/// Two engines on one fresh database, as two hosts would have.
fn two_hosts() -> (String, Engine, Engine) {
    let url = fresh_database();
    let a = Engine::open_postgres(&url, Config::default()).expect("host a");
    let b = Engine::open_postgres(&url, Config::default()).expect("host b");
    (url, a, b)
}

/// Whether `engine` still accepts the session, asked twice so that the
/// second answer may come from its caches.
fn accepts_session(engine: &Engine, id: &str) -> bool {
    let first = engine.load_session(id).expect("load").is_some();
    let second = engine.load_session(id).expect("load").is_some();
    assert_eq!(first, second, "two lookups in a row disagree");
    first
}

fn accepts_token(engine: &Engine, text: &str) -> bool {
    let first = engine.authenticate_token(text).expect("auth").is_some();
    let second = engine.authenticate_token(text).expect("auth").is_some();
    assert_eq!(first, second, "two lookups in a row disagree");
    first
}

#[test]
fn a_revocation_on_one_host_is_refused_by_the_other_on_its_next_call() {
    let (_url, a, b) = two_hosts();
    a.set_password(7, "user7", "first password")
        .expect("password");
    for round in 0..1000u64 {
        let session = a.create_session("10.0.0.1", "ua").expect("create");
        let session = a.login(session.id.expose(), 7).expect("login");
        let id = session.id.expose().to_owned();
        let token = a.create_token(7, "ci", ["*"], None).expect("token");
        let text = token.plain_text.expose().to_owned();
        assert!(
            accepts_session(&b, &id),
            "round {round}: b sees the new session"
        );
        assert!(
            accepts_token(&b, &text),
            "round {round}: b sees the new token"
        );
        match round % 5 {
            0 => assert!(a.destroy_session(&id).expect("destroy")),
            1 => {
                a.invalidate_session(&id).expect("logout");
            }
            2 => {
                a.revoke_user_sessions(7, None).expect("revoke user");
            }
            3 => {
                let password = format!("password {round}");
                a.change_password(7, &password, None, true).expect("change");
            }
            _ => {
                let handle = session.handle();
                a.revoke_session(&handle).expect("revoke by handle");
            }
        }
        assert!(
            !accepts_session(&b, &id),
            "round {round}: b still accepts the session"
        );
        if round % 5 != 3 {
            assert!(a.revoke_token(token.id).expect("revoke token"));
        }
        assert!(
            !accepts_token(&b, &text),
            "round {round}: b still accepts the token"
        );
    }
}

#[test]
fn the_other_host_serves_repeated_lookups_from_its_caches() {
    let (url, a, b) = two_hosts();
    let session = a.create_session("10.0.0.1", "ua").expect("create");
    let id = session.id.expose();
    assert!(b.load_session(id).expect("load").is_some());
    assert_eq!(b.stats().expect("stats").cached_records, 1);
    assert!(b.coherence_check(), "the caches are trusted");
    // With the server unable to answer for this schema, cached lookups
    // still do: they make no round trip.
    let mut admin = client(&url);
    let mut holding = admin.transaction().expect("begin");
    holding
        .batch_execute("LOCK TABLE authkv_sessions IN ACCESS EXCLUSIVE MODE")
        .expect("lock");
    for _ in 0..1000 {
        assert!(b.load_session(id).expect("from the cache").is_some());
    }
    holding.rollback().expect("release");
}

/// Terminate every listening connection of `url`'s schema.
fn kill_listeners(admin: &mut postgres::Client, url: &str) -> u64 {
    let name = format!("authkv-listener:{}", schema_of(url));
    admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .expect("terminate")
        .len() as u64
}

#[test]
fn a_killed_listener_never_lets_a_stale_answer_through() {
    let (url, a, b) = two_hosts();
    let mut admin = client(common::postgres::server());
    let mut killed = 0;
    for round in 0..50 {
        let session = a.create_session("10.0.0.1", "ua").expect("create");
        let id = session.id.expose().to_owned();
        assert!(accepts_session(&b, &id), "round {round}");
        killed += kill_listeners(&mut admin, &url);
        assert!(a.destroy_session(&id).expect("destroy"));
        assert!(!accepts_session(&b, &id), "round {round}: stale accept");
    }
    assert!(killed >= 50, "listeners were killed {killed} times");
}

#[test]
fn opening_with_no_server_is_a_clear_error_without_the_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "postgresql://app:hunter2-secret@localhost/app?host={}&port=5999&connect_timeout=2",
        dir.path().display()
    );
    let error = Engine::open_postgres(&url, Config::default()).expect_err("no server");
    assert!(
        matches!(error, Error::Open(OpenError::Unreachable(_))),
        "{error:?}"
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
    let garbled =
        Engine::open_postgres("host=/x port=notaport", Config::default()).expect_err("bad string");
    assert!(matches!(garbled, Error::Open(OpenError::Unreachable(_))));
}

#[test]
fn calls_fail_clearly_while_the_server_is_down_and_recover_after_it_restarts() {
    let dir = shared_dir();
    let data = init_cluster(&dir);
    let port = 40_000 + (std::process::id() % 20_000) as u16;
    start(&data, &dir, port);
    let url = format!(
        "host={} port={port} user=postgres dbname=postgres",
        dir.display()
    );
    let engine = Engine::open_postgres(&url, Config::default()).expect("open");
    let session = engine.create_session("10.0.0.1", "ua").expect("create");
    let id = session.id.expose().to_owned();
    assert!(engine.load_session(&id).expect("load").is_some());

    stop(&data);
    let error = engine
        .create_session("10.0.0.1", "ua")
        .expect_err("server down");
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    // The caches are not trusted without a listener: a lookup asks the
    // server, and fails, rather than answer from memory.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match engine.load_session(&id) {
            Err(Error::Server(_)) => break,
            Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            other => panic!("a lookup with the server down answered {other:?}"),
        }
    }

    start(&data, &dir, port);
    let deadline = Instant::now() + Duration::from_secs(15);
    let again = loop {
        match engine.create_session("10.0.0.1", "ua") {
            Ok(session) => break session,
            Err(Error::Server(_)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            other => panic!("after the restart: {other:?}"),
        }
    };
    assert!(engine.load_session(&id).expect("load").is_some(), "kept");
    assert!(
        engine
            .load_session(again.id.expose())
            .expect("load")
            .is_some()
    );
    engine.close().expect("close");
    stop(&data);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_statement_that_waits_past_the_timeout_fails_and_changes_nothing() {
    let url = fresh_database();
    let mut config = Config::default();
    config.server_timeout = Duration::from_millis(300);
    let engine = Engine::open_postgres(&url, config).expect("open");
    let session = engine.create_session("10.0.0.1", "ua").expect("create");
    let id = session.id.expose().to_owned();
    let version = engine.save_session(&id, b"before", None).expect("save");

    let mut blocker = client(&url);
    let mut holding = blocker.transaction().expect("begin");
    holding
        .batch_execute("LOCK TABLE authkv_sessions IN ACCESS EXCLUSIVE MODE")
        .expect("lock");
    let started = Instant::now();
    let error = engine
        .save_session(&id, b"after", Some(version))
        .expect_err("blocked");
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "gave up in time"
    );
    holding.rollback().expect("release");

    let loaded = engine.load_session(&id).expect("load").expect("live");
    assert_eq!(loaded.payload, b"before");
    engine
        .save_session(&id, b"after", Some(version))
        .expect("save once free");
}

#[test]
fn a_flush_writes_every_pending_touch_in_one_transaction() {
    let url = fresh_database();
    let clock = authkv::ManualClock::new(common::T0);
    let engine = Engine::open_postgres(&url, common::config(&clock)).expect("open");
    let ids: Vec<String> = (0..300)
        .map(|_| {
            let session = engine.create_session("10.0.0.1", "ua").expect("create");
            session.id.expose().to_owned()
        })
        .collect();
    clock.advance(120);
    for id in &ids {
        engine.load_session(id).expect("load").expect("live");
    }
    let before = engine.stats().expect("stats");
    assert_eq!(before.touches_pending, 300);
    assert_eq!(engine.flush().expect("flush"), 300);
    let after = engine.stats().expect("stats");
    assert_eq!(after.write_commits, before.write_commits + 1);
    let moved: i64 = client(&url)
        .query_one(
            "SELECT count(*) FROM authkv_sessions WHERE last_activity = $1",
            &[&((common::T0 + 120) as i64)],
        )
        .expect("count")
        .get(0);
    assert_eq!(moved, 300);
}

#[test]
fn the_tables_read_plainly_in_psql_and_hold_no_secret() {
    let url = fresh_database();
    let engine = Engine::open_postgres(&url, Config::default()).expect("open");
    let session = engine.create_session("10.0.0.1", "ua").expect("create");
    let session = engine.login(session.id.expose(), 42).expect("login");
    let token = engine
        .create_token(42, "deploy", ["read"], None)
        .expect("token");
    let mut client = client(&url);
    let row = client
        .query_one(
            "SELECT user_id, ip, length(digest) FROM authkv_sessions",
            &[],
        )
        .expect("session row");
    assert_eq!(row.get::<_, Option<i64>>(0), Some(42));
    assert_eq!(row.get::<_, String>(1), "10.0.0.1");
    assert_eq!(row.get::<_, i32>(2), 32);
    let row = client
        .query_one("SELECT name, abilities FROM authkv_tokens", &[])
        .expect("token row");
    assert_eq!(row.get::<_, String>(0), "deploy");
    assert_eq!(row.get::<_, Vec<String>>(1), vec!["read".to_owned()]);
    let version: i32 = client
        .query_one("SELECT max(version) FROM authkv_migrations", &[])
        .expect("migrations")
        .get(0);
    assert!(version >= 1);
    let everything = common::postgres::all_rows(&url);
    assert!(!everything.contains(session.id.expose()));
    let secret = token
        .plain_text
        .expose()
        .split_once('|')
        .expect("id|secret")
        .1;
    assert!(!everything.contains(secret));
}

#[test]
fn a_session_filed_under_its_plain_digest_before_the_upgrade_still_authenticates() {
    let url = fresh_database();
    let engine = Engine::open_postgres(&url, Config::default()).expect("open");
    let visitor = engine.create_session("10.0.0.1", "ua").expect("create");
    let session = engine.login(visitor.id.expose(), 42).expect("login");
    let id = session.id.expose().to_owned();
    engine.close().expect("close");
    // What the earlier schema stored: the plain SHA-256 of the id, and no
    // migration that marks such sessions.
    let mut admin = client(&url);
    let filed = admin
        .execute(
            "UPDATE authkv_sessions SET digest = sha256(convert_to($1, 'UTF8'))",
            &[&id],
        )
        .expect("file under the plain digest");
    assert_eq!(filed, 1);
    admin
        .batch_execute(
            "DELETE FROM authkv_migrations
                 WHERE version = (SELECT max(version) FROM authkv_migrations);
             DELETE FROM authkv_meta WHERE key = 'legacy_session_keys_before';",
        )
        .expect("back to the schema before");

    let engine = Engine::open_postgres(&url, Config::default()).expect("upgrade");
    let mark: String = admin
        .query_one(
            "SELECT value FROM authkv_meta WHERE key = 'legacy_session_keys_before'",
            &[],
        )
        .expect("the upgrade marks the sessions stored so far")
        .get(0);
    assert_eq!(mark, (session.created_at + 1).to_string());
    let loaded = engine.load_session(&id).expect("load").expect("still live");
    assert_eq!(loaded.user_id, Some(42));
    let plain: String = admin
        .query_one("SELECT encode(digest, 'hex') FROM authkv_sessions", &[])
        .expect("row")
        .get(0);
    assert_eq!(loaded.handle(), plain);
    let rotated = engine.regenerate_session(&id).expect("regenerate");
    assert!(!accepts_session(&engine, &id));
    assert!(accepts_session(&engine, rotated.id.expose()));
}
