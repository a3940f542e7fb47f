//! Opening files: new, reopened, locked, foreign, damaged, too new.

mod common;

use authkv::{Concurrency, Config, Create, Engine, Error, OpenError};
use redb::ReadableTable;

fn open_err(path: &std::path::Path) -> OpenError {
    match Engine::open(path, Config::default()) {
        Err(Error::Open(e)) => e,
        Err(other) => panic!("expected an open error, got {other:?}"),
        Ok(_) => panic!("expected an open error, got an engine"),
    }
}

#[test]
fn opening_a_missing_path_creates_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("new.redb");
    let engine = Engine::open(&path, Config::default()).expect("open");
    assert!(path.exists());
    engine.close().expect("close");
    Engine::open(&path, Config::default())
        .expect("reopen")
        .close()
        .expect("close");
}

#[test]
fn an_empty_file_is_a_new_database_only_when_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.redb");
    std::fs::write(&path, b"").expect("touch");
    match Engine::open(&path, Config::default()) {
        Err(Error::Open(OpenError::Corrupt(reason))) => {
            assert!(reason.contains("empty"), "{reason}");
        }
        other => panic!("an empty file opened as {other:?}"),
    }
    assert_eq!(
        std::fs::metadata(&path).expect("meta").len(),
        0,
        "left as found"
    );
    let mut config = Config::default();
    config.create = Create::IfMissingOrEmpty;
    Engine::open(&path, config).expect("open");
}

#[test]
fn a_missing_file_is_refused_when_creating_is_not_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing.redb");
    let mut config = Config::default();
    config.create = Create::Never;
    assert!(matches!(
        Engine::open(&path, config),
        Err(Error::Open(OpenError::Missing))
    ));
    assert!(!path.exists());
}

#[test]
fn a_truncated_file_is_corrupt_with_its_size_and_left_as_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("whole.redb");
    let engine = Engine::open(&path, Config::default()).expect("create");
    for _ in 0..50 {
        engine.create_session("1.2.3.4", "ua").expect("create");
    }
    engine.close().expect("close");
    let whole = std::fs::read(&path).expect("read");
    for cut in [5, 100, 319, 320, 4096, whole.len() / 2] {
        let cut_path = dir.path().join(format!("cut-{cut}.redb"));
        std::fs::write(&cut_path, &whole[..cut]).expect("write");
        match Engine::open(&cut_path, Config::default()) {
            Err(Error::Open(OpenError::Corrupt(reason))) => {
                assert!(reason.contains(&cut.to_string()), "cut at {cut}: {reason}");
            }
            Err(other) => panic!("cut at {cut}: {other:?}"),
            Ok(_) => panic!("cut at {cut}: opened"),
        }
        assert_eq!(
            std::fs::read(&cut_path).expect("read"),
            whole[..cut],
            "cut at {cut}"
        );
    }
}

#[test]
fn the_same_file_by_another_path_or_a_hard_link_is_one_coherent_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.redb");
    let first = Engine::open(&path, Config::default()).expect("open");
    let link = dir.path().join("link.redb");
    std::fs::hard_link(&path, &link).expect("hard link");
    let symlink = dir.path().join("symlink.redb");
    std::os::unix::fs::symlink(&path, &symlink).expect("symlink");
    let roundabout = dir.path().join(".").join("shared.redb");
    for other_path in [&link, &symlink, &roundabout] {
        let visitor = first.create_session("1.2.3.4", "ua").expect("create");
        let session = first.login(visitor.id.expose(), 7).expect("login");
        let id = session.id.expose();
        let other = Engine::open(other_path, Config::default()).expect("second open");
        assert!(other.load_session(id).expect("load").is_some());
        assert!(first.load_session(id).expect("load").is_some()); // cached
        let moved = other.regenerate_session(id).expect("regenerate");
        assert!(
            first.load_session(id).expect("load").is_none(),
            "a cached session outlived its rotation by another handle"
        );
        assert!(
            first
                .load_session(moved.id.expose())
                .expect("load")
                .is_some()
        );
        other.close().expect("close");
    }
    assert_eq!(first.user_sessions(7).expect("list").len(), 3);
}

#[test]
fn a_file_another_handle_holds_exclusively_is_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("locked.redb");
    Engine::open(&path, Config::default())
        .expect("create")
        .close()
        .expect("close");
    // redb's own default handle locks the whole file, as an authkv process
    // opened with `Concurrency::Exclusive` does.
    let held = redb::Database::create(&path).expect("redb exclusive");
    assert!(matches!(open_err(&path), OpenError::Locked));
    let mut exclusive = Config::default();
    exclusive.concurrency = Concurrency::Exclusive;
    assert!(matches!(
        Engine::open(&path, exclusive),
        Err(Error::Open(OpenError::Locked))
    ));
    let message = Error::Open(OpenError::Locked).to_string();
    assert!(message.contains("locked"), "{message}");
    drop(held);
    Engine::open(&path, Config::default()).expect("free again");
}

#[test]
fn a_file_that_is_not_redb_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("text.redb");
    let content = b"this is a plain text file, not a database at all\n".repeat(200);
    std::fs::write(&path, &content).expect("write");
    assert!(matches!(open_err(&path), OpenError::NotRedb(_)));
    assert_eq!(std::fs::read(&path).expect("read"), content);
}

#[test]
fn a_redb_file_of_another_application_is_not_authkv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&path).expect("create");
        let txn = db.begin_write().expect("write");
        {
            let table: redb::TableDefinition<u64, u64> = redb::TableDefinition::new("orders");
            let mut t = txn.open_table(table).expect("table");
            t.insert(1, 2).expect("insert");
        }
        txn.commit().expect("commit");
    }
    assert!(matches!(open_err(&path), OpenError::NotAuthkv));
}

#[test]
fn a_file_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("future.redb");
    Engine::open(&path, Config::default())
        .expect("open")
        .close()
        .expect("close");
    {
        let db = redb::Database::create(&path).expect("open raw");
        let txn = db.begin_write().expect("write");
        {
            let meta: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("meta");
            let mut t = txn.open_table(meta).expect("meta");
            t.insert("schema_version", "99").expect("insert");
        }
        txn.commit().expect("commit");
    }
    match open_err(&path) {
        OpenError::SchemaTooNew { found, supported } => {
            assert_eq!(found, 99);
            assert_eq!(supported, authkv::SCHEMA_VERSION);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn a_path_that_cannot_be_created_is_an_io_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing-dir").join("x.redb");
    assert!(matches!(open_err(&path), OpenError::Io(_)));
}

#[test]
fn invalid_configuration_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::default();
    config.gc_batch_size = 0;
    assert!(matches!(
        Engine::open(dir.path().join("c.redb"), config),
        Err(Error::InvalidConfig(_))
    ));
    let mut config = Config::default();
    config.gc_batch_size = usize::MAX;
    assert!(matches!(
        Engine::open(dir.path().join("c.redb"), config),
        Err(Error::InvalidConfig(_))
    ));
}

#[test]
fn verify_reports_an_index_row_without_its_record() {
    let f = common::fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.engine.login(s.id.expose(), 5).expect("login");
    common::assert_consistent(&f.engine);
    let path = f.path();
    f.engine.close().expect("close");
    {
        let db = redb::Database::create(&path).expect("open raw");
        let txn = db.begin_write().expect("write");
        {
            let sessions: redb::TableDefinition<[u8; 32], &[u8]> =
                redb::TableDefinition::new("sessions");
            let mut t = txn.open_table(sessions).expect("sessions");
            let key = t
                .iter()
                .expect("iter")
                .next()
                .expect("one row")
                .expect("row")
                .0
                .value();
            t.remove(key).expect("remove");
        }
        txn.commit().expect("commit");
    }
    let engine = Engine::open(&path, Config::default()).expect("reopen");
    let report = engine.verify().expect("verify");
    // The created and user rows name a missing record; the activity row of
    // a deleted session is GC's to drop, not a problem.
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    for index in ["sessions_by_created", "sessions_by_user"] {
        assert!(
            report.problems.iter().any(|p| p.starts_with(index)),
            "{index}: {:#?}",
            report.problems
        );
    }
}

/// The times of the rows in the file's `sessions_by_activity` table.
fn activity_rows(path: &std::path::Path) -> Vec<u64> {
    let db = redb::Database::create(path).expect("open raw");
    let txn = redb::ReadableDatabase::begin_read(&db).expect("read");
    let index: redb::TableDefinition<(u64, [u8; 32]), ()> =
        redb::TableDefinition::new("sessions_by_activity");
    let table = txn.open_table(index).expect("sessions_by_activity");
    table
        .iter()
        .expect("iter")
        .map(|row| row.expect("row").0.value().0)
        .collect()
}

#[test]
fn saves_and_touches_leave_the_activity_row_where_the_session_was_filed() {
    let f = common::fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let filed = s.last_activity;
    f.clock.advance(100);
    f.engine
        .save_session(s.id.expose(), b"cart", None)
        .expect("save");
    f.clock.advance(100);
    f.engine.load_session(s.id.expose()).expect("load");
    assert_eq!(f.engine.flush().expect("flush"), 1, "the touch is written");
    common::assert_consistent(&f.engine);
    let path = f.path();
    f.engine.close().expect("close");
    // One row, still at the creation time: neither write moved it, so each
    // rewrote the record's pages alone.
    assert_eq!(activity_rows(&path), vec![filed]);
}

#[test]
fn gc_leaves_one_activity_row_per_live_session_at_its_activity() {
    // Batches of two, so that a batch ends between rows of every kind.
    let f = common::fixture_with(|c| c.gc_batch_size = 2);
    let expired = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let saved = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let visitor = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let user = f.engine.login(visitor.id.expose(), 7).expect("login");
    f.engine.destroy_session(user.id.expose()).expect("logout");
    f.clock.advance(common::IDLE - 10);
    f.engine
        .save_session(saved.id.expose(), b"cart", None)
        .expect("save");
    let saved_at = common::T0 + common::IDLE - 10;
    let fresh = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.clock.advance(11);
    let report = f.engine.gc().expect("gc");
    assert_eq!((report.sessions_deleted, report.records_examined), (1, 2));
    assert!(
        f.engine
            .load_session(expired.id.expose())
            .expect("load")
            .is_none()
    );
    common::assert_consistent(&f.engine);
    let path = f.path();
    f.engine.close().expect("close");
    // The saved session's row moved to its save, the expired one's and the
    // two the login and logout left are gone, the fresh one's untouched.
    assert_eq!(activity_rows(&path), vec![saved_at, fresh.last_activity]);
}

#[test]
fn verify_reports_a_session_without_an_activity_row() {
    let f = common::fixture();
    f.engine.create_session("1.2.3.4", "ua").expect("create");
    let path = f.path();
    f.engine.close().expect("close");
    {
        let db = redb::Database::create(&path).expect("open raw");
        let txn = db.begin_write().expect("write");
        {
            let index: redb::TableDefinition<(u64, [u8; 32]), ()> =
                redb::TableDefinition::new("sessions_by_activity");
            let mut t = txn.open_table(index).expect("sessions_by_activity");
            t.retain(|_, _| false).expect("empty the index");
        }
        txn.commit().expect("commit");
    }
    let engine = Engine::open(&path, Config::default()).expect("reopen");
    let report = engine.verify().expect("verify");
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert!(
        report.problems[0].ends_with("no sessions_by_activity row at or before its last activity"),
        "{:#?}",
        report.problems
    );
}

#[test]
fn a_file_with_a_damaged_header_is_refused_without_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("damaged.redb");
    let engine = Engine::open(&path, Config::default()).expect("open");
    engine.create_session("1.2.3.4", "ua").expect("create");
    engine.close().expect("close");
    let mut bytes = std::fs::read(&path).expect("read");
    for b in bytes.iter_mut().skip(9).take(500) {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).expect("write");
    let result = Engine::open(&path, Config::default());
    assert!(
        matches!(result, Err(Error::Open(OpenError::Corrupt(_)))),
        "{result:?}"
    );
    assert_eq!(std::fs::read(&path).expect("read"), bytes, "left as found");
}
