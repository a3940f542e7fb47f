//! Opening a file that is not a usable authkv database reports why.

use authkv::{Config, Engine, Error, OpenError};

fn open_error(path: &std::path::Path) -> OpenError {
    match Engine::open(path, Config::default()) {
        Err(Error::Open(e)) => e,
        Err(other) => panic!("expected an open error, got {other:?}"),
        Ok(_) => panic!("opening {} should fail", path.display()),
    }
}

#[test]
fn a_file_without_redbs_header_is_not_redb() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, contents) in [("short", vec![b'x'; 5]), ("long", vec![b'x'; 8192])] {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).expect("write");
        assert!(
            matches!(open_error(&path), OpenError::NotRedb(_)),
            "{name} file"
        );
        assert!(
            !std::fs::read(&path).expect("read").is_empty(),
            "left alone"
        );
    }
}

#[test]
fn a_redb_file_without_the_schema_record_is_not_authkv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&path).expect("create");
        let txn = db.begin_write().expect("write");
        {
            let table: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("other");
            txn.open_table(table)
                .expect("table")
                .insert("k", 1)
                .expect("insert");
        }
        txn.commit().expect("commit");
    }
    assert!(matches!(open_error(&path), OpenError::NotAuthkv));
}

#[test]
fn a_file_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("newer.redb");
    Engine::open(&path, Config::default())
        .expect("create")
        .close()
        .expect("close");
    {
        let db = redb::Database::create(&path).expect("open");
        let txn = db.begin_write().expect("write");
        {
            let meta: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("meta");
            txn.open_table(meta)
                .expect("meta")
                .insert("schema_version", "99")
                .expect("insert");
        }
        txn.commit().expect("commit");
    }
    assert!(matches!(
        open_error(&path),
        OpenError::SchemaTooNew { found: 99, .. }
    ));
}
