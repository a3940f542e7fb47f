//! Calls that find nothing to change commit nothing: an empty durable
//! commit still costs an fsync.

mod common;

use common::*;

#[test]
fn destroying_an_unknown_session_commits_nothing() {
    let f = fixture();
    let commits = f.engine.stats().expect("stats").write_commits;
    let unknown = "A".repeat(40);
    assert!(!f.engine.destroy_session(&unknown).expect("destroy"));
    assert_eq!(f.engine.stats().expect("stats").write_commits, commits);
}

#[test]
fn revoking_an_unknown_handle_commits_nothing() {
    let f = fixture();
    let commits = f.engine.stats().expect("stats").write_commits;
    assert!(f.engine.revoke_session(&"0".repeat(64)).is_err());
    assert_eq!(f.engine.stats().expect("stats").write_commits, commits);
}

#[test]
fn destroying_a_stored_session_still_deletes_it() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    assert!(f.engine.destroy_session(s.id.expose()).expect("destroy"));
    assert!(
        f.engine
            .load_session(s.id.expose())
            .expect("load")
            .is_none()
    );
    assert_consistent(&f.engine);
}

#[test]
fn revoking_an_unknown_token_commits_nothing() {
    let f = fixture();
    let token = f
        .engine
        .create_token(1, "cli", ["read"], None)
        .expect("create");
    let commits = f.engine.stats().expect("stats").write_commits;
    assert!(!f.engine.revoke_token(token.id + 1).expect("revoke"));
    assert_eq!(f.engine.stats().expect("stats").write_commits, commits);
    assert!(f.engine.revoke_token(token.id).expect("revoke"));
    assert!(
        f.engine
            .authenticate_token(token.plain_text.expose())
            .expect("authenticate")
            .is_none()
    );
    assert_consistent(&f.engine);
}
