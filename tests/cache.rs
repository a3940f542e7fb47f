//! The hot-path cache never serves a record older than the last commit.

mod common;

use common::*;

#[test]
fn a_cached_session_reflects_every_commit() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let id = s.id.expose();
    assert!(f.engine.load_session(id).expect("load").is_some()); // fills the cache
    assert!(f.engine.stats().expect("stats").cached_records >= 1);
    f.engine.save_session(id, b"v1", None).expect("save");
    let loaded = f.engine.load_session(id).expect("load").expect("live");
    assert_eq!((loaded.payload.as_slice(), loaded.version), (&b"v1"[..], 1));
    let csrf = f.engine.rotate_csrf(id).expect("rotate");
    assert_eq!(f.engine.csrf_token(id).expect("read"), Some(csrf));
    let user = f.engine.login(id, 5).expect("login");
    assert!(f.engine.load_session(id).expect("load").is_none());
    let uid = user.id.expose();
    assert_eq!(
        f.engine
            .load_session(uid)
            .expect("load")
            .expect("live")
            .user_id,
        Some(5)
    );
    f.engine.revoke_user_sessions(5, None).expect("revoke");
    assert!(f.engine.load_session(uid).expect("load").is_none());
}

#[test]
fn a_cached_session_is_gone_after_gc_and_a_flushed_touch_is_seen() {
    let f = fixture();
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let id = s.id.expose();
    f.clock.advance(120);
    assert_eq!(
        f.engine
            .load_session(id)
            .expect("load")
            .expect("live")
            .last_activity,
        T0 + 120
    );
    f.engine.flush().expect("flush");
    f.clock.advance(30);
    let loaded = f.engine.load_session(id).expect("load").expect("live");
    assert_eq!(
        loaded.last_activity,
        T0 + 120,
        "the flushed touch, not the stale cached one"
    );
    assert_eq!(f.engine.stats().expect("stats").touches_pending, 0);
    f.clock.advance(IDLE + 1);
    f.engine.gc().expect("gc");
    assert!(f.engine.load_session(id).expect("load").is_none());
    assert_eq!(f.engine.stats().expect("stats").sessions, 0);
}

#[test]
fn a_cached_token_stops_working_when_revoked() {
    let f = fixture();
    let t = f.engine.create_token(1, "ci", ["a"], None).expect("token");
    let text = t.plain_text.expose();
    assert!(f.engine.authenticate_token(text).expect("auth").is_some());
    assert!(f.engine.authenticate_token(text).expect("auth").is_some());
    f.engine.revoke_token(t.id).expect("revoke");
    assert!(f.engine.authenticate_token(text).expect("auth").is_none());
}

#[test]
fn readers_and_writers_in_parallel_never_see_a_stale_version() {
    let f = fixture_with(|c| {
        exclusive(c);
        c.durable_commits = false;
    });
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    let id = s.id.expose().to_owned();
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for v in 1..=300u64 {
                let got = f
                    .engine
                    .save_session(&id, &v.to_le_bytes(), None)
                    .expect("save");
                assert_eq!(got, v);
            }
        });
        for _ in 0..3 {
            scope.spawn(|| {
                let mut last = 0;
                while last < 300 {
                    let s = f.engine.load_session(&id).expect("load").expect("live");
                    assert!(
                        s.version >= last,
                        "version went back from {last} to {}",
                        s.version
                    );
                    last = s.version;
                }
            });
        }
        writer.join().expect("writer");
    });
    let s = f.engine.load_session(&id).expect("load").expect("live");
    assert_eq!(s.version, 300);
}

#[test]
fn a_disabled_cache_gives_the_same_answers() {
    let f = fixture_with(|c| c.cache_entries = 0);
    let s = f.engine.create_session("1.2.3.4", "ua").expect("create");
    f.engine
        .save_session(s.id.expose(), b"x", None)
        .expect("save");
    let loaded = f
        .engine
        .load_session(s.id.expose())
        .expect("load")
        .expect("live");
    assert_eq!(loaded.payload, b"x");
    assert_eq!(f.engine.stats().expect("stats").cached_records, 0);
}
